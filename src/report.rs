//! Printing a diagnosis: a table for people, JSON for scripts.
//!
//! The JSON shape is a contract (documented in README.md); it is built from
//! its own structs so internal refactoring cannot change it by accident.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::diagnose::{Finding, Health, Report, Severity, WorkloadReport};
use crate::model::vault::{VaultStatus, countdown};

#[derive(Serialize)]
struct JsonReport<'a> {
    as_of: String,
    summary: JsonSummary,
    vault: JsonVault,
    global_findings: Vec<JsonFinding<'a>>,
    workloads: Vec<JsonWorkload<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    workloads: usize,
    ok: usize,
    warning: usize,
    error: usize,
}

#[derive(Serialize)]
struct JsonVault {
    status: String,
    address: Option<String>,
    version: Option<String>,
}

#[derive(Serialize)]
struct JsonWorkload<'a> {
    namespace: &'a str,
    kind: &'a str,
    name: &'a str,
    health: &'static str,
    method: &'static str,
    pods: Vec<JsonPod<'a>>,
    secrets: Vec<JsonSecret<'a>>,
    leases: Vec<JsonLease<'a>>,
    certificates: Vec<JsonCert<'a>>,
    kv: Vec<JsonKv>,
    tokens: Vec<JsonToken<'a>>,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonToken<'a> {
    role: Option<&'a str>,
    service_account: &'a str,
    expire_time: Option<String>,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
}

#[derive(Serialize)]
struct JsonKv {
    path: String,
    current_version: u64,
    updated_time: Option<String>,
}

#[derive(Serialize)]
struct JsonPod<'a> {
    name: &'a str,
    phase: &'a str,
    ready: bool,
    agent_init: Option<&'a str>,
    agent: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSecret<'a> {
    name: &'a str,
    path: &'a str,
    via: &'a str,
}

#[derive(Serialize)]
struct JsonLease<'a> {
    id: &'a str,
    expire_time: Option<String>,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
    renewable: bool,
}

#[derive(Serialize)]
struct JsonCert<'a> {
    serial: &'a str,
    common_name: &'a str,
    not_after: String,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: &'static str,
    via: &'static str,
    pod: Option<&'a str>,
    container: Option<&'a str>,
    message: &'a str,
    evidence: Option<&'a str>,
    hint: &'a str,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn json_finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.code.as_str(),
        severity: f.severity.as_str(),
        via: f.via.as_str(),
        pod: f.pod.as_deref(),
        container: f.container.as_deref(),
        message: &f.message,
        evidence: f.evidence.as_deref(),
        hint: &f.hint,
    }
}

fn vault_json(v: &VaultStatus) -> JsonVault {
    match v {
        VaultStatus::NotConfigured => JsonVault {
            status: v.label(),
            address: None,
            version: None,
        },
        VaultStatus::Unreachable { address, .. } => JsonVault {
            status: v.label(),
            address: Some(address.clone()),
            version: None,
        },
        VaultStatus::Reachable { address, health } => JsonVault {
            status: v.label(),
            address: Some(address.clone()),
            version: health.version.clone(),
        },
    }
}

pub fn to_json(report: &Report) -> String {
    let now = report.as_of;
    let workloads = report
        .workloads
        .iter()
        .map(|w| JsonWorkload {
            namespace: &w.key.namespace,
            kind: w.key.kind.as_str(),
            name: &w.key.name,
            health: w.health.as_str(),
            method: w.method.label(),
            pods: w
                .pods
                .iter()
                .map(|p| JsonPod {
                    name: &p.name,
                    phase: &p.phase,
                    ready: p.ready,
                    agent_init: p.agent_init.as_deref(),
                    agent: p.agent.as_deref(),
                })
                .collect(),
            secrets: w
                .secrets
                .iter()
                .map(|s| JsonSecret {
                    name: &s.name,
                    path: &s.path,
                    via: s.via,
                })
                .collect(),
            leases: w
                .leases
                .iter()
                .map(|l| JsonLease {
                    id: &l.id,
                    expire_time: l.expire_time.map(rfc3339),
                    ttl_seconds: l
                        .remaining(now)
                        .map_or(l.ttl_seconds, |d| d.num_seconds().max(0)),
                    renewable: l.renewable,
                })
                .collect(),
            certificates: w
                .certificates
                .iter()
                .map(|c| JsonCert {
                    serial: &c.serial,
                    common_name: &c.common_name,
                    not_after: rfc3339(c.not_after),
                    ttl_seconds: c.remaining(now).num_seconds().max(0),
                })
                .collect(),
            kv: w
                .kv
                .iter()
                .map(|k| JsonKv {
                    path: k.data_path(),
                    current_version: k.current_version,
                    updated_time: k.updated_time.map(rfc3339),
                })
                .collect(),
            tokens: w
                .tokens
                .iter()
                .map(|t| JsonToken {
                    role: t.role.as_deref(),
                    service_account: &t.service_account_name,
                    expire_time: t.expire_time.map(rfc3339),
                    ttl_seconds: t
                        .remaining(now)
                        .map_or(t.ttl_seconds, |d| d.num_seconds().max(0)),
                })
                .collect(),
            findings: w.findings.iter().map(json_finding).collect(),
        })
        .collect();
    let r = JsonReport {
        as_of: rfc3339(now),
        summary: JsonSummary {
            workloads: report.workloads.len(),
            ok: report.count(Health::Ok),
            warning: report.count(Health::Warning),
            error: report.count(Health::Error),
        },
        vault: vault_json(&report.vault),
        global_findings: report.global.iter().map(json_finding).collect(),
        workloads,
    };
    let mut s = serde_json::to_string_pretty(&r).expect("report serializes");
    s.push('\n');
    s
}

/// ANSI styling, off when output is not a terminal or `NO_COLOR` is set.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn health(self, h: Health) -> String {
        match h {
            Health::Ok => self.paint("32;1", "OK   "),
            Health::Warning => self.paint("33;1", "WARN "),
            Health::Error => self.paint("31;1", "ERROR"),
        }
    }

    fn severity(self, s: Severity) -> String {
        match s {
            Severity::Info => self.paint("36", "i"),
            Severity::Warning => self.paint("33;1", "!"),
            Severity::Error => self.paint("31;1", "✗"),
        }
    }

    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }

    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn indent_block(out: &mut String, label: &str, text: &str, pad: &str) {
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        let _ = writeln!(out, "{pad}{label}{first}");
    }
    let cont = " ".repeat(label.chars().count());
    for l in lines {
        let _ = writeln!(out, "{pad}{cont}{l}");
    }
}

fn write_finding(out: &mut String, f: &Finding, st: Style) {
    let mut place = Vec::new();
    if let Some(c) = &f.container {
        place.push(c.clone());
    }
    if let Some(p) = &f.pod {
        place.push(format!("pod {p}"));
    }
    let place = if place.is_empty() {
        String::new()
    } else {
        format!("  {}", st.dim(&place.join(" in ")))
    };
    let _ = writeln!(
        out,
        "  {} {} {}{}",
        st.severity(f.severity),
        st.bold(f.code.as_str()),
        st.dim(&format!("[{}]", f.via.as_str())),
        place
    );
    indent_block(out, "", &f.message, "      ");
    if let Some(e) = &f.evidence {
        indent_block(out, "evidence: ", e, "      ");
    }
    if !f.hint.is_empty() {
        indent_block(out, "fix: ", &f.hint, "      ");
    }
}

fn write_workload(out: &mut String, w: &WorkloadReport, now: DateTime<Utc>, st: Style) {
    let mut expiry = w
        .soonest_expiry()
        .map(|t| format!(" · next expiry in {}", countdown(t - now)))
        .unwrap_or_default();
    for k in &w.kv {
        let _ = write!(expiry, " · {} v{}", k.data_path(), k.current_version);
        if let Some(u) = k.updated_time {
            let _ = write!(expiry, " updated {} ago", countdown(now - u));
        }
    }
    let _ = writeln!(
        out,
        "{}  {} {} {}  {}",
        st.health(w.health),
        w.key.namespace,
        w.key.kind,
        st.bold(&w.key.name),
        st.dim(&format!(
            "pods {}/{} ready · {}{expiry}",
            w.pods_ready,
            w.pods.len(),
            w.method.label()
        )),
    );
    if w.health == Health::Ok {
        return;
    }
    for p in &w.pods {
        let mut parts = vec![p.phase.clone()];
        if let Some(s) = &p.agent_init {
            parts.push(format!("vault-agent-init: {s}"));
        }
        if let Some(s) = &p.agent {
            parts.push(format!("vault-agent: {s}"));
        }
        let _ = writeln!(
            out,
            "  {} {}",
            st.dim("pod"),
            format_args!("{}  {}", p.name, st.dim(&parts.join(" · ")))
        );
    }
    for f in &w.findings {
        write_finding(out, f, st);
    }
}

pub fn to_table(report: &Report, source: &str, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} · as of {}", source, rfc3339(report.as_of));
    let _ = writeln!(out, "Vault: {}", report.vault.label());
    let _ = writeln!(out);
    for f in &report.global {
        write_finding(&mut out, f, st);
        let _ = writeln!(out);
    }
    if report.workloads.is_empty() {
        let _ = writeln!(
            out,
            "No workloads use Vault Agent injection or the Secrets Store CSI driver here."
        );
    }
    for w in &report.workloads {
        write_workload(&mut out, w, report.as_of, st);
        if w.health != Health::Ok {
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(
        out,
        "{} workloads: {} ok, {} warning, {} error",
        report.workloads.len(),
        report.count(Health::Ok),
        report.count(Health::Warning),
        report.count(Health::Error)
    );
    out
}
