//! The log tail of the selected pod's agent container.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::Ctx;
use crate::diagnose::WorkloadReport;
use crate::diagnose::text;
use crate::model::log_line::line_timestamp;
use crate::model::logs::LogBuffer;
use crate::safe;

/// How much of a record the finding lookup reads. Agents put the error
/// first, and a row must not cost the length of the lines it stands for.
const RECORD_BYTES: usize = 4096;

/// The first `n` characters of `s`.
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(end, _)| &s[..end])
}

/// The head of a line, enough to find a timestamp in (a `kubectl --prefix`
/// prefix, at most a pod and a container name, comes before it).
fn head(s: &str) -> &str {
    &s[..s.floor_char_boundary(512)]
}

/// Pods without agent containers (CSI, or never injected) have no agent log:
/// show their events instead, which is where the CSI driver reports.
fn draw_events(f: &mut Frame, area: Rect, app: &Ctx, w: &WorkloadReport, pod: &str) {
    let t = &app.theme;
    let mut events: Vec<_> = app
        .world
        .events
        .values()
        .filter(|e| {
            e.involved.kind == "Pod"
                && e.involved.namespace == w.key.namespace
                && e.involved.name == pod
        })
        .collect();
    events.sort_by_key(|e| e.last_seen);
    let height = area.height.saturating_sub(2) as usize;
    let mut body: Vec<Line> = Vec::new();
    // The layout wraps a message: its newlines become spaces, and what
    // cannot fit in the pane is not laid out at all.
    let cells = area.width as usize * height;
    for e in events.iter().rev().take(height) {
        let message = safe::terminal_lines(&e.message)
            .collect::<Vec<_>>()
            .join(" ");
        let st = if e.is_warning() {
            t.log_warn
        } else {
            t.log_info
        };
        let age = e
            .last_seen
            .map(|l| format!("{} ago", crate::model::vault::countdown(app.now - l)))
            .unwrap_or_default();
        body.push(Line::from(vec![
            Span::styled(format!("{:<8} ", age), t.muted),
            Span::styled(format!("{} ", safe::terminal(&e.reason)), st),
            Span::styled(format!("×{} ", e.count), t.muted),
            Span::styled(first_chars(&message, cells).to_string(), t.text),
        ]));
    }
    if body.is_empty() {
        body.push(Line::from(Span::styled("no events for this pod", t.muted)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(Line::from(vec![
            Span::styled(" Events ", t.title),
            Span::styled(format!("{} ", safe::terminal(pod)), t.accent),
            Span::styled("· no agent containers, so no agent log ", t.muted),
        ]));
    f.render_widget(
        Paragraph::new(body)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        area,
    );
}

/// The head of the log record that starts at line `i`: the line plus the
/// continuation lines of a value the agent spread over several lines, up to
/// [`RECORD_BYTES`].
fn record_at(b: &LogBuffer, i: usize) -> String {
    let mut text = String::new();
    for (n, l) in (i..b.len().min(i + 21))
        .filter_map(|j| b.get(j))
        .enumerate()
    {
        if n > 0 {
            if line_timestamp(head(l)).is_some() {
                break;
            }
            text.push('\n');
        }
        let room = RECORD_BYTES.saturating_sub(text.len());
        if room == 0 {
            break;
        }
        text.push_str(&l[..l.floor_char_boundary(room)]);
    }
    text
}

pub fn draw(f: &mut Frame, area: Rect, app: &Ctx, w: &WorkloadReport) {
    let t = &app.theme;
    let pod = w.pods.get(app.ui.pod_index);
    if let Some(p) = pod
        && p.agent_init.is_none()
        && p.agent.is_none()
    {
        draw_events(f, area, app, w, &p.name);
        return;
    }
    let container = app
        .ui
        .log
        .container(pod.and_then(|p| p.injector).unwrap_or_default());
    let previous = app.ui.log.previous();
    let buffer = pod.and_then(|p| {
        app.world
            .log(&w.key.namespace, &p.name, container, previous)
    });
    let height = area.height.saturating_sub(2) as usize;
    // Only the rows on screen are read: the buffer holds up to 10,000 lines
    // of up to 64 KiB, and a frame must cost the screen, not the buffer.
    let total = buffer.map_or(0, LogBuffer::len);
    let end = if app.ui.log_paused {
        total.saturating_sub(app.ui.log_offset)
    } else {
        total
    };
    let start = end.saturating_sub(height);
    // Characters that can reach the right edge; twice the columns, as
    // combining marks take none.
    let columns = area.width.saturating_sub(2) as usize * 2;
    let codes: Vec<&str> = w.findings.iter().map(|f| f.code.as_str()).collect();
    let mut body: Vec<Line> = Vec::new();
    if let Some(b) = buffer {
        for i in start..end {
            let (Some(raw), Some(shown)) = (b.get(i), b.shown(i)) else {
                continue;
            };
            let upper_head = first_chars(raw, 60).to_ascii_uppercase();
            let style = if upper_head.contains("[ERROR]") {
                t.log_error
            } else if upper_head.contains("[WARN]") {
                t.log_warn
            } else {
                t.log_info
            };
            let mut spans = Vec::new();
            // Lead with the finding a line feeds, so it is visible even when
            // the line itself runs past the edge. The code is one of ours,
            // not text from the log.
            if style != t.log_info
                && let Some(c) = text::classify(&record_at(b, i))
                && codes.contains(&c.code.as_str())
            {
                spans.push(Span::styled(format!("{} ▸ ", c.code.as_str()), t.key));
            }
            spans.push(Span::styled(first_chars(shown, columns), style));
            body.push(Line::from(spans));
        }
    }
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
            app.ui.log_offset.min(total)
        )
    } else {
        "following".to_string()
    };
    let title = Line::from(vec![
        Span::styled(" Log ", t.title),
        Span::styled(
            format!(
                "{} / {}{} ",
                pod.map_or("-".into(), |p| safe::terminal(&p.name)),
                container,
                if previous { " (previous)" } else { "" }
            ),
            t.accent,
        ),
        Span::styled(format!("· {state} · {total} lines · c switches "), t.muted),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(title);
    f.render_widget(Paragraph::new(body).block(block), area);
}
