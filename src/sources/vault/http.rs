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
        }
    }
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
        if value.is_object() {
            Ok(value)
        } else {
            Err(ApiError::Status {
                code: status.as_u16(),
                errors: vec![value.as_str().unwrap_or_default().to_string()],
            })
        }
    }
}
