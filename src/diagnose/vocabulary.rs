//! The words each cause has been printed in, across the versions of the
//! components that print them. One table per cause; each phrase names who
//! prints it and when, taken from the upstream source or from what users
//! pasted into issue threads. Matching is on a lower-cased substring, so a
//! phrase is the stable part only (no quotes that differ between escaped and
//! multi-line forms, no version-specific prefixes).
//!
//! Sources, by short name:
//! - plugin: hashicorp/vault-plugin-auth-kubernetes `path_login.go`,
//!   `token_review.go`; OpenBao's copy, openbao/openbao
//!   `builtin/credential/kubernetes/`, uses the same words.
//! - jose: briankassouf/jose (fork of SermoDigital/jose `jwt/errors.go`), the
//!   plugin's JWT library until 2022, claim errors answered with code 500.
//! - cap: hashicorp/cap `jwt/jwt.go`, the plugin's JWT library since late
//!   2022; code 500 until plugin v0.15.0 (Vault 1.13, GH-179), 403 since.
//! - sdk: vault and openbao `sdk/helper/consts/error.go`, `sdk/logical/error.go`.
//! - router: vault/openbao `vault/router.go`; request_handling: `vault/request_handling.go`.
//! - consul-template: hashicorp/consul-template `dependency/vault_read.go`,
//!   `dependency/vault_common.go`, `watch/view.go`, `manager/runner.go`,
//!   `renderer/renderer.go`; OpenBao's fork in `command/template/` keeps them.
//! - agent: vault/openbao `command/agentproxyshared/auth/auth.go`,
//!   `command/agentproxyshared/sink/file/file_sink.go`, `command/agent/template/template.go`.
//! - csi-provider: hashicorp/vault-csi-provider `internal/provider/provider.go`,
//!   `internal/client/client.go`.

use super::finding::Code;

/// A stable substring, lower case, and who printed it when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub text: &'static str,
    pub used_by: &'static str,
}

const fn p(text: &'static str, used_by: &'static str) -> Phrase {
    Phrase { text, used_by }
}

/// The words of one cause.
#[derive(Debug, Clone, Copy)]
pub struct Wording {
    pub code: Code,
    pub phrases: &'static [Phrase],
}

impl Wording {
    /// The first phrase found in `lower` (already lower-cased).
    pub fn find(&self, lower: &str) -> Option<&'static Phrase> {
        self.phrases.iter().find(|ph| lower.contains(ph.text))
    }
}

pub const INVALID_ROLE: Wording = Wording {
    code: Code::AuthInvalidRole,
    phrases: &[p(
        "invalid role name",
        "plugin: `invalid role name %q`, code 400, every release; OpenBao 2.x the same",
    )],
};

pub const SERVICE_ACCOUNT_NOT_AUTHORIZED: Wording = Wording {
    code: Code::AuthServiceAccountNotAuthorized,
    phrases: &[p(
        "service account name not authorized",
        "plugin: code 500 in releases before v0.15.0 (vault-plugin-auth-kubernetes#49), 403 since",
    )],
};

pub const NAMESPACE_NOT_AUTHORIZED: Wording = Wording {
    code: Code::AuthNamespaceNotAuthorized,
    phrases: &[p(
        "namespace not authorized",
        "plugin: code 500 before v0.15.0, 403 since; `namespace not authorized err=` when the namespace selector lookup fails",
    )],
};

pub const AUDIENCE_MISMATCH: Wording = Wording {
    code: Code::AuthAudienceMismatch,
    phrases: &[
        p(
            "invalid audience (aud) claim",
            "cap: `invalid audience (aud) claim: audience claim does not match any expected audience`, plugin v0.14+ (vault-plugin-auth-kubernetes#175), OpenBao 2.x",
        ),
        p(
            "claim \"aud\" is invalid",
            "jose: `claim \"aud\" is invalid`, code 500, plugin releases up to 2022 (Vault 1.6, vault-plugin-auth-kubernetes#102)",
        ),
        p(
            "claim \\\"aud\\\" is invalid",
            "the same, as an escaped log value",
        ),
        p(
            "audience claim does not match",
            "cap: the tail of the audience error",
        ),
        p(
            "jwt valid for audience",
            "plugin token_review.go since v0.15.0: `service account jwt valid for audience(s) %v, but wanted %v` (server log)",
        ),
    ],
};

pub const ISSUER_MISMATCH: Wording = Wording {
    code: Code::AuthIssuerMismatch,
    phrases: &[
        p(
            "invalid issuer (iss) claim",
            "cap: plugin v0.14+, code 403 since v0.15.0; OpenBao 2.x",
        ),
        p(
            "claim \"iss\" is invalid",
            "jose: code 500 (ricoberger/vault-secrets-operator#104, vault-csi-provider#111)",
        ),
        p(
            "claim \\\"iss\\\" is invalid",
            "the same, as an escaped log value",
        ),
    ],
};

pub const TOKEN_INVALID: Wording = Wording {
    code: Code::AuthJwtInvalid,
    phrases: &[
        p(
            "invalid expiration time (exp) claim",
            "cap: `invalid expiration time (exp) claim: token is expired`",
        ),
        p("token is expired", "jose: `token is expired`, code 500"),
        p(
            "invalid not before (nbf) claim",
            "cap: `invalid not before (nbf) claim: token not yet valid`",
        ),
        p("token is not yet valid", "jose: code 500"),
        p(
            "invalid issued at (iat) claim",
            "cap: `invalid issued at (iat) claim: token issued in the future`",
        ),
        p(
            "invalid algorithm (alg) header parameter",
            "cap: `token signed with unexpected algorithm`",
        ),
    ],
};

pub const AUTH_NOT_CONFIGURED: Wording = Wording {
    code: Code::AuthNotConfigured,
    phrases: &[p(
        "could not load backend configuration",
        "plugin: code 500 when auth/<mount>/config was never written; every release, OpenBao the same",
    )],
};

/// Only meaningful for a login request: the mount it went to is not there.
pub const MOUNT_NOT_FOUND: Wording = Wording {
    code: Code::AuthMountNotFound,
    phrases: &[
        p(
            "missing client token",
            "request_handling: code 400 for a login to a path with no auth mount, Vault 1.9 and older (vault-k8s#75, vault-plugin-auth-kubernetes#109); Vault 1.10+ and OpenBao answer 403 permission denied instead (vault#13162)",
        ),
        p(
            "no handler for route",
            "router: code 404; `no handler for route '%s'` up to Vault 1.8, `no handler for route %q. route entry not found.` since, OpenBao the same",
        ),
    ],
};

pub const SEALED: Wording = Wording {
    code: Code::VaultSealed,
    phrases: &[
        p(
            "vault is sealed",
            "sdk: consts.ErrSealed, code 503, every Vault release; OpenBao 2.x keeps the words",
        ),
        p(
            "namespace is sealed",
            "sdk: OpenBao 2.x consts.ErrNamespaceSealed",
        ),
    ],
};

pub const UNAVAILABLE: Wording = Wording {
    code: Code::VaultUnavailable,
    phrases: &[
        p(
            "local node not active but active cluster node not found",
            "vault http/handler.go: code 500 from a standby that has no active node to forward to; OpenBao the same",
        ),
        p("vault is in standby mode", "sdk: consts.ErrStandby"),
        p(
            "please forward to the active node",
            "sdk: performance standby that could not forward",
        ),
        p(
            "overloaded, try again later",
            "sdk: Vault consts.ErrOverloaded, code 503 (not in OpenBao)",
        ),
        p(
            "rate limit quota exceeded",
            "sdk: `request path %q: rate limit quota exceeded`, code 429, Vault 1.5+ and OpenBao",
        ),
        p(
            "lease count quota exceeded",
            "sdk: code 429, Vault 1.5+ and OpenBao",
        ),
        p("upstream rate limited", "sdk: code 502"),
    ],
};

pub const TLS: Wording = Wording {
    code: Code::VaultTlsError,
    phrases: &[
        p("x509:", "Go crypto/x509, every client"),
        p("certificate signed by unknown authority", "Go crypto/x509"),
        p("tls: failed to verify", "Go crypto/tls 1.20+"),
        p("tls: bad certificate", "Go crypto/tls alert"),
        p(
            "http response to https client",
            "Go net/http: the client spoke TLS to a plain-HTTP listener",
        ),
        p("server gave http response", "Go net/http, older wording"),
    ],
};

pub const SECRET_NOT_FOUND: Wording = Wording {
    code: Code::SecretNotFound,
    phrases: &[
        p(
            "no secret exists at",
            "consul-template vault_read.go: `no secret exists at %s` (also a deleted KV v2 version); OpenBao's fork the same",
        ),
        p(
            "no secret read from",
            "consul-template 2018-era wording: `no secret read from %q`",
        ),
        p(
            "empty response from",
            "csi-provider: `empty response from %q, warnings: %v`",
        ),
    ],
};

pub const MISSING_KEY: Wording = Wording {
    code: Code::SecretMissingKey,
    phrases: &[
        p(
            "map has no entry for key",
            "Go text/template with missingkey=error (agent error_on_missing_key)",
        ),
        p(
            "does not exist at the secret path",
            "csi-provider: `{%s}: {key %q does not exist at the secret path}`",
        ),
    ],
};

/// The agent could not write a file: a template destination or its token
/// sink. The OS error tail (`permission denied`, `read-only file system`)
/// is what tells it from a Vault answer.
pub const FILE_WRITE: Wording = Wording {
    code: Code::AgentFileWriteFailed,
    phrases: &[
        p(
            "failed writing file",
            "consul-template renderer.go: `failed writing file: %w` inside `error rendering %q => %q` (vault#8379)",
        ),
        p(
            "failed setting file ownership",
            "consul-template renderer.go",
        ),
        p("parent directory is missing", "consul-template renderer.go"),
        p(
            "error opening temp file in dir",
            "agent file_sink.go: `error opening temp file in dir %s for writing`, at start (`error creating file sink: error during write check:`) and at runtime",
        ),
        p(
            "error renaming temp file",
            "agent file_sink.go: `error renaming temp file %s to target file %s`",
        ),
        p("error changing ownership of", "agent file_sink.go"),
    ],
};

pub const TOKEN_RENEWAL: Wording = Wording {
    code: Code::RenewalTokenFailed,
    phrases: &[
        p(
            "exceeded max retries failing to renew auth token",
            "agent auth.go, recent Vault: the agent gives up (not in OpenBao 2.x)",
        ),
        p(
            "error renewing token",
            "agent auth.go: ERROR, Vault and OpenBao (recent Vault adds backoff=)",
        ),
    ],
};

pub const LEASE_RENEWAL: Wording = Wording {
    code: Code::RenewalLeaseFailed,
    phrases: &[
        p(
            "failed to renew",
            "consul-template vault_common.go: `[WARN] %s: failed to renew: %s`",
        ),
        p(
            "renewer done (maybe the lease expired)",
            "consul-template vault_common.go: WARN, normal at max TTL; a re-read and a new render follow",
        ),
        p(
            "renewer returned (maybe the lease expired)",
            "consul-template vault_read.go, older releases",
        ),
    ],
};

/// Why a renewal failed, from Vault's answer.
pub const LEASE_GONE: &[Phrase] = &[
    p(
        "lease not found",
        "vault/openbao vault/expiration.go: `lease not found`; Vault up to ~0.10 said `lease not found or lease is not renewable`",
    ),
    p("lease expired", "vault/openbao vault/expiration.go"),
    p(
        "lease is not renewable",
        "vault/openbao vault/expiration.go",
    ),
    p(
        "lease is expired and has failed previous revocation attempts",
        "vault/expiration.go, Vault 1.8+",
    ),
];

/// The lease or token cannot be extended: expected, a new one is read.
pub const MAX_TTL: &[Phrase] = &[
    p(
        "past the max ttl, cannot renew",
        "vault/openbao sdk/framework/lease.go",
    ),
    p(
        "exceeded the effective max_ttl",
        "sdk/framework/lease.go warning: `TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly`",
    ),
    p(
        "maybe the lease expired",
        "consul-template: the renewer stopped, usually at max TTL",
    ),
];

/// Lines that only repeat an error already told by an earlier line (the
/// runner or the agent passing a template error up): they do not count as
/// another occurrence.
pub const QUOTES: &[Phrase] = &[
    p(
        "runtime error encountered",
        "agent command/agent.go: the agent's last word before it exits",
    ),
    p(
        "error encountered during run",
        "agent CLI: `Error encountered during run, refer to logs for more details.`",
    ),
    p(
        "watcher reported error",
        "consul-template runner.go: `[ERR] (runner) watcher reported error: %s`",
    ),
    p(
        "(exceeded maximum retries)",
        "consul-template view.go: the view gives up after its retries",
    ),
];

/// Causes recognised by their words alone, in the order they are tried:
/// the most specific first, so a 500 that carries `claim "aud" is invalid`
/// is an audience problem, not an unavailable server.
pub const BY_WORDS: &[Wording] = &[
    INVALID_ROLE,
    SERVICE_ACCOUNT_NOT_AUTHORIZED,
    NAMESPACE_NOT_AUTHORIZED,
    AUDIENCE_MISMATCH,
    ISSUER_MISMATCH,
    TOKEN_INVALID,
    AUTH_NOT_CONFIGURED,
    SEALED,
    UNAVAILABLE,
    TLS,
    SECRET_NOT_FOUND,
    MISSING_KEY,
];

/// Every table, for the README check and for tests.
pub const ALL: &[Wording] = &[
    INVALID_ROLE,
    SERVICE_ACCOUNT_NOT_AUTHORIZED,
    NAMESPACE_NOT_AUTHORIZED,
    AUDIENCE_MISMATCH,
    ISSUER_MISMATCH,
    TOKEN_INVALID,
    AUTH_NOT_CONFIGURED,
    MOUNT_NOT_FOUND,
    SEALED,
    UNAVAILABLE,
    TLS,
    SECRET_NOT_FOUND,
    MISSING_KEY,
    FILE_WRITE,
    TOKEN_RENEWAL,
    LEASE_RENEWAL,
];

pub fn any(lower: &str, phrases: &[Phrase]) -> bool {
    phrases.iter().any(|ph| lower.contains(ph.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_lower_case_and_sourced() {
        let extra = [LEASE_GONE, MAX_TTL, QUOTES];
        let all = ALL
            .iter()
            .flat_map(|w| w.phrases)
            .chain(extra.iter().flat_map(|t| t.iter()));
        for ph in all {
            assert_eq!(ph.text, ph.text.to_lowercase(), "{ph:?}");
            assert!(!ph.used_by.is_empty(), "{ph:?}");
        }
    }
}
