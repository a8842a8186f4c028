//! The cluster ring of `vaultscope preflight` against a real kube-apiserver
//! (scripts/lab.sh: kube-apiserver v1.37 on kine, the secrets-store CSI
//! CRDs, the vault-agent-injector webhook with its Service and
//! EndpointSlice, seeded namespaces, service accounts and classes). The lab
//! starts once for this test binary, in its own dir and ports (moved by
//! VAULTSCOPE_TEST_SLOT); the tests run one at a time and the last stops it.

mod common;
use common::LabPlace;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;

const LAB_DIR: &str = "/tmp/vaultscope-lab-preflighttest";
const APISERVER_PORT: u16 = 17500;
/// Not 17550, tests/auth_backend_live.rs's kwok port. A slot moves every
/// port by 5: two bases meet when they differ by a multiple of 5 up to 45,
/// which 17479 does with none of the other labs' (scripts/test.sh lists them).
const KINE_PORT: u16 = 17479;
const KWOK_PORT: u16 = 17300;
/// The tests that use the lab: the last one to finish stops it.
const TESTS: usize = 3;

fn place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}

struct Lab {
    admin: PathBuf,
    restricted: PathBuf,
}

static LAB: OnceLock<Lab> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn lab_command(args: &[&str]) -> Command {
    let mut c = Command::new("bash");
    c.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/lab.sh"))
        .args(args)
        .env("VAULTSCOPE_LAB_DIR", &place().dir)
        .env(
            "VAULTSCOPE_LAB_APISERVER_PORT",
            place().port(APISERVER_PORT),
        )
        .env("VAULTSCOPE_LAB_KINE_PORT", place().port(KINE_PORT))
        .env("VAULTSCOPE_LAB_KWOK_PORT", place().port(KWOK_PORT));
    c
}

fn kubectl(args: &[&str], stdin: Option<&str>) {
    let mut full = vec!["kubectl"];
    full.extend(args);
    let mut child = lab_command(&full)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scripts/lab.sh kubectl");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_lab() -> Lab {
    let _ = lab_command(&["down"]).output();
    let out = lab_command(&["up"])
        .output()
        .expect("cannot run scripts/lab.sh");
    assert!(
        out.status.success(),
        "scripts/lab.sh up failed ({}); the cluster ring's tests need it.\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let admin = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    assert!(
        admin.is_file(),
        "lab.sh up printed no kubeconfig path: {stdout}"
    );
    Lab {
        restricted: admin.with_file_name("restricted.kubeconfig"),
        admin,
    }
}

struct Use {
    lab: &'static Lab,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Use {
    fn drop(&mut self) {
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == TESTS {
            let _ = lab_command(&["down"]).output();
        }
    }
}

fn lab() -> Use {
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    Use {
        lab: LAB.get_or_init(start_lab),
        _serial: serial,
    }
}

/// `vaultscope preflight -f - -o json --kubeconfig K`, with no Vault.
fn preflight(kubeconfig: &PathBuf, input: &str) -> (i32, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
        .args(["preflight", "-f", "-", "-o", "json", "--kubeconfig"])
        .arg(kubeconfig)
        .env_remove("VAULT_ADDR")
        .env_remove("BAO_ADDR")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vaultscope");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn found(v: &Value) -> Vec<(String, usize)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

fn line_in(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
        + 1
}

/// Workloads that lean on the lab's cluster for what they do not define.
const INPUT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog-reader, namespace: shop}
spec:
  template:
    metadata:
      annotations:
        vault.hashicorp.com/agent-inject: "true"
        vault.hashicorp.com/role: catalog
    spec:
      serviceAccountName: catalog
      volumes:
      - name: from-cluster
        csi:
          driver: secrets-store.csi.k8s.io
          volumeAttributes: {secretProviderClass: catalog-vault}
      - name: nowhere
        csi:
          driver: secrets-store.csi.k8s.io
          volumeAttributes: {secretProviderClass: catalog-nowhere}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ghost, namespace: payments}
spec:
  template:
    metadata:
      annotations:
        vault.hashicorp.com/agent-inject: "true"
        vault.hashicorp.com/role: ghost
    spec:
      serviceAccountName: ghost-sa
---
apiVersion: v1
kind: Pod
metadata:
  name: lost
  namespace: staging
  annotations:
    vault.hashicorp.com/agent-inject: "true"
    vault.hashicorp.com/role: lost
---
apiVersion: v1
kind: Pod
metadata:
  name: injector-lookalike
  namespace: shop
  labels:
    app.kubernetes.io/name: vault-agent-injector
  annotations:
    vault.hashicorp.com/agent-inject: "true"
    vault.hashicorp.com/role: catalog
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: feature-flags, namespace: shop}
spec:
  template:
    metadata:
      annotations:
        openbao.org/agent-inject: "true"
        openbao.org/role: flags
"#;

#[test]
fn the_cluster_ring_checks_what_the_input_leaves_to_the_cluster() {
    let lab = lab();
    let at = |needle: &str| line_in(INPUT, needle);
    let lookalike = INPUT.find("name: injector-lookalike").unwrap();
    let lookalike_inject = INPUT[..lookalike].lines().count()
        + line_in(&INPUT[lookalike..], "vault.hashicorp.com/agent-inject")
        - 1;
    let (code, v) = preflight(&lab.lab.admin, INPUT);
    assert_eq!(code, 1, "{v:#}");
    let cluster = v["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ring"] == "cluster")
        .unwrap();
    assert_eq!(cluster["ran"], true);
    assert!(
        cluster["detail"].as_str().unwrap().starts_with("context "),
        "{cluster}"
    );
    // The lab has the CSI CRDs but no CSIDriver object: not installed.
    let mut want = vec![
        (
            "csi.driver_missing".to_string(),
            at("secretProviderClass: catalog-vault"),
        ),
        (
            "preflight.service_account_missing".to_string(),
            at("serviceAccountName: ghost-sa"),
        ),
        (
            "preflight.namespace_missing".to_string(),
            at("name: lost") - 2,
        ),
        ("preflight.pod_not_selected".to_string(), lookalike_inject),
        (
            "preflight.injector_missing".to_string(),
            at("openbao.org/agent-inject"),
        ),
    ];
    want.sort_by_key(|w| w.1);
    assert_eq!(found(&v), want, "{v:#}");
    // The openbao-k8s pod is told what the cluster has instead.
    let missing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "preflight.injector_missing")
        .unwrap();
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .starts_with("openbao.org/agent-inject asks openbao-k8s to inject"),
        "{missing}"
    );
    assert!(
        missing["fix"].as_str().unwrap().contains(
            "openbao-helm with injector.enabled=true), or use the annotations of the Vault Agent Injector the cluster has (vault.hashicorp.com/agent-inject"
        ),
        "{missing}"
    );

    // The driver installed, the injector's only endpoint not ready.
    kubectl(
        &["apply", "-f", "-"],
        Some(
            "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata:\n  name: secrets-store.csi.k8s.io\nspec:\n  podInfoOnMount: true\n  attachRequired: false\n  volumeLifecycleModes: [Ephemeral]\n",
        ),
    );
    let patch = r#"[{"op":"replace","path":"/endpoints/0/conditions/ready","value":false}]"#;
    kubectl(
        &[
            "-n",
            "vault",
            "patch",
            "endpointslice",
            "vault-agent-injector-svc-7x2kq",
            "--type=json",
            "-p",
            patch,
        ],
        None,
    );
    let (code, v) = preflight(&lab.lab.admin, INPUT);
    let unpatch = r#"[{"op":"replace","path":"/endpoints/0/conditions/ready","value":true}]"#;
    kubectl(
        &[
            "-n",
            "vault",
            "patch",
            "endpointslice",
            "vault-agent-injector-svc-7x2kq",
            "--type=json",
            "-p",
            unpatch,
        ],
        None,
    );
    assert_eq!(code, 1);
    let got = found(&v);
    assert!(!got.iter().any(|f| f.0 == "csi.driver_missing"), "{got:?}");
    // catalog-vault is in the cluster; catalog-nowhere is nowhere.
    assert!(
        got.contains(&(
            "csi.class_not_found".into(),
            at("secretProviderClass: catalog-nowhere")
        )),
        "{got:?}"
    );
    assert!(
        !got.contains(&(
            "csi.class_not_found".into(),
            at("secretProviderClass: catalog-vault")
        )),
        "{got:?}"
    );
    let unavailable: Vec<&(String, usize)> = got
        .iter()
        .filter(|f| f.0 == "injection.injector_unavailable")
        .collect();
    // Every pod that asks vault-k8s to inject (the lookalike is not selected).
    assert_eq!(
        unavailable.iter().map(|f| f.1).collect::<Vec<_>>(),
        vec![
            at("vault.hashicorp.com/agent-inject"),
            line_in(&INPUT[INPUT.find("name: ghost").unwrap()..], "agent-inject")
                + INPUT[..INPUT.find("name: ghost").unwrap()].lines().count()
                - 1,
            line_in(&INPUT[INPUT.find("name: lost").unwrap()..], "agent-inject")
                + INPUT[..INPUT.find("name: lost").unwrap()].lines().count()
                - 1
        ],
        "{got:?}"
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "injection.injector_unavailable")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("failurePolicy Ignore"),
        "{f}"
    );
}

/// openbao-k8s's webhook as openbao-helm installs it
/// (`charts/openbao/templates/injector-mutating-webhook.yaml` @d52f690:
/// vault-k8s's webhook name, in openbao's configuration), with no pod
/// behind its Service. (openbao-k8s's own deploy/ file names the webhook
/// `openbao.org`, which the API server refuses: a webhook name needs three
/// segments.)
const OPENBAO_WEBHOOK: &str = r#"apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: openbao-agent-injector-cfg
  labels: {app.kubernetes.io/name: openbao-agent-injector}
webhooks:
- name: vault.hashicorp.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig:
    service: {namespace: openbao, name: openbao-agent-injector-svc, path: /mutate}
  rules:
  - operations: [CREATE]
    apiGroups: [""]
    apiVersions: [v1]
    resources: [pods]
  namespaceSelector:
    matchLabels: {openbao-injection: enabled}
"#;

#[test]
fn openbao_pods_meet_openbao_k8s_webhook_in_the_cluster() {
    let lab = lab();
    kubectl(&["apply", "-f", "-"], Some(OPENBAO_WEBHOOK));
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: flags, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations:\n        openbao.org/agent-inject: \"true\"\n        openbao.org/role: catalog\n    spec:\n      serviceAccountName: catalog\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {openbao-injection: enabled}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: legacy, namespace: payments}\nspec:\n  template:\n    metadata:\n      annotations:\n        openbao.openbao.org/agent-inject: \"true\"\n        openbao.openbao.org/role: billing\n    spec:\n      serviceAccountName: billing\n";
    let (code, v) = preflight(&lab.lab.admin, input);
    let (code_after, after) = {
        kubectl(
            &[
                "delete",
                "mutatingwebhookconfiguration",
                "openbao-agent-injector-cfg",
            ],
            None,
        );
        preflight(&lab.lab.admin, input)
    };
    assert_eq!(code, 1, "{v:#}");
    let legacy = input.find("name: legacy").unwrap();
    let legacy_inject = input[..legacy].lines().count()
        + line_in(&input[legacy..], "openbao.openbao.org/agent-inject")
        - 1;
    // shop is selected (the input labels it) but nothing serves the
    // webhook; payments (the lab's, unlabelled) is not selected.
    assert_eq!(
        found(&v),
        vec![
            (
                "injection.injector_unavailable".to_string(),
                line_in(input, "openbao.org/agent-inject")
            ),
            (
                "preflight.namespace_not_selected".to_string(),
                legacy_inject
            ),
        ],
        "{v:#}"
    );
    let f = &v["findings"][0];
    assert!(
        f["message"].as_str().unwrap().starts_with(
            "The openbao-k8s webhook vault.hashicorp.com calls Service openbao/openbao-agent-injector-svc, which has no ready endpoints"
        ),
        "{f}"
    );
    let f = &v["findings"][1];
    assert!(
        f["message"].as_str().unwrap().contains(
            "does not select namespace payments (namespaceSelector {openbao-injection=enabled}): openbao.openbao.org/agent-inject is ignored"
        ),
        "{f}"
    );
    // Without the webhook, both are told it is missing.
    assert_eq!(code_after, 1);
    assert!(
        found(&after)
            .iter()
            .all(|f| f.0 == "preflight.injector_missing"),
        "{after:#}"
    );
    assert_eq!(found(&after).len(), 2, "{after:#}");
}

#[test]
fn reads_rbac_refuses_are_named_not_judged() {
    let lab = lab();
    // alice may read pods, logs, events and replicasets in payments only.
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ghost, namespace: payments}\nspec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: ghost\n    spec:\n      serviceAccountName: ghost-sa\n";
    let (code, v) = preflight(&lab.lab.restricted, input);
    assert_eq!(code, 0, "{v:#}");
    assert!(found(&v).is_empty(), "{v:#}");
    let cluster = v["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ring"] == "cluster")
        .unwrap();
    let detail = cluster["detail"].as_str().unwrap();
    assert!(
        detail.contains("not checked: serviceaccount payments/ghost-sa:"),
        "{detail}"
    );
    assert!(
        detail.contains("mutatingwebhookconfigurations:"),
        "{detail}"
    );
    assert!(detail.contains("forbidden"), "{detail}");
}
