//! The rotation timeline of one secret, for the workload pane: Vault's
//! changes and each pod's renders on one time axis, the lag as a number,
//! and the TTL of its newest lease or certificate as a sparkline (ratatui's
//! own `Sparkline`, drawn into a scratch buffer so it scrolls with the rest
//! of the pane's rows) where the renewals draw a sawtooth and a re-issue a
//! new tooth.
//!
//! Rows are built to the pane's width exactly: nothing wraps, a narrow pane
//! gets a shorter axis and cut labels.

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use super::fit;
use crate::app::Ctx;
use crate::app::history::{Change, SecretHistory};
use crate::diagnose::WorkloadReport;
use crate::diagnose::rotation::{PodRender, RenderState, SecretRotation, VaultChange};
use crate::model::vault::countdown;
use crate::safe;
use crate::theme::Theme;

/// Pods drawn per secret; the rest are counted (worst first, so a stale pod
/// is never the one left out).
const MAX_PODS: usize = 6;

/// The spans the axis may cover: the smallest that holds the last two
/// changes (so the gap between rotations shows), at least five minutes.
const WINDOWS: [i64; 8] = [300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 24 * 3600];

/// Cells of the label column (after its 6-cell indent) on a narrow and a
/// wide pane, and of the tail (lag and state, or the TTL left).
const LABEL: usize = 18;
const WIDE_LABEL: usize = 32;
const TAIL: usize = 19;

/// A pod name cut from the left: pods of one workload share the head and
/// differ in the tail (`…f6b54-h8w2z`).
fn cut_left(s: &str, cells: usize) -> String {
    if fit::width(s) <= cells {
        return s.to_string();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let w = fit::width(c.encode_utf8(&mut [0; 4]));
        if used + w > cells {
            break;
        }
        used += w;
        tail.push(c);
    }
    std::iter::once(fit::ELLIPSIS)
        .chain(tail.into_iter().rev())
        .collect()
}

/// The axis's span: from `now - window` to `now`.
fn window(h: Option<&SecretHistory>, change: Option<DateTime<Utc>>, now: DateTime<Utc>) -> i64 {
    let now_s = now.timestamp();
    let mut oldest = change.map(|c| c.timestamp()).unwrap_or(now_s);
    if let Some(h) = h {
        let n = h.changes.len();
        if let Some(prev) = h.changes.get(n.saturating_sub(2)) {
            oldest = oldest.min(prev.at);
        }
    }
    let need = (now_s - oldest) * 6 / 5;
    WINDOWS
        .iter()
        .copied()
        .find(|w| *w >= need)
        .unwrap_or(WINDOWS[WINDOWS.len() - 1])
}

/// The column of `at` on an axis of `cells` cells ending at `now`.
fn column(at: i64, now: i64, span: i64, cells: usize) -> Option<usize> {
    let from = now - span;
    if at < from || at > now || cells == 0 {
        return None;
    }
    let x = ((at - from) as i128 * cells as i128 / (span as i128 + 1)) as usize;
    Some(x.min(cells - 1))
}

fn marks<'a>(
    times: impl Iterator<Item = i64>,
    glyph: &str,
    now: i64,
    span: i64,
    cells: usize,
    on: Style,
    off: Style,
) -> Vec<Span<'a>> {
    let mut hit = vec![false; cells];
    for t in times {
        if let Some(x) = column(t, now, span, cells) {
            hit[x] = true;
        }
    }
    let mut out: Vec<Span<'a>> = Vec::new();
    let mut run = String::new();
    let mut run_on = false;
    for h in hit {
        if h != run_on && !run.is_empty() {
            out.push(Span::styled(
                std::mem::take(&mut run),
                if run_on { on } else { off },
            ));
        }
        run_on = h;
        run.push_str(if h { glyph } else { "·" });
    }
    if !run.is_empty() {
        out.push(Span::styled(run, if run_on { on } else { off }));
    }
    out
}

fn label<'a>(text: &str, cells: usize, st: Style) -> Span<'a> {
    let text = safe::terminal(text);
    Span::styled(
        format!("      {} ", fit::pad(&cut_left(&text, cells), cells)),
        st,
    )
}

fn tail<'a>(spans: Vec<Span<'a>>) -> Vec<Span<'a>> {
    let mut out = vec![Span::raw(" ")];
    out.extend(fit::cut_spans(spans, TAIL));
    out
}

fn state_word(t: &Theme, p: &PodRender) -> (String, Style) {
    match p.state {
        RenderState::Current => ("current".into(), t.ok),
        RenderState::Due => ("due".into(), t.info),
        RenderState::Stale => ("STALE".into(), t.error),
        RenderState::Unknown => ("unknown".into(), t.muted),
    }
}

/// The TTL sparkline: ratatui's widget drawn into a buffer of `cells` ×
/// `height`, read back as lines.
fn sparkline<'a>(
    t: &Theme,
    h: &SecretHistory,
    now: i64,
    span: i64,
    cells: usize,
    height: u16,
) -> Vec<Vec<Span<'a>>> {
    let from = now - span;
    let data: Vec<Option<u64>> = (0..cells)
        .map(|x| {
            let at = from + (x as i64 * span + span / 2) / cells.max(1) as i64;
            h.ttl_at(at).map(|v| v as u64)
        })
        .collect();
    let max = h
        .ttl
        .iter()
        .map(|p| (p.expires - p.at).max(1) as u64)
        .max()
        .unwrap_or(1);
    let area = Rect::new(0, 0, cells as u16, height);
    let mut buf = Buffer::empty(area);
    Sparkline::default()
        .data(&data)
        .max(max)
        .style(t.info)
        .absent_value_symbol("·")
        .absent_value_style(t.muted)
        .render(area, &mut buf);
    (0..height)
        .map(|y| {
            let mut spans: Vec<Span<'a>> = Vec::new();
            for x in 0..cells as u16 {
                let c = &buf[(x, y)];
                let sym = if c.symbol().trim().is_empty() {
                    " "
                } else {
                    c.symbol()
                };
                let st = c.style();
                match spans.last_mut() {
                    Some(s) if s.style == st => s.content.to_mut().push_str(sym),
                    _ => spans.push(Span::styled(sym.to_string(), st)),
                }
            }
            spans
        })
        .collect()
}

fn change_text(c: &VaultChange, now: DateTime<Utc>) -> String {
    let ago = countdown(now - c.at());
    match c {
        VaultChange::KvVersion { version, .. } => format!("kv v{version} written {ago} ago"),
        VaultChange::LeaseIssued { .. } => format!("new lease {ago} ago"),
        VaultChange::CertificateIssued { .. } => format!("new certificate {ago} ago"),
    }
}

/// The rows of one secret's timeline at `width` cells.
pub fn rows<'a>(app: &Ctx, w: &WorkloadReport, r: &SecretRotation, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let now = app.now;
    let now_s = now.timestamp();
    let key = crate::app::leases::rotation_key(r, w);
    let h = key.as_deref().and_then(|k| app.history.secret(k));
    let span = window(h, r.last_change.as_ref().map(VaultChange::at), now);
    let longest = r.pods.iter().map(|p| fit::width(&p.pod)).max().unwrap_or(0);
    let lw = longest.clamp(5, if width >= 120 { WIDE_LABEL } else { LABEL });
    let cells = width.saturating_sub(6 + lw + 1 + 1 + TAIL).max(8);
    let mut out = Vec::new();

    // The secret, and what Vault did last.
    let seen = h.map_or(0, |h| h.changes.len());
    let mut head = vec![
        Span::styled(format!("    {} ", safe::redact(&r.name)), t.title),
        Span::styled(
            match &r.last_change {
                Some(c) => change_text(c, now),
                None => "no change in Vault seen".into(),
            },
            t.text,
        ),
    ];
    let current = r
        .pods
        .iter()
        .filter(|p| p.state == RenderState::Current)
        .count();
    // "Current" means holding Vault's last change: without one, nothing to count.
    if !r.pods.is_empty() && r.last_change.is_some() {
        let st = if current == r.pods.len() {
            t.ok
        } else {
            t.warning
        };
        head.push(Span::styled(
            format!(" · {current}/{} pods current", r.pods.len()),
            st,
        ));
    }
    if seen > 1 {
        head.push(Span::styled(format!(" · {seen} changes seen"), t.muted));
    }
    // Nothing on either side yet (the agent cannot log in, Vault is not
    // read): one line says so, not an empty axis.
    let rendered = r.pods.iter().any(|p| {
        p.last_render.is_some()
            || app
                .history
                .renders(&w.key.namespace, &p.pod, &r.file)
                .is_some_and(|v| !v.is_empty())
    });
    if r.last_change.is_none() && h.is_none() && !rendered {
        head.push(Span::styled(" · no render in the log", t.muted));
        return vec![fit::cut_line(Line::from(head), width)];
    }
    out.push(fit::cut_line(Line::from(head), width));

    // Vault's changes.
    let mut vault = vec![label("vault", lw, t.muted)];
    let times: Vec<i64> = match h {
        Some(h) => h.changes.iter().map(|c| c.at).collect(),
        None => r.last_change.iter().map(|c| c.at().timestamp()).collect(),
    };
    vault.extend(marks(
        times.into_iter(),
        "◆",
        now_s,
        span,
        cells,
        t.accent,
        t.muted,
    ));
    let what = match h.and_then(|h| h.changes.back()).map(|c| c.change) {
        Some(Change::Kv(v)) => format!("v{v}"),
        Some(Change::Lease) => "lease".into(),
        Some(Change::Certificate) => "cert".into(),
        None => String::new(),
    };
    vault.extend(tail(vec![Span::styled(what, t.accent)]));
    out.push(Line::from(vault));

    // Each pod's renders, worst first.
    let mut pods: Vec<&PodRender> = r.pods.iter().collect();
    pods.sort_by_key(|p| match p.state {
        RenderState::Stale => 0,
        RenderState::Due => 1,
        RenderState::Unknown => 2,
        RenderState::Current => 3,
    });
    for p in pods.iter().take(MAX_PODS) {
        let mut row = vec![label(&p.pod, lw, t.text)];
        let renders: Vec<i64> = app
            .history
            .renders(&w.key.namespace, &p.pod, &r.file)
            .map(|v| v.iter().copied().collect())
            .unwrap_or_else(|| p.last_render.iter().map(|t| t.timestamp()).collect());
        row.extend(marks(
            renders.into_iter(),
            "●",
            now_s,
            span,
            cells,
            t.ok,
            t.muted,
        ));
        let (word, st) = state_word(t, p);
        let lag = p
            .lag_seconds
            .map(|l| format!("lag {} ", countdown(Duration::seconds(l))))
            .unwrap_or_default();
        let tail_spans = match (p.state, p.last_render) {
            // Nothing to measure a lag against: when it last rendered.
            (RenderState::Unknown, Some(at)) => vec![Span::styled(
                format!("rendered {} ago", countdown(now - at)),
                t.muted,
            )],
            _ => vec![Span::styled(lag, t.text), Span::styled(word, st)],
        };
        row.extend(tail(tail_spans));
        out.push(Line::from(row));
    }
    if pods.len() > MAX_PODS {
        out.push(Line::from(Span::styled(
            format!("      … {} more pods", pods.len() - MAX_PODS),
            t.muted,
        )));
    }

    // The TTL of the newest lease or certificate.
    if let Some(h) = h.filter(|h| !h.ttl.is_empty()) {
        let height = if width >= 120 { 2 } else { 1 };
        let lines = sparkline(t, h, now_s, span, cells, height);
        let left = h.ttl_at(now_s).unwrap_or(0);
        let n = lines.len();
        for (i, spans) in lines.into_iter().enumerate() {
            let mut row = vec![label(if i + 1 == n { "TTL" } else { "" }, lw, t.muted)];
            row.extend(spans);
            if i + 1 == n {
                row.extend(tail(vec![Span::styled(
                    format!("{} left", countdown(Duration::seconds(left))),
                    t.text,
                )]));
            }
            out.push(Line::from(row));
        }
    }

    // The axis: how far back, and now.
    // The axis: how far back, the legend when it fits, and now.
    let back = format!("-{}", countdown(Duration::seconds(span)));
    let legend = "◆ Vault changed  ● pod rendered";
    let room = cells.saturating_sub(fit::width(&back) + 3);
    let mid = if room >= fit::width(legend) + 4 {
        let pad = room - fit::width(legend);
        format!(
            "{}{legend}{}",
            " ".repeat(pad / 2),
            " ".repeat(pad - pad / 2)
        )
    } else {
        " ".repeat(room)
    };
    out.push(Line::from(vec![
        Span::raw(" ".repeat(6 + lw + 1)),
        Span::styled(format!("{back}{mid}now"), t.muted),
    ]));
    out.into_iter().map(|l| fit::cut_line(l, width)).collect()
}
