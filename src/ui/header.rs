//! The two header lines: where the data comes from, Vault, counts and time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, safe_line};
use crate::app::{Ctx, SourceKind};
use crate::model::vault::VaultStatus;
use crate::safe;

/// The header is two lines at any width. The counts and the clock keep
/// their place at the right of the first line; what does not fit beside
/// them (Vault's state) moves to the start of the second, and the second is
/// cut with `…`.
pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) {
    let t = &app.theme;
    let width = area.width as usize;
    let source = match &app.source {
        SourceKind::Demo => Span::styled(" DEMO ", t.selected),
        SourceKind::Bundle { .. } => Span::styled(" BUNDLE ", t.selected),
        SourceKind::Live { context } => Span::styled(format!(" {context} "), t.selected),
    };
    let vault = match &app.report.vault {
        VaultStatus::NotConfigured => Span::styled("Vault: not configured", t.muted),
        VaultStatus::Unreachable { address, .. } => {
            Span::styled(format!("Vault {address}: unreachable"), t.error)
        }
        VaultStatus::Reachable { address, health } => {
            let style = if health.sealed { t.error } else { t.ok };
            // Redacted on its own: glued to the "v" a token in it would not
            // start a word, and would not be recognised.
            let version = health
                .version
                .as_deref()
                .map(|v| format!(" v{}", safe::redact(v)))
                .unwrap_or_default();
            Span::styled(
                format!("Vault {address}{version}: {}", app.report.vault.label()),
                style,
            )
        }
    };
    let mut state = Vec::new();
    // Live mode: a lost API server makes everything below stale.
    if let Some(s) = app.world.api_server
        && !s.reachable
    {
        state.push(Span::styled(
            format!(
                "API server unreachable · data stale {}  ",
                short_age((app.now - s.since).num_seconds())
            ),
            t.error,
        ));
    }
    // Live mode, until every watcher has listed: the counts are not final.
    if app.world.api_server.is_some() && !app.world.listed {
        let pods = app.world.pod_count();
        state.push(Span::styled(
            format!(
                "listing… {}  ",
                crate::model::words::count_grouped(pods, "pod", "pods")
            ),
            t.warning,
        ));
    }
    state.push(vault);
    if app.ui.token_over_http {
        state.push(Span::styled(" ⚠ token over plain http", t.warning));
    }
    let [ok, warn, err] = app.counts();
    let clock = if width >= 110 {
        app.now.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    } else {
        app.now.format("%H:%M:%S").to_string()
    };
    let mut right = vec![
        Span::styled(format!("✓ {ok}"), t.ok),
        Span::raw(" "),
        Span::styled(format!("! {warn}"), t.warning),
        Span::raw(" "),
        Span::styled(format!("✗ {err}"), t.error),
        Span::raw("  "),
        Span::styled(clock, t.muted),
        Span::raw(" "),
    ];
    if let Some(demo) = &app.ui.demo {
        right.insert(0, Span::styled(format!("{}  ", demo.clock), t.accent));
    }
    let right = safe_line(Line::from(right));
    let right_w = right.width();
    let mut left = vec![
        Span::styled(" vaultscope ", t.title),
        source,
        Span::raw("  "),
    ];
    let head_w: usize = left.iter().map(|s| s.width()).sum();
    let state_w: usize = state.iter().map(|s| s.width()).sum();
    let state_fits = head_w + state_w + 2 + right_w <= width;
    let mut line2: Vec<Span> = Vec::new();
    if state_fits {
        left.extend(state);
    } else {
        line2.push(Span::raw(" "));
        line2.extend(state);
        line2.push(Span::styled(" ·", t.muted));
    }
    let scope = match (&app.ui.fixed_namespace, &app.ui.namespace) {
        (Some(ns), _) => format!("namespace {ns} (-n)"),
        (None, Some(ns)) => format!("namespace {ns}"),
        (None, None) => "all namespaces".to_string(),
    };
    let origin = match &app.source {
        SourceKind::Demo => match &app.ui.demo {
            Some(d) if !d.cue.is_empty() => format!("a built-in scenario · {}", d.cue),
            _ => "a built-in scenario: nothing here is a real cluster".to_string(),
        },
        SourceKind::Bundle { dir } => format!(
            "bundle {dir} as of {}",
            app.now.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        SourceKind::Live { .. } => "live".to_string(),
    };
    // The scope first: it is short and says what the list holds, while a
    // bundle's path can take the rest of the line and be cut.
    // The Leases view sorts its own rows.
    let sort = match (&app.ui.leases, &app.ui.open) {
        (Some(l), None) => l.sort.label(),
        _ => app.ui.sort.label(),
    };
    line2.push(Span::styled(
        format!(" {scope} · {origin} · sorted by {sort}"),
        t.muted,
    ));
    if app.world.csi_installed == Some(false) {
        line2.push(Span::styled(" · CSI driver not installed", t.muted));
    }
    if let Some(first) = app.world.access_denied.first() {
        let more = app.world.access_denied.len() - 1;
        let text = if more > 0 {
            format!(" · {} (+{more} more)", first.describe())
        } else {
            format!(" · {}", first.describe())
        };
        line2.push(Span::styled(text, t.warning));
    }
    if !app.ui.filter.is_empty() || app.ui.editing_filter {
        line2.push(Span::styled(" · filter: ", t.muted));
        line2.push(Span::styled(app.ui.filter.clone(), t.accent));
    }
    f.render_widget(Paragraph::new("").style(t.header), area);
    let left_w = width.saturating_sub(right_w);
    let row1 = Rect {
        height: 1.min(area.height),
        ..area
    };
    let row2 = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1).min(1),
        ..area
    };
    f.render_widget(
        Paragraph::new(fit::cut_line(safe_line(Line::from(left)), left_w)).style(t.header),
        Rect {
            width: left_w as u16,
            ..row1
        },
    );
    if right_w <= width {
        f.render_widget(
            Paragraph::new(right).style(t.header),
            Rect {
                x: row1.x + left_w as u16,
                width: right_w as u16,
                ..row1
            },
        );
    }
    f.render_widget(
        Paragraph::new(fit::cut_line(safe_line(Line::from(line2)), width)).style(t.header),
        row2,
    );
}

/// "42s", "3m 05s", "2h 10m".
fn short_age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}
