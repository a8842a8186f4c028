//! Preflight findings: the stable code (the same as `check` where the cause
//! is the same), where the mistake is (file, line, object), what it does and
//! how to fix it. And the report: which rings ran, and the findings.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::diagnose::{self, Severity};

/// A finding's code: one of `check`'s, or one only preflight gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The same cause as `check` reports on a running pod.
    Check(diagnose::Code),
    /// Injection annotations on the controller's metadata, not its pod template.
    AnnotationsOnController,
    /// An annotation or label value that is not a string (the API server refuses it).
    NotAString,
    /// An agent template reads other paths than its `agent-inject-secret-*` names.
    SecretTemplateMismatch,
    /// A KV v2 path without `data/` in an agent template.
    KvV2PathWithoutData,
    /// A template reads `.Data.<key>` from a KV v2 secret (the key is under `.Data.data`).
    KvV2TemplateKeys,
    /// SecretProviderClass parameters the Vault CSI provider cannot use.
    SpcInvalidParameters,
    /// The pod's service account is not defined (in the input, or the cluster).
    ServiceAccountMissing,
    /// The injector webhook's namespaceSelector does not select the namespace.
    NamespaceNotSelected,
    /// The injector webhook's objectSelector does not select the pod.
    PodNotSelected,
    /// No MutatingWebhookConfiguration of the injector the pod asks for.
    InjectorMissing,
    /// A database or PKI role the secret path names does not exist.
    EngineRoleMissing,
    /// The role requires an audience the login token may not carry.
    AudienceUnverified,
    /// The namespace does not exist (and is not in the input).
    NamespaceMissing,
}

impl Code {
    /// The codes only preflight gives (documented in README.md).
    pub const OWN: &[Code] = &[
        Code::AnnotationsOnController,
        Code::NotAString,
        Code::SecretTemplateMismatch,
        Code::KvV2PathWithoutData,
        Code::KvV2TemplateKeys,
        Code::SpcInvalidParameters,
        Code::ServiceAccountMissing,
        Code::NamespaceNotSelected,
        Code::PodNotSelected,
        Code::InjectorMissing,
        Code::EngineRoleMissing,
        Code::AudienceUnverified,
        Code::NamespaceMissing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Check(c) => c.as_str(),
            Code::AnnotationsOnController => "preflight.annotations_on_controller",
            Code::NotAString => "preflight.not_a_string",
            Code::SecretTemplateMismatch => "preflight.secret_template_mismatch",
            Code::KvV2PathWithoutData => "preflight.kv_v2_path_without_data",
            Code::KvV2TemplateKeys => "preflight.kv_v2_template_keys",
            Code::SpcInvalidParameters => "preflight.spc_invalid_parameters",
            Code::ServiceAccountMissing => "preflight.service_account_missing",
            Code::NamespaceNotSelected => "preflight.namespace_not_selected",
            Code::PodNotSelected => "preflight.pod_not_selected",
            Code::InjectorMissing => "preflight.injector_missing",
            Code::EngineRoleMissing => "preflight.engine_role_missing",
            Code::AudienceUnverified => "preflight.audience_unverified",
            Code::NamespaceMissing => "preflight.namespace_missing",
        }
    }

    /// One line on what the code means (SARIF's rule description).
    pub fn title(self) -> &'static str {
        use diagnose::Code as C;
        match self {
            Code::Check(C::InjectionBadAnnotation) => {
                "An injector annotation is unknown or has a value the injector rejects"
            }
            Code::Check(C::InjectionNoRole) => "Injection is requested without a Vault role",
            Code::Check(C::InjectionSystemNamespace) => {
                "The injector never injects into this namespace"
            }
            Code::Check(C::InjectionInjectorUnavailable) => {
                "The injector webhook has no ready endpoints"
            }
            Code::Check(C::CsiClassNotFound) => {
                "A CSI volume names a SecretProviderClass that does not exist"
            }
            Code::Check(C::CsiMountFailed) => "A CSI volume cannot be mounted as written",
            Code::Check(C::CsiDriverMissing) => "The Secrets Store CSI driver is not installed",
            Code::Check(C::ConfigRoleMissing) => "The Vault role does not exist",
            Code::Check(C::ConfigRoleBindingMismatch) => {
                "The Vault role does not bind the service account or namespace"
            }
            Code::Check(C::ConfigPolicyDeniesPath) => {
                "The role's policies do not grant a secret path"
            }
            Code::Check(C::SecretNotFound) => "No secret exists at the path",
            Code::Check(C::AuthAudienceMismatch) => "The login token's audience is not the role's",
            Code::Check(C::AuthMountNotFound) => "The auth mount does not exist",
            Code::Check(C::VaultUnreachable) => "Vault is unreachable",
            Code::Check(C::VaultSealed) => "Vault is sealed",
            Code::Check(C::VaultscopePermissionLimited) => {
                "vaultscope's token may not read what a check needs"
            }
            Code::Check(_) => "See `vaultscope check` codes in README.md",
            Code::AnnotationsOnController => {
                "Injection annotations are on the controller, not its pod template"
            }
            Code::NotAString => "An annotation or label value is not a string",
            Code::SecretTemplateMismatch => {
                "An agent template reads other paths than its secret annotation names"
            }
            Code::KvV2PathWithoutData => "A KV v2 path is written without data/",
            Code::KvV2TemplateKeys => {
                "A template reads KV v2 keys from .Data instead of .Data.data"
            }
            Code::SpcInvalidParameters => {
                "SecretProviderClass parameters the Vault provider cannot use"
            }
            Code::ServiceAccountMissing => "The pod's service account is not defined",
            Code::NamespaceNotSelected => "The injector webhook does not select the namespace",
            Code::PodNotSelected => "The injector webhook does not select the pod",
            Code::InjectorMissing => "The injector the pod asks for is not installed",
            Code::EngineRoleMissing => "The database or PKI role of a secret path does not exist",
            Code::AudienceUnverified => {
                "The role requires an audience the login token may not carry"
            }
            Code::NamespaceMissing => "The namespace does not exist",
        }
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

/// Which source a check needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ring {
    /// The manifests alone.
    Manifests,
    /// Vault (or OpenBao): roles, policies, KV metadata.
    Vault,
    /// The cluster: service accounts, classes, the injector.
    Cluster,
}

impl Ring {
    pub fn as_str(self) -> &'static str {
        match self {
            Ring::Manifests => "manifests",
            Ring::Vault => "vault",
            Ring::Cluster => "cluster",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub ring: Ring,
    /// The input, as given (`<stdin>` for stdin).
    pub file: String,
    /// 1-based line of the offending key.
    pub line: usize,
    /// `Deployment payments/ledger`.
    pub object: String,
    pub message: String,
    pub fix: String,
    /// What proves it: the value read, Vault's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Whether a ring ran, and on what (or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RingRun {
    pub ring: Ring,
    pub ran: bool,
    pub detail: String,
}

/// Everything one preflight found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub rings: Vec<RingRun>,
    pub files: Vec<String>,
    pub documents: usize,
    /// Objects preflight read (workloads, service accounts, namespaces,
    /// classes, webhooks).
    pub objects: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Findings in reading order: by file (in input order), line, then
    /// worst first; the same finding twice is kept once.
    pub fn sort(&mut self) {
        let order: Vec<String> = self.files.clone();
        let pos = |f: &str| order.iter().position(|x| x == f).unwrap_or(usize::MAX);
        self.findings.sort_by(|a, b| {
            pos(&a.file)
                .cmp(&pos(&b.file))
                .then(a.line.cmp(&b.line))
                .then(b.severity.cmp(&a.severity))
                .then(a.code.cmp(&b.code))
                .then(a.message.cmp(&b.message))
        });
        self.findings.dedup();
    }
}
