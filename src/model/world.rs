//! The observed state of the cluster and Vault, and the one way it changes:
//! [`World::apply`] of an [`Observation`] that a source produced.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::changes::Changes;
use super::cluster::ClusterIdentity;
use super::csi::{CsiDriverConfig, SecretProviderClassInfo, SecretProviderClassPodStatusInfo};
use super::logs::{LogBuffer, LogKey};
use super::objects::{EventInfo, InjectorWebhook, JobInfo, ReplicaSetInfo};
use super::pod::PodInfo;
use super::vault::{
    AclPolicy, AgentToken, AuthBackendConfig, AuthRole, Certificate, KvMetadata, Lease, MountInfo,
    PermissionProblem, VaultStatus, VaultView,
};

/// Namespace and name: the identity of a namespaced object.
pub type ObjKey = (String, String);

fn key(ns: &str, name: &str) -> ObjKey {
    (ns.to_string(), name.to_string())
}

/// Hold `v` at `k`; whether that changed what the map held.
fn replace<V: PartialEq>(map: &mut BTreeMap<ObjKey, V>, k: ObjKey, v: V) -> bool {
    if map.get(&k) == Some(&v) {
        return false;
    }
    map.insert(k, v);
    true
}

/// A resource vaultscope may not read, as the API server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    /// e.g. `secretproviderclasses.secrets-store.csi.x-k8s.io`
    pub resource: String,
    pub namespace: Option<String>,
    pub verb: String,
}

/// Everything a source can report. Sources turn all I/O into these.
#[derive(Debug, Clone)]
pub enum Observation {
    PodApplied(Box<PodInfo>),
    PodDeleted {
        namespace: String,
        name: String,
    },
    ReplicaSetApplied(ReplicaSetInfo),
    ReplicaSetDeleted {
        namespace: String,
        name: String,
    },
    JobApplied(JobInfo),
    JobDeleted {
        namespace: String,
        name: String,
    },
    EventApplied(Box<EventInfo>),
    EventDeleted {
        namespace: String,
        name: String,
    },
    ClassApplied(Box<SecretProviderClassInfo>),
    ClassDeleted {
        namespace: String,
        name: String,
    },
    PodStatusApplied(Box<SecretProviderClassPodStatusInfo>),
    PodStatusDeleted {
        namespace: String,
        name: String,
    },
    /// Whether the Secrets Store CSI CRDs exist in the cluster.
    CsiInstalled(bool),
    /// How the CSI driver rotates mounts, as read (its flags, or the
    /// CSIDriver object); merged with what was read before.
    CsiDriver(CsiDriverConfig),
    InjectorWebhooks(Vec<InjectorWebhook>),
    /// Ready endpoints behind the injector service.
    InjectorEndpoints {
        ready: u32,
    },
    LogLines {
        key: LogKey,
        lines: Vec<String>,
    },
    /// The log stream was restarted from scratch (e.g. the container restarted).
    LogReset {
        key: LogKey,
    },
    VaultStatus(VaultStatus),
    Leases(Vec<Lease>),
    Certificates(Vec<Certificate>),
    KvMetadata(Vec<KvMetadata>),
    AccessDenied(AccessDenied),
    /// Secrets-engine mounts (`sys/mounts`); replaces the previous list.
    VaultMounts(Vec<MountInfo>),
    /// Kubernetes auth roles read (or found missing); replaces the previous list.
    VaultRoles(Vec<AuthRole>),
    /// ACL policies read; replaces the previous list.
    VaultPolicies(Vec<AclPolicy>),
    /// Agent tokens found through accessors; replaces the previous list.
    AgentTokens(Vec<AgentToken>),
    /// What vaultscope's own token may not do; replaces the previous list.
    VaultPermissions(Vec<PermissionProblem>),
    /// Kubernetes auth mount configurations read; replaces the previous list.
    VaultAuthConfigs(Vec<AuthBackendConfig>),
    /// The watched cluster's API server address and CAs.
    Cluster(ClusterIdentity),
    /// The Kubernetes API server became reachable or unreachable at `since`
    /// (live mode only; while unreachable the data is stale since then).
    ApiServer {
        reachable: bool,
        since: DateTime<Utc>,
    },
    /// Live mode: every watcher has listed its resource once (or learned it
    /// may not), `took` after the watch started; what is shown from now on
    /// is the whole cluster.
    Listed {
        took: std::time::Duration,
    },
    /// A resource that was denied can be read now (RBAC was granted).
    AccessGranted {
        resource: String,
        namespace: Option<String>,
    },
    /// Forget everything seen so far (the demo restarts its story).
    Reset,
}

/// Whether the live source can talk to the API server, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiServerState {
    pub reachable: bool,
    pub since: DateTime<Utc>,
}

impl AccessDenied {
    /// "no access to jobs in payments (needs: list jobs.batch)".
    pub fn describe(&self) -> String {
        let short = self.resource.split('.').next().unwrap_or(&self.resource);
        let scope = match &self.namespace {
            Some(ns) => format!(" in {ns}"),
            None => String::new(),
        };
        format!(
            "no access to {short}{scope} (needs: {} {})",
            self.verb, self.resource
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct World {
    /// The pods that get secrets ([`PodInfo::gets_secrets`]), whole.
    pub pods: BTreeMap<ObjKey, PodInfo>,
    /// Every other pod, by key only: most pods of a big cluster have nothing
    /// to do with Vault, and nothing is judged of them but their number.
    pub other_pods: BTreeSet<ObjKey>,
    /// The newest timestamp those other pods carried (see
    /// [`World::newest_timestamp`]).
    other_pods_newest: Option<DateTime<Utc>>,
    pub replicasets: BTreeMap<ObjKey, ReplicaSetInfo>,
    pub jobs: BTreeMap<ObjKey, JobInfo>,
    pub events: BTreeMap<ObjKey, EventInfo>,
    pub classes: BTreeMap<ObjKey, SecretProviderClassInfo>,
    pub pod_statuses: BTreeMap<ObjKey, SecretProviderClassPodStatusInfo>,
    /// `None` while unknown (e.g. a bundle that did not include CSI objects).
    pub csi_installed: Option<bool>,
    /// `None` while not read (no access, a bundle, the driver not installed).
    pub csi_driver: Option<CsiDriverConfig>,
    pub webhooks: Vec<InjectorWebhook>,
    /// `None` while unknown (offline bundles).
    pub injector_ready_endpoints: Option<u32>,
    pub logs: BTreeMap<LogKey, LogBuffer>,
    pub vault: VaultView,
    pub access_denied: Vec<AccessDenied>,
    /// `None` outside live mode (bundles, demo).
    pub api_server: Option<ApiServerState>,
    /// Live mode: every watcher has listed once ([`Observation::Listed`]).
    pub listed: bool,
    /// What changed since [`World::take_changes`] was last called; not
    /// recorded until it is first called.
    changes: Option<Changes>,
    /// `None` while unknown (the demo, bundles captured before it was recorded).
    pub cluster: Option<ClusterIdentity>,
}

impl World {
    /// What observations changed since the last call, and from now on
    /// record it (the first call returns `None`: everything is new). Only
    /// [`World::apply`] is seen: code that sets fields directly must not
    /// expect an incremental diagnosis to notice.
    pub fn take_changes(&mut self) -> Option<Changes> {
        self.changes.replace(Changes::default())
    }

    /// Apply `obs`; `false` when it changed nothing (a pod, controller or
    /// event the same as held, or unknown when deleted), so the dashboard
    /// need not draw again for the watch events that repeat what it shows:
    /// most of a busy cluster's, as only a pod's injector annotations,
    /// containers and status are kept.
    pub fn apply(&mut self, obs: Observation) -> bool {
        if let Some(mut c) = self.changes.take() {
            c.note(self, &obs);
            self.changes = Some(c);
        }
        use Observation::*;
        match obs {
            PodApplied(p) => {
                let changed = self.pod_changes(&p);
                let k = key(&p.namespace, &p.name);
                if p.gets_secrets() {
                    self.other_pods.remove(&k);
                    self.pods.insert(k, *p);
                    return changed;
                }
                self.other_pods_newest =
                    self.other_pods_newest.max(p.timestamps().into_iter().max());
                self.pods.remove(&k);
                // Only their number is shown (when nothing gets secrets).
                let new = self.other_pods.insert(k);
                return changed || new;
            }
            PodDeleted { namespace, name } => {
                let k = (namespace.clone(), name.clone());
                let known = self.pods.remove(&k).is_some() | self.other_pods.remove(&k);
                // Logs of a deleted pod are no longer reachable; drop them.
                self.logs
                    .retain(|k, _| !(k.namespace == namespace && k.pod == name));
                return known;
            }
            ReplicaSetApplied(rs) => {
                return replace(&mut self.replicasets, key(&rs.namespace, &rs.name), rs);
            }
            ReplicaSetDeleted { namespace, name } => {
                return self.replicasets.remove(&(namespace, name)).is_some();
            }
            JobApplied(j) => {
                return replace(&mut self.jobs, key(&j.namespace, &j.name), j);
            }
            JobDeleted { namespace, name } => {
                return self.jobs.remove(&(namespace, name)).is_some();
            }
            EventApplied(e) => {
                return replace(&mut self.events, key(&e.namespace, &e.name), *e);
            }
            EventDeleted { namespace, name } => {
                return self.events.remove(&(namespace, name)).is_some();
            }
            ClassApplied(c) => {
                self.classes.insert(key(&c.namespace, &c.name), *c);
            }
            ClassDeleted { namespace, name } => {
                self.classes.remove(&(namespace, name));
            }
            PodStatusApplied(s) => {
                self.pod_statuses.insert(key(&s.namespace, &s.name), *s);
            }
            PodStatusDeleted { namespace, name } => {
                self.pod_statuses.remove(&(namespace, name));
            }
            CsiInstalled(b) => self.csi_installed = Some(b),
            CsiDriver(c) => {
                self.csi_driver = Some(match self.csi_driver.take() {
                    Some(old) => old.merge(c),
                    None => c,
                })
            }
            InjectorWebhooks(w) => self.webhooks = w,
            InjectorEndpoints { ready } => self.injector_ready_endpoints = Some(ready),
            LogLines { key, lines } => self.logs.entry(key).or_default().extend(lines),
            LogReset { key } => {
                self.logs.entry(key).or_default().clear();
            }
            VaultStatus(s) => self.vault.status = s,
            Leases(l) => self.vault.leases = l,
            Certificates(c) => self.vault.certificates = c,
            KvMetadata(k) => self.vault.kv = k,
            AccessDenied(a) => {
                if !self.access_denied.contains(&a) {
                    self.access_denied.push(a);
                }
            }
            VaultMounts(m) => self.vault.mounts = m,
            VaultRoles(r) => self.vault.roles = r,
            VaultPolicies(p) => self.vault.policies = p,
            AgentTokens(t) => self.vault.tokens = t,
            VaultPermissions(p) => self.vault.permission_problems = p,
            VaultAuthConfigs(c) => self.vault.auth_configs = c,
            Cluster(c) => self.cluster = Some(c),
            Listed { .. } => self.listed = true,
            ApiServer { reachable, since } => {
                self.api_server = Some(ApiServerState { reachable, since })
            }
            AccessGranted {
                resource,
                namespace,
            } => self
                .access_denied
                .retain(|a| !(a.resource == resource && a.namespace == namespace)),
            Reset => *self = World::default(),
        }
        true
    }

    /// Whether applying `p` changes a workload: a pod that gets secrets and
    /// differs from the one held, or one that does not and leaves the model
    /// (of the others only the key is kept).
    pub fn pod_changes(&self, p: &PodInfo) -> bool {
        let k = key(&p.namespace, &p.name);
        if p.gets_secrets() {
            self.pods.get(&k) != Some(p)
        } else {
            self.pods.contains_key(&k)
        }
    }

    /// Every pod seen, whether it gets secrets or not.
    pub fn pod_count(&self) -> usize {
        self.pods.len() + self.other_pods.len()
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&PodInfo> {
        self.pods.get(&key(namespace, name))
    }

    pub fn replicaset(&self, namespace: &str, name: &str) -> Option<&ReplicaSetInfo> {
        self.replicasets.get(&key(namespace, name))
    }

    pub fn job(&self, namespace: &str, name: &str) -> Option<&JobInfo> {
        self.jobs.get(&key(namespace, name))
    }

    pub fn log(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Option<&LogBuffer> {
        self.logs.get(&LogKey {
            namespace: namespace.into(),
            pod: pod.into(),
            container: container.into(),
            previous,
        })
    }

    /// The newest timestamp anywhere in the world: "now" for an offline bundle
    /// that does not say when it was captured.
    pub fn newest_timestamp(&self) -> Option<DateTime<Utc>> {
        let pods = self
            .pods
            .values()
            .flat_map(|p| p.timestamps())
            .chain(self.other_pods_newest);
        let events = self
            .events
            .values()
            .flat_map(|e| e.last_seen.into_iter().chain(e.first_seen));
        let logs = self
            .logs
            .values()
            .flat_map(|b| b.lines().rev().find_map(super::log_line::line_timestamp));
        pods.chain(events).chain(logs).max()
    }
}

#[cfg(test)]
mod access_tests {
    use super::*;
    use crate::model::pod::{ContainerInfo, ContainerState};

    fn pod(name: &str, annotations: &[(&str, &str)]) -> Observation {
        let c = |name: &str| ContainerInfo {
            name: name.into(),
            image: "img".into(),
            ready: true,
            state: ContainerState::Waiting {
                reason: None,
                message: None,
            },
            restart_count: 0,
            last_termination: None,
        };
        Observation::PodApplied(Box::new(PodInfo {
            namespace: "shop".into(),
            name: name.into(),
            uid: String::new(),
            owner: None,
            annotations: annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            service_account: "default".into(),
            node_name: None,
            created: None,
            deleting: false,
            phase: "Pending".into(),
            reason: None,
            message: None,
            conditions: vec![],
            init_containers: vec![],
            containers: vec![c("app")],
            csi_volumes: vec![],
        }))
    }

    #[test]
    fn pods_without_secrets_are_kept_by_key_and_repeats_change_nothing() {
        let inject = [("vault.hashicorp.com/agent-inject", "true")];
        let mut w = World::default();
        assert!(w.apply(pod("web", &inject)));
        assert!(w.apply(pod("batch", &[])));
        assert_eq!(w.pods.len(), 1);
        assert_eq!(w.other_pods.len(), 1);
        // The watch sends a pod again for changes the model does not keep.
        assert!(!w.apply(pod("web", &inject)));
        assert!(!w.apply(pod("batch", &[])));
        // Losing its annotations moves a pod out of the model, and back.
        assert!(w.apply(pod("web", &[])));
        assert!(w.pods.is_empty());
        assert_eq!(w.other_pods.len(), 2);
        assert!(w.apply(pod("batch", &inject)));
        assert_eq!(w.pods.len(), 1);
        assert_eq!(w.other_pods.len(), 1);
        assert!(w.apply(Observation::PodDeleted {
            namespace: "shop".into(),
            name: "web".into()
        }));
        assert!(!w.apply(Observation::PodDeleted {
            namespace: "shop".into(),
            name: "web".into()
        }));
        assert!(w.other_pods.is_empty());
    }

    #[test]
    fn granted_access_clears_the_note() {
        let mut w = World::default();
        let denied = |ns: &str| AccessDenied {
            resource: "jobs.batch".into(),
            namespace: Some(ns.into()),
            verb: "watch".into(),
        };
        w.apply(Observation::AccessDenied(denied("shop")));
        w.apply(Observation::AccessDenied(denied("shop")));
        w.apply(Observation::AccessDenied(denied("payments")));
        assert_eq!(w.access_denied.len(), 2);
        w.apply(Observation::AccessGranted {
            resource: "jobs.batch".into(),
            namespace: Some("shop".into()),
        });
        assert_eq!(w.access_denied, vec![denied("payments")]);
    }
}
