//! The log tail of the selected pod's agent container.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::diagnose::WorkloadReport;
use crate::diagnose::text;

pub fn draw(f: &mut Frame, area: Rect, app: &App, w: &WorkloadReport) {
    let t = &app.theme;
    let pod = w.pods.get(app.ui.pod_index);
    let container = app.ui.log.container();
    let previous = app.ui.log.previous();
    let buffer = pod.and_then(|p| {
        app.world
            .log(&w.key.namespace, &p.name, container, previous)
    });
    let height = area.height.saturating_sub(2) as usize;
    let lines: Vec<&str> = buffer.map(|b| b.lines().collect()).unwrap_or_default();
    let end = if app.ui.log_paused {
        lines.len().saturating_sub(app.ui.log_offset)
    } else {
        lines.len()
    };
    let start = end.saturating_sub(height);
    let codes: Vec<&str> = w.findings.iter().map(|f| f.code.as_str()).collect();
    let mut body: Vec<Line> = lines[start..end]
        .iter()
        .map(|l| {
            let upper_head: String = l.chars().take(60).collect::<String>().to_ascii_uppercase();
            let style = if upper_head.contains("[ERROR]") {
                t.log_error
            } else if upper_head.contains("[WARN]") {
                t.log_warn
            } else {
                t.log_info
            };
            let mut spans = vec![Span::styled(l.to_string(), style)];
            // Mark the lines that feed a finding shown above.
            if style != t.log_info
                && let Some(c) = text::classify(l)
                && codes.contains(&c.code.as_str())
            {
                spans.push(Span::styled(format!("  ◀ {}", c.code.as_str()), t.key));
            }
            Line::from(spans)
        })
        .collect();
    if body.is_empty() {
        let why = match pod {
            None => "no pod selected".to_string(),
            Some(_) if previous => {
                format!("no previous {container} log (the container has not restarted)")
            }
            Some(_) => format!("no {container} log yet"),
        };
        body.push(Line::from(Span::styled(why, t.muted)));
    }
    let state = if app.ui.log_paused {
        format!(
            "paused, {} lines below · f resumes",
            app.ui.log_offset.min(lines.len())
        )
    } else {
        "following".to_string()
    };
    let title = Line::from(vec![
        Span::styled(" Log ", t.title),
        Span::styled(
            format!(
                "{} / {}{} ",
                pod.map_or("-", |p| p.name.as_str()),
                container,
                if previous { " (previous)" } else { "" }
            ),
            t.accent,
        ),
        Span::styled(
            format!("· {state} · {} lines · c switches ", lines.len()),
            t.muted,
        ),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(title);
    f.render_widget(Paragraph::new(body).block(block), area);
}
