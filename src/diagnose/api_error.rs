//! The structure of a Vault API error as clients print it, so causes are
//! classified on method, path and status rather than on a phrase alone.
//!
//! The Vault Go client formats every failed request the same way (hashicorp
//! vault `api/response.go`, `ResponseError.Error()`; OpenBao keeps it):
//!
//! ```text
//! Error making API request.
//!
//! URL: PUT https://vault:8200/v1/auth/kubernetes/login
//! Code: 403. Errors:
//!
//! * permission denied
//! ```
//!
//! Agents print it escaped on one line (`\n`), spread over `| ` lines, or
//! inside a JSON log record; all three are read here.

/// One failed Vault API request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiError {
    pub method: Option<String>,
    /// The API path after `/v1/`, without the query: `auth/kubernetes/login`.
    pub path: Option<String>,
    pub status: Option<u16>,
    /// The `* ...` lines, in order.
    pub errors: Vec<String>,
}

impl ApiError {
    /// Whether the request was a login. Usually to `auth/<mount>/login`; a
    /// mount path given without its `auth/` prefix logs in elsewhere
    /// (`clusters/services/login`, vault-k8s#75), and that still is a login.
    pub fn is_login(&self) -> bool {
        self.path.as_deref().is_some_and(|p| p.ends_with("/login"))
    }

    /// The mount a login went to: `auth/k8s-prod`.
    pub fn login_mount(&self) -> Option<&str> {
        let p = self.path.as_deref()?;
        self.is_login().then(|| &p[..p.len() - "/login".len()])
    }

    /// Whether the request renewed a lease or a token.
    pub fn is_renewal(&self) -> bool {
        self.path.as_deref().is_some_and(|p| {
            p.starts_with("sys/leases/renew")
                || p.starts_with("sys/renew")
                || p.starts_with("auth/token/renew")
        })
    }

    /// Whether the request renewed the client's own token.
    pub fn is_token_renewal(&self) -> bool {
        self.path
            .as_deref()
            .is_some_and(|p| p.starts_with("auth/token/renew"))
    }

    /// Whether any listed error contains `needle` (ASCII case-insensitive).
    pub fn says(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.errors
            .iter()
            .any(|e| e.to_ascii_lowercase().contains(&needle))
    }

    pub fn is_server_error(&self) -> bool {
        self.status.is_some_and(|s| (500..600).contains(&s))
    }
}

/// Undo the escaping a log line gives a multi-line value, and drop the `| `
/// gutter hclog puts before each line of one.
fn normalise(text: &str) -> String {
    let unescaped = text
        .replace("\\\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\"", "\"");
    unescaped
        .lines()
        .map(|l| {
            let t = l.trim_start();
            t.strip_prefix('|').map(str::trim_start).unwrap_or(t)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a quoted or escaped value ends.
fn value_end(s: &str) -> usize {
    s.find(['"', '\\']).unwrap_or(s.len())
}

/// Read the first Vault API error in a log record or event message.
pub fn parse(text: &str) -> Option<ApiError> {
    if !(text.contains("URL: ") || text.contains("Code: ")) {
        return None;
    }
    let text = normalise(text);
    let mut e = ApiError::default();
    let lines = text.lines();
    let mut in_errors = false;
    for line in lines {
        if let Some(rest) = line.split_once("URL: ").map(|(_, r)| r) {
            let mut parts = rest.split_whitespace();
            let method = parts.next().unwrap_or_default();
            if method.chars().all(|c| c.is_ascii_uppercase()) && !method.is_empty() {
                e.method = Some(method.to_string());
            }
            if let Some(url) = parts.next() {
                e.path = url.split_once("/v1/").map(|(_, p)| {
                    let p = &p[..value_end(p)];
                    p.split(['?', '#']).next().unwrap_or(p).to_string()
                });
            }
            continue;
        }
        if let Some(rest) = line.split_once("Code: ").map(|(_, r)| r)
            && e.status.is_none()
        {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            e.status = digits.parse().ok();
            in_errors = rest.contains("Errors:");
            continue;
        }
        if in_errors {
            let t = line.trim();
            if let Some(item) = t.strip_prefix("* ") {
                let item = &item[..value_end(item)];
                e.errors.push(item.trim().to_string());
            } else if !t.is_empty() && !e.errors.is_empty() {
                // The list ends with the value; what follows is the next field.
                in_errors = false;
            }
        }
    }
    (e.status.is_some() || e.path.is_some()).then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_shape_reads_the_same() {
        let escaped = r#"2024-05-01T10:00:00Z [ERROR] agent.auth.handler: error authenticating: error="Error making API request.\n\nURL: PUT https://vault.vault.svc:8200/v1/auth/k8s-eu/login\nCode: 403. Errors:\n\n* permission denied" backoff=1s"#;
        let multi = "2024-05-01T10:00:00Z [ERROR] agent.auth.handler: error authenticating:\n  error=\n  | Error making API request.\n  |\n  | URL: PUT https://vault.vault.svc:8200/v1/auth/k8s-eu/login\n  | Code: 403. Errors:\n  |\n  | * permission denied\n   backoff=1s";
        let json = r#"{"@level":"error","@message":"error authenticating","@module":"agent.auth.handler","error":"Error making API request.\n\nURL: PUT https://vault.vault.svc:8200/v1/auth/k8s-eu/login\nCode: 403. Errors:\n\n* permission denied","backoff":1.2}"#;
        for t in [escaped, multi, json] {
            let e = parse(t).unwrap();
            assert_eq!(e.method.as_deref(), Some("PUT"), "{t}");
            assert_eq!(e.path.as_deref(), Some("auth/k8s-eu/login"), "{t}");
            assert_eq!(e.status, Some(403), "{t}");
            assert_eq!(e.errors, vec!["permission denied"], "{t}");
            assert_eq!(e.login_mount(), Some("auth/k8s-eu"));
        }
    }

    #[test]
    fn reads_several_errors_and_queries() {
        let t = "URL: GET http://v:8200/v1/secret/data/app?version=2\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n";
        let e = parse(t).unwrap();
        assert_eq!(e.path.as_deref(), Some("secret/data/app"));
        assert!(e.says("Permission Denied"));
        assert!(!e.is_login());
        let t =
            "URL: PUT http://v:8200/v1/sys/leases/renew\nCode: 403. Errors:\n\n* permission denied";
        assert!(parse(t).unwrap().is_renewal());
        assert_eq!(parse("no api error here"), None);
    }
}
