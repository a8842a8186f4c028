//! The pods and replica sets the demo workloads are made of.

use std::collections::BTreeMap;

use crate::model::Observation;
use crate::model::injector::{Dialect, Injector};
use crate::model::objects::ReplicaSetInfo;
use crate::model::pod::{
    ContainerInfo, ContainerState, CsiVolume, OwnerRef, PodCondition, PodInfo, Termination,
};

use super::Scenario;

/// One workload's pods: all alike but for their name suffix.
pub(super) struct Spec<'a> {
    pub ns: &'a str,
    pub app: &'a str,
    /// The ReplicaSet's pod-template hash, or `sts`/`ds` for a StatefulSet
    /// or DaemonSet.
    pub hash: &'a str,
    pub suffixes: &'a [&'a str],
    pub annotations: BTreeMap<String, String>,
    pub init: Option<ContainerState>,
    pub sidecar: Option<ContainerState>,
    pub csi_class: Option<&'a str>,
    pub ready: bool,
    pub age: i64,
}

impl Spec<'_> {
    /// The injector whose annotations the workload carries: its webhook
    /// adds its containers.
    fn injector(&self) -> Injector {
        self.annotations
            .keys()
            .find_map(|k| Dialect::of_key(k))
            .map_or(Injector::Vault, Dialect::injector)
    }

    fn agent_image(&self) -> &'static str {
        match self.injector() {
            Injector::Vault => "hashicorp/vault:1.17.3",
            Injector::OpenBao => "quay.io/openbao/openbao:2.2.0",
        }
    }

    fn replica_set(&self) -> String {
        format!("{}-{}", self.app, self.hash)
    }

    /// The pod's name and the controller that owns it.
    fn name_and_owner(&self, suffix: &str) -> (String, OwnerRef) {
        match self.hash {
            "sts" => (
                format!("{}-{suffix}", self.app),
                OwnerRef {
                    kind: "StatefulSet".into(),
                    name: self.app.into(),
                    uid: format!("uid-sts-{}", self.app),
                },
            ),
            "ds" => (
                format!("{}-{suffix}", self.app),
                OwnerRef {
                    kind: "DaemonSet".into(),
                    name: self.app.into(),
                    uid: format!("uid-ds-{}", self.app),
                },
            ),
            _ => (
                format!("{}-{suffix}", self.replica_set()),
                OwnerRef {
                    kind: "ReplicaSet".into(),
                    name: self.replica_set(),
                    uid: format!("uid-rs-{}", self.app),
                },
            ),
        }
    }
}

impl Scenario {
    pub(super) fn running(&self, since: i64) -> ContainerState {
        ContainerState::Running {
            started_at: Some(self.t(since)),
        }
    }

    pub(super) fn completed(&self, at: i64) -> ContainerState {
        ContainerState::Terminated(Termination {
            exit_code: 0,
            reason: Some("Completed".into()),
            message: None,
            started_at: Some(self.t(at - 2)),
            finished_at: Some(self.t(at)),
        })
    }

    /// The pods of `s`, then the ReplicaSet that owns them (if one does).
    pub(super) fn make_pods(&mut self, s: Spec<'_>, out: &mut Vec<Observation>) {
        for suffix in s.suffixes {
            let pod = self.pod(&s, suffix);
            self.pods
                .insert((s.ns.into(), pod.name.clone()), pod.clone());
            out.push(Observation::PodApplied(Box::new(pod)));
        }
        if !matches!(s.hash, "sts" | "ds") {
            out.push(Observation::ReplicaSetApplied(ReplicaSetInfo {
                namespace: s.ns.into(),
                name: s.replica_set(),
                uid: format!("uid-rs-{}", s.app),
                owner: Some(OwnerRef {
                    kind: "Deployment".into(),
                    name: s.app.into(),
                    uid: format!("uid-deploy-{}", s.app),
                }),
                replicas: s.suffixes.len() as i32,
                template_annotations: s.annotations.clone(),
            }));
        }
    }

    fn pod(&self, s: &Spec<'_>, suffix: &str) -> PodInfo {
        let (name, owner) = s.name_and_owner(suffix);
        PodInfo {
            namespace: s.ns.into(),
            uid: format!("uid-{name}"),
            owner: Some(owner),
            annotations: s.annotations.clone(),
            service_account: s.app.into(),
            node_name: Some(format!("worker-{}", name.len() % 3 + 1)),
            created: Some(self.t(-s.age)),
            deleting: false,
            phase: if s.ready { "Running" } else { "Pending" }.into(),
            reason: None,
            message: None,
            conditions: self.conditions(s),
            init_containers: init_containers(s),
            containers: self.containers(s),
            csi_volumes: s
                .csi_class
                .map(|c| {
                    vec![CsiVolume {
                        volume: "secrets-store-inline".into(),
                        secret_provider_class: Some(c.into()),
                    }]
                })
                .unwrap_or_default(),
            name,
        }
    }

    /// The app's container, then the agent sidecar if there is one.
    fn containers(&self, s: &Spec<'_>) -> Vec<ContainerInfo> {
        let mut containers = vec![ContainerInfo {
            name: s.app.into(),
            image: format!("registry.example.com/{}:2.4.1", s.app),
            state: if s.ready {
                self.running(-s.age + 5)
            } else {
                ContainerState::Waiting {
                    reason: Some(
                        if s.csi_class.is_some() {
                            "ContainerCreating"
                        } else {
                            "PodInitializing"
                        }
                        .into(),
                    ),
                    message: None,
                }
            },
            ready: s.ready,
            restart_count: 0,
            last_termination: None,
        }];
        if let Some(st) = &s.sidecar {
            containers.push(ContainerInfo {
                name: s.injector().sidecar().into(),
                image: s.agent_image().into(),
                ready: matches!(st, ContainerState::Running { .. }),
                state: st.clone(),
                restart_count: 0,
                last_termination: None,
            });
        }
        containers
    }

    fn conditions(&self, s: &Spec<'_>) -> Vec<PodCondition> {
        vec![
            PodCondition {
                kind: "Ready".into(),
                status: if s.ready { "True" } else { "False" }.into(),
                reason: (!s.ready).then(|| "ContainersNotReady".into()),
                message: None,
                last_transition: Some(self.t(-s.age + 6)),
            },
            PodCondition {
                kind: "Initialized".into(),
                status: if matches!(s.init, Some(ContainerState::Running { .. })) {
                    "False"
                } else {
                    "True"
                }
                .into(),
                reason: None,
                message: None,
                last_transition: Some(self.t(-s.age + 3)),
            },
        ]
    }

    /// Make the sidecar of `pod` look as if it had crashed `n` times.
    pub(super) fn set_restarts(&mut self, ns: &str, pod: &str, n: i32) {
        let base = self.base;
        if let Some(p) = self.pods.get_mut(&(ns.to_string(), pod.to_string()))
            && let Some(c) = p
                .containers
                .iter_mut()
                .find(|c| Injector::of_container(&c.name).is_some())
        {
            c.restart_count = n;
            c.last_termination = Some(Termination {
                exit_code: 1,
                reason: Some("Error".into()),
                message: None,
                started_at: Some(base),
                finished_at: Some(base),
            });
        }
    }
}

fn init_containers(s: &Spec<'_>) -> Vec<ContainerInfo> {
    s.init
        .iter()
        .map(|st| ContainerInfo {
            name: s.injector().init_container().into(),
            image: s.agent_image().into(),
            ready: false,
            state: st.clone(),
            restart_count: 0,
            last_termination: None,
        })
        .collect()
}
