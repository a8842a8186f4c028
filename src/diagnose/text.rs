//! Classifying the text of an agent log record or a Kubernetes event message
//! into a known cause. Matching is by content, never by the exact shape of a
//! line: agents of different versions print the same error escaped on one
//! line or spread over several, with `auth.handler:` or `agent.auth.handler:`.

use super::finding::Code;

/// A recognised cause, with the detail the text gave (role, path, key...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub code: Code,
    pub detail: Option<String>,
}

impl Cause {
    fn new(code: Code) -> Self {
        Cause { code, detail: None }
    }

    fn with(code: Code, detail: Option<String>) -> Self {
        Cause { code, detail }
    }
}

/// Lines that prove the agent is healthy again: an error before the last of
/// these is history, not a current problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    Authenticated,
    Rendered,
    TokenRenewed,
}

pub fn recovery(text: &str) -> Option<Recovery> {
    if text.contains("authentication successful") {
        Some(Recovery::Authenticated)
    } else if text.contains("renewed auth token") {
        Some(Recovery::TokenRenewed)
    } else if text.contains("(runner) rendered \"") || text.contains("rendered \"(dynamic)\"") {
        Some(Recovery::Rendered)
    } else {
        None
    }
}

/// Whether a recovery line clears a cause seen before it.
pub fn clears(recovery: Recovery, code: Code) -> bool {
    use Code::*;
    match recovery {
        Recovery::Authenticated | Recovery::TokenRenewed => matches!(
            code,
            AuthInvalidRole
                | AuthServiceAccountNotAuthorized
                | AuthNamespaceNotAuthorized
                | AuthAudienceMismatch
                | AuthPermissionDenied
                | VaultSealed
                | VaultUnreachable
                | VaultTlsError
                | RenewalTokenFailed
        ),
        Recovery::Rendered => matches!(
            code,
            VaultSealed | VaultUnreachable | VaultTlsError | RenewalLeaseFailed
        ),
    }
}

/// The text between the first pair of double quotes after `marker`.
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let rest = rest.trim_start_matches([' ', '\\']);
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    Some(rest[..end].to_string())
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

/// Classify an error text. Returns `None` for text that is not an error we know.
pub fn classify(text: &str) -> Option<Cause> {
    let lower = text.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);

    if has("invalid role name") {
        return Some(Cause::with(
            Code::AuthInvalidRole,
            quoted_after(text, "invalid role name"),
        ));
    }
    if has("service account name not authorized") {
        return Some(Cause::new(Code::AuthServiceAccountNotAuthorized));
    }
    if has("namespace not authorized") {
        return Some(Cause::new(Code::AuthNamespaceNotAuthorized));
    }
    if has("invalid audience (aud) claim")
        || has("audience claim does not match")
        || (has("jwt valid for audience") && has("but wanted"))
    {
        return Some(Cause::new(Code::AuthAudienceMismatch));
    }
    if has("vault is sealed") {
        return Some(Cause::new(Code::VaultSealed));
    }
    if has("x509:")
        || has("certificate signed by unknown authority")
        || has("tls: failed to verify")
        || has("tls: bad certificate")
        || has("http response to https client")
        || has("server gave http response")
    {
        return Some(Cause::new(Code::VaultTlsError));
    }
    if has("no secret exists at") {
        return Some(Cause::with(
            Code::SecretNotFound,
            path_after(text, "no secret exists at "),
        ));
    }
    if has("empty response from") {
        return Some(Cause::with(
            Code::SecretNotFound,
            quoted_after(text, "empty response from"),
        ));
    }
    if has("map has no entry for key") {
        return Some(Cause::with(
            Code::SecretMissingKey,
            quoted_after(text, "map has no entry for key"),
        ));
    }
    if has("does not exist at the secret path") {
        return Some(Cause::with(
            Code::SecretMissingKey,
            quoted_after(text, "key"),
        ));
    }
    // A failed renewal says why (often `permission denied`): the renewal is
    // the cause to report.
    if has("exceeded max retries failing to renew auth token") || has("error renewing token") {
        return Some(Cause::new(Code::RenewalTokenFailed));
    }
    if has("failed to renew") || has("renewer done (maybe the lease expired)") {
        return Some(Cause::new(Code::RenewalLeaseFailed));
    }
    if has("permission denied") {
        let login = has("/login")
            || has("auth.handler")
            || has("failed to login")
            || has("error authenticating");
        let read = has("vault.read(") || has("couldn't read secret") || has("template server");
        if read && !has("/login") {
            return Some(Cause::with(
                Code::SecretPermissionDenied,
                vault_read_path(text),
            ));
        }
        if login {
            return Some(Cause::new(Code::AuthPermissionDenied));
        }
        return Some(Cause::with(
            Code::SecretPermissionDenied,
            vault_read_path(text),
        ));
    }
    let mentions_vault = has(":8200")
        || has("vault")
        || has("/v1/")
        || has("auth.handler")
        || has("(runner)")
        || has("(view)");
    if mentions_vault
        && NETWORK_ERRORS.iter().any(|e| {
            // "EOF" only as a word, not inside another word.
            if *e == "eof" {
                lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "eof")
            } else {
                has(e)
            }
        })
    {
        return Some(Cause::new(Code::VaultUnreachable));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert_eq!(classify(l), None, "{l}");
        }
    }
}
