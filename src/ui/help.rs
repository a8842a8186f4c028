//! Views over the list or the pane: the help (generated from the key map),
//! a pod's injection spec, and text to copy. Each scrolls; Esc or q closes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{fit, safe_line};
use crate::app::Ctx;
use crate::app::keys::{KEYMAP, Scope};
use crate::app::state::Overlay;

pub fn lines(app: &Ctx) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for scope in Scope::ALL {
        if scope == Scope::Demo && !app.is_demo() {
            continue;
        }
        out.push(Line::from(Span::styled(scope.title(), t.accent)));
        for b in KEYMAP.iter().filter(|b| b.scope == scope) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<13}", b.label), t.key),
                Span::styled(b.help, t.text),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(vec![
        Span::styled("  While typing a filter, search or command: ", t.muted),
        Span::styled("⏎ keep · Esc clear · Ctrl-U erase", t.text),
    ]));
    out.push(Line::from(Span::styled(
        "  Esc, q or ? closes this help.",
        t.muted,
    )));
    out
}

/// The overlay's title and lines.
fn content(app: &Ctx, overlay: &Overlay) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    match overlay {
        Overlay::Help => (" Keys ".into(), lines(app)),
        Overlay::Spec { namespace, pod } => {
            let body = match app.world.pod(namespace, pod) {
                Some(p) => crate::app::export::spec_lines(p)
                    .into_iter()
                    .map(|l| {
                        let st = if l.starts_with("  ✗") {
                            t.error
                        } else if l.starts_with("  !") {
                            t.warning
                        } else if !l.starts_with(' ') {
                            t.accent
                        } else {
                            t.text
                        };
                        Line::from(Span::styled(l, st))
                    })
                    .collect(),
                None => vec![Line::from(Span::styled("the pod is gone", t.muted))],
            };
            (" Injection spec · y copies ".into(), body)
        }
        Overlay::Text { title, body } => (
            format!(" {title} "),
            body.lines()
                .map(|l| Line::from(Span::styled(l.to_string(), t.text)))
                .collect(),
        ),
    }
}

/// Draws the overlay; returns the rows it shows and the rows it has.
pub fn draw(f: &mut Frame, area: Rect, app: &Ctx, overlay: &Overlay) -> (usize, usize) {
    let t = &app.theme;
    let (title, body) = content(app, overlay);
    let w = 100.min(area.width);
    let inner_w = w.saturating_sub(2) as usize;
    // Help continues under the key's text; other text just indents.
    let indent = match overlay {
        Overlay::Help => 15,
        Overlay::Spec { .. } => 6,
        Overlay::Text { .. } => 2,
    };
    let mut rows: Vec<Line> = Vec::new();
    for l in body {
        rows.extend(fit::wrap(safe_line(l), inner_w, indent.min(inner_w / 3)));
    }
    let len = rows.len();
    let h = (len as u16 + 2).min(area.height);
    let inner_rows = h.saturating_sub(2) as usize;
    let top = app.ui.overlay_top.min(len.saturating_sub(inner_rows));
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.accent)
        .title(Span::styled(
            fit::cut(&crate::safe::terminal(&title), inner_w),
            t.title,
        ));
    let hint = if len > inner_rows {
        format!(
            " ↑↓ rows {}–{} of {len} · Esc closes ",
            top + 1,
            top + inner_rows
        )
    } else {
        " Esc closes ".to_string()
    };
    block = block
        .title_bottom(Line::from(Span::styled(fit::cut(&hint, inner_w), t.muted)).right_aligned());
    let shown: Vec<Line> = rows.into_iter().skip(top).take(inner_rows).collect();
    f.render_widget(Paragraph::new(shown).block(block).style(t.text), popup);
    (inner_rows, len)
}
