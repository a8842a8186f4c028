//! The workload pane's upper part: findings first (with evidence and fix),
//! then pods and agent containers, secrets, CSI mounts, leases and
//! certificates with live countdowns. It is laid out as one document of
//! rows, wrapped with continuation rows indented under their label, and
//! scrolled: every row can be reached, whatever the terminal's size.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{fit, safe_line, style};
use crate::app::Ctx;
use crate::app::pane::{Geometry, Part};
use crate::diagnose::evidence::readable;
use crate::diagnose::{Finding, WorkloadReport};
use crate::model::pod::{ContainerInfo, PodInfo, Tone};
use crate::model::vault::countdown;
use crate::safe;
use crate::theme::Theme;

/// Evidence lines shown per finding: a whole multi-error fits, a runaway
/// record does not flood the pane.
const MAX_EVIDENCE_LINES: usize = 40;

/// Where continuation rows of a finding's lines start (under the text after
/// `evidence ` and `fix      `).
const LABEL: usize = 13;

/// The pane's rows at one width, and where its parts start.
pub struct Doc<'a> {
    pub rows: Vec<Line<'a>>,
    pub sections: [Option<usize>; 5],
    pub findings: [Option<usize>; 32],
}

/// Logical lines, each with the column its continuation rows start at.
struct Builder<'a> {
    lines: Vec<(Line<'a>, usize)>,
    sections: [Option<usize>; 5],
    findings: [Option<usize>; 32],
}

impl<'a> Builder<'a> {
    fn push(&mut self, line: Line<'a>, indent: usize) {
        self.lines.push((line, indent));
    }

    fn section(&mut self, t: &Theme, part: Part, focus: Part, count: Option<usize>) {
        if let Some(i) = part.section() {
            self.sections[i] = Some(self.lines.len());
        }
        let title = match count {
            Some(n) => format!("{} ({n})", part.title()),
            None => part.title().to_string(),
        };
        let line = if part == focus {
            Line::from(vec![
                Span::styled("▶ ", t.accent),
                Span::styled(title, t.selected),
            ])
        } else {
            Line::from(Span::styled(format!("  {title}"), t.accent))
        };
        self.push(line, 2);
    }
}

fn container_state<'a>(
    t: &Theme,
    c: &ContainerInfo,
    pod: &PodInfo,
    now: DateTime<Utc>,
) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let (text, tone) = c.state_at(pod.created, now);
    let st = match tone {
        Tone::Quiet => t.muted,
        Tone::Plain => t.text,
        Tone::Good => t.ok,
        Tone::Stuck => t.warning,
        Tone::Bad => t.error,
    };
    spans.push(Span::styled(text, st));
    if c.restart_count > 0 {
        spans.push(Span::styled(
            format!(" · {} restarts", c.restart_count),
            t.warning,
        ));
        if let Some(last) = &c.last_termination {
            spans.push(Span::styled(
                format!(
                    " · last exit {} ({})",
                    last.exit_code,
                    last.reason.as_deref().unwrap_or("Error")
                ),
                t.muted,
            ));
        }
    }
    spans
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn pods<'a>(app: &Ctx, w: &WorkloadReport, b: &mut Builder<'a>) {
    let t = &app.theme;
    b.section(t, Part::Pods, app.ui.pane.focus, Some(w.pods.len()));
    if w.pods.is_empty() {
        b.push(
            Line::from(Span::styled(
                "    no pods: the controller could not create any (see findings)",
                t.warning,
            )),
            4,
        );
    }
    for (i, summary) in w.pods.iter().enumerate() {
        let marker = if i == app.ui.pod_index {
            "  ▸ "
        } else {
            "    "
        };
        // A finished Job's pod is done, not "not ready".
        let ready = if summary.phase == "Succeeded" {
            Span::styled("completed", t.ok)
        } else if summary.ready {
            Span::styled("ready", t.ok)
        } else {
            Span::styled("not ready", t.warning)
        };
        let mut head = vec![
            Span::styled(marker, t.accent),
            Span::styled(summary.name.clone(), t.title),
        ];
        if summary.phase != "Succeeded" {
            head.push(Span::raw("  "));
            head.push(Span::styled(summary.phase.clone(), t.text));
        }
        head.push(Span::raw("  "));
        head.push(ready);
        b.push(Line::from(head), 6);
        let Some(pod) = app.world.pod(&w.key.namespace, &summary.name) else {
            continue;
        };
        // `openbao-agent-init` is longer than vault-k8s's names.
        let width = pod
            .agent_containers()
            .map(|c| c.name.len() + 1)
            .fold(17, usize::max);
        for c in pod.agent_containers() {
            let mut spans = vec![Span::styled(format!("      {:<width$}", c.name), t.muted)];
            spans.extend(container_state(t, c, pod, app.now));
            b.push(Line::from(spans), 23);
        }
        if !pod.has_agent_containers() {
            for m in &summary.csi_mounts {
                let (text, st) = match &m.status {
                    Some(s) if s.mounted => (
                        format!(
                            "mounted · {}{}",
                            plural(s.objects.len(), "object", "objects"),
                            s.objects
                                .first()
                                .map(|o| format!(" · {} v{}", o.id, short(&o.version)))
                                .unwrap_or_default()
                        ),
                        t.ok,
                    ),
                    Some(_) => ("not mounted".to_string(), t.error),
                    None => ("no SecretProviderClassPodStatus".to_string(), t.warning),
                };
                b.push(
                    Line::from(vec![
                        Span::styled(
                            format!(
                                "      csi {} → {} ",
                                m.volume,
                                m.class.as_deref().unwrap_or("?")
                            ),
                            t.muted,
                        ),
                        Span::styled(text, st),
                    ]),
                    10,
                );
            }
        }
    }
}

/// Text from others cut to `n` characters is redacted first: a token cut
/// short no longer looks like one, and its first characters would show.
fn short(v: &str) -> String {
    safe::redact(v).chars().take(8).collect()
}

fn secrets<'a>(app: &Ctx, w: &WorkloadReport, b: &mut Builder<'a>) {
    let t = &app.theme;
    if w.secrets.is_empty() {
        return;
    }
    b.section(t, Part::Secrets, app.ui.pane.focus, Some(w.secrets.len()));
    let name_w = w
        .secrets
        .iter()
        .map(|s| fit::width(&s.name))
        .max()
        .unwrap_or(0)
        .clamp(8, 24);
    for s in &w.secrets {
        let rotated =
            w.kv.iter()
                .find(|k| k.data_path() == s.path || format!("{}/{}", k.mount, k.path) == s.path)
                .map(|k| format!("  v{}", k.current_version));
        b.push(
            Line::from(vec![
                Span::styled(
                    format!("    {} ", fit::pad(&safe::redact(&s.name), name_w)),
                    t.title,
                ),
                Span::styled(format!("{:<6}", s.via), t.muted),
                Span::styled(s.path.clone(), t.text),
                Span::styled(format!(" → {}", s.target), t.muted),
                Span::styled(
                    s.perms
                        .as_ref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default(),
                    t.muted,
                ),
                Span::styled(rotated.unwrap_or_default(), t.info),
            ]),
            name_w + 11,
        );
    }
}

/// Each agent secret's rotation timeline (see [`super::timeline`]).
fn rotations<'a>(app: &Ctx, w: &WorkloadReport, width: usize, b: &mut Builder<'a>) {
    if w.rotations.is_empty() {
        return;
    }
    b.section(
        app.theme,
        Part::Rotations,
        app.ui.pane.focus,
        Some(w.rotations.len()),
    );
    for r in &w.rotations {
        for line in super::timeline::rows(app, w, r, width) {
            b.push(line, 4);
        }
    }
}

/// The width of the name column of countdown rows: whole lease ids when
/// the pane is wide, cut with `…` when it is not.
fn id_width(width: usize, longest: usize) -> usize {
    // "    " + id + " " + 12-cell bar + " " + 7-cell countdown + room for
    // "  renewable · max TTL in 27m20s".
    let room = width.saturating_sub(4 + 1 + 12 + 8 + 34);
    longest.min(room.max(16))
}

fn expiries<'a>(app: &Ctx, w: &WorkloadReport, width: usize, b: &mut Builder<'a>) {
    let t = &app.theme;
    if w.leases.is_empty() && w.certificates.is_empty() && w.kv.is_empty() && w.tokens.is_empty() {
        return;
    }
    b.section(t, Part::Expiries, app.ui.pane.focus, None);
    let now = app.now;
    let tokens: Vec<String> = w
        .tokens
        .iter()
        .map(|tok| {
            format!(
                "token {}/{}",
                tok.service_account_namespace, tok.service_account_name
            )
        })
        .collect();
    let longest = w
        .leases
        .iter()
        .map(|l| fit::width(&l.id))
        .chain(
            w.certificates
                .iter()
                .map(|c| fit::width(&c.common_name) + 5),
        )
        .chain(w.kv.iter().map(|k| fit::width(&k.data_path()) + 5))
        .chain(tokens.iter().map(|s| fit::width(s)))
        .max()
        .unwrap_or(0);
    let idw = id_width(width, longest);
    let name = |s: &str| format!("    {} ", fit::pad(&safe::redact(s), idw));
    let cont = 4 + idw + 1;
    for l in &w.leases {
        let (Some(exp), Some(start)) = (l.expire_time, l.last_renewal.or(l.issue_time)) else {
            continue;
        };
        let left = exp - now;
        let life = exp - start;
        let frac = left.num_milliseconds() as f64 / life.num_milliseconds().max(1) as f64;
        let st = style::countdown(t, left, Some(life));
        let mut spans = vec![
            Span::styled(name(&l.id), t.text),
            Span::styled(style::bar(frac, 12), st),
            Span::styled(format!(" {:>7}", countdown(left)), st),
        ];
        spans.push(Span::styled(
            if l.renewable {
                "  renewable"
            } else {
                "  not renewable"
            },
            t.muted,
        ));
        if let Some(end) = l.hard_end() {
            spans.push(Span::styled(
                format!(" · max TTL in {}", countdown(end - now)),
                t.muted,
            ));
        }
        if let Some(r) = l.last_renewal {
            spans.push(Span::styled(
                format!(" · renewed {} ago", countdown(now - r)),
                t.muted,
            ));
        }
        b.push(Line::from(spans), cont);
    }
    if w.lease_count > w.leases.len() {
        b.push(
            Line::from(Span::styled(
                format!(
                    "    … {} more leases (the soonest are shown)",
                    w.lease_count - w.leases.len()
                ),
                t.muted,
            )),
            4,
        );
    }
    for c in &w.certificates {
        let left = c.remaining(now);
        let life = c.lifetime();
        let frac = life.map_or(1.0, |l| {
            left.num_milliseconds() as f64 / l.num_milliseconds().max(1) as f64
        });
        let st = style::countdown(t, left, life);
        b.push(
            Line::from(vec![
                Span::styled(name(&format!("cert {}", c.common_name)), t.text),
                Span::styled(style::bar(frac, 12), st),
                Span::styled(format!(" {:>7}", countdown(left)), st),
                Span::styled(format!("  serial {}", fit::cut(&c.serial, 23)), t.muted),
            ]),
            cont,
        );
    }
    for k in &w.kv {
        let ago = k
            .updated_time
            .map(|u| format!("rotated {} ago", countdown(now - u)))
            .unwrap_or_default();
        b.push(
            Line::from(vec![
                Span::styled(name(&format!("kv   {}", k.data_path())), t.text),
                Span::styled(format!("v{}  ", k.current_version), t.info),
                Span::styled(ago, t.muted),
            ]),
            cont,
        );
    }
    for (tok, who) in w.tokens.iter().zip(&tokens) {
        let Some(left) = tok.remaining(now) else {
            continue;
        };
        let life = tok.issue_time.zip(tok.expire_time).map(|(i, e)| e - i);
        let frac = life.map_or(1.0, |l| {
            left.num_milliseconds() as f64 / l.num_milliseconds().max(1) as f64
        });
        let st = style::countdown(t, left, life);
        b.push(
            Line::from(vec![
                Span::styled(name(who), t.text),
                Span::styled(style::bar(frac, 12), st),
                Span::styled(format!(" {:>7}", countdown(left)), st),
                Span::styled(
                    format!("  role {}", tok.role.as_deref().unwrap_or("?")),
                    t.muted,
                ),
            ]),
            cont,
        );
    }
}

fn finding<'a>(t: &Theme, f: &Finding, chosen: bool, b: &mut Builder<'a>) {
    let sev = style::severity(t, f.severity);
    let mut head = vec![
        Span::styled(if chosen { "  ▸ " } else { "    " }, t.accent),
        Span::styled(format!("{} ", style::severity_icon(f.severity)), sev),
        Span::styled(f.code.as_str().to_string(), sev),
        Span::styled(format!(" [{}]", f.via.as_str()), t.muted),
    ];
    if let Some(p) = &f.pod {
        head.push(Span::styled(format!(" {p}"), t.muted));
    }
    b.push(Line::from(head), 6);
    b.push(
        Line::from(Span::styled(format!("      {}", f.message), t.text)),
        6,
    );
    if let Some(e) = &f.evidence {
        let lines = readable(e);
        let more = lines.len().saturating_sub(MAX_EVIDENCE_LINES);
        for (i, l) in lines.into_iter().take(MAX_EVIDENCE_LINES).enumerate() {
            let label = if i == 0 {
                "      evidence "
            } else {
                "               "
            };
            // The readable form indents nested lines: keep that under the
            // label, and wrap under the nesting.
            let nest = l.len() - l.trim_start().len();
            b.push(
                Line::from(vec![
                    Span::styled(label, t.muted),
                    Span::styled(l, t.evidence),
                ]),
                LABEL + 2 + nest,
            );
        }
        if more > 0 {
            b.push(
                Line::from(Span::styled(
                    format!("               … {more} more lines (y copies them all)"),
                    t.muted,
                )),
                LABEL + 2,
            );
        }
    }
    if !f.hint.is_empty() {
        b.push(
            Line::from(vec![
                Span::styled("      fix      ", t.muted),
                Span::styled(f.hint.clone(), t.key),
            ]),
            LABEL + 2,
        );
    }
}

fn findings<'a>(app: &Ctx, w: &WorkloadReport, b: &mut Builder<'a>) {
    let t = &app.theme;
    let n = app.report.global.len() + w.findings.len();
    b.section(t, Part::Findings, app.ui.pane.focus, Some(n));
    // Vault sealed, the injector down: they hold back every workload.
    for f in &app.report.global {
        finding(t, f, false, b);
    }
    if w.findings.is_empty() && app.report.global.is_empty() {
        b.push(
            Line::from(Span::styled("    none: secrets are flowing", t.ok)),
            4,
        );
    }
    let chosen = app.ui.pane.finding.min(w.findings.len().saturating_sub(1));
    for (i, f) in w.findings.iter().enumerate() {
        if let Some(slot) = b.findings.get_mut(i) {
            *slot = Some(b.lines.len());
        }
        finding(t, f, i == chosen && w.findings.len() > 1, b);
    }
}

/// The pane's rows at `width` cells.
pub fn doc<'a>(app: &Ctx, w: &WorkloadReport, width: usize) -> Doc<'a> {
    let mut b = Builder {
        lines: Vec::new(),
        sections: [None; 5],
        findings: [None; 32],
    };
    findings(app, w, &mut b);
    pods(app, w, &mut b);
    secrets(app, w, &mut b);
    expiries(app, w, width, &mut b);
    rotations(app, w, width, &mut b);
    // Logical lines to rows: wrap each (made safe first, so escapes count).
    let mut rows = Vec::new();
    let mut starts = Vec::with_capacity(b.lines.len());
    for (line, indent) in b.lines {
        starts.push(rows.len());
        rows.extend(fit::wrap(safe_line(line), width, indent));
    }
    let to_row = |i: Option<usize>| i.and_then(|i| starts.get(i).copied());
    Doc {
        rows,
        sections: b.sections.map(to_row),
        findings: b.findings.map(to_row),
    }
}

/// Draw the upper part of the pane in `area` from its rows; the geometry
/// goes back to the app for scrolling.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    app: &Ctx,
    w: &WorkloadReport,
    doc: Doc<'_>,
    g: &mut Geometry,
) {
    let t = &app.theme;
    let inner_rows = area.height.saturating_sub(2) as usize;
    let len = doc.rows.len();
    let top = app.ui.pane.top.min(len.saturating_sub(inner_rows));
    g.pane_rows = inner_rows;
    g.pane_len = len;
    g.sections = doc.sections;
    g.findings = doc.findings;
    let title = safe_line(Line::from(vec![
        Span::styled(
            format!(" {} ", style::health_icon(w.health)),
            style::health(t, w.health),
        ),
        Span::styled(
            format!("{} / {} ", w.key.namespace, w.key.kind.as_str()),
            t.muted,
        ),
        Span::styled(format!("{} ", w.key.name), t.title),
        Span::styled(format!("· {} ", w.method_label()), t.muted),
    ]));
    let title = fit::cut_line(title, area.width.saturating_sub(4) as usize);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(if app.ui.pane.focus == Part::Log {
            t.border_style
        } else {
            t.accent
        })
        .title(title);
    if len > inner_rows {
        let below = len - top - inner_rows.min(len - top);
        let mark = match (top > 0, below > 0) {
            (true, true) => "↑↓",
            (false, true) => "↓",
            _ => "↑",
        };
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(
                    " {mark} rows {}–{} of {len} ",
                    top + 1,
                    top + inner_rows.min(len)
                ),
                t.muted,
            ))
            .right_aligned(),
        );
    }
    let rows: Vec<Line> = doc.rows.into_iter().skip(top).take(inner_rows).collect();
    f.render_widget(Paragraph::new(rows).block(block), area);
}
