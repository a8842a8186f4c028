//! The slice of a Pod that vaultscope needs, and the classification of the
//! injected agent containers: `vault-agent-init` / `vault-agent` (vault-k8s)
//! or `openbao-agent-init` / `openbao-agent` (openbao-k8s).
//!
//! Converting from the full `k8s_openapi` Pod drops everything else
//! (managedFields, env, probes, labels...) so a large cluster stays small in
//! memory: nothing reads labels, and at 20,000 pods they were a seventh of
//! the model.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1 as core;
use serde::Serialize;

use super::annotations::{self, ParsedAnnotations};
use super::injector::{Injector, is_agent_init, is_injector_key};

/// An init container still running after this long (seconds) is stuck: a
/// healthy agent init container authenticates, renders and exits within seconds.
pub const INIT_STUCK_AFTER: i64 = 60;

/// How a container state should look: drawing maps it to the theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Not started yet, or waiting for something normal.
    Quiet,
    Plain,
    Good,
    Stuck,
    Bad,
}

/// vault-k8s's container names; a pod's own are [`PodInfo::agent_init`] and
/// [`PodInfo::agent_sidecar`], or [`Injector::init_container`].
pub const AGENT_INIT: &str = Injector::Vault.init_container();
pub const AGENT_SIDECAR: &str = Injector::Vault.sidecar();
pub const CSI_DRIVER: &str = "secrets-store.csi.k8s.io";

/// A reference to the controller that owns an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContainerState {
    /// No status reported yet (the pod was just created or is not scheduled).
    Unknown,
    Waiting {
        reason: Option<String>,
        message: Option<String>,
    },
    Running {
        started_at: Option<DateTime<Utc>>,
    },
    Terminated(Termination),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Termination {
    pub exit_code: i32,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerInfo {
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub ready: bool,
    pub restart_count: i32,
    pub last_termination: Option<Termination>,
}

impl ContainerInfo {
    /// A short, human description: "running", "waiting: CrashLoopBackOff",
    /// "terminated: Completed (exit 0)".
    pub fn describe(&self) -> String {
        match &self.state {
            ContainerState::Unknown => "not started".into(),
            ContainerState::Waiting { reason, .. } => match reason {
                Some(r) => format!("waiting: {r}"),
                None => "waiting".into(),
            },
            ContainerState::Running { .. } => "running".into(),
            ContainerState::Terminated(t) => format!(
                "terminated: {} (exit {})",
                t.reason.as_deref().unwrap_or("Error"),
                t.exit_code
            ),
        }
    }

    /// The state as the pane shows it, with how long it has lasted ("running,
    /// stuck for 4m12s", "Completed (exit 0)"), and how it should look.
    /// [`ContainerInfo::describe`] is the short form `check` prints.
    pub fn state_at(
        &self,
        pod_created: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> (String, Tone) {
        use crate::model::vault::countdown;
        match &self.state {
            ContainerState::Unknown => ("not started".to_string(), Tone::Quiet),
            ContainerState::Waiting { reason, .. } => {
                let r = reason.clone().unwrap_or_else(|| "waiting".into());
                let tone = if r == "PodInitializing" || r == "ContainerCreating" {
                    Tone::Quiet
                } else {
                    Tone::Bad
                };
                (format!("waiting: {r}"), tone)
            }
            ContainerState::Running { started_at } => {
                let since = started_at.or(pod_created).map(|s| now - s);
                let d = since.map(countdown).unwrap_or_default();
                if !is_agent_init(&self.name) {
                    (format!("running for {d}"), Tone::Good)
                } else if since.is_some_and(|s| s.num_seconds() >= INIT_STUCK_AFTER) {
                    (format!("running, stuck for {d}"), Tone::Stuck)
                } else {
                    (format!("running for {d}"), Tone::Plain)
                }
            }
            ContainerState::Terminated(x) => (
                format!(
                    "{} (exit {})",
                    x.reason.as_deref().unwrap_or("terminated"),
                    x.exit_code
                ),
                if x.exit_code == 0 {
                    Tone::Good
                } else {
                    Tone::Bad
                },
            ),
        }
    }

    /// Whether the container ran to completion, as a finished init container
    /// does.
    pub fn completed(&self) -> bool {
        matches!(&self.state, ContainerState::Terminated(t) if t.reason.as_deref() == Some("Completed"))
    }

    /// Whether the kubelet has a log of the current instance: the container
    /// runs or ran (a container waiting after a crash answers with its last
    /// run). Asking for one that never started only earns an error
    /// (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go,
    /// validateContainerLogStatus).
    pub fn has_current_log(&self) -> bool {
        matches!(
            self.state,
            ContainerState::Running { .. } | ContainerState::Terminated(_)
        ) || self.last_termination.is_some()
    }

    /// Whether the kubelet has a log of the previous instance: only once an
    /// earlier run terminated (the same function's `previous` case).
    pub fn has_previous_log(&self) -> bool {
        self.last_termination.is_some()
    }

    pub fn waiting_reason(&self) -> Option<&str> {
        match &self.state {
            ContainerState::Waiting { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodCondition {
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub last_transition: Option<DateTime<Utc>>,
}

/// A CSI volume served by the Secrets Store driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsiVolume {
    pub volume: String,
    pub secret_provider_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub owner: Option<OwnerRef>,
    /// Only the injector annotations (`vault.hashicorp.com/*`,
    /// `openbao.org/*`, `openbao.openbao.org/*`).
    pub annotations: BTreeMap<String, String>,
    pub service_account: String,
    pub node_name: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub deleting: bool,
    pub phase: String,
    /// `status.reason` / `status.message`: set when the kubelet evicts the
    /// pod ("Evicted", "The node was low on resource: memory...").
    pub reason: Option<String>,
    pub message: Option<String>,
    pub conditions: Vec<PodCondition>,
    pub init_containers: Vec<ContainerInfo>,
    pub containers: Vec<ContainerInfo>,
    pub csi_volumes: Vec<CsiVolume>,
}

impl PodInfo {
    /// The injector whose agent containers the pod has: the webhook that
    /// mutated it.
    pub fn injected_by(&self) -> Option<Injector> {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .find_map(|c| Injector::of_container(&c.name))
            .map(|(i, _)| i)
    }

    /// The pod's injector annotations, read with the prefix of the injector
    /// that mutated it.
    pub fn parse_annotations(&self) -> ParsedAnnotations {
        annotations::parse_for(&self.annotations, self.injected_by())
    }

    pub fn agent_init(&self) -> Option<&ContainerInfo> {
        let i = self.injected_by()?;
        self.init_containers
            .iter()
            .find(|c| c.name == i.init_container())
    }

    /// Restarts of all containers, init containers included, as kubectl's
    /// RESTARTS column counts them.
    pub fn restarts(&self) -> u32 {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .map(|c| c.restart_count.max(0) as u32)
            .fold(0, u32::saturating_add)
    }

    pub fn agent_sidecar(&self) -> Option<&ContainerInfo> {
        let i = self.injected_by()?;
        self.containers.iter().find(|c| c.name == i.sidecar())
    }

    /// Whether the pod has anything to do with Vault: injector annotations,
    /// agent containers or a Secrets Store CSI volume. The model keeps only
    /// these whole ([`World::other_pods`](super::world::World::other_pods)).
    pub fn gets_secrets(&self) -> bool {
        self.annotations.keys().any(|k| is_injector_key(k))
            || self.has_agent_containers()
            || !self.csi_volumes.is_empty()
    }

    pub fn has_agent_containers(&self) -> bool {
        self.agent_init().is_some() || self.agent_sidecar().is_some()
    }

    pub fn agent_containers(&self) -> impl Iterator<Item = &ContainerInfo> {
        self.agent_init().into_iter().chain(self.agent_sidecar())
    }

    /// Why the pod is not on a node yet: the `PodScheduled` condition's
    /// reason and message ("Unschedulable", "0/3 nodes are available: ...").
    /// `None` once the pod has a node. A pod without a node and without
    /// the condition is waiting for the scheduler to look at it.
    pub fn unscheduled(&self) -> Option<(String, Option<String>)> {
        if self.node_name.is_some() || self.phase != "Pending" {
            return None;
        }
        let cond = self.conditions.iter().find(|c| c.kind == "PodScheduled");
        match cond {
            Some(c) if c.status == "True" => None,
            Some(c) => Some((
                c.reason.clone().unwrap_or_else(|| "NotScheduled".into()),
                c.message.clone(),
            )),
            None => Some(("Pending".into(), None)),
        }
    }

    /// The kubelet's eviction message, if it evicted the pod.
    pub fn eviction(&self) -> Option<&str> {
        (self.reason.as_deref() == Some("Evicted"))
            .then(|| self.message.as_deref().unwrap_or("evicted"))
    }

    pub fn is_ready(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| c.kind == "Ready" && c.status == "True")
    }

    /// kubectl's STATUS column, close enough for a dashboard:
    /// `Init:0/1`, `Init:CrashLoopBackOff`, `ContainerCreating`, `Running`...
    pub fn status_summary(&self) -> String {
        if self.deleting {
            return "Terminating".into();
        }
        // As kubectl: the pod's own reason ("Evicted") wins, and a pod that
        // never reached a node is Pending, not "Init:0/1".
        if let Some(r) = &self.reason {
            return r.clone();
        }
        if self.unscheduled().is_some() {
            return "Pending".into();
        }
        let total = self.init_containers.len();
        for (i, c) in self.init_containers.iter().enumerate() {
            match &c.state {
                ContainerState::Terminated(t) if t.exit_code == 0 => continue,
                ContainerState::Terminated(t) => {
                    return format!("Init:{}", t.reason.as_deref().unwrap_or("Error"));
                }
                ContainerState::Waiting {
                    reason: Some(r), ..
                } if r != "PodInitializing" => return format!("Init:{r}"),
                _ => return format!("Init:{i}/{total}"),
            }
        }
        let mut status = self.phase.clone();
        for c in &self.containers {
            match &c.state {
                ContainerState::Waiting {
                    reason: Some(r), ..
                } => status = r.clone(),
                ContainerState::Terminated(t) if status == "Running" => {
                    status = t.reason.clone().unwrap_or_else(|| "Error".into());
                }
                _ => {}
            }
        }
        status
    }

    /// Convert from the API object, keeping only what the model uses.
    pub fn from_k8s(pod: &core::Pod) -> Self {
        let meta = &pod.metadata;
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        let owner = meta.owner_references.as_ref().and_then(|refs| {
            refs.iter()
                .find(|r| r.controller == Some(true))
                .or_else(|| refs.first())
                .map(|r| OwnerRef {
                    kind: r.kind.clone(),
                    name: r.name.clone(),
                    uid: r.uid.clone(),
                })
        });
        let annotations = meta
            .annotations
            .as_ref()
            .map(|a| {
                a.iter()
                    .filter(|(k, _)| is_injector_key(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let init_containers = merge_containers(
            spec.and_then(|s| s.init_containers.as_deref()),
            status.and_then(|s| s.init_container_statuses.as_deref()),
        );
        let containers = merge_containers(
            spec.map(|s| s.containers.as_slice()),
            status.and_then(|s| s.container_statuses.as_deref()),
        );
        let csi_volumes = spec
            .and_then(|s| s.volumes.as_ref())
            .map(|vols| {
                vols.iter()
                    .filter_map(|v| {
                        let csi = v.csi.as_ref()?;
                        (csi.driver == CSI_DRIVER).then(|| CsiVolume {
                            volume: v.name.clone(),
                            secret_provider_class: csi
                                .volume_attributes
                                .as_ref()
                                .and_then(|a| a.get("secretProviderClass").cloned()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        PodInfo {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            owner,
            annotations,
            service_account: spec
                .and_then(|s| s.service_account_name.clone())
                .unwrap_or_else(|| "default".into()),
            node_name: spec.and_then(|s| s.node_name.clone()),
            created: meta.creation_timestamp.as_ref().map(|t| super::utc(&t.0)),
            deleting: meta.deletion_timestamp.is_some(),
            phase: status
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Pending".into()),
            reason: status.and_then(|s| s.reason.clone()),
            message: status.and_then(|s| s.message.clone()),
            conditions: status
                .and_then(|s| s.conditions.as_ref())
                .map(|cs| {
                    cs.iter()
                        .map(|c| PodCondition {
                            kind: c.type_.clone(),
                            status: c.status.clone(),
                            reason: c.reason.clone(),
                            message: c.message.clone(),
                            last_transition: c
                                .last_transition_time
                                .as_ref()
                                .map(|t| super::utc(&t.0)),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            init_containers,
            containers,
            csi_volumes,
        }
    }

    /// Every timestamp the pod carries, to find "now" in an offline bundle.
    pub fn timestamps(&self) -> Vec<DateTime<Utc>> {
        let mut out: Vec<DateTime<Utc>> = self.created.into_iter().collect();
        out.extend(self.conditions.iter().filter_map(|c| c.last_transition));
        for c in self.init_containers.iter().chain(&self.containers) {
            match &c.state {
                ContainerState::Running { started_at } => out.extend(*started_at),
                ContainerState::Terminated(t) => {
                    out.extend(t.started_at.iter().chain(&t.finished_at))
                }
                _ => {}
            }
            if let Some(t) = &c.last_termination {
                out.extend(t.finished_at);
            }
        }
        out
    }
}

fn termination(t: &core::ContainerStateTerminated) -> Termination {
    Termination {
        exit_code: t.exit_code,
        reason: t.reason.clone(),
        message: t.message.clone(),
        started_at: t.started_at.as_ref().map(|x| super::utc(&x.0)),
        finished_at: t.finished_at.as_ref().map(|x| super::utc(&x.0)),
    }
}

fn state(s: Option<&core::ContainerState>) -> ContainerState {
    let Some(s) = s else {
        return ContainerState::Unknown;
    };
    if let Some(t) = &s.terminated {
        ContainerState::Terminated(termination(t))
    } else if let Some(r) = &s.running {
        ContainerState::Running {
            started_at: r.started_at.as_ref().map(|x| super::utc(&x.0)),
        }
    } else if let Some(w) = &s.waiting {
        ContainerState::Waiting {
            reason: w.reason.clone(),
            message: w.message.clone(),
        }
    } else {
        ContainerState::Unknown
    }
}

/// Spec containers in spec order, each with its status when one is reported.
fn merge_containers(
    spec: Option<&[core::Container]>,
    statuses: Option<&[core::ContainerStatus]>,
) -> Vec<ContainerInfo> {
    let statuses = statuses.unwrap_or_default();
    let mut out: Vec<ContainerInfo> = spec
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let st = statuses.iter().find(|s| s.name == c.name);
            container_info(&c.name, c.image.as_deref(), st)
        })
        .collect();
    // A status with no spec entry (a trimmed bundle) still counts.
    for st in statuses {
        if !out.iter().any(|c| c.name == st.name) {
            out.push(container_info(&st.name, Some(&st.image), Some(st)));
        }
    }
    out
}

fn container_info(
    name: &str,
    image: Option<&str>,
    st: Option<&core::ContainerStatus>,
) -> ContainerInfo {
    ContainerInfo {
        name: name.to_string(),
        image: image.unwrap_or_default().to_string(),
        state: state(st.and_then(|s| s.state.as_ref())),
        ready: st.is_some_and(|s| s.ready),
        restart_count: st.map_or(0, |s| s.restart_count),
        last_termination: st
            .and_then(|s| s.last_state.as_ref())
            .and_then(|l| l.terminated.as_ref())
            .map(termination),
    }
}
