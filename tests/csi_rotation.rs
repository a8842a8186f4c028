//! Rotations of CSI mounts, pure: a KV change in Vault joined with each
//! pod's SecretProviderClassPodStatus and the driver's rotation events,
//! from the driver's and provider's own strings:
//! - the status object as the driver writes it (kubernetes-sigs/secrets-store-csi-driver
//!   `pkg/secrets-store/utils.go` createOrUpdateSecretProviderClassPodStatus @v1.6.1: name
//!   `<pod>-<ns>-<class>`, node label, owner the pod; `docs/book/src/topics/secret-auto-rotation.md`
//!   for the status shape), each version an HMAC as vault-csi-provider computes it;
//! - the rotation controller's events up to v1.5.x (`pkg/rotation/reconciler.go`:
//!   `MountRotationComplete` "successfully rotated mounted contents for spc %s/%s",
//!   `MountRotationFailed` "provider mount err: %+v");
//! - the driver's flags (`cmd/secrets-store-csi-driver/main.go` @v1.6.1: `enable-secret-rotation`
//!   default false, `rotation-poll-interval` default 2m) as `deploy/secrets-store-csi-driver.yaml`
//!   @v1.6.1 passes them, and the chart's CSIDriver (`charts/secrets-store-csi-driver/templates/
//!   csidriver.yaml`: `requiresRepublish: {{ .Values.enableSecretRotation }}`).

mod common;

use chrono::Duration;
use common::*;
use vaultscope::diagnose::csi_rotation::{DriverRotation, driver_rotation};
use vaultscope::diagnose::rotation::RenderState;
use vaultscope::diagnose::{Code, Finding, Report, Severity, diagnose};
use vaultscope::model::Observation;
use vaultscope::model::csi::{
    CsiDriverConfig, SecretProviderClassInfo, SecretProviderClassPodStatusInfo, parse_go_duration,
};
use vaultscope::model::pod::PodInfo;
use vaultscope::model::vault::KvMetadata;

const CLASS: &str = "catalog-vault";

fn stamp(secs_ago: i64) -> String {
    (now() - Duration::seconds(secs_ago))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn class() -> Observation {
    let v = serde_json::json!({
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": CLASS, "namespace": "shop"},
        "spec": {"provider": "vault", "parameters": {
            "roleName": "catalog",
            "vaultAddress": "https://vault.vault:8200",
            "objects": "- objectName: \"db-password\"\n  secretPath: \"secret/data/shop/catalog\"\n  secretKey: \"password\"\n"
        }}
    });
    Observation::ClassApplied(Box::new(SecretProviderClassInfo::from_value(&v).unwrap()))
}

/// A pod of shop/catalog, two hours old, mounting the class.
fn catalog(suffix: &str) -> PodInfo {
    let mut p = csi_pod("shop", "catalog", CLASS);
    p.name = format!("catalog-5b7d9c8f6-{suffix}");
    p.created = Some(ago(7200));
    p
}

/// The pod's status as the driver leaves it: created at the mount,
/// written again (managedFields time) when a remount brought other versions.
fn status(p: &PodInfo, version: &str, mounted_ago: i64, written_ago: i64) -> Observation {
    let v = serde_json::json!({
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClassPodStatus",
        "metadata": {
            "name": format!("{}-shop-{CLASS}", p.name),
            "namespace": "shop",
            "creationTimestamp": stamp(mounted_ago),
            "labels": {"internal.secrets-store.csi.k8s.io/node-name": "node-1"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": p.name, "uid": format!("uid-{}", p.name)}],
            "managedFields": [{
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "fieldsType": "FieldsV1",
                "manager": "secrets-store-csi-driver",
                "operation": "Update",
                "time": stamp(written_ago),
            }],
        },
        "status": {
            "mounted": true,
            "objects": [{"id": "db-password", "version": version}],
            "podName": p.name,
            "secretProviderClassName": CLASS,
            "targetPath": format!("/var/lib/kubelet/pods/uid-{}/volumes/kubernetes.io~csi/secrets-store-inline/mount", p.name),
        }
    });
    Observation::PodStatusApplied(Box::new(
        SecretProviderClassPodStatusInfo::from_value(&v).unwrap(),
    ))
}

/// KV v4 of secret/data/shop/catalog, written `secs_ago`.
fn kv(secs_ago: i64) -> Observation {
    Observation::KvMetadata(vec![KvMetadata {
        mount: "secret".into(),
        path: "shop/catalog".into(),
        current_version: 4,
        updated_time: Some(ago(secs_ago)),
        created_time: Some(ago(86_400)),
    }])
}

const OLD: &str = "Tq1vQ2mR8xLk0pZc4sYbN7wD_3hJ5gFa9eUo6iWyXc=";
const NEW: &str = "b9Kd2LmQ7rT0vXz4NcPa8sYw1HgJ6fEu3oIiRkWnBq0=";

fn rotation_findings(r: &Report) -> Vec<&Finding> {
    r.workloads[0]
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("rotation."))
        .collect()
}

#[test]
fn driver_flags_and_the_csidriver_object_are_read_as_the_driver_reads_them() {
    let args: Vec<String> = [
        "--endpoint=$(CSI_ENDPOINT)",
        "--nodeid=$(KUBE_NODE_NAME)",
        "--provider-volume=/etc/kubernetes/secrets-store-csi-providers",
        "--enable-secret-rotation=false",
        "--rotation-poll-interval=2m",
    ]
    .map(String::from)
    .to_vec();
    let c = CsiDriverConfig::from_args(&args, "DaemonSet kube-system/csi-secrets-store");
    assert_eq!(c.rotation_enabled, Some(false));
    assert_eq!(c.poll_interval_seconds, Some(120));
    // Go's flag package: a bool flag alone is true, one dash works too.
    let on = CsiDriverConfig::from_args(&["-enable-secret-rotation".into()], "x");
    assert_eq!(on.rotation_enabled, Some(true));
    // A flag not given has its default.
    assert_eq!(on.poll_interval_seconds, Some(120));
    let none = CsiDriverConfig::from_args(&["--endpoint=$(CSI_ENDPOINT)".into()], "x");
    assert_eq!(none.rotation_enabled, Some(false));
    for (text, secs) in [
        ("2m", 120),
        ("30s", 30),
        ("1h30m", 5400),
        ("1.5m", 90),
        ("3600s", 3600),
    ] {
        assert_eq!(parse_go_duration(text), Some(secs), "{text}");
    }
    assert_eq!(parse_go_duration("2 minutes"), None);
    assert_eq!(parse_go_duration(""), None);
    // requiresRepublish unset is false (storage.k8s.io/v1).
    assert_eq!(
        CsiDriverConfig::from_csidriver(None).requires_republish,
        Some(false)
    );
}

#[test]
fn the_status_object_gives_the_mount_time_and_the_last_write() {
    let p = catalog("d3f6g");
    let Observation::PodStatusApplied(s) = status(&p, OLD, 7190, 600) else {
        unreachable!()
    };
    assert_eq!(s.created, Some(ago(7190)));
    assert_eq!(s.written, Some(ago(600)));
    assert_eq!(s.last_written(), Some(ago(600)));
    assert_eq!(s.version_of("db-password"), Some(OLD));
    // A time that is not RFC 3339 leaves it unknown, the object still reads.
    let v = serde_json::json!({
        "metadata": {"name": "x", "namespace": "shop", "creationTimestamp": "yesterday"},
        "status": {"podName": "p", "secretProviderClassName": CLASS, "mounted": true}
    });
    let s = SecretProviderClassPodStatusInfo::from_value(&v).unwrap();
    assert_eq!(s.created, None);
}

#[test]
fn one_pod_remounted_the_new_version_the_other_did_not() {
    // KV v4 written 20 minutes ago. Pod a's status was rewritten 10 minutes
    // after that with another version; pod b still holds the one it mounted.
    let (a, b) = (catalog("d3f6g"), catalog("k9l2m"));
    let w = world([
        class(),
        kv(1200),
        status(&a, NEW, 7190, 600),
        status(&b, OLD, 7190, 7190),
        add_pod(a),
        add_pod(b),
    ]);
    // The rewritten status is the evidence that the driver rotates.
    assert!(matches!(
        driver_rotation(&w),
        DriverRotation::On { interval: 120, .. }
    ));
    let r = diagnose(&w, now());
    let rot = r.workloads[0]
        .rotations
        .iter()
        .find(|x| x.file == CLASS)
        .expect("a CSI rotation");
    assert_eq!(rot.name, "db-password");
    let pa = &rot.pods[0];
    assert_eq!(
        (pa.state, pa.lag_seconds),
        (RenderState::Current, Some(600))
    );
    let pb = &rot.pods[1];
    assert_eq!((pb.state, pb.lag_seconds), (RenderState::Stale, None));
    let f = rotation_findings(&r);
    let stale = f
        .iter()
        .find(|f| f.code == Code::RotationNotPropagated)
        .expect("not_propagated");
    assert_eq!(stale.severity, Severity::Warning);
    assert_eq!(stale.pod.as_deref(), Some("catalog-5b7d9c8f6-k9l2m"));
    let ev = stale.evidence.as_deref().unwrap();
    assert!(
        ev.contains("secret/data/shop/catalog v4 written at")
            && ev.contains("holds db-password version Tq1vQ2mR8x…")
            && ev.contains("catalog-5b7d9c8f6-d3f6g took version b9Kd2LmQ7r…"),
        "{ev}"
    );
    // 10 minutes is more than 2 m + 1 m: pod a's remount was late.
    let lag = f
        .iter()
        .find(|f| f.code == Code::RotationLagging)
        .expect("lagging");
    assert_eq!(lag.pod.as_deref(), Some("catalog-5b7d9c8f6-d3f6g"));
    assert!(lag.message.contains("10m00s"), "{}", lag.message);
    // The JSON carries both sides, like an agent secret's.
    let json: serde_json::Value = serde_json::from_str(&vaultscope::report::to_json(&r)).unwrap();
    let s = &json["workloads"][0]["secrets"][0];
    assert_eq!(s["via"], "csi");
    assert_eq!(s["last_change"]["kind"], "kv_version");
    assert_eq!(s["last_change"]["version"], 4);
    assert_eq!(s["pods"][0]["lag_seconds"], 600);
    assert_eq!(s["pods"][1]["state"], "stale");
}

#[test]
fn the_old_controllers_event_is_a_remount_time() {
    // A driver up to v1.5 left MountRotationComplete on the pod 90 s after
    // the change (its status is stripped of managedFields, as in a bundle).
    let p = catalog("d3f6g");
    let mut e = event(
        "Pod",
        "shop",
        &p.name,
        "MountRotationComplete",
        &format!("successfully rotated mounted contents for spc shop/{CLASS}"),
    );
    e.kind = "Normal".into();
    e.first_seen = Some(ago(510));
    e.last_seen = Some(ago(510));
    let w = world([
        class(),
        kv(600),
        status(&p, NEW, 7190, 7190),
        add_event(e),
        add_pod(p),
    ]);
    assert!(matches!(driver_rotation(&w), DriverRotation::On { .. }));
    let r = diagnose(&w, now());
    let pod = &r.workloads[0].rotations[0].pods[0];
    assert_eq!(
        (pod.state, pod.lag_seconds),
        (RenderState::Current, Some(90))
    );
    assert!(rotation_findings(&r).is_empty());
}

#[test]
fn within_the_poll_interval_a_pod_is_due_and_without_evidence_unknown() {
    let p = catalog("d3f6g");
    // No driver config read, nothing rewritten: 90 s after the change is due...
    let r = diagnose(
        &world([
            class(),
            kv(90),
            status(&p, OLD, 7190, 7190),
            add_pod(p.clone()),
        ]),
        now(),
    );
    assert_eq!(r.workloads[0].rotations[0].pods[0].state, RenderState::Due);
    // ...and later unknown: the write may have left this key as it was.
    let r = diagnose(
        &world([
            class(),
            kv(1200),
            status(&p, OLD, 7190, 7190),
            add_pod(p.clone()),
        ]),
        now(),
    );
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Unknown
    );
    assert!(rotation_findings(&r).is_empty());
    // With the flags read (rotation on, polling every 10 minutes), 15
    // minutes without a remount is stale.
    let on = CsiDriverConfig::from_args(
        &[
            "--enable-secret-rotation=true".into(),
            "--rotation-poll-interval=10m".into(),
        ],
        "DaemonSet kube-system/csi-secrets-store",
    );
    let r = diagnose(
        &world([
            class(),
            kv(900),
            Observation::CsiDriver(on.clone()),
            status(&p, OLD, 7190, 7190),
            add_pod(p.clone()),
        ]),
        now(),
    );
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Stale
    );
    let f = rotation_findings(&r);
    assert_eq!(f[0].code, Code::RotationNotPropagated);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("--enable-secret-rotation=true")
    );
    // A pod mounted after the change has it.
    let r = diagnose(
        &world([
            class(),
            kv(900),
            Observation::CsiDriver(on),
            status(&p, NEW, 300, 300),
            add_pod(p),
        ]),
        now(),
    );
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Current
    );
}

#[test]
fn a_driver_that_does_not_rotate_is_told_with_its_evidence() {
    let (a, b) = (catalog("d3f6g"), catalog("k9l2m"));
    let off = Observation::CsiDriver(CsiDriverConfig::from_csidriver(Some(false)));
    // Vault changed the password after both pods mounted it: a warning,
    // once for the workload, naming both times; no not_propagated besides.
    let r = diagnose(
        &world([
            class(),
            kv(1200),
            off.clone(),
            status(&a, OLD, 7190, 7190),
            status(&b, OLD, 7190, 7190),
            add_pod(a.clone()),
            add_pod(b.clone()),
        ]),
        now(),
    );
    let f = rotation_findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].code, Code::RotationCsiRotationDisabled);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].message.ends_with("(and 1 more pod)"),
        "{}",
        f[0].message
    );
    let ev = f[0].evidence.as_deref().unwrap();
    assert!(
        ev.contains("requiresRepublish is false")
            && ev.contains("secret/data/shop/catalog v4 written at")
            && ev.contains("mounted 20"),
        "{ev}"
    );
    assert!(
        f[0].hint.contains("--enable-secret-rotation=true"),
        "{}",
        f[0].hint
    );
    assert_eq!(
        r.workloads[0].rotations[0].pods[0].state,
        RenderState::Stale
    );
    // Nothing changed since the mount: info only.
    let r = diagnose(
        &world([
            class(),
            kv(86_000),
            off.clone(),
            status(&a, OLD, 7190, 7190),
            add_pod(a.clone()),
        ]),
        now(),
    );
    let f = rotation_findings(&r);
    assert_eq!((f.len(), f[0].severity), (1, Severity::Info));
    // The old controller's events outweigh requiresRepublish: a driver
    // before v1.6 rotated without kubelet's republish.
    let mut e = event(
        "Pod",
        "shop",
        &a.name,
        "MountRotationFailed",
        "provider mount err: rpc error: code = Unknown desc = error making mount request: couldn't read secret \"db-password\": Error making API request.",
    );
    e.last_seen = Some(ago(60));
    let w = world([
        class(),
        kv(1200),
        off,
        status(&a, OLD, 7190, 7190),
        add_event(e),
        add_pod(a),
    ]);
    assert!(matches!(driver_rotation(&w), DriverRotation::On { .. }));
    assert!(
        rotation_findings(&diagnose(&w, now()))
            .iter()
            .all(|f| f.code != Code::RotationCsiRotationDisabled)
    );
}

/// A pod of the driver's DaemonSet as `deploy/secrets-store-csi-driver.yaml`
/// @v1.6.1 makes it (its `secrets-store` container and args).
fn driver_pod(rotation: &str) -> k8s_openapi::api::core::v1::Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "csi-secrets-store-x7k2p", "namespace": "kube-system"},
        "spec": {"containers": [
            {"name": "node-driver-registrar",
             "image": "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.16.0",
             "args": ["--v=5", "--csi-address=/csi/csi.sock"]},
            {"name": "secrets-store",
             "image": "registry.k8s.io/csi-secrets-store/driver:v1.6.1",
             "args": [
                "--endpoint=$(CSI_ENDPOINT)",
                "--nodeid=$(KUBE_NODE_NAME)",
                "--provider-volume=/var/run/secrets-store-csi-providers",
                "--additional-provider-volume-paths=/etc/kubernetes/secrets-store-csi-providers",
                "--metrics-addr=:8095",
                format!("--enable-secret-rotation={rotation}"),
                "--rotation-poll-interval=2m",
                "--provider-health-check=false",
                "--provider-health-check-interval=2m"
             ]}
        ]}
    }))
    .unwrap()
}

#[test]
fn the_driver_pods_flags_outweigh_the_csidriver_object() {
    let cfg = CsiDriverConfig::from_driver_pod(&driver_pod("false")).unwrap();
    assert_eq!(
        cfg.flags_from.as_deref(),
        Some("driver pod kube-system/csi-secrets-store-x7k2p, container secrets-store")
    );
    // deploy/csidriver.yaml sets requiresRepublish: true whatever the flag.
    let w = world([
        Observation::CsiDriver(CsiDriverConfig::from_csidriver(Some(true))),
        Observation::CsiDriver(cfg),
    ]);
    let DriverRotation::Off { why } = driver_rotation(&w) else {
        panic!("{:?}", driver_rotation(&w))
    };
    assert!(
        why.starts_with("driver pod kube-system/csi-secrets-store-x7k2p"),
        "{why}"
    );
    // Read in the other order, the flags still hold.
    let w = world([
        Observation::CsiDriver(CsiDriverConfig::from_driver_pod(&driver_pod("true")).unwrap()),
        Observation::CsiDriver(CsiDriverConfig::from_csidriver(Some(false))),
    ]);
    assert!(matches!(
        driver_rotation(&w),
        DriverRotation::On { interval: 120, .. }
    ));
    // Not a driver pod: nothing read.
    assert!(CsiDriverConfig::from_driver_pod(&serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "args": ["--enable-secret-rotation=true"]}]}
    })).unwrap()).is_none());
}

/// `check --from` on a bundle: the driver's flags come from its pod in
/// pods.yaml (examples/broken-csi, captured from a cluster whose driver was
/// installed by the chart with enableSecretRotation=true).
#[test]
fn a_bundle_tells_the_drivers_rotation_from_its_pod() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken-csi");
    let check = |dir: &std::path::Path| -> serde_json::Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vaultscope"))
            .args(["check", "--from", dir.to_str().unwrap(), "-o", "json"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let catalog = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == "catalog")
            .unwrap()["findings"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(catalog(&check(&src)).is_empty());
    // The same capture with the manifest's default flag: off.
    let dir = std::env::temp_dir().join(format!("vaultscope-csi-rotation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in walk(&src) {
        let to = dir.join(e.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&e, &to).unwrap();
    }
    let pods = std::fs::read_to_string(dir.join("pods.yaml")).unwrap();
    assert!(pods.contains("- --enable-secret-rotation=true"));
    std::fs::write(
        dir.join("pods.yaml"),
        pods.replace(
            "- --enable-secret-rotation=true",
            "- --enable-secret-rotation=false",
        ),
    )
    .unwrap();
    let f = catalog(&check(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["code"], "rotation.csi_rotation_disabled");
    // Nothing in Vault is known to have changed since the mount: info.
    assert_eq!(f[0]["severity"], "info");
    let ev = f[0]["evidence"].as_str().unwrap();
    // (one pod per node; any of them says it)
    assert!(
        ev.starts_with("driver: driver pod kube-system/csi-secrets-store-csi-driver-")
            && ev.contains(", container secrets-store: --enable-secret-rotation=false"),
        "{ev}"
    );
}
