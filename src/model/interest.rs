//! What the live Vault poller should look at, computed from the workloads:
//! the secret paths they read, the kubernetes auth roles they log in with,
//! their service accounts and the certificate names their templates ask for.
//! Pure: the poller receives an [`Interest`] and does the I/O.

use std::collections::BTreeSet;

use serde::Serialize;

use super::annotations::{self, ParsedAnnotations};
use super::injection::Injection;
use super::injector::Dialect;
use super::paths::{auth_path, normalize_path};
use super::pod::PodInfo;
use super::world::World;

/// A kubernetes auth role, by auth mount and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RoleRef {
    /// e.g. `auth/kubernetes` (no trailing slash).
    pub auth_path: String,
    pub role: String,
}

/// Everything the Vault poller should observe.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Interest {
    /// Secret paths as Vault's API sees them (no `/v1/`, no query), from
    /// agent annotations and SecretProviderClass objects.
    pub secret_paths: BTreeSet<String>,
    /// The roles the workloads log in with.
    pub roles: BTreeSet<RoleRef>,
    /// `(namespace, service account)` of every pod that gets secrets.
    pub service_accounts: BTreeSet<(String, String)>,
    /// Common names requested by `pkiCert` templates (`common_name=...`).
    pub common_names: BTreeSet<String>,
}

impl Interest {
    pub fn is_empty(&self) -> bool {
        self.secret_paths.is_empty() && self.roles.is_empty() && self.service_accounts.is_empty()
    }

    /// The kubernetes auth mounts the workloads log in at (`auth/kubernetes`
    /// by default, else the `vault.hashicorp.com/auth-path` annotation or a
    /// SecretProviderClass's `vaultKubernetesMountPath`).
    pub fn auth_mounts(&self) -> BTreeSet<&str> {
        self.roles.iter().map(|r| r.auth_path.as_str()).collect()
    }
}

/// How one pod (or pod template) logs in to Vault and what it reads with
/// that login: one per injection method (agent, CSI class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleUse {
    pub via: Injection,
    pub role: RoleRef,
    pub namespace: String,
    /// Unknown for a pod template that has no pod yet.
    pub service_account: Option<String>,
    /// The SecretProviderClass, for CSI.
    pub class: Option<String>,
    /// Normalized secret paths read with this login.
    pub paths: Vec<String>,
    /// The annotations the login is configured with (for the agent), so a
    /// fix names them.
    pub dialect: Dialect,
}

/// The logins of one pod, or of a pod template when `pod` is `None`.
pub fn role_uses(
    namespace: &str,
    pod: Option<&PodInfo>,
    parsed: &ParsedAnnotations,
    world: &World,
) -> Vec<RoleUse> {
    let mut out = Vec::new();
    let service_account = pod.map(|p| p.service_account.clone());
    // A pod that logs in to another Vault namespace (`<prefix>namespace`)
    // has its role there; reading it from vaultscope's namespace would call a
    // healthy role missing, so such roles are not checked.
    if parsed.spec.inject
        && parsed.spec.auth_type == annotations::DEFAULT_AUTH_TYPE
        && parsed.spec.vault_namespace.is_none()
        && let Some(role) = &parsed.spec.role
    {
        out.push(RoleUse {
            via: Injection::Agent,
            role: RoleRef {
                auth_path: auth_path(&parsed.spec.auth_path),
                role: role.clone(),
            },
            namespace: namespace.to_string(),
            service_account: service_account.clone(),
            class: None,
            paths: parsed
                .spec
                .secrets
                .iter()
                .map(|s| normalize_path(&s.path))
                .collect(),
            dialect: parsed.dialect,
        });
    }
    let Some(pod) = pod else { return out };
    for v in &pod.csi_volumes {
        let Some(class_name) = &v.secret_provider_class else {
            continue;
        };
        let Some(class) = world
            .classes
            .get(&(namespace.to_string(), class_name.clone()))
        else {
            continue;
        };
        let Some(role) = &class.role_name else {
            continue;
        };
        out.push(RoleUse {
            via: Injection::Csi,
            role: RoleRef {
                auth_path: class.auth_path(),
                role: role.clone(),
            },
            namespace: namespace.to_string(),
            service_account: service_account.clone(),
            class: Some(class_name.clone()),
            paths: class
                .objects
                .iter()
                .map(|o| normalize_path(&o.secret_path))
                .collect(),
            dialect: parsed.dialect,
        });
    }
    out
}

/// What to poll in Vault for this world.
pub fn interest(world: &World) -> Interest {
    let mut i = Interest::default();
    // The roles, accounts and paths a pod or pod template logs in with, and
    // the certificates its templates request.
    let add = |uses: Vec<RoleUse>, parsed: &annotations::ParsedAnnotations, i: &mut Interest| {
        for u in uses {
            i.roles.insert(u.role.clone());
            if let Some(sa) = &u.service_account {
                i.service_accounts.insert((u.namespace.clone(), sa.clone()));
            }
            i.secret_paths
                .extend(u.paths.into_iter().filter(|p| !p.is_empty()));
        }
        for t in parsed
            .spec
            .secrets
            .iter()
            .filter_map(|s| s.template.as_deref())
        {
            i.common_names
                .extend(annotations::requested_common_names(t));
        }
    };
    for pod in world.pods.values() {
        let parsed = pod.parse_annotations();
        add(
            role_uses(&pod.namespace, Some(pod), &parsed, world),
            &parsed,
            &mut i,
        );
        // A pod without a role (other auth types) still names secret paths.
        i.secret_paths
            .extend(parsed.spec.secrets.iter().map(|s| normalize_path(&s.path)));
    }
    for rs in world.replicasets.values() {
        if rs.template_annotations.is_empty() {
            continue;
        }
        let parsed = annotations::parse(&rs.template_annotations);
        add(
            role_uses(&rs.namespace, None, &parsed, world),
            &parsed,
            &mut i,
        );
    }
    i
}
