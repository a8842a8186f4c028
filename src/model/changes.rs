//! What observations changed in the world, so a diagnosis can redo only the
//! workloads whose inputs changed. The world records this only once asked
//! to ([`super::World::take_changes`]); `check` and bundles never pay for it.

use std::collections::{BTreeMap, BTreeSet};

use super::vault::{AgentToken, Lease, VaultStatus};
use super::world::{ObjKey, Observation, World};

/// The object an event is about: namespace, kind, name.
pub type Subject = (String, String, String);

/// Inputs that changed since the last [`super::World::take_changes`]. An
/// observation that repeats what the world already holds changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Pods applied with a difference, or deleted.
    pub pods: BTreeSet<ObjKey>,
    /// Namespaces whose ReplicaSets or Jobs changed: they decide which
    /// workload a pod belongs to, and hold the pod templates.
    pub controllers: BTreeSet<String>,
    /// Events applied with a difference, or deleted.
    pub events: BTreeSet<ObjKey>,
    /// What those events are (or were) about.
    pub subjects: BTreeSet<Subject>,
    /// Namespaces whose SecretProviderClasses changed.
    pub classes: BTreeSet<String>,
    /// Pods (namespace, name) whose agent logs or CSI pod statuses changed.
    pub pod_inputs: BTreeSet<ObjKey>,
    /// Lease source paths whose leases changed.
    pub lease_paths: BTreeSet<String>,
    pub certificates: bool,
    pub kv: bool,
    /// Namespaces whose service accounts' agent tokens changed.
    pub token_namespaces: BTreeSet<String>,
    /// Something every workload may read changed: webhooks, injector
    /// endpoints, whether CSI is installed, Vault's address, roles,
    /// policies, mounts or vaultscope's own permissions.
    pub everything: bool,
}

fn subject(e: &super::objects::EventInfo) -> Subject {
    (
        e.involved.namespace.clone(),
        e.involved.kind.clone(),
        e.involved.name.clone(),
    )
}

fn key(ns: &str, name: &str) -> ObjKey {
    (ns.to_string(), name.to_string())
}

/// Vault's address as the diagnosis reads it (a hint names it).
fn address(s: &VaultStatus) -> Option<&str> {
    match s {
        VaultStatus::Reachable { address, .. } | VaultStatus::Unreachable { address, .. } => {
            Some(address)
        }
        VaultStatus::NotConfigured => None,
    }
}

/// Lease paths whose leases differ between `old` and `new`.
fn lease_paths(old: &[Lease], new: &[Lease]) -> BTreeSet<String> {
    let by_path = |ls: &[Lease]| {
        let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, l) in ls.iter().enumerate() {
            m.entry(l.source_path().to_string()).or_default().push(i);
        }
        m
    };
    let (a, b) = (by_path(old), by_path(new));
    let same = |x: &[usize], y: &[usize]| {
        x.len() == y.len() && x.iter().zip(y).all(|(i, j)| old[*i] == new[*j])
    };
    a.keys()
        .chain(b.keys())
        .filter(|p| match (a.get(*p), b.get(*p)) {
            (Some(x), Some(y)) => !same(x, y),
            _ => true,
        })
        .cloned()
        .collect()
}

/// Namespaces whose tokens differ between `old` and `new`.
fn token_namespaces(old: &[AgentToken], new: &[AgentToken]) -> BTreeSet<String> {
    let by_ns = |ts: &[AgentToken]| {
        let mut m: BTreeMap<String, Vec<AgentToken>> = BTreeMap::new();
        for t in ts {
            m.entry(t.service_account_namespace.clone())
                .or_default()
                .push(t.clone());
        }
        m
    };
    let (a, b) = (by_ns(old), by_ns(new));
    a.keys()
        .chain(b.keys())
        .filter(|ns| a.get(*ns) != b.get(*ns))
        .cloned()
        .collect()
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// Record what `obs` will change in `world`, before it is applied.
    pub fn note(&mut self, world: &World, obs: &Observation) {
        use Observation::*;
        match obs {
            PodApplied(p) => {
                if world.pod_changes(p) {
                    self.pods.insert(key(&p.namespace, &p.name));
                }
            }
            PodDeleted { namespace, name } => {
                let k = key(namespace, name);
                if world.pods.contains_key(&k) {
                    self.pods.insert(k.clone());
                }
                // Its logs go with it.
                self.pod_inputs.insert(k);
            }
            ReplicaSetApplied(rs) => {
                if world.replicaset(&rs.namespace, &rs.name) != Some(rs) {
                    self.controllers.insert(rs.namespace.clone());
                }
            }
            JobApplied(j) => {
                if world.job(&j.namespace, &j.name) != Some(j) {
                    self.controllers.insert(j.namespace.clone());
                }
            }
            ReplicaSetDeleted { namespace, .. } | JobDeleted { namespace, .. } => {
                self.controllers.insert(namespace.clone());
            }
            EventApplied(e) => {
                let k = key(&e.namespace, &e.name);
                let old = world.events.get(&k);
                if old != Some(e) {
                    self.subjects.extend(old.map(subject));
                    self.subjects.insert(subject(e));
                    self.events.insert(k);
                }
            }
            EventDeleted { namespace, name } => {
                let k = key(namespace, name);
                if let Some(old) = world.events.get(&k) {
                    self.subjects.insert(subject(old));
                    self.events.insert(k);
                }
            }
            ClassApplied(c) => {
                if world.classes.get(&key(&c.namespace, &c.name)) != Some(c) {
                    self.classes.insert(c.namespace.clone());
                }
            }
            ClassDeleted { namespace, .. } => {
                self.classes.insert(namespace.clone());
            }
            PodStatusApplied(s) => {
                let old = world.pod_statuses.get(&key(&s.namespace, &s.name));
                if old != Some(s) {
                    if let Some(o) = old {
                        self.pod_inputs.insert(key(&o.namespace, &o.pod_name));
                    }
                    self.pod_inputs.insert(key(&s.namespace, &s.pod_name));
                }
            }
            PodStatusDeleted { namespace, name } => {
                if let Some(o) = world.pod_statuses.get(&key(namespace, name)) {
                    self.pod_inputs.insert(key(&o.namespace, &o.pod_name));
                }
            }
            CsiInstalled(b) => self.everything |= world.csi_installed != Some(*b),
            InjectorWebhooks(w) => self.everything |= &world.webhooks != w,
            InjectorEndpoints { ready } => {
                self.everything |= world.injector_ready_endpoints != Some(*ready)
            }
            LogLines { key: k, lines } => {
                if !lines.is_empty() {
                    self.pod_inputs.insert(key(&k.namespace, &k.pod));
                }
            }
            LogReset { key: k } => {
                if world.logs.get(k).is_some_and(|b| !b.is_empty()) {
                    self.pod_inputs.insert(key(&k.namespace, &k.pod));
                }
            }
            VaultStatus(s) => {
                self.everything |= address(&world.vault.status) != address(s);
            }
            Leases(l) => self.lease_paths.extend(lease_paths(&world.vault.leases, l)),
            Certificates(c) => self.certificates |= &world.vault.certificates != c,
            KvMetadata(k) => self.kv |= &world.vault.kv != k,
            AgentTokens(t) => self
                .token_namespaces
                .extend(token_namespaces(&world.vault.tokens, t)),
            VaultMounts(m) => self.everything |= &world.vault.mounts != m,
            VaultRoles(r) => self.everything |= &world.vault.roles != r,
            VaultPolicies(p) => self.everything |= &world.vault.policies != p,
            VaultPermissions(p) => self.everything |= &world.vault.permission_problems != p,
            VaultAuthConfigs(c) => self.everything |= &world.vault.auth_configs != c,
            Cluster(c) => self.everything |= world.cluster.as_ref() != Some(c),
            // The world starts again (and stops recording until asked).
            Reset => self.everything = true,
            // Read only through whether the driver rotates, which the
            // incremental diagnosis compares itself.
            CsiDriver(_) => {}
            // Not read by the diagnosis of any workload.
            AccessDenied(_) | AccessGranted { .. } | ApiServer { .. } | Listed { .. } => {}
        }
    }
}
