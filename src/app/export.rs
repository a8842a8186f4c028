//! Text the user takes away: a finding for the clipboard, a workload's
//! findings as Markdown for an incident channel, a pod's injection spec.
//! Pure; everything from others is made safe (no controls, secrets
//! redacted) before it leaves.

use chrono::{DateTime, Utc};

use crate::diagnose::evidence::readable;
use crate::diagnose::{Finding, Report, WorkloadReport};
use crate::model::annotations::{self, AnnotationProblem, PREFIX};
use crate::model::pod::PodInfo;
use crate::safe;

/// Text made safe to leave: each line without control characters and with
/// secrets redacted.
pub fn safe_text(text: &str) -> String {
    text.lines()
        .map(|l| safe::terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One finding as plain text: code, where, message, evidence, fix.
pub fn finding_text(f: &Finding) -> String {
    let mut out = format!(
        "{} [{}] {}",
        f.code.as_str(),
        f.severity.as_str(),
        f.message
    );
    if let Some(p) = &f.pod {
        out.push_str(&format!("\npod: {p}"));
        if let Some(c) = &f.container {
            out.push_str(&format!(" (container {c})"));
        }
    }
    if let Some(e) = &f.evidence {
        out.push_str("\nevidence:");
        for l in readable(e) {
            out.push_str(&format!("\n  {l}"));
        }
    }
    if !f.hint.is_empty() {
        out.push_str(&format!("\nfix: {}", f.hint));
    }
    safe_text(&out)
}

/// Markdown for one workload: what it is, Vault, and every finding with
/// its evidence in a code block.
pub fn markdown(w: &WorkloadReport, report: &Report, now: DateTime<Utc>) -> String {
    let mut md = format!(
        "### {} {}/{}: {}\n\n",
        w.health.as_str().to_uppercase(),
        w.key.namespace,
        w.key.name,
        w.key.kind.as_str()
    );
    md.push_str(&format!(
        "- as of {} · pods {}/{} ready · secrets via {}\n- Vault: {}\n",
        now.format("%Y-%m-%d %H:%M:%S UTC"),
        w.pods_ready,
        w.pods.len(),
        w.method.label(),
        report.vault.label()
    ));
    for f in &report.global {
        md.push_str(&format!("- **{}**: {}\n", f.code.as_str(), f.message));
    }
    if w.findings.is_empty() {
        md.push_str("\nNo findings: secrets are flowing.\n");
    }
    for f in &w.findings {
        md.push_str(&format!(
            "\n**{}** ({}, {})\n\n{}\n",
            f.code.as_str(),
            f.severity.as_str(),
            f.via.as_str(),
            f.message
        ));
        if let Some(p) = &f.pod {
            md.push_str(&format!("\n- pod `{p}`"));
            if let Some(c) = &f.container {
                md.push_str(&format!(", container `{c}`"));
            }
            md.push('\n');
        }
        if let Some(e) = &f.evidence {
            // A fence longer than any run of backticks in the evidence.
            let fence = "`".repeat(longest_run(e, '`').max(2) + 1);
            md.push_str(&format!("\n{fence}text\n"));
            for l in readable(e) {
                md.push_str(&l);
                md.push('\n');
            }
            md.push_str(&format!("{fence}\n"));
        }
        if !f.hint.is_empty() {
            md.push_str(&format!("\nFix: {}\n", f.hint));
        }
    }
    safe_text(&md) + "\n"
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A file name for an export: only safe characters of the names.
pub fn file_name(w: &WorkloadReport, now: DateTime<Utc>) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(63)
            .collect()
    };
    format!(
        "vaultscope-{}-{}-{}.md",
        clean(&w.key.namespace),
        clean(&w.key.name),
        now.format("%Y%m%dT%H%M%SZ")
    )
}

/// One line of the spec: a setting, its value, and whether an annotation
/// set it or the injector's default applies.
fn setting(out: &mut Vec<String>, pod: &PodInfo, name: &str, key: &str, value: String) {
    let set = pod.annotations.contains_key(&format!("{PREFIX}{key}"));
    let from = if set { "" } else { "  (default)" };
    out.push(format!("  {name:<28} {value}{from}"));
}

/// A pod's injection spec: the annotations as written, what the injector
/// makes of them with its defaults, and the values it rejects or ignores.
pub fn spec_lines(pod: &PodInfo) -> Vec<String> {
    let parsed = annotations::parse(&pod.annotations);
    let mut out = vec![format!("Pod {}/{}", pod.namespace, pod.name)];
    if !parsed.any {
        out.push(
            "  no vault.hashicorp.com/* annotations: the injector leaves this pod alone".into(),
        );
        return out;
    }
    out.push(String::new());
    out.push("Annotations as written".into());
    for (k, v) in &pod.annotations {
        let quoted = AnnotationProblem {
            key: k.clone(),
            value: v.clone(),
            reason: String::new(),
            breaks_injection: false,
        }
        .quoted_value();
        out.push(format!("  {k}: {quoted}"));
    }
    let s = &parsed.spec;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let yes = |b: bool| if b { "true" } else { "false" }.to_string();
    out.push(String::new());
    out.push("As the injector reads them (vault-k8s defaults filled in)".into());
    let mut rows = Vec::new();
    setting(&mut rows, pod, "inject", "agent-inject", yes(s.inject));
    setting(
        &mut rows,
        pod,
        "status",
        "agent-inject-status",
        opt(&s.status),
    );
    setting(&mut rows, pod, "role", "role", opt(&s.role));
    setting(
        &mut rows,
        pod,
        "auth type",
        "auth-type",
        s.auth_type.clone(),
    );
    setting(
        &mut rows,
        pod,
        "auth path",
        "auth-path",
        s.auth_path.clone(),
    );
    setting(
        &mut rows,
        pod,
        "Vault namespace",
        "namespace",
        opt(&s.vault_namespace),
    );
    setting(&mut rows, pod, "Vault address", "service", opt(&s.service));
    setting(
        &mut rows,
        pod,
        "pre-populate (init)",
        "agent-pre-populate",
        yes(s.pre_populate),
    );
    setting(
        &mut rows,
        pod,
        "pre-populate only",
        "agent-pre-populate-only",
        yes(s.pre_populate_only),
    );
    setting(
        &mut rows,
        pod,
        "init first",
        "agent-init-first",
        yes(s.init_first),
    );
    setting(
        &mut rows,
        pod,
        "inject token",
        "agent-inject-token",
        yes(s.inject_token),
    );
    setting(
        &mut rows,
        pod,
        "agent image",
        "agent-image",
        s.agent_image.clone(),
    );
    setting(
        &mut rows,
        pod,
        "config map",
        "agent-configmap",
        opt(&s.configmap),
    );
    let r = &s.resources;
    for (name, key, v) in [
        ("limits cpu", "agent-limits-cpu", &r.limits_cpu),
        ("limits memory", "agent-limits-mem", &r.limits_mem),
        (
            "limits ephemeral",
            "agent-limits-ephemeral",
            &r.limits_ephemeral,
        ),
        ("requests cpu", "agent-requests-cpu", &r.requests_cpu),
        ("requests memory", "agent-requests-mem", &r.requests_mem),
        (
            "requests ephemeral",
            "agent-requests-ephemeral",
            &r.requests_ephemeral,
        ),
    ] {
        let v = if v.is_empty() {
            "none".to_string()
        } else {
            v.clone()
        };
        setting(&mut rows, pod, name, key, v);
    }
    setting(
        &mut rows,
        pod,
        "cache",
        "agent-cache-enable",
        yes(s.cache.enabled),
    );
    setting(
        &mut rows,
        pod,
        "secret volume path",
        "secret-volume-path",
        s.secret_volume_path.clone(),
    );
    setting(
        &mut rows,
        pod,
        "TLS skip verify",
        "tls-skip-verify",
        yes(s.tls_skip_verify),
    );
    out.extend(rows);
    out.push(String::new());
    out.push(format!("Secrets ({})", s.secrets.len()));
    for sec in &s.secrets {
        let template = if sec.has_template { " · template" } else { "" };
        out.push(format!(
            "  {} ← {} → {}/{}{}{}",
            sec.name,
            sec.path,
            s.secret_volume_path,
            sec.file,
            sec.perms
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default(),
            template
        ));
    }
    out.push(String::new());
    if parsed.problems.is_empty() {
        out.push("No bad values".into());
    } else {
        out.push(format!("Bad values ({})", parsed.problems.len()));
        for p in &parsed.problems {
            let mark = if p.breaks_injection {
                "✗ breaks injection"
            } else {
                "! ignored"
            };
            out.push(format!("  {mark}: {} = {}", p.key, p.quoted_value()));
            out.push(format!("      {}", p.reason));
        }
    }
    out
}

/// The spec as text to copy.
pub fn spec_text(pod: &PodInfo) -> String {
    safe_text(&spec_lines(pod).join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_evidence() {
        assert_eq!(longest_run("a ``` b `` c", '`'), 3);
    }
}
