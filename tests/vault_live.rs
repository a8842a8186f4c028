//! The live Vault source against a real OpenBao 2.7 dev server backed by a
//! real PostgreSQL (scripts/bao.sh). The tests start the lab themselves, once
//! per test binary, and fail loudly when it cannot start. They share one
//! server and some of them seal it, so they run one at a time; the last one
//! to finish stops the lab (scripts/test.sh also stops it on exit).
//!
//! The lab runs in its own dir and on its own ports so it does not disturb a
//! lab someone else started with the defaults.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use common::{LabPlace, add_pod, ann, injected, world};
use vaultscope::diagnose::{self, Code};
use vaultscope::model::interest::{self, Interest};
use vaultscope::model::{Observation, World};
use vaultscope::sources::vault::{self, VaultConfig, VaultSnapshot};

/// Moved by `VAULTSCOPE_TEST_SLOT` (see `common::LabPlace`).
const LAB_DIR: &str = "/tmp/vaultscope-bao-vaulttest";
const BAO_PORT: u16 = 18290;
const PG_PORT: u16 = 15490;

fn place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}
/// The number of #[test]s below: the last one to finish stops the lab.
const TESTS: usize = 9;

struct Lab {
    env: HashMap<String, String>,
}

static LAB: OnceLock<Lab> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bao.sh")
}

fn lab_command(arg: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(script())
        .arg(arg)
        .env("VAULTSCOPE_BAO_DIR", &place().dir)
        .env("VAULTSCOPE_BAO_PORT", place().port(BAO_PORT))
        .env("VAULTSCOPE_PG_PORT", place().port(PG_PORT));
    c
}

fn start_lab() -> Lab {
    let out = lab_command("up")
        .output()
        .expect("cannot run scripts/bao.sh");
    if !out.status.success() {
        panic!(
            "scripts/bao.sh up failed ({}); the live Vault tests need it.\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut env = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            let v = v.trim_matches('\'').replace('\\', "");
            env.insert(k.to_string(), v);
        }
    }
    for k in [
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "VAULTSCOPE_TOKEN",
        "VAULTSCOPE_TOKEN_ACCESSOR",
        "VAULTSCOPE_NOSUDO_TOKEN",
        "VAULTSCOPE_BAO_BIN",
        "VAULTSCOPE_AUDIT_LOG",
        "VAULTSCOPE_UNSEAL_KEY_FILE",
    ] {
        assert!(env.contains_key(k), "scripts/bao.sh up printed no {k}");
    }
    Lab { env }
}

/// Holds the lab for one test: serializes the tests, and stops the lab when
/// the last one is done (even when it panicked).
struct Use {
    lab: &'static Lab,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Use {
    fn drop(&mut self) {
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == TESTS {
            let _ = lab_command("down").output();
        }
    }
}

fn lab() -> Use {
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lab = LAB.get_or_init(start_lab);
    let u = Use {
        lab,
        _serial: serial,
    };
    // A test that failed while Vault was sealed must not break the others.
    if u.health_code() == 503 {
        u.unseal();
    }
    u
}

impl Use {
    fn var(&self, k: &str) -> &str {
        &self.lab.env[k]
    }

    fn addr(&self) -> &str {
        self.var("VAULT_ADDR")
    }

    fn config(&self, token: &str) -> VaultConfig {
        VaultConfig::new(self.addr(), Some(self.var(token).to_string()))
    }

    /// `bao` as root; stdout, or a panic with stderr.
    fn bao(&self, args: &[&str]) -> String {
        let out = Command::new(self.var("VAULTSCOPE_BAO_BIN"))
            .args(args)
            .env_remove("VAULT_NAMESPACE")
            .env_remove("BAO_NAMESPACE")
            .env("BAO_ADDR", self.addr())
            .env("VAULT_ADDR", self.addr())
            .env("BAO_TOKEN", self.var("VAULT_TOKEN"))
            .env("VAULT_TOKEN", self.var("VAULT_TOKEN"))
            .output()
            .expect("run bao");
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `bao <cmd...> -format=json <rest...>`, parsed.
    fn bao_json(&self, cmd: &[&str], rest: &[&str]) -> Value {
        let mut a = cmd.to_vec();
        a.push("-format=json");
        a.extend(rest);
        serde_json::from_str(&self.bao(&a)).expect("bao printed JSON")
    }

    fn health_code(&self) -> u16 {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .arg(format!("{}/v1/sys/health", self.addr()))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
    }

    fn unseal(&self) {
        let key = std::fs::read_to_string(self.var("VAULTSCOPE_UNSEAL_KEY_FILE")).unwrap();
        self.bao(&["operator", "unseal", key.trim()]);
    }

    /// A new dynamic database credential (a real lease and PostgreSQL role),
    /// created by the test as root, never by vaultscope. Returns the lease id.
    fn new_db_lease(&self, role: &str) -> String {
        let v = self.bao_json(&["read"], &[&format!("database/creds/{role}")]);
        v["lease_id"].as_str().unwrap().to_string()
    }

    fn lease_count(&self, prefix: &str) -> usize {
        let v = self.bao_json(&["list"], &[&format!("sys/leases/lookup/{prefix}/")]);
        v.as_array().map_or(0, Vec::len)
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn poll(cfg: VaultConfig, interest: &Interest) -> VaultSnapshot {
    rt().block_on(vault::poll_once(cfg, interest))
}

/// The lab's workloads: billing-api (healthy, dynamic DB creds), catalog
/// (healthy, KV v2 and a PKI certificate), ledger (role bound to another
/// service account, policy does not grant its path) and ghost (no such role).
fn lab_world(cert_cn: &str) -> World {
    let billing = injected(
        "payments",
        "billing-api",
        "billing",
        &[("db", "database/creds/billing")],
    );
    let mut catalog = injected(
        "shop",
        "catalog",
        "catalog",
        &[
            ("config", "secret/data/shop/catalog"),
            ("tls", "pki/issue/web"),
        ],
    );
    let template = format!(
        r#"{{{{ with pkiCert "pki/issue/web" "common_name={cert_cn}" "ttl=1h" }}}}{{{{ .Cert }}}}{{{{ end }}}}"#
    );
    catalog
        .annotations
        .extend(ann(&[("agent-inject-template-tls", &template)]));
    let ledger = injected(
        "payments",
        "ledger",
        "ledger",
        &[("config", "secret/data/payments/config")],
    );
    let ghost = injected(
        "shop",
        "ghost",
        "ghost",
        &[("config", "secret/data/shop/ghost")],
    );
    world([
        add_pod(billing),
        add_pod(catalog),
        add_pod(ledger),
        add_pod(ghost),
    ])
}

fn apply(world: &mut World, snap: &VaultSnapshot) {
    for o in snap.observations() {
        world.apply(o);
    }
}

fn t(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn workload<'a>(r: &'a diagnose::Report, name: &str) -> &'a diagnose::WorkloadReport {
    r.workloads
        .iter()
        .find(|w| w.key.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn codes(w: &diagnose::WorkloadReport) -> Vec<Code> {
    w.findings.iter().map(|f| f.code).collect()
}

#[test]
fn lease_countdown_matches_bao_then_renewal_moves_and_revocation_removes_it() {
    let lab = lab();
    let id = lab.new_db_lease("billing");
    let interest = interest::interest(&lab_world("x.shop.svc"));
    assert!(interest.secret_paths.contains("database/creds/billing"));

    let snap = poll(lab.config("VAULTSCOPE_TOKEN"), &interest);
    let now = Utc::now();
    let bao = lab.bao_json(&["lease", "lookup"], &[&id]);
    let ours = snap
        .leases
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("lease {id} not in {:?}", snap.leases));
    let bao_expire = t(&bao["data"]["expire_time"]);
    let ours_expire = ours.expire_time.unwrap();
    assert!(
        (ours_expire - bao_expire).num_milliseconds().abs() <= 1000,
        "expire_time {ours_expire} vs bao {bao_expire}"
    );
    let bao_ttl = bao["data"]["ttl"].as_i64().unwrap();
    let countdown = ours.remaining(now).unwrap().num_seconds();
    assert!(
        (countdown - bao_ttl).abs() <= 1,
        "countdown {countdown}s vs bao ttl {bao_ttl}s"
    );
    assert!(ours.renewable);
    assert!(ours.issue_time.is_some());

    // Renewal moves the expiry (2m default TTL -> 5m increment).
    lab.bao(&["lease", "renew", "-increment=5m", &id]);
    let snap = poll(lab.config("VAULTSCOPE_TOKEN"), &interest);
    let renewed = snap.leases.iter().find(|l| l.id == id).unwrap();
    assert!(
        renewed.expire_time.unwrap() - ours_expire > chrono::Duration::seconds(120),
        "renewed expire {:?} vs before {ours_expire}",
        renewed.expire_time
    );
    assert!(renewed.last_renewal.is_some());

    // Revocation: gone once its prefix is listed again (each LIST is sent
    // once an interval), with a long-lived poller too.
    let interval = Duration::from_secs(1);
    let cfg = lab.config("VAULTSCOPE_TOKEN").with_limits(4, 200, interval);
    let mut poller = vault::Poller::new(cfg).unwrap();
    let before = rt().block_on(poller.poll(&interest));
    assert!(before.leases.iter().any(|l| l.id == id));
    lab.bao(&["lease", "revoke", "-sync", &id]);
    std::thread::sleep(interval);
    let after = rt().block_on(poller.poll(&interest));
    assert!(
        !after.leases.iter().any(|l| l.id == id),
        "revoked lease still shown"
    );
    assert!(!after.leases.is_empty(), "the other billing leases stay");
}

#[test]
fn kv_rotation_and_pki_expiry() {
    let lab = lab();
    let cn = format!("rot{}.shop.svc", std::process::id());
    let mut w = lab_world(&cn);
    let interest = interest::interest(&w);
    assert!(interest.common_names.contains(&cn));

    let before = poll(lab.config("VAULTSCOPE_TOKEN"), &interest);
    let v0 = before
        .kv
        .iter()
        .find(|k| k.path == "shop/catalog")
        .expect("catalog KV metadata")
        .current_version;
    lab.bao(&[
        "kv",
        "put",
        "secret/shop/catalog",
        "api_key=rotated",
        "region=eu-west",
    ]);
    let issued = lab.bao_json(
        &["write"],
        &["pki/issue/web", &format!("common_name={cn}"), "ttl=1h"],
    );
    let expiration = issued["data"]["expiration"].as_i64().unwrap();
    let serial = issued["data"]["serial_number"]
        .as_str()
        .unwrap()
        .to_string();

    let after = poll(lab.config("VAULTSCOPE_TOKEN"), &interest);
    apply(&mut w, &after);
    let r = diagnose::diagnose(&w, Utc::now());
    let catalog = workload(&r, "catalog");
    let kv = catalog
        .kv
        .iter()
        .find(|k| k.path == "shop/catalog")
        .unwrap();
    assert_eq!(kv.current_version, v0 + 1, "a new version is a rotation");
    let updated = kv.updated_time.unwrap();
    assert!(
        (Utc::now() - updated).num_seconds() < 30,
        "rotated just now: {updated}"
    );

    let cert = catalog
        .certificates
        .iter()
        .find(|c| c.serial == serial)
        .unwrap_or_else(|| panic!("cert {serial} not in {:?}", catalog.certificates));
    assert_eq!(cert.common_name, cn);
    assert_eq!(
        cert.not_after.timestamp(),
        expiration,
        "not_after = the PEM's"
    );
    assert!(cert.not_before.is_some());
    // Never the PEM of another name.
    assert!(catalog.certificates.iter().all(|c| c.common_name == cn));
}

#[test]
fn role_and_policy_checks_from_real_reads() {
    let lab = lab();
    let mut w = lab_world("y.shop.svc");
    let snap = poll(lab.config("VAULTSCOPE_TOKEN"), &interest::interest(&w));
    assert!(
        snap.permission_problems.is_empty(),
        "{:?}",
        snap.permission_problems
    );
    assert!(snap.mounts.iter().any(|m| m.path == "database"));
    apply(&mut w, &snap);
    let r = diagnose::diagnose(&w, Utc::now());

    let ledger = workload(&r, "ledger");
    let mismatch = ledger
        .findings
        .iter()
        .find(|f| f.code == Code::ConfigRoleBindingMismatch)
        .unwrap_or_else(|| panic!("no binding mismatch in {:?}", codes(ledger)));
    assert!(
        mismatch.message.contains("payments/ledger"),
        "{}",
        mismatch.message
    );
    assert!(mismatch.hint.contains("bound_service_account_names"));
    assert!(
        mismatch
            .evidence
            .as_deref()
            .unwrap()
            .contains("ledger-writer")
    );
    let denies = ledger
        .findings
        .iter()
        .find(|f| f.code == Code::ConfigPolicyDeniesPath)
        .unwrap_or_else(|| panic!("no policy finding in {:?}", codes(ledger)));
    assert!(
        denies.message.contains("secret/data/payments/config"),
        "{}",
        denies.message
    );
    assert!(denies.hint.contains("policy ledger"), "{}", denies.hint);

    let ghost = workload(&r, "ghost");
    let missing = ghost
        .findings
        .iter()
        .find(|f| f.code == Code::ConfigRoleMissing)
        .unwrap_or_else(|| panic!("no role_missing in {:?}", codes(ghost)));
    assert!(missing.hint.contains("auth/kubernetes/role/ghost"));

    let billing = workload(&r, "billing-api");
    assert!(
        !codes(billing).iter().any(|c| matches!(
            c,
            Code::ConfigRoleMissing
                | Code::ConfigRoleBindingMismatch
                | Code::ConfigPolicyDeniesPath
        )),
        "{:?}",
        billing.findings
    );
    // catalog's policy grants its KV path, but issuing a certificate needs
    // "update" on pki/issue/web, which the lab's catalog policy lacks.
    let catalog = workload(&r, "catalog");
    let config: Vec<_> = catalog
        .findings
        .iter()
        .filter(|f| f.code == Code::ConfigPolicyDeniesPath)
        .collect();
    assert_eq!(config.len(), 1, "{config:?}");
    assert!(config[0].message.contains("\"update\" on pki/issue/web"));
    assert!(!codes(catalog).contains(&Code::ConfigRoleBindingMismatch));
    assert!(
        !r.global
            .iter()
            .any(|f| f.code == Code::VaultscopePermissionLimited)
    );
}

#[test]
fn a_token_without_sudo_is_reported_and_the_rest_still_shows() {
    let lab = lab();
    let mut w = lab_world("z.shop.svc");
    let snap = poll(
        lab.config("VAULTSCOPE_NOSUDO_TOKEN"),
        &interest::interest(&w),
    );
    let leases = snap
        .permission_problems
        .iter()
        .find(|p| p.path == "sys/leases/lookup/database/creds/billing/")
        .unwrap_or_else(|| panic!("{:?}", snap.permission_problems));
    assert_eq!(leases.capability, "sudo");
    assert!(
        snap.permission_problems
            .iter()
            .any(|p| p.path == "auth/token/accessors" && p.capability == "sudo"),
        "{:?}",
        snap.permission_problems
    );
    apply(&mut w, &snap);
    let r = diagnose::diagnose(&w, Utc::now());
    let limited: Vec<_> = r
        .global
        .iter()
        .filter(|f| f.code == Code::VaultscopePermissionLimited)
        .collect();
    assert!(
        limited.iter().any(|f| f.message.contains("\"sudo\"")
            && f.message
                .contains("sys/leases/lookup/database/creds/billing/")),
        "{limited:?}"
    );
    // Everything else is still there.
    assert!(!workload(&r, "catalog").kv.is_empty());
    assert!(codes(workload(&r, "ledger")).contains(&Code::ConfigRoleBindingMismatch));
    assert!(codes(workload(&r, "ghost")).contains(&Code::ConfigRoleMissing));
    assert_eq!(r.vault.label(), "unsealed, active");
}

#[test]
fn seal_mid_run_shows_sealed_then_recovers() {
    let lab = lab();
    let w = lab_world("s.shop.svc");
    let (itx, irx) = tokio::sync::watch::channel(interest::interest(&w));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Observation>(256);
    let cfg = lab
        .config("VAULTSCOPE_TOKEN")
        .with_limits(4, 200, Duration::from_millis(500));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let task = rt.spawn(vault::run(cfg, irx, tx));
    let mut world = lab_world("s.shop.svc");
    let deadline = Instant::now() + Duration::from_secs(20);
    // Wait for a status matching `want`, folding observations into the world.
    let mut wait_for = |want: &str, world: &mut World| {
        while Instant::now() < deadline {
            let got = rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
            let Ok(Some(o)) = got else { continue };
            let is_status = matches!(o, Observation::VaultStatus(_));
            world.apply(o);
            if is_status && world.vault.status.label() == want {
                return;
            }
        }
        panic!(
            "no \"{want}\" status from the poller; last: {}",
            world.vault.status.label()
        );
    };
    wait_for("unsealed, active", &mut world);
    lab.bao(&["operator", "seal"]);
    wait_for("sealed", &mut world);
    let r = diagnose::diagnose(&world, Utc::now());
    assert!(
        r.global.iter().any(|f| f.code == Code::VaultSealed),
        "{:?}",
        r.global
    );
    lab.unseal();
    wait_for("unsealed, active", &mut world);
    let r = diagnose::diagnose(&world, Utc::now());
    assert!(!r.global.iter().any(|f| f.code == Code::VaultSealed));
    drop(itx);
    task.abort();
}

#[test]
fn check_cli_with_a_live_vault_addr_overrides_the_bundle() {
    let lab = lab();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pods.yaml"),
        r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: ledger-5b6c7d8f9g-m4n7q
    namespace: payments
    annotations:
      vault.hashicorp.com/agent-inject: "true"
      vault.hashicorp.com/agent-inject-status: injected
      vault.hashicorp.com/role: ledger
      vault.hashicorp.com/agent-inject-secret-config: secret/data/payments/config
  spec:
    serviceAccountName: ledger
    containers: [{name: app, image: app:1}]
  status:
    phase: Pending
"#,
    )
    .unwrap();
    // A stale vault.json saying "sealed": the live Vault replaces it.
    std::fs::write(
        dir.path().join("vault.json"),
        r#"{"address": "https://old", "health": {"initialized": true, "sealed": true}}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
        .args(["check", "-o", "json", "--from"])
        .arg(dir.path())
        .args(["--vault-addr", lab.addr()])
        .env("VAULT_TOKEN", lab.var("VAULTSCOPE_TOKEN"))
        .env_remove("BAO_TOKEN")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(json["vault"]["status"], "unsealed, active", "{json}");
    let text = json.to_string();
    assert!(text.contains("config.role_binding_mismatch"), "{text}");
    assert!(text.contains("config.policy_denies_path"), "{text}");
    assert!(!text.contains("vault.sealed"));
}

#[test]
fn observing_reads_no_secret_data_and_creates_no_lease() {
    let lab = lab();
    let w = lab_world("a.shop.svc");
    let interest = interest::interest(&w);
    let prefixes = ["database/creds/billing", "database/creds/reporting"];
    let before: Vec<usize> = prefixes.iter().map(|p| lab.lease_count(p)).collect();
    let mut poller = vault::Poller::new(lab.config("VAULTSCOPE_TOKEN")).unwrap();
    let rt = rt();
    for _ in 0..3 {
        let s = rt.block_on(poller.poll(&interest));
        assert!(!s.leases.is_empty());
    }
    let after: Vec<usize> = prefixes.iter().map(|p| lab.lease_count(p)).collect();
    assert_eq!(before, after, "lease counts changed");

    // The audit log: every request made with vaultscope's token.
    let accessor = lab.var("VAULTSCOPE_TOKEN_ACCESSOR");
    let log = std::fs::read_to_string(lab.var("VAULTSCOPE_AUDIT_LOG")).unwrap();
    let mut ours = 0;
    for line in log.lines() {
        let Ok(e) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if e["auth"]["accessor"].as_str() != Some(accessor) {
            continue;
        }
        ours += 1;
        let path = e["request"]["path"].as_str().unwrap_or_default();
        for forbidden in [
            "secret/data/",
            "database/creds/",
            "pki/issue/",
            "pki/sign/",
            "sys/raw",
        ] {
            assert!(!path.starts_with(forbidden), "vaultscope requested {path}");
        }
        if e["type"] == "response" {
            let lease = e["response"]["secret"]["lease_id"]
                .as_str()
                .unwrap_or_default();
            assert!(
                lease.is_empty(),
                "a response to vaultscope created lease {lease} ({path})"
            );
            assert!(
                e["response"]["auth"].is_null(),
                "a response to vaultscope created a token ({path})"
            );
        }
    }
    assert!(
        ours > 20,
        "only {ours} audit entries for vaultscope's token"
    );
    assert!(poller.requests_sent() > 0);
}

/// `check` and `capture` poll once, but read on a cycle a second until
/// nothing is left (a budget far below what the lab's Vault holds), and say
/// so when their time ran out first.
#[test]
fn a_single_poll_reads_on_until_nothing_is_left() {
    let lab = lab();
    let w = lab_world("b.shop.svc");
    let interest = interest::interest(&w);
    let rt = rt();
    let small = lab
        .config("VAULTSCOPE_TOKEN")
        .with_limits(1, 6, Duration::from_secs(10));
    let mut one_cycle = vault::Poller::new(small.clone()).unwrap();
    rt.block_on(one_cycle.poll(&interest));
    assert!(one_cycle.behind(), "the lab fits one 6-request cycle?");

    let t0 = Instant::now();
    let snap = rt.block_on(vault::poll_once(small.clone(), &interest));
    assert!(!snap.incomplete, "reads left after {:?}", t0.elapsed());
    let all = rt.block_on(vault::poll_once(lab.config("VAULTSCOPE_TOKEN"), &interest));
    let ids = |s: &VaultSnapshot| {
        let mut v: Vec<String> = s.leases.iter().map(|l| l.id.clone()).collect();
        v.sort();
        v
    };
    assert!(!all.leases.is_empty());
    assert_eq!(ids(&snap), ids(&all), "a small budget read less");
    assert_eq!(snap.certificates.len(), all.certificates.len());

    // Out of time: what was read, and a word that something was not.
    let cut = rt.block_on(vault::poll_within(
        small,
        &interest,
        Duration::from_millis(1),
    ));
    assert!(cut.incomplete);
    assert!(cut.is_serving());
}

#[test]
fn agent_tokens_are_found_by_accessor_and_the_budget_spreads_work() {
    let lab = lab();
    // A token carrying the metadata the kubernetes auth method sets at login
    // (no API server in the lab to log in through).
    let tok = lab.bao_json(
        &["token", "create"],
        &[
            "-policy=billing",
            "-ttl=20m",
            "-display-name=kubernetes-payments-billing-api",
            "-metadata=role=billing",
            "-metadata=service_account_name=billing-api",
            "-metadata=service_account_namespace=payments",
        ],
    );
    let accessor = tok["auth"]["accessor"].as_str().unwrap().to_string();
    let mut w = lab_world("b.shop.svc");
    let interest = interest::interest(&w);

    // A budget of 6 requests a cycle, one at a time: the work is spread over
    // cycles, and what was read stays.
    let cfg = lab
        .config("VAULTSCOPE_TOKEN")
        .with_limits(1, 6, Duration::from_secs(10));
    let mut poller = vault::Poller::new(cfg).unwrap();
    let rt = rt();
    let first = rt.block_on(poller.poll(&interest));
    assert!(
        first.tokens.is_empty() || first.leases.is_empty(),
        "all in one 6-request cycle?"
    );
    let mut snap = first;
    let mut cycles = 1;
    while snap.tokens.is_empty() || snap.leases.is_empty() {
        let sent = poller.requests_sent();
        snap = rt.block_on(poller.poll(&interest));
        // 6 budgeted requests + the unauthenticated health check
        assert!(poller.requests_sent() - sent <= 7);
        cycles += 1;
        assert!(cycles < 60, "budgeted polling never finished");
    }
    assert!(cycles > 1);

    apply(&mut w, &snap);
    let r = diagnose::diagnose(&w, Utc::now());
    let billing = workload(&r, "billing-api");
    let token = billing
        .tokens
        .iter()
        .find(|t| t.service_account_name == "billing-api")
        .unwrap_or_else(|| panic!("no agent token in {:?}", billing.tokens));
    assert_eq!(token.role.as_deref(), Some("billing"));
    let bao = lab.bao_json(&["token", "lookup"], &["-accessor", &accessor]);
    let bao_expire = t(&bao["data"]["expire_time"]);
    assert!(
        (token.expire_time.unwrap() - bao_expire)
            .num_milliseconds()
            .abs()
            <= 1000
    );
    lab.bao(&["token", "revoke", "-accessor", &accessor]);
    // Tokens of other workloads are not shown here.
    assert!(workload(&r, "catalog").tokens.is_empty());
}
