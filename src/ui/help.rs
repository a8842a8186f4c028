//! The help overlay, generated from the key map.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::Ctx;
use crate::app::keys::{KEYMAP, Scope};

pub fn lines(app: &Ctx) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for scope in [Scope::Everywhere, Scope::List, Scope::Pane] {
        out.push(Line::from(Span::styled(scope.title(), t.accent)));
        for b in KEYMAP.iter().filter(|b| b.scope == scope) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<12}", b.label), t.key),
                Span::styled(b.help, t.text),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(vec![
        Span::styled("  While filtering: ", t.muted),
        Span::styled("type to filter · ⏎ keep · Esc clear · Ctrl-U erase", t.text),
    ]));
    out.push(Line::from(Span::styled(
        "  Any key closes this help.",
        t.muted,
    )));
    out
}

pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) {
    let t = &app.theme;
    let body = lines(app);
    let h = (body.len() as u16 + 2).min(area.height);
    let w = 72.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(Span::styled(" Keys ", t.title));
    f.render_widget(Paragraph::new(body).block(block).style(t.text), popup);
}
