//! Builders for model objects, so rule tests read like the situation they test.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use vaultscope::model::logs::LogKey;
use vaultscope::model::objects::{EventInfo, InvolvedObject, ReplicaSetInfo};
use vaultscope::model::pod::{
    ContainerInfo, ContainerState, CsiVolume, OwnerRef, PodCondition, PodInfo, Termination,
};
use vaultscope::model::{Observation, World};

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub const NOW: &str = "2026-11-28T10:00:00Z";

pub fn now() -> DateTime<Utc> {
    t(NOW)
}

pub fn ago(secs: i64) -> DateTime<Utc> {
    now() - Duration::seconds(secs)
}

pub fn container(name: &str, state: ContainerState) -> ContainerInfo {
    ContainerInfo {
        name: name.into(),
        image: if name.starts_with("vault-agent") {
            "hashicorp/vault:1.15.2".into()
        } else if name.starts_with("openbao-agent") {
            "quay.io/openbao/openbao:2.2.0".into()
        } else {
            "registry.local/app:1.0".into()
        },
        ready: matches!(state, ContainerState::Running { .. }),
        state,
        restart_count: 0,
        last_termination: None,
    }
}

pub fn running(since: i64) -> ContainerState {
    ContainerState::Running {
        started_at: Some(ago(since)),
    }
}

pub fn waiting(reason: &str) -> ContainerState {
    ContainerState::Waiting {
        reason: Some(reason.into()),
        message: None,
    }
}

pub fn completed() -> ContainerState {
    ContainerState::Terminated(Termination {
        exit_code: 0,
        reason: Some("Completed".into()),
        message: None,
        started_at: Some(ago(600)),
        finished_at: Some(ago(598)),
    })
}

pub fn exited(code: i32, reason: &str) -> Termination {
    Termination {
        exit_code: code,
        reason: Some(reason.into()),
        message: None,
        started_at: Some(ago(100)),
        finished_at: Some(ago(90)),
    }
}

pub fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("vault.hashicorp.com/{k}"), v.to_string()))
        .collect()
}

/// A pod of Deployment `app` in `ns`, owned by ReplicaSet `app-5d8f7c9b6`.
pub fn pod(ns: &str, app: &str, suffix: &str) -> PodInfo {
    PodInfo {
        namespace: ns.into(),
        name: format!("{app}-5d8f7c9b6-{suffix}"),
        uid: format!("uid-{app}-{suffix}"),
        owner: Some(OwnerRef {
            kind: "ReplicaSet".into(),
            name: format!("{app}-5d8f7c9b6"),
            uid: format!("rs-{app}"),
        }),
        annotations: BTreeMap::new(),
        service_account: app.into(),
        node_name: Some("node-1".into()),
        created: Some(ago(900)),
        deleting: false,
        phase: "Running".into(),
        reason: None,
        message: None,
        conditions: vec![],
        init_containers: vec![],
        containers: vec![container("app", running(800))],
        csi_volumes: vec![],
    }
}

pub fn ready(mut p: PodInfo) -> PodInfo {
    p.conditions.push(PodCondition {
        kind: "Ready".into(),
        status: "True".into(),
        reason: None,
        message: None,
        last_transition: Some(ago(700)),
    });
    p
}

/// A healthy injected pod: init completed, sidecar running, Ready.
pub fn injected(ns: &str, app: &str, role: &str, secrets: &[(&str, &str)]) -> PodInfo {
    let mut p = pod(ns, app, "x1y2z");
    let mut pairs = vec![
        ("agent-inject", "true"),
        ("agent-inject-status", "injected"),
        ("role", role),
    ];
    let keys: Vec<String> = secrets
        .iter()
        .map(|(n, _)| format!("agent-inject-secret-{n}"))
        .collect();
    for (k, (_, path)) in keys.iter().zip(secrets) {
        pairs.push((k.as_str(), path));
    }
    p.annotations = ann(&pairs);
    p.init_containers = vec![container("vault-agent-init", completed())];
    p.containers.push(container("vault-agent", running(790)));
    ready(p)
}

/// openbao-k8s's annotation prefix since mid-2025 (its PRs #14 and #21).
pub const BAO: &str = "openbao.org/";

/// Annotations under `prefix` (`BAO`, or the older `openbao.openbao.org/`).
pub fn ann_with(prefix: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v.to_string()))
        .collect()
}

/// A healthy pod injected by OpenBao's injector (openbao-k8s) as it leaves
/// one: `openbao.org/*` annotations with `agent-inject-status: injected`,
/// init `openbao-agent-init` completed, sidecar `openbao-agent` running, Ready.
pub fn bao_injected(ns: &str, app: &str, role: &str, secrets: &[(&str, &str)]) -> PodInfo {
    let mut p = injected(ns, app, role, secrets);
    p.annotations = p
        .annotations
        .iter()
        .map(|(k, v)| {
            let short = k.strip_prefix("vault.hashicorp.com/").unwrap();
            (format!("{BAO}{short}"), v.clone())
        })
        .collect();
    p.init_containers = vec![container("openbao-agent-init", completed())];
    p.containers.retain(|c| c.name != "vault-agent");
    p.containers.push(container("openbao-agent", running(790)));
    p
}

pub fn csi_pod(ns: &str, app: &str, class: &str) -> PodInfo {
    let mut p = pod(ns, app, "c5s7t");
    p.csi_volumes = vec![CsiVolume {
        volume: "secrets-store-inline".into(),
        secret_provider_class: Some(class.into()),
    }];
    p
}

pub fn event(kind: &str, ns: &str, name: &str, reason: &str, message: &str) -> EventInfo {
    EventInfo {
        namespace: ns.into(),
        name: format!("{name}.{}", reason.to_lowercase()),
        involved: InvolvedObject {
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
            uid: None,
        },
        kind: "Warning".into(),
        reason: reason.into(),
        message: message.into(),
        count: 3,
        first_seen: Some(ago(300)),
        last_seen: Some(ago(30)),
    }
}

pub fn replicaset(ns: &str, app: &str, template: BTreeMap<String, String>) -> ReplicaSetInfo {
    ReplicaSetInfo {
        namespace: ns.into(),
        name: format!("{app}-5d8f7c9b6"),
        uid: format!("rs-{app}"),
        owner: Some(OwnerRef {
            kind: "Deployment".into(),
            name: app.into(),
            uid: format!("deploy-{app}"),
        }),
        replicas: 2,
        template_annotations: template,
    }
}

pub fn logs(p: &PodInfo, container: &str, previous: bool, text: &str) -> Observation {
    Observation::LogLines {
        key: LogKey {
            namespace: p.namespace.clone(),
            pod: p.name.clone(),
            container: container.into(),
            previous,
        },
        lines: text.lines().map(String::from).collect(),
    }
}

pub fn world(obs: impl IntoIterator<Item = Observation>) -> World {
    let mut w = World::default();
    for o in obs {
        w.apply(o);
    }
    w
}

pub fn add_pod(p: PodInfo) -> Observation {
    Observation::PodApplied(Box::new(p))
}

pub fn add_event(e: EventInfo) -> Observation {
    Observation::EventApplied(Box::new(e))
}

/// pods.yaml with one plain pod: the smallest valid bundle.
pub const POD: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: shop, uid: u1}
  spec:
    containers: [{name: app, image: app:1}]
  status: {phase: Running}
"#;

/// Every file under `dir`, recursively (a bundle's files).
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Where a real-component lab of this test binary lives. `VAULTSCOPE_TEST_SLOT`
/// (0-9, default 0) moves the runtime dir and every port, so two checkouts can
/// run the live tests at once without sharing a server.
pub struct LabPlace {
    pub dir: String,
    offset: u16,
}

impl LabPlace {
    pub fn new(base_dir: &str) -> Self {
        let slot: u16 = match std::env::var("VAULTSCOPE_TEST_SLOT") {
            Ok(s) => s
                .parse()
                .ok()
                .filter(|n| *n <= 9)
                .unwrap_or_else(|| panic!("VAULTSCOPE_TEST_SLOT must be 0-9, not {s:?}")),
            Err(_) => 0,
        };
        let dir = if slot == 0 {
            base_dir.to_string()
        } else {
            format!("{base_dir}-slot{slot}")
        };
        LabPlace {
            dir,
            offset: slot * 5,
        }
    }

    /// A base port moved by the slot (five apart, so neighbouring ports such as
    /// OpenBao's cluster port, base + 1, never meet another slot's).
    pub fn port(&self, base: u16) -> String {
        (base + self.offset).to_string()
    }
}
