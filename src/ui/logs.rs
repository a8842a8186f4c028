//! The log of the selected pod's agent container: followed, or paused
//! where the user left it; wrapped, or scrolled sideways. A line that feeds
//! a finding gets a coloured mark in the gutter, and the status line names
//! the finding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::fit;
use crate::app::Ctx;
use crate::app::pane::{Geometry, LogView, Part};
use crate::diagnose::{Severity, WorkloadReport, text};
use crate::model::log_line::line_timestamp;
use crate::model::logs::LogBuffer;
use crate::safe;
use crate::theme::Theme;

/// How much of a record the finding lookup reads. Agents put the error
/// first, and a row must not cost the length of the lines it stands for.
const RECORD_BYTES: usize = 4096;

/// The gutter: a mark for lines that feed a finding, then a space.
const GUTTER: usize = 2;

/// The first `n` characters of `s`.
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(end, _)| &s[..end])
}

/// The head of a line, enough to find a timestamp in (a `kubectl --prefix`
/// prefix, at most a pod and a container name, comes before it).
fn head(s: &str) -> &str {
    &s[..s.floor_char_boundary(512)]
}

fn block<'a>(t: &Theme, focused: bool, title: Line<'a>, status: Line<'a>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(if focused { t.accent } else { t.border_style })
        .title(title)
        .title_bottom(status)
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
    let width = area.width.saturating_sub(2) as usize;
    let skip = app.ui.pane.events_skip.min(events.len().saturating_sub(1));
    let mut body: Vec<Line> = Vec::new();
    // Messages wrap under their reason; only what fits is laid out.
    let cells = width * height.max(1);
    for e in events.iter().rev().skip(skip) {
        if body.len() >= height {
            break;
        }
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
        let line = Line::from(vec![
            Span::styled(format!("{:<8} ", age), t.muted),
            Span::styled(format!("{} ", safe::terminal(&e.reason)), st),
            Span::styled(format!("×{} ", e.count), t.muted),
            Span::styled(first_chars(&message, cells).to_string(), t.text),
        ]);
        body.extend(fit::wrap(line, width, 9));
    }
    body.truncate(height);
    if body.is_empty() {
        body.push(Line::from(Span::styled("no events for this pod", t.muted)));
    }
    let title = fit::cut_line(
        Line::from(vec![
            Span::styled(" Events ", t.title),
            Span::styled(format!("{} ", safe::terminal(pod)), t.accent),
            Span::styled("· no agent containers, so no agent log ", t.muted),
        ]),
        width.saturating_sub(2),
    );
    let status = if skip > 0 {
        Line::from(Span::styled(
            format!(" {skip} newer events above · End shows the newest "),
            t.muted,
        ))
    } else {
        Line::from(Span::styled(
            format!(
                " {} event{}, newest first ",
                events.len(),
                if events.len() == 1 { "" } else { "s" }
            ),
            t.muted,
        ))
    };
    let focused = app.ui.pane.focus == Part::Log;
    f.render_widget(
        Paragraph::new(body).block(block(t, focused, title, status.right_aligned())),
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

/// The finding (code and severity) line `i` feeds, if it is a warning or
/// an error of a kind the pane reports.
fn feeds<'w>(
    b: &LogBuffer,
    i: usize,
    raw: &str,
    w: &'w WorkloadReport,
) -> Option<(&'w str, Severity)> {
    let upper = first_chars(raw, 60).to_ascii_uppercase();
    if !(upper.contains("[ERROR]") || upper.contains("[WARN]")) {
        return None;
    }
    let c = text::classify(&record_at(b, i))?;
    w.findings
        .iter()
        .find(|f| f.code == c.code)
        .map(|f| (f.code.as_str(), f.severity))
}

/// One log line as rows: the gutter, then the text, wrapped or cut at the
/// edge (with `…` where it goes on).
fn line_rows<'a>(
    t: &Theme,
    shown: &'a str,
    style: ratatui::style::Style,
    mark: Option<Severity>,
    matched: bool,
    width: usize,
    view: &LogView,
) -> Vec<Line<'a>> {
    let gutter = match mark {
        Some(s) => Span::styled("● ", super::style::severity(t, s)),
        None => Span::raw("  "),
    };
    let style = if matched { t.selected } else { style };
    let room = width.saturating_sub(GUTTER);
    let column = view.column;
    if view.wrap {
        // Continuation rows start under the text, past the gutter.
        let text = first_chars(shown, room * 40);
        let line = Line::from(vec![gutter, Span::styled(text, style)]);
        return fit::wrap(line, width, GUTTER + 2);
    }
    let rest = fit::skip_cells(shown, column);
    let mut spans = vec![gutter];
    if column > 0 && !shown.is_empty() {
        spans.push(Span::styled(fit::ELLIPSIS.to_string(), t.muted));
        spans.push(Span::styled(
            fit::cut(first_chars(rest, room * 2), room.saturating_sub(1)),
            style,
        ));
    } else {
        spans.push(Span::styled(
            fit::cut(first_chars(rest, room * 2), room),
            style,
        ));
    }
    vec![Line::from(spans)]
}

pub fn draw(f: &mut Frame, area: Rect, app: &Ctx, w: &WorkloadReport, g: &mut Geometry) {
    let t = &app.theme;
    let pod = w.pods.get(app.ui.pod_index);
    let rows = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    g.log_rows = rows;
    if let Some(p) = pod
        && p.agent_init.is_none()
        && p.agent.is_none()
    {
        draw_events(f, area, app, w, &p.name);
        return;
    }
    let view = &app.ui.pane.log;
    let container = view
        .choice
        .container(pod.and_then(|p| p.injector).unwrap_or_default());
    let previous = view.choice.previous();
    let buffer = pod.and_then(|p| {
        app.world
            .log(&w.key.namespace, &p.name, container, previous)
    });
    let total = buffer.map_or(0, LogBuffer::len);
    let mut body: Vec<Line> = Vec::new();
    let mut codes: Vec<(&str, Severity)> = Vec::new();
    let mut shown_from = 0;
    let (mut start, end) = buffer.map_or((0, 0), |b| view.window(b, rows));
    if let Some(b) = buffer {
        // Only the rows on screen are read: the buffer holds up to 10,000
        // lines of up to 64 KiB, and a frame must cost the screen.
        let mut rows_of: Vec<Vec<Line>> = Vec::new();
        let mut used = 0;
        for i in (start..end).rev() {
            if used >= rows {
                break;
            }
            let (Some(raw), Some(shown)) = (b.get(i), b.shown(i)) else {
                continue;
            };
            let upper = first_chars(raw, 60).to_ascii_uppercase();
            let style = if upper.contains("[ERROR]") {
                t.log_error
            } else if upper.contains("[WARN]") {
                t.log_warn
            } else {
                t.log_info
            };
            let fed = feeds(b, i, raw, w);
            if let Some(c) = fed
                && !codes.iter().any(|(x, _)| *x == c.0)
            {
                codes.push(c);
            }
            let matched = view.matched == Some(b.dropped() + i as u64);
            let r = line_rows(t, shown, style, fed.map(|c| c.1), matched, width, view);
            used += r.len();
            rows_of.push(r);
            start = i;
        }
        shown_from = start;
        for r in rows_of.into_iter().rev() {
            body.extend(r);
        }
        // A wrapped first line taller than the room shows its end.
        let extra = body.len().saturating_sub(rows);
        body.drain(..extra);
    }
    if body.is_empty() {
        let why = match pod {
            None => "no pod selected".to_string(),
            Some(p) if app.is_bundle() => format!(
                "{container}{} log not in the bundle (logs/{}/{}/{container}{}.log)",
                if previous { " previous" } else { "" },
                w.key.namespace,
                p.name,
                if previous { ".previous" } else { "" }
            ),
            Some(_) if previous => {
                format!("no previous {container} log (the container has not restarted)")
            }
            Some(_) => format!("no {container} log yet"),
        };
        body.push(Line::from(Span::styled(
            safe::terminal(&why).into_owned(),
            t.muted,
        )));
    }
    let below = view.below(buffer);
    let state = match (view.paused(), app.is_bundle()) {
        (true, _) => format!("paused, {below} lines below · f/G resumes"),
        (false, true) => "as captured".to_string(),
        (false, false) => "following".to_string(),
    };
    let others = app.log_choices().len().saturating_sub(1);
    let position = if total > 0 {
        format!(" · lines {}–{end} of {total}", shown_from + 1)
    } else {
        String::new()
    };
    let title = fit::cut_line(
        Line::from(vec![
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
            Span::styled(
                format!(
                    "· {state}{position}{} ",
                    if others > 0 { " · c: other log" } else { "" }
                ),
                t.muted,
            ),
        ]),
        width.saturating_sub(2),
    );
    // The status line: what the gutter marks mean, the search, the mode.
    let mut status: Vec<Span> = Vec::new();
    for (code, sev) in &codes {
        status.push(Span::styled(" ● ", super::style::severity(t, *sev)));
        status.push(Span::styled(code.to_string(), t.key));
    }
    if !view.search.is_empty() && !view.editing_search {
        status.push(Span::styled(
            format!(" /{} (n/N)", safe::terminal(&view.search)),
            t.accent,
        ));
    }
    if view.wrap {
        status.push(Span::styled(" wrapped", t.muted));
    } else if view.column > 0 {
        status.push(Span::styled(format!(" ← {} columns", view.column), t.muted));
    }
    if !status.is_empty() {
        status.push(Span::raw(" "));
    }
    let status = fit::cut_line(Line::from(status), width.saturating_sub(2)).right_aligned();
    let focused = app.ui.pane.focus == Part::Log;
    f.render_widget(
        Paragraph::new(body).block(block(t, focused, title, status)),
        area,
    );
}
