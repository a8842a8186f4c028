//! The Leases view: every lease, certificate and KV secret as one table,
//! drawn like the workload list (rows that fit, columns that give way by
//! priority on narrow terminals, cuts that end in `…`).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{fit, style};
use crate::app::Ctx;
use crate::app::leases::{Kind, LeaseRow, LeaseSort, RowState};
use crate::model::vault::countdown;
use crate::safe;
use crate::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    State,
    Kind,
    Name,
    Expires,
    Renew,
    Changed,
    Workload,
    Pods,
}

/// Display order.
const ORDER: [Col; 8] = [
    Col::State,
    Col::Kind,
    Col::Name,
    Col::Expires,
    Col::Renew,
    Col::Changed,
    Col::Workload,
    Col::Pods,
];

pub fn state_style(t: &Theme, s: RowState) -> Style {
    match s {
        RowState::Stale => t.error,
        RowState::Expiring => t.warning,
        RowState::Rotating => t.info,
        RowState::Fresh => t.ok,
    }
}

fn workload_text(r: &LeaseRow<'_>) -> String {
    let k = r.key();
    format!("{}/{}", k.namespace, k.name)
}

fn pods_text(r: &LeaseRow<'_>) -> String {
    match r.pods.as_slice() {
        [] => "—".into(),
        [one] => (*one).to_string(),
        // The count first: a cut name still says how many pods.
        many => format!("({}) {}", many.len(), many[0]),
    }
}

fn changed_text(r: &LeaseRow<'_>, now: DateTime<Utc>) -> String {
    match r.changed {
        None => "—".into(),
        Some(t) => format!(
            "{} {} ago",
            match (r.kind, r.renewed) {
                (_, true) => "renewed",
                (Kind::Lease, false) => "issued",
                (Kind::Certificate, _) => "issued",
                (Kind::Kv, _) => "written",
            },
            countdown(now - t)
        ),
    }
}

fn name_text(r: &LeaseRow<'_>) -> String {
    // A lease id is not a secret, but text from Vault is redacted wherever
    // it is shown cut (a token cut short would not look like one).
    safe::terminal(&safe::redact(&r.name)).into_owned()
}

/// A name that does not fit keeps its last two path segments (a lease's
/// role and random id, a KV secret's folder and name): the mount and
/// `creds/` are the same on every row.
fn short_name(name: &str, cells: usize) -> String {
    if fit::width(name) <= cells {
        return name.to_string();
    }
    let segments: Vec<&str> = name.rsplitn(3, '/').collect();
    if segments.len() < 3 {
        return fit::cut(name, cells);
    }
    let tail = format!("{}{}/{}", fit::ELLIPSIS, segments[1], segments[0]);
    fit::cut(&tail, cells)
}

/// Column widths for `width` cells, by priority; NAME, WORKLOAD and PODS
/// share what is left.
fn widths(rows: &[LeaseRow<'_>], width: usize) -> Vec<(Col, usize)> {
    let longest = |f: &dyn Fn(&LeaseRow<'_>) -> usize, least: usize| {
        rows.iter().map(f).max().unwrap_or(0).max(least)
    };
    let name = longest(&|r| fit::width(&name_text(r)), 4);
    let workload = longest(&|r| fit::width(&workload_text(r)), 8);
    let pods = longest(&|r| fit::width(&pods_text(r)), 4);
    // (column, least, most), by priority.
    let want = [
        (Col::State, 8, 8),
        (Col::Name, name.min(14), name),
        (Col::Expires, 8, 8),
        (Col::Workload, workload.min(12), workload),
        (Col::Changed, 16, 18),
        (Col::Renew, 5, 5),
        (Col::Kind, 5, 5),
        (Col::Pods, pods.min(8), pods),
    ];
    let mut chosen: Vec<(Col, usize, usize)> = Vec::new();
    let mut used = 0;
    for (c, least, most) in want {
        let need = least + usize::from(!chosen.is_empty());
        if used + need <= width || matches!(c, Col::State | Col::Name) {
            used += need;
            chosen.push((c, least, most));
        }
    }
    // Grow in priority order with what is left: the whole lease id first
    // (its random tail tells two leases of one role apart).
    let mut out: Vec<(Col, usize)> = Vec::new();
    let mut room = width.saturating_sub(used);
    for (c, least, most) in &chosen {
        let grow = (most - least).min(room);
        room -= grow;
        out.push((*c, least + grow));
    }
    // What no column wants goes to the name.
    if let Some(n) = out.iter_mut().find(|(c, _)| *c == Col::Name) {
        n.1 += room;
    }
    ORDER
        .iter()
        .filter_map(|c| out.iter().find(|(x, _)| x == c).copied())
        .collect()
}

fn header_name(c: Col, sort: LeaseSort) -> String {
    let (name, sorted) = match c {
        Col::State => ("STATE", sort == LeaseSort::State),
        Col::Kind => ("KIND", false),
        Col::Name => ("NAME", sort == LeaseSort::Name),
        Col::Expires => ("EXPIRES", sort == LeaseSort::Expiry),
        Col::Renew => ("RENEW", false),
        Col::Changed => ("LAST CHANGE", false),
        Col::Workload => ("WORKLOAD", sort == LeaseSort::Workload),
        Col::Pods => ("PODS", false),
    };
    if sorted {
        format!("{name}▾")
    } else {
        name.to_string()
    }
}

fn cell<'a>(
    app: &Ctx,
    r: &LeaseRow<'_>,
    c: Col,
    w: usize,
    sty: &dyn Fn(Style) -> Style,
) -> Cell<'a> {
    let t = &app.theme;
    let now = app.now;
    let cut = |s: &str| fit::cut(s, w);
    match c {
        Col::State => Cell::from(Span::styled(
            cut(r.state.label()),
            sty(state_style(t, r.state)),
        )),
        Col::Kind => Cell::from(Span::styled(cut(r.kind.label()), sty(t.muted))),
        Col::Name => Cell::from(Span::styled(short_name(&name_text(r), w), sty(t.title))),
        Col::Expires => match r.expires {
            Some(e) => Cell::from(Span::styled(
                format!("{:>w$}", cut(&countdown(e - now))),
                sty(style::countdown(t, e - now, r.period)),
            )),
            None => Cell::from(Span::styled(format!("{:>w$}", "—"), sty(t.muted))),
        },
        Col::Renew => Cell::from(Span::styled(
            cut(match (r.kind, r.renewable) {
                (_, Some(true)) => "yes",
                (_, Some(false)) => "no",
                (Kind::Certificate, None) => "no",
                _ => "—",
            }),
            sty(t.muted),
        )),
        Col::Changed => Cell::from(Span::styled(cut(&changed_text(r, now)), sty(t.muted))),
        Col::Workload => Cell::from(Span::styled(
            cut(&safe::terminal(&workload_text(r))),
            sty(t.text),
        )),
        Col::Pods => Cell::from(Span::styled(
            cut(&safe::terminal(&pods_text(r))),
            sty(t.muted),
        )),
    }
}

/// Draws the view; returns how many rows it shows (the app pages by it).
pub fn draw(f: &mut Frame, area: Rect, app: &Ctx) -> usize {
    let t = &app.theme;
    let rows = app.lease_rows();
    let total = rows.len();
    let selected = app.lease_selected();
    let inner_w = area.width.saturating_sub(2) as usize;
    let sort = app.ui.leases.as_ref().map(|l| l.sort).unwrap_or_default();
    let title = format!(" Leases, certificates and KV secrets ({total}) ");
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(Span::styled(fit::cut(&title, inner_w), t.title));
    if total > 0 {
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {}/{total} · {} ", selected + 1, sort.label()),
                t.muted,
            ))
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let visible_rows = inner.height.saturating_sub(1) as usize;
    if total == 0 {
        let msg = if app.ui.filter.trim().is_empty() {
            "No lease, certificate or KV secret seen yet (Vault is read when a workload uses it)."
        } else {
            "Nothing matches the filter. Esc clears it, 0 shows all namespaces."
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(msg, t.muted)))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return visible_rows;
    }
    let offset = selected.saturating_sub(visible_rows.saturating_sub(1));
    let window: Vec<LeaseRow<'_>> = rows
        .iter()
        .skip(offset)
        .take(visible_rows)
        .cloned()
        .collect();
    let cols = widths(&window, inner_w);
    let table_rows: Vec<Row> = window
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let sel = n + offset == selected;
            let sty = move |st: Style| if sel { Style::default() } else { st };
            let cells: Vec<Cell> = cols
                .iter()
                .map(|(c, w)| cell(app, r, *c, *w, &sty))
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
            .map(|(c, w)| fit::cut(&header_name(*c, sort), *w))
            .collect::<Vec<_>>(),
    )
    .style(t.muted);
    let table = Table::new(
        table_rows,
        cols.iter()
            .map(|(_, w)| Constraint::Length(*w as u16))
            .collect::<Vec<_>>(),
    )
    .header(header)
    .column_spacing(1);
    f.render_widget(table, inner);
    visible_rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_their_tail() {
        let id = "database/creds/billing/RE5fsSb4qxcchWpeJJJtSjF9";
        assert_eq!(short_name(id, 60), id);
        assert_eq!(short_name(id, 20), "…billing/RE5fsSb4qx…");
        assert_eq!(short_name("secret/data/app/config", 12), "…app/config");
        assert_eq!(short_name("web.shop.svc.cluster.local", 8), "web.sho…");
    }
}
