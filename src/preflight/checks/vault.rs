//! Ring 2: the logins the manifests ask for, against what Vault holds. The
//! role, binding and policy verdicts are `check`'s own
//! ([`crate::diagnose::crosscheck`], with its ACL evaluator); preflight adds
//! where in the manifest each one is, and whether the secrets exist.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::diagnose::{self, Severity, auth_backend, crosscheck};
use crate::model::cluster::ClusterIdentity;
use crate::model::injection::Injection;
use crate::model::interest::RoleRef;
use crate::model::vault::{
    AclPolicy, AuthBackendConfig, AuthRole, Engine, MountInfo, PermissionProblem, VaultStatus,
    resolve_mount,
};
use crate::model::world::World;

use super::super::finding::{Code, Finding, Ring};
use super::super::manifest::{Loc, Manifests};
use super::manifests::{kv_path_without_data, kv_v2_misread_keys};
use super::{Class, Login, Read, Sink};

/// Whether a secret (KV metadata) or an engine role exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lookup {
    /// The path read: `secret/metadata/app`, `database/roles/web`.
    pub path: String,
    pub exists: bool,
}

/// What ring 2 read from Vault. Only metadata: roles, policies, mounts,
/// KV metadata and engine role definitions; never a secret, never a lease.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VaultFacts {
    /// As shown (no userinfo, query or fragment).
    pub address: String,
    pub status: VaultStatus,
    /// `sys/mounts`, when vaultscope may read it.
    pub mounts: Option<Vec<MountInfo>>,
    /// `sys/auth` mount paths (`auth/kubernetes`), when readable.
    pub auth_mounts: Option<Vec<String>>,
    /// The roles the logins name, read or found missing.
    pub roles: Vec<AuthRole>,
    /// Their policies (`rules: None`: the policy does not exist).
    pub policies: Vec<AclPolicy>,
    /// `auth/<mount>/config` of the kubernetes auth mounts the logins use.
    pub auth_configs: Vec<AuthBackendConfig>,
    pub secrets: Vec<Lookup>,
    pub engine_roles: Vec<Lookup>,
    /// What vaultscope's token was refused.
    pub denied: Vec<PermissionProblem>,
    /// Reads left out because the request budget (`--vault-budget`) ran out.
    pub unread: usize,
}

impl VaultFacts {
    /// Reachable, initialized and unsealed.
    pub fn serving(&self) -> bool {
        matches!(&self.status, VaultStatus::Reachable { health, .. } if health.initialized && !health.sealed)
    }

    /// "http://127.0.0.1:8200 (OpenBao 2.7.2, unsealed, active)".
    pub fn describe(&self) -> String {
        let version = match &self.status {
            VaultStatus::Reachable { health, .. } => health
                .version
                .as_deref()
                .map(|v| format!("version {v}, "))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let unread = if self.unread > 0 {
            format!(
                "; {} reads over the request budget were not made (raise --vault-budget)",
                self.unread
            )
        } else {
            String::new()
        };
        format!(
            "{} ({version}{}{unread})",
            self.address,
            self.status.label()
        )
    }

    fn denied(&self, path: &str) -> Option<&PermissionProblem> {
        self.denied.iter().find(|d| d.path == path)
    }

    fn lookup<'a>(list: &'a [Lookup], path: &str) -> Option<&'a Lookup> {
        list.iter().find(|l| l.path == path)
    }
}

/// What ring 2 asks Vault about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub roles: BTreeSet<RoleRef>,
    pub paths: BTreeSet<String>,
}

pub fn needs(logins: &[Login<'_>]) -> Needs {
    let mut n = Needs::default();
    for l in logins {
        n.roles.insert(l.role.clone());
        n.paths.extend(l.reads.iter().map(|r| r.path.clone()));
    }
    n
}

/// Where a secret path leads: its KV metadata, or the engine role that
/// serves it. `mounts` from `sys/mounts`; without them, the path's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `<mount>/metadata/<rel>`, of a KV v2 secret.
    Kv { metadata: String, data: String },
    /// `<mount>/roles/<role>` (database creds, PKI issue/sign) or
    /// `<mount>/static-roles/<name>`.
    EngineRole { path: String, engine: Engine },
    /// Nothing to look up (KV v1, other engines, unknown mounts).
    None,
}

pub fn target(path: &str, mounts: Option<&[MountInfo]>) -> Target {
    let (mount, engine, rest) = match mounts.and_then(|m| resolve_mount(m, path)) {
        Some((m, rest)) => (m.path.clone(), m.engine, rest.to_string()),
        // A mount sys/mounts does not list: nothing to look up there.
        None if mounts.is_some() => return Target::None,
        None => {
            // As the poller guesses: only paths whose shape says it.
            let Some((mount, rest)) = path.split_once('/') else {
                return Target::None;
            };
            let engine = if rest.starts_with("data/") {
                Engine::KvV2
            } else if rest.starts_with("creds/") || rest.starts_with("static-creds/") {
                Engine::Database
            } else if rest.starts_with("issue/") || rest.starts_with("sign/") {
                Engine::Pki
            } else {
                return Target::None;
            };
            (mount.to_string(), engine, rest.to_string())
        }
    };
    let role_of = |kind: &str, sub: &str| {
        rest.strip_prefix(kind)
            .filter(|r| !r.is_empty() && !r.contains('/'))
            .map(|r| Target::EngineRole {
                path: format!("{mount}/{sub}/{r}"),
                engine,
            })
    };
    match engine {
        Engine::KvV2 => {
            let rel = rest
                .strip_prefix("data/")
                .or_else(|| rest.strip_prefix("metadata/"))
                .unwrap_or(&rest);
            if rel.is_empty() {
                return Target::None;
            }
            Target::Kv {
                metadata: format!("{mount}/metadata/{rel}"),
                data: format!("{mount}/data/{rel}"),
            }
        }
        Engine::Database => role_of("creds/", "roles")
            .or_else(|| role_of("static-creds/", "static-roles"))
            .unwrap_or(Target::None),
        Engine::Pki => role_of("issue/", "roles")
            .or_else(|| role_of("sign/", "roles"))
            .unwrap_or(Target::None),
        _ => Target::None,
    }
}

fn read_object(l: &Login<'_>) -> String {
    match l.class {
        Some(Class::Input(c)) => c.object(),
        _ => l.workload.object(),
    }
}

/// Ring 2's findings. `cluster` is the cluster ring 3 reads (its
/// kubeconfig context), when it runs: the auth backends' config is compared
/// with it; without it, only what the Vault side shows alone is judged.
pub fn run(
    m: &Manifests,
    logins: &[Login<'_>],
    v: &VaultFacts,
    cluster: Option<&ClusterIdentity>,
) -> Vec<Finding> {
    let mut s = Sink::new(&m.files, Ring::Vault);
    let Some(first) = logins.first() else {
        return s.out;
    };
    if !v.serving() {
        let (code, message, fix) = match &v.status {
            VaultStatus::Unreachable { error, .. } => (
                diagnose::Code::VaultUnreachable,
                format!(
                    "Vault at {} is unreachable: roles, policies and secrets are not checked ({error})",
                    v.address
                ),
                "Check the address (--vault-addr, VAULT_ADDR) and that this job can reach Vault; or run without it to check the manifests alone.",
            ),
            _ => (
                diagnose::Code::VaultSealed,
                format!(
                    "Vault at {} is {}: roles, policies and secrets are not checked, and agents could not log in",
                    v.address,
                    v.status.label()
                ),
                "Unseal (or initialize) Vault, then run preflight again.",
            ),
        };
        s.add(
            Code::Check(code),
            Severity::Error,
            first.role_loc,
            &first.role_object,
            message,
            fix,
            None,
        );
        return s.out;
    }
    let mut world = World::default();
    world.vault.roles = v.roles.clone();
    world.vault.policies = v.policies.clone();
    world.vault.mounts = v.mounts.clone().unwrap_or_default();
    let mut limited: BTreeSet<String> = BTreeSet::new();
    let engine_roles: BTreeSet<String> = logins
        .iter()
        .flat_map(|l| &l.reads)
        .filter_map(|r| match target(&r.path, v.mounts.as_deref()) {
            Target::EngineRole { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    let mut limit = |s: &mut Sink<'_>, p: &PermissionProblem, loc: Loc, object: &str| {
        if !limited.insert(format!("{}|{}|{}", p.path, loc.file, loc.line)) {
            return;
        }
        // docs/vaultscope-policy.hcl leaves engine roles out on purpose
        // (a `+/roles/*` rule would match secrets of a KV v1 mount).
        let fix = engine_roles.contains(&p.path).then(|| {
            let parent = p.path.rsplit_once('/').map_or(p.path.as_str(), |(a, _)| a);
            format!(
                "To check it, let vaultscope's token read it (path \"{parent}/*\" {{ capabilities = [\"read\"] }}: role definitions, no credentials); everything else is checked."
            )
        });
        for f in crosscheck::permission_findings(std::slice::from_ref(p)) {
            s.check(f, loc, object, fix.clone());
        }
    };
    for l in logins {
        let role_path = format!("{}/role/{}", l.role.auth_path, l.role.role);
        if let Some(auth) = &v.auth_mounts
            && !auth.contains(&l.role.auth_path)
        {
            s.add(
                Code::Check(diagnose::Code::AuthMountNotFound),
                Severity::Error,
                l.role_loc,
                &l.role_object,
                format!(
                    "There is no auth method at {}: every login of the {} fails",
                    l.role.auth_path, l.via
                ),
                match l.via {
                    Injection::Agent => format!(
                        "Fix the {}auth-path annotation (default auth/kubernetes), or enable the kubernetes auth method at that path.",
                        super::parsed(l.workload).prefix()
                    ),
                    Injection::Csi => "Fix vaultAuthMountPath in the SecretProviderClass (default kubernetes), or enable the kubernetes auth method at that path.".to_string(),
                },
                Some(format!("sys/auth lists {}", auth.join(", "))),
            );
            continue;
        }
        if let Some(p) = v.denied(&role_path) {
            limit(&mut s, p, l.role_loc, &l.role_object);
            continue;
        }
        role_and_binding(&mut s, l, &world);
        audience(&mut s, l, v);
        for r in &l.reads {
            reads(&mut s, l, r, v, &world, &mut limit);
        }
    }
    // `check`'s auth-backend verdicts, once per mount, at the first login
    // that uses it.
    let mut mounts: Vec<&Login<'_>> = Vec::new();
    for l in logins {
        if !mounts.iter().any(|x| x.role.auth_path == l.role.auth_path) {
            mounts.push(l);
        }
    }
    for l in mounts {
        let config = format!("{}/config", l.role.auth_path);
        if let Some(p) = v.denied(&config) {
            limit(&mut s, p, l.role_loc, &l.role_object);
        }
        let Some(cfg) = v
            .auth_configs
            .iter()
            .find(|c| c.auth_path == l.role.auth_path)
        else {
            continue;
        };
        let mut one = World::default();
        one.vault.roles = v.roles.clone();
        one.vault.auth_configs = vec![cfg.clone()];
        one.cluster = cluster.cloned();
        for f in auth_backend::findings(&one) {
            s.check(f, l.role_loc, &l.role_object, None);
        }
    }
    // What vaultscope could not read that no login above explains.
    for p in &v.denied {
        let tied = logins.iter().any(|l| {
            p.path == format!("{}/role/{}", l.role.auth_path, l.role.role)
                || p.path == format!("{}/config", l.role.auth_path)
                || l.reads.iter().any(|r| {
                    matches!(target(&r.path, v.mounts.as_deref()), Target::Kv { metadata, .. } if metadata == p.path)
                        || matches!(target(&r.path, v.mounts.as_deref()), Target::EngineRole { path, .. } if path == p.path)
                })
        });
        if !tied {
            limit(&mut s, p, first.role_loc, &first.role_object);
        }
    }
    s.out
}

/// `check`'s role and binding verdicts, placed: a missing role at the
/// setting that names it; a service account that is not bound at
/// `serviceAccountName`.
fn role_and_binding(s: &mut Sink<'_>, l: &Login<'_>, world: &World) {
    let w = l.workload;
    for f in crosscheck::role_findings(&[l.role_use(Vec::new())], world) {
        let (loc, object) = if f.code == diagnose::Code::ConfigRoleBindingMismatch
            && f.message.contains("does not bind service account")
        {
            let line = w
                .service_account
                .as_ref()
                .map_or(w.template_line, |(_, l)| *l);
            (
                Loc {
                    file: w.loc.file,
                    line,
                },
                w.object(),
            )
        } else if f.code == diagnose::Code::ConfigRoleBindingMismatch {
            (l.role_loc, w.object())
        } else {
            (l.role_loc, l.role_object.clone())
        };
        s.check(f, loc, &object, None);
    }
}

/// A role with an `audience` accepts only tokens issued for it.
fn audience(s: &mut Sink<'_>, l: &Login<'_>, v: &VaultFacts) {
    let Some(role) = v
        .roles
        .iter()
        .find(|r| r.found && r.auth_path == l.role.auth_path && r.name == l.role.role)
    else {
        return;
    };
    let Some(want) = &role.audience else { return };
    let setting = match l.via {
        Injection::Csi => "parameters.audience of the SecretProviderClass",
        Injection::Agent => "the projected token named by agent-service-account-token-volume-name",
    };
    match &l.audience {
        super::Audience::Set(have) if have != want => s.add(
            Code::Check(diagnose::Code::AuthAudienceMismatch),
            Severity::Error,
            l.role_loc,
            &l.role_object,
            format!(
                "Role \"{}\" accepts tokens for audience \"{want}\", but the {} presents one for \"{have}\": logins fail with \"invalid audience (aud) claim\"",
                role.name, l.via
            ),
            format!("Set {setting} to \"{want}\", or the role's audience to \"{have}\"."),
            Some(format!("GET {}: audience={want}", role.path())),
        ),
        super::Audience::Set(_) => {}
        super::Audience::Default => s.add(
            Code::AudienceUnverified,
            Severity::Warning,
            l.role_loc,
            &l.role_object,
            format!(
                "Role \"{}\" accepts only tokens for audience \"{want}\"; the {} presents a token with the API server's default audience, so logins fail unless that is \"{want}\"",
                role.name, l.via
            ),
            format!("Set {setting} to \"{want}\"."),
            Some(format!("GET {}: audience={want}", role.path())),
        ),
    }
}

fn reads(
    s: &mut Sink<'_>,
    l: &Login<'_>,
    r: &Read,
    v: &VaultFacts,
    world: &World,
    limit: &mut impl FnMut(&mut Sink<'_>, &PermissionProblem, Loc, &str),
) {
    let object = read_object(l);
    for f in crosscheck::role_findings(&[l.role_use(vec![r.path.clone()])], world) {
        if f.code == diagnose::Code::ConfigPolicyDeniesPath {
            s.check(f, r.loc, &object, None);
        }
    }
    let mounts = v.mounts.as_deref();
    match target(&r.path, mounts) {
        Target::Kv { metadata, data } => {
            if let Some(p) = v.denied(&metadata) {
                limit(s, p, r.loc, &object);
            } else if VaultFacts::lookup(&v.secrets, &metadata).is_some_and(|x| !x.exists) {
                s.add(
                    Code::Check(diagnose::Code::SecretNotFound),
                    Severity::Error,
                    r.loc,
                    &object,
                    format!(
                        "No secret exists at {data} ({}): the {} fails with \"no secret exists at {}\" and the pod does not start",
                        r.setting, l.via, r.path
                    ),
                    format!("Write the secret (vault kv put {}) or correct the path.", data.replacen("/data/", "/", 1)),
                    Some(format!("GET {metadata}: 404")),
                );
            }
            // The agent's KV v2 reads, with the mount known.
            if l.via == Injection::Agent && r.path != data {
                let template = r.template.as_deref().unwrap_or_default();
                // Ring 1 told it already when the template shows KV v2's shape.
                if !kv_path_without_data(&r.path, template) {
                    s.add(
                        Code::KvV2PathWithoutData,
                        Severity::Warning,
                        r.loc,
                        &object,
                        format!(
                            "{} reads {} on the KV v2 mount {} without data/: the agent finds it only when its lookup of the mount (sys/internal/ui/mounts) succeeds",
                            r.setting,
                            r.path,
                            r.path.split('/').next().unwrap_or_default()
                        ),
                        format!("Write the path as KV v2's API has it: {data}."),
                        None,
                    );
                }
                let misread = kv_v2_misread_keys(template);
                if !misread.is_empty() {
                    s.add(
                        Code::KvV2TemplateKeys,
                        Severity::Warning,
                        r.loc,
                        &object,
                        format!(
                            "{} reads .Data.{} from the KV v2 secret {}: KV v2 keeps the keys under .Data.data, so the file renders \"<no value>\"",
                            r.setting,
                            misread.join(", .Data."),
                            r.path
                        ),
                        format!("Read .Data.data.{} instead.", misread[0]),
                        None,
                    );
                }
            }
        }
        Target::EngineRole { path, engine } => {
            if let Some(p) = v.denied(&path) {
                limit(s, p, r.loc, &object);
            } else if VaultFacts::lookup(&v.engine_roles, &path).is_some_and(|x| !x.exists) {
                let what = match engine {
                    Engine::Pki => "PKI role",
                    _ => "database role",
                };
                s.add(
                    Code::EngineRoleMissing,
                    Severity::Error,
                    r.loc,
                    &object,
                    format!(
                        "{} reads {}, but the {what} {path} does not exist: the read fails and the secret is never rendered",
                        r.setting, r.path
                    ),
                    format!("Create the {what} ({path}) or correct the path."),
                    Some(format!("GET {path}: 404")),
                );
            }
        }
        Target::None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vault::MountInfo;

    fn mounts() -> Vec<MountInfo> {
        vec![
            MountInfo {
                path: "secret".into(),
                kind: "kv".into(),
                engine: Engine::KvV2,
            },
            MountInfo {
                path: "db/prod".into(),
                kind: "database".into(),
                engine: Engine::Database,
            },
            MountInfo {
                path: "pki".into(),
                kind: "pki".into(),
                engine: Engine::Pki,
            },
        ]
    }

    #[test]
    fn secret_paths_lead_to_metadata_or_engine_roles() {
        let m = mounts();
        assert_eq!(
            target("secret/data/shop/catalog", Some(&m)),
            Target::Kv {
                metadata: "secret/metadata/shop/catalog".into(),
                data: "secret/data/shop/catalog".into()
            }
        );
        // The agent's shimmed form reads the same secret.
        assert_eq!(
            target("secret/shop/catalog", Some(&m)),
            target("secret/data/shop/catalog", Some(&m))
        );
        assert_eq!(
            target("db/prod/creds/web", Some(&m)),
            Target::EngineRole {
                path: "db/prod/roles/web".into(),
                engine: Engine::Database
            }
        );
        assert_eq!(
            target("db/prod/static-creds/app", Some(&m)),
            Target::EngineRole {
                path: "db/prod/static-roles/app".into(),
                engine: Engine::Database
            }
        );
        assert_eq!(
            target("pki/issue/web", Some(&m)),
            Target::EngineRole {
                path: "pki/roles/web".into(),
                engine: Engine::Pki
            }
        );
        // Without sys/mounts, only the shape.
        assert_eq!(
            target("database/creds/billing", None),
            Target::EngineRole {
                path: "database/roles/billing".into(),
                engine: Engine::Database
            }
        );
        assert_eq!(target("kv1/app", Some(&m)), Target::None);
        assert_eq!(target("secret/data/", Some(&m)), Target::None);
    }

    /// A role that binds the pod, its mount configured by `config`.
    fn facts(config: AuthBackendConfig) -> VaultFacts {
        VaultFacts {
            address: "http://127.0.0.1:8200".into(),
            status: VaultStatus::Reachable {
                address: "http://127.0.0.1:8200".into(),
                health: crate::model::vault::VaultHealth {
                    initialized: true,
                    ..Default::default()
                },
            },
            roles: vec![AuthRole {
                found: true,
                bound_service_account_names: vec!["web".into()],
                bound_service_account_namespaces: vec!["shop".into()],
                token_policies: vec!["web".into()],
                ..AuthRole::missing("auth/k8s", "web")
            }],
            auth_configs: vec![config],
            ..Default::default()
        }
    }

    #[test]
    fn the_auth_backend_is_judged_once_at_the_first_login_of_its_mount() {
        let text = "kind: Pod\nmetadata:\n  name: a\n  namespace: shop\n  annotations:\n    openbao.org/agent-inject: \"true\"\n    openbao.org/role: web\n    openbao.org/auth-path: auth/k8s\nspec:\n  serviceAccountName: web\n---\nkind: Pod\nmetadata:\n  name: b\n  namespace: shop\n  annotations:\n    vault.hashicorp.com/agent-inject: \"true\"\n    vault.hashicorp.com/role: web\n    vault.hashicorp.com/auth-path: auth/k8s\nspec:\n  serviceAccountName: web\n";
        let mut m = Manifests::default();
        m.files.push("x.yaml".into());
        crate::preflight::manifest::read(
            &mut m,
            0,
            &crate::preflight::yaml::parse(text, crate::preflight::yaml::Limits::default())
                .unwrap(),
            "default",
        );
        let logins = super::super::logins(&m, &|_, _| None);
        let codes = |f: &[Finding]| -> Vec<(String, usize, String)> {
            f.iter()
                .map(|f| (f.code.to_string(), f.line, f.severity.as_str().to_string()))
                .collect()
        };
        // Judged from Vault alone: a host that is no URL, no reviewer JWT
        // with disable_local_ca_jwt.
        let config = AuthBackendConfig {
            found: true,
            kubernetes_host: "kubernetes.default.svc".into(),
            disable_local_ca_jwt: Some(true),
            token_reviewer_jwt_set: Some(false),
            ..AuthBackendConfig::missing("auth/k8s")
        };
        let f = run(&m, &logins, &facts(config.clone()), None);
        assert_eq!(
            codes(&f),
            vec![
                ("config.auth_backend_mismatch".into(), 7, "error".into()),
                ("config.auth_backend_mismatch".into(), 7, "warning".into()),
            ]
        );
        assert!(
            f[0].message.starts_with(
                "auth/k8s: kubernetes_host \"kubernetes.default.svc\" is not an https:// URL"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].fix
                .contains("vault write auth/k8s/config kubernetes_host="),
            "{}",
            f[0].fix
        );
        assert_eq!(f[0].object, "Pod shop/a");
        // With the cluster: a host that is another API server, with
        // another CA, is an error naming both.
        let cluster = ClusterIdentity {
            server: "https://203.0.113.10:6443".into(),
            kubeconfig_ca: vec![crate::model::cluster::CaCert {
                sha256: "aa".repeat(32),
                subject: "CN=kubernetes".into(),
                not_after: None,
            }],
            root_ca: None,
            service_ips: Some(vec!["10.96.0.1".into()]),
        };
        let other = AuthBackendConfig {
            kubernetes_host: "https://198.51.100.7:6443".into(),
            ca_set: true,
            ca_certs: vec![crate::model::cluster::CaCert {
                sha256: "bb".repeat(32),
                subject: "CN=other".into(),
                not_after: None,
            }],
            disable_local_ca_jwt: Some(false),
            token_reviewer_jwt_set: Some(true),
            ..config
        };
        let f = run(&m, &logins, &facts(other.clone()), Some(&cluster));
        assert_eq!(
            codes(&f),
            vec![("config.auth_backend_mismatch".into(), 7, "error".into())]
        );
        assert!(
            f[0].message.contains("https://203.0.113.10:6443"),
            "{}",
            f[0].message
        );
        // Alone, the same config cannot be judged.
        assert!(run(&m, &logins, &facts(other), None).is_empty());
        // Not allowed to read it: named, at the same place.
        let mut denied = facts(AuthBackendConfig::missing("auth/k8s"));
        denied.auth_configs.clear();
        denied.denied.push(PermissionProblem {
            path: "auth/k8s/config".into(),
            capability: "read".into(),
            impact: "the kubernetes auth backend at auth/k8s is not checked".into(),
        });
        let f = run(&m, &logins, &denied, None);
        assert_eq!(
            codes(&f),
            vec![("vaultscope.permission_limited".into(), 7, "warning".into())]
        );
    }
}
