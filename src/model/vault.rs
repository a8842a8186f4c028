//! The Vault side: server health, leases, certificates and KV metadata, with
//! remaining time computed from a `now` the caller passes in.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cluster::CaCert;

/// `sys/health`, with the fields both Vault and OpenBao return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VaultHealth {
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub sealed: bool,
    #[serde(default)]
    pub standby: bool,
    /// Vault Enterprise only; OpenBao has no such field.
    #[serde(default)]
    pub performance_standby: Option<bool>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub cluster_name: Option<String>,
}

/// What vaultscope knows about the Vault server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VaultStatus {
    /// No address configured and nothing in the bundle.
    #[default]
    NotConfigured,
    Unreachable {
        address: String,
        error: String,
    },
    Reachable {
        address: String,
        health: VaultHealth,
    },
}

impl VaultStatus {
    pub fn label(&self) -> String {
        match self {
            VaultStatus::NotConfigured => "not configured".into(),
            VaultStatus::Unreachable { .. } => "unreachable".into(),
            VaultStatus::Reachable { health, .. } if !health.initialized => {
                "not initialized".into()
            }
            VaultStatus::Reachable { health, .. } if health.sealed => "sealed".into(),
            VaultStatus::Reachable { health, .. } if health.standby => "unsealed, standby".into(),
            VaultStatus::Reachable { .. } => "unsealed, active".into(),
        }
    }
}

/// A lease as `sys/leases/lookup` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub id: String,
    #[serde(default)]
    pub issue_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expire_time: Option<DateTime<Utc>>,
    /// Seconds left when the lookup was made.
    #[serde(default, alias = "ttl")]
    pub ttl_seconds: i64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub last_renewal: Option<DateTime<Utc>>,
    /// The role's max TTL, when known: the lease cannot be renewed past issue + max TTL.
    #[serde(default)]
    pub max_ttl_seconds: Option<i64>,
}

impl Lease {
    /// The mount-relative path the lease was issued for: everything before the
    /// last `/`-separated segment (`database/creds/web/AbC123` → `database/creds/web`).
    pub fn source_path(&self) -> &str {
        self.id
            .rsplit_once('/')
            .map_or(self.id.as_str(), |(p, _)| p)
    }

    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.expire_time.map(|t| t - now)
    }

    /// When renewals must stop: issue time + max TTL.
    pub fn hard_end(&self) -> Option<DateTime<Utc>> {
        // Values come from bundles too: an absurd max TTL must not overflow.
        self.issue_time?
            .checked_add_signed(Duration::try_seconds(self.max_ttl_seconds?)?)
    }
}

/// A certificate issued by a PKI mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub serial: String,
    /// The PKI mount, e.g. `pki`.
    pub mount: String,
    #[serde(default)]
    pub common_name: String,
    #[serde(default)]
    pub alt_names: Vec<String>,
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: DateTime<Utc>,
    #[serde(default)]
    pub revoked: bool,
}

impl Certificate {
    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        self.not_after - now
    }

    pub fn lifetime(&self) -> Option<Duration> {
        self.not_before.map(|b| self.not_after - b)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.common_name.as_str()).chain(self.alt_names.iter().map(String::as_str))
    }
}

/// KV v2 metadata for one secret (never its data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvMetadata {
    pub mount: String,
    pub path: String,
    pub current_version: u64,
    #[serde(default)]
    pub updated_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_time: Option<DateTime<Utc>>,
}

impl KvMetadata {
    /// The data path the agent reads: `<mount>/data/<path>`.
    pub fn data_path(&self) -> String {
        format!("{}/data/{}", self.mount.trim_end_matches('/'), self.path)
    }
}

/// The engine behind a secrets mount, as `sys/mounts` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    KvV1,
    KvV2,
    Database,
    Pki,
    Other,
}

/// One secrets-engine mount (`sys/mounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountInfo {
    /// Without the trailing slash, e.g. `secret`.
    pub path: String,
    /// The `type` Vault reports (`kv`, `database`, `pki`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub engine: Engine,
}

/// The mount a path belongs to (longest matching mount path), and the path
/// relative to it.
pub fn resolve_mount<'a>(
    mounts: &'a [MountInfo],
    path: &'a str,
) -> Option<(&'a MountInfo, &'a str)> {
    mounts
        .iter()
        .filter_map(|m| {
            let rest = path.strip_prefix(m.path.as_str())?;
            if rest.is_empty() {
                Some((m, rest))
            } else {
                rest.strip_prefix('/').map(|r| (m, r))
            }
        })
        .max_by_key(|(m, _)| m.path.len())
}

/// A kubernetes auth role as `GET auth/<mount>/role/<name>` returned it, or
/// the fact that it does not exist (`found: false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRole {
    /// e.g. `auth/kubernetes` (no trailing slash).
    pub auth_path: String,
    pub name: String,
    pub found: bool,
    /// Not found because no auth method is mounted at `auth_path` at all
    /// (Vault's 404 says `no handler for route`).
    #[serde(default)]
    pub mount_missing: bool,
    #[serde(default)]
    pub bound_service_account_names: Vec<String>,
    #[serde(default)]
    pub bound_service_account_namespaces: Vec<String>,
    /// When set, namespaces are also matched by labels vaultscope cannot see.
    #[serde(default)]
    pub bound_service_account_namespace_selector: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    /// `token_policies` (or legacy `policies`).
    #[serde(default)]
    pub token_policies: Vec<String>,
    #[serde(default)]
    pub token_no_default_policy: bool,
    #[serde(default)]
    pub token_ttl: Option<i64>,
    #[serde(default)]
    pub token_max_ttl: Option<i64>,
}

impl AuthRole {
    /// A role that Vault answered 404 for.
    pub fn missing(auth_path: &str, name: &str) -> AuthRole {
        AuthRole {
            auth_path: auth_path.to_string(),
            name: name.to_string(),
            found: false,
            mount_missing: false,
            bound_service_account_names: vec![],
            bound_service_account_namespaces: vec![],
            bound_service_account_namespace_selector: None,
            audience: None,
            token_policies: vec![],
            token_no_default_policy: false,
            token_ttl: None,
            token_max_ttl: None,
        }
    }

    /// A role asked of a mount that does not exist.
    pub fn without_mount(auth_path: &str, name: &str) -> AuthRole {
        AuthRole {
            mount_missing: true,
            ..AuthRole::missing(auth_path, name)
        }
    }
}

impl AuthRole {
    /// The role's read path, e.g. `auth/kubernetes/role/billing`.
    pub fn path(&self) -> String {
        format!("{}/role/{}", self.auth_path, self.name)
    }

    /// The policies a login with this role gets (`default` added unless the
    /// role says `token_no_default_policy`).
    pub fn effective_policies(&self) -> Vec<String> {
        let mut p = self.token_policies.clone();
        if !self.token_no_default_policy && !p.iter().any(|x| x == "default") {
            p.push("default".into());
        }
        p
    }
}

/// A kubernetes auth mount's configuration as `GET auth/<mount>/config`
/// returned it (`found: false`: 404, the mount has none). Reading it returns
/// no secret: Vault answers `token_reviewer_jwt_set`, never the JWT; the CA
/// is kept as fingerprints, not PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthBackendConfig {
    /// e.g. `auth/kubernetes` (no trailing slash).
    pub auth_path: String,
    pub found: bool,
    /// Where Vault sends every login's TokenReview (without userinfo).
    #[serde(default)]
    pub kubernetes_host: String,
    /// Whether `kubernetes_ca_cert` holds anything at all.
    #[serde(default)]
    pub ca_set: bool,
    /// The certificates in `kubernetes_ca_cert` (the ones that parse).
    #[serde(default)]
    pub ca_certs: Vec<CaCert>,
    /// How many `pem_keys` (JWT signature keys) are set.
    #[serde(default)]
    pub pem_keys: usize,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub disable_iss_validation: Option<bool>,
    #[serde(default)]
    pub disable_local_ca_jwt: Option<bool>,
    /// `None` when the server does not say (vault-plugin-auth-kubernetes
    /// before 0.18, i.e. Vault before 1.16).
    #[serde(default)]
    pub token_reviewer_jwt_set: Option<bool>,
}

impl AuthBackendConfig {
    /// A mount Vault answered 404 for.
    pub fn missing(auth_path: &str) -> AuthBackendConfig {
        AuthBackendConfig {
            auth_path: auth_path.to_string(),
            found: false,
            kubernetes_host: String::new(),
            ca_set: false,
            ca_certs: vec![],
            pem_keys: 0,
            issuer: None,
            disable_iss_validation: None,
            disable_local_ca_jwt: None,
            token_reviewer_jwt_set: None,
        }
    }

    /// The read path, e.g. `auth/kubernetes/config`.
    pub fn path(&self) -> String {
        format!("{}/config", self.auth_path)
    }
}

/// An ACL policy's text (`sys/policies/acl/<name>`); `rules: None` when the
/// policy does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclPolicy {
    pub name: String,
    #[serde(default)]
    pub rules: Option<String>,
}

/// An agent's Vault token, found through its accessor: kubernetes-auth
/// metadata names the service account and namespace it logged in as. Neither
/// the token nor its accessor is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentToken {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: Option<String>,
    pub service_account_name: String,
    pub service_account_namespace: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub issue_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expire_time: Option<DateTime<Utc>>,
    /// Seconds left when the lookup was made.
    #[serde(default)]
    pub ttl_seconds: i64,
    #[serde(default)]
    pub renewable: bool,
}

impl AgentToken {
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.expire_time.map(|t| t - now)
    }
}

/// Something vaultscope's own token may not do, so part of the picture is
/// missing: the path and the capability it lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PermissionProblem {
    /// The API path, e.g. `sys/leases/lookup/database/creds/billing/`.
    pub path: String,
    /// e.g. `sudo`, `list`, `read`.
    pub capability: String,
    /// What vaultscope cannot show because of it.
    pub impact: String,
}

/// Everything vaultscope has observed of Vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VaultView {
    pub status: VaultStatus,
    pub leases: Vec<Lease>,
    pub certificates: Vec<Certificate>,
    pub kv: Vec<KvMetadata>,
    /// Secrets-engine mounts (`sys/mounts`).
    pub mounts: Vec<MountInfo>,
    /// The kubernetes auth roles the workloads use (read, or found missing).
    pub roles: Vec<AuthRole>,
    /// The ACL policies those roles attach.
    pub policies: Vec<AclPolicy>,
    /// Agent tokens whose metadata names a workload's service account.
    pub tokens: Vec<AgentToken>,
    /// The configuration of the kubernetes auth mounts those roles are on.
    pub auth_configs: Vec<AuthBackendConfig>,
    /// What vaultscope's own token could not read.
    pub permission_problems: Vec<PermissionProblem>,
}

/// Format a duration as a countdown: `4m12s`, `2h05m`, `3d04h`, `-1m10s` once past.
pub fn countdown(d: Duration) -> String {
    let neg = d < Duration::zero();
    let s = d.num_seconds().abs();
    let body = if s >= 86_400 {
        format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    };
    if neg { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn lease_remaining_uses_the_passed_clock() {
        let l = Lease {
            id: "database/creds/web/AbC".into(),
            issue_time: Some(t("2026-01-01T00:00:00Z")),
            expire_time: Some(t("2026-01-01T00:05:00Z")),
            ttl_seconds: 300,
            renewable: true,
            last_renewal: None,
            max_ttl_seconds: Some(3600),
        };
        assert_eq!(
            l.remaining(t("2026-01-01T00:01:00Z")),
            Some(Duration::seconds(240))
        );
        assert_eq!(l.source_path(), "database/creds/web");
        assert_eq!(l.hard_end(), Some(t("2026-01-01T01:00:00Z")));
    }

    #[test]
    fn countdowns() {
        assert_eq!(countdown(Duration::seconds(252)), "4m12s");
        assert_eq!(countdown(Duration::seconds(7500)), "2h05m");
        assert_eq!(countdown(Duration::seconds(59)), "59s");
        assert_eq!(countdown(Duration::seconds(-70)), "-1m10s");
        assert_eq!(countdown(Duration::seconds(3 * 86400 + 4 * 3600)), "3d04h");
    }
}
