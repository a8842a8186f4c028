//! Rotations end to end, pure: a secret's change in Vault joined with each
//! pod's render of it. The render lines are consul-template's own
//! (`manager/runner.go`: `(runner) rendered %s`, `Display()` = `%q => %q`),
//! in the agent's hclog form.

mod common;

use chrono::Duration;
use common::*;
use vaultscope::diagnose::rotation::RenderState;
use vaultscope::diagnose::{Code, Finding, Report, Severity, diagnose};
use vaultscope::model::Observation;
use vaultscope::model::pod::{ContainerState, PodInfo, Termination};
use vaultscope::model::vault::{KvMetadata, Lease};

const FILE: &str = "/vault/secrets/cfg";

fn stamp(secs_ago: i64) -> String {
    (now() - Duration::seconds(secs_ago))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn rendered(secs_ago: i64, file: &str) -> String {
    format!(
        "{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"{file}\"",
        stamp(secs_ago)
    )
}

fn started(secs_ago: i64) -> String {
    format!(
        "{} [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
        stamp(secs_ago)
    )
}

/// KV v8 of secret/data/shop/cfg, written `secs_ago`.
fn kv(secs_ago: i64) -> Observation {
    Observation::KvMetadata(vec![KvMetadata {
        mount: "secret".into(),
        path: "shop/cfg".into(),
        current_version: 8,
        updated_time: Some(now() - Duration::seconds(secs_ago)),
        created_time: Some(now() - Duration::seconds(86_400)),
    }])
}

/// A pod of `shop/web`, created two hours ago, whose sidecar logged `log`.
fn run(pod: PodInfo, sidecar_log: &str, vault: Observation) -> Report {
    let w = world([
        vault,
        logs(&pod, "vault-agent", false, sidecar_log),
        add_pod(pod),
    ]);
    diagnose(&w, now())
}

/// The pod was created two hours ago and its init agent finished then.
fn two_hours_old(mut p: PodInfo) -> PodInfo {
    p.created = Some(now() - Duration::seconds(7200));
    p.init_containers[0].state = ContainerState::Terminated(Termination {
        exit_code: 0,
        reason: Some("Completed".into()),
        message: None,
        started_at: Some(now() - Duration::seconds(7195)),
        finished_at: Some(now() - Duration::seconds(7190)),
    });
    p
}

fn web(extra: &[(&str, &str)]) -> PodInfo {
    let mut p = two_hours_old(injected(
        "shop",
        "web",
        "web",
        &[("cfg", "secret/data/shop/cfg")],
    ));
    let mut more = ann(extra);
    p.annotations.append(&mut more);
    p
}

fn rotation_findings(r: &Report) -> Vec<&Finding> {
    r.workloads[0]
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("rotation."))
        .collect()
}

#[test]
fn a_pod_that_rendered_the_new_version_shows_its_lag() {
    // Written 10 minutes ago; the sidecar rendered it 40 s later.
    let log = [started(7185), rendered(7185, FILE), rendered(560, FILE)].join("\n");
    let r = run(web(&[]), &log, kv(600));
    let rot = &r.workloads[0].rotations[0];
    assert_eq!(rot.file, FILE);
    let p = &rot.pods[0];
    assert_eq!(p.state, RenderState::Current);
    assert_eq!(p.lag_seconds, Some(40));
    assert!(rotation_findings(&r).is_empty());
    // The JSON carries both sides per secret.
    let json: serde_json::Value = serde_json::from_str(&vaultscope::report::to_json(&r)).unwrap();
    let s = &json["workloads"][0]["secrets"][0];
    assert_eq!(s["last_change"]["kind"], "kv_version");
    assert_eq!(s["last_change"]["version"], 8);
    assert_eq!(s["pods"][0]["lag_seconds"], 40);
    assert_eq!(s["pods"][0]["state"], "current");
}

#[test]
fn a_pod_left_on_the_old_version_is_stale_after_its_render_interval() {
    // Written 10 minutes ago; the log reaches back to the pod's start and
    // shows no render since: stale (default interval 5 m).
    let log = [started(7185), rendered(7185, FILE)].join("\n");
    let r = run(web(&[]), &log, kv(600));
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Stale
    );
    let f = rotation_findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].code, Code::RotationNotPropagated);
    assert_eq!(f[0].severity, Severity::Warning);
    let ev = f[0].evidence.as_deref().unwrap();
    assert!(
        ev.contains("v8 written at") && ev.contains("last rendered /vault/secrets/cfg at"),
        "{ev}"
    );
    // Two hours later it is an error.
    let r = run(web(&[]), &log, kv(7000));
    assert_eq!(rotation_findings(&r)[0].severity, Severity::Error);
    // Within the interval it is only due.
    let r = run(web(&[]), &log, kv(180));
    assert_eq!(r.workloads[0].rotations[0].pods[0].state, RenderState::Due);
    assert!(rotation_findings(&r).is_empty());
    // A short interval on the pod makes three minutes late.
    let r = run(
        web(&[("template-static-secret-render-interval", "30s")]),
        &log,
        kv(180),
    );
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Stale
    );
}

#[test]
fn what_the_log_cannot_show_is_unknown_not_stale() {
    // The kept tail starts after the change: a render may have scrolled away.
    let log = [started(100)].join("\n");
    let r = run(web(&[]), &log, kv(600));
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Unknown
    );
    assert!(rotation_findings(&r).is_empty());
    // A pre-populate-only pod never re-renders: nothing to expect.
    let mut p = web(&[("agent-pre-populate-only", "true")]);
    p.containers.retain(|c| c.name != "vault-agent");
    let r = run(p, "", kv(600));
    assert!(rotation_findings(&r).is_empty());
    // A pod started after the change got it at start.
    let mut p = web(&[]);
    p.created = Some(now() - Duration::seconds(300));
    p.init_containers[0].state = completed();
    let r = run(p, &started(290), kv(600));
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Current
    );
}

#[test]
fn a_rotation_that_took_long_is_told_as_info() {
    // Written 35 minutes ago, rendered 25 minutes after that.
    let log = [started(7185), rendered(7185, FILE), rendered(600, FILE)].join("\n");
    let r = run(web(&[]), &log, kv(2100));
    let f = rotation_findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].code, Code::RotationLagging);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(f[0].message.contains("25m00s"), "{}", f[0].message);
}

fn db_pod(command: Option<&str>) -> PodInfo {
    let mut p = two_hours_old(injected(
        "shop",
        "orders",
        "orders",
        &[("db", "database/creds/orders")],
    ));
    if let Some(c) = command {
        p.annotations
            .append(&mut ann(&[("agent-inject-command-db", c)]));
    }
    p
}

fn db_lease(issued_ago: i64) -> Observation {
    Observation::Leases(vec![Lease {
        id: "database/creds/orders/Xy12".into(),
        issue_time: Some(now() - Duration::seconds(issued_ago)),
        expire_time: Some(now() + Duration::seconds(3000)),
        ttl_seconds: 3000,
        renewable: true,
        last_renewal: None,
        max_ttl_seconds: None,
    }])
}

#[test]
fn new_credentials_with_nothing_to_reload_the_app() {
    // consul-template re-read database/creds/orders at its max TTL and
    // rendered the new credentials (vault_common.go, then runner.go).
    let db = "/vault/secrets/db";
    let log = [
        started(7185),
        rendered(7185, db),
        format!(
            "{} [WARN]  agent: vault.read(database/creds/orders): renewer done (maybe the lease expired)",
            stamp(601)
        ),
        rendered(600, db),
    ]
    .join("\n");
    let r = run(db_pod(None), &log, db_lease(600));
    let f = rotation_findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].code, Code::RotationNoReload);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].hint
            .contains("vault.hashicorp.com/agent-inject-command-db"),
        "{}",
        f[0].hint
    );
    let rot = &r.workloads[0].rotations[0];
    assert_eq!(rot.pods[0].lag_seconds, Some(0));
    // With a reload command: nothing to say.
    let r = run(db_pod(Some("kill -HUP $(pidof app)")), &log, db_lease(600));
    assert!(rotation_findings(&r).is_empty());
    // Only the first render (at start): nothing was re-issued yet.
    let log = [started(7185), rendered(7185, db)].join("\n");
    let r = run(db_pod(None), &log, db_lease(7185));
    assert!(rotation_findings(&r).is_empty());
}

/// The demo plays a rotation one pod picks up late, and a CSI class on a
/// driver that does not rotate.
#[test]
fn the_demo_plays_a_late_pod_and_a_csi_class_without_rotation() {
    use vaultscope::sources::demo;
    let base: chrono::DateTime<chrono::Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
    let at = |secs: i64| {
        let w = world(demo::snapshot(base, Duration::seconds(secs)));
        diagnose(&w, base + Duration::seconds(secs))
    };
    let codes = |r: &Report, name: &str| -> Vec<(Code, Severity, Option<String>)> {
        r.workloads
            .iter()
            .find(|w| w.key.name == name)
            .unwrap()
            .findings
            .iter()
            .filter(|f| f.code.as_str().starts_with("rotation."))
            .map(|f| (f.code, f.severity, f.pod.clone()))
            .collect()
    };
    let r = at(30);
    let late = Some("metrics-gateway-9mq4r".to_string());
    assert_eq!(
        codes(&r, "metrics-gateway"),
        [(Code::RotationNotPropagated, Severity::Warning, late.clone())]
    );
    let catalog = codes(&r, "catalog");
    assert_eq!(catalog.len(), 1, "{catalog:?}");
    assert_eq!(
        (catalog[0].0, catalog[0].1),
        (Code::RotationCsiRotationDisabled, Severity::Warning)
    );
    // After its late render: a rotation that took 17 minutes, told as info.
    let r = at(130);
    assert_eq!(
        codes(&r, "metrics-gateway"),
        [(Code::RotationLagging, Severity::Info, late)]
    );
    let w = r
        .workloads
        .iter()
        .find(|w| w.key.name == "metrics-gateway")
        .unwrap();
    let lags: Vec<Option<i64>> = w.rotations[0].pods.iter().map(|p| p.lag_seconds).collect();
    assert_eq!(lags, [Some(40), Some(1020)]);
}
