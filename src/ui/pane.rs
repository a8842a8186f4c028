//! The workload pane: pods and agent containers, secrets, CSI mounts, leases
//! and certificates with live countdowns, and findings with evidence and fix.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{safe_line, style};
use crate::app::Ctx;
use crate::diagnose::WorkloadReport;
use crate::model::pod::{ContainerInfo, PodInfo, Tone};
use crate::model::vault::countdown;
use crate::safe;
use crate::theme::Theme;

fn section<'a>(t: &Theme, title: &str) -> Line<'a> {
    Line::from(Span::styled(title.to_string(), t.accent))
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

fn pods<'a>(app: &Ctx, w: &WorkloadReport, out: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    out.push(section(t, "Pods"));
    if w.pods.is_empty() {
        out.push(Line::from(Span::styled(
            "  no pods: the controller could not create any (see findings)",
            t.warning,
        )));
    }
    for (i, summary) in w.pods.iter().enumerate() {
        let marker = if i == app.ui.pod_index { "▸ " } else { "  " };
        let ready = if summary.ready {
            Span::styled("ready", t.ok)
        } else {
            Span::styled("not ready", t.warning)
        };
        out.push(Line::from(vec![
            Span::styled(marker, t.accent),
            Span::styled(summary.name.clone(), t.title),
            Span::raw("  "),
            Span::styled(summary.phase.clone(), t.text),
            Span::raw("  "),
            ready,
        ]));
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
            out.push(Line::from(spans));
        }
        if !pod.has_agent_containers() {
            for m in &summary.csi_mounts {
                let (text, st) = match &m.status {
                    Some(s) if s.mounted => (
                        format!(
                            "mounted · {} objects{}",
                            s.objects.len(),
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
                out.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "      csi {} → {} ",
                            m.volume,
                            m.class.as_deref().unwrap_or("?")
                        ),
                        t.muted,
                    ),
                    Span::styled(text, st),
                ]));
            }
        }
    }
}

/// Text from others cut to `n` characters is redacted first: a token cut
/// short no longer looks like one, and its first characters would show.
fn short(v: &str) -> String {
    safe::redact(v).chars().take(8).collect()
}

fn secrets<'a>(t: &Theme, w: &WorkloadReport, out: &mut Vec<Line<'a>>) {
    if w.secrets.is_empty() {
        return;
    }
    out.push(section(t, "Secrets"));
    for s in &w.secrets {
        let rotated =
            w.kv.iter()
                .find(|k| k.data_path() == s.path || format!("{}/{}", k.mount, k.path) == s.path)
                .map(|k| format!("  v{}", k.current_version));
        out.push(Line::from(vec![
            Span::styled(format!("  {:<16} ", s.name), t.title),
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
        ]));
    }
}

fn expiries<'a>(app: &Ctx, w: &WorkloadReport, out: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    if w.leases.is_empty() && w.certificates.is_empty() && w.kv.is_empty() && w.tokens.is_empty() {
        return;
    }
    out.push(section(t, "Leases, certificates and rotations"));
    let now = app.now;
    for l in &w.leases {
        let (Some(exp), Some(start)) = (l.expire_time, l.last_renewal.or(l.issue_time)) else {
            continue;
        };
        let left = exp - now;
        let life = exp - start;
        let frac = left.num_milliseconds() as f64 / life.num_milliseconds().max(1) as f64;
        let st = style::countdown(t, left, Some(life));
        let mut spans = vec![
            Span::styled(format!("  {:<44}", ellipsize(&l.id, 44)), t.text),
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
        out.push(Line::from(spans));
    }
    for c in &w.certificates {
        let left = c.remaining(now);
        let life = c.lifetime();
        let frac = life.map_or(1.0, |l| {
            left.num_milliseconds() as f64 / l.num_milliseconds().max(1) as f64
        });
        let st = style::countdown(t, left, life);
        out.push(Line::from(vec![
            Span::styled(
                format!("  cert {:<39}", ellipsize(&c.common_name, 39)),
                t.text,
            ),
            Span::styled(style::bar(frac, 12), st),
            Span::styled(format!(" {:>7}", countdown(left)), st),
            Span::styled(format!("  serial {}", ellipsize(&c.serial, 23)), t.muted),
        ]));
    }
    for k in &w.kv {
        let ago = k
            .updated_time
            .map(|u| format!("rotated {} ago", countdown(now - u)))
            .unwrap_or_default();
        out.push(Line::from(vec![
            Span::styled(
                format!("  kv   {:<39}", ellipsize(&k.data_path(), 39)),
                t.text,
            ),
            Span::styled(format!("v{}  ", k.current_version), t.info),
            Span::styled(ago, t.muted),
        ]));
    }
    for tok in &w.tokens {
        let Some(left) = tok.remaining(now) else {
            continue;
        };
        let life = tok.issue_time.zip(tok.expire_time).map(|(i, e)| e - i);
        let frac = life.map_or(1.0, |l| {
            left.num_milliseconds() as f64 / l.num_milliseconds().max(1) as f64
        });
        let st = style::countdown(t, left, life);
        let who = format!(
            "token {}/{}",
            tok.service_account_namespace, tok.service_account_name
        );
        out.push(Line::from(vec![
            Span::styled(format!("  {:<44}", ellipsize(&who, 44)), t.text),
            Span::styled(style::bar(frac, 12), st),
            Span::styled(format!(" {:>7}", countdown(left)), st),
            Span::styled(
                format!("  role {}", tok.role.as_deref().unwrap_or("?")),
                t.muted,
            ),
        ]));
    }
}

/// Cut to `n` characters, redacted first (see [`short`]).
fn ellipsize(s: &str, n: usize) -> String {
    let s = safe::redact(s);
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn findings<'a>(t: &Theme, w: &WorkloadReport, out: &mut Vec<Line<'a>>) {
    out.push(section(t, "Findings"));
    if w.findings.is_empty() {
        out.push(Line::from(Span::styled(
            "  none: secrets are flowing",
            t.ok,
        )));
        return;
    }
    for f in &w.findings {
        let mut head = vec![
            Span::styled(
                format!("  {} ", style::severity_icon(f.severity)),
                style::severity(t, f.severity),
            ),
            Span::styled(f.code.as_str().to_string(), style::severity(t, f.severity)),
            Span::styled(format!(" [{}]", f.via.as_str()), t.muted),
        ];
        if let Some(p) = &f.pod {
            head.push(Span::styled(format!(" {p}"), t.muted));
        }
        out.push(Line::from(head));
        out.push(Line::from(Span::styled(
            format!("    {}", f.message),
            t.text,
        )));
        if let Some(e) = &f.evidence {
            for (i, l) in e.lines().take(8).enumerate() {
                let label = if i == 0 {
                    "    evidence "
                } else {
                    "             "
                };
                out.push(Line::from(vec![
                    Span::styled(label, t.muted),
                    Span::styled(l.to_string(), t.evidence),
                ]));
            }
        }
        if !f.hint.is_empty() {
            out.push(Line::from(vec![
                Span::styled("    fix      ", t.muted),
                Span::styled(f.hint.clone(), t.key),
            ]));
        }
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &Ctx, w: &WorkloadReport) {
    let t = &app.theme;
    let mut lines = Vec::new();
    pods(app, w, &mut lines);
    secrets(t, w, &mut lines);
    expiries(app, w, &mut lines);
    findings(t, w, &mut lines);
    let title = safe_line(Line::from(vec![
        Span::styled(
            format!(" {} ", style::health_icon(w.health)),
            style::health(t, w.health),
        ),
        Span::styled(format!("{} / {} ", w.key.namespace, w.key.kind), t.muted),
        Span::styled(format!("{} ", w.key.name), t.title),
        Span::styled(format!("· {} ", w.method_label()), t.muted),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(t.border)
        .border_style(t.border_style)
        .title(title);
    let lines: Vec<Line> = lines.into_iter().map(safe_line).collect();
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
