//! The diagnosis engine over whole workloads, one situation per test, built
//! from the real strings in shared/reference/injection-facts.md.

mod common;

use common::*;
use vaultscope::diagnose::{Code, Finding, Health, Report, Severity, Via, diagnose};
use vaultscope::model::Observation;
use vaultscope::model::csi::{
    SecretProviderClassInfo, SecretProviderClassPodStatusInfo, SpcObject, SpcpsObject,
};
use vaultscope::model::injector::Injector;
use vaultscope::model::objects::InjectorWebhook;
use vaultscope::model::pod::{ContainerState, PodInfo};
use vaultscope::model::vault::{Certificate, Lease, VaultHealth, VaultStatus};

fn findings_of<'a>(r: &'a Report, name: &str) -> &'a [Finding] {
    &r.workloads
        .iter()
        .find(|w| w.key.name == name)
        .unwrap_or_else(|| {
            panic!(
                "workload {name} not in report: {:?}",
                r.workloads.iter().map(|w| &w.key).collect::<Vec<_>>()
            )
        })
        .findings
}

fn codes(fs: &[Finding]) -> Vec<Code> {
    fs.iter().map(|f| f.code).collect()
}

const SA_LOG: &str = "2026-11-28T09:56:10.000Z [INFO]  agent.auth.handler: authenticating\n2026-11-28T09:56:10.020Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT https://vault.vault.svc:8200/v1/auth/kubernetes/login\\nCode: 403. Errors:\\n\\n* service account name not authorized\" backoff=1.2s";

fn stuck_init(ns: &str, app: &str, for_secs: i64) -> PodInfo {
    let mut p = injected(ns, app, app, &[("db", "database/creds/app")]);
    p.conditions.clear();
    p.phase = "Pending".into();
    p.init_containers = vec![container("vault-agent-init", running(for_secs))];
    p.containers = vec![
        container("app", waiting("PodInitializing")),
        container("vault-agent", waiting("PodInitializing")),
    ];
    p
}

#[test]
fn healthy_injected_workload_is_ok() {
    let p = injected(
        "payments",
        "billing-api",
        "billing",
        &[("db-creds", "database/creds/billing")],
    );
    let log = "2026-11-28T09:45:00.000Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks\n2026-11-28T09:45:00.100Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db-creds\"";
    let w = world([logs(&p, "vault-agent", false, log), add_pod(p)]);
    let r = diagnose(&w, now());
    assert_eq!(r.workloads.len(), 1);
    let wl = &r.workloads[0];
    assert_eq!(wl.key.kind.as_str(), "Deployment");
    assert_eq!(wl.key.name, "billing-api");
    assert_eq!(wl.health, Health::Ok, "{:?}", wl.findings);
    assert!(wl.findings.is_empty());
    assert_eq!(wl.secrets[0].path, "database/creds/billing");
    assert!(!r.has_errors());
}

#[test]
fn pods_without_vault_are_not_reported() {
    let w = world([add_pod(ready(pod("default", "redis", "a1b2c")))]);
    assert!(diagnose(&w, now()).workloads.is_empty());
}

#[test]
fn stuck_init_with_auth_error_reports_the_cause_not_the_symptom() {
    let p = stuck_init("payments", "ledger", 372);
    let w = world([logs(&p, "vault-agent-init", false, SA_LOG), add_pod(p)]);
    let r = diagnose(&w, now());
    let f = findings_of(&r, "ledger");
    assert_eq!(
        codes(f),
        vec![Code::AuthServiceAccountNotAuthorized],
        "{f:#?}"
    );
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].via, Via::AgentInit);
    assert_eq!(f[0].container.as_deref(), Some("vault-agent-init"));
    assert!(f[0].message.contains("\"ledger\""), "{}", f[0].message);
    assert!(f[0].message.contains("stuck for 6m12s"), "{}", f[0].message);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("service account name not authorized")
    );
    assert!(f[0].hint.contains("bound_service_account_names"));
    assert!(f[0].hint.contains("auth/kubernetes/role/ledger"));
}

#[test]
fn stuck_init_without_a_known_cause_is_init_stuck() {
    let p = stuck_init("payments", "ledger", 150);
    let w = world([add_pod(p)]);
    let f = findings_of(&diagnose(&w, now()), "ledger").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerInitStuck]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("2m30s"));
    // Past five minutes it is an error.
    let w = world([add_pod(stuck_init("payments", "ledger", 400))]);
    assert_eq!(
        findings_of(&diagnose(&w, now()), "ledger")[0].severity,
        Severity::Error
    );
}

#[test]
fn fresh_init_is_not_stuck() {
    let w = world([add_pod(stuck_init("payments", "ledger", 20))]);
    assert!(findings_of(&diagnose(&w, now()), "ledger").is_empty());
}

#[test]
fn the_auth_mount_in_the_log_is_named_in_the_hint() {
    let mut p = stuck_init("payments", "ledger", 90);
    p.annotations
        .insert("vault.hashicorp.com/auth-path".into(), "auth/k8s-eu".into());
    let log = SA_LOG.replace("auth/kubernetes/login", "auth/k8s-eu/login");
    let w = world([logs(&p, "vault-agent-init", false, &log), add_pod(p)]);
    let f = findings_of(&diagnose(&w, now()), "ledger").to_vec();
    assert!(
        f[0].hint.contains("auth/k8s-eu/role/ledger"),
        "{}",
        f[0].hint
    );
}

#[test]
fn annotated_but_never_injected() {
    let mut p = ready(pod("shop", "legacy-web", "q8w9e"));
    p.annotations = ann(&[
        ("agent-inject", "true"),
        ("role", "legacy-web"),
        ("agent-inject-secret-config", "secret/data/shop/legacy"),
    ]);
    let w = world([add_pod(p)]);
    let f = findings_of(&diagnose(&w, now()), "legacy-web").to_vec();
    assert_eq!(codes(&f), vec![Code::InjectionNotInjected]);
    assert_eq!(f[0].via, Via::Webhook);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("containers: app")
    );
}

#[test]
fn status_injected_on_the_template_blocks_injection() {
    let mut p = ready(pod("shop", "tutorial", "q8w9e"));
    p.annotations = ann(&[
        ("agent-inject", "true"),
        ("agent-inject-status", "injected"),
        ("role", "x"),
    ]);
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "tutorial").to_vec();
    assert_eq!(codes(&f), vec![Code::InjectionNotInjected]);
    assert!(f[0].hint.contains("agent-inject-status"));
}

#[test]
fn webhook_failure_shows_a_workload_with_no_pods() {
    let msg = r#"Error creating: Internal error occurred: failed calling webhook "vault.hashicorp.com": failed to call webhook: Post "https://vault-agent-injector-svc.vault.svc:443/mutate?timeout=30s": context deadline exceeded"#;
    let w = world([
        Observation::ReplicaSetApplied(replicaset(
            "shop",
            "checkout",
            ann(&[("agent-inject", "true"), ("role", "checkout")]),
        )),
        add_event(event(
            "ReplicaSet",
            "shop",
            "checkout-5d8f7c9b6",
            "FailedCreate",
            msg,
        )),
    ]);
    let r = diagnose(&w, now());
    let wl = r
        .workloads
        .iter()
        .find(|w| w.key.name == "checkout")
        .unwrap();
    assert_eq!(wl.key.kind.as_str(), "Deployment");
    assert!(wl.pods.is_empty());
    assert_eq!(codes(&wl.findings), vec![Code::InjectionWebhookFailed]);
    assert_eq!(wl.findings[0].evidence.as_deref(), Some(msg));
}

#[test]
fn webhook_failure_without_the_replicaset_object_still_finds_the_deployment() {
    let msg = r#"Error creating: Internal error occurred: failed calling webhook "vault.hashicorp.com": Post "https://vault-agent-injector-svc.vault.svc:443/mutate?timeout=30s": context deadline exceeded"#;
    let w = world([add_event(event(
        "ReplicaSet",
        "shop",
        "checkout-7c9f5d8b4",
        "FailedCreate",
        msg,
    ))]);
    let r = diagnose(&w, now());
    assert_eq!(r.workloads[0].key.to_string(), "shop/Deployment/checkout");
}

#[test]
fn superseded_failed_create_is_history() {
    let msg = r#"Error creating: Internal error occurred: failed calling webhook "vault.hashicorp.com": context deadline exceeded"#;
    let mut ok = event(
        "ReplicaSet",
        "shop",
        "checkout-5d8f7c9b6",
        "SuccessfulCreate",
        "Created pod: checkout-5d8f7c9b6-abcde",
    );
    ok.kind = "Normal".into();
    ok.last_seen = Some(ago(5));
    let p = injected("shop", "checkout", "checkout", &[]);
    let w = world([
        add_pod(p),
        add_event(event(
            "ReplicaSet",
            "shop",
            "checkout-5d8f7c9b6",
            "FailedCreate",
            msg,
        )),
        add_event(ok),
    ]);
    assert!(findings_of(&diagnose(&w, now()), "checkout").is_empty());
}

#[test]
fn system_namespace_and_missing_role() {
    let mut p = ready(pod("kube-system", "dns-helper", "a1b2c"));
    p.annotations = ann(&[("agent-inject", "true"), ("role", "dns")]);
    let mut q = ready(pod("shop", "norole", "a1b2c"));
    q.annotations = ann(&[
        ("agent-inject", "true"),
        ("agent-inject-secret-x", "secret/data/x"),
    ]);
    let r = diagnose(&world([add_pod(p), add_pod(q)]), now());
    assert_eq!(
        codes(findings_of(&r, "dns-helper")),
        vec![Code::InjectionSystemNamespace]
    );
    assert_eq!(
        codes(findings_of(&r, "norole")),
        vec![Code::InjectionNoRole]
    );
    let ev = event(
        "ReplicaSet",
        "kube-system",
        "x-5d8f7c9b6",
        "FailedCreate",
        "Error creating: admission webhook \"vault.hashicorp.com\" denied the request: error with request namespace: cannot inject into system namespaces",
    );
    let r = diagnose(&world([add_event(ev)]), now());
    assert_eq!(
        codes(&r.workloads[0].findings),
        vec![Code::InjectionSystemNamespace]
    );
}

#[test]
fn bad_annotations_are_findings() {
    let mut p = injected("shop", "web", "web", &[("db", "database/creds/web")]);
    p.annotations.insert(
        "vault.hashicorp.com/agent-inject-perms-db".into(),
        "999".into(),
    );
    p.annotations
        .insert("vault.hashicorp.com/agent-limits-mem".into(), "lots".into());
    p.annotations.insert(
        "vault.hashicorp.com/agent-inject-secrets-extra".into(),
        "secret/data/x".into(),
    );
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "web").to_vec();
    assert!(
        f.iter().all(|f| f.code == Code::InjectionBadAnnotation),
        "{f:#?}"
    );
    assert_eq!(f.len(), 3);
    assert_eq!(
        f.iter().filter(|f| f.severity == Severity::Error).count(),
        2
    );
    assert!(f.iter().any(|f| {
        f.message
            .contains("did you mean vault.hashicorp.com/agent-inject-secret-extra")
    }));
    let invalid = f.iter().find(|f| f.message.contains("perms")).unwrap();
    assert_eq!(
        invalid.evidence.as_deref(),
        Some("vault.hashicorp.com/agent-inject-perms-db: \"999\"")
    );
}

#[test]
fn agent_inject_maybe_is_a_bad_annotation() {
    let mut p = ready(pod("shop", "maybe", "a1b2c"));
    p.annotations = ann(&[("agent-inject", "maybe"), ("role", "x")]);
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "maybe").to_vec();
    assert_eq!(codes(&f), vec![Code::InjectionBadAnnotation]);
    assert_eq!(f[0].severity, Severity::Error);
}

fn sidecar_pod(
    app: &str,
    state: ContainerState,
    restarts: i32,
    last: Option<(i32, &str)>,
) -> PodInfo {
    let mut p = injected("payments", app, app, &[("cfg", "secret/data/payments/cfg")]);
    p.conditions.clear();
    let c = p
        .containers
        .iter_mut()
        .find(|c| c.name == "vault-agent")
        .unwrap();
    c.state = state;
    c.ready = false;
    c.restart_count = restarts;
    c.last_termination = last.map(|(code, reason)| exited(code, reason));
    p
}

#[test]
fn crash_loop_with_a_known_cause_reports_the_cause() {
    let p = sidecar_pod(
        "invoices",
        waiting("CrashLoopBackOff"),
        7,
        Some((1, "Error")),
    );
    let prev = r#"2026-11-28T09:58:03.001Z [ERROR] agent.template.server: template server error: error="(dynamic): vault.read(secret/data/payments/invoices): vault.read(secret/data/payments/invoices): Error making API request.\n\nURL: GET https://vault.vault.svc:8200/v1/secret/data/payments/invoices\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n"
2026-11-28T09:58:03.001Z [ERROR] agent: runtime error encountered: error="template server: (dynamic): vault.read(secret/data/payments/invoices): ...permission denied"
2026-11-28T09:58:03.002Z [INFO]  agent: (runner) stopping"#;
    let w = world([logs(&p, "vault-agent", true, prev), add_pod(p)]);
    let f = findings_of(&diagnose(&w, now()), "invoices").to_vec();
    assert_eq!(codes(&f), vec![Code::SecretPermissionDenied], "{f:#?}");
    assert!(f[0].message.contains("secret/data/payments/invoices"));
    assert!(f[0].hint.contains("token_policies"));
}

#[test]
fn crash_loop_without_a_known_cause() {
    let p = sidecar_pod(
        "invoices",
        waiting("CrashLoopBackOff"),
        4,
        Some((2, "Error")),
    );
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "invoices").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerCrashLoop]);
    assert!(
        f[0].message.contains("restarted 4 times; last exit code 2"),
        "{}",
        f[0].message
    );
}

#[test]
fn oom_killed_and_image_pull() {
    let p = sidecar_pod(
        "big",
        waiting("CrashLoopBackOff"),
        3,
        Some((137, "OOMKilled")),
    );
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "big").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerOomKilled], "{f:#?}");
    assert!(f[0].hint.contains("agent-limits-mem"));
    let mut p = sidecar_pod("pull", ContainerState::Unknown, 0, None);
    p.init_containers[0].state = ContainerState::Waiting {
        reason: Some("ImagePullBackOff".into()),
        message: Some("Back-off pulling image \"hashicorp/vault:9.9.9\"".into()),
    };
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "pull").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerImagePull]);
    assert_eq!(f[0].via, Via::AgentInit);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("hashicorp/vault:9.9.9")
    );
}

#[test]
fn running_sidecar_with_renewal_trouble_is_a_warning() {
    let p = injected(
        "payments",
        "reports",
        "reports",
        &[("db", "database/creds/reports")],
    );
    let log = "2026-11-28T09:58:03.001Z [WARN]  agent: (view) vault.read(database/creds/reports): failed to renew: Error making API request.";
    let w = world([logs(&p, "vault-agent", false, log), add_pod(p)]);
    let r = diagnose(&w, now());
    let f = findings_of(&r, "reports");
    assert_eq!(codes(f), vec![Code::RenewalLeaseFailed]);
    assert_eq!(r.workloads[0].health, Health::Warning);
}

fn spc(name: &str, role: &str) -> Observation {
    Observation::ClassApplied(Box::new(SecretProviderClassInfo {
        namespace: "shop".into(),
        name: name.into(),
        provider: "vault".into(),
        role_name: Some(role.into()),
        vault_address: Some("https://vault.vault.svc:8200".into()),
        auth_mount: None,
        audience: None,
        objects: vec![SpcObject {
            object_name: "db-password".into(),
            secret_path: "secret/data/shop/catalog".into(),
            secret_key: Some("password".into()),
        }],
        objects_error: None,
        synced_secrets: vec![],
    }))
}

fn spcps(p: &PodInfo, class: &str, mounted: bool) -> Observation {
    Observation::PodStatusApplied(Box::new(SecretProviderClassPodStatusInfo {
        namespace: p.namespace.clone(),
        name: format!("{}-{}-{class}", p.name, p.namespace),
        pod_name: p.name.clone(),
        class_name: class.into(),
        mounted,
        target_path: None,
        objects: vec![SpcpsObject {
            id: "db-password".into(),
            version: "x7QbZ".into(),
        }],
        created: None,
        written: None,
    }))
}

#[test]
fn healthy_csi_mount() {
    let p = ready(csi_pod("shop", "catalog", "catalog-vault"));
    let w = world([
        Observation::CsiInstalled(true),
        spc("catalog-vault", "catalog"),
        spcps(&p, "catalog-vault", true),
        add_pod(p),
    ]);
    let r = diagnose(&w, now());
    assert_eq!(
        r.workloads[0].health,
        Health::Ok,
        "{:?}",
        r.workloads[0].findings
    );
    assert_eq!(r.workloads[0].secrets[0].via.as_str(), "csi");
    assert_eq!(r.workloads[0].secrets[0].path, "secret/data/shop/catalog");
}

fn failed_mount(p: &PodInfo, err: &str) -> Observation {
    add_event(event(
        "Pod",
        &p.namespace,
        &p.name,
        "FailedMount",
        &format!(
            "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod {}/{}, err: rpc error: code = Unknown desc = error making mount request: {err}",
            p.namespace, p.name
        ),
    ))
}

fn pending(mut p: PodInfo) -> PodInfo {
    p.phase = "Pending".into();
    p.containers[0].state = waiting("ContainerCreating");
    p
}

#[test]
fn csi_failed_mount_with_a_specific_auth_cause() {
    let p = pending(csi_pod("shop", "cart", "cart-vault"));
    let err = "failed to login: Error making API request.\n\nURL: POST https://vault.vault.svc:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* service account name not authorized";
    let w = world([
        Observation::CsiInstalled(true),
        spc("cart-vault", "cart"),
        spcps(&p, "cart-vault", false),
        failed_mount(&p, err),
        add_pod(p),
    ]);
    let f = findings_of(&diagnose(&w, now()), "cart").to_vec();
    assert_eq!(
        codes(&f),
        vec![Code::AuthServiceAccountNotAuthorized],
        "{f:#?}"
    );
    assert_eq!(f[0].via, Via::Csi);
    assert!(
        f[0].hint.contains("auth/kubernetes/role/cart"),
        "{}",
        f[0].hint
    );
}

#[test]
fn csi_token_review_denied() {
    let p = pending(csi_pod("shop", "cart", "cart-vault"));
    let err = "failed to login: Error making API request.\n\nURL: POST https://vault.vault.svc:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* permission denied";
    let w = world([
        Observation::CsiInstalled(true),
        spc("cart-vault", "cart"),
        failed_mount(&p, err),
        add_pod(p),
    ]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "cart")),
        vec![Code::AuthPermissionDenied]
    );
}

#[test]
fn csi_missing_key_and_generic_mount_failure() {
    let p = pending(csi_pod("shop", "reviews", "reviews-vault"));
    let err = "failed to get secret content: couldn't read secret \"db-password\": key \"password\" does not exist at the secret path";
    let w = world([
        Observation::CsiInstalled(true),
        spc("reviews-vault", "reviews"),
        failed_mount(&p, err),
        add_pod(p.clone()),
    ]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "reviews")),
        vec![Code::SecretMissingKey]
    );
    let w = world([
        Observation::CsiInstalled(true),
        spc("reviews-vault", "reviews"),
        add_event(event(
            "Pod",
            "shop",
            &p.name,
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[secrets-store-inline], unattached volumes=[]: timed out waiting for the condition",
        )),
        add_pod(p),
    ]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "reviews")),
        vec![Code::CsiMountFailed]
    );
}

#[test]
fn csi_class_not_found_from_event_and_from_objects() {
    let p = pending(csi_pod("shop", "search", "search-vault"));
    let msg = "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to get secretproviderclass shop/search-vault, error: secretproviderclasses.secrets-store.csi.x-k8s.io \"search-vault\" not found";
    let w = world([
        Observation::CsiInstalled(true),
        add_event(event("Pod", "shop", &p.name, "FailedMount", msg)),
        add_pod(p.clone()),
    ]);
    let f = findings_of(&diagnose(&w, now()), "search").to_vec();
    assert_eq!(codes(&f), vec![Code::CsiClassNotFound], "{f:#?}");
    let w = world([Observation::CsiInstalled(true), add_pod(p)]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "search")),
        vec![Code::CsiClassNotFound]
    );
}

#[test]
fn csi_driver_missing() {
    let p = pending(csi_pod("shop", "cart", "cart-vault"));
    let msg = "MountVolume.SetUp failed for volume \"secrets-store-inline\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers";
    let w = world([
        add_event(event("Pod", "shop", &p.name, "FailedMount", msg)),
        add_pod(p.clone()),
    ]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "cart")),
        vec![Code::CsiDriverMissing]
    );
    let w = world([Observation::CsiInstalled(false), add_pod(p)]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "cart")),
        vec![Code::CsiDriverMissing]
    );
}

#[test]
fn csi_sync_failed_and_unmounted_status() {
    let p = ready(csi_pod("shop", "images", "images-vault"));
    let mut p2 = p.clone();
    p2.conditions.clear();
    let msg = "failed to create Kubernetes secret images-tls: secrets is forbidden: User \"system:serviceaccount:kube-system:secrets-store-csi-driver\" cannot create resource \"secrets\". The secret operation failed with forbidden error. If you installed the CSI driver using helm, ensure syncSecret.enabled=true is set.";
    let w = world([
        Observation::CsiInstalled(true),
        spc("images-vault", "images"),
        add_event(event("Pod", "shop", &p2.name, "FailedToCreateSecret", msg)),
        add_pod(p2),
    ]);
    let f = findings_of(&diagnose(&w, now()), "images").to_vec();
    assert_eq!(codes(&f), vec![Code::CsiSyncFailed]);
    assert!(f[0].hint.contains("syncSecret.enabled=true"));
    let w = world([
        Observation::CsiInstalled(true),
        spc("images-vault", "images"),
        spcps(&p, "images-vault", false),
        add_pod(p),
    ]);
    assert_eq!(
        codes(findings_of(&diagnose(&w, now()), "images")),
        vec![Code::CsiMountFailed]
    );
}

fn lease(id: &str, issued: i64, expires_in: i64, renewable: bool, max: Option<i64>) -> Lease {
    Lease {
        id: id.into(),
        issue_time: Some(ago(issued)),
        expire_time: Some(now() + chrono::Duration::seconds(expires_in)),
        ttl_seconds: expires_in,
        renewable,
        last_renewal: None,
        max_ttl_seconds: max,
    }
}

#[test]
fn leases_are_matched_to_the_workload_and_expiry_is_judged() {
    let p = injected(
        "payments",
        "billing-api",
        "billing",
        &[("db-creds", "database/creds/billing")],
    );
    let w = world([
        add_pod(p),
        Observation::Leases(vec![
            lease(
                "database/creds/billing/AbCdEf",
                600,
                3000,
                true,
                Some(86400),
            ),
            lease("database/creds/other/Zz", 600, 10, false, None),
        ]),
    ]);
    let r = diagnose(&w, now());
    let wl = &r.workloads[0];
    assert_eq!(wl.leases.len(), 1);
    assert!(wl.findings.is_empty());
    let near_max = lease(
        "database/creds/billing/AbCdEf",
        86000,
        3000,
        true,
        Some(86400),
    );
    let expired = lease("database/creds/billing/Old", 4000, -5, false, None);
    let p = injected(
        "payments",
        "billing-api",
        "billing",
        &[("db-creds", "database/creds/billing")],
    );
    let w = world([add_pod(p), Observation::Leases(vec![near_max, expired])]);
    let f = diagnose(&w, now()).workloads[0].findings.clone();
    assert_eq!(codes(&f), vec![Code::LeaseExpired, Code::LeaseExpiring]);
}

#[test]
fn certificates_requested_by_templates_count_down() {
    let mut p = injected("shop", "web", "web", &[("tls", "pki/issue/web")]);
    p.annotations.insert(
        "vault.hashicorp.com/agent-inject-template-tls".into(),
        r#"{{ with pkiCert "pki/issue/web" "common_name=web.shop.svc" "ttl=72h" }}{{ .Cert }}{{ end }}"#.into(),
    );
    let cert = |left: i64| Certificate {
        serial: "3a:1f".into(),
        mount: "pki".into(),
        common_name: "web.shop.svc".into(),
        alt_names: vec![],
        not_before: Some(ago(72 * 3600 - left)),
        not_after: now() + chrono::Duration::seconds(left),
        revoked: false,
    };
    let w = world([
        add_pod(p.clone()),
        Observation::Certificates(vec![cert(40 * 3600)]),
    ]);
    let r = diagnose(&w, now());
    assert_eq!(r.workloads[0].certificates.len(), 1);
    assert!(r.workloads[0].findings.is_empty());
    let w = world([
        add_pod(p.clone()),
        Observation::Certificates(vec![cert(3600)]),
    ]);
    assert_eq!(
        codes(&diagnose(&w, now()).workloads[0].findings),
        vec![Code::CertExpiring]
    );
    let w = world([add_pod(p), Observation::Certificates(vec![cert(-60)])]);
    assert_eq!(
        codes(&diagnose(&w, now()).workloads[0].findings),
        vec![Code::CertExpired]
    );
}

#[test]
fn vault_sealed_and_unreachable_are_global() {
    let w = world([Observation::VaultStatus(VaultStatus::Reachable {
        address: "http://127.0.0.1:8200".into(),
        health: VaultHealth {
            initialized: true,
            sealed: true,
            ..Default::default()
        },
    })]);
    let r = diagnose(&w, now());
    assert_eq!(codes(&r.global), vec![Code::VaultSealed]);
    assert!(r.has_errors());
    let w = world([Observation::VaultStatus(VaultStatus::Unreachable {
        address: "http://127.0.0.1:8200".into(),
        error: "connection refused".into(),
    })]);
    assert_eq!(
        codes(&diagnose(&w, now()).global),
        vec![Code::VaultUnreachable]
    );
}

#[test]
fn injector_without_endpoints_is_global() {
    let w = world([Observation::InjectorEndpoints { ready: 0 }]);
    assert_eq!(
        codes(&diagnose(&w, now()).global),
        vec![Code::InjectionInjectorUnavailable]
    );
}

#[test]
fn replicas_with_the_same_problem_are_one_finding() {
    let mut a = stuck_init("payments", "ledger", 372);
    let mut b = a.clone();
    a.name = "ledger-5d8f7c9b6-aaaaa".into();
    b.name = "ledger-5d8f7c9b6-bbbbb".into();
    let w = world([
        logs(&a, "vault-agent-init", false, SA_LOG),
        logs(&b, "vault-agent-init", false, SA_LOG),
        add_pod(a),
        add_pod(b),
    ]);
    let r = diagnose(&w, now());
    let wl = &r.workloads[0];
    assert_eq!(wl.pods.len(), 2);
    assert_eq!(wl.findings.len(), 1);
    assert!(
        wl.findings[0].message.ends_with("(and 1 more pod)"),
        "{}",
        wl.findings[0].message
    );
}

#[test]
fn workloads_are_ordered_worst_first() {
    let ok = injected("a", "alpha", "alpha", &[]);
    let bad = stuck_init("z", "zulu", 400);
    let r = diagnose(&world([add_pod(ok), add_pod(bad)]), now());
    assert_eq!(r.workloads[0].key.name, "zulu");
    assert_eq!(r.workloads[1].key.name, "alpha");
}

#[test]
fn an_agent_that_exited_non_zero_without_restarting_yet() {
    let mut p = injected(
        "payments",
        "batch",
        "batch",
        &[("cfg", "secret/data/payments/cfg")],
    );
    p.init_containers[0].state = ContainerState::Terminated(exited(1, "Error"));
    p.conditions.clear();
    let log = "2026-11-28T09:58:00.000Z [INFO]  agent.auth.handler: authenticating\n2026-11-28T09:58:00.500Z [ERROR] agent: error starting template server: some unknown failure";
    let w = world([logs(&p, "vault-agent-init", false, log), add_pod(p)]);
    let f = findings_of(&diagnose(&w, now()), "batch").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerFailed], "{f:#?}");
    assert!(f[0].message.contains("exited with code 1"));
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("error starting template server"),
        "the last error line is the evidence"
    );
}

// OpenBao's injector (openbao-k8s): `openbao.org/*` annotations and the
// `openbao-agent-init` / `openbao-agent` containers (its
// agent-inject/agent/annotations.go, container_init_sidecar.go and
// container_sidecar.go). The OpenBao agent logs what Vault Agent logs
// (its command/agent.go names the same auth.handler, sink and template
// loggers), and the kubernetes auth plugin answers with the same errors.

/// An OpenBao agent init container stuck on a login that fails.
fn bao_stuck_init(app: &str, for_secs: i64) -> PodInfo {
    let mut p = bao_injected("inventory", app, app, &[("db", "database/creds/stock")]);
    p.conditions.clear();
    p.phase = "Pending".into();
    p.init_containers = vec![container("openbao-agent-init", running(for_secs))];
    p.containers = vec![
        container("app", waiting("PodInitializing")),
        container("openbao-agent", waiting("PodInitializing")),
    ];
    p
}

const BAO_INVALID_ROLE_LOG: &str = "==> OpenBao Agent started! Log data will stream in below:\n2026-11-28T09:56:10.000Z [INFO]  agent.auth.handler: authenticating\n2026-11-28T09:56:10.020Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT https://openbao.openbao.svc:8200/v1/auth/kubernetes/login\\nCode: 400. Errors:\\n\\n* invalid role name \\\"restock\\\"\" backoff=1.5s";

#[test]
fn openbao_injected_workload_is_ok_and_says_its_injector() {
    let p = bao_injected(
        "inventory",
        "stock-api",
        "stock-api",
        &[("db-creds", "database/creds/stock")],
    );
    let log = "==> OpenBao Agent started! Log data will stream in below:\n2026-11-28T09:45:00.000Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks\n2026-11-28T09:45:00.100Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db-creds\"";
    let w = world([logs(&p, "openbao-agent", false, log), add_pod(p)]);
    let r = diagnose(&w, now());
    assert_eq!(
        r.workloads.len(),
        1,
        "an OpenBao-injected pod is not invisible"
    );
    let wl = &r.workloads[0];
    assert_eq!(wl.health, Health::Ok, "{:#?}", wl.findings);
    assert_eq!(wl.injector, Some(Injector::OpenBao));
    assert_eq!(wl.method_label(), "agent (openbao-k8s)");
    assert_eq!(wl.pods[0].injector, Some(Injector::OpenBao));
    assert_eq!(
        wl.pods[0].agent_init.as_deref(),
        Some("terminated: Completed (exit 0)")
    );
    assert_eq!(wl.pods[0].agent.as_deref(), Some("running"));
    assert_eq!(wl.secrets[0].path, "database/creds/stock");
    assert_eq!(wl.secrets[0].target, "/vault/secrets/db-creds");
    // The same workload injected by vault-k8s says so too.
    let p = injected(
        "payments",
        "billing-api",
        "billing",
        &[("db", "database/creds/billing")],
    );
    let r = diagnose(&world([add_pod(p)]), now());
    assert_eq!(r.workloads[0].injector, Some(Injector::Vault));
    assert_eq!(r.workloads[0].method_label(), "agent (vault-k8s)");
}

#[test]
fn failing_openbao_agent_init_is_diagnosed_with_openbao_names() {
    let p = bao_stuck_init("restock", 400);
    let w = world([
        logs(&p, "openbao-agent-init", false, BAO_INVALID_ROLE_LOG),
        add_pod(p),
    ]);
    let r = diagnose(&w, now());
    let f = findings_of(&r, "restock");
    assert_eq!(codes(f), vec![Code::AuthInvalidRole], "{f:#?}");
    let f = &f[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.via, Via::AgentInit);
    assert_eq!(f.container.as_deref(), Some("openbao-agent-init"));
    assert!(
        f.message.contains("openbao-agent-init stuck for 6m40s"),
        "{}",
        f.message
    );
    assert!(
        f.hint.contains("the openbao.org/role annotation"),
        "{}",
        f.hint
    );
    assert!(
        f.hint.contains("auth/kubernetes/role/restock"),
        "{}",
        f.hint
    );
    for text in [&f.message, &f.hint] {
        assert!(
            !text.contains("vault.hashicorp.com") && !text.contains("vault-agent"),
            "{text}"
        );
    }
    // Without a log, the symptom, named after OpenBao's container.
    let w = world([add_pod(bao_stuck_init("restock", 400))]);
    let f = findings_of(&diagnose(&w, now()), "restock").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerInitStuck]);
    assert!(
        f[0].message
            .starts_with("openbao-agent-init has been running for 6m40s"),
        "{}",
        f[0].message
    );
}

#[test]
fn openbao_container_failures_name_openbao_annotations_and_flags() {
    let mut p = bao_stuck_init("pull", 10);
    p.init_containers[0].state = ContainerState::Waiting {
        reason: Some("ImagePullBackOff".into()),
        message: Some("Back-off pulling image \"quay.io/openbao/openbao:9.9.9\"".into()),
    };
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "pull").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerImagePull]);
    assert_eq!(f[0].via, Via::AgentInit);
    assert!(
        f[0].message.starts_with("openbao-agent-init cannot pull"),
        "{}",
        f[0].message
    );
    // openbao-k8s subcommand/injector/flags.go: -bao-image.
    assert!(
        f[0].hint.contains("openbao.org/agent-image") && f[0].hint.contains("-bao-image"),
        "{}",
        f[0].hint
    );
    let mut p = bao_injected("inventory", "big", "big", &[("cfg", "kv/cfg")]);
    let c = p
        .containers
        .iter_mut()
        .find(|c| c.name == "openbao-agent")
        .unwrap();
    c.state = waiting("CrashLoopBackOff");
    c.restart_count = 3;
    c.last_termination = Some(exited(137, "OOMKilled"));
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "big").to_vec();
    assert_eq!(codes(&f), vec![Code::ContainerOomKilled], "{f:#?}");
    assert_eq!(f[0].via, Via::Agent);
    assert!(
        f[0].hint.contains("openbao.org/agent-limits-mem"),
        "{}",
        f[0].hint
    );
}

#[test]
fn openbao_annotated_but_never_injected_names_its_webhook() {
    let mut p = ready(pod("inventory", "restock", "q8w9e"));
    p.annotations = ann_with(BAO, &[("agent-inject", "true"), ("role", "restock")]);
    let w = world([
        add_pod(p.clone()),
        Observation::CsiInstalled(true),
        // Only vault-k8s's webhook is installed: nothing injects OpenBao pods.
        Observation::InjectorWebhooks(vec![InjectorWebhook {
            injector: Injector::Vault,
            configuration: "vault-agent-injector-cfg".into(),
            failure_policy: "Ignore".into(),
            service_namespace: Some("vault".into()),
            service_name: Some("vault-agent-injector-svc".into()),
        }]),
    ]);
    let r = diagnose(&w, now());
    let wl = r
        .workloads
        .iter()
        .find(|w| w.key.name == "restock")
        .unwrap();
    assert_eq!(wl.injector, Some(Injector::OpenBao));
    let f = &wl.findings;
    assert_eq!(codes(f), vec![Code::InjectionNotInjected]);
    assert!(
        f[0].hint
            .contains("No openbao.org MutatingWebhookConfiguration")
            && f[0].hint.contains("openbao-helm"),
        "{}",
        f[0].hint
    );
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .starts_with("openbao.org/agent-inject: \"true\"; no openbao.org/agent-inject-status"),
        "{:?}",
        f[0].evidence
    );
    // The older openbao.openbao.org/ prefix is read too, and named as written.
    p.annotations = ann_with("openbao.openbao.org/", &[("agent-inject", "true")]);
    let f = findings_of(&diagnose(&world([add_pod(p)]), now()), "restock").to_vec();
    assert_eq!(codes(&f), vec![Code::InjectionNoRole]);
    assert!(f[0].message.contains("no OpenBao role"), "{}", f[0].message);
    assert!(
        f[0].hint.contains("Add openbao.openbao.org/role")
            && f[0].hint.contains("\"no Openbao role found\""),
        "{}",
        f[0].hint
    );
}

#[test]
fn both_injectors_annotations_without_containers_are_a_warning() {
    let mut p = ready(pod("inventory", "migrating", "q8w9e"));
    p.annotations = ann(&[("agent-inject", "true"), ("role", "m")]);
    p.annotations
        .extend(ann_with(BAO, &[("agent-inject", "true"), ("role", "m")]));
    let f = findings_of(&diagnose(&world([add_pod(p.clone())]), now()), "migrating").to_vec();
    let both = f
        .iter()
        .find(|f| f.code == Code::InjectionBadAnnotation)
        .unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(both.severity, Severity::Warning);
    assert!(
        both.message
            .contains("Vault Agent Injector and the OpenBao Agent Injector"),
        "{}",
        both.message
    );
    // Once OpenBao's injector has mutated the pod (it may leave the
    // vault.hashicorp.com/ keys it rewrote), its containers settle it.
    p.annotations
        .insert(format!("{BAO}agent-inject-status"), "injected".into());
    p.init_containers = vec![container("openbao-agent-init", completed())];
    p.containers.push(container("openbao-agent", running(790)));
    let r = diagnose(&world([add_pod(p)]), now());
    assert_eq!(
        r.workloads[0].health,
        Health::Ok,
        "{:#?}",
        r.workloads[0].findings
    );
    assert_eq!(r.workloads[0].injector, Some(Injector::OpenBao));
}

#[test]
fn openbao_webhook_failure_and_refusal_name_openbao() {
    // The API server names the webhook; openbao-k8s's is openbao.org
    // (deploy/injector-mutating-webhook.yaml @4ea50f0).
    let msg = r#"Error creating: Internal error occurred: failed calling webhook "openbao.org": failed to call webhook: Post "https://openbao-agent-injector-svc.openbao.svc:443/mutate?timeout=30s": context deadline exceeded"#;
    let w = world([
        Observation::ReplicaSetApplied(replicaset(
            "inventory",
            "checkout",
            ann_with(BAO, &[("agent-inject", "true"), ("role", "checkout")]),
        )),
        add_event(event(
            "ReplicaSet",
            "inventory",
            "checkout-5d8f7c9b6",
            "FailedCreate",
            msg,
        )),
    ]);
    let r = diagnose(&w, now());
    let wl = r
        .workloads
        .iter()
        .find(|w| w.key.name == "checkout")
        .unwrap();
    assert_eq!(codes(&wl.findings), vec![Code::InjectionWebhookFailed]);
    assert!(
        wl.findings[0].hint.contains("openbao-agent-injector pods"),
        "{}",
        wl.findings[0].hint
    );
    assert_eq!(wl.injector, Some(Injector::OpenBao));
    // openbao-k8s agent.go Validate: "no Openbao role found".
    let msg = r#"Error creating: admission webhook "openbao.openbao.org" denied the request: error validating agent configuration: no Openbao role found"#;
    let w = world([add_event(event(
        "ReplicaSet",
        "inventory",
        "restock-5d8f7c9b6",
        "FailedCreate",
        msg,
    ))]);
    let f = findings_of(&diagnose(&w, now()), "restock").to_vec();
    assert_eq!(codes(&f), vec![Code::InjectionNoRole]);
    assert_eq!(
        f[0].hint,
        "Add openbao.openbao.org/role to the pod template."
    );
}
