//! The kubernetes auth backend check with both real components: the lab's
//! real kube-apiserver (scripts/lab.sh) and a real OpenBao 2.7 (scripts/
//! bao.sh) whose kubernetes auth mounts point at it. Each case gets its own
//! auth mount (Vault keeps TLS connections to the API server open, so a
//! mount that once logged in with a good CA would keep working for a while
//! after its CA is changed) and a pod in the lab whose
//! `vault.hashicorp.com/auth-path` names that mount: vaultscope finds the
//! mount the way it does in a real cluster, from the workloads.
//!
//! Each verdict is checked against a real login with a lab service account
//! token: a case vaultscope calls broken really fails (OpenBao answers 403
//! "permission denied"; its debug log has the cause), and the healthy one
//! really logs in.
//!
//! Both labs start once per test binary, in their own dirs and ports; the
//! tests run one at a time and the last to finish stops both
//! (scripts/test.sh also does on exit).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::{Value, json};

use common::LabPlace;
use vaultscope::diagnose::{self, Code, Finding, Severity};
use vaultscope::model::World;
use vaultscope::model::interest;
use vaultscope::sources::ca;
use vaultscope::sources::kube::{self as live, KubeOptions};
use vaultscope::sources::vault::{self, VaultConfig};

/// Moved by `VAULTSCOPE_TEST_SLOT` (see `common::LabPlace`); scripts/test.sh
/// stops labs left here.
const LAB_DIR: &str = "/tmp/vaultscope-lab-authtest";
const APISERVER_PORT: u16 = 17643;
const KINE_PORT: u16 = 17579;
const KWOK_PORT: u16 = 17550;
const BAO_DIR: &str = "/tmp/vaultscope-bao-authtest";
const BAO_PORT: u16 = 18390;
const PG_PORT: u16 = 15590;
/// Nothing listens here on a test machine (the discard port).
const CLOSED: &str = "https://127.0.0.1:9";

/// The number of #[test]s below: the last one to finish stops the labs.
const TESTS: usize = 7;

fn kube_place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}

fn bao_place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(BAO_DIR))
}

struct Labs {
    admin: PathBuf,
    /// scripts/lab.sh env.
    kube: HashMap<String, String>,
    /// scripts/bao.sh up's exports.
    bao: HashMap<String, String>,
    /// A lab service account token allowed to create TokenReviews.
    reviewer_jwt: PathBuf,
}

static LABS: OnceLock<Labs> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

fn kube_command(args: &[&str]) -> Command {
    let p = kube_place();
    let mut c = Command::new("bash");
    c.arg(script("lab.sh"))
        .args(args)
        .env("VAULTSCOPE_LAB_DIR", &p.dir)
        .env("VAULTSCOPE_LAB_APISERVER_PORT", p.port(APISERVER_PORT))
        .env("VAULTSCOPE_LAB_KINE_PORT", p.port(KINE_PORT))
        .env("VAULTSCOPE_LAB_KWOK_PORT", p.port(KWOK_PORT));
    c
}

fn bao_command(arg: &str) -> Command {
    let p = bao_place();
    let mut c = Command::new("bash");
    c.arg(script("bao.sh"))
        .arg(arg)
        .env("VAULTSCOPE_BAO_DIR", &p.dir)
        .env("VAULTSCOPE_BAO_PORT", p.port(BAO_PORT))
        .env("VAULTSCOPE_PG_PORT", p.port(PG_PORT))
        // Why a login was refused is only logged at debug level.
        .env("VAULTSCOPE_BAO_LOG_LEVEL", "debug");
    c
}

fn run(mut c: Command, what: &str) -> String {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}); the auth backend tests need it.\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| {
            let v = v.trim_matches(['\'', '"']).replace('\\', "");
            (k.to_string(), v)
        })
        .collect()
}

fn start_labs() -> Labs {
    // Labs left over from a run that was cut short: start from scratch.
    let _ = kube_command(&["down"]).output();
    let _ = bao_command("down").output();
    let up = run(kube_command(&["up"]), "scripts/lab.sh up");
    let admin = PathBuf::from(up.lines().last().unwrap_or_default().trim());
    assert!(admin.is_file(), "lab.sh up printed no kubeconfig: {up}");
    let kube = exports(&run(kube_command(&["env"]), "scripts/lab.sh env"));
    // OpenBao's auth/kubernetes points at this lab (bao.sh reads these).
    let mut c = bao_command("up");
    c.env("VAULTSCOPE_LAB_SERVER", &kube["VAULTSCOPE_LAB_SERVER"])
        .env("VAULTSCOPE_LAB_CA_FILE", &kube["VAULTSCOPE_LAB_CA_FILE"]);
    let bao = exports(&run(c, "scripts/bao.sh up"));
    // A reviewer, as the Vault docs set one up for a Vault outside the
    // cluster: a service account bound to system:auth-delegator.
    kubectl_in(
        &kube,
        &["create", "serviceaccount", "vault-reviewer", "-n", "vault"],
    );
    kubectl_in(
        &kube,
        &[
            "create",
            "clusterrolebinding",
            "vault-reviewer-delegator",
            "--clusterrole=system:auth-delegator",
            "--serviceaccount=vault:vault-reviewer",
        ],
    );
    let jwt = kubectl_in(
        &kube,
        &[
            "create",
            "token",
            "vault-reviewer",
            "-n",
            "vault",
            "--duration=2h",
        ],
    );
    let reviewer_jwt = PathBuf::from(&bao["VAULTSCOPE_BAO_DIR"]).join("reviewer.jwt");
    std::fs::write(&reviewer_jwt, jwt.trim()).unwrap();
    Labs {
        admin,
        kube,
        bao,
        reviewer_jwt,
    }
}

fn kubectl_in(kube: &HashMap<String, String>, args: &[&str]) -> String {
    let mut c = Command::new(&kube["VAULTSCOPE_LAB_KUBECTL"]);
    c.arg("--kubeconfig")
        .arg(&kube["VAULTSCOPE_LAB_ADMIN_KUBECONFIG"])
        .args(args);
    // Never echo what kubectl printed: `create token` prints a JWT.
    let out = c.output().expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {} failed: {}",
        args.first().unwrap_or(&""),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Holds the labs for one test: serializes the tests, and stops both when
/// the last one is done (even when it panicked).
struct Use {
    labs: &'static Labs,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Use {
    fn drop(&mut self) {
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == TESTS {
            let _ = bao_command("down").output();
            let _ = kube_command(&["down"]).output();
        }
    }
}

fn labs() -> Use {
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    Use {
        labs: LABS.get_or_init(start_labs),
        _serial: serial,
    }
}

/// How a case's mount is configured.
struct Case<'a> {
    mount: &'a str,
    host: &'a str,
    ca_file: &'a Path,
    reviewer: bool,
}

impl Use {
    fn server(&self) -> &str {
        &self.labs.kube["VAULTSCOPE_LAB_SERVER"]
    }

    fn lab_ca(&self) -> PathBuf {
        PathBuf::from(&self.labs.kube["VAULTSCOPE_LAB_CA_FILE"])
    }

    fn kubectl(&self, args: &[&str]) -> String {
        kubectl_in(&self.labs.kube, args)
    }

    /// `bao` as root; stdout, or a panic with stderr.
    fn bao(&self, args: &[&str]) -> String {
        let addr = &self.labs.bao["VAULT_ADDR"];
        let out = Command::new(&self.labs.bao["VAULTSCOPE_BAO_BIN"])
            .args(args)
            .env_remove("VAULT_NAMESPACE")
            .env_remove("BAO_NAMESPACE")
            .env("BAO_ADDR", addr)
            .env("BAO_TOKEN", &self.labs.bao["VAULT_TOKEN"])
            .output()
            .expect("run bao");
        assert!(
            out.status.success(),
            "bao {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A PEM that is not the lab's CA: OpenBao's own PKI root.
    fn wrong_ca(&self) -> PathBuf {
        let f = PathBuf::from(&self.labs.bao["VAULTSCOPE_BAO_DIR"]).join("wrong-ca.pem");
        if !f.is_file() {
            let pem = self.bao(&["read", "-field=certificate", "pki/cert/ca"]);
            std::fs::write(&f, pem).unwrap();
        }
        f
    }

    /// A new kubernetes auth mount configured as `case` says, with role
    /// `login-check` for payments/billing, and a pod in the lab (that
    /// service account) whose annotations log in there.
    fn set_up(&self, case: &Case<'_>) {
        self.bao(&[
            "auth",
            "enable",
            &format!("-path={}", case.mount),
            "kubernetes",
        ]);
        let mut args = vec![
            "write".to_string(),
            format!("auth/{}/config", case.mount),
            format!("kubernetes_host={}", case.host),
            format!("kubernetes_ca_cert=@{}", case.ca_file.display()),
            "disable_local_ca_jwt=true".into(),
        ];
        if case.reviewer {
            args.push(format!(
                "token_reviewer_jwt=@{}",
                self.labs.reviewer_jwt.display()
            ));
        }
        self.bao(&args.iter().map(String::as_str).collect::<Vec<_>>());
        self.bao(&[
            "write",
            &format!("auth/{}/role/login-check", case.mount),
            "bound_service_account_names=billing",
            "bound_service_account_namespaces=payments",
            "token_policies=default",
            "token_ttl=5m",
        ]);
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("authcheck-{}", case.mount),
                "namespace": "payments",
                "annotations": {
                    "vault.hashicorp.com/agent-inject": "true",
                    "vault.hashicorp.com/role": "login-check",
                    "vault.hashicorp.com/auth-path": format!("auth/{}", case.mount),
                    "vault.hashicorp.com/agent-inject-secret-config": "secret/data/payments/config"
                }
            },
            "spec": {
                "serviceAccountName": "billing",
                "nodeName": self.labs.kube["VAULTSCOPE_LAB_NODE"],
                "containers": [{"name": "app", "image": "registry.local/app:1.0"}]
            }
        });
        let file = PathBuf::from(&self.labs.bao["VAULTSCOPE_BAO_DIR"])
            .join(format!("pod-{}.json", case.mount));
        std::fs::write(&file, pod.to_string()).unwrap();
        self.kubectl(&["apply", "-f", file.to_str().unwrap()]);
    }

    /// A real login at `mount` with a fresh token of payments/billing:
    /// the HTTP status, the answer, and what OpenBao logged meanwhile.
    fn login(&self, mount: &str) -> (u16, Value, String) {
        let jwt = self.kubectl(&[
            "create",
            "token",
            "billing",
            "-n",
            "payments",
            "--duration=10m",
        ]);
        let log = PathBuf::from(&self.labs.bao["VAULTSCOPE_BAO_DIR"]).join("bao.log");
        let before = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
        let body = json!({"role": "login-check", "jwt": jwt.trim()}).to_string();
        let out = Command::new("curl")
            .args([
                "-s",
                "-X",
                "POST",
                "--data-binary",
                "@-",
                "-w",
                "\n%{http_code}",
            ])
            .arg(format!(
                "{}/v1/auth/{mount}/login",
                self.labs.bao["VAULT_ADDR"]
            ))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(body.as_bytes())?;
                child.wait_with_output()
            })
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (answer, code) = text.rsplit_once('\n').unwrap_or((&text, "0"));
        let answer: Value = serde_json::from_str(answer).unwrap_or(Value::Null);
        // Debug lines are written as the request is handled.
        let logged = std::fs::read(&log).unwrap_or_default();
        let logged = String::from_utf8_lossy(&logged[before.min(logged.len())..]).into_owned();
        (code.trim().parse().unwrap_or(0), answer, logged)
    }

    /// `vaultscope check` as a library: the lab through the live source,
    /// then OpenBao with vaultscope's own token (docs/vaultscope-policy.hcl).
    fn check(&self) -> World {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let conn = live::connect(&KubeOptions {
                kubeconfig: Some(self.labs.admin.clone()),
                all_namespaces: true,
                ..Default::default()
            })
            .await
            .expect("connect to the lab");
            let mut world = live::snapshot(&conn, std::time::Duration::from_secs(30))
                .await
                .expect("snapshot of the lab");
            let cfg = VaultConfig::new(
                self.labs.bao["VAULT_ADDR"].clone(),
                Some(self.labs.bao["VAULTSCOPE_TOKEN"].clone()),
            );
            let snap = vault::poll_once(cfg, &interest::interest(&world)).await;
            for o in snap.observations() {
                world.apply(o);
            }
            world
        })
    }
}

/// The global findings about `mount`.
fn about(world: &World, mount: &str) -> Vec<Finding> {
    let prefix = format!("auth/{mount}:");
    diagnose::diagnose(world, chrono::Utc::now())
        .global
        .into_iter()
        .filter(|f| f.code == Code::ConfigAuthBackendMismatch && f.message.starts_with(&prefix))
        .collect()
}

fn fingerprints_by_openssl(pem_file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(pem_file).unwrap();
    let mut out = Vec::new();
    for block in text.split_inclusive("-----END CERTIFICATE-----\n") {
        if !block.contains("BEGIN CERTIFICATE") {
            continue;
        }
        let mut child = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("openssl");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(block.as_bytes())
            .unwrap();
        let out_text = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        let fp = out_text.trim().rsplit('=').next().unwrap().replace(':', "");
        out.push(fp.to_ascii_lowercase());
    }
    out
}

#[test]
fn the_cluster_side_comes_from_the_real_api_server() {
    let lab = labs();
    let world = lab.check();
    let id = world
        .cluster
        .clone()
        .expect("the snapshot records the cluster");
    assert_eq!(id.server, lab.server());
    // The kubeconfig's CA data is the lab's apiserver.crt (serving cert and
    // its CA): the same certificates as openssl reads them.
    let mut ours: Vec<String> = id.kubeconfig_ca.iter().map(|c| c.sha256.clone()).collect();
    let mut openssl = fingerprints_by_openssl(&lab.lab_ca());
    ours.sort();
    openssl.sort();
    assert_eq!(ours, openssl);
    assert_eq!(openssl.len(), 2);
    // The kubernetes Service's ClusterIP, from the lab's loopback range.
    assert_eq!(id.service_ips, Some(vec!["127.96.0.1".to_string()]));
    // No kube-controller-manager in the lab, so no kube-root-ca.crt: publish
    // it as its root-ca-cert-publisher would, and it is read.
    assert_eq!(id.root_ca, None);
    let pem = std::fs::read_to_string(lab.lab_ca()).unwrap();
    let map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kube-root-ca.crt", "namespace": "default"},
        "data": {"ca.crt": pem}
    });
    let file = PathBuf::from(&lab.labs.bao["VAULTSCOPE_BAO_DIR"]).join("kube-root-ca.json");
    std::fs::write(&file, map.to_string()).unwrap();
    lab.kubectl(&["apply", "-f", file.to_str().unwrap()]);
    let id = lab.check().cluster.unwrap();
    assert_eq!(id.root_ca, Some(ca::from_pem(&pem)));
    assert_eq!(id.root_ca.as_ref().unwrap().len(), 2);
}

#[test]
fn the_right_host_and_ca_with_a_reviewer_give_no_finding_and_a_real_login_succeeds() {
    let lab = labs();
    let ca = lab.lab_ca();
    lab.set_up(&Case {
        mount: "lab-ok",
        host: lab.server(),
        ca_file: &ca,
        reviewer: true,
    });
    let world = lab.check();
    let config = world
        .vault
        .auth_configs
        .iter()
        .find(|c| c.auth_path == "auth/lab-ok")
        .unwrap_or_else(|| {
            panic!(
                "auth/lab-ok/config not read: {:?}",
                world.vault.permission_problems
            )
        });
    assert_eq!(config.token_reviewer_jwt_set, Some(true));
    assert_eq!(config.disable_local_ca_jwt, Some(true));
    assert_eq!(config.ca_certs.len(), 2);
    assert!(
        about(&world, "lab-ok").is_empty(),
        "{:#?}",
        about(&world, "lab-ok")
    );
    // vaultscope's minimal policy reads auth/+/config.
    assert!(
        !world
            .vault
            .permission_problems
            .iter()
            .any(|p| p.path.ends_with("/config")),
        "{:?}",
        world.vault.permission_problems
    );
    let (code, answer, _) = lab.login("lab-ok");
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer["auth"]["metadata"]["service_account_name"],
        "billing"
    );
}

#[test]
fn no_reviewer_jwt_is_named_and_a_login_reviewing_itself_is_refused() {
    let lab = labs();
    let ca = lab.lab_ca();
    lab.set_up(&Case {
        mount: "lab-no-reviewer",
        host: lab.server(),
        ca_file: &ca,
        reviewer: false,
    });
    let world = lab.check();
    let f = about(&world, "lab-no-reviewer");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].message.contains("no token_reviewer_jwt"),
        "{}",
        f[0].message
    );
    assert!(f[0].hint.contains("system:auth-delegator"));
    let evidence = f[0].evidence.as_deref().unwrap();
    assert!(
        evidence.contains("token_reviewer_jwt_set=false"),
        "{evidence}"
    );
    assert!(!evidence.contains("BEGIN CERTIFICATE"), "{evidence}");
    // True: the workload's own token may not create TokenReviews.
    let (code, answer, logged) = lab.login("lab-no-reviewer");
    assert_eq!(code, 403, "{answer}");
    assert_eq!(answer["errors"][0], "permission denied");
    assert!(
        logged.contains("login unauthorized")
            && logged.contains("cannot create resource")
            && logged.contains("tokenreviews"),
        "{logged}"
    );
}

#[test]
fn a_wrong_ca_is_named_and_real_logins_fail() {
    let lab = labs();
    let wrong = lab.wrong_ca();
    lab.set_up(&Case {
        mount: "lab-wrong-ca",
        host: lab.server(),
        ca_file: &wrong,
        reviewer: true,
    });
    let world = lab.check();
    let f = about(&world, "lab-wrong-ca");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(
        f[0].message
            .contains("kubernetes_ca_cert (CN=vaultscope lab root CA"),
        "{}",
        f[0].message
    );
    assert!(f[0].hint.contains("kubernetes_ca_cert=@ca.crt"));
    assert!(
        f[0].hint
            .contains(&format!("kubernetes_host={}", lab.server()))
    );
    let (code, answer, logged) = lab.login("lab-wrong-ca");
    assert_eq!(code, 403, "{answer}");
    assert_eq!(answer["errors"][0], "permission denied");
    assert!(
        logged.contains("login unauthorized") && logged.contains("x509"),
        "{logged}"
    );
}

#[test]
fn a_wrong_host_is_named_and_real_logins_fail() {
    let lab = labs();
    let ca = lab.lab_ca();
    let wrong = lab.wrong_ca();
    lab.set_up(&Case {
        mount: "lab-wrong-host",
        host: CLOSED,
        ca_file: &ca,
        reviewer: true,
    });
    // Another cluster's address and CA: an error.
    lab.set_up(&Case {
        mount: "lab-other-cluster",
        host: CLOSED,
        ca_file: &wrong,
        reviewer: true,
    });
    let world = lab.check();
    let f = about(&world, "lab-wrong-host");
    assert_eq!(f.len(), 1, "{f:#?}");
    // This cluster's CA: maybe another name of its API server, so a warning.
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].message.contains(&format!("kubernetes_host {CLOSED}"))
            && f[0].message.contains(lab.server()),
        "{}",
        f[0].message
    );
    let other = about(&world, "lab-other-cluster");
    assert_eq!(other.len(), 1, "{other:#?}");
    assert_eq!(other[0].severity, Severity::Error);
    assert!(other[0].message.contains("kubernetes_host"));
    for mount in ["lab-wrong-host", "lab-other-cluster"] {
        let (code, answer, logged) = lab.login(mount);
        assert_eq!(code, 403, "{mount}: {answer}");
        assert_eq!(answer["errors"][0], "permission denied");
        assert!(
            logged.contains("login unauthorized") && logged.contains("connection refused"),
            "{mount}: {logged}"
        );
    }
}

#[test]
fn check_and_a_captured_bundle_name_the_mount_and_field() {
    let lab = labs();
    let wrong = lab.wrong_ca();
    lab.set_up(&Case {
        mount: "lab-cli",
        host: lab.server(),
        ca_file: &wrong,
        reviewer: true,
    });
    let kc = lab.labs.admin.to_str().unwrap();
    let vaultscope = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .env("VAULT_ADDR", &lab.labs.bao["VAULT_ADDR"])
            .env("VAULT_TOKEN", &lab.labs.bao["VAULTSCOPE_TOKEN"])
            .env("NO_COLOR", "1")
            .output()
            .expect("run vaultscope");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ours = |json: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
        v["global_findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["code"] == "config.auth_backend_mismatch"
                    && f["message"].as_str().unwrap().starts_with("auth/lab-cli:")
            })
            .cloned()
            .collect()
    };
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-A", "-o", "json"]);
    assert_eq!(code, 1, "an error finding → exit 1\n{err}");
    let live = ours(&out);
    assert_eq!(live.len(), 1, "{out}");
    assert_eq!(live[0]["severity"], "error");
    assert!(
        live[0]["message"]
            .as_str()
            .unwrap()
            .contains("kubernetes_ca_cert")
    );
    assert!(!out.contains("BEGIN CERTIFICATE"));

    // capture → check --from: bundle.json carries the cluster side and
    // vault.json the mount's config, so the bundle gives the same verdict.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    let (code, _, err) = vaultscope(&[
        "capture",
        "--kubeconfig",
        kc,
        "-A",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let meta = std::fs::read_to_string(bundle.join("bundle.json")).unwrap();
    assert!(meta.contains(lab.server()), "{meta}");
    let vault_json = std::fs::read_to_string(bundle.join("vault.json")).unwrap();
    assert!(vault_json.contains("auth/lab-cli"));
    assert!(!vault_json.contains("BEGIN CERTIFICATE") && !vault_json.contains("eyJ"));
    let (code, out, err) = vaultscope(&["check", "--from", bundle.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(ours(&out), live);
}

/// `vaultscope preflight` with both rings that see the auth backend: the
/// manifests' mounts, their config read from OpenBao (ring 2), compared with
/// the cluster of the kubeconfig (ring 3); then from OpenBao alone. Each
/// verdict is checked against a real login.
#[test]
fn preflight_judges_the_auth_mounts_its_manifests_log_in_at() {
    let lab = labs();
    let ca = lab.lab_ca();
    let wrong = lab.wrong_ca();
    for (mount, ca_file, reviewer) in [
        ("pf-ok", &ca, true),
        ("pf-wrong-ca", &wrong, true),
        ("pf-no-reviewer", &ca, false),
    ] {
        lab.set_up(&Case {
            mount,
            host: lab.server(),
            ca_file,
            reviewer,
        });
    }
    // One Deployment per mount, under each injector's prefix.
    let deployment = |name: &str, prefix: &str, mount: &str| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: payments}}\nspec:\n  template:\n    metadata:\n      annotations:\n        {prefix}agent-inject: \"true\"\n        {prefix}role: login-check\n        {prefix}auth-path: auth/{mount}\n    spec:\n      serviceAccountName: billing\n"
        )
    };
    let input = deployment("ok", "vault.hashicorp.com/", "pf-ok")
        + &deployment("wrong-ca", "openbao.org/", "pf-wrong-ca")
        + &deployment("no-reviewer", "openbao.openbao.org/", "pf-no-reviewer");
    let role_line = |name: &str| {
        let at = input.find(&format!("name: {name},")).unwrap();
        input[..at].lines().count()
            + input[at..]
                .lines()
                .position(|l| l.contains("role: login-check"))
                .unwrap()
    };
    let preflight = |cluster: bool| -> (i32, Value) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vaultscope"));
        c.args(["preflight", "-f", "-", "-o", "json"])
            .env_remove("KUBECONFIG")
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .env("VAULT_ADDR", &lab.labs.bao["VAULT_ADDR"])
            .env("VAULT_TOKEN", &lab.labs.bao["VAULTSCOPE_TOKEN"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if cluster {
            c.arg("--kubeconfig").arg(&lab.labs.admin);
        }
        let mut child = c.spawn().expect("run vaultscope");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap_or(-1), v)
    };
    let backend = |v: &Value| -> Vec<(usize, String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "config.auth_backend_mismatch")
            .map(|f| {
                (
                    f["line"].as_u64().unwrap() as usize,
                    f["severity"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    let (code, v) = preflight(true);
    assert_eq!(code, 1, "{v:#}");
    for r in ["vault", "cluster"] {
        let ring = v["rings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["ring"] == r)
            .unwrap();
        assert_eq!(ring["ran"], true, "{ring}");
    }
    let got = backend(&v);
    assert_eq!(
        got.iter()
            .map(|(l, s, _)| (*l, s.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (role_line("wrong-ca"), "error"),
            (role_line("no-reviewer"), "warning")
        ],
        "{v:#}"
    );
    assert!(
        got[0]
            .2
            .starts_with("auth/pf-wrong-ca: kubernetes_ca_cert (CN=vaultscope lab root CA")
            && got[0].2.contains("is not the watched cluster's CA"),
        "{}",
        got[0].2
    );
    assert!(
        got[1]
            .2
            .starts_with("auth/pf-no-reviewer: no token_reviewer_jwt"),
        "{}",
        got[1].2
    );
    assert!(!v.to_string().contains("BEGIN CERTIFICATE"));

    // From OpenBao alone, a CA cannot be compared with anything: only the
    // missing reviewer is told.
    let (_, alone) = preflight(false);
    let got = backend(&alone);
    assert_eq!(
        got.iter()
            .map(|(l, s, _)| (*l, s.as_str()))
            .collect::<Vec<_>>(),
        vec![(role_line("no-reviewer"), "warning")],
        "{alone:#}"
    );

    // The verdicts are true.
    let (code, answer, _) = lab.login("pf-ok");
    assert_eq!(code, 200, "{answer}");
    for mount in ["pf-wrong-ca", "pf-no-reviewer"] {
        let (code, answer, _) = lab.login(mount);
        assert_eq!(code, 403, "{mount}: {answer}");
    }
}
