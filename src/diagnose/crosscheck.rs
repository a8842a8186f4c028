//! Vault configuration cross-checks, before a pod fails: does the role a
//! workload logs in with exist, does it bind the pod's service account and
//! namespace, and do its policies allow the paths the workload reads? Also
//! what vaultscope itself could not see. Pure: works on roles and policies
//! the Vault source already read.

use super::finding::{Code, Finding, Severity, Via};
use super::policy::{self, Acl};
use crate::model::injection::Injection;
use crate::model::interest::RoleUse;
use crate::model::vault::{AuthRole, Engine, PermissionProblem, resolve_mount};
use crate::model::world::World;

/// Glob matching as Vault's kubernetes auth applies it to bound names and
/// namespaces (go-glob: `*` matches any run of characters, anywhere).
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || !s[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The kubernetes auth plugin's rule: a lone `*` allows everything, else the
/// value must match one of the (glob) entries.
pub fn bound(list: &[String], value: &str) -> bool {
    (list.len() == 1 && list[0] == "*") || list.iter().any(|p| glob_match(p, value))
}

fn role_setting(u: &RoleUse) -> String {
    match &u.class {
        Some(c) => format!("roleName in SecretProviderClass {c}"),
        None => format!("the {}role annotation", u.dialect.prefix()),
    }
}

fn mount_setting(u: &RoleUse) -> String {
    match &u.class {
        Some(c) => format!("vaultKubernetesMountPath in SecretProviderClass {c}"),
        None => format!("the {}auth-path annotation", u.dialect.prefix()),
    }
}

fn path_setting(u: &RoleUse) -> String {
    match &u.class {
        Some(c) => format!("objects[].secretPath in SecretProviderClass {c}"),
        None => format!(
            "the {}agent-inject-secret-<name> annotation",
            u.dialect.prefix()
        ),
    }
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

fn via(u: &RoleUse) -> Via {
    match u.via {
        Injection::Csi => Via::Csi,
        Injection::Agent => Via::Config,
    }
}

/// Findings for the logins of one workload. Roles or policies vaultscope has
/// not read (not polled, or not allowed) give no finding.
pub fn role_findings(uses: &[RoleUse], world: &World) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in uses {
        let Some(role) = world
            .vault
            .roles
            .iter()
            .find(|r| r.auth_path == u.role.auth_path && r.name == u.role.role)
        else {
            continue;
        };
        if role.mount_missing {
            out.push(
                Finding::new(
                    Code::AuthMountNotFound,
                    Severity::Error,
                    via(u),
                    format!("No auth method is mounted at {}: logins there fail (OpenBao and Vault 1.10+ answer 403 permission denied)", role.auth_path),
                    format!(
                        "Point {} at the kubernetes auth mount (`vault auth list`, e.g. auth/kubernetes), or enable one there (vault auth enable -path={} kubernetes).",
                        mount_setting(u),
                        role.auth_path.trim_start_matches("auth/")
                    ),
                )
                .evidence(format!("GET {}: 404 (no handler for route: nothing is mounted at {})", role.path(), role.auth_path)),
            );
            continue;
        }
        if !role.found {
            out.push(
                Finding::new(
                    Code::ConfigRoleMissing,
                    Severity::Error,
                    via(u),
                    format!("Role \"{}\" does not exist at {}: logins fail with invalid role name", role.name, role.auth_path),
                    format!(
                        "Create it (vault write {} bound_service_account_names={} bound_service_account_namespaces={} token_policies=...) or fix {}.",
                        role.path(),
                        u.service_account.as_deref().unwrap_or("<sa>"),
                        u.namespace,
                        role_setting(u)
                    ),
                )
                .evidence(format!("GET {}: 404 (role not found)", role.path())),
            );
            continue;
        }
        out.extend(binding_findings(u, role));
        out.extend(policy_findings(u, role, world));
    }
    out
}

fn binding_findings(u: &RoleUse, role: &AuthRole) -> Vec<Finding> {
    let mut out = Vec::new();
    let ns_ok = bound(&role.bound_service_account_namespaces, &u.namespace);
    // A namespace selector matches by labels vaultscope cannot see: no verdict.
    if !ns_ok && role.bound_service_account_namespace_selector.is_none() {
        out.push(
            Finding::new(
                Code::ConfigRoleBindingMismatch,
                Severity::Error,
                via(u),
                format!(
                    "Role \"{}\" does not bind namespace {}: logins fail with \"namespace not authorized\"",
                    role.name, u.namespace
                ),
                format!(
                    "Add \"{}\" to bound_service_account_namespaces of {}, or use a role bound to this namespace ({}).",
                    u.namespace,
                    role.path(),
                    role_setting(u)
                ),
            )
            .evidence(format!(
                "GET {}: bound_service_account_namespaces={}",
                role.path(),
                list(&role.bound_service_account_namespaces)
            )),
        );
    }
    if let Some(sa) = &u.service_account
        && !bound(&role.bound_service_account_names, sa)
    {
        out.push(
            Finding::new(
                Code::ConfigRoleBindingMismatch,
                Severity::Error,
                via(u),
                format!(
                    "Role \"{}\" does not bind service account {}/{}: logins fail with \"service account name not authorized\"",
                    role.name, u.namespace, sa
                ),
                format!(
                    "Add \"{sa}\" to bound_service_account_names of {}, or run the pod as a bound service account (spec.serviceAccountName).",
                    role.path()
                ),
            )
            .evidence(format!(
                "GET {}: bound_service_account_names={}",
                role.path(),
                list(&role.bound_service_account_names)
            )),
        );
    }
    out
}

/// The path the request really goes to. The agent (consul-template) adds
/// `data/` to a KV v2 path written without it (`secret/app` is read as
/// `secret/data/app`), so a policy on `secret/data/app` allows it; the CSI
/// provider sends the path as written.
fn read_path(path: &str, via: Injection, world: &World) -> String {
    if via == Injection::Agent
        && let Some((m, rest)) = resolve_mount(&world.vault.mounts, path)
        && m.engine == Engine::KvV2
        && !rest.is_empty()
        && !rest.starts_with("data/")
        && !rest.starts_with("metadata/")
    {
        return format!("{}/data/{rest}", m.path.trim_end_matches('/'));
    }
    path.to_string()
}

fn policy_findings(u: &RoleUse, role: &AuthRole, world: &World) -> Vec<Finding> {
    let names = role.effective_policies();
    let mut parsed = Vec::new();
    for n in &names {
        let Some(p) = world.vault.policies.iter().find(|p| &p.name == n) else {
            // Not read (yet, or not allowed): no verdict.
            return Vec::new();
        };
        match &p.rules {
            None => {} // does not exist: grants nothing
            Some(text) => match policy::parse(text) {
                Ok(r) => parsed.push((n.as_str(), r)),
                Err(_) => return Vec::new(),
            },
        }
    }
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| {
            world
                .vault
                .policies
                .iter()
                .any(|p| &p.name == *n && p.rules.is_none())
        })
        .map(String::as_str)
        .collect();
    let acl = Acl::new(parsed);
    let mut out = Vec::new();
    for path in &u.paths {
        let path = &read_path(path, u.via, world);
        let cap = policy::needed_capability(path);
        let d = acl.check(path, cap);
        if d.allowed {
            continue;
        }
        let policies: Vec<String> = d.policies.iter().cloned().collect();
        let (message, evidence) = match &d.rule {
            Some(rule) if d.capabilities.contains("deny") => (
                format!(
                    "Policy {} denies {path} (rule path \"{rule}\" has deny): the {} read gets 403 permission denied",
                    policies.join(", "),
                    u.via
                ),
                format!(
                    "path \"{rule}\" {{ capabilities = [\"deny\"] }} in {}",
                    policies.join(", ")
                ),
            ),
            Some(rule) => (
                format!(
                    "Policy {} does not grant \"{cap}\" on {path}: the {} read gets 403 permission denied",
                    policies.join(", "),
                    u.via
                ),
                format!(
                    "the most specific rule is path \"{rule}\" with capabilities {:?}",
                    d.capabilities
                ),
            ),
            None => (
                format!(
                    "No policy of role \"{}\" ({}) allows \"{cap}\" on {path}: the {} read gets 403 permission denied",
                    role.name,
                    names.join(", "),
                    u.via
                ),
                format!(
                    "no path rule in {} matches {path}{}",
                    names.join(", "),
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!(" (policy {} does not exist)", missing.join(", "))
                    }
                ),
            ),
        };
        let target = d
            .policies
            .iter()
            .next()
            .cloned()
            .or_else(|| role.token_policies.first().cloned())
            .unwrap_or_else(|| "<policy>".into());
        out.push(
            Finding::new(
                Code::ConfigPolicyDeniesPath,
                Severity::Error,
                via(u),
                message,
                format!(
                    "Add path \"{path}\" {{ capabilities = [\"{cap}\"] }} to policy {target} (sys/policies/acl/{target}), attach a policy that has it to {} (token_policies), or fix the path in {}.",
                    role.path(),
                    path_setting(u)
                ),
            )
            .evidence(evidence),
        );
    }
    out
}

/// What vaultscope's own token lacks, as one global finding per path.
pub fn permission_findings(problems: &[PermissionProblem]) -> Vec<Finding> {
    problems
        .iter()
        .map(|p| {
            if p.capability == "token" {
                return Finding::new(
                    Code::VaultscopePermissionLimited,
                    Severity::Warning,
                    Via::Vault,
                    format!("vaultscope has no Vault token: {}", p.impact),
                    "Set VAULT_TOKEN (or BAO_TOKEN, or ~/.vault-token) to a token with the policy in docs/vaultscope-policy.hcl.",
                );
            }
            Finding::new(
                Code::VaultscopePermissionLimited,
                Severity::Warning,
                Via::Vault,
                format!(
                    "vaultscope's token lacks \"{}\" on {}: {}",
                    p.capability, p.path, p.impact
                ),
                "Give vaultscope's token the policy in docs/vaultscope-policy.hcl (bao/vault policy write vaultscope docs/vaultscope-policy.hcl); everything else is still shown.",
            )
            .evidence(format!("{} on {}: 403 permission denied", p.capability, p.path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::injector::Dialect;
    use crate::model::interest::RoleRef;
    use crate::model::vault::AclPolicy;

    fn role(name: &str, sas: &[&str], nss: &[&str], policies: &[&str]) -> AuthRole {
        AuthRole {
            auth_path: "auth/kubernetes".into(),
            name: name.into(),
            found: true,
            mount_missing: false,
            bound_service_account_names: sas.iter().map(|s| s.to_string()).collect(),
            bound_service_account_namespaces: nss.iter().map(|s| s.to_string()).collect(),
            bound_service_account_namespace_selector: None,
            audience: None,
            token_policies: policies.iter().map(|s| s.to_string()).collect(),
            token_no_default_policy: true,
            token_ttl: None,
            token_max_ttl: None,
        }
    }

    fn use_of(role: &str, ns: &str, sa: &str, paths: &[&str]) -> RoleUse {
        RoleUse {
            via: Injection::Agent,
            role: RoleRef {
                auth_path: "auth/kubernetes".into(),
                role: role.into(),
            },
            namespace: ns.into(),
            service_account: Some(sa.into()),
            class: None,
            paths: paths.iter().map(|s| s.to_string()).collect(),
            dialect: Dialect::Vault,
        }
    }

    fn world(roles: Vec<AuthRole>, policies: &[(&str, Option<&str>)]) -> World {
        let mut w = World::default();
        w.vault.roles = roles;
        w.vault.policies = policies
            .iter()
            .map(|(n, r)| AclPolicy {
                name: n.to_string(),
                rules: r.map(str::to_string),
            })
            .collect();
        w
    }

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn healthy_role_gives_nothing() {
        let w = world(
            vec![role("web", &["web-*"], &["shop"], &["web"])],
            &[(
                "web",
                Some(r#"path "secret/data/web/*" { capabilities = ["read"] }"#),
            )],
        );
        let f = role_findings(
            &[use_of(
                "web",
                "shop",
                "web-api",
                &["secret/data/web/config"],
            )],
            &w,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn missing_role_and_unread_roles() {
        let mut missing = role("ghost", &[], &[], &[]);
        missing.found = false;
        let w = world(vec![missing], &[]);
        let f = role_findings(&[use_of("ghost", "shop", "ghost", &[])], &w);
        assert_eq!(codes(&f), vec![Code::ConfigRoleMissing]);
        assert!(f[0].hint.contains("auth/kubernetes/role/ghost"));
        // A role vaultscope has not read gives no verdict.
        assert!(role_findings(&[use_of("other", "shop", "x", &[])], &w).is_empty());
    }

    #[test]
    fn a_role_asked_of_a_mount_that_does_not_exist_names_the_mount() {
        // auth-path auth/k8s where only auth/kubernetes is enabled, as the
        // workshop lab's legacy workload has it (tests/real_lab.rs).
        let mut r = AuthRole::without_mount("auth/k8s", "webapp");
        r.auth_path = "auth/k8s".into();
        let w = world(vec![r], &[]);
        let mut u = use_of("webapp", "tutorial", "legacy", &[]);
        u.role.auth_path = "auth/k8s".into();
        let f = role_findings(&[u], &w);
        assert_eq!(codes(&f), vec![Code::AuthMountNotFound], "{f:#?}");
        assert!(
            f[0].message
                .contains("No auth method is mounted at auth/k8s")
        );
        assert!(f[0].hint.contains("vault.hashicorp.com/auth-path"));
        assert!(f[0].hint.contains("vault auth enable -path=k8s kubernetes"));
    }

    #[test]
    fn binding_mismatch_names_the_role_field() {
        let w = world(
            vec![role("ledger", &["ledger-writer"], &["pay*"], &["p"])],
            &[("p", None)],
        );
        let f = role_findings(&[use_of("ledger", "payments", "ledger", &[])], &w);
        assert_eq!(codes(&f), vec![Code::ConfigRoleBindingMismatch]);
        assert!(f[0].hint.contains("bound_service_account_names"));
        let f = role_findings(&[use_of("ledger", "shop", "ledger-writer", &[])], &w);
        assert_eq!(codes(&f), vec![Code::ConfigRoleBindingMismatch]);
        assert!(f[0].hint.contains("bound_service_account_namespaces"));
        // A namespace selector: vaultscope cannot see labels, so no verdict.
        let mut r = role("sel", &["*"], &[], &[]);
        r.bound_service_account_namespace_selector = Some("{\"matchLabels\":{}}".into());
        let w = world(vec![r], &[]);
        assert!(role_findings(&[use_of("sel", "any", "x", &[])], &w).is_empty());
    }

    #[test]
    fn policy_denies_path_names_policy_and_path() {
        let w = world(
            vec![role(
                "ledger",
                &["ledger"],
                &["payments"],
                &["ledger", "extra"],
            )],
            &[
                (
                    "ledger",
                    Some(r#"path "secret/data/ledger/*" { capabilities = ["read"] }"#),
                ),
                (
                    "extra",
                    Some(r#"path "secret/data/payments/*" { capabilities = ["deny"] }"#),
                ),
            ],
        );
        let f = role_findings(
            &[use_of(
                "ledger",
                "payments",
                "ledger",
                &[
                    "secret/data/ledger/db",
                    "secret/data/payments/config",
                    "secret/data/other",
                ],
            )],
            &w,
        );
        assert_eq!(codes(&f), vec![Code::ConfigPolicyDeniesPath; 2]);
        assert!(
            f[0].message.contains("extra") && f[0].message.contains("secret/data/payments/config")
        );
        assert!(f[1].message.contains("secret/data/other"));
        assert!(f[1].hint.contains("policy ledger"));
        // A policy not read yet: no verdict.
        let w = world(
            vec![role("ledger", &["ledger"], &["payments"], &["ledger"])],
            &[],
        );
        assert!(role_findings(&[use_of("ledger", "payments", "ledger", &["x/y"])], &w).is_empty());
    }

    #[test]
    fn permission_problems_become_global_findings() {
        let f = permission_findings(&[PermissionProblem {
            path: "auth/token/accessors".into(),
            capability: "sudo".into(),
            impact: "agent tokens are not shown".into(),
        }]);
        assert_eq!(f[0].code, Code::VaultscopePermissionLimited);
        assert!(f[0].message.contains("\"sudo\" on auth/token/accessors"));
    }

    #[test]
    fn globs_like_the_kubernetes_auth_plugin() {
        assert!(glob_match("dev-*", "dev-api"));
        assert!(glob_match("*-api", "dev-api"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c*e", "abde"));
        assert!(!glob_match("ledger-writer", "ledger"));
        assert!(bound(&["*".into()], "anything"));
        assert!(!bound(&[], "x"));
        assert!(bound(&["web".into(), "pay*".into()], "payments"));
    }

    #[test]
    fn agent_kv_v2_paths_without_data_are_checked_as_the_agent_reads_them() {
        let mut w = world(
            vec![role("web", &["web"], &["shop"], &["web"])],
            &[(
                "web",
                Some(r#"path "secret/data/web/*" { capabilities = ["read"] }"#),
            )],
        );
        w.vault.mounts = vec![crate::model::vault::MountInfo {
            path: "secret".into(),
            kind: "kv".into(),
            engine: Engine::KvV2,
        }];
        // consul-template reads secret/web/config as secret/data/web/config.
        let agent = use_of("web", "shop", "web", &["secret/web/config"]);
        assert!(role_findings(std::slice::from_ref(&agent), &w).is_empty());
        // The CSI provider sends the path as written: that one is denied.
        let mut csi = agent;
        csi.via = Injection::Csi;
        assert_eq!(
            codes(&role_findings(&[csi], &w)),
            vec![Code::ConfigPolicyDeniesPath]
        );
    }
}
