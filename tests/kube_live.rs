//! The live Kubernetes source against a real kube-apiserver (scripts/lab.sh:
//! kube-apiserver v1.37 on kine, a kwok node serving container logs, the real
//! secrets-store CSI CRDs, seeded workloads). The lab is started once per test
//! binary, in its own dir and on its own ports so a developer's lab is left
//! alone; a lab that cannot start fails the tests with the script's stderr.
//! The tests run one at a time (one of them stops the API server) and the
//! last one to finish stops the lab (scripts/test.sh also does on exit).

mod common;
use common::{LabPlace, walk};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use vaultscope::diagnose::{self, Health};
use vaultscope::model::World;
use vaultscope::model::injector::Injector;
use vaultscope::model::logs::{LogKey, LogTarget};
use vaultscope::model::pod::ContainerState;
use vaultscope::sources::kube::{self as live, Connection, KubeOptions};

/// Moved by `VAULTSCOPE_TEST_SLOT` (see `common::LabPlace`).
const LAB_DIR: &str = "/tmp/vaultscope-lab-kubetest";
const APISERVER_PORT: u16 = 17443;
const KINE_PORT: u16 = 17379;
const KWOK_PORT: u16 = 17250;

fn place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}
/// The number of tests that use the lab: the last one to finish stops it.
const TESTS: usize = 12;

const LEDGER_POD: &str = "ledger-5b6c7d8f9g-m4n7q";
/// Seeded as OpenBao's injector (openbao-k8s) leaves pods.
const STOCK_POD: &str = "stock-api-6b8c9d7f5c-t4v8n";
const RESTOCK_POD: &str = "restock-5c9f8b7d6d-w2x6k";

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

fn lab_run(args: &[&str]) {
    let out = lab_command(args)
        .output()
        .expect("cannot run scripts/lab.sh");
    assert!(
        out.status.success(),
        "scripts/lab.sh {} failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_lab() -> Lab {
    let t0 = Instant::now();
    // A lab left over from a run that was cut short: start from scratch.
    let _ = lab_command(&["down"]).output();
    let out = lab_command(&["up"])
        .output()
        .expect("cannot run scripts/lab.sh");
    if !out.status.success() {
        panic!(
            "scripts/lab.sh up failed ({}); the live Kubernetes tests need it.\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let admin = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    assert!(
        admin.is_file(),
        "lab.sh up printed no kubeconfig path: {stdout}"
    );
    eprintln!("lab up in {:?}", t0.elapsed());
    Lab {
        restricted: admin.with_file_name("restricted.kubeconfig"),
        admin,
    }
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

async fn connect(kubeconfig: &Path, namespace: Option<&str>) -> Connection {
    live::connect(&KubeOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        namespace: namespace.map(str::to_string),
        all_namespaces: namespace.is_none(),
        ..Default::default()
    })
    .await
    .expect("connect to the lab")
}

/// The live source running into a world, as the dashboard runs it.
struct Live {
    world: Arc<Mutex<World>>,
    targets: watch::Sender<Vec<LogTarget>>,
    conn: Connection,
}

impl Live {
    async fn start(kubeconfig: &Path, namespace: Option<&str>) -> Live {
        let conn = connect(kubeconfig, namespace).await;
        let (tx, mut rx) = mpsc::channel(4096);
        let (targets, trx) = watch::channel(Vec::new());
        tokio::spawn(live::run(conn.clone(), tx, trx));
        let world = Arc::new(Mutex::new(World::default()));
        let w = world.clone();
        tokio::spawn(async move {
            while let Some(o) = rx.recv().await {
                w.lock().unwrap().apply(o);
            }
        });
        Live {
            world,
            targets,
            conn,
        }
    }

    /// Wait until `cond` holds; how long it took. Panics after `limit`.
    async fn wait(&self, what: &str, limit: Duration, cond: impl Fn(&World) -> bool) -> Duration {
        let t0 = Instant::now();
        loop {
            if cond(&self.world.lock().unwrap()) {
                return t0.elapsed();
            }
            if t0.elapsed() > limit {
                let w = self.world.lock().unwrap();
                panic!(
                    "{what}: not seen within {limit:?} (pods: {:?}; api server: {:?})",
                    w.pods.keys().collect::<Vec<_>>(),
                    w.api_server
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn client(&self) -> kube::Client {
        self.conn.client.clone()
    }
}

fn workloads(world: &World) -> BTreeMap<String, (Health, Vec<String>)> {
    diagnose::diagnose(world, chrono::Utc::now())
        .workloads
        .iter()
        .map(|w| {
            let mut codes: Vec<String> = w
                .findings
                .iter()
                .map(|f| f.code.as_str().to_string())
                .collect();
            codes.sort();
            (
                format!("{}/{} {}", w.key.namespace, w.key.kind.as_str(), w.key.name),
                (w.health, codes),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_sees_exactly_the_seeded_workloads() {
    let lab = lab();
    let conn = connect(&lab.lab.admin, None).await;
    let world = live::snapshot(&conn, Duration::from_secs(30))
        .await
        .expect("snapshot");
    let got = workloads(&world);
    let names: BTreeSet<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "inventory/Deployment restock",
            "inventory/Deployment stock-api",
            "payments/Deployment billing-api",
            "payments/Deployment fraud-scorer",
            "payments/Deployment ledger",
            "shop/Deployment cart",
            "shop/Deployment catalog",
            "shop/Deployment legacy-web",
        ]),
        "{got:#?}"
    );
    let health = |k: &str| got[k].0;
    assert_eq!(health("payments/Deployment billing-api"), Health::Ok);
    assert_eq!(health("shop/Deployment catalog"), Health::Ok);
    assert_eq!(health("inventory/Deployment stock-api"), Health::Ok);
    for k in [
        "inventory/Deployment restock",
        "payments/Deployment ledger",
        "payments/Deployment fraud-scorer",
        "shop/Deployment cart",
        "shop/Deployment legacy-web",
    ] {
        assert_eq!(health(k), Health::Error, "{k}: {got:#?}");
    }
    assert!(
        got["payments/Deployment ledger"]
            .1
            .contains(&"auth.service_account_not_authorized".to_string())
    );
    assert!(
        got["payments/Deployment fraud-scorer"]
            .1
            .contains(&"injection.webhook_failed".to_string())
    );
    assert!(
        got["shop/Deployment legacy-web"]
            .1
            .contains(&"injection.not_injected".to_string())
    );
    assert_eq!(
        got["inventory/Deployment restock"].1,
        ["auth.invalid_role"],
        "{got:#?}"
    );

    // Agent containers as the injector left them.
    let billing = world
        .pods
        .values()
        .find(|p| p.name.starts_with("billing-api-"))
        .unwrap();
    assert!(
        matches!(&billing.agent_init().unwrap().state, ContainerState::Terminated(t) if t.exit_code == 0)
    );
    assert!(matches!(
        billing.agent_sidecar().unwrap().state,
        ContainerState::Running { .. }
    ));
    let ledger = world.pod("payments", LEDGER_POD).unwrap();
    assert!(matches!(
        ledger.agent_init().unwrap().state,
        ContainerState::Running { .. }
    ));
    assert!(
        world
            .pods
            .values()
            .find(|p| p.name.starts_with("legacy-web-"))
            .unwrap()
            .agent_containers()
            .next()
            .is_none()
    );
    // OpenBao's containers, as its injector left them.
    let stock = world.pod("inventory", STOCK_POD).unwrap();
    assert_eq!(stock.injected_by(), Some(Injector::OpenBao));
    let init = stock.agent_init().unwrap();
    assert_eq!(init.name, "openbao-agent-init");
    assert!(matches!(&init.state, ContainerState::Terminated(t) if t.exit_code == 0));
    assert!(matches!(
        stock.agent_sidecar().unwrap().state,
        ContainerState::Running { .. }
    ));
    assert!(
        world
            .log("inventory", RESTOCK_POD, "openbao-agent-init", false)
            .is_some_and(|b| !b.is_empty())
    );
    // CSI: installed, both classes, catalog's mount.
    assert_eq!(world.csi_installed, Some(true));
    let classes: BTreeSet<&str> = world.classes.keys().map(|(_, n)| n.as_str()).collect();
    assert_eq!(classes, BTreeSet::from(["cart-vault", "catalog-vault"]));
    assert_eq!(world.pod_statuses.len(), 1);
    assert!(
        world
            .pod_statuses
            .values()
            .all(|s| s.mounted && s.class_name == "catalog-vault")
    );
    // The injector: its webhook, and one ready endpoint behind its Service.
    assert_eq!(world.webhooks.len(), 1);
    assert_eq!(world.webhooks[0].failure_policy, "Ignore");
    assert_eq!(world.injector_ready_endpoints, Some(1));
    assert!(world.access_denied.is_empty(), "{:?}", world.access_denied);
    // Agent logs read once for the diagnosis.
    assert!(
        world
            .log("payments", LEDGER_POD, "vault-agent-init", false)
            .is_some_and(|b| !b.is_empty())
    );
}

fn scratch_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "payments", "labels": {"app": "scratch"},
            "annotations": {
                "vault.hashicorp.com/agent-inject": "true",
                "vault.hashicorp.com/agent-inject-status": "injected",
                "vault.hashicorp.com/role": "ledger",
                "lab.vaultscope.dev/static-status": "true"}},
        "spec": {"nodeName": "lab-node-1",
            "initContainers": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.15.2"}],
            "containers": [{"name": "app", "image": "registry.local/app:1.0"},
                           {"name": "vault-agent", "image": "hashicorp/vault:1.15.2"}]}
    }))
    .unwrap()
}

fn failed_mount_event(pod: &str) -> Event {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{pod}.failedmount"), "namespace": "payments"},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": "payments", "apiVersion": "v1"},
        "type": "Warning", "reason": "FailedMount", "count": 1,
        "firstTimestamp": now, "lastTimestamp": now,
        "source": {"component": "kubelet", "host": "lab-node-1"},
        "message": "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod payments/scratch, err: error making mount request: failed to login: permission denied"
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_after_start_show_up_within_two_seconds() {
    let lab = lab();
    let live = Live::start(&lab.lab.admin, None).await;
    live.wait("initial sync", Duration::from_secs(20), |w| {
        w.pod("payments", LEDGER_POD).is_some() && w.webhooks.len() == 1
    })
    .await;
    let pods: Api<Pod> = Api::namespaced(live.client(), "payments");
    let events: Api<Event> = Api::namespaced(live.client(), "payments");
    let name = "scratch-crashloop";
    let limit = Duration::from_secs(2);

    pods.create(&PostParams::default(), &scratch_pod(name))
        .await
        .unwrap();
    let took = live
        .wait("new pod", limit, |w| w.pod("payments", name).is_some())
        .await;
    eprintln!("new pod seen after {took:?}");

    // Status written through the status subresource, as a kubelet does.
    let status = json!({"status": {"phase": "Pending", "initContainerStatuses": [{
        "name": "vault-agent-init", "image": "hashicorp/vault:1.15.2", "imageID": "",
        "ready": false, "restartCount": 5,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=vault-agent-init"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let took = live
        .wait("CrashLoopBackOff", limit, |w| {
            w.pod("payments", name)
                .and_then(|p| p.agent_init())
                .is_some_and(|c| {
                    c.waiting_reason() == Some("CrashLoopBackOff") && c.restart_count == 5
                })
        })
        .await;
    eprintln!("CrashLoopBackOff seen after {took:?}");

    events
        .create(&PostParams::default(), &failed_mount_event(name))
        .await
        .unwrap();
    let took = live
        .wait("FailedMount event", limit, |w| {
            w.events
                .values()
                .any(|e| e.reason == "FailedMount" && e.involved.name == name)
        })
        .await;
    eprintln!("FailedMount seen after {took:?}");

    pods.delete(
        name,
        &DeleteParams {
            grace_period_seconds: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let took = live
        .wait("pod deleted", limit, |w| w.pod("payments", name).is_none())
        .await;
    eprintln!("deletion seen after {took:?}");
    events
        .delete(&format!("{name}.failedmount"), &DeleteParams::default())
        .await
        .unwrap();
    live.wait("event deleted", limit, |w| {
        !w.events.values().any(|e| e.involved.name == name)
    })
    .await;
}

/// The watch decodes pods trimmed (src/sources/kube/slim_pod.rs) and the
/// model holds whole only the pods that get secrets: a plain pod is known
/// by its key, becomes whole when annotated for injection and goes back to
/// a key when the annotation is removed, all through the real API server.
/// The live source says when its first lists are complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_is_held_whole_only_while_it_gets_secrets() {
    let lab = lab();
    let live = Live::start(&lab.lab.admin, None).await;
    live.wait("every watcher listed", Duration::from_secs(20), |w| {
        w.listed
    })
    .await;
    {
        let w = live.world.lock().unwrap();
        assert!(w.pod("payments", LEDGER_POD).is_some());
        assert!(
            w.pod_count() > w.pods.len(),
            "the lab has pods without secrets"
        );
    }
    let pods: Api<Pod> = Api::namespaced(live.client(), "payments");
    let name = "scratch-plain";
    let key = ("payments".to_string(), name.to_string());
    let plain: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "payments",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "x".repeat(4096)}},
        "spec": {"containers": [{"name": "app", "image": "registry.local/app:1.0",
            "env": [{"name": "MODE", "value": "plain"}]}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &plain).await.unwrap();
    let limit = Duration::from_secs(5);
    live.wait("the plain pod, by key", limit, |w| {
        w.other_pods.contains(&key) && w.pod("payments", name).is_none()
    })
    .await;

    let annotate = |v: Value| Patch::Merge(json!({"metadata": {"annotations": v}}));
    pods.patch(
        name,
        &PatchParams::default(),
        &annotate(
            json!({"vault.hashicorp.com/agent-inject": "true", "example.com/owner": "team-a"}),
        ),
    )
    .await
    .unwrap();
    live.wait("annotated for injection, whole", limit, |w| {
        w.pod("payments", name).is_some_and(|p| {
            // Only the injector's annotations are kept.
            p.annotations.keys().collect::<Vec<_>>() == ["vault.hashicorp.com/agent-inject"]
        }) && !w.other_pods.contains(&key)
    })
    .await;

    pods.patch(
        name,
        &PatchParams::default(),
        &annotate(json!({"vault.hashicorp.com/agent-inject": null})),
    )
    .await
    .unwrap();
    live.wait("the annotation removed, by key again", limit, |w| {
        w.other_pods.contains(&key) && w.pod("payments", name).is_none()
    })
    .await;

    pods.delete(
        name,
        &DeleteParams {
            grace_period_seconds: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    live.wait("deleted", limit, |w| !w.other_pods.contains(&key))
        .await;
}

fn served_log(pod: &str, container: &str) -> Vec<String> {
    let path = Path::new(&place().dir)
        .join("containers/payments")
        .join(pod)
        .join(format!("{container}.log"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // CRI format: TIME STREAM TAG TEXT
    text.lines()
        .map(|l| l.splitn(4, ' ').nth(3).unwrap_or("").to_string())
        .collect()
}

fn ledger_init(previous: bool) -> LogKey {
    LogKey {
        namespace: "payments".into(),
        pod: LEDGER_POD.into(),
        container: "vault-agent-init".into(),
        previous,
    }
}

fn log_lines(w: &World, key: &LogKey) -> Vec<String> {
    w.logs
        .get(key)
        .map(|b| b.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn append(lines: &[String]) {
    let mut args = vec!["log-append", "payments", LEDGER_POD, "vault-agent-init"];
    args.extend(lines.iter().map(String::as_str));
    lab_run(&args);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_tail_follows_appended_lines_in_order() {
    let lab = lab();
    let live = Live::start(&lab.lab.admin, Some("payments")).await;
    let key = ledger_init(false);
    // Not shown yet, but its init container is stuck: read once, so the
    // list has the cause (not just "init stuck") before a pane is opened.
    let want = served_log(LEDGER_POD, "vault-agent-init");
    live.wait(
        "the stuck init container's log",
        Duration::from_secs(10),
        |w| log_lines(w, &key) == want,
    )
    .await;
    assert!(
        workloads(&live.world.lock().unwrap())["payments/Deployment ledger"]
            .1
            .contains(&"auth.service_account_not_authorized".to_string())
    );
    // Shown: followed from where that read ended.
    live.targets.send_replace(vec![LogTarget {
        key: key.clone(),
        restarts: 0,
    }]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log_lines(&live.world.lock().unwrap(), &key), want);
    let batch: Vec<String> = (0..20).map(|i| format!("follow test line {i}")).collect();
    append(&batch);
    let want = served_log(LEDGER_POD, "vault-agent-init");
    live.wait("appended lines", Duration::from_secs(5), |w| {
        log_lines(w, &key) == want
    })
    .await;
    // No longer shown: the stream stops, and lines appended meanwhile come
    // once (resumed from the last timestamp) when it is shown again.
    live.targets.send_replace(Vec::new());
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&["while hidden".to_string()]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_ne!(
        log_lines(&live.world.lock().unwrap(), &key),
        served_log(LEDGER_POD, "vault-agent-init"),
        "a hidden log is not followed"
    );
    live.targets.send_replace(vec![LogTarget {
        key: key.clone(),
        restarts: 0,
    }]);
    let want = served_log(LEDGER_POD, "vault-agent-init");
    live.wait("resumed log", Duration::from_secs(5), |w| {
        log_lines(w, &key) == want
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_server_loss_is_reported_and_recovered_without_losing_log_lines() {
    let lab = lab();
    let live = Live::start(&lab.lab.admin, None).await;
    let key = ledger_init(false);
    live.targets.send_replace(vec![LogTarget {
        key: key.clone(),
        restarts: 0,
    }]);
    live.wait("the served log", Duration::from_secs(10), |w| {
        log_lines(w, &key) == served_log(LEDGER_POD, "vault-agent-init")
    })
    .await;
    append(
        &(0..5)
            .map(|i| format!("before the cut {i}"))
            .collect::<Vec<_>>(),
    );
    live.wait("lines before the cut", Duration::from_secs(5), |w| {
        log_lines(w, &key) == served_log(LEDGER_POD, "vault-agent-init")
    })
    .await;

    lab_run(&["stop-apiserver"]);
    let took = live
        .wait(
            "API server reported unreachable",
            Duration::from_secs(10),
            |w| w.api_server.is_some_and(|s| !s.reachable),
        )
        .await;
    eprintln!("unreachable reported after {took:?}");
    // Lines written while the server is away.
    append(
        &(0..5)
            .map(|i| format!("during the cut {i}"))
            .collect::<Vec<_>>(),
    );
    let t0 = Instant::now();
    lab_run(&["start-apiserver"]);
    eprintln!("API server back after {:?}", t0.elapsed());
    let took = live
        .wait("API server reachable again", Duration::from_secs(15), |w| {
            w.api_server.is_some_and(|s| s.reachable)
        })
        .await;
    eprintln!("recovery reported after {took:?}");
    append(
        &(0..5)
            .map(|i| format!("after the cut {i}"))
            .collect::<Vec<_>>(),
    );
    let want = served_log(LEDGER_POD, "vault-agent-init");
    live.wait("every line once, in order", Duration::from_secs(15), |w| {
        log_lines(w, &key) == want
    })
    .await;
    // Watches resumed too: a change made now arrives.
    let events: Api<Event> = Api::namespaced(live.client(), "payments");
    events
        .create(&PostParams::default(), &failed_mount_event("after-restart"))
        .await
        .unwrap();
    live.wait("an event after the restart", Duration::from_secs(5), |w| {
        w.events
            .values()
            .any(|e| e.involved.name == "after-restart")
    })
    .await;
    events
        .delete("after-restart.failedmount", &DeleteParams::default())
        .await
        .unwrap();
}

fn vaultscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
        .args(args)
        .env_remove("VAULT_ADDR")
        .env_remove("BAO_ADDR")
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run vaultscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_user_sees_its_namespace_and_no_access_for_the_rest() {
    let lab = lab();
    let live = Live::start(&lab.lab.restricted, Some("payments")).await;
    live.wait(
        "payments pods and the forbidden resources",
        Duration::from_secs(10),
        |w| {
            w.pod("payments", LEDGER_POD).is_some()
                && w.replicaset("payments", "fraud-scorer-84f5d6c7b8")
                    .is_some()
                && w.events.values().any(|e| e.involved.kind == "ReplicaSet")
                && w.access_denied.len() >= 4
        },
    )
    .await;
    let world = live.world.lock().unwrap().clone();
    let got = workloads(&world);
    assert!(got.keys().all(|k| k.starts_with("payments/")), "{got:?}");
    assert_eq!(got.len(), 3, "{got:?}");
    let denied: BTreeSet<String> = world.access_denied.iter().map(|d| d.describe()).collect();
    for want in [
        "no access to jobs in payments (needs: watch jobs.batch)",
        "no access to secretproviderclasses in payments (needs: watch secretproviderclasses.secrets-store.csi.x-k8s.io)",
        "no access to secretproviderclasspodstatuses in payments (needs: watch secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io)",
        "no access to mutatingwebhookconfigurations (needs: watch mutatingwebhookconfigurations.admissionregistration.k8s.io)",
    ] {
        assert!(denied.contains(want), "missing {want:?} in {denied:#?}");
    }
    // The headless check: findings for payments, notes for the rest, no error exit.
    let kc = lab.lab.restricted.to_str().unwrap();
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-n", "payments"]);
    assert_eq!(code, 1, "error findings in payments → 1\n{out}\n{err}");
    assert!(out.contains("payments Deployment ledger"), "{out}");
    assert!(
        err.contains("no access to jobs in payments (needs: watch jobs.batch)"),
        "{err}"
    );
    // Outside its namespace (the context's: default) it gets "no access", not a failure.
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("no access to pods in default (needs: watch pods)"),
        "{err}"
    );
}

/// `kubectl vaultscope`: the lab's real kubectl finds the plugin on PATH and
/// hands it the words after `vaultscope`, with kubectl's habits (`-n`
/// before the subcommand, `--context` from a merged KUBECONFIG).
#[test]
fn kubectl_runs_the_plugin_with_its_flags() {
    let lab = lab();
    let env =
        std::fs::read_to_string(Path::new(&place().dir).join("env")).expect("the lab's env file");
    let kubectl = env
        .lines()
        .find_map(|l| l.strip_prefix("export VAULTSCOPE_LAB_KUBECTL="))
        .map(|v| v.trim_matches('"').to_string())
        .expect("VAULTSCOPE_LAB_KUBECTL in the lab's env file");
    let plugin = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-vaultscope"));
    let path = std::env::join_paths(
        std::iter::once(plugin.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let kubeconfig = std::env::join_paths([&lab.lab.admin, &lab.lab.restricted]).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&kubectl)
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", &kubeconfig)
            .env_remove("VAULT_ADDR")
            .env_remove("BAO_ADDR")
            .env("NO_COLOR", "1")
            .output()
            .expect("run the lab's kubectl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["plugin", "list"]);
    assert!(out.contains("kubectl-vaultscope"), "{code} {out}\n{err}");
    for args in [
        &[
            "vaultscope",
            "check",
            "-n",
            "payments",
            "--context",
            "lab-restricted",
            "-o",
            "json",
        ][..],
        &[
            "vaultscope",
            "-n",
            "payments",
            "check",
            "--context",
            "lab-restricted",
            "-o",
            "json",
        ],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(
            code, 1,
            "error findings in payments → 1: {args:?}\n{out}\n{err}"
        );
        let got = findings_of(&out);
        assert!(got.keys().all(|k| k.starts_with("payments/")), "{got:?}");
        assert!(got.contains_key("payments/Deployment/ledger"), "{got:?}");
        assert!(
            err.contains("no access to jobs in payments"),
            "the restricted user's context: {err}"
        );
    }
    let (code, out, err) = run(&["vaultscope", "--version"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("kubectl-vaultscope 0."), "{out}");
    let (code, _, err) = run(&["vaultscope", "check", "--context", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no context \"nope\""), "{err}");
}

fn findings_of(json: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let key = format!(
                "{}/{}/{}",
                w["namespace"]
                    .as_str()
                    .or(w["key"]["namespace"].as_str())
                    .unwrap_or("?"),
                w["kind"]
                    .as_str()
                    .or(w["key"]["kind"].as_str())
                    .unwrap_or("?"),
                w["name"]
                    .as_str()
                    .or(w["key"]["name"].as_str())
                    .unwrap_or("?"),
            );
            let mut codes: Vec<String> = w["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{} {}", f["code"].as_str().unwrap(), f["severity"]))
                .collect();
            codes.sort();
            (key, (w["health"].to_string(), codes))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_then_check_from_gives_the_findings_of_a_live_check() {
    let lab = lab();
    let kc = lab.lab.admin.to_str().unwrap();
    let (code, live_json, err) = vaultscope(&["check", "--kubeconfig", kc, "-A", "-o", "json"]);
    assert_eq!(code, 1, "{live_json}\n{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let (code, _, err) = vaultscope(&[
        "capture",
        "--kubeconfig",
        kc,
        "-A",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, bundle_json, err) =
        vaultscope(&["check", "--from", out.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    let live = findings_of(&live_json);
    assert_eq!(live.len(), 8, "{live:#?}");
    assert_eq!(live, findings_of(&bundle_json));
    let global = |j: &str| serde_json::from_str::<Value>(j).unwrap()["global_findings"].clone();
    assert_eq!(global(&live_json), global(&bundle_json));

    // The bundle: the documented files, no managedFields, no Secrets.
    for f in [
        "pods.yaml",
        "events.yaml",
        "replicasets.yaml",
        "jobs.yaml",
        "secretproviderclasses.yaml",
        "secretproviderclasspodstatuses.yaml",
        "mutatingwebhookconfigurations.yaml",
        "bundle.json",
        "logs/payments/ledger-5b6c7d8f9g-m4n7q/vault-agent-init.log",
        "logs/inventory/restock-5c9f8b7d6d-w2x6k/openbao-agent-init.log",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for entry in walk(&out) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains("managedFields"), "{}", entry.display());
        assert!(!text.contains("kind: Secret\n"), "{}", entry.display());
    }
    assert_eq!(
        std::fs::read_to_string(
            out.join("logs/payments/ledger-5b6c7d8f9g-m4n7q/vault-agent-init.log")
        )
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect::<Vec<_>>(),
        served_log(LEDGER_POD, "vault-agent-init")
    );
}

/// Pods injected by OpenBao's injector are checked like vault-k8s's: the
/// healthy one is ok, the failing one is diagnosed in OpenBao's names, and
/// the JSON and the table say which injector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openbao_injected_pods_are_checked() {
    let lab = lab();
    let kc = lab.lab.admin.to_str().unwrap();
    let (code, out, err) =
        vaultscope(&["check", "--kubeconfig", kc, "-n", "inventory", "-o", "json"]);
    assert_eq!(code, 1, "restock fails\n{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let workload = |name: &str| {
        v["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .clone()
    };
    let stock = workload("stock-api");
    assert_eq!(stock["health"], "ok", "{stock:#}");
    assert_eq!(stock["method"], "agent");
    assert_eq!(stock["injector"], "openbao");
    let pod = &stock["pods"][0];
    assert_eq!(pod["name"], STOCK_POD);
    assert_eq!(pod["injector"], "openbao");
    assert_eq!(pod["agent_init"], "terminated: Completed (exit 0)");
    assert_eq!(pod["agent"], "running");
    assert_eq!(stock["secrets"][0]["path"], "database/creds/stock-api");
    let restock = workload("restock");
    assert_eq!(restock["health"], "error");
    assert_eq!(restock["injector"], "openbao");
    let f = &restock["findings"][0];
    assert_eq!(f["code"], "auth.invalid_role", "{restock:#}");
    assert_eq!(f["via"], "agent-init");
    assert_eq!(f["container"], "openbao-agent-init");
    assert!(
        f["hint"]
            .as_str()
            .unwrap()
            .contains("the openbao.org/role annotation"),
        "{f:#}"
    );
    assert!(
        f["evidence"]
            .as_str()
            .unwrap()
            .contains("invalid role name \"restock\""),
        "{f:#}"
    );
    // The table says it too.
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-n", "inventory"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("OK     inventory Deployment stock-api"),
        "{out}"
    );
    assert!(out.contains("agent (openbao-k8s)"), "{out}");
    assert!(
        out.contains("openbao-agent-init: running · openbao-agent: waiting: PodInitializing"),
        "{out}"
    );
    assert!(!out.contains("vault-agent"), "{out}");
}

/// The real kube-apiserver stores ESC, C1 and bidi characters in annotation
/// values and event messages, and tokens in anything: `check` must show them
/// escaped and redacted, and `capture` must not write the tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_from_the_api_server_is_escaped_and_redacted() {
    let lab = lab();
    let kc = lab.lab.admin.to_str().unwrap();
    let conn = connect(&lab.lab.admin, Some("default")).await;
    let client = conn.client.clone();
    let attack = "\u{1b}]0;pwned\u{7}\u{1b}]52;c;Y3VybA==\u{7}\u{9b}2J\u{202e}txt.exe";
    let token = "hvs.CAESIJlU9J7Pi6kX2lkqpDtVtD7SpVuhmvUjnDzA3kgrqcHnGh4K";
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "hostile", "namespace": "default", "annotations": {
            "vault.hashicorp.com/agent-inject": "true",
            "vault.hashicorp.com/role": format!("web{attack}"),
            "vault.hashicorp.com/agent-inject-perms-db": format!("7{attack}"),
            "vault.hashicorp.com/agent-inject-token": token,
            "example.com/note": format!("X-Vault-Token: {token}")}},
        "spec": {"containers": [{"name": "app", "image": "registry.local/app:1.0",
            "args": [format!("--password=hunter2{attack}")]}]}
    }))
    .unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let _ = pods
        .delete("hostile", &DeleteParams::default().grace_period(0))
        .await;
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("the API server accepts control characters in annotation values");

    let safe = |what: &str, text: &str| {
        let raw = text
            .chars()
            .find(|c| *c != '\n' && vaultscope::safe::is_unsafe(*c));
        assert!(raw.is_none(), "{what}: raw {raw:?} in:\n{text}");
        for secret in ["CAESIJlU9J7Pi6kX2lkqpDtVt", "hunter2"] {
            assert!(!text.contains(secret), "{what}: {secret} in:\n{text}");
        }
    };
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-n", "default"]);
    assert_eq!(code, 1, "{out}\n{err}");
    safe("check stdout", &out);
    safe("check stderr", &err);
    assert!(
        out.contains("\\x1b]0;pwned") && out.contains("\\u{202e}"),
        "{out}"
    );
    assert!(out.contains("injection.not_injected"), "{out}");

    let (code, json_out, err) =
        vaultscope(&["check", "--kubeconfig", kc, "-n", "default", "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    safe("check json", &json_out);
    serde_json::from_str::<Value>(&json_out).expect("JSON parses");

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("bundle");
    let (code, _, err) = vaultscope(&[
        "capture",
        "--kubeconfig",
        kc,
        "-n",
        "default",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for entry in walk(&out_dir) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for secret in ["CAESIJlU9J7Pi6kX2lkqpDtVt", "hunter2"] {
            assert!(!text.contains(secret), "{}: {secret}", entry.display());
        }
    }
    // What the diagnosis needs survives the redaction.
    let (code, bundle_out, err) = vaultscope(&["check", "--from", out_dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        bundle_out.contains("injection.not_injected"),
        "{bundle_out}"
    );

    pods.delete("hostile", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
}

/// An injected pod in payments: on the kwok node (which runs it, unless
/// `static_status`, whose status the test writes) or on no node at all.
fn injected_pod(name: &str, node: bool, static_status: bool) -> Pod {
    let mut annotations = json!({
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-status": "injected",
        "vault.hashicorp.com/role": "ledger"});
    if static_status {
        annotations["lab.vaultscope.dev/static-status"] = json!("true");
    }
    let mut spec = json!({
        "initContainers": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.15.2"}],
        "containers": [{"name": "app", "image": "registry.local/app:1.0"},
                       {"name": "vault-agent", "image": "hashicorp/vault:1.15.2"}]});
    if node {
        spec["nodeName"] = json!("lab-node-1");
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "payments", "annotations": annotations},
        "spec": spec
    }))
    .unwrap()
}

/// One `pods/log` request as the API server's audit log recorded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LogRequest {
    pod: String,
    container: String,
    previous: bool,
    tail: Option<String>,
    code: u64,
}

/// The `pods/log` requests in the lab's audit log after byte `from`, once
/// `want` of them are there (the log is written as requests complete).
fn log_requests(from: u64, want: usize) -> Vec<LogRequest> {
    let path = Path::new(&place().dir).join("logs/audit.log");
    let t0 = Instant::now();
    loop {
        let text = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&text[(from as usize).min(text.len())..]).into_owned();
        let got: Vec<LogRequest> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .filter(|e| e["stage"] == "ResponseComplete" && e["objectRef"]["subresource"] == "log")
            .map(|e| {
                let uri = e["requestURI"].as_str().unwrap_or_default();
                let query: BTreeMap<&str, &str> = uri
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or_default()
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                LogRequest {
                    pod: e["objectRef"]["name"].as_str().unwrap_or_default().into(),
                    container: query.get("container").copied().unwrap_or_default().into(),
                    previous: query.get("previous") == Some(&"true"),
                    tail: query.get("tailLines").map(|t| t.to_string()),
                    code: e["responseStatus"]["code"].as_u64().unwrap_or_default(),
                }
            })
            .collect();
        if got.len() >= want || t0.elapsed() > Duration::from_secs(5) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn audit_len() -> u64 {
    std::fs::metadata(Path::new(&place().dir).join("logs/audit.log")).map_or(0, |m| m.len())
}

/// `check` asks the API server for no log of a container that never
/// started (the pod has no node, or the container is still being created),
/// reads an agent in trouble in full, healthy ones within --log-budget, and
/// says what it left unread and which reads failed. The API server's own
/// audit log is the witness.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_never_asks_for_the_log_of_a_container_that_never_started() {
    let lab = lab();
    let kc = lab.lab.admin.to_str().unwrap();
    let conn = connect(&lab.lab.admin, Some("payments")).await;
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), "payments");
    let scratch = [
        ("scratch-unscheduled", false, true),
        ("scratch-creating", true, true),
        ("scratch-nolog", true, false),
    ];
    for (name, node, fixed) in scratch {
        pods.create(&PostParams::default(), &injected_pod(name, node, fixed))
            .await
            .unwrap();
    }
    // Still being created, as a kubelet reports it.
    let status = json!({"status": {"phase": "Pending",
        "initContainerStatuses": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.15.2",
            "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ContainerCreating"}}}],
        "containerStatuses": [{"name": "vault-agent", "image": "hashicorp/vault:1.15.2",
            "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "PodInitializing"}}}]}});
    pods.patch_status(
        "scratch-creating",
        &PatchParams::default(),
        &Patch::Merge(&status),
    )
    .await
    .unwrap();
    // kwok runs scratch-nolog (it has no log file, so its reads fail).
    let t0 = Instant::now();
    while pods
        .get("scratch-nolog")
        .await
        .unwrap()
        .status
        .and_then(|s| s.phase)
        .is_none_or(|p| p != "Running")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "kwok did not run scratch-nolog"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let never_started = [
        ("scratch-unscheduled", "vault-agent-init"),
        ("scratch-unscheduled", "vault-agent"),
        ("scratch-creating", "vault-agent-init"),
        ("scratch-creating", "vault-agent"),
        (LEDGER_POD, "vault-agent"),
        (RESTOCK_POD, "openbao-agent"),
    ];
    let from = audit_len();
    let (_, json_out, err) = vaultscope(&["check", "--kubeconfig", kc, "-A", "-o", "json"]);
    let reads = serde_json::from_str::<Value>(&json_out)
        .unwrap_or_else(|e| panic!("{e}: {json_out}\n{err}"))["log_reads"]
        .clone();
    let requests = log_requests(from, reads["requests"].as_u64().unwrap() as usize);
    assert_eq!(
        requests.len() as u64,
        reads["requests"],
        "{requests:#?}\n{reads}"
    );
    for r in &requests {
        assert!(
            !never_started.contains(&(r.pod.as_str(), r.container.as_str())),
            "asked for the log of a container that never started: {r:?}"
        );
    }
    assert_eq!(reads["not_started"], never_started.len(), "{reads}");
    // The agent in trouble in full; the healthy ones (budget 100) in part.
    let ledger = requests
        .iter()
        .find(|r| r.pod == LEDGER_POD && r.container == "vault-agent-init")
        .expect("ledger's stuck init agent is read");
    assert_eq!(ledger.tail.as_deref(), Some("10000"));
    assert_eq!(reads["read_trouble"], 2, "ledger's and restock's: {reads}");
    assert_eq!(
        reads["read_healthy"], 6,
        "billing-api's, stock-api's and scratch-nolog's agents: {reads}"
    );
    // kwok has no log for scratch-nolog: both reads fail, and are counted.
    assert_eq!(reads["failed"], json!({"400 BadRequest": 2}), "{reads}");
    assert_eq!(
        requests.iter().filter(|r| r.code == 400).count(),
        2,
        "{requests:#?}"
    );

    // A budget of one healthy agent: a sidecar before a finished init agent.
    let from = audit_len();
    let (_, table, err) = vaultscope(&["check", "--kubeconfig", kc, "-A", "--log-budget", "1"]);
    let mut got: Vec<(String, String)> = log_requests(from, 3)
        .into_iter()
        .map(|r| (r.pod, r.container))
        .collect();
    got.retain(|(pod, c)| {
        !matches!(
            (pod.as_str(), c.as_str()),
            (LEDGER_POD, "vault-agent-init") | (RESTOCK_POD, "openbao-agent-init")
        )
    });
    assert!(
        matches!(&got[..], [(_, c)] if c == "vault-agent" || c == "openbao-agent"),
        "the two agents in trouble and one healthy sidecar: {got:?}\n{table}\n{err}"
    );
    assert!(
        table.contains(
            "agent logs: 5 agents that look healthy left unread by --log-budget 1 (those nearest token or lease expiry were read first)"
        ),
        "{table}"
    );
    // The same budget from the config file (the flag wins over it).
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "log_budget = 1\n").unwrap();
    let config = config.to_str().unwrap();
    let (_, table, _) = vaultscope(&["check", "--kubeconfig", kc, "-A", "--config", config]);
    assert!(
        table.contains("5 agents that look healthy left unread by --log-budget 1"),
        "{table}"
    );
    let (_, table, _) = vaultscope(&[
        "check",
        "--kubeconfig",
        kc,
        "-A",
        "--config",
        config,
        "--log-budget",
        "100",
    ]);
    assert!(!table.contains("left unread"), "{table}");

    // --logs none: no request at all, and the table says what was not read.
    let from = audit_len();
    let (_, table, _) = vaultscope(&["check", "--kubeconfig", kc, "-A", "--logs", "none"]);
    assert!(
        table.contains("agent logs: 2 agents in trouble not read (--logs none)"),
        "{table}"
    );
    assert_eq!(log_requests(from, 1), [], "--logs none");

    for (name, _, _) in scratch {
        pods.delete(name, &DeleteParams::default().grace_period(0))
            .await
            .unwrap();
    }
}

/// `check -n NS` tells apart a namespace that does not exist (bad usage,
/// exit 2, naming the ones that do), one that exists with no pods, and one
/// whose pods do not use Vault; a user who may not read namespaces is told
/// that it cannot be known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_whether_a_namespace_exists_and_has_pods() {
    let lab = lab();
    let kc = lab.lab.admin.to_str().unwrap();
    for output in ["table", "json"] {
        let (code, out, err) =
            vaultscope(&["check", "--kubeconfig", kc, "-n", "nosuchns", "-o", output]);
        assert_eq!(code, 2, "{out}\n{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains(
                "namespace \"nosuchns\" does not exist in context \"lab-admin\"; namespaces: "
            ) && err.contains("kube-public")
                && err.contains("payments")
                && err.contains("shop"),
            "{err}"
        );
    }
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-n", "kube-public"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Namespace kube-public exists and has no pods."),
        "{out}"
    );
    // The injector's own pod does not get secrets from Vault.
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", kc, "-n", "vault"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 pod in namespace vault; it does not use Vault Agent injection or the Secrets Store CSI driver."),
        "{out}"
    );
    // alice may read pods in payments only, and no namespaces.
    let restricted = lab.lab.restricted.to_str().unwrap();
    let (code, out, err) = vaultscope(&["check", "--kubeconfig", restricted, "-n", "nosuchns"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(
            "No pods could be read in namespace nosuchns (no access; see the warning above)."
        ),
        "{out}"
    );
    assert!(err.contains("no access to pods in nosuchns"), "{err}");
    // A context the kubeconfig does not have is named, with the ones it has.
    let (code, _, err) = vaultscope(&["check", "--kubeconfig", kc, "--context", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no context \"nope\" in the kubeconfig")
            && err.contains("its contexts: lab-admin"),
        "{err}"
    );
}

/// Needs no lab: a kubeconfig whose server does not answer.
#[test]
fn no_reachable_cluster_names_the_context_and_suggests_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:1\n\
users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: prod-eu\n  context:\n    cluster: gone\n    user: u\n\
current-context: prod-eu\n",
    )
    .unwrap();
    for args in [
        vec![],
        vec!["check"],
        vec!["capture", "--out", "/nonexistent/x"],
    ] {
        let mut a = args.clone();
        a.extend(["--kubeconfig", kc.to_str().unwrap()]);
        let (code, _, err) = vaultscope(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(err.contains("context \"prod-eu\""), "{err}");
        assert!(err.contains("vaultscope demo"), "{err}");
    }
}
