//! Messages and fixes for causes found in agent logs and CSI events. Every
//! hint names the annotation, role field or policy the user has to change.

use super::finding::{Code, Finding, Severity, Via};
use super::text::Cause;
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
    match cause.code {
        Code::RenewalTokenFailed if evidence.contains("exceeded max retries") => Severity::Error,
        Code::RenewalTokenFailed | Code::RenewalLeaseFailed => Severity::Warning,
        _ => Severity::Error,
    }
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
                "Check {}/config (kubernetes_host, kubernetes_ca_cert, token_reviewer_jwt) and that Vault's reviewer service account has the system:auth-delegator ClusterRole; a deleted and recreated service account causes this too.",
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
        Code::RenewalTokenFailed => (
            "The agent could not renew its Vault token".to_string(),
            format!(
                "Check token_ttl / token_max_ttl / token_period of {role_path}; the agent re-authenticates, but a short max TTL causes constant re-logins."
            ),
        ),
        Code::RenewalLeaseFailed => (
            "A dynamic secret's lease could not be renewed (it may have reached its max TTL)".to_string(),
            format!("Raise max_ttl of the secrets engine role, and make the app reload on re-render ({prefix}agent-inject-command-<name>)."),
        ),
        other => (other.as_str().to_string(), String::new()),
    };
    Finding::new(cause.code, severity(cause, evidence), via, message, hint).evidence(evidence)
}
