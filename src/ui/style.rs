//! Mapping model values to theme roles.

use chrono::Duration;
use ratatui::style::Style;

use crate::diagnose::{Health, Severity};
use crate::theme::Theme;

pub fn health(t: &Theme, h: Health) -> Style {
    match h {
        Health::Ok => t.ok,
        Health::Warning => t.warning,
        Health::Error => t.error,
    }
}

pub fn severity(t: &Theme, s: Severity) -> Style {
    match s {
        Severity::Info => t.info,
        Severity::Warning => t.warning,
        Severity::Error => t.error,
    }
}

pub fn health_icon(h: Health) -> &'static str {
    match h {
        Health::Ok => "✓",
        Health::Warning => "!",
        Health::Error => "✗",
    }
}

pub fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Info => "i",
        Severity::Warning => "!",
        Severity::Error => "✗",
    }
}

/// Countdown colour by the share of the lifetime that is left.
pub fn countdown(t: &Theme, left: Duration, lifetime: Option<Duration>) -> Style {
    if left <= Duration::zero() {
        return t.countdown_expired;
    }
    let frac = match lifetime {
        Some(l) if l > Duration::zero() => {
            left.num_milliseconds() as f64 / l.num_milliseconds() as f64
        }
        _ => {
            return if left < Duration::minutes(5) {
                t.countdown_urgent
            } else {
                t.countdown_ok
            };
        }
    };
    if frac < 0.10 {
        t.countdown_urgent
    } else if frac < 0.33 {
        t.countdown_soon
    } else {
        t.countdown_ok
    }
}

/// A text bar of `width` cells filled to `frac`.
pub fn bar(frac: f64, width: usize) -> String {
    let frac = frac.clamp(0.0, 1.0);
    let eighths = (frac * width as f64 * 8.0).round() as usize;
    let full = eighths / 8;
    let part = eighths % 8;
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][part];
    let mut s = "█".repeat(full);
    s.push_str(partial);
    let used = full + usize::from(!partial.is_empty());
    s.push_str(&"·".repeat(width.saturating_sub(used)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(0.0, 4), "····");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██··");
        assert_eq!(bar(0.55, 4).chars().count(), 4);
    }
}
