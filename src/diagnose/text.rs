//! Classifying the text of an agent log record or a Kubernetes event message
//! into a known cause, and recognising the lines that prove the agent
//! succeeded since.
//!
//! Structure comes before phrases: a Vault API error is read into method,
//! path, status and errors ([`api_error`]), and a 403 on a login, on a renewal
//! or on a secret read are three different causes, whatever the words. The
//! words of each cause, across versions, are in [`vocabulary`].

use super::api_error::{self, ApiError};
use super::finding::Code;
use super::vocabulary::{self as words, Phrase};
use crate::model::paths::normalize_path;

/// A recognised cause, with the detail the text gave (role, path, key, file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub code: Code,
    pub detail: Option<String>,
    /// Why a renewal failed, when the answer says.
    pub why: Option<Why>,
}

/// Why a renewal failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Vault answered 403: the token's policies do not allow the renewal.
    Denied,
    /// The lease is gone: not found, expired or not renewable.
    LeaseGone,
    /// The lease reached its max TTL: a new secret is read, as expected.
    MaxTtl,
}

impl Cause {
    fn new(code: Code) -> Self {
        Cause {
            code,
            detail: None,
            why: None,
        }
    }

    fn with(code: Code, detail: Option<String>) -> Self {
        Cause {
            code,
            detail,
            why: None,
        }
    }
}

/// What a cause is about, so that a later success for the same thing makes
/// it history. One rule for every code: an error about X is history once the
/// same agent later shows success for X.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Logging in, and keeping the agent's own token.
    Auth,
    /// Reaching a Vault that can answer: any successful request proves it.
    Reach,
    /// Reading a secret for a template (the detail is its Vault path).
    Template,
    /// Keeping a secret's lease (the detail is its Vault path).
    Lease,
    /// Writing a file (the detail is its path).
    File,
}

pub fn subject(code: Code) -> Option<Subject> {
    use Code::*;
    Some(match code {
        AuthInvalidRole
        | AuthServiceAccountNotAuthorized
        | AuthNamespaceNotAuthorized
        | AuthAudienceMismatch
        | AuthPermissionDenied
        | AuthMountNotFound
        | AuthIssuerMismatch
        | AuthJwtInvalid
        | AuthNotConfigured
        | RenewalTokenFailed => Subject::Auth,
        VaultSealed | VaultUnreachable | VaultTlsError | VaultUnavailable => Subject::Reach,
        SecretPermissionDenied | SecretNotFound | SecretMissingKey => Subject::Template,
        RenewalLeaseFailed => Subject::Lease,
        AgentFileWriteFailed => Subject::File,
        _ => return None,
    })
}

/// A line that proves the agent succeeded at something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// `authentication successful, sending token to sinks` (agent auth.go).
    Authenticated,
    /// `renewed auth token` (agent auth.go).
    TokenRenewed,
    /// `(runner) rendered "<src>" => "<dst>"` (consul-template runner.go;
    /// INFO, logged when the file changed): the destination.
    Rendered(String),
    /// A dependency fetched or renewed at trace level: `(view) <dep> received
    /// data`, `marking successful data response`, `<dep>: successfully
    /// renewed` (consul-template view.go, vault_common.go): its Vault path.
    Fetched(String),
    /// `token written: path=<file>` (agent sink.go).
    TokenWritten(String),
}

/// The text after `marker`, up to the next quote (plain or escaped).
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let rest = rest.trim_start_matches([' ', '\\']);
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    Some(rest[..end].to_string())
}

pub fn success(text: &str) -> Option<Success> {
    if text.contains("authentication successful") {
        return Some(Success::Authenticated);
    }
    if text.contains("renewed auth token") {
        return Some(Success::TokenRenewed);
    }
    if text.contains("(runner) rendered ") {
        let dest = quoted_after(text, "=>").unwrap_or_default();
        return Some(Success::Rendered(dest));
    }
    if text.contains("received data")
        || text.contains("marking successful data response")
        || text.contains("successfully renewed")
    {
        return dependency_path(text).map(Success::Fetched);
    }
    if let Some(i) = text.find("token written: path=") {
        let rest = &text[i + "token written: path=".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect();
        return Some(Success::TokenWritten(path));
    }
    None
}

/// The wait a failed read announces before its next attempt:
/// `(retry attempt 3 after "1s")` (consul-template `view.go`), a Go duration.
pub fn retry_after(text: &str) -> Option<chrono::Duration> {
    let rest = &text[text.rfind("(retry attempt ")?..];
    let value = quoted_after(rest, " after")?;
    go_duration(&value)
}

/// A Go `time.Duration` as `String()` prints it: `250ms`, `1.5s`, `1m0s`.
fn go_duration(s: &str) -> Option<chrono::Duration> {
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(chrono::Duration::microseconds((total * 1e6).round() as i64))
}

/// Which destination files each Vault path is rendered to, from the pod's
/// annotations: the link between an error about a path and a later render
/// of a file.
#[derive(Debug, Clone, Default)]
pub struct Renders {
    pairs: Vec<(String, String)>,
}

impl Renders {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Renders {
            pairs: pairs
                .into_iter()
                .map(|(path, dest)| (comparable(&path), dest))
                .collect(),
        }
    }

    /// Whether rendering `dest` proves that `path` was read. A path the
    /// annotations do not mention (a template from a ConfigMap) is proven by
    /// any render: better to drop a stale error than to keep one forever.
    pub fn feeds(&self, path: Option<&str>, dest: &str) -> bool {
        let Some(path) = path else { return true };
        let path = comparable(path);
        let mut known = self.pairs.iter().filter(|(p, _)| *p == path).peekable();
        if known.peek().is_none() {
            return true;
        }
        known.any(|(_, d)| d == dest)
    }
}

/// The Vault paths a consul-template template reads: `secret "<path>"`
/// (also `pkiCert`), quoted with double quotes or backticks.
pub fn template_secret_paths(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["secret ", "pkiCert "] {
        let mut rest = template;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let t = rest.trim_start();
            let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '`') else {
                continue;
            };
            if let Some(end) = t[1..].find(q) {
                out.push(t[1..1 + end].to_string());
            }
        }
    }
    out
}

/// A Vault path in one spelling: KV v2's `data/` and a `.vN` version suffix
/// dropped, so `secret/app`, `secret/data/app` and `secret/data/app.v2` meet.
pub fn comparable(path: &str) -> String {
    let p = normalize_path(path);
    let p = match p.rfind(".v") {
        Some(i) if p[i + 2..].chars().all(|c| c.is_ascii_digit()) && i + 2 < p.len() => {
            p[..i].to_string()
        }
        _ => p,
    };
    match p.split_once("/data/") {
        Some((mount, rest)) if !mount.contains('/') => format!("{mount}/{rest}"),
        _ => p,
    }
}

fn same_dir(a: &str, b: &str) -> bool {
    let dir = |p: &str| {
        p.rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default()
    };
    dir(a) == dir(b) || a == b
}

/// Whether a success makes a cause history.
pub fn clears(success: &Success, cause: &Cause, renders: &Renders) -> bool {
    let detail = cause.detail.as_deref();
    match subject(cause.code) {
        // Any successful request proves Vault can be reached and answers.
        Some(Subject::Reach) => true,
        Some(Subject::Auth) => matches!(success, Success::Authenticated | Success::TokenRenewed),
        Some(Subject::Template | Subject::Lease) => match success {
            Success::Rendered(dest) => renders.feeds(detail, dest),
            Success::Fetched(path) => detail.is_none_or(|d| comparable(d) == comparable(path)),
            _ => false,
        },
        Some(Subject::File) => match success {
            Success::Rendered(dest) | Success::TokenWritten(dest) => {
                detail.is_none_or(|d| same_dir(d, dest))
            }
            _ => false,
        },
        None => false,
    }
}

/// The Vault path of a consul-template dependency: `vault.read(<path>)`,
/// `vault.write(<path> -> <hash>)`, `vault.pki(<path>->...)`, without a `.vN`.
pub fn dependency_path(text: &str) -> Option<String> {
    for marker in ["vault.read(", "vault.write(", "vault.pki("] {
        if let Some(i) = text.find(marker) {
            let rest = &text[i + marker.len()..];
            let end = rest.find([')', ' ', '-'])?;
            let path = &rest[..end];
            if !path.is_empty() {
                return Some(path.to_string());
            }
        }
    }
    None
}

/// The Vault path of a consul-template `vault.read(<path>)`.
pub fn vault_read_path(text: &str) -> Option<String> {
    let start = text.find("vault.read(")? + "vault.read(".len();
    let end = text[start..].find(')')? + start;
    Some(text[start..end].to_string())
}

fn path_after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let path: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\\' | ')' | ',' | ';'))
        .collect();
    let path = path.trim_end_matches(['.', ':']).to_string();
    (!path.is_empty()).then_some(path)
}

/// The auth mount path of a login URL: `…/v1/auth/k8s-prod/login` → `auth/k8s-prod`.
pub fn login_mount(text: &str) -> Option<String> {
    if let Some(e) = api_error::parse(text)
        && let Some(m) = e.login_mount()
    {
        return Some(m.to_string());
    }
    let end = text.find("/login")?;
    let start = text[..end].find("/v1/")? + 4;
    let mount = &text[start..end];
    mount.starts_with("auth/").then(|| mount.to_string())
}

const NETWORK_ERRORS: &[&str] = &[
    "connection refused",
    "i/o timeout",
    "connection reset by peer",
    "no such host",
    "no route to host",
    "network is unreachable",
    "context deadline exceeded",
    "tls handshake timeout",
    "eof",
];

/// OS error tails that say a file could not be written.
const FILE_SYSTEM_ERRORS: &[&str] = &[
    "permission denied",
    "read-only file system",
    "no space left on device",
    "operation not permitted",
    "no such file or directory",
    "disk quota exceeded",
];

/// Go's `*PathError` form: `open /vault/secrets/x: permission denied`.
fn os_path_error(lower: &str) -> Option<usize> {
    [
        "open /", "rename /", "mkdir /", "chmod /", "chown /", "write /", "remove /",
    ]
    .iter()
    .filter_map(|op| lower.find(op).map(|i| i + op.len() - 1))
    .min()
}

/// The agent could not write a file. Told apart from a Vault 403 by
/// structure: no API error, and either the writers' own words or an OS
/// error on an absolute path.
fn file_error(text: &str, lower: &str, api: Option<&ApiError>) -> Option<Cause> {
    if api.is_some_and(|a| a.status.is_some()) {
        return None;
    }
    let own_words = words::FILE_WRITE.find(lower).is_some();
    let os = os_path_error(lower).filter(|_| FILE_SYSTEM_ERRORS.iter().any(|e| lower.contains(e)));
    if !own_words && os.is_none() {
        return None;
    }
    let file = os.map(|i| {
        text[i..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ':' | '"' | '\\'))
            .collect::<String>()
    });
    // The destination consul-template was rendering names the file better
    // than the temp file the OS error names.
    let dest = quoted_after(text, "=>").filter(|d| d.starts_with('/'));
    Some(Cause::with(Code::AgentFileWriteFailed, dest.or(file)))
}

fn any(lower: &str, phrases: &[Phrase]) -> bool {
    words::any(lower, phrases)
}

/// A failed renewal, with why it failed.
fn renewal(lower: &str, text: &str, api: Option<&ApiError>) -> Option<Cause> {
    let token =
        words::TOKEN_RENEWAL.find(lower).is_some() || api.is_some_and(ApiError::is_token_renewal);
    let lease = !token
        && (words::LEASE_RENEWAL.find(lower).is_some() || api.is_some_and(ApiError::is_renewal));
    if !token && !lease {
        return None;
    }
    let denied = api.is_some_and(|a| a.status == Some(403)) || lower.contains("permission denied");
    let why = if denied {
        Some(Why::Denied)
    } else if any(lower, words::MAX_TTL) {
        Some(Why::MaxTtl)
    } else if any(lower, words::LEASE_GONE) {
        Some(Why::LeaseGone)
    } else {
        None
    };
    let code = if token {
        Code::RenewalTokenFailed
    } else {
        Code::RenewalLeaseFailed
    };
    Some(Cause {
        code,
        detail: dependency_path(text),
        why,
    })
}

/// The detail a cause found by its words carries.
fn detail_for(code: Code, text: &str) -> Option<String> {
    match code {
        Code::AuthInvalidRole => quoted_after(text, "invalid role name"),
        Code::SecretNotFound => path_after(text, "no secret exists at ")
            .or_else(|| quoted_after(text, "no secret read from"))
            .or_else(|| quoted_after(text, "empty response from")),
        Code::SecretMissingKey => {
            quoted_after(text, "map has no entry for key").or_else(|| quoted_after(text, "key"))
        }
        _ => None,
    }
}

/// Causes read from the structure of a Vault API error when no phrase said more.
fn by_structure(api: &ApiError, text: &str) -> Option<Cause> {
    let read_path = || dependency_path(text).or_else(|| api.path.clone());
    if api.is_login() {
        let mount = api.login_mount().map(String::from);
        // A login URL outside auth/ (an auth-path annotation without its
        // `auth/` prefix, vault-k8s#75) can only miss.
        let outside_auth = mount.as_deref().is_some_and(|m| !m.starts_with("auth/"));
        if outside_auth
            || api.status == Some(404)
            || words::MOUNT_NOT_FOUND
                .find(&text.to_ascii_lowercase())
                .is_some()
        {
            return Some(Cause::with(Code::AuthMountNotFound, mount));
        }
        if api.status == Some(403) {
            return Some(Cause::with(Code::AuthPermissionDenied, mount));
        }
    }
    if api.is_server_error() || api.status == Some(429) {
        return Some(Cause::new(Code::VaultUnavailable));
    }
    match api.status {
        Some(403) => Some(Cause::with(Code::SecretPermissionDenied, read_path())),
        Some(404) => Some(Cause::with(Code::SecretNotFound, read_path())),
        _ => None,
    }
}

/// Classify an error text. Returns `None` for text that is not an error we know.
pub fn classify(text: &str) -> Option<Cause> {
    let lower = text.to_ascii_lowercase();
    let api = api_error::parse(text);
    if let Some(c) = file_error(text, &lower, api.as_ref()) {
        return Some(c);
    }
    let by_words = words::BY_WORDS.iter().find(|w| w.find(&lower).is_some());
    if let Some(r) = renewal(&lower, text, api.as_ref()) {
        // A renewal that failed because Vault could not answer is about
        // Vault, and clears when Vault answers again.
        match by_words {
            Some(w) if subject(w.code) == Some(Subject::Reach) => {}
            _ => return Some(r),
        }
    }
    if let Some(w) = by_words {
        return Some(Cause::with(w.code, detail_for(w.code, text)));
    }
    if let Some(api) = &api
        && let Some(c) = by_structure(api, text)
    {
        return Some(c);
    }
    if lower.contains("permission denied") {
        let login = lower.contains("/login")
            || lower.contains("auth.handler")
            || lower.contains("failed to login")
            || lower.contains("error authenticating");
        let read = lower.contains("vault.read(")
            || lower.contains("couldn't read secret")
            || lower.contains("template server");
        if login && !read {
            return Some(Cause::new(Code::AuthPermissionDenied));
        }
        return Some(Cause::with(
            Code::SecretPermissionDenied,
            vault_read_path(text),
        ));
    }
    let mentions_vault = lower.contains(":8200")
        || lower.contains("vault")
        || lower.contains("/v1/")
        || lower.contains("auth.handler")
        || lower.contains("(runner)")
        || lower.contains("(view)");
    if mentions_vault
        && NETWORK_ERRORS.iter().any(|e| {
            // "EOF" only as a word, not inside another word.
            if *e == "eof" {
                lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "eof")
            } else {
                lower.contains(e)
            }
        })
    {
        return Some(Cause::new(Code::VaultUnreachable));
    }
    None
}

/// Whether a record only repeats an error an earlier record told.
pub fn only_quotes(text: &str) -> bool {
    any(&text.to_ascii_lowercase(), words::QUOTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_are_read_as_go_prints_them() {
        let w = |s: &str| retry_after(s).map(|d| d.num_milliseconds());
        assert_eq!(
            w("* Vault is sealed (retry attempt 5 after \"4s\")"),
            Some(4000)
        );
        assert_eq!(w("x (retry attempt 1 after \"250ms\")"), Some(250));
        assert_eq!(w("x (retry attempt 9 after \"1m0s\")"), Some(60_000));
        assert_eq!(w("x (retry attempt 2 after \"1.5s\")"), Some(1500));
        assert_eq!(w("x (retry attempt 2 after \"soon\")"), None);
        assert_eq!(w("backoff=1m28.94s"), None);
    }

    #[test]
    fn details_are_extracted() {
        let c = classify(r#"* invalid role name "web-app""#).unwrap();
        assert_eq!(c.code, Code::AuthInvalidRole);
        assert_eq!(c.detail.as_deref(), Some("web-app"));
        let c = classify(r#"error="Error making API request.\n\nURL: PUT http://v:8200/v1/auth/kubernetes/login\nCode: 400. Errors:\n\n* invalid role name \"x\"""#).unwrap();
        assert_eq!(c.detail.as_deref(), Some("x"));
        let c = classify("[ERROR] (view) vault.read(secret/data/shop/missing): no secret exists at secret/data/shop/missing (retry attempt 3 after \"1s\")").unwrap();
        assert_eq!(c.code, Code::SecretNotFound);
        assert_eq!(c.detail.as_deref(), Some("secret/data/shop/missing"));
        assert_eq!(
            login_mount("URL: PUT https://vault.example.com:8200/v1/auth/k8s-prod/login"),
            Some("auth/k8s-prod".to_string())
        );
    }

    #[test]
    fn healthy_lines_are_not_errors() {
        for l in [
            "2024-05-01T10:00:00.000Z [INFO]  agent.auth.handler: authenticating",
            "2024-05-01T10:00:00.100Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            "2024-05-01T10:00:00.100Z [INFO]  agent.auth.handler: starting renewal process",
            "2024-05-01T10:00:00.101Z [INFO]  agent.sink.file: token written: path=/home/vault/.vault-token",
            "2024-05-01T10:00:00.200Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db\"",
            "2024-05-01T10:00:00.300Z [INFO]  agent.auth.handler: renewed auth token",
            "==> Vault Agent started! Log data will stream in below:",
            "2024-05-01T10:00:00.300Z [INFO]  agent.template.server: template server received new token",
            "2024-05-01T10:00:00.300Z [INFO]  agent: (runner) creating watcher",
            "2024-05-01T10:00:01.000Z [INFO]  agent.sink.server: sinks finished, exiting",
            "2024-05-01T10:00:01.000Z [INFO]  agent.auth.handler: lifetime watcher done channel triggered, re-authenticating",
        ] {
            assert_eq!(classify(l), None, "{l}");
        }
    }

    #[test]
    fn paths_compare_across_kv_spellings() {
        assert_eq!(comparable("secret/data/app"), "secret/app");
        assert_eq!(comparable("/v1/secret/data/app.v2"), "secret/app");
        assert_eq!(comparable("database/creds/app"), "database/creds/app");
        let r = Renders::new([("secret/app".into(), "/vault/secrets/app".into())]);
        assert!(r.feeds(Some("secret/data/app"), "/vault/secrets/app"));
        assert!(!r.feeds(Some("secret/data/app"), "/vault/secrets/other"));
        assert!(r.feeds(Some("kv/unknown"), "/vault/secrets/other"));
    }
}
