//! Small typed requests to the Vault HTTP API over the reqwest client that
//! vaultrs builds (so TLS, CA certificates and client identity are set up the
//! way vaultrs does it), with a request budget, bounded concurrency and
//! throttle detection (429 / 5xx).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

use super::config::VaultConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// This cycle's request budget is spent; try next cycle.
    Budget,
    /// Vault answered 429 or 5xx earlier in this cycle: stop asking for now.
    Throttled,
    /// A non-2xx answer, with Vault's `errors`.
    Status { code: u16, errors: Vec<String> },
    /// No answer: connection refused, timeout, TLS.
    Transport(String),
    /// An answer vaultscope could not read.
    Decode(String),
    /// A path built from cluster data (annotations, SecretProviderClasses)
    /// that could address something else: never sent.
    UnsafePath(String),
}

impl ApiError {
    pub fn code(&self) -> Option<u16> {
        match self {
            ApiError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Budget => f.write_str("request budget spent for this cycle"),
            ApiError::Throttled => f.write_str("Vault is throttling or failing; backing off"),
            ApiError::Status { code, errors } => write!(f, "HTTP {code}: {}", errors.join("; ")),
            ApiError::Transport(e) => f.write_str(e),
            ApiError::Decode(e) => write!(f, "unreadable answer: {e}"),
            ApiError::UnsafePath(p) => write!(
                f,
                "refused to request {p:?}: it contains . or .. segments or URL syntax"
            ),
        }
    }
}

/// Whether a request path is a plain Vault path. Paths are built from pod
/// annotations and SecretProviderClasses, which anyone who can create a pod
/// controls: `role/x/../../../database/creds/web` would otherwise be
/// resolved by the URL parser into a read that creates a lease.
pub fn is_safe_path(path: &str) -> bool {
    !path.contains(['%', '?', '#', '\\'])
        && path.split('/').all(|seg| seg != "." && seg != "..")
        && !path.chars().any(char::is_control)
}

/// Full error text, sources included (reqwest hides the cause otherwise).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

pub struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    namespace: Option<String>,
    sem: Semaphore,
    budget: AtomicUsize,
    throttled: AtomicBool,
    /// Requests sent since start (for tests and the budget).
    sent: AtomicUsize,
}

impl Http {
    pub fn new(cfg: &VaultConfig) -> Result<Http, String> {
        reqwest::Url::parse(&cfg.address)
            .map_err(|e| format!("invalid Vault address {:?}: {e}", cfg.address))?;
        let mut ca = Vec::new();
        if let Some(f) = &cfg.ca_cert {
            ca.push(f.display().to_string());
        }
        if let Some(d) = &cfg.ca_path {
            let rd =
                std::fs::read_dir(d).map_err(|e| format!("VAULT_CAPATH {}: {e}", d.display()))?;
            let mut files: Vec<String> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| p.display().to_string())
                .collect();
            files.sort();
            ca.extend(files);
        }
        let mut b = VaultClientSettingsBuilder::default();
        b.address(&cfg.address)
            .token(cfg.token.clone().unwrap_or_default())
            .verify(!cfg.skip_verify)
            .ca_certs(ca)
            .timeout(Some(cfg.timeout));
        if let Some(ns) = &cfg.namespace {
            b.set_namespace(ns.clone());
        }
        let settings = b
            .build()
            .map_err(|e| format!("Vault client settings: {e}"))?;
        let client =
            VaultClient::new(settings).map_err(|e| format!("Vault client: {}", chain(&e)))?;
        Ok(Http {
            client: client.http.http.clone(),
            base: format!("{}/v1/", cfg.address.trim_end_matches('/')),
            token: cfg.token.clone(),
            namespace: cfg.namespace.clone(),
            sem: Semaphore::new(cfg.concurrency.max(1)),
            budget: AtomicUsize::new(cfg.budget),
            throttled: AtomicBool::new(false),
            sent: AtomicUsize::new(0),
        })
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Start a cycle: a fresh budget, throttling forgotten.
    pub fn reset(&self, budget: usize) {
        self.budget.store(budget, Ordering::SeqCst);
        self.throttled.store(false, Ordering::SeqCst);
    }

    pub fn throttled(&self) -> bool {
        self.throttled.load(Ordering::SeqCst)
    }

    pub fn budget_left(&self) -> usize {
        self.budget.load(Ordering::SeqCst)
    }

    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    fn take_budget(&self) -> Result<(), ApiError> {
        if self.throttled() {
            return Err(ApiError::Throttled);
        }
        self.budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .map(|_| ())
            .map_err(|_| ApiError::Budget)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: bool,
    ) -> Result<(StatusCode, Value), ApiError> {
        if !is_safe_path(path) {
            return Err(ApiError::UnsafePath(path.to_string()));
        }
        let _permit = self
            .sem
            .acquire()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let mut req = self.client.request(
            method,
            format!("{}{}", self.base, path.trim_start_matches('/')),
        );
        if auth && let Some(t) = &self.token {
            req = req.header("X-Vault-Token", t);
        }
        if let Some(ns) = &self.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(b).unwrap_or_default());
        }
        self.sent.fetch_add(1, Ordering::SeqCst);
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::Transport(chain(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ApiError::Transport(chain(&e)))?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes).chars().take(300).collect())
            })
        };
        Ok((status, value))
    }

    /// An authenticated API call; `Ok` only for 2xx. 429 and 5xx mark the
    /// cycle throttled.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ApiError> {
        self.take_budget()?;
        let m =
            Method::from_bytes(method.as_bytes()).map_err(|e| ApiError::Decode(e.to_string()))?;
        let (status, value) = self.send(m, path, body.as_ref(), true).await?;
        if status.is_success() {
            return Ok(value);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            self.throttled.store(true, Ordering::SeqCst);
        }
        let errors = value
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Err(ApiError::Status {
            code: status.as_u16(),
            errors,
        })
    }

    /// `GET sys/health` with no token. Every documented status code (200
    /// active, 429 standby, 472/473, 501 not initialized, 503 sealed) carries
    /// the JSON body; it does not count against the budget.
    pub async fn health(&self) -> Result<Value, ApiError> {
        let (status, value) = self.send(Method::GET, "sys/health", None, false).await?;
        // A proxy or load balancer in front of Vault can answer with JSON of
        // its own; only an answer that says sealed or not is Vault's health.
        if value.get("sealed").is_some_and(Value::is_boolean) {
            Ok(value)
        } else {
            let text = match &value {
                Value::String(s) => s.clone(),
                Value::Null => "empty answer".to_string(),
                other => other.to_string().chars().take(200).collect(),
            };
            Err(ApiError::Status {
                code: status.as_u16(),
                errors: vec![format!("not a Vault health answer: {text}")],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers every request with `status` and counts them.
    async fn fake(status: &'static str) -> (String, std::sync::Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                h.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = r#"{"errors":["rate limited"]}"#;
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            }
        });
        (addr, hits)
    }

    #[tokio::test]
    async fn throttling_stops_the_cycle_and_the_budget_caps_requests() {
        let (addr, hits) = fake("429 Too Many Requests").await;
        let mut cfg = VaultConfig::new(addr, Some("t".into()));
        cfg.budget = 2;
        let http = Http::new(&cfg).unwrap();
        http.reset(2);
        let e = http.call("GET", "sys/mounts", None).await.unwrap_err();
        assert_eq!(e.code(), Some(429));
        assert!(http.throttled());
        // The rest of the cycle is not sent.
        assert_eq!(
            http.call("GET", "sys/mounts", None).await,
            Err(ApiError::Throttled)
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // A new cycle starts afresh; the budget then caps what is sent.
        let (addr, hits) = fake("404 Not Found").await;
        let http = Http::new(&VaultConfig::new(addr, Some("t".into()))).unwrap();
        http.reset(2);
        for _ in 0..2 {
            assert_eq!(
                http.call("GET", "x", None).await.unwrap_err().code(),
                Some(404)
            );
        }
        assert_eq!(http.call("GET", "x", None).await, Err(ApiError::Budget));
        assert!(!http.throttled());
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_server_error_also_throttles() {
        let (addr, _) = fake("500 Internal Server Error").await;
        let http = Http::new(&VaultConfig::new(addr, Some("t".into()))).unwrap();
        http.reset(5);
        assert_eq!(
            http.call("GET", "x", None).await.unwrap_err().code(),
            Some(500)
        );
        assert!(http.throttled());
    }
}

#[cfg(test)]
mod path_tests {
    use super::is_safe_path;

    #[test]
    fn traversal_and_url_syntax_are_refused() {
        for ok in [
            "sys/health",
            "auth/kubernetes/role/web",
            "secret/metadata/shop/catalog",
            "sys/leases/lookup/database/creds/app/",
        ] {
            assert!(is_safe_path(ok), "{ok}");
        }
        for bad in [
            "auth/kubernetes/role/x/../../../../database/creds/web",
            "secret/metadata/../data/x",
            "secret/metadata/./x",
            "auth/k8s/role/a%2f..%2f",
            "secret/metadata/x?version=1",
            "secret/metadata/x#frag",
            "auth\\..\\x",
            "secret/metadata/x\n",
        ] {
            assert!(!is_safe_path(bad), "{bad}");
        }
    }
}
