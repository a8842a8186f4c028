//! Messages and fixes for causes found in agent logs and CSI events. Every
//! hint names the annotation, role field or policy the user has to change.

use super::finding::{Code, Finding, Severity, Via};
use super::text::{Cause, Why};
use crate::model::injector::Dialect;

/// Where the failing login or read was configured, so hints can name it.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The pod's injector annotations: their prefix is what fixes name.
    pub dialect: Dialect,
    pub role: Option<String>,
    /// e.g. `auth/kubernetes`.
    pub auth_path: String,
    pub service_account: String,
    pub namespace: String,
    /// The SecretProviderClass, for CSI findings.
    pub class: Option<String>,
    /// The Vault address the pod is configured with, if known.
    pub vault_service: Option<String>,
}

impl AuthContext {
    fn role_label(&self) -> String {
        match &self.role {
            Some(r) => format!("\"{r}\""),
            None => "(no role set)".into(),
        }
    }

    fn role_path(&self) -> String {
        format!(
            "{}/role/{}",
            self.auth_path.trim_end_matches('/'),
            self.role.as_deref().unwrap_or("<role>")
        )
    }

    /// Where the role is chosen: the annotation, or the class's `roleName`.
    fn role_setting(&self, via: Via) -> String {
        match (&self.class, via) {
            (Some(c), Via::Csi) => format!("roleName in SecretProviderClass {c}"),
            _ => format!("the {}role annotation", self.dialect.prefix()),
        }
    }

    /// Where a secret path is set.
    fn path_setting(&self, via: Via) -> String {
        match (&self.class, via) {
            (Some(c), Via::Csi) => format!("objects[].secretPath in SecretProviderClass {c}"),
            _ => format!(
                "the {}agent-inject-secret-<name> annotation (and its template)",
                self.dialect.prefix()
            ),
        }
    }
}

pub fn severity(cause: &Cause, evidence: &str) -> Severity {
    match (cause.code, cause.why) {
        (Code::RenewalTokenFailed, _) if evidence.contains("exceeded max retries") => {
            Severity::Error
        }
        // Reaching max TTL is how dynamic secrets end: the agent reads a new one.
        (Code::RenewalTokenFailed | Code::RenewalLeaseFailed, Some(Why::MaxTtl)) => Severity::Info,
        (Code::RenewalTokenFailed | Code::RenewalLeaseFailed, _) => Severity::Warning,
        _ => Severity::Error,
    }
}

fn lease_of(detail: Option<&str>) -> String {
    detail.map_or_else(|| "a dynamic secret".to_string(), str::to_string)
}

/// Build the finding for a cause, with message and hint for its context.
pub fn finding(cause: &Cause, via: Via, ctx: &AuthContext, evidence: &str) -> Finding {
    let role = ctx.role_label();
    let prefix = ctx.dialect.prefix();
    let role_path = ctx.role_path();
    let detail = cause.detail.as_deref();
    let (message, hint) = match cause.code {
        Code::AuthInvalidRole => (
            format!(
                "Vault has no role {} at {}",
                detail.map(|d| format!("\"{d}\"")).unwrap_or(role.clone()),
                ctx.auth_path
            ),
            format!(
                "Create the role at {} or correct {}; `vault list {}/role` shows the roles that exist.",
                role_path,
                ctx.role_setting(via),
                ctx.auth_path
            ),
        ),
        Code::AuthServiceAccountNotAuthorized => (
            format!(
                "Vault role {role} does not allow service account \"{}\"",
                ctx.service_account
            ),
            format!(
                "Add \"{}\" to bound_service_account_names of {role_path}, or run the pod as a service account the role binds (spec.serviceAccountName).",
                ctx.service_account
            ),
        ),
        Code::AuthNamespaceNotAuthorized => (
            format!("Vault role {role} does not allow namespace \"{}\"", ctx.namespace),
            format!(
                "Add \"{}\" to bound_service_account_namespaces (or bound_service_account_namespace_selector) of {role_path}.",
                ctx.namespace
            ),
        ),
        Code::AuthAudienceMismatch => (
            format!("The service account token's audience does not match role {role}"),
            match via {
                Via::Csi => format!(
                    "Make `audience` in SecretProviderClass {} match the audience field of {role_path}, or clear the role's audience.",
                    ctx.class.as_deref().unwrap_or("<class>")
                ),
                _ => format!(
                    "Set the audience field of {role_path} to the audience of the token the agent presents, or clear it; a projected token with a custom audience is chosen with {prefix}agent-service-account-token-volume-name."
                ),
            },
        ),
        Code::AuthPermissionDenied => (
            "Vault refused the Kubernetes login: it could not validate the service account token (TokenReview)".to_string(),
            format!(
                "Check {}/config (kubernetes_host, kubernetes_ca_cert, token_reviewer_jwt) and that Vault's reviewer service account has the system:auth-delegator ClusterRole; a deleted and recreated service account causes this too. Vault 1.10+ and OpenBao also answer 403 to a login at a mount that does not exist: check the auth-path. The Vault server log says which (`login unauthorized`).",
                ctx.auth_path.trim_end_matches('/')
            ),
        ),
        Code::VaultSealed => (
            "Vault is sealed, so every login and read fails".to_string(),
            "Unseal Vault (`vault operator unseal`) or check its auto-unseal; agents retry and recover by themselves once it is unsealed.".to_string(),
        ),
        Code::VaultUnreachable => (
            match &ctx.vault_service {
                Some(s) => format!("Cannot reach Vault at {s}"),
                None => "Cannot reach Vault".to_string(),
            },
            match via {
                Via::Csi => "Check vaultAddress in the SecretProviderClass, DNS and NetworkPolicies from the CSI provider pods to Vault.".to_string(),
                _ => format!("Check {prefix}service, DNS and NetworkPolicies; with a service mesh, start the agent after the proxy ({prefix}agent-init-first, or the mesh's hold-application-until-proxy-starts)."),
            },
        ),
        Code::VaultTlsError => (
            "TLS verification of the Vault server failed".to_string(),
            match via {
                Via::Csi => "Set vaultCACertPath (or vaultCADirectory) and vaultTLSServerName in the SecretProviderClass to match Vault's certificate.".to_string(),
                _ => format!("Give the agent Vault's CA with {prefix}ca-cert (mounted with {prefix}tls-secret) and match tls-server-name to the certificate; avoid tls-skip-verify."),
            },
        ),
        Code::SecretPermissionDenied => (
            match detail {
                Some(p) => format!("Vault policy denies reading {p}"),
                None => "Vault policy denies reading a secret".to_string(),
            },
            format!(
                "Grant read on {} in a policy of role {role} (token_policies at {role_path}); KV v2 policies need the /data/ path (secret/data/...).",
                detail.unwrap_or("the path")
            ),
        ),
        Code::SecretNotFound => (
            match detail {
                Some(p) => format!("No secret exists at {p}"),
                None => "A requested secret does not exist".to_string(),
            },
            format!(
                "Write the secret, or correct the path in {}{}.",
                ctx.path_setting(via),
                // The CSI provider sends the path as written; the agent adds
                // `data/` on KV v2 by itself.
                if via == Via::Csi { "; KV v2 paths need /data/ (secret/data/app, not secret/app)" } else { "" }
            ),
        ),
        Code::SecretMissingKey => (
            match detail {
                Some(k) => format!("The secret has no key \"{k}\""),
                None => "A template asks for a key the secret does not have".to_string(),
            },
            match via {
                Via::Csi => format!(
                    "Add the key to the secret or correct objects[].secretKey in SecretProviderClass {}.",
                    ctx.class.as_deref().unwrap_or("<class>")
                ),
                _ => format!("Add the key to the secret or correct the template ({prefix}agent-inject-template-<name>); without error-on-missing-key the file silently gets <no value>."),
            },
        ),
        Code::RenewalTokenFailed => match cause.why {
            Some(Why::Denied) => (
                "Vault refused to renew the agent's token (403 on auth/token/renew-self): its policies do not allow it".to_string(),
                format!(
                    "The `default` policy grants auth/token/renew-self; the role's tokens lack it (token_no_default_policy=true, or default was edited). Add it to token_policies of {role_path}, or grant update on auth/token/renew-self."
                ),
            ),
            Some(Why::MaxTtl) => (
                "The agent's token reached its max TTL; the agent logs in again".to_string(),
                format!("Expected. If it happens often, raise token_max_ttl of {role_path}."),
            ),
            _ => (
                "The agent could not renew its Vault token".to_string(),
                format!(
                    "Check token_ttl / token_max_ttl / token_period of {role_path}; the agent re-authenticates, but a short max TTL causes constant re-logins."
                ),
            ),
        },
        Code::RenewalLeaseFailed => {
            let lease = lease_of(detail);
            match cause.why {
                Some(Why::Denied) => (
                    format!("Vault refused to renew the lease of {lease} (403): the token's policies do not allow sys/leases/renew"),
                    format!("The `default` policy grants update on sys/leases/renew; add it to token_policies of {role_path} (or grant that path). Until then the agent re-reads the secret when the lease ends, and the app gets new credentials each time."),
                ),
                Some(Why::LeaseGone) => (
                    format!("The lease of {lease} is gone (not found, expired or not renewable), so it cannot be renewed"),
                    "The agent reads a new secret. If this repeats, look for something revoking the leases (`vault lease revoke -prefix`) and check the secrets engine role's ttl and max_ttl.".to_string(),
                ),
                Some(Why::MaxTtl) => (
                    format!("The lease of {lease} reached its max TTL; the agent reads a new secret"),
                    format!("Expected for dynamic secrets. Make the app reload on re-render ({prefix}agent-inject-command-<name>); raise max_ttl of the secrets engine role if rotations come too often."),
                ),
                None => (
                    format!("The lease of {lease} could not be renewed"),
                    format!("Read the failing line for Vault's answer; raise max_ttl of the secrets engine role if leases end too soon, and make the app reload on re-render ({prefix}agent-inject-command-<name>)."),
                ),
            }
        }
        Code::AuthMountNotFound => (
            format!(
                "The login went to {}, where Vault has no auth method",
                detail.map_or_else(|| "an auth path".to_string(), |m| format!("{m}/login"))
            ),
            format!(
                "Set {prefix}auth-path to the kubernetes auth mount (`vault auth list`), with its auth/ prefix (auth/kubernetes), and {prefix}namespace if the mount lives in a Vault namespace. Vault 1.9 and older answer \"missing client token\"; newer Vault and OpenBao answer 403 permission denied. Configured: {}.",
                ctx.auth_path
            ),
        ),
        Code::AuthIssuerMismatch => (
            "The service account token's issuer (iss) is not the one the auth backend expects".to_string(),
            format!(
                "Set issuer in {}/config to the cluster's service account issuer (`kubectl get --raw /.well-known/openid-configuration`), or leave it empty; older plugins also need disable_iss_validation=true.",
                ctx.auth_path.trim_end_matches('/')
            ),
        ),
        Code::AuthJwtInvalid => (
            "Vault rejected the service account token itself (expired, not yet valid, or an unexpected signing algorithm)".to_string(),
            format!(
                "A token file that is never refreshed expires: use the projected service account token (the injector's default) and check the node clocks; for signature problems check pem_keys in {}/config.",
                ctx.auth_path.trim_end_matches('/')
            ),
        ),
        Code::AuthNotConfigured => (
            format!("The auth method at {} was never configured", ctx.auth_path),
            format!(
                "Write its configuration: `vault write {}/config kubernetes_host=https://kubernetes.default.svc` (with kubernetes_ca_cert and a token_reviewer_jwt when Vault runs outside the cluster).",
                ctx.auth_path.trim_end_matches('/')
            ),
        ),
        Code::VaultUnavailable => (
            "Vault answered but could not serve the request (no active node, standby, overloaded or rate limited)".to_string(),
            "Check the Vault cluster: `vault status` on each node, the raft peers (`vault operator raft list-peers`) and the active node's logs; a 429 means a rate limit quota (`vault read sys/quotas/rate-limit/<name>`). Agents retry and recover once Vault serves again.".to_string(),
        ),
        Code::AgentFileWriteFailed => (
            match detail {
                Some(f) => format!("The agent could not write {f}"),
                None => "The agent could not write a file".to_string(),
            },
            format!("This is a volume or securityContext problem, not a Vault policy: the agent writes to its shared memory volume ({prefix}secret-volume-path); check readOnlyRootFilesystem, runAsUser/fsGroup ({prefix}agent-run-as-user, agent-run-as-group) and that the destination directory exists and is writable."),
        ),
        other => (other.as_str().to_string(), String::new()),
    };
    Finding::new(cause.code, severity(cause, evidence), via, message, hint).evidence(evidence)
}
