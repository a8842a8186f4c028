//! One poll of Vault as data: what the live poller emits each cycle, what
//! `capture` writes to a bundle's `vault.json`, and what `check --from`
//! reads back. Never secret data, never tokens or accessors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Observation;
use crate::model::vault::{
    AclPolicy, AgentToken, AuthBackendConfig, AuthRole, Certificate, KvMetadata, Lease, MountInfo,
    PermissionProblem, VaultHealth, VaultStatus,
};
use crate::safe::display_address;

/// Vault as seen by one poll (and the `vault.json` format of a bundle).
/// Unknown fields are ignored when reading, so newer captures still load.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSnapshot {
    #[serde(default)]
    pub address: Option<String>,
    /// `check`/`capture`: reads were still due when [`super::poll_once`]
    /// stopped (its time limit, or Vault throttled it).
    #[serde(skip)]
    pub incomplete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<VaultHealth>,
    /// Set when Vault could not be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
    #[serde(default)]
    pub leases: Vec<Lease>,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    #[serde(default)]
    pub kv: Vec<KvMetadata>,
    #[serde(default)]
    pub mounts: Vec<MountInfo>,
    #[serde(default)]
    pub roles: Vec<AuthRole>,
    #[serde(default)]
    pub policies: Vec<AclPolicy>,
    #[serde(default)]
    pub tokens: Vec<AgentToken>,
    #[serde(default)]
    pub permission_problems: Vec<PermissionProblem>,
    /// The kubernetes auth mounts' configuration (absent in bundles
    /// captured before it was read: no verdict on them then).
    #[serde(default)]
    pub auth_configs: Vec<AuthBackendConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<DateTime<Utc>>,
}

impl VaultSnapshot {
    pub fn status(&self) -> VaultStatus {
        // The status is shown as is (header, JSON, findings): whatever a
        // hand-written or older vault.json holds in its address (a password,
        // a ?token=) is dropped here.
        let address = self
            .address
            .as_deref()
            .map_or_else(|| "(captured)".into(), display_address);
        match (&self.unreachable, &self.health) {
            (Some(error), _) => VaultStatus::Unreachable {
                address,
                error: error.clone(),
            },
            (None, Some(health)) => VaultStatus::Reachable {
                address,
                health: health.clone(),
            },
            (None, None) => VaultStatus::NotConfigured,
        }
    }

    /// Reachable, initialized and unsealed: the rest of the poll means something.
    pub fn is_serving(&self) -> bool {
        self.unreachable.is_none()
            && self
                .health
                .as_ref()
                .is_some_and(|h| h.initialized && !h.sealed)
    }

    /// The observations that put this snapshot into a world (each replaces
    /// the previous value of its field).
    pub fn observations(&self) -> Vec<Observation> {
        vec![
            Observation::VaultStatus(self.status()),
            Observation::Leases(self.leases.clone()),
            Observation::Certificates(self.certificates.clone()),
            Observation::KvMetadata(self.kv.clone()),
            Observation::VaultMounts(self.mounts.clone()),
            Observation::VaultRoles(self.roles.clone()),
            Observation::VaultPolicies(self.policies.clone()),
            Observation::AgentTokens(self.tokens.clone()),
            Observation::VaultPermissions(self.permission_problems.clone()),
            Observation::VaultAuthConfigs(self.auth_configs.clone()),
        ]
    }
}

impl VaultSnapshot {
    /// The observations that differ from `prev` (all of them without one),
    /// so an unchanged Vault does not make the dashboard redraw.
    pub fn changes(&self, prev: Option<&VaultSnapshot>) -> Vec<Observation> {
        let Some(p) = prev else {
            return self.observations();
        };
        let mut out = Vec::new();
        if self.status() != p.status() {
            out.push(Observation::VaultStatus(self.status()));
        }
        if self.leases != p.leases {
            out.push(Observation::Leases(self.leases.clone()));
        }
        if self.certificates != p.certificates {
            out.push(Observation::Certificates(self.certificates.clone()));
        }
        if self.kv != p.kv {
            out.push(Observation::KvMetadata(self.kv.clone()));
        }
        if self.mounts != p.mounts {
            out.push(Observation::VaultMounts(self.mounts.clone()));
        }
        if self.roles != p.roles {
            out.push(Observation::VaultRoles(self.roles.clone()));
        }
        if self.policies != p.policies {
            out.push(Observation::VaultPolicies(self.policies.clone()));
        }
        if self.tokens != p.tokens {
            out.push(Observation::AgentTokens(self.tokens.clone()));
        }
        if self.permission_problems != p.permission_problems {
            out.push(Observation::VaultPermissions(
                self.permission_problems.clone(),
            ));
        }
        if self.auth_configs != p.auth_configs {
            out.push(Observation::VaultAuthConfigs(self.auth_configs.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vault::Engine;

    #[test]
    fn vault_json_round_trips_through_the_bundle_loader() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pods.yaml"),
            "apiVersion: v1\nkind: List\nitems: []\n",
        )
        .unwrap();
        let snap = VaultSnapshot {
            address: Some("http://127.0.0.1:8200".into()),
            health: Some(VaultHealth {
                initialized: true,
                version: Some("2.7.2".into()),
                ..Default::default()
            }),
            mounts: vec![MountInfo {
                path: "database".into(),
                kind: "database".into(),
                engine: Engine::Database,
            }],
            roles: vec![AuthRole::missing("auth/kubernetes", "ghost")],
            auth_configs: vec![AuthBackendConfig {
                found: true,
                kubernetes_host: "https://kubernetes.default.svc".into(),
                ca_set: true,
                ca_certs: vec![crate::model::cluster::CaCert {
                    sha256: "ab".repeat(32),
                    subject: "CN=kubernetes".into(),
                    not_after: None,
                }],
                token_reviewer_jwt_set: Some(false),
                disable_local_ca_jwt: Some(false),
                ..AuthBackendConfig::missing("auth/k8s-east")
            }],
            policies: vec![AclPolicy {
                name: "p".into(),
                rules: Some("path \"a/*\" { capabilities = [\"read\"] }".into()),
            }],
            permission_problems: vec![PermissionProblem {
                path: "auth/token/accessors".into(),
                capability: "sudo".into(),
                impact: "agent tokens are not shown".into(),
            }],
            captured_at: Some("2026-11-28T10:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        let path = crate::sources::bundle::write::vault_json(dir.path(), &snap).unwrap();
        // The cluster side of the auth backend check rides in bundle.json;
        // a bundle.json without it (older captures) loads as before.
        let cluster = crate::model::cluster::ClusterIdentity {
            server: "https://203.0.113.10:6443".into(),
            root_ca: Some(vec![]),
            ..Default::default()
        };
        let meta = crate::sources::bundle::format::BundleMeta {
            cluster: Some(cluster.clone()),
            ..Default::default()
        };
        crate::sources::bundle::write::meta(dir.path(), &meta).unwrap();
        let back: VaultSnapshot =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back, snap);
        let (world, at) = crate::sources::bundle::load(dir.path())
            .unwrap()
            .into_world();
        assert_eq!(at, snap.captured_at);
        assert_eq!(world.vault.roles, snap.roles);
        assert_eq!(world.vault.policies, snap.policies);
        assert_eq!(world.vault.mounts, snap.mounts);
        assert_eq!(world.vault.permission_problems, snap.permission_problems);
        assert_eq!(world.vault.status.label(), "unsealed, active");
        assert!(snap.changes(Some(&snap)).is_empty());
        assert_eq!(world.vault.auth_configs, snap.auth_configs);
        assert_eq!(world.cluster, Some(cluster));
        std::fs::write(dir.path().join("bundle.json"), r#"{"context": "old"}"#).unwrap();
        let (world, _) = crate::sources::bundle::load(dir.path())
            .unwrap()
            .into_world();
        assert_eq!(world.cluster, None);
        assert_eq!(world.vault.auth_configs, snap.auth_configs);
        assert_eq!(snap.changes(None).len(), 10);
        let mut sealed = snap.clone();
        sealed.health.as_mut().unwrap().sealed = true;
        assert_eq!(sealed.changes(Some(&snap)).len(), 1);
    }

    #[test]
    fn a_captured_address_is_shown_without_secrets() {
        let snap: VaultSnapshot = serde_json::from_str(
            r#"{"address": "https://admin:hunter2@vault.example:8200/?token=abc", "unreachable": "x"}"#,
        )
        .unwrap();
        assert_eq!(
            snap.status(),
            VaultStatus::Unreachable {
                address: "https://vault.example:8200".into(),
                error: "x".into()
            }
        );
    }
}
