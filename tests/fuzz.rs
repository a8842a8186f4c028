//! Property tests: the annotation parser, the log classifier and the bundle
//! loader take any input without panicking, and classification is by content.

use std::collections::BTreeMap;

use proptest::prelude::*;
use vaultscope::diagnose::Code;
use vaultscope::diagnose::logs::analyse;
use vaultscope::model::annotations;
use vaultscope::sources::bundle;

const KEYS: &[&str] = &[
    "agent-inject",
    "agent-inject-status",
    "role",
    "agent-inject-secret-db",
    "agent-inject-template-db",
    "agent-inject-perms-db",
    "agent-limits-mem",
    "agent-requests-cpu",
    "agent-pre-populate",
    "agent-cache-listener-port",
    "auth-path",
    "client-timeout",
    "log-level",
    "preserve-secret-case",
    "agent-inject-secret-",
    "agent-inject-token",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(KEYS).prop_map(|k| format!("vault.hashicorp.com/{k}")),
        "[a-zA-Z0-9./_-]{0,40}".prop_map(|k| format!("vault.hashicorp.com/{k}")),
        "\\PC{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn annotation_parser_never_panics(map in proptest::collection::btree_map(key(), "\\PC{0,40}", 0..12)) {
        let parsed = annotations::parse(&map);
        // Every problem names a key that is really there.
        for p in &parsed.problems {
            prop_assert!(map.contains_key(&p.key) || p.key.starts_with("vault.hashicorp.com/"), "{}", p.key);
        }
    }

    #[test]
    fn log_classifier_never_panics(text in "\\PC{0,400}") {
        let _ = analyse(text.lines());
    }

    #[test]
    fn log_classifier_survives_arbitrary_lines_around_a_signature(
        before in proptest::collection::vec("[^\n]{0,80}", 0..5),
        after in proptest::collection::vec("[^\n]{0,80}", 0..5),
        addr in "https?://[a-z0-9.-]{1,20}(:[0-9]{2,5})?",
        mount in "auth/[a-z0-9-]{1,12}",
    ) {
        let sig = format!("2026-11-28T09:58:02.114Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT {addr}/v1/{mount}/login\\nCode: 403. Errors:\\n\\n* service account name not authorized\" backoff=1s");
        let mut lines: Vec<String> = before.iter().map(|l| format!("2026-11-28T09:00:00Z [INFO]  {l}")).collect();
        lines.push(sig);
        lines.extend(after.iter().map(|l| format!("2026-11-28T09:59:00Z [DEBUG] {l}")));
        let got = analyse(lines.iter().map(String::as_str));
        prop_assert!(got.iter().any(|s| s.cause.code == Code::AuthServiceAccountNotAuthorized), "{:?}", got);
    }

    #[test]
    fn bundle_loader_never_panics(pods in "\\PC{0,300}", events in "\\PC{0,200}", vault in "\\PC{0,200}") {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("pods.yaml"), &pods).unwrap();
        std::fs::write(d.path().join("events.yaml"), &events).unwrap();
        std::fs::write(d.path().join("vault.json"), &vault).unwrap();
        let _ = bundle::load(d.path()).map(|b| b.into_world());
    }

    #[test]
    fn bundle_loader_never_panics_on_structured_yaml(
        name in "[a-z0-9-]{0,20}",
        phase in "\\PC{0,10}",
        restarts in any::<i64>(),
        exit in any::<i64>(),
        ts in "\\PC{0,25}",
    ) {
        let pods = format!("kind: List\nitems:\n- kind: Pod\n  metadata: {{name: '{name}', namespace: x, creationTimestamp: '{ts}', annotations: {{vault.hashicorp.com/agent-inject: 'true'}}}}\n  spec: {{containers: [{{name: vault-agent}}]}}\n  status:\n    phase: '{phase}'\n    containerStatuses:\n    - name: vault-agent\n      image: v\n      imageID: ''\n      ready: false\n      restartCount: {restarts}\n      lastState: {{terminated: {{exitCode: {exit}}}}}\n      state: {{waiting: {{reason: CrashLoopBackOff}}}}\n", phase = phase.replace('\'', ""), ts = ts.replace('\'', ""));
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("pods.yaml"), &pods).unwrap();
        if let Ok(b) = bundle::load(d.path()) {
            let (w, at) = b.into_world();
            let _ = vaultscope::diagnose::diagnose(&w, at.unwrap_or_default());
        }
    }
}

#[test]
fn deep_unicode_and_huge_values_are_fine() {
    let mut m = BTreeMap::new();
    m.insert(
        "vault.hashicorp.com/agent-inject-secret-ünïcødé".to_string(),
        "ŝecret/dätä/ẍ".to_string(),
    );
    m.insert(
        "vault.hashicorp.com/agent-inject-perms-ünïcødé".to_string(),
        "７７７".to_string(),
    );
    m.insert(
        "vault.hashicorp.com/agent-limits-mem".to_string(),
        "9".repeat(10_000),
    );
    let p = annotations::parse(&m);
    assert_eq!(p.spec.secrets.len(), 1);
    assert!(
        p.problems
            .iter()
            .any(|x| x.key.ends_with("agent-inject-perms-ünïcødé"))
    );
    let long_line = format!("2026-11-28T09:00:00Z [ERROR] {}", "x".repeat(1_000_000));
    assert!(analyse(std::iter::once(long_line.as_str())).is_empty());
}
