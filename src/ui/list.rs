//! The workload list. Only the rows that fit are built and drawn; columns
//! give way by priority on narrow terminals (NAME and the finding code
//! stay), and whatever is cut ends in `…`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{fit, style};
use crate::app::Ctx;
use crate::app::state::Sort;
use crate::diagnose::{Finding, WorkloadReport};
use crate::model::vault::countdown;
use crate::model::workload::WorkloadKind;
use crate::safe;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Icon,
    Namespace,
    Kind,
    Name,
    Pods,
    Via,
    Expiry,
    Worst,
}

/// Display order.
const ORDER: [Col; 8] = [
    Col::Icon,
    Col::Namespace,
    Col::Kind,
    Col::Name,
    Col::Pods,
    Col::Via,
    Col::Expiry,
    Col::Worst,
];

/// The kind as kubectl's short names, for narrow screens.
fn kind_short(k: &WorkloadKind) -> &str {
    match k {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::StatefulSet => "sts",
        WorkloadKind::DaemonSet => "ds",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cj",
        WorkloadKind::ReplicaSet => "rs",
        WorkloadKind::Pod => "pod",
        WorkloadKind::Other(k) => k,
    }
}

/// Column widths for `width` cells: by priority, each at its least, then
/// grown; the finding column takes the rest.
fn widths(rows: &[&WorkloadReport], width: usize, one_namespace: bool) -> Vec<(Col, usize, bool)> {
    let longest =
        |f: &dyn Fn(&WorkloadReport) -> usize| rows.iter().map(|w| f(w)).max().unwrap_or(0);
    let name = longest(&|w| fit::width(&w.key.name)).clamp(4, 32);
    let ns = longest(&|w| fit::width(&w.key.namespace)).clamp(9, 16);
    // The code and a space (where a cut message's `…` goes).
    let code = longest(&|w| w.worst().map_or(7, |f| f.code.as_str().len())).clamp(7, 40) + 1;
    let kind_long = longest(&|w| fit::width(w.key.kind.as_str())).max(6);
    // (column, least, most), by priority.
    let mut want: Vec<(Col, usize, usize)> = vec![
        (Col::Icon, 1, 1),
        (Col::Name, name.min(10), name),
        (
            Col::Worst,
            code.min(width.saturating_sub(name.min(10) + 3)),
            code,
        ),
        (Col::Kind, 6, kind_long),
        (Col::Namespace, 9.min(ns), ns),
        (Col::Expiry, 7, 7),
        (Col::Pods, 5, 5),
        (Col::Via, 5, 5),
    ];
    if one_namespace {
        // Every row has the same namespace: it is said in the header.
        let ns_col = want.remove(4);
        want.push(ns_col);
    }
    let mut chosen: Vec<(Col, usize, usize)> = Vec::new();
    let mut used = 0;
    for (c, least, most) in want {
        let need = least + usize::from(!chosen.is_empty());
        if used + need <= width || matches!(c, Col::Icon | Col::Name | Col::Worst) {
            used += need;
            chosen.push((c, least, most));
        }
    }
    // Grow in priority order with what is left (not the finding: it takes
    // the rest).
    let mut out: Vec<(Col, usize, bool)> = Vec::new();
    for (c, least, most) in &chosen {
        let mut w = *least;
        if *c != Col::Worst {
            let room = width.saturating_sub(used);
            let grow = (most - least).min(room);
            // The kind is shown long only when the long form fits.
            if *c == Col::Kind && grow < most - least {
                out.push((*c, w, false));
                continue;
            }
            w += grow;
            used += grow;
        }
        out.push((*c, w, *c == Col::Kind && w >= kind_long));
    }
    if let Some(worst) = out.iter_mut().find(|(c, _, _)| *c == Col::Worst) {
        worst.1 += width.saturating_sub(used);
    }
    let mut ordered: Vec<(Col, usize, bool)> = ORDER
        .iter()
        .filter_map(|c| out.iter().find(|(x, _, _)| x == c).copied())
        .collect();
    // Whatever rounding left over is not worth a panic on a tiny screen.
    ordered.retain(|(_, w, _)| *w > 0);
    ordered
}

fn expiry_text(app: &Ctx, w: &WorkloadReport) -> String {
    w.soonest_expiry()
        .map_or_else(|| "-".to_string(), |at| countdown(at - app.now))
}

fn expiry_style(app: &Ctx, w: &WorkloadReport) -> Style {
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
        Some((at, life)) => style::countdown(t, at - app.now, Some(life)),
        None => t.muted,
    }
}

fn worst_cell<'a>(
    app: &Ctx,
    f: Option<&Finding>,
    cells: usize,
    sty: &dyn Fn(Style) -> Style,
) -> Cell<'a> {
    let t = &app.theme;
    let spans = match f {
        None => vec![Span::styled("healthy", sty(t.muted))],
        Some(fd) => vec![
            Span::styled(
                format!("{} ", fd.code.as_str()),
                sty(style::severity(t, fd.severity)),
            ),
            Span::styled(safe::terminal(&fd.message).into_owned(), sty(t.text)),
        ],
    };
    Cell::from(Line::from(fit::cut_spans(spans, cells)))
}

fn header_name(c: Col, sort: Sort) -> String {
    let (name, sorted) = match c {
        Col::Icon => ("", false),
        Col::Namespace => ("NAMESPACE", sort == Sort::Namespace),
        Col::Kind => ("KIND", false),
        Col::Name => ("NAME", sort == Sort::Name),
        Col::Pods => ("PODS", false),
        Col::Via => ("VIA", false),
        Col::Expiry => ("EXPIRY", sort == Sort::Expiry),
        Col::Worst => ("WORST FINDING", sort == Sort::Severity),
    };
    if sorted {
        format!("{name}▾")
    } else {
        name.to_string()
    }
}

/// Global findings (Vault sealed, the injector down) above the rows: they
/// are shown the moment the header shows their cause.
fn global_lines<'a>(app: &Ctx, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    app.report
        .global
        .iter()
        .map(|f| {
            let sev = style::severity(t, f.severity);
            let line = Line::from(vec![
                Span::styled(format!("{} ", style::severity_icon(f.severity)), sev),
                Span::styled(format!("{} ", f.code.as_str()), sev),
                Span::styled(safe::terminal(&f.message).into_owned(), t.text),
            ]);
            fit::cut_line(line, width)
        })
        .collect()
}

/// Draws the list; returns how many rows it shows (the app pages by it).
pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) -> usize {
    let t = &app.theme;
    let visible = app.visible();
    let total = visible.len();
    let selected = app.selected();
    let inner_w = area.width.saturating_sub(2) as usize;
    let all = app.report.workloads.len();
    let title = if total == all {
        format!(" Workloads ({total}) ")
    } else {
        format!(" Workloads ({total} of {all}) ")
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(Span::styled(fit::cut(&title, inner_w), t.title));
    if total > 0 {
        block = block.title_bottom(
            Line::from(Span::styled(format!(" {}/{total} ", selected + 1), t.muted))
                .right_aligned(),
        );
    }
    let globals = global_lines(app, inner_w);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [top, table_area] = Layout::vertical([
        Constraint::Length((globals.len() as u16).min(inner.height / 2)),
        Constraint::Min(0),
    ])
    .areas(inner);
    if !globals.is_empty() {
        f.render_widget(Paragraph::new(globals), top);
    }
    let visible_rows = table_area.height.saturating_sub(1) as usize;
    if total == 0 {
        let msg = if app.report.workloads.is_empty() {
            "No workloads use Vault Agent injection or the Secrets Store CSI driver (yet)."
        } else {
            "No workload matches the filter. Esc clears it, 0 shows all namespaces."
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(msg, t.muted)))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            table_area,
        );
        return visible_rows;
    }
    // Keep the selection in view: scroll so it sits inside the window.
    let offset = selected.saturating_sub(visible_rows.saturating_sub(1));
    let window: Vec<&WorkloadReport> = visible
        .iter()
        .skip(offset)
        .take(visible_rows)
        .copied()
        .collect();
    let one_ns = app.ui.namespace.is_some() || app.ui.fixed_namespace.is_some();
    let cols = widths(&window, inner_w, one_ns);
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let i = n + offset;
            // On the selected row the row's own style wins, so text stays
            // readable on the highlight whatever the theme.
            let sel = i == selected;
            let sty = move |st: Style| if sel { Style::default() } else { st };
            let cells: Vec<Cell> = cols
                .iter()
                .map(|(c, cw, long)| {
                    let cut = |s: &str| fit::cut(s, *cw);
                    match c {
                        Col::Icon => Cell::from(Span::styled(
                            style::health_icon(w.health),
                            sty(style::health(t, w.health)),
                        )),
                        Col::Namespace => Cell::from(cut(&safe::terminal(&w.key.namespace))),
                        Col::Kind => Cell::from(Span::styled(
                            if *long {
                                cut(&safe::terminal(w.key.kind.as_str()))
                            } else {
                                cut(&safe::terminal(kind_short(&w.key.kind)))
                            },
                            sty(t.muted),
                        )),
                        Col::Name => Cell::from(Span::styled(
                            cut(&safe::terminal(&w.key.name)),
                            sty(t.title),
                        )),
                        Col::Pods => Cell::from(cut(&format!("{}/{}", w.pods_ready, w.pods.len()))),
                        Col::Via => Cell::from(cut(w.method.label())),
                        Col::Expiry => Cell::from(Span::styled(
                            cut(&expiry_text(app, w)),
                            sty(expiry_style(app, w)),
                        )),
                        Col::Worst => worst_cell(app, w.worst(), *cw, &sty),
                    }
                })
                .collect();
            let row = Row::new(cells);
            if sel {
                row.style(t.selected)
            } else {
                row.style(t.text)
            }
        })
        .collect();
    let header = Row::new(
        cols.iter()
            .map(|(c, cw, _)| fit::cut(&header_name(*c, app.ui.sort), *cw))
            .collect::<Vec<_>>(),
    )
    .style(t.muted);
    let table = Table::new(
        rows,
        cols.iter()
            .map(|(_, w, _)| Constraint::Length(*w as u16))
            .collect::<Vec<_>>(),
    )
    .header(header)
    .column_spacing(1);
    f.render_widget(table, table_area);
    visible_rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_kinds() {
        assert_eq!(kind_short(&WorkloadKind::StatefulSet), "sts");
        assert_eq!(kind_short(&WorkloadKind::Deployment), "deploy");
    }
}
