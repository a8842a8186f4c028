//! Printing a diagnosis: a table for people, JSON for scripts.
//!
//! The JSON shape is a contract (documented in README.md); it is built from
//! its own structs so internal refactoring cannot change it by accident.
//!
//! Nearly every string here was written by someone else (names, container
//! states, log lines as evidence, roles echoed in a fix, Vault's answers):
//! the table shows them through [`safe::terminal`], JSON through
//! [`safe::redact`] and a writer that escapes control characters.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::diagnose::{Finding, Health, Report, Severity, WorkloadReport};
use crate::model::logs::LogReads;
use crate::model::vault::{VaultStatus, countdown};
use crate::model::words;
use crate::safe;

/// Text from others, redacted (JSON escapes the rest).
type Txt<'a> = Cow<'a, str>;

#[derive(Serialize)]
struct JsonReport<'a> {
    as_of: String,
    summary: JsonSummary,
    vault: JsonVault,
    global_findings: Vec<JsonFinding<'a>>,
    workloads: Vec<JsonWorkload<'a>>,
    /// A live check only: which agent logs were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_reads: Option<JsonLogReads<'a>>,
}

#[derive(Serialize)]
struct JsonLogReads<'a> {
    mode: Txt<'a>,
    budget: Option<usize>,
    read_trouble: usize,
    read_healthy: usize,
    requests: usize,
    unread_healthy: usize,
    unread_trouble: usize,
    not_started: usize,
    /// Failed reads by reason; the reason is the API server's.
    failed: BTreeMap<Txt<'a>, usize>,
}

fn json_log_reads(l: &LogReads) -> JsonLogReads<'_> {
    JsonLogReads {
        mode: r(&l.mode),
        budget: l.budget,
        read_trouble: l.read_trouble,
        read_healthy: l.read_healthy,
        requests: l.requests,
        unread_healthy: l.unread_healthy,
        unread_trouble: l.unread_trouble,
        not_started: l.not_started,
        failed: l.failed.iter().map(|(k, v)| (r(k), *v)).collect(),
    }
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
    status: Txt<'static>,
    address: Option<Txt<'static>>,
    version: Option<Txt<'static>>,
}

#[derive(Serialize)]
struct JsonWorkload<'a> {
    namespace: Txt<'a>,
    kind: Txt<'a>,
    name: Txt<'a>,
    health: &'static str,
    method: &'static str,
    /// `vault` or `openbao`: the agent injector (null without one).
    injector: Option<&'static str>,
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
    role: Option<Txt<'a>>,
    service_account: Txt<'a>,
    expire_time: Option<String>,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
}

#[derive(Serialize)]
struct JsonKv {
    path: Txt<'static>,
    current_version: u64,
    updated_time: Option<String>,
}

#[derive(Serialize)]
struct JsonPod<'a> {
    name: Txt<'a>,
    phase: Txt<'a>,
    ready: bool,
    agent_init: Option<Txt<'a>>,
    agent: Option<Txt<'a>>,
    /// Restarts of all its containers (kubectl's RESTARTS).
    restarts: u32,
    /// `vault` or `openbao` (null without agent injection).
    injector: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonSecret<'a> {
    name: Txt<'a>,
    path: Txt<'a>,
    via: Txt<'a>,
    /// The secret's last change in Vault (agent secrets and CSI objects from Vault).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_change: Option<JsonChange<'a>>,
    /// Each pod's last render of it (an agent's `rendered` line, a CSI mount status's last write), and how long after the change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pods: Vec<JsonRender<'a>>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    /// `kv_version`, `lease_issued` or `certificate_issued`.
    kind: &'static str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    /// The lease id or certificate serial.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Txt<'a>>,
}

#[derive(Serialize)]
struct JsonRender<'a> {
    name: Txt<'a>,
    last_render: Option<String>,
    lag_seconds: Option<i64>,
    /// `current`, `due`, `stale` or `unknown`.
    state: crate::diagnose::rotation::RenderState,
}

fn json_change(c: &crate::diagnose::rotation::VaultChange) -> JsonChange<'_> {
    use crate::diagnose::rotation::VaultChange as C;
    match c {
        C::KvVersion { version, at } => JsonChange {
            kind: "kv_version",
            at: rfc3339(*at),
            version: Some(*version),
            id: None,
        },
        C::LeaseIssued { id, at } => JsonChange {
            kind: "lease_issued",
            at: rfc3339(*at),
            version: None,
            id: Some(r(id)),
        },
        C::CertificateIssued { serial, at } => JsonChange {
            kind: "certificate_issued",
            at: rfc3339(*at),
            version: None,
            id: Some(r(serial)),
        },
    }
}

#[derive(Serialize)]
struct JsonLease<'a> {
    id: Txt<'a>,
    expire_time: Option<String>,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
    renewable: bool,
}

#[derive(Serialize)]
struct JsonCert<'a> {
    serial: Txt<'a>,
    common_name: Txt<'a>,
    not_after: String,
    /// Seconds left at `as_of` (0 once expired).
    ttl_seconds: i64,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: &'static str,
    via: &'static str,
    pod: Option<Txt<'a>>,
    container: Option<Txt<'a>>,
    message: Txt<'a>,
    evidence: Option<Txt<'a>>,
    hint: Txt<'a>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A string from others, redacted for JSON.
fn r(s: &str) -> Txt<'_> {
    safe::redact(s)
}

fn r_opt(s: &Option<String>) -> Option<Txt<'_>> {
    s.as_deref().map(r)
}

fn owned(s: Txt<'_>) -> Txt<'static> {
    Cow::Owned(s.into_owned())
}

fn json_finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.code.as_str(),
        severity: f.severity.as_str(),
        via: f.via.as_str(),
        pod: r_opt(&f.pod),
        container: r_opt(&f.container),
        message: r(&f.message),
        evidence: r_opt(&f.evidence),
        hint: r(&f.hint),
    }
}

fn vault_json(v: &VaultStatus) -> JsonVault {
    let (address, version) = match v {
        VaultStatus::NotConfigured => (None, None),
        VaultStatus::Unreachable { address, .. } => (Some(address), None),
        VaultStatus::Reachable { address, health } => (Some(address), health.version.as_ref()),
    };
    JsonVault {
        status: owned(r(&v.label())),
        address: address.map(|a| owned(r(a))),
        version: version.map(|v| owned(r(v))),
    }
}

fn json_workload(w: &WorkloadReport, now: DateTime<Utc>) -> JsonWorkload<'_> {
    JsonWorkload {
        namespace: r(&w.key.namespace),
        // An owner's kind is whatever its ownerReference says.
        kind: r(w.key.kind.as_str()),
        name: r(&w.key.name),
        health: w.health.as_str(),
        method: w.method.label(),
        injector: w.injector.map(|i| i.as_str()),
        pods: w
            .pods
            .iter()
            .map(|p| JsonPod {
                name: r(&p.name),
                phase: r(&p.phase),
                ready: p.ready,
                agent_init: r_opt(&p.agent_init),
                agent: r_opt(&p.agent),
                restarts: p.restarts,
                injector: p.injector.map(|i| i.as_str()),
            })
            .collect(),
        secrets: w
            .secrets
            .iter()
            .map(|s| {
                let rotation = w
                    .rotations
                    .iter()
                    .find(|x| x.name == s.name && x.path == s.path && x.file == s.target);
                JsonSecret {
                    name: r(&s.name),
                    path: r(&s.path),
                    via: Cow::Borrowed(s.via.as_str()),
                    last_change: rotation
                        .and_then(|x| x.last_change.as_ref())
                        .map(json_change),
                    pods: rotation
                        .map(|x| {
                            x.pods
                                .iter()
                                .map(|p| JsonRender {
                                    name: r(&p.pod),
                                    last_render: p.last_render.map(rfc3339),
                                    lag_seconds: p.lag_seconds,
                                    state: p.state,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        leases: w
            .leases
            .iter()
            .map(|l| JsonLease {
                id: r(&l.id),
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
                serial: r(&c.serial),
                common_name: r(&c.common_name),
                not_after: rfc3339(c.not_after),
                ttl_seconds: c.remaining(now).num_seconds().max(0),
            })
            .collect(),
        kv: w
            .kv
            .iter()
            .map(|k| JsonKv {
                path: owned(r(&k.data_path())),
                current_version: k.current_version,
                updated_time: k.updated_time.map(rfc3339),
            })
            .collect(),
        tokens: w
            .tokens
            .iter()
            .map(|t| JsonToken {
                role: r_opt(&t.role),
                service_account: r(&t.service_account_name),
                expire_time: t.expire_time.map(rfc3339),
                ttl_seconds: t
                    .remaining(now)
                    .map_or(t.ttl_seconds, |d| d.num_seconds().max(0)),
            })
            .collect(),
        findings: w.findings.iter().map(json_finding).collect(),
    }
}

pub fn to_json(report: &Report) -> String {
    to_json_with(report, None)
}

/// JSON with what a live check read of the agent logs.
pub fn to_json_with(report: &Report, logs: Option<&LogReads>) -> String {
    let now = report.as_of;
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
        workloads: report
            .workloads
            .iter()
            .map(|w| json_workload(w, now))
            .collect(),
        log_reads: logs.map(json_log_reads),
    };
    let mut s = safe::to_json_pretty(&r);
    s.push('\n');
    s
}

/// ANSI styling, off when output is not a terminal or `NO_COLOR` is set.
#[derive(Clone, Copy)]
pub struct Ansi {
    pub color: bool,
}

impl Ansi {
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

/// A string from others, fit for a terminal.
fn t(s: &str) -> Cow<'_, str> {
    safe::terminal(s)
}

/// Text from others over several lines, the first after `label` and the
/// rest under it; each line made safe (the newlines are ours).
fn indent_block(out: &mut String, label: &str, text: &str, pad: &str) {
    let mut lines = safe::terminal_lines(text.trim_end_matches('\n'));
    if let Some(first) = lines.next() {
        let _ = writeln!(out, "{pad}{label}{first}");
    }
    let cont = " ".repeat(label.chars().count());
    for l in lines {
        let _ = writeln!(out, "{pad}{cont}{l}");
    }
}

fn write_finding(out: &mut String, f: &Finding, st: Ansi) {
    let mut place = Vec::new();
    if let Some(c) = &f.container {
        place.push(t(c).into_owned());
    }
    if let Some(p) = &f.pod {
        place.push(format!("pod {}", t(p)));
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

/// The soonest expiry, said the way round that reads: "next expiry in
/// 3h02m", or "expired 33d08h ago" once it has passed.
fn expiry_phrase(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at <= now {
        format!("expired {} ago", countdown(now - at))
    } else {
        format!("next expiry in {}", countdown(at - now))
    }
}

fn write_workload(out: &mut String, w: &WorkloadReport, now: DateTime<Utc>, st: Ansi) {
    let restarts: u32 = w
        .pods
        .iter()
        .map(|p| p.restarts)
        .fold(0, u32::saturating_add);
    let mut summary = format!(
        "pods {}/{} ready · {}",
        w.pods_ready,
        w.pods.len(),
        w.method_label()
    );
    if restarts > 0 {
        let _ = write!(
            summary,
            " · {}",
            words::count(restarts as usize, "restart", "restarts")
        );
    }
    if let Some(t) = w.soonest_expiry() {
        let _ = write!(summary, " · {}", expiry_phrase(t, now));
    }
    for k in &w.kv {
        let _ = write!(summary, " · {} v{}", t(&k.data_path()), k.current_version);
        if let Some(u) = k.updated_time {
            let _ = write!(summary, " updated {} ago", countdown(now - u));
        }
    }
    let _ = writeln!(
        out,
        "{}  {} {} {}  {}",
        st.health(w.health),
        t(&w.key.namespace),
        t(w.key.kind.as_str()),
        st.bold(&t(&w.key.name)),
        st.dim(&summary),
    );
    // A healthy workload is one line, and its info findings (if any) under
    // it; pods are listed only when something is wrong.
    if w.health != Health::Ok {
        for p in &w.pods {
            let mut parts = vec![t(&p.phase).into_owned()];
            if p.restarts > 0 {
                parts.push(words::count(p.restarts as usize, "restart", "restarts"));
            }
            let injector = p.injector.unwrap_or_default();
            if let Some(s) = &p.agent_init {
                parts.push(format!("{}: {}", injector.init_container(), t(s)));
            }
            if let Some(s) = &p.agent {
                parts.push(format!("{}: {}", injector.sidecar(), t(s)));
            }
            let _ = writeln!(
                out,
                "  {} {}",
                st.dim("pod"),
                format_args!("{}  {}", t(&p.name), st.dim(&parts.join(" · ")))
            );
        }
    }
    for f in &w.findings {
        write_finding(out, f, st);
    }
}

/// What the table says when no workload uses Vault and the caller knows
/// nothing more about the scope.
pub const NO_WORKLOADS: &str =
    "No workloads use Vault or OpenBao Agent injection or the Secrets Store CSI driver here.";

/// The report for people. Every finding is shown, info ones too (marked
/// `i`), so the table holds what the JSON holds.
pub fn to_table(report: &Report, source: &str, st: Ansi) -> String {
    to_table_with(report, source, NO_WORKLOADS, None, st)
}

fn agents(n: usize) -> String {
    format!("{n} {}", if n == 1 { "agent" } else { "agents" })
}

/// What the agent log reads left out, when they did: lines for the footer.
fn log_read_notes(l: &LogReads) -> Vec<String> {
    let mut notes = Vec::new();
    if l.unread_healthy > 0 {
        notes.push(match (l.mode.as_str(), l.budget) {
            ("all", Some(b)) => format!(
                "{} that look healthy left unread by --log-budget {b} (those nearest token or lease expiry were read first)",
                agents(l.unread_healthy)
            ),
            (mode, _) => format!(
                "{} that look healthy not read (--logs {})",
                agents(l.unread_healthy),
                t(mode)
            ),
        });
    }
    if l.unread_trouble > 0 {
        notes.push(format!(
            "{} in trouble not read (--logs {})",
            agents(l.unread_trouble),
            t(&l.mode)
        ));
    }
    if !l.failed.is_empty() {
        let total: usize = l.failed.values().sum();
        let reasons: Vec<String> = l
            .failed
            .iter()
            .map(|(reason, n)| format!("{}: {n}", t(reason)))
            .collect();
        notes.push(format!(
            "{total} {} failed ({})",
            if total == 1 { "read" } else { "reads" },
            reasons.join(", ")
        ));
    }
    notes
}

/// As [`to_table`], with `empty` as the line when no workload uses Vault
/// (what was there instead: "Namespace shop exists and has no pods.") and
/// what a live check read of the agent logs.
pub fn to_table_with(
    report: &Report,
    source: &str,
    empty: &str,
    logs: Option<&LogReads>,
    st: Ansi,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} · as of {}", t(source), rfc3339(report.as_of));
    let _ = writeln!(out, "Vault: {}", t(&report.vault.label()));
    let _ = writeln!(out);
    for f in &report.global {
        write_finding(&mut out, f, st);
        let _ = writeln!(out);
    }
    if report.workloads.is_empty() {
        let _ = writeln!(out, "{}", t(empty));
    }
    for w in &report.workloads {
        write_workload(&mut out, w, report.as_of, st);
        if !w.findings.is_empty() {
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(
        out,
        "{}: {} ok, {} warning, {} error",
        words::count(report.workloads.len(), "workload", "workloads"),
        report.count(Health::Ok),
        report.count(Health::Warning),
        report.count(Health::Error)
    );
    for note in logs.map(log_read_notes).unwrap_or_default() {
        let _ = writeln!(out, "{}", st.dim(&format!("agent logs: {note}")));
    }
    out
}
