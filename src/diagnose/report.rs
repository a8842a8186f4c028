//! What a diagnosis produces: a report per workload, and one for everything.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::finding::{Finding, Health, Severity};
use crate::model::csi::SecretProviderClassPodStatusInfo;
use crate::model::injection::Injection;
use crate::model::injector::Injector;
use crate::model::vault::{AgentToken, Certificate, KvMetadata, Lease, VaultStatus};
use crate::model::workload::WorkloadKey;

/// How a workload gets its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Method {
    pub agent: bool,
    pub csi: bool,
}

impl Method {
    pub fn label(self) -> &'static str {
        match (self.agent, self.csi) {
            (true, true) => "both",
            (true, false) => Injection::Agent.as_str(),
            (false, true) => Injection::Csi.as_str(),
            (false, false) => "-",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSummary {
    pub name: String,
    pub phase: String,
    pub ready: bool,
    /// The injector that mutated the pod (its agent containers say), or
    /// that its annotations ask for.
    pub injector: Option<Injector>,
    pub agent_init: Option<String>,
    pub agent: Option<String>,
    /// Restarts of all its containers, init containers included (kubectl's
    /// RESTARTS column).
    pub restarts: u32,
    /// The pod's Secrets Store CSI volumes and what the driver reported.
    pub csi_mounts: Vec<CsiMount>,
}

/// A CSI volume of a pod, with its SecretProviderClassPodStatus if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsiMount {
    pub volume: String,
    pub class: Option<String>,
    pub status: Option<SecretProviderClassPodStatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SecretRef {
    pub name: String,
    pub path: String,
    /// `agent` or `csi`.
    pub via: Injection,
    /// The rendered file (agent) or the SecretProviderClass (CSI).
    pub target: String,
    /// File permissions asked for (`agent-inject-perms-<name>`), agent only.
    pub perms: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadReport {
    pub key: WorkloadKey,
    pub health: Health,
    /// The injector of the workload's agent pods (`None` without agent
    /// injection); each pod says its own in [`PodSummary::injector`].
    pub injector: Option<Injector>,
    pub method: Method,
    pub pods_ready: usize,
    pub pods: Vec<PodSummary>,
    pub secrets: Vec<SecretRef>,
    /// The soonest-expiring leases of each secret path (at most
    /// [`MAX_LEASES_PER_PATH`](super::MAX_LEASES_PER_PATH) per path); `lease_count` has them all.
    pub leases: Vec<Lease>,
    pub lease_count: usize,
    pub certificates: Vec<Certificate>,
    pub kv: Vec<KvMetadata>,
    /// Agent tokens whose kubernetes-auth metadata names a pod's service account.
    pub tokens: Vec<AgentToken>,
    pub findings: Vec<Finding>,
    /// Each agent secret's last change in Vault and every pod's render of it.
    pub rotations: Vec<super::rotation::SecretRotation>,
}

impl WorkloadReport {
    /// How the workload gets its secrets, with the injector when it has
    /// one: `agent (openbao-k8s)`, `csi`.
    pub fn method_label(&self) -> String {
        match self.injector {
            Some(i) => format!("{} ({})", self.method.label(), i.project()),
            None => self.method.label().to_string(),
        }
    }

    pub fn worst(&self) -> Option<&Finding> {
        self.findings.first()
    }

    /// The soonest lease or certificate expiry.
    pub fn soonest_expiry(&self) -> Option<DateTime<Utc>> {
        let leases = self.leases.iter().filter_map(|l| l.expire_time);
        let certs = self.certificates.iter().map(|c| c.not_after);
        leases.chain(certs).min()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub as_of: DateTime<Utc>,
    pub vault: VaultStatus,
    /// Findings that are not about one workload (Vault sealed, injector down).
    pub global: Vec<Finding>,
    /// Worst first, then by namespace, kind and name.
    pub workloads: Vec<WorkloadReport>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.global.iter().any(|f| f.severity == Severity::Error)
            || self.workloads.iter().any(|w| w.health == Health::Error)
    }

    pub fn count(&self, h: Health) -> usize {
        self.workloads.iter().filter(|w| w.health == h).count()
    }
}
