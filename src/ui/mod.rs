//! Drawing. Pure: reads the app state, never blocks, never does I/O.

mod header;
pub mod help;
mod list;
mod logs;
mod pane;
pub mod style;
#[cfg(feature = "svg")]
pub mod svg;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::Ctx;
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

fn footer(app: &Ctx) -> Line<'static> {
    let t = &app.theme;
    if app.ui.editing_filter {
        return Line::from(vec![
            Span::styled(" filter: ", t.key),
            Span::styled(format!("{}▏", app.ui.filter), t.text),
            Span::styled("   ⏎ keep · Esc clear", t.muted),
        ]);
    }
    let hints = crate::app::keys::footer_hints(app.ui.open.is_some());
    let mut spans = vec![Span::raw(" ")];
    for (k, d) in hints {
        spans.push(Span::styled(k, t.key));
        spans.push(Span::styled(format!(" {d}  "), t.muted));
    }
    Line::from(spans)
}

/// What drawing learnt that the app needs back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Rows the workload list shows (for paging); kept when it is hidden.
    pub list_rows: usize,
}

/// Draw the whole screen from one frame's view.
pub fn draw(f: &mut Frame, app: &Ctx) -> Drawn {
    let mut drawn = Drawn {
        list_rows: app.ui.page,
    };
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header::draw(f, head, app);
    match app.open_workload() {
        Some(w) => {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)])
                    .areas(body);
            pane::draw(f, top, app, w);
            logs::draw(f, bottom, app, w);
        }
        None => drawn.list_rows = list::draw(f, body, app).max(1),
    }
    f.render_widget(Paragraph::new(footer(app)), foot);
    if app.ui.help {
        help::draw(f, f.area(), app);
    }
    // Under whatever the widgets left unpainted (Clear, plain spans).
    app.theme.paint_background(f.buffer_mut());
    scrub_buffer(f.buffer_mut());
    drawn
}
