//! The two header lines: where the data comes from, Vault, counts and time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::safe_line;
use crate::app::{Ctx, SourceKind};
use crate::diagnose::Health;
use crate::model::vault::VaultStatus;
use crate::safe;

pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) {
    let t = &app.theme;
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
    let plaintext = if app.ui.token_over_http {
        Span::styled(" ⚠ token over plain http", t.warning)
    } else {
        Span::raw("")
    };
    let n = |h: Health| app.report.count(h);
    // Live mode: a lost API server makes everything below stale.
    let api = match app.world.api_server {
        Some(s) if !s.reachable => Span::styled(
            format!(
                "API server unreachable · data stale {}  ",
                short_age((app.now - s.since).num_seconds())
            ),
            t.error,
        ),
        _ => Span::raw(""),
    };
    let line1 = Line::from(vec![
        Span::styled(" vaultscope ", t.title),
        source,
        Span::raw("  "),
        api,
        vault,
        plaintext,
        Span::raw("  "),
        Span::styled(format!("✓ {}", n(Health::Ok)), t.ok),
        Span::raw(" "),
        Span::styled(format!("! {}", n(Health::Warning)), t.warning),
        Span::raw(" "),
        Span::styled(format!("✗ {}", n(Health::Error)), t.error),
        Span::raw("  "),
        Span::styled(app.now.format("%Y-%m-%d %H:%M:%S UTC").to_string(), t.muted),
    ]);
    let scope = match (&app.ui.fixed_namespace, &app.ui.namespace) {
        (Some(ns), _) => format!("namespace {ns} (-n)"),
        (None, Some(ns)) => format!("namespace {ns}"),
        (None, None) => "all namespaces".to_string(),
    };
    let origin = match &app.source {
        SourceKind::Demo => "a built-in scenario: nothing here is a real cluster".to_string(),
        SourceKind::Bundle { dir } => format!(
            "bundle {dir} as of {}",
            app.now.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        SourceKind::Live { .. } => "live".to_string(),
    };
    let mut spans = vec![
        Span::styled(format!(" {origin}"), t.muted),
        Span::styled(
            format!(" · {scope} · sorted by {}", app.ui.sort.label()),
            t.muted,
        ),
    ];
    if app.world.csi_installed == Some(false) {
        spans.push(Span::styled(" · CSI driver not installed", t.muted));
    }
    if let Some(first) = app.world.access_denied.first() {
        let more = app.world.access_denied.len() - 1;
        let text = if more > 0 {
            format!(" · {} (+{more} more)", first.describe())
        } else {
            format!(" · {}", first.describe())
        };
        spans.push(Span::styled(text, t.warning));
    }
    if !app.ui.filter.is_empty() || app.ui.editing_filter {
        spans.push(Span::styled(" · filter: ", t.muted));
        spans.push(Span::styled(app.ui.filter.clone(), t.accent));
    }
    let lines = vec![safe_line(line1), safe_line(Line::from(spans))];
    f.render_widget(Paragraph::new(lines).style(t.header), area);
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
