//! Drawing. Pure: reads the app state, never blocks, never does I/O.

pub mod fit;
mod header;
pub mod help;
mod leases;
mod list;
mod logs;
mod pane;
pub mod style;
#[cfg(feature = "svg")]
pub mod svg;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::Ctx;
use crate::app::pane::{Geometry, Part};
use crate::safe;

/// A line whose spans may hold text from others (names, messages, evidence,
/// Vault answers), made safe span by span. Our own text passes unchanged, so
/// a whole pane can go through here just before it is drawn.
pub(crate) fn safe_line(mut line: Line<'_>) -> Line<'_> {
    for span in &mut line.spans {
        if let std::borrow::Cow::Owned(safe) = safe::terminal(&span.content) {
            span.content = safe.into();
        }
    }
    line
}

/// The last line of defence: whatever a widget drew, no cell reaches the
/// terminal holding a control or bidi character.
fn scrub_buffer(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(safe::is_unsafe) {
            cell.set_symbol("?");
        }
    }
}

fn prompt<'a>(t: &crate::theme::Theme, label: &str, text: &str, keys: &str) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!(" {label}"), t.key),
        Span::styled(format!("{text}▏"), t.text),
        Span::styled(format!("   {keys}"), t.muted),
    ])
}

fn footer(app: &Ctx) -> Line<'static> {
    use crate::app::keys::{self, Action, Screen};
    let t = &app.theme;
    if app.ui.editing_filter {
        return prompt(t, "filter: ", &app.ui.filter, "⏎ keep · Esc clear");
    }
    if let Some(cmd) = &app.ui.command {
        return prompt(t, ":", cmd, "⏎ run · Esc cancel · :ns NAME · :ns all · :q");
    }
    if app.ui.pane.log.editing_search && app.ui.open.is_some() {
        return prompt(
            t,
            "search the log: /",
            &app.ui.pane.log.search,
            "⏎ find · Esc cancel",
        );
    }
    if let Some(n) = &app.ui.notice {
        return Line::from(Span::styled(format!(" {n}"), t.accent));
    }
    let mut spans = vec![Span::raw(" ")];
    let hints = if app.ui.overlay.is_some() {
        keys::footer_hints(Screen::SubView, keys::FOOTER_SUBVIEW)
    } else if app.ui.open.is_some() {
        let focus = app.ui.pane.focus;
        // Which part the keys act on, first.
        spans.push(Span::styled(format!("[{}]", focus.short()), t.selected));
        spans.push(Span::raw(" "));
        let on_log = focus == Part::Log;
        let has_log = app.open_pod().is_some_and(|p| p.has_agent_containers());
        let list = if on_log {
            keys::FOOTER_LOG
        } else {
            keys::FOOTER_SECTION
        };
        let actions: Vec<Action> = list
            .iter()
            .copied()
            .filter(|a| has_log || !keys::LOG_ACTIONS.contains(a))
            .collect();
        keys::footer_hints(Screen::Pane, &actions)
    } else if app.ui.leases.is_some() {
        keys::footer_hints(Screen::Leases, keys::FOOTER_LEASES)
    } else {
        keys::footer_hints(Screen::List, keys::FOOTER_LIST)
    };
    for (k, d) in hints {
        spans.push(Span::styled(k, t.key));
        spans.push(Span::styled(format!(" {d}  "), t.muted));
    }
    if app.is_demo() && app.ui.overlay.is_none() {
        let (k, d) = keys::demo_hint();
        spans.push(Span::styled(k, t.key));
        spans.push(Span::styled(format!(" {d}  "), t.muted));
    }
    Line::from(spans)
}

/// What drawing learnt that the app needs back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drawn {
    /// Rows the workload list shows (for paging); kept when it is hidden.
    pub list_rows: usize,
    /// The pane's sizes (for scrolling and focus), when a pane is open.
    pub geometry: Geometry,
    /// Rows the overlay shows and has.
    pub overlay_rows: usize,
    pub overlay_len: usize,
}

/// Rows of the body the log gets at least: more when it has focus.
fn log_share(body: u16, focused: bool) -> u16 {
    if focused {
        (body * 3 / 5).max(5)
    } else {
        (body * 2 / 5).max(5)
    }
}

/// Draw the whole screen from one frame's view.
pub fn draw(f: &mut Frame, app: &Ctx) -> Drawn {
    let mut drawn = Drawn {
        list_rows: app.ui.page,
        ..Drawn::default()
    };
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header::draw(f, head, app);
    match app.open_workload() {
        Some(w) if app.ui.pane.full_log => {
            logs::draw(f, body, app, w, &mut drawn.geometry);
        }
        Some(w) => {
            // The upper part takes what it needs (findings first), up to
            // what leaves the log its share; the log takes the rest.
            let doc = pane::doc(app, w, body.width.saturating_sub(2) as usize);
            let want = doc.rows.len() as u16 + 2;
            let log_min = log_share(body.height, app.ui.pane.focus == Part::Log);
            let top_h = want
                .min(body.height.saturating_sub(log_min))
                .max(3.min(body.height));
            let [top, bottom] =
                Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(body);
            pane::draw(f, top, app, w, doc, &mut drawn.geometry);
            logs::draw(f, bottom, app, w, &mut drawn.geometry);
        }
        None if app.ui.leases.is_some() => drawn.list_rows = leases::draw(f, body, app).max(1),
        None => drawn.list_rows = list::draw(f, body, app).max(1),
    }
    let width = foot.width as usize;
    f.render_widget(Paragraph::new(fit::cut_line(footer(app), width)), foot);
    if let Some(o) = &app.ui.overlay {
        (drawn.overlay_rows, drawn.overlay_len) = help::draw(f, f.area(), app, o);
    }
    // Under whatever the widgets left unpainted (Clear, plain spans).
    app.theme.paint_background(f.buffer_mut());
    scrub_buffer(f.buffer_mut());
    drawn
}
