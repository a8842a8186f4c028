//! Generators for the properties in `tests/fuzz.rs`: objects that decode
//! (so diagnosis is reached) and carry what others may write into them.
//!
//! Names are drawn from a small pool per case, so pods, ReplicaSets, events,
//! SecretProviderClasses, leases and roles refer to each other and the rules
//! that join them run. Every planted secret carries [`MARK`] right after its
//! prefix; no output may ever contain it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat, Utc};
use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use vaultscope::model::Observation;
use vaultscope::model::cluster::{CaCert, ClusterIdentity};
use vaultscope::model::csi::{SecretProviderClassInfo, SecretProviderClassPodStatusInfo};
use vaultscope::model::logs::LogKey;
use vaultscope::model::objects::{EventInfo, InjectorWebhook, JobInfo, ReplicaSetInfo};
use vaultscope::model::pod::{AGENT_INIT, AGENT_SIDECAR, PodInfo};
use vaultscope::model::vault::{
    AclPolicy, AgentToken, AuthBackendConfig, AuthRole, Certificate, Engine, KvMetadata, Lease,
    MountInfo, PermissionProblem, VaultHealth,
};
use vaultscope::model::world::AccessDenied;
use vaultscope::sources::vault::VaultSnapshot;

/// Follows the prefix of every generated secret (`hvs.Qq7Zk…`,
/// `password=Qq7Zk…`); nothing else generates it.
pub const MARK: &str = "Qq7Zk";

/// 0001-01-01T00:00:00Z and 9999-12-30T00:00:00Z: the range both chrono's
/// RFC 3339 and Kubernetes' (jiff) timestamps decode.
pub const MIN_TS: i64 = -62_135_596_800;
pub const MAX_TS: i64 = 253_402_128_000;
/// 2026-11-28T10:00:00Z, the examples' "now".
pub const NOW: i64 = 1_795_860_000;

pub fn time(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).expect("generated within range")
}

pub fn rfc(t: i64) -> String {
    time(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------- text ----

const ESCAPES: &[&str] = &[
    "\x1b]0;pwned\x07",
    "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
    "\x1b[2J",
    "\x1b[1;1H",
    "\x1b[31;1m",
    "\u{9b}31m",
    "\x1bP+q544e\x1b\\",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\x1b[?1049h",
    "\x1bc",
    "\r",
    "\x08\x08\x08",
    "\x07",
    "\0",
    "\x7f",
    "\r\n",
];

const BIDI: &[char] = &[
    '\u{202e}', '\u{202d}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}', '\u{feff}',
];

const ODD: &[&str] = &[
    "界",
    "👩\u{200d}💻",
    "e\u{301}",
    "\u{200b}",
    "\u{fffd}",
    "\t",
    "ﷺ",
    "😀",
    "\u{3000}",
    "Ａ",
    "\u{e000}",
    "\u{10ffff}",
];

/// Every control character and sequence: C0, DEL, C1, bidi marks, and the
/// escape sequences that retitle, clear, write the clipboard or link.
fn controls() -> Vec<String> {
    let mut out: Vec<String> = (0u32..0x20)
        .chain(0x7f..0xa0)
        .map(|c| char::from_u32(c).unwrap().to_string())
        .collect();
    out.extend(BIDI.iter().map(|c| c.to_string()));
    out.extend(ESCAPES.iter().map(|s| s.to_string()));
    out
}

/// Secrets as people paste them into logs, annotations and messages: each
/// form the redaction knows, with bodies of several lengths and alphabets.
fn secrets() -> Vec<String> {
    let bodies = [
        "AAAAAAAAAAAAAAAAAAA",
        "x9Yb2Kd81LmQ0pZr7Tn4",
        "CAESIJlU9J7Pi6kX2lkqpDtVtD7SpVuhmvUjnDzA3kgrqc",
        "a-b_c-d_e-f_g-h_i-j_k-l",
    ];
    let mut out = Vec::new();
    for b in bodies {
        let alnum: String = b.chars().filter(char::is_ascii_alphanumeric).collect();
        let legacy: String = alnum.chars().cycle().take(19).collect();
        let short: String = alnum.chars().take(10).collect();
        out.extend([
            format!("hvs.{MARK}{b}"),
            format!("hvb.{MARK}{b}"),
            format!("hvr.{MARK}{b}"),
            format!("s.{MARK}{legacy}"),
            format!("b.{MARK}{legacy}"),
            format!("eyJ{MARK}{short}.eyJ{b}.{alnum}"),
            format!("https://admin:{MARK}{short}@vault.example:8200/v1/sys/health"),
            format!("postgresql://app:{MARK}{short}@db/app"),
            format!("password={MARK}{short}!"),
            format!("PASSWORD={MARK}{short}"),
            format!("client_secret={MARK}{short}"),
            format!("secret_id={MARK}{short}"),
            format!("token={MARK}{b}"),
            format!("password: {MARK}{short}"),
            format!("api_key: {MARK}{short}"),
            format!("\"password\": \"{MARK}{short} x\""),
            format!("\"token\":\"{MARK}{b}\""),
            format!("X-Vault-Token: {MARK}{b}"),
            format!("Authorization: Bearer {MARK}{b}"),
        ]);
    }
    out
}

const WORDS: &[&str] = &[
    "web",
    "ledger",
    "payments",
    "shop",
    "vault",
    "default",
    "kube-system",
    "kube-public",
    "catalog",
    "api-5d8f7c9b6",
    "backup-29012345",
    "billing-7c9d8",
    "x",
    "db",
    "app",
    "web.shop.svc",
    "a-very-long-name-that-does-not-fit-in-a-column-of-the-list-at-all",
];

/// Hostile fragments, built once: drawing one is a single choice, so a case
/// with hundreds of strings is cheap to generate in a debug build.
static FRAGMENTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut out: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    out.extend(WORDS.iter().map(|w| w.to_string()));
    out.extend(controls());
    out.extend(secrets());
    out.extend(ODD.iter().map(|s| s.to_string()));
    out.extend([200, 1000, 3000].map(|n| "lorem ipsum".repeat(n / 11)));
    out.push("x".repeat(2000));
    out.push(String::new());
    out
});

fn fragment() -> BoxedStrategy<String> {
    prop_oneof![
        12 => any::<prop::sample::Index>().prop_map(|i| i.get(&FRAGMENTS).clone()),
        1 => proptest::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
    ]
    .boxed()
}

/// Between fragments: never a word character, so a planted secret keeps the
/// word boundary a real one has (a token glued to other letters is not one).
const SEPARATORS: &[&str] = &[
    " ", " ", "\t", "\n", "=", ": ", "\"", "'", "/", ",", "\x1b", "\u{202e}", "(", "] ",
];

/// Text someone else wrote: one to four fragments. A secret is followed by
/// white space, as in a log line or a message, at the end of the text too
/// (fields are joined with punctuation: `<namespace>/<name>`): a value that
/// runs on into the next `api_key:` is one value to a reader, and to the
/// redaction too.
pub fn text() -> BoxedStrategy<String> {
    proptest::collection::vec((select(SEPARATORS), fragment()), 1..4)
        .prop_map(|parts| {
            let mut s = String::new();
            let mut after_secret = false;
            for (i, (sep, f)) in parts.into_iter().enumerate() {
                if i > 0 {
                    s.push_str(if after_secret { " " } else { sep });
                }
                after_secret = f.contains(MARK);
                s.push_str(&f);
            }
            if after_secret {
                s.push(' ');
            }
            s
        })
        .boxed()
}

/// Mostly a plain name, sometimes hostile text.
pub fn word() -> BoxedStrategy<String> {
    prop_oneof![3 => select(WORDS).prop_map(String::from), 1 => text()].boxed()
}

/// `known` values (which make rules fire) or hostile text.
fn one_of(known: &[&'static str]) -> BoxedStrategy<String> {
    prop_oneof![3 => select(known.to_vec()).prop_map(String::from), 1 => text()].boxed()
}

// ------------------------------------------------------------- numbers ----

pub fn ts() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => (-30 * 86_400i64..30 * 86_400).prop_map(|d| NOW + d),
        1 => MIN_TS..=MAX_TS,
        1 => select(vec![MIN_TS, MAX_TS, 0, NOW, NOW - 1, MAX_TS - 1]),
    ]
    .boxed()
}

pub fn i32s() -> BoxedStrategy<i32> {
    prop_oneof![
        3 => 0i32..20,
        1 => any::<i32>(),
        1 => select(vec![i32::MIN, i32::MAX, -1, 0]),
    ]
    .boxed()
}

pub fn i64s() -> BoxedStrategy<i64> {
    prop_oneof![
        3 => -100_000i64..100_000_000,
        1 => any::<i64>(),
        1 => select(vec![i64::MIN, i64::MAX, -1, 0, i64::MAX / 1000, i64::MIN / 1000]),
    ]
    .boxed()
}

fn u64s() -> BoxedStrategy<u64> {
    prop_oneof![3 => 0u64..20, 1 => any::<u64>(), 1 => Just(u64::MAX)].boxed()
}

// ---------------------------------------------------------------- pool ----

/// The names one case is built from, so objects refer to each other.
#[derive(Debug, Clone)]
pub struct Pool {
    pub namespaces: Vec<String>,
    pub names: Vec<String>,
    pub roles: Vec<String>,
    pub paths: Vec<String>,
}

const MOUNTS: &[&str] = &[
    "secret/data",
    "database/creds",
    "pki/issue",
    "kv",
    "secret/metadata",
    "/v1/secret/data",
];

fn pool() -> BoxedStrategy<Pool> {
    (
        proptest::collection::vec(word(), 1..3),
        proptest::collection::vec(word(), 2..6),
        proptest::collection::vec(word(), 1..3),
        proptest::collection::vec((select(MOUNTS), word()), 1..5),
    )
        .prop_map(|(namespaces, names, roles, paths)| Pool {
            namespaces,
            names,
            roles,
            paths: paths.into_iter().map(|(m, n)| format!("{m}/{n}")).collect(),
        })
        .boxed()
}

// --------------------------------------------------------- annotations ----

fn template(p: &Pool) -> BoxedStrategy<String> {
    (select(p.paths.clone()), select(p.names.clone()), text())
        .prop_flat_map(|(path, name, junk)| {
            select(vec![
                format!("{{{{ with secret \"{path}\" }}}}{{{{ .Data.password }}}}{{{{ end }}}}"),
                format!(
                    "{{{{ with pkiCert \"{path}\" \"common_name={name}\" \"ttl=24h\" }}}}{{{{ .Cert }}}}{{{{ end }}}}"
                ),
                format!("{{{{ with secret \"{path}\" }}}}{junk}{{{{ end }}}}"),
                junk,
            ])
        })
        .boxed()
}

fn annotations(p: &Pool) -> BoxedStrategy<BTreeMap<String, String>> {
    let a = |k: &str| format!("vault.hashicorp.com/{k}");
    let entry = prop_oneof![
        4 => (select(p.names.clone()), select(p.paths.clone()))
            .prop_map(move |(n, path)| (format!("vault.hashicorp.com/agent-inject-secret-{n}"), path)),
        2 => (select(p.names.clone()), template(p))
            .prop_map(|(n, t)| (format!("vault.hashicorp.com/agent-inject-template-{n}"), t)),
        2 => select(p.roles.clone()).prop_map({ let k = a("role"); move |r| (k.clone(), r) }),
        1 => (select(p.names.clone()), one_of(&["0400", "0644", "777", "9"]))
            .prop_map(|(n, v)| (format!("vault.hashicorp.com/agent-inject-perms-{n}"), v)),
        1 => one_of(&["injected", ""]).prop_map({ let k = a("agent-inject-status"); move |v| (k.clone(), v) }),
        1 => one_of(&["kubernetes", "auth/k8s", "/auth/kubernetes/"]).prop_map({ let k = a("auth-path"); move |v| (k.clone(), v) }),
        1 => one_of(&["https://vault.vault.svc:8200"]).prop_map({ let k = a("service"); move |v| (k.clone(), v) }),
        1 => (select(vec![
                "agent-pre-populate-only", "agent-inject-token", "agent-init-first", "tls-skip-verify",
                "preserve-secret-case", "agent-cache-enable",
            ]), one_of(&["true", "false", "1", "yes"]))
            .prop_map(move |(k, v)| (format!("vault.hashicorp.com/{k}"), v)),
        1 => (select(vec![
                "agent-limits-mem", "agent-requests-cpu", "agent-cache-listener-port", "client-timeout",
                "log-level", "namespace", "agent-image", "agent-configmap", "auth-config-role",
                "agent-inject-command-db", "agent-json-patch", "agent-run-as-user",
            ]), one_of(&["128Mi", "250m", "8200", "5s", "debug", "-1", "hashicorp/vault:1.15"]))
            .prop_map(move |(k, v)| (format!("vault.hashicorp.com/{k}"), v)),
        1 => (text(), text()).prop_map(|(k, v)| (format!("vault.hashicorp.com/{k}"), v)),
        1 => (text(), text()),
    ];
    (
        prop_oneof![4 => Just("true".to_string()), 1 => one_of(&["false", "TRUE", "yes"])],
        proptest::collection::vec(entry, 0..8),
    )
        .prop_map(|(inject, entries)| {
            let mut m: BTreeMap<String, String> = entries.into_iter().collect();
            m.entry("vault.hashicorp.com/agent-inject".into())
                .or_insert(inject);
            m
        })
        .boxed()
}

// ---------------------------------------------------------------- pods ----

fn terminated() -> BoxedStrategy<Value> {
    (
        i32s(),
        one_of(&["Error", "OOMKilled", "Completed"]),
        proptest::option::of(text()),
        proptest::option::of(ts()),
        proptest::option::of(ts()),
    )
        .prop_map(|(code, reason, message, started, finished)| {
            json!({
                "exitCode": code,
                "reason": reason,
                "message": message,
                "startedAt": started.map(rfc),
                "finishedAt": finished.map(rfc),
            })
        })
        .boxed()
}

fn container_state() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        2 => (
            one_of(&["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "PodInitializing", "ContainerCreating"]),
            proptest::option::of(text()),
        )
            .prop_map(|(reason, message)| Some(json!({"waiting": {"reason": reason, "message": message}}))),
        2 => proptest::option::of(ts()).prop_map(|t| Some(json!({"running": {"startedAt": t.map(rfc)}}))),
        2 => terminated().prop_map(|t| Some(json!({"terminated": t}))),
    ]
    .boxed()
}

fn container_status(name: &'static str) -> BoxedStrategy<Value> {
    (
        one_of(&["hashicorp/vault:1.15.2"]),
        any::<bool>(),
        i32s(),
        container_state(),
        proptest::option::of(terminated()),
    )
        .prop_map(move |(image, ready, restarts, state, last)| {
            let mut s = json!({
                "name": name,
                "image": image,
                "imageID": "",
                "ready": ready,
                "restartCount": restarts,
            });
            if let Some(st) = state {
                s["state"] = st;
            }
            if let Some(t) = last {
                s["lastState"] = json!({"terminated": t});
            }
            s
        })
        .boxed()
}

const OWNER_KINDS: &[&str] = &[
    "ReplicaSet",
    "ReplicaSet",
    "Job",
    "StatefulSet",
    "DaemonSet",
];

fn owner(p: &Pool) -> BoxedStrategy<Option<(String, String)>> {
    prop_oneof![
        1 => Just(None),
        4 => (one_of(OWNER_KINDS), select(p.names.clone())).prop_map(Some),
    ]
    .boxed()
}

fn owner_refs(o: &Option<(String, String)>) -> Value {
    match o {
        Some((kind, name)) => json!([{
            "apiVersion": "apps/v1",
            "kind": kind,
            "name": name,
            "uid": format!("uid-{name}"),
            "controller": true,
        }]),
        None => Value::Null,
    }
}

fn pod(p: &Pool) -> BoxedStrategy<Value> {
    let meta = (
        select(p.namespaces.clone()),
        select(p.names.clone()),
        owner(p),
        annotations(p),
        proptest::collection::btree_map(word(), text(), 0..2),
        proptest::option::of(ts()),
        proptest::option::of(ts()),
    );
    let spec = (
        prop_oneof![Just("default".to_string()), select(p.names.clone())],
        proptest::option::of(word()),
        proptest::option::of(container_status(AGENT_INIT)),
        proptest::option::of(container_status(AGENT_SIDECAR)),
        proptest::option::of((word(), select(p.names.clone()))),
    );
    let status = (
        one_of(&["Pending", "Running", "Succeeded", "Failed"]),
        proptest::option::of((
            any::<bool>(),
            proptest::option::of(ts()),
            proptest::option::of(text()),
        )),
    );
    (meta, spec, status)
        .prop_map(
            |(
                (ns, name, owner, annotations, labels, created, deleted),
                (sa, node, init, sidecar, csi),
                (phase, ready),
            )| {
                let mut init_specs = Vec::new();
                let mut init_statuses = Vec::new();
                if let Some(s) = init {
                    init_specs.push(json!({"name": AGENT_INIT, "image": s["image"]}));
                    init_statuses.push(s);
                }
                let mut containers = vec![json!({"name": "app", "image": "app:1"})];
                let mut statuses = Vec::new();
                if let Some(s) = sidecar {
                    containers.push(json!({"name": AGENT_SIDECAR, "image": s["image"]}));
                    statuses.push(s);
                }
                let volumes: Vec<Value> = csi
                    .map(|(vol, class)| {
                        json!({"name": vol, "csi": {
                            "driver": "secrets-store.csi.k8s.io",
                            "volumeAttributes": {"secretProviderClass": class},
                        }})
                    })
                    .into_iter()
                    .collect();
                let conditions: Vec<Value> = ready
                    .map(|(r, at, msg)| {
                        json!({
                            "type": "Ready",
                            "status": if r { "True" } else { "False" },
                            "lastTransitionTime": at.map(rfc),
                            "message": msg,
                        })
                    })
                    .into_iter()
                    .collect();
                json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "uid": format!("uid-{name}"),
                        "creationTimestamp": created.map(rfc),
                        "deletionTimestamp": deleted.map(rfc),
                        "labels": labels,
                        "annotations": annotations,
                        "ownerReferences": owner_refs(&owner),
                    },
                    "spec": {
                        "serviceAccountName": sa,
                        "nodeName": node,
                        "initContainers": init_specs,
                        "containers": containers,
                        "volumes": volumes,
                    },
                    "status": {
                        "phase": phase,
                        "conditions": conditions,
                        "initContainerStatuses": init_statuses,
                        "containerStatuses": statuses,
                    },
                })
            },
        )
        .boxed()
}

fn replicaset(p: &Pool) -> BoxedStrategy<Value> {
    (
        select(p.namespaces.clone()),
        select(p.names.clone()),
        prop_oneof![
            1 => Just(None),
            3 => (one_of(&["Deployment"]), select(p.names.clone())).prop_map(Some),
        ],
        i32s(),
        annotations(p),
    )
        .prop_map(|(ns, name, owner, replicas, annotations)| {
            json!({
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
                             "ownerReferences": owner_refs(&owner)},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": "x"}},
                    "template": {"metadata": {"annotations": annotations}},
                },
            })
        })
        .boxed()
}

fn job(p: &Pool) -> BoxedStrategy<Value> {
    (
        select(p.namespaces.clone()),
        select(p.names.clone()),
        prop_oneof![
            1 => Just(None),
            2 => (one_of(&["CronJob"]), select(p.names.clone())).prop_map(Some),
        ],
    )
        .prop_map(|(ns, name, owner)| {
            json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
                             "ownerReferences": owner_refs(&owner)},
            })
        })
        .boxed()
}

// -------------------------------------------------------------- events ----

fn event_message(p: &Pool) -> BoxedStrategy<String> {
    (
        select(p.names.clone()),
        select(p.names.clone()),
        select(p.paths.clone()),
        select(p.namespaces.clone()),
        text(),
    )
        .prop_flat_map(|(vol, class, path, ns, junk)| {
            select(vec![
                format!("Error creating: Internal error occurred: failed calling webhook \"vault.hashicorp.com\": Post \"https://vault-agent-injector-svc.vault.svc:443/mutate\": dial tcp 10.0.0.1:443: connect: connection refused {junk}"),
                format!("Error creating: admission webhook \"vault.hashicorp.com\" denied the request: error with request namespace: cannot inject into system namespaces: {junk}"),
                format!("Error creating: admission webhook \"vault.hashicorp.com\" denied the request: no Vault role found {junk}"),
                format!("MountVolume.SetUp failed for volume \"{vol}\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod {ns}/x, err: rpc error: code = Unknown desc = error making mount request: couldn't read secret \"{class}\": Error making API request.\n\nURL: GET https://vault.vault:8200/v1/{path}\nCode: 403. Errors:\n\n* permission denied {junk}"),
                format!("MountVolume.SetUp failed for volume \"{vol}\" : rpc error: code = Unknown desc = failed to get secretproviderclass {ns}/{class}, error: SecretProviderClass.secrets-store.csi.x-k8s.io \"{class}\" not found"),
                format!("MountVolume.SetUp failed for volume \"{vol}\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers {junk}"),
                format!("failed to create secret: secrets is forbidden {junk}"),
                format!("Back-off restarting failed container vault-agent-init {junk}"),
                junk,
            ])
        })
        .boxed()
}

fn event(p: &Pool) -> BoxedStrategy<Value> {
    (
        (
            one_of(&["Pod", "Pod", "ReplicaSet", "Job", "Deployment"]),
            select(p.names.clone()),
            select(p.namespaces.clone()),
            prop_oneof![
                Just(None),
                select(p.names.clone()).prop_map(|n| Some(format!("uid-{n}"))),
                text().prop_map(Some)
            ],
        ),
        one_of(&[
            "FailedCreate",
            "FailedMount",
            "SuccessfulCreate",
            "FailedToCreateSecret",
            "SecretRotationFailed",
            "BackOff",
        ]),
        one_of(&["Warning", "Warning", "Normal"]),
        event_message(p),
        proptest::option::of(i32s()),
        proptest::option::of(ts()),
        proptest::option::of(ts()),
    )
        .prop_map(
            |((kind, name, ns, uid), reason, kind_, message, count, first, last)| {
                json!({
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": "", "namespace": ns},
                    "involvedObject": {"kind": kind, "name": name, "namespace": ns, "uid": uid},
                    "reason": reason,
                    "type": kind_,
                    "message": message,
                    "count": count,
                    "firstTimestamp": first.map(rfc),
                    "lastTimestamp": last.map(rfc),
                })
            },
        )
        .boxed()
}

// ----------------------------------------------------------------- CSI ----

fn class(p: &Pool) -> BoxedStrategy<Value> {
    let objects = proptest::collection::vec(
        (
            word(),
            select(p.paths.clone()),
            proptest::option::of(word()),
        ),
        0..3,
    )
    .prop_map(|objs| {
        let list: Vec<BTreeMap<&str, String>> = objs
            .into_iter()
            .map(|(name, path, key)| {
                let mut m = BTreeMap::from([("objectName", name), ("secretPath", path)]);
                if let Some(k) = key {
                    m.insert("secretKey", k);
                }
                m
            })
            .collect();
        serde_yaml_ng::to_string(&list).unwrap()
    });
    (
        select(p.namespaces.clone()),
        select(p.names.clone()),
        one_of(&["vault"]),
        select(p.roles.clone()),
        proptest::option::of(one_of(&["https://vault.vault:8200"])),
        proptest::option::of(one_of(&["kubernetes", "k8s"])),
        prop_oneof![3 => objects, 1 => text()],
        proptest::collection::vec(word(), 0..2),
    )
        .prop_map(|(ns, name, provider, role, addr, mount, objects, synced)| {
            let mut params = json!({"roleName": role, "objects": objects});
            if let Some(a) = addr {
                params["vaultAddress"] = a.into();
            }
            if let Some(m) = mount {
                params["vaultKubernetesMountPath"] = m.into();
            }
            let synced: Vec<Value> = synced
                .into_iter()
                .map(|s| json!({"secretName": s, "type": "Opaque"}))
                .collect();
            json!({
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClass",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"provider": provider, "parameters": params, "secretObjects": synced},
            })
        })
        .boxed()
}

fn pod_status(p: &Pool) -> BoxedStrategy<Value> {
    (
        select(p.namespaces.clone()),
        select(p.names.clone()),
        select(p.names.clone()),
        any::<bool>(),
        proptest::option::of(text()),
        proptest::collection::vec((text(), text()), 0..3),
    )
        .prop_map(|(ns, pod, class, mounted, target, objects)| {
            let objects: Vec<Value> = objects
                .into_iter()
                .map(|(id, version)| json!({"id": id, "version": version}))
                .collect();
            json!({
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClassPodStatus",
                "metadata": {"name": format!("{pod}-{ns}-{class}"), "namespace": ns},
                "status": {
                    "podName": pod,
                    "secretProviderClassName": class,
                    "mounted": mounted,
                    "targetPath": target,
                    "objects": objects,
                },
            })
        })
        .boxed()
}

fn webhooks() -> BoxedStrategy<Value> {
    (one_of(&["Fail", "Ignore"]), word(), word(), word())
        .prop_map(|(policy, cfg, ns, svc)| {
            json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": cfg},
                "webhooks": [{
                    "name": "vault.hashicorp.com",
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": policy,
                    "clientConfig": {"service": {"namespace": ns, "name": svc}},
                }],
            })
        })
        .boxed()
}

// ---------------------------------------------------------------- logs ----

fn log_line(p: &Pool) -> BoxedStrategy<String> {
    let stamp = prop_oneof![
        3 => ts().prop_map(|t| time(t).to_rfc3339_opts(SecondsFormat::Millis, true)),
        1 => text(),
    ];
    (
        stamp,
        select(p.paths.clone()),
        select(p.roles.clone()),
        text(),
        one_of(&[
            "service account name not authorized",
            "namespace not authorized",
            "permission denied",
            "invalid role name",
            "vault is sealed",
        ]),
    )
        .prop_flat_map(|(ts, path, role, junk, cause)| {
            select(vec![
                format!("{ts} [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT https://vault.vault.svc:8200/v1/auth/kubernetes/login\\nCode: 403. Errors:\\n\\n* {cause} {junk}\" backoff=1s role={role}"),
                format!("{ts} [ERROR] agent: (view) vault.read({path}): no secret exists at {path} (retry attempt 3 after \"1s\") {junk}"),
                format!("{ts} [WARN]  agent: (view) vault.read({path}): failed to renew: Error making API request. {junk}"),
                format!("{ts} [ERROR] agent.auth.handler: error renewing token: error=\"{junk}\""),
                format!("{ts} [ERROR] agent: (runner) render failed: error=\"template: {junk}: map has no entry for key \\\"password\\\"\""),
                format!("{ts} [ERROR] agent.auth.handler: error authenticating: error=\"Put \\\"https://vault:8200/v1/auth/kubernetes/login\\\": x509: certificate signed by unknown authority {junk}\""),
                format!("{ts} [ERROR] agent: (view) vault.read({path}): Error making API request.\n\nURL: GET https://vault:8200/v1/{path}\nCode: 403. Errors:\n\n* permission denied {junk}"),
                format!("{ts} [INFO]  {junk}"),
                junk,
            ])
        })
        .boxed()
}

/// A log file holds lines: no newline inside one, no `\r` ending one (a
/// reader strips it), no byte-order mark opening the file.
fn as_file_lines(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .flat_map(|l| l.split('\n').map(str::to_string).collect::<Vec<_>>())
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    if let Some(first) = out.first_mut()
        && first.starts_with('\u{feff}')
    {
        first.insert(0, ' ');
    }
    out
}

fn logs(p: &Pool) -> BoxedStrategy<Vec<(LogKey, Vec<String>)>> {
    proptest::collection::vec(
        (
            select(p.namespaces.clone()),
            select(p.names.clone()),
            select(vec![AGENT_INIT, AGENT_SIDECAR]),
            any::<bool>(),
            proptest::collection::vec(log_line(p), 0..12),
        ),
        0..4,
    )
    .prop_map(|files| {
        let mut out: BTreeMap<LogKey, Vec<String>> = BTreeMap::new();
        for (namespace, pod, container, previous, lines) in files {
            // logs/<namespace>/<pod>/<container>.log: each must be a file name.
            let ok = |s: &str| {
                !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0']) && s.len() < 200
            };
            if !(ok(&namespace) && ok(&pod)) {
                continue;
            }
            let key = LogKey {
                namespace,
                pod,
                container: container.into(),
                previous,
            };
            out.entry(key).or_insert_with(|| as_file_lines(lines));
        }
        out.into_iter().collect()
    })
    .boxed()
}

// --------------------------------------------------------------- Vault ----

fn policy_rules(p: &Pool) -> BoxedStrategy<String> {
    proptest::collection::vec(
        (
            prop_oneof![
                select(p.paths.clone()),
                select(p.paths.clone()).prop_map(|s| format!("{s}*")),
                select(p.paths.clone()).prop_map(|s| s.replacen('/', "/+/", 1)),
                text(),
            ],
            proptest::collection::vec(
                one_of(&["read", "list", "deny", "update", "create", "sudo"]),
                0..3,
            ),
            prop_oneof![3 => Just(String::new()), 1 => text()],
        ),
        0..4,
    )
    .prop_map(|rules| {
        rules
            .into_iter()
            .map(|(path, caps, junk)| {
                let caps: Vec<String> = caps.iter().map(|c| format!("{c:?}")).collect();
                format!(
                    "path \"{path}\" {{\n  capabilities = [{}]\n}}\n{junk}",
                    caps.join(", ")
                )
            })
            .collect()
    })
    .boxed()
}

fn lease(p: &Pool) -> BoxedStrategy<Lease> {
    (
        select(p.paths.clone()),
        word(),
        proptest::option::of(ts()),
        proptest::option::of(ts()),
        i64s(),
        any::<bool>(),
        proptest::option::of(ts()),
        proptest::option::of(i64s()),
    )
        .prop_map(
            |(path, id, issue, expire, ttl, renewable, renewed, max_ttl)| Lease {
                id: format!("{}/{id}", path.trim_start_matches("/v1/")),
                issue_time: issue.map(time),
                expire_time: expire.map(time),
                ttl_seconds: ttl,
                renewable,
                last_renewal: renewed.map(time),
                max_ttl_seconds: max_ttl,
            },
        )
        .boxed()
}

fn certificate(p: &Pool) -> BoxedStrategy<Certificate> {
    (
        text(),
        one_of(&["pki"]),
        select(p.names.clone()),
        proptest::collection::vec(word(), 0..2),
        proptest::option::of(ts()),
        ts(),
        any::<bool>(),
    )
        .prop_map(
            |(serial, mount, cn, alt, before, after, revoked)| Certificate {
                serial,
                mount,
                common_name: cn,
                alt_names: alt,
                not_before: before.map(time),
                not_after: time(after),
                revoked,
            },
        )
        .boxed()
}

fn role(p: &Pool) -> BoxedStrategy<AuthRole> {
    (
        (
            one_of(&["auth/kubernetes", "auth/k8s"]),
            select(p.roles.clone()),
            // found, and (when not) whether the whole mount was missing
            (any::<bool>(), any::<bool>()),
        ),
        (
            proptest::collection::vec(prop_oneof![select(p.names.clone()), Just("*".into())], 0..3),
            proptest::collection::vec(
                prop_oneof![select(p.namespaces.clone()), Just("*".into())],
                0..3,
            ),
            proptest::option::of(text()),
            proptest::option::of(word()),
        ),
        (
            proptest::collection::vec(select(p.names.clone()), 0..3),
            any::<bool>(),
            proptest::option::of(i64s()),
            proptest::option::of(i64s()),
        ),
    )
        .prop_map(
            |(
                (auth_path, name, (found, no_mount)),
                (sas, nss, selector, audience),
                (pols, nodef, ttl, max),
            )| {
                AuthRole {
                    auth_path,
                    name,
                    found,
                    mount_missing: !found && no_mount,
                    bound_service_account_names: sas,
                    bound_service_account_namespaces: nss,
                    bound_service_account_namespace_selector: selector,
                    audience,
                    token_policies: pols,
                    token_no_default_policy: nodef,
                    token_ttl: ttl,
                    token_max_ttl: max,
                }
            },
        )
        .boxed()
}

/// A CA certificate as the model keeps it: a fingerprint (sometimes one the
/// cluster has too) and a subject someone chose.
fn ca_cert() -> BoxedStrategy<CaCert> {
    (
        prop_oneof![3 => select(vec!["aa", "bb"]).prop_map(|f| f.repeat(32)), 1 => text()],
        prop_oneof![2 => Just("CN=kubernetes".to_string()), 1 => text()],
        proptest::option::of(ts()),
    )
        .prop_map(|(sha256, subject, after)| CaCert {
            sha256,
            subject,
            not_after: after.map(time),
        })
        .boxed()
}

const API_SERVERS: &[&str] = &[
    "https://203.0.113.10:6443",
    "https://kubernetes.default.svc",
    "https://10.96.0.1:443",
    "127.0.0.1:6443",
];

fn auth_config() -> BoxedStrategy<AuthBackendConfig> {
    (
        (
            one_of(&["auth/kubernetes", "auth/k8s"]),
            any::<bool>(),
            one_of(API_SERVERS),
            any::<bool>(),
            proptest::collection::vec(ca_cert(), 0..3),
        ),
        (
            proptest::option::of(text()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |((auth_path, found, host, ca_set, ca_certs), (issuer, iss, local, reviewer))| {
                AuthBackendConfig {
                    auth_path,
                    found,
                    kubernetes_host: host,
                    ca_set: ca_set || !ca_certs.is_empty(),
                    ca_certs,
                    pem_keys: 0,
                    issuer,
                    disable_iss_validation: iss,
                    disable_local_ca_jwt: local,
                    token_reviewer_jwt_set: reviewer,
                }
            },
        )
        .boxed()
}

/// The watched cluster as bundle.json records it.
fn cluster() -> BoxedStrategy<ClusterIdentity> {
    (
        one_of(API_SERVERS),
        proptest::collection::vec(ca_cert(), 0..2),
        proptest::option::of(proptest::collection::vec(ca_cert(), 0..2)),
        proptest::option::of(proptest::collection::vec(
            one_of(&["10.96.0.1", "fd00::1"]),
            0..2,
        )),
    )
        .prop_map(
            |(server, kubeconfig_ca, root_ca, service_ips)| ClusterIdentity {
                server,
                kubeconfig_ca,
                root_ca,
                service_ips,
            },
        )
        .boxed()
}

fn token(p: &Pool) -> BoxedStrategy<AgentToken> {
    (
        text(),
        proptest::option::of(select(p.roles.clone())),
        select(p.names.clone()),
        select(p.namespaces.clone()),
        proptest::collection::vec(select(p.names.clone()), 0..2),
        proptest::option::of(ts()),
        proptest::option::of(ts()),
        i64s(),
        any::<bool>(),
    )
        .prop_map(
            |(display, role, sa, ns, policies, issue, expire, ttl, renewable)| AgentToken {
                display_name: display,
                role,
                service_account_name: sa,
                service_account_namespace: ns,
                policies,
                issue_time: issue.map(time),
                expire_time: expire.map(time),
                ttl_seconds: ttl,
                renewable,
            },
        )
        .boxed()
}

fn snapshot(p: &Pool) -> BoxedStrategy<VaultSnapshot> {
    let health = (
        any::<(bool, bool, bool)>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(one_of(&["1.15.2", "2.0.0"])),
        proptest::option::of(word()),
    )
        .prop_map(|((initialized, sealed, standby), perf, version, cluster)| {
            VaultHealth {
                // Mostly serving, so the rest of the snapshot is looked at.
                initialized: initialized || !sealed,
                sealed: sealed && standby,
                standby,
                performance_standby: perf,
                version,
                cluster_name: cluster,
            }
        });
    let mounts = proptest::collection::vec(
        (word(), one_of(&["kv", "database", "pki"])).prop_map(|(path, kind)| MountInfo {
            engine: match kind.as_str() {
                "kv" => Engine::KvV2,
                "database" => Engine::Database,
                "pki" => Engine::Pki,
                _ => Engine::Other,
            },
            path,
            kind,
        }),
        0..3,
    )
    .prop_map(|mut m| {
        m.extend(
            [
                ("secret", "kv", Engine::KvV2),
                ("database", "database", Engine::Database),
                ("pki", "pki", Engine::Pki),
                ("kv", "kv", Engine::KvV1),
            ]
            .map(|(path, kind, engine)| MountInfo {
                path: path.into(),
                kind: kind.into(),
                engine,
            }),
        );
        m
    });
    let kv = proptest::collection::vec(
        (
            one_of(&["secret", "kv"]),
            select(p.names.clone()),
            u64s(),
            proptest::option::of(ts()),
            proptest::option::of(ts()),
        )
            .prop_map(|(mount, path, v, updated, created)| KvMetadata {
                mount,
                path,
                current_version: v,
                updated_time: updated.map(time),
                created_time: created.map(time),
            }),
        0..3,
    );
    let policies = proptest::collection::vec(
        (
            select(p.names.clone()),
            proptest::option::of(policy_rules(p)),
        )
            .prop_map(|(name, rules)| AclPolicy { name, rules }),
        0..3,
    );
    let problems = proptest::collection::vec(
        (text(), one_of(&["read", "list, sudo"]), text()).prop_map(|(path, capability, impact)| {
            PermissionProblem {
                path,
                capability,
                impact,
            }
        }),
        0..2,
    );
    (
        (
            proptest::option::of(one_of(&["https://vault.vault.svc:8200"])),
            proptest::option::of(health),
            prop_oneof![4 => Just(None), 1 => text().prop_map(Some)],
        ),
        (
            proptest::collection::vec(lease(p), 0..5),
            proptest::collection::vec(certificate(p), 0..3),
            kv,
            mounts,
        ),
        (
            proptest::collection::vec(role(p), 0..3),
            policies,
            proptest::collection::vec(token(p), 0..3),
            problems,
            proptest::collection::vec(auth_config(), 0..3),
        ),
    )
        .prop_map(
            |(
                (address, health, unreachable),
                (leases, certificates, kv, mounts),
                (roles, policies, tokens, permission_problems, auth_configs),
            )| VaultSnapshot {
                address,
                health,
                unreachable,
                leases,
                certificates,
                kv,
                mounts,
                roles,
                policies,
                tokens,
                permission_problems,
                auth_configs,
                captured_at: None,
                incomplete: false,
            },
        )
        .boxed()
}

/// What only a live source reports (a bundle cannot say it).
fn live_only() -> BoxedStrategy<Vec<Observation>> {
    proptest::collection::vec(
        prop_oneof![
            prop_oneof![Just(0u32), any::<u32>()]
                .prop_map(|ready| Observation::InjectorEndpoints { ready }),
            // The resource and verb are vaultscope's own; the namespace is a
            // name someone created.
            (
                select(vec![
                    "pods",
                    "pods/log",
                    "events",
                    "replicasets.apps",
                    "jobs.batch",
                    "secretproviderclasses.secrets-store.csi.x-k8s.io",
                ]),
                proptest::option::of(word()),
                select(vec!["list", "watch", "get"]),
            )
                .prop_map(|(resource, namespace, verb)| {
                    Observation::AccessDenied(AccessDenied {
                        resource: resource.into(),
                        namespace,
                        verb: verb.into(),
                    })
                }),
            (any::<bool>(), ts()).prop_map(|(reachable, since)| Observation::ApiServer {
                reachable,
                since: time(since),
            }),
            any::<bool>().prop_map(Observation::CsiInstalled),
        ],
        0..3,
    )
    .boxed()
}

// ---------------------------------------------------------------- case ----

/// One cluster and Vault, as the files of a bundle would hold them.
#[derive(Debug, Clone)]
pub struct Case {
    pub pods: Vec<Value>,
    pub replicasets: Vec<Value>,
    pub jobs: Vec<Value>,
    pub events: Vec<Value>,
    pub classes: Vec<Value>,
    pub statuses: Vec<Value>,
    pub webhooks: Option<Value>,
    pub logs: Vec<(LogKey, Vec<String>)>,
    pub vault: Option<VaultSnapshot>,
    pub captured_at: Option<i64>,
    /// bundle.json's record of the watched cluster.
    pub cluster: Option<ClusterIdentity>,
    /// Observations only a live source makes; not part of a bundle.
    pub live: Vec<Observation>,
    /// How a bundle writes its object files: YAML or JSON.
    pub yaml: bool,
}

/// Objects whose namespace and name are taken (the world keeps one per key).
fn unique(items: Vec<Value>) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|v| {
            seen.insert((
                v["metadata"]["namespace"].as_str().map(str::to_string),
                v["metadata"]["name"].as_str().map(str::to_string),
            ))
        })
        .collect()
}

pub fn case() -> BoxedStrategy<Case> {
    pool()
        .prop_flat_map(|p| {
            (
                (
                    proptest::collection::vec(pod(&p), 0..6),
                    proptest::collection::vec(replicaset(&p), 0..3),
                    proptest::collection::vec(job(&p), 0..2),
                    proptest::collection::vec(event(&p), 0..6),
                ),
                (
                    proptest::collection::vec(class(&p), 0..3),
                    proptest::collection::vec(pod_status(&p), 0..3),
                    proptest::option::of(webhooks()),
                    logs(&p),
                ),
                (
                    proptest::option::of(snapshot(&p)),
                    proptest::option::of(ts()),
                    live_only(),
                    any::<bool>(),
                    proptest::option::of(cluster()),
                ),
            )
        })
        .prop_map(
            |(
                (pods, replicasets, jobs, events),
                (classes, statuses, webhooks, logs),
                (vault, captured_at, live, yaml, cluster),
            )| {
                // One value per field a live observation replaces (the last
                // one wins, by design), and none that contradicts the CSI
                // objects of the bundle part.
                let csi = !classes.is_empty() || !statuses.is_empty();
                let mut seen = std::collections::HashSet::new();
                let live = live
                    .into_iter()
                    .filter(|o| !(csi && matches!(o, Observation::CsiInstalled(_))))
                    .filter(|o| {
                        matches!(o, Observation::AccessDenied(_))
                            || seen.insert(std::mem::discriminant(o))
                    })
                    .collect();
                let events = events
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut e)| {
                        e["metadata"]["name"] = format!("e{i}").into();
                        e
                    })
                    .collect();
                Case {
                    pods: unique(pods),
                    replicasets: unique(replicasets),
                    jobs: unique(jobs),
                    events,
                    classes: unique(classes),
                    statuses: unique(statuses),
                    webhooks,
                    logs,
                    vault,
                    captured_at,
                    cluster,
                    live,
                    yaml,
                }
            },
        )
        .boxed()
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("generated {v}: {e}"))
}

impl Case {
    /// The observations a bundle of this case holds, made without files, in
    /// the order the bundle loader makes them.
    pub fn observations(&self) -> Vec<Observation> {
        let mut obs = Vec::new();
        for p in &self.pods {
            obs.push(Observation::PodApplied(Box::new(PodInfo::from_k8s(
                &typed::<core::Pod>(p),
            ))));
        }
        for r in &self.replicasets {
            obs.push(Observation::ReplicaSetApplied(ReplicaSetInfo::from_k8s(
                &typed::<apps::ReplicaSet>(r),
            )));
        }
        for j in &self.jobs {
            obs.push(Observation::JobApplied(JobInfo::from_k8s(&typed::<
                batch::Job,
            >(j))));
        }
        for e in &self.events {
            obs.push(Observation::EventApplied(Box::new(EventInfo::from_k8s(
                &typed::<core::Event>(e),
            ))));
        }
        if !self.classes.is_empty() || !self.statuses.is_empty() {
            obs.push(Observation::CsiInstalled(true));
        }
        for c in &self.classes {
            let c = SecretProviderClassInfo::from_value(c).expect("generated class decodes");
            obs.push(Observation::ClassApplied(Box::new(c)));
        }
        for s in &self.statuses {
            let s = SecretProviderClassPodStatusInfo::from_value(s).expect("generated status");
            obs.push(Observation::PodStatusApplied(Box::new(s)));
        }
        if let Some(w) = &self.webhooks {
            obs.push(Observation::InjectorWebhooks(InjectorWebhook::from_k8s(
                &typed::<admission::MutatingWebhookConfiguration>(w),
            )));
        }
        for (key, lines) in &self.logs {
            obs.push(Observation::LogLines {
                key: key.clone(),
                lines: lines.clone(),
            });
        }
        if let Some(v) = &self.vault {
            obs.extend(v.observations());
        }
        if let Some(c) = &self.cluster {
            obs.push(Observation::Cluster(c.clone()));
        }
        obs
    }

    /// Everything, live-only observations too.
    pub fn all_observations(&self) -> Vec<Observation> {
        let mut obs = self.observations();
        obs.extend(self.live.iter().cloned());
        obs
    }

    /// When a bundle of this case says it was captured.
    pub fn captured_at(&self) -> Option<DateTime<Utc>> {
        self.captured_at.map(time)
    }

    fn list(&self, items: &[Value]) -> String {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        if self.yaml {
            serde_yaml_ng::to_string(&list).unwrap()
        } else {
            serde_json::to_string_pretty(&list).unwrap()
        }
    }

    /// Write the case as a bundle folder (`kubectl get ... -o yaml|json`,
    /// `kubectl logs`, `vault.json`, `bundle.json`).
    pub fn write_bundle(&self, dir: &Path) {
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
        write("pods.yaml", self.list(&self.pods));
        let optional = [
            ("replicasets.yaml", &self.replicasets),
            ("jobs.yaml", &self.jobs),
            ("events.yaml", &self.events),
            ("secretproviderclasses.yaml", &self.classes),
            ("secretproviderclasspodstatuses.yaml", &self.statuses),
        ];
        for (name, items) in optional {
            if !items.is_empty() {
                write(name, self.list(items));
            }
        }
        if let Some(w) = &self.webhooks {
            write(
                "mutatingwebhookconfigurations.yaml",
                self.list(std::slice::from_ref(w)),
            );
        }
        for (k, lines) in &self.logs {
            let d = dir.join("logs").join(&k.namespace).join(&k.pod);
            std::fs::create_dir_all(&d).unwrap();
            let file = if k.previous {
                format!("{}.previous.log", k.container)
            } else {
                format!("{}.log", k.container)
            };
            let mut text = lines.join("\n");
            if !lines.is_empty() {
                text.push('\n');
            }
            std::fs::write(d.join(file), text).unwrap();
        }
        if let Some(v) = &self.vault {
            write("vault.json", serde_json::to_string_pretty(v).unwrap());
        }
        if self.captured_at.is_some() || self.cluster.is_some() {
            let mut meta = json!({});
            if let Some(t) = self.captured_at {
                meta["captured_at"] = rfc(t).into();
            }
            if let Some(c) = &self.cluster {
                meta["cluster"] = serde_json::to_value(c).unwrap();
            }
            write("bundle.json", meta.to_string());
        }
    }
}

/// "Now" for a diagnosis: mostly the examples' day, sometimes far away.
pub fn now() -> BoxedStrategy<i64> {
    prop_oneof![3 => (-86_400i64..86_400).prop_map(|d| NOW + d), 1 => ts()].boxed()
}
