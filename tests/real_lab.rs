//! vaultscope against the workshop lab (`scripts/lab.sh up --with-vault`):
//! the real kube-apiserver, a real OpenBao 2.7 and PostgreSQL configured as
//! the tutorial does, and a real `bao agent` for every vault-agent container
//! of the tutorial namespace's pods (the lab applies vault-k8s 1.7's mutation
//! itself and runs the agents as a kubelet would: scripts/lab/README.md).
//! Nothing here is fixture text: every log line vaultscope reads was written
//! by an agent that really logged in (or really failed to), every lease and
//! token is OpenBao's.
//!
//! vaultscope runs as a user runs it, `vaultscope check -n tutorial -o json`,
//! with the lab's `env` (KUBECONFIG, VAULT_ADDR, and VAULT_TOKEN holding only
//! docs/vaultscope-policy.hcl). What it says is checked against the agents'
//! own lines (`kubectl logs`, through the API server) and against `bao` run
//! as root.
//!
//! The lab starts once per test binary, in its own dir and ports (moved by
//! VAULTSCOPE_TEST_SLOT); a lab that cannot start fails every test with the
//! script's stderr. The tests run one at a time; the last one stops the lab
//! (scripts/test.sh also does on exit).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use common::LabPlace;

/// Moved by `VAULTSCOPE_TEST_SLOT` (see `common::LabPlace`); OpenBao takes
/// APISERVER_PORT+2 and +3, PostgreSQL KINE_PORT+2 (scripts/lab/vault.sh).
const LAB_DIR: &str = "/tmp/vaultscope-lab-realtest";
const APISERVER_PORT: u16 = 17843;
const KINE_PORT: u16 = 17779;
const KWOK_PORT: u16 = 17750;
const NS: &str = "tutorial";

/// The number of #[test]s below: the last one to finish stops the lab.
const TESTS: usize = 9;

fn place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}

struct Lab {
    /// `scripts/lab.sh env`.
    env: HashMap<String, String>,
}

static LAB: OnceLock<Lab> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn lab_command(args: &[&str]) -> Command {
    let p = place();
    let mut c = Command::new("bash");
    c.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/lab.sh"))
        .args(args)
        .env("VAULTSCOPE_LAB_DIR", &p.dir)
        .env("VAULTSCOPE_LAB_APISERVER_PORT", p.port(APISERVER_PORT))
        .env("VAULTSCOPE_LAB_KINE_PORT", p.port(KINE_PORT))
        .env("VAULTSCOPE_LAB_KWOK_PORT", p.port(KWOK_PORT));
    c
}

fn run(mut c: Command, what: &str) -> String {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}); the workshop lab tests need it.\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches(['\'', '"']).to_string()))
        .collect()
}

fn start_lab() -> Lab {
    let t0 = Instant::now();
    // A lab left over from a run that was cut short: start from scratch.
    let _ = lab_command(&["down"]).output();
    run(
        lab_command(&["up", "--with-vault"]),
        "scripts/lab.sh up --with-vault",
    );
    let env = exports(&run(lab_command(&["env"]), "scripts/lab.sh env"));
    for k in ["KUBECONFIG", "VAULT_ADDR", "VAULT_TOKEN", "LAB_ROOT_TOKEN"] {
        assert!(env.contains_key(k), "scripts/lab.sh env has no {k}");
    }
    eprintln!("workshop lab up in {:?}", t0.elapsed());
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

/// Polls `f` every half second until it gives a value; `what` (and `f`'s
/// last word, through `last`) name what did not happen in time.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut(&mut String) -> Option<T>) -> T {
    let t0 = Instant::now();
    let mut last = String::new();
    loop {
        if let Some(v) = f(&mut last) {
            return v;
        }
        assert!(
            t0.elapsed() < limit,
            "waited {limit:?} for {what}; last seen:\n{last}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("not a time: {s:?}: {e}"))
        .to_utc()
}

/// The hclog time an agent line starts with.
fn line_time(line: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(line.split_whitespace().next()?)
        .ok()
        .map(|t| t.to_utc())
}

fn close(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    (a - b).num_milliseconds().abs() < 1000
}

impl Use {
    fn env(&self, k: &str) -> &str {
        &self.lab.env[k]
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let mut c = Command::new(self.env("VAULTSCOPE_LAB_KUBECTL"));
        c.arg("--kubeconfig").arg(self.env("KUBECONFIG")).args(args);
        run(c, &format!("kubectl {}", args.join(" ")))
    }

    fn kubectl_json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl(&a)).expect("kubectl -o json")
    }

    /// `bao -format=json` as the lab's root (a trainer's own commands).
    fn bao_json(&self, args: &[&str]) -> Value {
        let mut c = Command::new(self.env("VAULTSCOPE_LAB_BAO_BIN"));
        c.args(args)
            .env_remove("VAULT_TOKEN")
            .env_remove("VAULT_NAMESPACE")
            .env_remove("BAO_NAMESPACE")
            .env("BAO_FORMAT", "json")
            .env("BAO_ADDR", self.env("VAULT_ADDR"))
            .env("BAO_TOKEN", self.env("LAB_ROOT_TOKEN"));
        let out = run(c, &format!("bao {}", args.join(" ")));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bao {}: {e}: {out}", args.join(" ")))
    }

    fn scenario(&self, name: &str) {
        self.scenario_args(&[name]);
    }

    fn scenario_args(&self, args: &[&str]) {
        let mut a = vec!["scenario"];
        a.extend(args);
        run(
            lab_command(&a),
            &format!("scripts/lab.sh scenario {}", args.join(" ")),
        );
    }

    /// `vaultscope check -n tutorial -o json`, with the lab's env as a user
    /// evaluates it: its exit code and report.
    fn check(&self) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
            .args(["check", "-n", NS, "-o", "json"])
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .env_remove("VAULT_NAMESPACE")
            .env("KUBECONFIG", self.env("KUBECONFIG"))
            .env("VAULT_ADDR", self.env("VAULT_ADDR"))
            .env("VAULT_TOKEN", self.env("VAULT_TOKEN"))
            .env("NO_COLOR", "1")
            .output()
            .expect("run vaultscope");
        let text = String::from_utf8_lossy(&out.stdout);
        let report = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "vaultscope check printed no JSON ({e}):\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), report)
    }

    /// The live pod of a workload (by its `app` label, or `job-name`).
    fn pod_of(&self, selector: &str) -> Option<Value> {
        let list = self.kubectl_json(&["get", "pods", "-n", NS, "-l", selector]);
        list["items"]
            .as_array()?
            .iter()
            .find(|p| p["metadata"]["deletionTimestamp"].is_null())
            .cloned()
    }

    fn pod_name(&self, app: &str) -> String {
        wait_for(&format!("a pod of {app}"), Duration::from_secs(30), |_| {
            self.pod_of(&format!("app={app}"))
                .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        })
    }

    /// A container's log through the API server and kwok (`kubectl logs`).
    fn logs(&self, pod: &str, container: &str, previous: bool) -> String {
        let mut c = Command::new(self.env("VAULTSCOPE_LAB_KUBECTL"));
        c.arg("--kubeconfig")
            .arg(self.env("KUBECONFIG"))
            .args(["logs", "-n", NS, pod, "-c", container]);
        if previous {
            c.arg("--previous");
        }
        let out = c.output().expect("kubectl logs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_log(&self, pod: &str, container: &str, previous: bool, phrase: &str) -> String {
        wait_for(
            &format!("{phrase:?} in the log of {pod}/{container}"),
            Duration::from_secs(60),
            |last| {
                let log = self.logs(pod, container, previous);
                *last = log.lines().rev().take(12).collect::<Vec<_>>().join("\n");
                log.contains(phrase).then_some(log)
            },
        )
    }

    fn ready(&self, app: &str) -> bool {
        self.pod_of(&format!("app={app}")).is_some_and(|p| {
            p["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
    }

    fn wait_ready(&self, apps: &[&str]) {
        for app in apps {
            wait_for(&format!("{app} Ready"), Duration::from_secs(60), |_| {
                self.ready(app).then_some(())
            });
        }
    }

    /// The agent config the injector put in a container's VAULT_CONFIG.
    fn agent_config(pod: &Value, list: &str, name: &str) -> Value {
        let c = pod["spec"][list]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {list}"));
        let b64 = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "VAULT_CONFIG")
            .unwrap()["value"]
            .as_str()
            .unwrap();
        let mut child = Command::new("base64")
            .arg("-d")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b64.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        serde_json::from_slice(&out.stdout).expect("VAULT_CONFIG is base64 JSON")
    }

    /// Every live token of the kubernetes roles given, as OpenBao holds them:
    /// `(role, service account, expire_time)`.
    fn bao_tokens(&self, roles: &[&str]) -> Vec<(String, String, DateTime<Utc>)> {
        let accessors = self.bao_json(&["list", "auth/token/accessors"]);
        let mut out = Vec::new();
        for a in accessors.as_array().unwrap() {
            let t = self.bao_json(&["token", "lookup", "-accessor", a.as_str().unwrap()]);
            let meta = &t["data"]["meta"];
            let role = meta["role"].as_str().unwrap_or_default();
            if roles.contains(&role) {
                out.push((
                    role.to_string(),
                    meta["service_account_name"].as_str().unwrap().to_string(),
                    time(t["data"]["expire_time"].as_str().unwrap()),
                ));
            }
        }
        out.sort();
        out
    }

    /// The certificates `pki_int` issued for a common name, with their
    /// validity as their PEM says (openssl), oldest first.
    fn bao_certs(&self, cn: &str) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
        let serials = self.bao_json(&["list", "pki_int/certs"]);
        let mut out = Vec::new();
        for s in serials.as_array().unwrap() {
            let s = s.as_str().unwrap();
            let pem = self.bao_json(&["read", &format!("pki_int/cert/{s}")])["data"]["certificate"]
                .as_str()
                .unwrap()
                .to_string();
            let text = openssl_x509(&pem, &["-subject", "-startdate", "-enddate"]);
            if !text.contains(&format!("CN={cn}")) && !text.contains(&format!("CN = {cn}")) {
                continue;
            }
            let field = |k: &str| {
                let v = text.lines().find_map(|l| l.strip_prefix(k)).unwrap();
                time(&v.trim().replace(' ', "T"))
            };
            out.push((s.to_string(), field("notBefore="), field("notAfter=")));
        }
        out.sort_by_key(|c| c.1);
        out
    }

    /// The leases under `prefix` with their expiry, as OpenBao holds them.
    fn bao_leases(&self, prefix: &str) -> Vec<(String, DateTime<Utc>)> {
        let ids = self.bao_json(&["list", &format!("sys/leases/lookup/{prefix}/")]);
        let mut out: Vec<(String, DateTime<Utc>)> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                let id = format!("{prefix}/{}", id.as_str().unwrap());
                let l = self.bao_json(&["write", "sys/leases/lookup", &format!("lease_id={id}")]);
                (id, time(l["data"]["expire_time"].as_str().unwrap()))
            })
            .collect();
        out.sort();
        out
    }
}

fn openssl_x509(pem: &str, fields: &[&str]) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-dateopt", "iso_8601"])
        .args(fields)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

fn workload<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no workload {name} in the report"))
}

fn codes(w: &Value) -> Vec<&str> {
    w["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

fn finding<'a>(w: &'a Value, code: &str) -> &'a Value {
    w["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("{}: no {code} in {:#}", w["name"], w["findings"]))
}

/// Every line of a finding's evidence is a line the agent logged (its log
/// read after the check, so it holds whatever vaultscope read).
fn evidence_is_from(f: &Value, lab: &Use, pod: &str, container: &str) {
    let log = lab.logs(pod, container, false);
    let evidence = f["evidence"].as_str().expect("evidence");
    for line in evidence.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            log.lines().any(|l| l.trim_end() == line.trim_end()),
            "evidence line {line:?} is not in the agent's log:\n{log}"
        );
    }
}

#[test]
fn every_broken_workload_is_named_from_its_real_agents_own_lines() {
    let lab = lab();
    // (workload, what its real agent says, the code vaultscope must name)
    let cases = [
        (
            "inventory",
            "* service account name not authorized",
            "auth.service_account_not_authorized",
        ),
        ("ledger", "* permission denied", "secret.permission_denied"),
        (
            "reports",
            "no secret exists at secret/data/tutorial/reports",
            "secret.not_found",
        ),
        (
            "metrics",
            "* invalid audience (aud) claim",
            "auth.audience_mismatch",
        ),
        // OpenBao (like Vault 1.10+) answers 403 to a login at a mount that
        // does not exist: the log alone cannot tell it from a failed review.
        (
            "legacy",
            "URL: PUT http://127.0.0.1",
            "auth.permission_denied",
        ),
    ];
    let mut pods = HashMap::new();
    for (app, phrase, _) in cases {
        let pod = lab.pod_name(app);
        let log = lab.wait_log(&pod, "vault-agent-init", false, phrase);
        if app == "legacy" {
            assert!(log.contains("/v1/auth/k8s/login"), "{log}");
        }
        pods.insert(app, pod);
    }
    let (code, report) = lab.check();
    assert_eq!(code, 1, "errors → exit 1");
    for (app, _, want) in cases {
        let pod = &pods[app];
        let w = workload(&report, app);
        assert_eq!(w["health"], "error", "{app}: {w:#}");
        let f = finding(w, want);
        assert_eq!(f["severity"], "error");
        assert_eq!(f["via"], "agent-init", "{app}: {f:#}");
        assert_eq!(f["pod"], pod.as_str());
        assert_eq!(f["container"], "vault-agent-init");
        evidence_is_from(f, &lab, pod, "vault-agent-init");
        // Still initializing: the agent is stuck, not crashed.
        let p = &w["pods"][0];
        assert_eq!(p["phase"], "Init:0/1", "{app}: {p:#}");
        assert_eq!(p["agent_init"], "running");
    }
    // The denied read names its path (Vault's error is one record with it).
    let ledger = finding(workload(&report, "ledger"), "secret.permission_denied");
    assert!(
        ledger["evidence"]
            .as_str()
            .unwrap()
            .contains("vault.read(secret/data/tutorial/ledger/config)"),
        "{ledger:#}"
    );
    // The Vault side agrees with the agents, read with vaultscope's own token.
    let cross = [
        ("inventory", "config.role_binding_mismatch"),
        ("ledger", "config.policy_denies_path"),
        // The mount is missing, not the role: Vault's router said so.
        ("legacy", "auth.mount_not_found"),
    ];
    for (app, want) in cross {
        let f = finding(workload(&report, app), want);
        assert_eq!(f["via"], "config");
    }
    let legacy = workload(&report, "legacy");
    assert!(
        !codes(legacy).contains(&"config.role_missing"),
        "{legacy:#}"
    );
    assert!(
        finding(legacy, "auth.mount_not_found")["message"]
            .as_str()
            .unwrap()
            .contains("auth/k8s")
    );
    // Nothing here is a healthy workload's: they report no error.
    for app in ["webapp", "orders", "certs", "catalog-csi"] {
        assert_ne!(workload(&report, app)["health"], "error", "{app}");
    }
}

#[test]
fn healthy_workloads_report_no_error_and_their_leases_tokens_and_certificates_match_bao() {
    let lab = lab();
    lab.wait_ready(&["webapp", "orders", "certs", "catalog-csi"]);
    wait_for(
        "batch-export to complete",
        Duration::from_secs(60),
        |last| {
            let job = lab.kubectl_json(&["get", "job", "-n", NS, "batch-export"]);
            *last = job["status"].to_string();
            (job["status"]["succeeded"] == 1).then_some(())
        },
    );
    let roles = ["webapp", "orders", "certs", "batch", "csi"];
    // Agents renew on their own schedule: compare a check with the bao state
    // around it, and look again if something moved meanwhile.
    let mut attempt = 0;
    let (report, tokens, leases) = loop {
        attempt += 1;
        let before = (
            lab.bao_tokens(&roles),
            lab.bao_leases("database/creds/orders"),
        );
        let (_, report) = lab.check();
        let after = (
            lab.bao_tokens(&roles),
            lab.bao_leases("database/creds/orders"),
        );
        if before == after || attempt == 4 {
            break (report, after.0, after.1);
        }
    };
    let healthy = ["webapp", "orders", "certs", "catalog-csi", "batch-export"];
    for app in healthy {
        let w = workload(&report, app);
        // No error; and no warning but the heads-up vaultscope gives on
        // purpose when a lease nears its max TTL (10 min here): the agent is
        // about to fetch new credentials.
        let loud: Vec<&Value> = w["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error" || f["severity"] == "warning")
            .filter(|f| {
                !(f["code"] == "lease.expiring"
                    && f["message"].as_str().unwrap().contains("max TTL"))
            })
            // True of the lab: its apps (no images) have no reload command.
            .filter(|f| f["code"] != "rotation.no_reload")
            .collect();
        assert!(loud.is_empty(), "{app}: {loud:#?}");
        assert_ne!(w["health"], "error", "{app}: {w:#}");
    }
    // Leases: the same ids as OpenBao's, expiring within a second of them.
    let ours = workload(&report, "orders")["leases"].as_array().unwrap();
    assert!(!leases.is_empty(), "the orders agent holds database leases");
    assert_eq!(ours.len(), leases.len(), "{ours:#?} vs {leases:?}");
    for (id, expire) in &leases {
        let l = ours
            .iter()
            .find(|l| l["id"] == id.as_str())
            .unwrap_or_else(|| panic!("lease {id} missing from {ours:#?}"));
        let t = time(l["expire_time"].as_str().unwrap());
        assert!(close(t, *expire), "{id}: vaultscope {t}, bao {expire}");
        assert_eq!(l["renewable"], true);
    }
    // Tokens: each workload's, found by the kubernetes metadata of real pod
    // logins (role and service account), expiring as OpenBao says.
    let by_app = [
        ("webapp", "webapp", "webapp"),
        ("orders", "orders", "orders"),
        ("certs", "certs", "certs"),
        ("batch-export", "batch", "batch"),
        ("catalog-csi", "csi", "catalog-csi"),
    ];
    for (app, role, sa) in by_app {
        let mut theirs: Vec<DateTime<Utc>> = tokens
            .iter()
            .filter(|(r, s, _)| r == role && s == sa)
            .map(|(_, _, t)| *t)
            .collect();
        let mut ours: Vec<DateTime<Utc>> = workload(&report, app)["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                assert_eq!(t["role"], role);
                assert_eq!(t["service_account"], sa);
                time(t["expire_time"].as_str().unwrap())
            })
            .collect();
        theirs.sort();
        ours.sort();
        assert!(!theirs.is_empty(), "{app}: its agents logged in");
        assert_eq!(ours.len(), theirs.len(), "{app}: {ours:?} vs {theirs:?}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert!(close(*a, *b), "{app}: token expiry {a} vs bao {b}");
        }
    }
    // Certificates: the serial OpenBao issued to the certs agent, with the
    // not_after in its PEM.
    let certs = workload(&report, "certs")["certificates"]
        .as_array()
        .unwrap();
    assert!(!certs.is_empty());
    let issued = lab.bao_json(&["list", "pki_int/certs"]);
    for c in certs {
        let serial = c["serial"].as_str().unwrap();
        assert!(
            issued.as_array().unwrap().iter().any(|s| s == serial),
            "{serial} not issued by pki_int"
        );
        assert_eq!(c["common_name"], "certs.tutorial.svc");
        let pem = lab.bao_json(&["read", &format!("pki_int/cert/{serial}")])["data"]["certificate"]
            .as_str()
            .unwrap()
            .to_string();
        let out = openssl_x509(&pem, &["-enddate"]);
        let end = out.trim().trim_start_matches("notAfter=").replace(' ', "T");
        assert!(
            close(time(c["not_after"].as_str().unwrap()), time(&end)),
            "{c:#} vs {out}"
        );
    }
    // KV metadata: the version OpenBao holds.
    let meta = lab.bao_json(&["kv", "metadata", "get", "secret/tutorial/webapp"]);
    let kv = &workload(&report, "webapp")["kv"][0];
    assert_eq!(kv["current_version"], meta["data"]["current_version"]);
}

#[test]
fn a_rotation_is_followed_from_bao_kv_put_to_the_agents_render_line_to_the_new_version() {
    let lab = lab();
    lab.wait_ready(&["webapp"]);
    let pod = lab.pod_name("webapp");
    let before = lab.bao_json(&["kv", "metadata", "get", "secret/tutorial/webapp"])["data"]
        ["current_version"]
        .as_u64()
        .unwrap();
    let put_at = Utc::now();
    lab.scenario("rotate");
    // The sidecar re-reads every 30 s (template-static-secret-render-interval)
    // and renders the file again because its content changed.
    let render = wait_for(
        "the webapp agent's render line",
        Duration::from_secs(60),
        |last| {
            let log = lab.logs(&pod, "vault-agent", false);
            *last = log.lines().rev().take(5).collect::<Vec<_>>().join("\n");
            log.lines()
                .find(|l| {
                    l.contains(
                        r#"(runner) rendered "(dynamic)" => "/vault/secrets/database-config.txt""#,
                    ) && line_time(l).is_some_and(|t| t >= put_at - chrono::Duration::seconds(1))
                })
                .map(str::to_string)
        },
    );
    let got_at = line_time(&render).unwrap();
    assert!((got_at - put_at).num_seconds() <= 35, "{render}");
    let meta = lab.bao_json(&["kv", "metadata", "get", "secret/tutorial/webapp"]);
    let now_version = meta["data"]["current_version"].as_u64().unwrap();
    assert_eq!(now_version, before + 1);
    let (_, report) = lab.check();
    let w = workload(&report, "webapp");
    assert_eq!(w["health"], "ok", "{w:#}");
    let kv = &w["kv"][0];
    assert_eq!(kv["current_version"].as_u64(), Some(now_version));
    assert!(close(
        time(kv["updated_time"].as_str().unwrap()),
        time(meta["data"]["updated_time"].as_str().unwrap())
    ));
    // And when the pod got it: the agent's render line, joined to the change.
    let s = &w["secrets"][0];
    assert_eq!(s["last_change"]["kind"], "kv_version", "{s:#}");
    assert_eq!(s["last_change"]["version"].as_u64(), Some(now_version));
    let r = s["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == pod.as_str())
        .unwrap_or_else(|| panic!("{pod} not in {s:#}"));
    assert_eq!(r["state"], "current", "{r:#}");
    let shown = time(r["last_render"].as_str().unwrap());
    // vaultscope shows whole seconds.
    assert!(
        (got_at - shown).num_milliseconds().abs() < 1000,
        "render line at {got_at}, vaultscope says {shown}"
    );
    let lag = r["lag_seconds"]
        .as_i64()
        .expect("a lag for a render after the change");
    let changed = time(meta["data"]["updated_time"].as_str().unwrap());
    assert!((lag - (got_at - changed).num_seconds()).abs() <= 1, "{r:#}");
}

#[test]
fn a_seal_mid_run_gives_the_agents_real_errors_and_vault_sealed_then_recovery() {
    let lab = lab();
    lab.wait_ready(&["webapp", "orders"]);
    let webapp = lab.pod_name("webapp");
    /// Unseals even when an assertion fails, so the other tests find Vault up.
    struct Unseal<'a>(&'a Use);
    impl Drop for Unseal<'_> {
        fn drop(&mut self) {
            let _ = lab_command(&["scenario", "unseal"]).output();
            let _ = &self.0;
        }
    }
    let sealed_at = Utc::now();
    let guard = Unseal(&lab);
    lab.scenario("seal");
    // The agent's next read (every 30 s) gets OpenBao's 503.
    let log = wait_for(
        "the webapp agent to meet the seal",
        Duration::from_secs(60),
        |last| {
            let log = lab.logs(&webapp, "vault-agent", false);
            *last = log.lines().rev().take(8).collect::<Vec<_>>().join("\n");
            log.lines()
                .any(|l| l.contains("* Vault is sealed"))
                .then_some(log)
        },
    );
    assert!(log.contains("Code: 503. Errors:"));
    let (code, report) = lab.check();
    assert_eq!(code, 1);
    assert!(
        report["vault"]["status"]
            .as_str()
            .unwrap()
            .contains("sealed")
    );
    let global: Vec<&str> = report["global_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(global.contains(&"vault.sealed"), "{global:?}");
    let w = workload(&report, "webapp");
    let f = finding(w, "vault.sealed");
    assert_eq!(f["via"], "agent");
    assert_eq!(f["container"], "vault-agent");
    evidence_is_from(f, &lab, &webapp, "vault-agent");
    // One cause, not also the bare `Code: 503` line read as another.
    for w in report["workloads"].as_array().unwrap() {
        assert!(!codes(w).contains(&"vault.unavailable"), "{w:#}");
    }
    let unsealed_at = Utc::now();
    assert!(unsealed_at > sealed_at);
    lab.scenario("unseal");
    drop(guard);
    // Recovery: the agents' next reads succeed. consul-template logs nothing
    // for a read whose file is unchanged, so vaultscope lets the sealed error
    // go once its announced retry is long past with no failure since. Each
    // agent is at its own point of its back-off (orders' lease may reach its
    // max TTL while sealed, so its re-read fails later than webapp's), so
    // each recovers in its own time.
    let report = wait_for(
        "vaultscope to see the recovery",
        Duration::from_secs(180),
        |last| {
            let (_, report) = lab.check();
            let w = workload(&report, "webapp");
            let sealed: Vec<&str> = ["webapp", "orders", "certs"]
                .into_iter()
                .filter(|app| codes(workload(&report, app)).contains(&"vault.sealed"))
                .collect();
            *last = format!("still sealed: {sealed:?}\n{w}");
            (w["health"] == "ok"
                && sealed.is_empty()
                && report["global_findings"].as_array().unwrap().is_empty())
            .then_some(report)
        },
    );
    assert_eq!(report["vault"]["status"], "unsealed, active");
    for app in ["webapp", "orders", "certs"] {
        let w = workload(&report, app);
        assert!(!codes(w).contains(&"vault.sealed"), "{app}: {w:#}");
    }
    // No sealed error after the unseal in the agent's own log.
    let log = lab.logs(&webapp, "vault-agent", false);
    let late: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[WARN]") || l.contains("[ERROR]"))
        .filter(|l| line_time(l).is_some_and(|t| t > unsealed_at + chrono::Duration::seconds(2)))
        .collect();
    assert!(late.is_empty(), "{late:#?}");
}

/// Tests start in name order; this one comes late, when the lab's first
/// certificate has usually been replaced already, so it seldom waits.
#[test]
fn pki_certificates_are_issued_again_before_they_expire_and_the_old_one_is_history() {
    let lab = lab();
    lab.wait_ready(&["certs"]);
    let pod = lab.pod_name("certs");
    // certs asks for 2-minute certificates (OpenBao backdates not_before by
    // 30 s); its agent issues the next at 90 % of that, ~15 s before the end.
    let certs = wait_for(
        "a second certificate, and the first one expired",
        Duration::from_secs(300),
        |last| {
            let c = lab.bao_certs("certs.tutorial.svc");
            *last = format!("{c:?}");
            let now = Utc::now();
            let ok = c.len() >= 2 && c[0].2 < now && c.last().unwrap().2 > now;
            if !ok {
                std::thread::sleep(Duration::from_secs(4));
            }
            ok.then_some(c)
        },
    );
    // The new one came before the old one ended, and the agent rendered it.
    let (old, new) = (&certs[certs.len() - 2], certs.last().unwrap());
    assert!(
        new.1 < old.2,
        "issued {} after the old one ended {}",
        new.1,
        old.2
    );
    let log = lab.logs(&pod, "vault-agent", false);
    assert!(
        log.lines().any(
            |l| l.contains(r#"rendered "(dynamic)" => "/vault/secrets/tls.crt""#)
                && line_time(l).is_some_and(|t| t >= new.1)
        ),
        "{log}"
    );
    let (_, report) = lab.check();
    let w = workload(&report, "certs");
    assert_ne!(w["health"], "error", "{w:#}");
    for f in w["findings"].as_array().unwrap() {
        if f["code"] == "cert.expired" || f["code"] == "cert.expiring" {
            assert_eq!(f["severity"], "info", "{f:#}");
            assert!(
                f["message"].as_str().unwrap().contains("probably replaced"),
                "{f:#}"
            );
        }
    }
    let shown: Vec<&str> = w["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["serial"].as_str().unwrap())
        .collect();
    assert!(shown.contains(&new.0.as_str()), "{shown:?} lacks {}", new.0);
}

#[test]
fn breaking_a_role_binding_and_fixing_it_again() {
    let lab = lab();
    lab.wait_ready(&["webapp"]);
    let old = lab.pod_name("webapp");
    struct Fix;
    impl Drop for Fix {
        fn drop(&mut self) {
            let _ = lab_command(&["scenario", "fix-binding"]).output();
        }
    }
    let guard = Fix;
    lab.scenario("break-binding");
    let new = wait_for(
        "the replacement webapp pod",
        Duration::from_secs(30),
        |last| {
            let p = lab.pod_of("app=webapp")?;
            let name = p["metadata"]["name"].as_str().unwrap().to_string();
            *last = name.clone();
            (name != old).then_some(name)
        },
    );
    lab.wait_log(
        &new,
        "vault-agent-init",
        false,
        "service account name not authorized",
    );
    // The old pod is gone, and so are its agents' processes.
    wait_for("the old pod to be deleted", Duration::from_secs(60), |_| {
        let all = lab.kubectl(&["get", "pods", "-n", NS, "-o", "name"]);
        (!all.contains(&old)).then_some(())
    });
    let pids = PathBuf::from(lab.env("VAULTSCOPE_LAB_DIR")).join("run/agents");
    wait_for(
        "the old pod's agents to stop",
        Duration::from_secs(30),
        |last| {
            let left: Vec<String> = std::fs::read_dir(&pids)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.contains(&old))
                        .collect()
                })
                .unwrap_or_default();
            *last = format!("{left:?}");
            left.is_empty().then_some(())
        },
    );
    let (_, report) = lab.check();
    let w = workload(&report, "webapp");
    assert_eq!(w["health"], "error");
    let f = finding(w, "auth.service_account_not_authorized");
    assert_eq!(f["pod"], new.as_str());
    evidence_is_from(f, &lab, &new, "vault-agent-init");
    let f = finding(w, "config.role_binding_mismatch");
    assert!(
        f["evidence"].as_str().unwrap().contains("webapp-v2"),
        "{f:#}"
    );
    // Fixed: the agent's next attempt logs in, renders and exits; the pod
    // starts its sidecar and is Ready.
    lab.scenario("fix-binding");
    drop(guard);
    lab.wait_ready(&["webapp"]);
    let log = lab.logs(&new, "vault-agent-init", false);
    assert!(log.contains("authentication successful"), "{log}");
    let (_, report) = lab.check();
    let w = workload(&report, "webapp");
    assert_eq!(w["health"], "ok", "{w:#}");
}

#[test]
fn injected_pods_have_vault_k8s_shape_and_a_real_crash_loop() {
    let lab = lab();
    lab.wait_ready(&["webapp"]);
    let pod = lab.pod_of("app=webapp").unwrap();
    let ann = &pod["metadata"]["annotations"];
    let a = |k: &str| {
        ann[format!("vault.hashicorp.com/{k}")]
            .as_str()
            .unwrap_or("<unset>")
            .to_string()
    };
    // What vault-k8s's Init writes, next to what the manifest said.
    assert_eq!(a("agent-inject-status"), "injected");
    assert_eq!(a("auth-path"), "auth/kubernetes");
    assert_eq!(a("agent-inject-containers"), "webapp");
    assert_eq!(a("template-static-secret-render-interval"), "30s");
    assert_eq!(a("service"), lab.env("VAULT_ADDR"));
    let names = |list: &str| -> Vec<String> {
        pod["spec"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("initContainers"), ["vault-agent-init"]);
    assert_eq!(names("containers"), ["webapp", "vault-agent"]);
    let volumes = names("volumes");
    for v in ["home-init", "home-sidecar", "vault-secrets"] {
        assert!(volumes.iter().any(|n| n == v), "{volumes:?}");
    }
    assert!(volumes.iter().any(|n| n.starts_with("kube-api-access-")));
    let init = Use::agent_config(&pod, "initContainers", "vault-agent-init");
    let side = Use::agent_config(&pod, "containers", "vault-agent");
    assert_eq!(init["exit_after_auth"], true);
    assert_eq!(side["exit_after_auth"], false);
    let method = &init["auto_auth"]["method"];
    assert_eq!(method["type"], "kubernetes");
    assert_eq!(method["mount_path"], "auth/kubernetes");
    assert_eq!(method["config"]["role"], "webapp");
    assert_eq!(
        method["config"]["token_path"],
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    );
    assert_eq!(
        init["template"][0]["destination"],
        "/vault/secrets/database-config.txt"
    );
    assert_eq!(
        init["template_config"]["static_secret_render_interval"],
        "30s"
    );
    assert_eq!(init["template_config"]["exit_on_retry_failure"], true);
    assert_eq!(
        init["auto_auth"]["sink"][0]["config"]["path"],
        "/home/vault/.vault-token"
    );
    // The agent wrote the paths the pod has: its lines name them.
    let log = lab.logs(
        pod["metadata"]["name"].as_str().unwrap(),
        "vault-agent-init",
        false,
    );
    assert!(
        log.contains("token written: path=/home/vault/.vault-token"),
        "{log}"
    );
    assert!(log.contains(r#"rendered "(dynamic)" => "/vault/secrets/database-config.txt""#));
    assert!(log.contains("OpenBao Agent"));
    // The legacy pod logs in where its annotation says.
    let legacy = lab.pod_of("app=legacy").unwrap();
    let cfg = Use::agent_config(&legacy, "initContainers", "vault-agent-init");
    assert_eq!(cfg["auto_auth"]["method"]["mount_path"], "auth/k8s");
    // Pre-populate only: a Job pod with the init container and no sidecar.
    let job = lab.pod_of("job-name=batch-export").unwrap();
    let job_containers: Vec<&str> = job["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(job_containers, ["export"]);
    assert!(!job["spec"]["volumes"].to_string().contains("home-sidecar"));
    // vaultscope reads these annotations as the webhook's: no bad annotation.
    let (_, report) = lab.check();
    for w in report["workloads"].as_array().unwrap() {
        assert!(!codes(w).contains(&"injection.bad_annotation"), "{w:#}");
        assert!(!codes(w).contains(&"injection.not_injected"), "{w:#}");
    }
    // auditor's agent exits on its auth error (auto_auth exit_on_err): a real
    // crash loop, restarted with the kubelet's back-off. A new pod, so its
    // first instance ran now (not, say, while another test sealed Vault).
    let old = lab.pod_name("auditor");
    lab.scenario_args(&["restart", "auditor"]);
    let auditor = wait_for("a new auditor pod", Duration::from_secs(30), |_| {
        let name = lab.pod_name("auditor");
        (name != old).then_some(name)
    });
    let status = wait_for(
        "auditor in CrashLoopBackOff",
        Duration::from_secs(60),
        |last| {
            let p = lab.pod_of("app=auditor")?;
            if p["metadata"]["name"] != auditor.as_str() {
                return None;
            }
            let s = p["status"]["initContainerStatuses"][0].clone();
            *last = s.to_string();
            (s["state"]["waiting"]["reason"] == "CrashLoopBackOff").then_some(s)
        },
    );
    assert!(status["restartCount"].as_u64().unwrap() >= 1);
    assert_ne!(status["lastState"]["terminated"]["exitCode"], 0);
    let previous = lab.logs(&auditor, "vault-agent-init", true);
    assert!(
        previous.contains(r#"invalid role name "auditor""#),
        "{previous}"
    );
    assert!(
        previous.contains("Error encountered during run"),
        "{previous}"
    );
    let (_, report) = lab.check();
    let w = workload(&report, "auditor");
    let c = codes(w);
    assert!(c.contains(&"auth.invalid_role"), "{w:#}");
    assert!(c.contains(&"config.role_missing"), "{w:#}");
    assert!(w["pods"][0]["restarts"].as_u64().unwrap() >= 1);
}

/// Two rotations the agents meet for real, sharing one wait: a KV version
/// the pricing agent may no longer read (its policy was narrowed before the
/// write), and database credentials the payouts agent fetches again at
/// their 40 s max TTL. It may run before or after the seal test: an agent
/// still backing off after the seal only meets the 403 later.
#[test]
fn a_pod_that_may_not_read_the_new_version_is_stale_and_reissued_credentials_are_a_rotation() {
    let lab = lab();
    lab.wait_ready(&["pricing", "payouts"]);
    let pricing = lab.pod_name("pricing");
    let payouts = lab.pod_name("payouts");
    let render_line = r#"(runner) rendered "(dynamic)" => "/vault/secrets/prices.txt""#;
    // The init agent rendered the file; the sidecar reads the same version
    // at its start and, the content being the same, writes (and logs)
    // nothing: the pod's last render is in either log.
    let renders = || -> Vec<DateTime<Utc>> {
        ["vault-agent-init", "vault-agent"]
            .iter()
            .flat_map(|c| {
                lab.logs(&pricing, c, false)
                    .lines()
                    .filter(|l| l.contains(render_line))
                    .filter_map(line_time)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    lab.wait_log(&pricing, "vault-agent", false, "(runner) starting");
    assert!(!renders().is_empty(), "pricing's agents rendered nothing");
    /// Grants the path again even when an assertion fails.
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = lab_command(&["scenario", "restore-read"]).output();
        }
    }
    let guard = Restore;
    lab.scenario("lose-read");
    let meta = lab.bao_json(&["kv", "metadata", "get", "secret/tutorial/pricing"]);
    let version = meta["data"]["current_version"].as_u64().unwrap();
    let changed = time(meta["data"]["updated_time"].as_str().unwrap());
    // The agent's next re-read (every 10 s) gets OpenBao's 403.
    lab.wait_log(&pricing, "vault-agent", false, "* permission denied");

    // Meanwhile, payouts: new credentials rendered once the lease could not
    // be renewed past its max TTL, more than a minute after the sidecar's
    // first render (vaultscope does not count a render in the pod's first
    // minute as a re-render: rotation.no_reload waits for that).
    let w = wait_for(
        "a check that shows payouts' re-issued credentials rendered",
        Duration::from_secs(150),
        |last| {
            let log = lab.logs(&payouts, "vault-agent", false);
            let renders: Vec<DateTime<Utc>> = log
                .lines()
                .filter(|l| l.contains(r#"rendered "(dynamic)" => "/vault/secrets/db-creds""#))
                .filter_map(line_time)
                .collect();
            *last = log.lines().rev().take(6).collect::<Vec<_>>().join("\n");
            let late = chrono::Duration::seconds(61);
            if renders.len() < 2 || renders.last().is_some_and(|t| *t < renders[0] + late) {
                std::thread::sleep(Duration::from_secs(3));
                return None;
            }
            let (_, report) = lab.check();
            let w = workload(&report, "payouts").clone();
            let p = &w["secrets"][0]["pods"][0];
            *last = format!("{w:#}");
            let shown = p["last_render"].as_str().map(time)?;
            (p["state"] == "current" && p["lag_seconds"].is_i64() && shown > renders[0] + late)
                .then_some(w)
        },
    );
    let s = &w["secrets"][0];
    assert_eq!(s["last_change"]["kind"], "lease_issued", "{s:#}");
    let id = s["last_change"]["id"].as_str().unwrap();
    assert!(id.starts_with("database/creds/payouts/"), "{id}");
    let lease = lab.bao_json(&["write", "sys/leases/lookup", &format!("lease_id={id}")]);
    let issued = time(lease["data"]["issue_time"].as_str().unwrap());
    assert!(
        close(time(s["last_change"]["at"].as_str().unwrap()), issued),
        "{s:#} vs OpenBao's issue_time {issued}"
    );
    // The render vaultscope shows is the agent's own line, after consul-
    // template's "renewer done" for the capped lease, and the lag is theirs.
    let p = &s["pods"][0];
    let shown = time(p["last_render"].as_str().unwrap());
    let log = lab.logs(&payouts, "vault-agent", false);
    let line = log
        .lines()
        .filter(|l| l.contains(r#"rendered "(dynamic)" => "/vault/secrets/db-creds""#))
        .find(|l| line_time(l).is_some_and(|t| close(t, shown)))
        .unwrap_or_else(|| panic!("no render at {shown} in:\n{log}"));
    let rendered = line_time(line).unwrap();
    assert!(
        log.lines().any(
            |l| l.contains("vault.read(database/creds/payouts): renewer done")
                && line_time(l)
                    .is_some_and(|t| t <= rendered && t >= issued - chrono::Duration::seconds(2))
        ),
        "{log}"
    );
    assert!(
        (p["lag_seconds"].as_i64().unwrap() - (rendered - issued).num_seconds()).abs() <= 1,
        "{p:#}"
    );
    // No command reloads the app (the lab's apps have none): said, with the lease.
    let f = finding(&w, "rotation.no_reload");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["pod"], payouts.as_str());
    let ev = f["evidence"].as_str().unwrap();
    assert!(
        ev.contains(id) && ev.contains("no agent-inject-command-db-creds"),
        "{ev}"
    );

    // pricing: stale once its 10 s interval and vaultscope's minute of grace
    // have passed since the write, its pod named, both times shown.
    let due = changed + chrono::Duration::seconds(10 + 60 + 2);
    if let Ok(wait) = (due - Utc::now()).to_std() {
        std::thread::sleep(wait);
    }
    let (_, report) = lab.check();
    let w = workload(&report, "pricing");
    let s = &w["secrets"][0];
    assert_eq!(s["last_change"]["kind"], "kv_version", "{s:#}");
    assert_eq!(s["last_change"]["version"].as_u64(), Some(version));
    let p = &s["pods"][0];
    assert_eq!(p["name"], pricing.as_str());
    assert_eq!(p["state"], "stale", "{s:#}");
    assert!(p["lag_seconds"].is_null());
    // Its last render is the agents' last render line, from before the write.
    let last = renders().into_iter().max().unwrap();
    assert!(last < changed, "{last} vs {changed}");
    assert!(
        close(time(p["last_render"].as_str().unwrap()), last),
        "{p:#}"
    );
    let f = finding(w, "rotation.not_propagated");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["pod"], pricing.as_str());
    let ev = f["evidence"].as_str().unwrap();
    assert!(
        ev.contains(&format!(
            "secret/data/tutorial/pricing v{version} written at"
        )) && ev.contains("last rendered /vault/secrets/prices.txt at"),
        "{ev}"
    );
    // And why: the agent's own 403 on the read.
    let denied = finding(w, "secret.permission_denied");
    assert_eq!(denied["pod"], pricing.as_str());
    evidence_is_from(denied, &lab, &pricing, "vault-agent");
    drop(guard);
}

/// The CSI driver's rotation as vaultscope reads it from a real API server:
/// the CSIDriver object as the driver's chart (v1.6.1,
/// `charts/secrets-store-csi-driver/templates/csidriver.yaml`) renders it with
/// `enableSecretRotation: false`, then a KV write after catalog-csi's mount.
#[test]
fn a_csi_driver_that_does_not_rotate_is_read_from_the_api_server() {
    let lab = lab();
    lab.wait_ready(&["catalog-csi"]);
    /// Removes the object even when an assertion fails: with it gone the
    /// driver's rotation is unknown again and the other tests see no finding.
    struct Remove;
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = lab_command(&[
                "kubectl",
                "delete",
                "csidriver",
                "secrets-store.csi.k8s.io",
                "--ignore-not-found",
            ])
            .output();
        }
    }
    let guard = Remove;
    let manifest =
        std::env::temp_dir().join(format!("vaultscope-csidriver-{}.yaml", std::process::id()));
    std::fs::write(
        &manifest,
        "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata:\n  name: secrets-store.csi.k8s.io\nspec:\n  podInfoOnMount: true\n  attachRequired: false\n  volumeLifecycleModes:\n  - Ephemeral\n  requiresRepublish: false\n",
    )
    .unwrap();
    lab.kubectl(&["create", "-f", manifest.to_str().unwrap()]);
    let _ = std::fs::remove_file(&manifest);
    let pod = lab.pod_name("catalog-csi");
    let (_, report) = lab.check();
    // The CSI mount in the same shape: its pod's side is the status object
    // the API server stamped (managedFields), after the KV write it holds.
    let csi = workload(&report, "catalog-csi");
    let s = &csi["secrets"][0];
    assert_eq!(s["via"], "csi", "{s:#}");
    assert_eq!(s["last_change"]["kind"], "kv_version", "{s:#}");
    let p = &s["pods"][0];
    assert_eq!(p["state"], "current", "{s:#}");
    let spcps = lab.kubectl_json(&[
        "get",
        "secretproviderclasspodstatus",
        "-n",
        NS,
        &format!("{pod}-{NS}-tutorial-csi"),
        "--show-managed-fields",
    ]);
    let stamped = spcps["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["time"].as_str().map(time))
        .max()
        .unwrap();
    assert!(
        close(time(p["last_render"].as_str().unwrap()), stamped),
        "{p:#} vs {spcps:#}"
    );
    assert!(p["lag_seconds"].is_null(), "mounted after the write: {s:#}");
    // The driver does not rotate and nothing changed in Vault since the
    // mount: info.
    let w = csi;
    let f = finding(w, "rotation.csi_rotation_disabled");
    assert_eq!(f["severity"], "info", "{f:#}");
    assert_eq!(f["pod"], pod.as_str());
    assert!(
        f["evidence"]
            .as_str()
            .unwrap()
            .contains("CSIDriver secrets-store.csi.k8s.io: requiresRepublish is false"),
        "{f:#}"
    );
    // A new version written after the mount: the pod keeps the old one.
    lab.bao_json(&["kv", "patch", "secret/tutorial/csi", "rotated=by-real-lab"]);
    let meta = lab.bao_json(&["kv", "metadata", "get", "secret/tutorial/csi"]);
    let version = meta["data"]["current_version"].as_u64().unwrap();
    let (_, report) = lab.check();
    let w = workload(&report, "catalog-csi");
    let f = finding(w, "rotation.csi_rotation_disabled");
    assert_eq!(f["severity"], "warning", "{f:#}");
    let ev = f["evidence"].as_str().unwrap();
    assert!(
        ev.contains(&format!("secret/data/tutorial/csi v{version} written at"))
            && ev.contains("mounted 20"),
        "{ev}"
    );
    let p = &w["secrets"][0]["pods"][0];
    assert_eq!(p["state"], "stale", "{w:#}");
    // Said once, as the specific cause, not also as not_propagated.
    assert!(!codes(w).contains(&"rotation.not_propagated"), "{w:#}");
    drop(guard);
    let (_, report) = lab.check();
    let w = workload(&report, "catalog-csi");
    assert!(
        !codes(w).iter().any(|c| c.starts_with("rotation.")),
        "{w:#}"
    );
}
