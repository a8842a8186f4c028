//! Bad bundles get a message naming the file, the item and the field; never a panic.

mod common;

use std::fs;
use std::path::Path;

use vaultscope::sources::bundle;

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    d
}

fn err(d: &Path) -> String {
    bundle::load(d)
        .expect_err("bundle should be rejected")
        .to_string()
}

use common::POD;

#[test]
fn missing_pods_file_is_named() {
    let d = dir_with(&[("events.yaml", "items: []")]);
    let e = err(d.path());
    assert!(e.contains("pods.yaml") && e.contains("missing"), "{e}");
}

#[test]
fn malformed_yaml_names_the_file() {
    let d = dir_with(&[(
        "pods.yaml",
        "items:\n  - kind: Pod\n   metadata: [unclosed\n",
    )]);
    let e = err(d.path());
    assert!(
        e.contains("pods.yaml") && e.contains("not valid YAML"),
        "{e}"
    );
}

#[test]
fn wrong_kind_names_the_item() {
    let d = dir_with(&[(
        "pods.yaml",
        "kind: List\nitems:\n- kind: Service\n  metadata: {name: web, namespace: shop}\n",
    )]);
    let e = err(d.path());
    assert!(
        e.contains("items[0]") && e.contains("Service") && e.contains("expected Pod"),
        "{e}"
    );
}

#[test]
fn wrong_field_type_names_the_field() {
    let d = dir_with(&[(
        "pods.yaml",
        "kind: List\nitems:\n- kind: Pod\n  metadata: {name: web-1, namespace: shop}\n  spec:\n    containers: {name: app}\n",
    )]);
    let e = err(d.path());
    assert!(e.contains("pods.yaml"), "{e}");
    assert!(e.contains("items[0] (Pod shop/web-1)"), "{e}");
    assert!(e.contains("spec.containers"), "{e}");
}

#[test]
fn bad_event_time_names_the_field() {
    let d = dir_with(&[
        ("pods.yaml", POD),
        (
            "events.yaml",
            "kind: List\nitems:\n- kind: Event\n  metadata: {name: e1, namespace: shop}\n  involvedObject: {kind: Pod, name: web-1}\n  lastTimestamp: yesterday\n",
        ),
    ]);
    let e = err(d.path());
    assert!(
        e.contains("events.yaml") && e.contains("lastTimestamp"),
        "{e}"
    );
}

#[test]
fn bad_vault_json_names_the_field() {
    let d = dir_with(&[
        ("pods.yaml", POD),
        (
            "vault.json",
            r#"{"leases": [{"id": "database/creds/x/1", "expire_time": "soon"}]}"#,
        ),
    ]);
    let e = err(d.path());
    assert!(
        e.contains("vault.json") && e.contains("leases[0].expire_time"),
        "{e}"
    );
}

#[test]
fn bad_bundle_json_names_the_field() {
    let d = dir_with(&[
        ("pods.yaml", POD),
        ("bundle.json", r#"{"captured_at": "not a time"}"#),
    ]);
    let e = err(d.path());
    assert!(
        e.contains("bundle.json") && e.contains("captured_at"),
        "{e}"
    );
}

#[test]
fn json_and_single_objects_are_accepted() {
    let json = r#"{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod","metadata":{"name":"a","namespace":"n"},"spec":{"containers":[{"name":"c"}]}}]}"#;
    let d = dir_with(&[("pods.json", json)]);
    let b = bundle::load(d.path()).unwrap();
    assert_eq!(b.observations.len(), 1);
    let d = dir_with(&[(
        "pods.yaml",
        "kind: Pod\nmetadata: {name: a, namespace: n}\n---\nkind: Pod\nmetadata: {name: b, namespace: n}\n",
    )]);
    let (world, _) = bundle::load(d.path()).unwrap().into_world();
    // Neither gets secrets: the model holds them by key only.
    assert_eq!(world.other_pods.len(), 2);
    assert!(world.pods.is_empty());
}

#[test]
fn logs_and_capture_time_are_read() {
    let d = dir_with(&[
        ("pods.yaml", POD),
        (
            "logs/shop/web-1/vault-agent.log",
            "2026-11-28T09:00:00Z [INFO]  agent.auth.handler: authenticating\n",
        ),
        (
            "logs/shop/web-1/vault-agent.previous.log",
            "2026-11-28T08:00:00Z [ERROR] agent: boom\n",
        ),
        ("bundle.json", r#"{"captured_at": "2026-11-28T10:00:00Z"}"#),
    ]);
    let b = bundle::load(d.path()).unwrap();
    assert_eq!(b.captured_at, Some("2026-11-28T10:00:00Z".parse().unwrap()));
    let (world, at) = b.into_world();
    assert_eq!(at, Some("2026-11-28T10:00:00Z".parse().unwrap()));
    assert_eq!(
        world
            .log("shop", "web-1", "vault-agent", false)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        world
            .log("shop", "web-1", "vault-agent", true)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn without_capture_time_the_newest_timestamp_is_now() {
    let d = dir_with(&[
        ("pods.yaml", POD),
        (
            "logs/shop/web-1/vault-agent.log",
            "2026-11-28T09:30:00Z [INFO]  x\n2026-11-28T09:31:00Z [INFO]  y\n",
        ),
    ]);
    let (_, at) = bundle::load(d.path()).unwrap().into_world();
    assert_eq!(at, Some("2026-11-28T09:31:00Z".parse().unwrap()));
}
