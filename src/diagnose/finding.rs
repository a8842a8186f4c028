//! Findings and their stable codes.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

/// Stable finding codes. The JSON output and users' scripts depend on the
/// strings: add new codes freely, never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    InjectionNotInjected,
    InjectionWebhookFailed,
    InjectionSystemNamespace,
    InjectionNoRole,
    InjectionBadAnnotation,
    InjectionInjectorUnavailable,
    AuthInvalidRole,
    AuthServiceAccountNotAuthorized,
    AuthNamespaceNotAuthorized,
    AuthAudienceMismatch,
    AuthPermissionDenied,
    /// The login went to an auth mount that does not exist (wrong
    /// `auth-path`, or the wrong Vault namespace).
    AuthMountNotFound,
    /// The token's `iss` claim is not the issuer the auth backend expects.
    AuthIssuerMismatch,
    /// The service account token itself was rejected: expired, not yet
    /// valid, or signed with an unexpected algorithm.
    AuthJwtInvalid,
    /// The kubernetes auth mount exists but `auth/<mount>/config` was never written.
    AuthNotConfigured,
    VaultSealed,
    /// Vault answered but cannot serve: 5xx, no active node, standby errors.
    VaultUnavailable,
    VaultUnreachable,
    VaultTlsError,
    SecretPermissionDenied,
    SecretNotFound,
    SecretMissingKey,
    RenewalTokenFailed,
    RenewalLeaseFailed,
    ContainerInitStuck,
    ContainerCrashLoop,
    ContainerOomKilled,
    ContainerImagePull,
    /// An agent container exited non-zero and has not been restarted (yet).
    ContainerFailed,
    /// The agent could not write a file (template destination or token
    /// sink): a volume or securityContext problem, not a Vault one.
    AgentFileWriteFailed,
    /// The pod has not been scheduled, so no agent has started.
    PodUnscheduled,
    /// The kubelet evicted the pod (memory or ephemeral-storage pressure).
    PodEvicted,
    /// A pod still holds an older KV version long after its render interval.
    RotationNotPropagated,
    /// A pod picked up a new version much later than its render interval.
    RotationLagging,
    /// New credentials or a certificate rendered with no command to reload the app.
    RotationNoReload,
    /// A CSI mount of Vault objects on a driver that does not rotate mounts.
    RotationCsiRotationDisabled,
    CsiMountFailed,
    CsiClassNotFound,
    CsiDriverMissing,
    CsiSyncFailed,
    LeaseExpiring,
    LeaseExpired,
    CertExpiring,
    CertExpired,
    ConfigRoleMissing,
    ConfigRoleBindingMismatch,
    ConfigPolicyDeniesPath,
    VaultscopePermissionLimited,
    /// A kubernetes auth mount's config does not fit the watched cluster.
    ConfigAuthBackendMismatch,
}

impl Code {
    pub const ALL: &[Code] = &[
        Code::InjectionNotInjected,
        Code::InjectionWebhookFailed,
        Code::InjectionSystemNamespace,
        Code::InjectionNoRole,
        Code::InjectionBadAnnotation,
        Code::InjectionInjectorUnavailable,
        Code::AuthInvalidRole,
        Code::AuthServiceAccountNotAuthorized,
        Code::AuthNamespaceNotAuthorized,
        Code::AuthAudienceMismatch,
        Code::AuthPermissionDenied,
        Code::AuthMountNotFound,
        Code::AuthIssuerMismatch,
        Code::AuthJwtInvalid,
        Code::AuthNotConfigured,
        Code::VaultSealed,
        Code::VaultUnavailable,
        Code::VaultUnreachable,
        Code::VaultTlsError,
        Code::SecretPermissionDenied,
        Code::SecretNotFound,
        Code::SecretMissingKey,
        Code::RenewalTokenFailed,
        Code::RenewalLeaseFailed,
        Code::ContainerInitStuck,
        Code::ContainerCrashLoop,
        Code::ContainerOomKilled,
        Code::ContainerImagePull,
        Code::ContainerFailed,
        Code::AgentFileWriteFailed,
        Code::PodUnscheduled,
        Code::PodEvicted,
        Code::RotationNotPropagated,
        Code::RotationLagging,
        Code::RotationNoReload,
        Code::RotationCsiRotationDisabled,
        Code::CsiMountFailed,
        Code::CsiClassNotFound,
        Code::CsiDriverMissing,
        Code::CsiSyncFailed,
        Code::LeaseExpiring,
        Code::LeaseExpired,
        Code::CertExpiring,
        Code::CertExpired,
        Code::ConfigRoleMissing,
        Code::ConfigRoleBindingMismatch,
        Code::ConfigPolicyDeniesPath,
        Code::VaultscopePermissionLimited,
        Code::ConfigAuthBackendMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            InjectionNotInjected => "injection.not_injected",
            InjectionWebhookFailed => "injection.webhook_failed",
            InjectionSystemNamespace => "injection.system_namespace",
            InjectionNoRole => "injection.no_role",
            InjectionBadAnnotation => "injection.bad_annotation",
            InjectionInjectorUnavailable => "injection.injector_unavailable",
            AuthInvalidRole => "auth.invalid_role",
            AuthServiceAccountNotAuthorized => "auth.service_account_not_authorized",
            AuthNamespaceNotAuthorized => "auth.namespace_not_authorized",
            AuthAudienceMismatch => "auth.audience_mismatch",
            AuthPermissionDenied => "auth.permission_denied",
            AuthMountNotFound => "auth.mount_not_found",
            AuthIssuerMismatch => "auth.issuer_mismatch",
            AuthJwtInvalid => "auth.jwt_invalid",
            AuthNotConfigured => "auth.not_configured",
            VaultUnavailable => "vault.unavailable",
            AgentFileWriteFailed => "agent.file_write_failed",
            PodUnscheduled => "pod.unscheduled",
            PodEvicted => "pod.evicted",
            RotationNotPropagated => "rotation.not_propagated",
            RotationLagging => "rotation.lagging",
            RotationNoReload => "rotation.no_reload",
            RotationCsiRotationDisabled => "rotation.csi_rotation_disabled",
            VaultSealed => "vault.sealed",
            VaultUnreachable => "vault.unreachable",
            VaultTlsError => "vault.tls_error",
            SecretPermissionDenied => "secret.permission_denied",
            SecretNotFound => "secret.not_found",
            SecretMissingKey => "secret.missing_key",
            RenewalTokenFailed => "renewal.token_failed",
            RenewalLeaseFailed => "renewal.lease_failed",
            ContainerInitStuck => "container.init_stuck",
            ContainerCrashLoop => "container.crash_loop",
            ContainerOomKilled => "container.oom_killed",
            ContainerImagePull => "container.image_pull",
            ContainerFailed => "container.failed",
            CsiMountFailed => "csi.mount_failed",
            CsiClassNotFound => "csi.class_not_found",
            CsiDriverMissing => "csi.driver_missing",
            CsiSyncFailed => "csi.sync_failed",
            LeaseExpiring => "lease.expiring",
            LeaseExpired => "lease.expired",
            CertExpiring => "cert.expiring",
            CertExpired => "cert.expired",
            ConfigRoleMissing => "config.role_missing",
            ConfigRoleBindingMismatch => "config.role_binding_mismatch",
            ConfigPolicyDeniesPath => "config.policy_denies_path",
            VaultscopePermissionLimited => "vaultscope.permission_limited",
            ConfigAuthBackendMismatch => "config.auth_backend_mismatch",
        }
    }

    /// Codes that name a general symptom; a specific cause found for the same
    /// container replaces them.
    pub fn is_generic(self) -> bool {
        matches!(
            self,
            Code::ContainerInitStuck
                | Code::ContainerCrashLoop
                | Code::ContainerFailed
                | Code::CsiMountFailed
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Health of a workload: the worst severity among its findings, with info counting as ok.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Warning,
    Error,
}

impl Health {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Health {
        match findings.into_iter().map(|f| f.severity).max() {
            Some(Severity::Error) => Health::Error,
            Some(Severity::Warning) => Health::Warning,
            _ => Health::Ok,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warning => "warning",
            Health::Error => "error",
        }
    }
}

/// Which part of the injection path a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    AgentInit,
    Agent,
    Csi,
    Webhook,
    Vault,
    Config,
    /// What Kubernetes did to the pod: scheduling, eviction.
    Kubernetes,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::AgentInit => "agent-init",
            Via::Agent => "agent",
            Via::Csi => "csi",
            Via::Webhook => "webhook",
            Via::Vault => "vault",
            Via::Config => "config",
            Via::Kubernetes => "kubernetes",
        }
    }

    pub fn for_container(name: &str) -> Via {
        if crate::model::injector::is_agent_init(name) {
            Via::AgentInit
        } else {
            Via::Agent
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub via: Via,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    /// Borrowed when it is a fixed sentence (most are, and a big cluster has
    /// thousands of the same finding).
    pub message: Cow<'static, str>,
    /// The exact log line(s) or event message that prove it.
    pub evidence: Option<String>,
    /// What to do, naming the annotation, role field or policy involved.
    pub hint: Cow<'static, str>,
}

impl Finding {
    pub fn new(
        code: Code,
        severity: Severity,
        via: Via,
        message: impl Into<Cow<'static, str>>,
        hint: impl Into<Cow<'static, str>>,
    ) -> Self {
        Finding {
            code,
            severity,
            via,
            namespace: None,
            workload: None,
            pod: None,
            container: None,
            message: message.into(),
            evidence: None,
            hint: hint.into(),
        }
    }

    pub fn pod(mut self, pod: &str) -> Self {
        self.pod = Some(pod.to_string());
        self
    }

    pub fn container(mut self, c: &str) -> Self {
        self.container = Some(c.to_string());
        self
    }

    pub fn evidence(mut self, e: impl Into<String>) -> Self {
        self.evidence = Some(e.into());
        self
    }
}
