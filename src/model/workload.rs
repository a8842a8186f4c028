//! Grouping pods into workloads the way a cluster shows them:
//! ReplicaSet → Deployment, Job → CronJob, StatefulSet, DaemonSet, bare pods.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::world::World;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    CronJob,
    Job,
    Pod,
    Other(String),
}

impl WorkloadKind {
    pub fn as_str(&self) -> &str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Job => "Job",
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Other(k) => k,
        }
    }

    fn from_owner_kind(kind: &str) -> Self {
        match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "CronJob" => WorkloadKind::CronJob,
            "Job" => WorkloadKind::Job,
            "Pod" => WorkloadKind::Pod,
            other => WorkloadKind::Other(other.to_string()),
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WorkloadKey {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

impl fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// A controller that sits between a pod and the workload a user knows: its
/// events (FailedCreate from a webhook) belong to the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ControllerKind {
    // In name order, so that controllers sort as their kind names do.
    Job,
    ReplicaSet,
}

impl ControllerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ControllerKind::Job => "Job",
            ControllerKind::ReplicaSet => "ReplicaSet",
        }
    }

    /// The kind an ownerReference or an event's involved object names, if
    /// it is an intermediate controller.
    pub fn of(kind: &str) -> Option<Self> {
        match kind {
            "Job" => Some(ControllerKind::Job),
            "ReplicaSet" => Some(ControllerKind::ReplicaSet),
            _ => None,
        }
    }
}

impl fmt::Display for ControllerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One intermediate controller of a workload, by kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControllerRef {
    pub kind: ControllerKind,
    pub name: String,
}

impl ControllerRef {
    /// The controller an object of this kind and name is, if it is one.
    pub fn of(kind: &str, name: &str) -> Option<Self> {
        ControllerKind::of(kind).map(|kind| ControllerRef {
            kind,
            name: name.to_string(),
        })
    }

    /// The workload this controller belongs to.
    fn workload(&self, world: &World, namespace: &str) -> (WorkloadKind, String) {
        match self.kind {
            ControllerKind::ReplicaSet => replicaset_workload(world, namespace, &self.name),
            ControllerKind::Job => job_workload(world, namespace, &self.name),
        }
    }
}

/// The objects that make up one workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    /// Pod names, sorted.
    pub pods: Vec<String>,
    /// Intermediate controllers whose events belong to the workload, sorted.
    pub controllers: Vec<ControllerRef>,
}

/// The characters of a pod-template-hash (`rand.SafeEncodeString`).
const HASH_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

/// `web-5d8f7c9b6` → `web`: the Deployment a ReplicaSet name belongs to,
/// when the ReplicaSet object itself is not known.
fn strip_template_hash(rs_name: &str) -> Option<&str> {
    let (base, hash) = rs_name.rsplit_once('-')?;
    (!base.is_empty()
        && (4..=10).contains(&hash.len())
        && hash.chars().all(|c| HASH_ALPHABET.contains(c)))
    .then_some(base)
}

/// `backup-29012345` → `backup`: CronJobs name their Jobs after the scheduled
/// time in minutes since the epoch.
fn strip_cron_suffix(job_name: &str) -> Option<&str> {
    let (base, minutes) = job_name.rsplit_once('-')?;
    (!base.is_empty() && minutes.len() >= 8 && minutes.chars().all(|c| c.is_ascii_digit()))
        .then_some(base)
}

/// The workload a ReplicaSet belongs to.
pub fn replicaset_workload(
    world: &World,
    namespace: &str,
    rs_name: &str,
) -> (WorkloadKind, String) {
    match world.replicaset(namespace, rs_name) {
        Some(rs) => match &rs.owner {
            Some(o) => (WorkloadKind::from_owner_kind(&o.kind), o.name.clone()),
            None => (WorkloadKind::ReplicaSet, rs_name.to_string()),
        },
        None => match strip_template_hash(rs_name) {
            Some(base) => (WorkloadKind::Deployment, base.to_string()),
            None => (WorkloadKind::ReplicaSet, rs_name.to_string()),
        },
    }
}

fn job_workload(world: &World, namespace: &str, job_name: &str) -> (WorkloadKind, String) {
    match world.job(namespace, job_name) {
        Some(j) => match &j.owner {
            Some(o) => (WorkloadKind::from_owner_kind(&o.kind), o.name.clone()),
            None => (WorkloadKind::Job, job_name.to_string()),
        },
        None => match strip_cron_suffix(job_name) {
            Some(base) => (WorkloadKind::CronJob, base.to_string()),
            None => (WorkloadKind::Job, job_name.to_string()),
        },
    }
}

/// The workload a pod belongs to, and the intermediate controller (a
/// ReplicaSet, a Job) between them.
pub fn pod_home(world: &World, p: &super::pod::PodInfo) -> (WorkloadKey, Option<ControllerRef>) {
    let (kind, name, controller) = match &p.owner {
        None => (WorkloadKind::Pod, p.name.clone(), None),
        Some(o) => match ControllerRef::of(&o.kind, &o.name) {
            Some(c) => {
                let (k, n) = c.workload(world, &p.namespace);
                (k, n, Some(c))
            }
            None => (WorkloadKind::from_owner_kind(&o.kind), o.name.clone(), None),
        },
    };
    let key = WorkloadKey {
        namespace: p.namespace.clone(),
        kind,
        name,
    };
    (key, controller)
}

/// The workload a warning event about a controller makes show up even when
/// it has no pods (a ReplicaSet or Job that could not create them, a
/// StatefulSet, a DaemonSet), with that controller; `None` for any other
/// event.
pub fn event_home(
    world: &World,
    e: &super::objects::EventInfo,
) -> Option<(WorkloadKey, Option<ControllerRef>)> {
    if !e.is_warning() {
        return None;
    }
    let io = &e.involved;
    let controller = ControllerRef::of(&io.kind, &io.name);
    let (kind, name) = match &controller {
        Some(c) => c.workload(world, &io.namespace),
        None => match WorkloadKind::from_owner_kind(&io.kind) {
            k @ (WorkloadKind::StatefulSet | WorkloadKind::DaemonSet) => (k, io.name.clone()),
            _ => return None,
        },
    };
    let key = WorkloadKey {
        namespace: io.namespace.clone(),
        kind,
        name,
    };
    Some((key, controller))
}

/// Group every pod, and every ReplicaSet or Job that could not create its
/// pods (it carries warning events), into workloads.
pub fn group(world: &World) -> BTreeMap<WorkloadKey, Members> {
    let mut out: BTreeMap<WorkloadKey, Members> = BTreeMap::new();
    for p in world.pods.values() {
        let (key, controller) = pod_home(world, p);
        let m = out.entry(key).or_default();
        m.pods.push(p.name.clone());
        if let Some(c) = controller
            && !m.controllers.contains(&c)
        {
            m.controllers.push(c);
        }
    }
    // Controllers whose pods could not be created at all still show up, with
    // the FailedCreate events that explain why.
    for e in world.events.values() {
        let Some((key, controller)) = event_home(world, e) else {
            continue;
        };
        let m = out.entry(key).or_default();
        if let Some(c) = controller
            && !m.controllers.contains(&c)
        {
            m.controllers.push(c);
        }
    }
    for m in out.values_mut() {
        m.pods.sort();
        m.controllers.sort();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_cron_suffixes() {
        assert_eq!(
            strip_template_hash("billing-api-5d8f7c9b6"),
            Some("billing-api")
        );
        assert_eq!(strip_template_hash("billing-api"), None);
        assert_eq!(strip_template_hash("web-v1"), None);
        assert_eq!(strip_cron_suffix("backup-29012345"), Some("backup"));
        assert_eq!(strip_cron_suffix("backup-12"), None);
    }
}
