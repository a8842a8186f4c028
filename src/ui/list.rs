//! The workload list. Only the rows that fit are built and drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::style;
use crate::app::Ctx;
use crate::diagnose::WorkloadReport;
use crate::model::vault::countdown;
use crate::safe;

fn expiry_text(app: &Ctx, w: &WorkloadReport) -> String {
    w.soonest_expiry()
        .map_or_else(|| "-".to_string(), |at| countdown(at - app.now))
}

fn expiry_cell<'a>(app: &Ctx, w: &WorkloadReport) -> Cell<'a> {
    let t = &app.theme;
    let soonest_lease = w
        .leases
        .iter()
        .filter_map(|l| {
            Some((
                l.expire_time?,
                l.expire_time? - (l.last_renewal.or(l.issue_time)?),
            ))
        })
        .min_by_key(|(e, _)| *e);
    let soonest_cert = w
        .certificates
        .iter()
        .map(|c| (c.not_after, c.lifetime().unwrap_or_default()))
        .min_by_key(|(e, _)| *e);
    let soonest = match (soonest_lease, soonest_cert) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match soonest {
        Some((at, life)) => {
            let left = at - app.now;
            Cell::from(Span::styled(
                countdown(left),
                style::countdown(t, left, Some(life)),
            ))
        }
        None => Cell::from(Span::styled("-", t.muted)),
    }
}

/// Draws the list; returns how many rows it shows (the app pages by it).
pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) -> usize {
    let visible_rows = area.height.saturating_sub(3) as usize;
    let t = &app.theme;
    let visible = app.visible();
    let total = visible.len();
    let selected = app.selected();
    // Keep the selection in view: scroll so it sits inside the window.
    let offset = selected.saturating_sub(visible_rows.saturating_sub(1));
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible_rows)
        .map(|(i, w)| {
            // On the selected row the row's own style wins, so text stays
            // readable on the highlight whatever the theme.
            let sel = i == selected;
            let sty = |st: ratatui::style::Style| {
                if sel {
                    ratatui::style::Style::default()
                } else {
                    st
                }
            };
            let worst = w.worst().map_or_else(
                || Cell::from(Span::styled("healthy", sty(t.muted))),
                |fd| {
                    Cell::from(Line::from(vec![
                        Span::styled(
                            format!("{} ", fd.code.as_str()),
                            sty(style::severity(t, fd.severity)),
                        ),
                        Span::styled(safe::terminal(&fd.message).into_owned(), sty(t.text)),
                    ]))
                },
            );
            let expiry = if sel {
                Cell::from(expiry_text(app, w))
            } else {
                expiry_cell(app, w)
            };
            let row = Row::new(vec![
                Cell::from(Span::styled(
                    style::health_icon(w.health),
                    sty(style::health(t, w.health)),
                )),
                Cell::from(safe::terminal(&w.key.namespace).into_owned()),
                Cell::from(Span::styled(
                    safe::terminal(w.key.kind.as_str()).into_owned(),
                    sty(t.muted),
                )),
                Cell::from(Span::styled(
                    safe::terminal(&w.key.name).into_owned(),
                    sty(t.title),
                )),
                Cell::from(format!("{}/{}", w.pods_ready, w.pods.len())),
                Cell::from(w.method.label()),
                expiry,
                worst,
            ]);
            if sel {
                row.style(t.selected)
            } else {
                row.style(t.text)
            }
        })
        .collect();
    let title = if total == app.report.workloads.len() {
        format!(" Workloads ({total}) ")
    } else {
        format!(" Workloads ({total} of {}) ", app.report.workloads.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(Span::styled(title, t.title));
    if total == 0 {
        let msg = if app.report.workloads.is_empty() {
            "No workloads use Vault Agent injection or the Secrets Store CSI driver (yet)."
        } else {
            "No workload matches the filter. Esc clears it."
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, t.muted)).block(block),
            area,
        );
        return visible_rows;
    }
    let header = Row::new([
        "",
        "NAMESPACE",
        "KIND",
        "NAME",
        "PODS",
        "VIA",
        "EXPIRY",
        "WORST FINDING",
    ])
    .style(t.muted);
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(12),
            Constraint::Length(11),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(8),
            Constraint::Min(20),
        ],
    )
    .header(header)
    .column_spacing(1)
    .block(block);
    f.render_widget(table, area);
    visible_rows
}
