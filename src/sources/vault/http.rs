//! Small typed requests to the Vault HTTP API over one reqwest client, with a
//! request budget, bounded concurrency and throttle detection (429 / 5xx).
//!
//! Whatever answers on Vault's address may be hostile (or a proxy gone
//! wrong), so every answer is bounded: a timeout from connecting to the last
//! byte, a cap on the body, a cap on any text quoted from it, and no
//! redirect that would carry the token to another host.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::redirect::{Attempt, Policy};
use reqwest::{Certificate, Identity, Method, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::config::{EnvFile, VaultConfig, parse_address};
use crate::bounded::{self, human_bytes};
use crate::safe::display_address;

/// The largest answer read. Vault's largest (a LIST of many leases or
/// accessors, a big policy) are well under a megabyte.
pub const BODY_LIMIT: u64 = 4 * 1024 * 1024;
/// The largest CA, client certificate or key file read.
const PEM_FILE_LIMIT: u64 = 1024 * 1024;
/// Characters of an answer's text quoted in a message.
const QUOTE_CHARS: usize = 200;
/// Error strings of one answer quoted in a message.
const QUOTE_ERRORS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// This cycle's request budget is spent; try next cycle.
    Budget,
    /// Vault answered 429 or 5xx earlier in this cycle: stop asking for now.
    Throttled,
    /// A non-2xx answer, with Vault's `errors` (each quoted within a cap).
    Status { code: u16, errors: Vec<String> },
    /// No answer: connection refused, timeout, TLS.
    Transport(String),
    /// An answer vaultscope could not read.
    Decode(String),
    /// An answer larger than [`BODY_LIMIT`] (declared, or seen while reading):
    /// not read further.
    TooLarge { declared: Option<u64> },
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
            ApiError::TooLarge { declared } => {
                write!(f, "response larger than {}", human_bytes(BODY_LIMIT))?;
                match declared {
                    Some(n) => write!(f, " ({n} bytes announced); not read"),
                    None => f.write_str("; the rest was not read"),
                }
            }
            ApiError::UnsafePath(p) => write!(
                f,
                "refused to request {p:?}: it contains . or .. segments or URL syntax"
            ),
        }
    }
}

/// `s` as quoted in a message: whole when short, else its first
/// [`QUOTE_CHARS`] characters and its size, so an error page or a hostile
/// answer cannot flood a terminal, a log or vault.json.
pub fn quote(s: &str) -> String {
    // Redacted before the cut: a token straddling it would otherwise lose
    // the length that makes it recognisable, and half of it would show.
    let s = crate::safe::redact(s);
    match s.char_indices().nth(QUOTE_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
    }
}

/// Vault's `errors` of an answer, each quoted, at most [`QUOTE_ERRORS`] of them.
fn quoted_errors(v: &Value) -> Vec<String> {
    let all: Vec<&str> = v
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out: Vec<String> = all.iter().take(QUOTE_ERRORS).map(|e| quote(e)).collect();
    if all.len() > QUOTE_ERRORS {
        out.push(format!("(+{} more)", all.len() - QUOTE_ERRORS));
    }
    out
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

/// A transport error's text with its URL as shown to people (reqwest quotes
/// the URL it was given, userinfo and all).
fn transport(e: reqwest::Error) -> ApiError {
    let e = match e.url().map(|u| display_address(u.as_str())) {
        Some(shown) => match Url::parse(&shown) {
            Ok(u) => e.with_url(u),
            Err(_) => e.without_url(),
        },
        None => e,
    };
    ApiError::Transport(chain(&e))
}

/// Redirects are followed only to the same scheme, host and port. reqwest
/// drops `Authorization` on a redirect elsewhere but not `X-Vault-Token`, so
/// a hostile answer could otherwise send the token to a host of its choice
/// (or from https to plain http).
fn same_origin_redirects() -> Policy {
    Policy::custom(|a: Attempt| {
        let same = a
            .previous()
            .first()
            .is_some_and(|first| first.origin() == a.url().origin());
        if same && a.previous().len() < 5 {
            a.follow()
        } else {
            a.stop()
        }
    })
}

fn read_pem(f: &EnvFile) -> Result<Vec<u8>, String> {
    bounded::read_capped(&f.path, PEM_FILE_LIMIT).map_err(|e| format!("{f}: {e}"))
}

/// Files read from `VAULT_CAPATH`: more than any CA folder holds
/// (/etc/ssl/certs has a few hundred, hash links included), so that a
/// folder of millions is refused rather than walked.
const CA_PATH_FILES: usize = 4096;
/// Bytes read from `VAULT_CAPATH` in all (each file is also capped).
const CA_PATH_BYTES: u64 = 64 << 20;

/// The CA certificates of `VAULT_CACERT` and of each file in `VAULT_CAPATH`.
fn ca_certificates(cfg: &VaultConfig) -> Result<Vec<Certificate>, String> {
    let parse = |f: &EnvFile, pem: &[u8]| {
        Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("{f}: not PEM certificates: {}", chain(&e)))
    };
    let mut certs = Vec::new();
    if let Some(f) = &cfg.ca_cert {
        certs.extend(parse(f, &read_pem(f)?)?);
    }
    if let Some(d) = &cfg.ca_path {
        let too_much = |what: String| {
            format!("{d}: more than {what}; point it at a folder of CA certificates")
        };
        let rd = std::fs::read_dir(&d.path).map_err(|e| format!("{d}: {e}"))?;
        let mut in_dir: Vec<EnvFile> = Vec::new();
        for entry in rd.filter_map(Result::ok) {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            if in_dir.len() == CA_PATH_FILES {
                return Err(too_much(format!("{CA_PATH_FILES} files")));
            }
            in_dir.push(EnvFile {
                var: d.var.clone(),
                path,
            });
        }
        in_dir.sort_by(|a, b| a.path.cmp(&b.path));
        let mut bytes: u64 = 0;
        for f in &in_dir {
            let pem = read_pem(f)?;
            bytes += pem.len() as u64;
            if bytes > CA_PATH_BYTES {
                return Err(too_much(human_bytes(CA_PATH_BYTES)));
            }
            certs.extend(parse(f, &pem)?);
        }
    }
    Ok(certs)
}

/// Read and parse the TLS files `cfg` names (`VAULT_CACERT`,
/// `VAULT_CAPATH`, the client certificate and key) when the address is
/// https, as the client will: so that a bad one is reported as bad usage
/// naming its variable and file before anything runs, not later as an
/// unreachable Vault. Plain http reads none of them.
pub fn check_tls_files(cfg: &VaultConfig) -> Result<(), String> {
    let url = parse_address(&cfg.address).map_err(|e| format!("Vault address: {e}"))?;
    if url.scheme() != "https" {
        return Ok(());
    }
    ca_certificates(cfg)?;
    if let Some((cert, key)) = &cfg.client_cert {
        client_identity(cert, key)?;
    }
    Ok(())
}

fn client_identity(cert: &EnvFile, key: &EnvFile) -> Result<Identity, String> {
    let mut pem = read_pem(cert)?;
    pem.push(b'\n');
    pem.extend(read_pem(key)?);
    Identity::from_pem(&pem).map_err(|e| format!("{cert} and {key}: {}", chain(&e)))
}

/// The HTTP client for `cfg`: its timeouts, TLS trust and client identity.
fn client(cfg: &VaultConfig, url: &Url) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.connect_timeout.min(cfg.timeout))
        .redirect(same_origin_redirects());
    if url.scheme() == "https" {
        for c in ca_certificates(cfg)? {
            b = b.tls_certs_merge([c]);
        }
        if let Some((cert, key)) = &cfg.client_cert {
            b = b.identity(client_identity(cert, key)?);
        }
        b = b.tls_danger_accept_invalid_certs(cfg.skip_verify);
    } else {
        // Plain http needs no trust roots, so none are loaded: the
        // platform's may be missing, and a stale VAULT_CACERT in the
        // environment must not stop a dev Vault on http.
        b = b.tls_certs_only(Vec::new());
    }
    b.build()
        .map_err(|e| format!("Vault client: {}", chain(&e)))
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
        let url = parse_address(&cfg.address).map_err(|e| format!("Vault address: {e}"))?;
        // Requests go to `<address path>/v1/...`; a query or fragment in the
        // address would swallow that path, so both are dropped, as the vault
        // CLI's client does.
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let path = format!("{}/v1/", base.path().trim_end_matches('/'));
        base.set_path(&path);
        Ok(Http {
            client: client(cfg, &url)?,
            base: base.to_string(),
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
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = read_body(resp).await?;
        // Not JSON (a proxy's error page): kept as text for a message to
        // quote; the body cap bounds it.
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
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
        Err(ApiError::Status {
            code: status.as_u16(),
            errors: quoted_errors(&value),
        })
    }

    /// `GET sys/health` with no token. Every documented status code (200
    /// active, 429 standby, 472/473, 501 not initialized, 503 sealed) carries
    /// the JSON body; it does not count against the budget.
    pub async fn health(&self) -> Result<Value, ApiError> {
        // vaultrs's sys::health fails on OpenBao: its answer has no `performance_standby`.
        let (status, value) = self.send(Method::GET, "sys/health", None, false).await?;
        // A proxy or load balancer in front of Vault can answer with JSON of
        // its own; only an answer that says sealed or not is Vault's health.
        if value.get("sealed").is_some_and(Value::is_boolean) {
            Ok(value)
        } else {
            let text = match &value {
                Value::String(s) => quote(s),
                Value::Null => "empty answer".to_string(),
                other => quote(&other.to_string()),
            };
            Err(ApiError::Status {
                code: status.as_u16(),
                errors: vec![format!("not a Vault health answer: {text}")],
            })
        }
    }
}

/// The body, read in chunks and refused past [`BODY_LIMIT`] (as soon as a
/// larger Content-Length is announced, or once more has arrived), so an
/// answer costs at most the cap in memory.
async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    if let Some(n) = resp.content_length()
        && n > BODY_LIMIT
    {
        return Err(ApiError::TooLarge { declared: Some(n) });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if (body.len() + chunk.len()) as u64 > BODY_LIMIT {
            return Err(ApiError::TooLarge { declared: None });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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

    /// A server that hands each connection, once its request head is read,
    /// to `respond`; for answers `fake` cannot give (huge, endless, slow).
    async fn serve<F, Fut>(respond: F) -> String
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        serve_on("127.0.0.1", respond).await
    }

    async fn serve_on<F, Fut>(ip: &str, respond: F) -> String
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let respond = std::sync::Arc::new(respond);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let respond = respond.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    respond(sock).await;
                });
            }
        });
        addr
    }

    /// Writes `total` bytes of `a` in 64 KiB pieces; stops when the client
    /// hangs up or after 30 s, so a failing test cannot spin forever.
    async fn stream_a(sock: &mut tokio::net::TcpStream, total: usize, chunked: bool) {
        let piece = vec![b'a'; 64 * 1024];
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut sent = 0;
        while sent < total && tokio::time::Instant::now() < until {
            let n = piece.len().min(total - sent);
            let w = if chunked {
                let mut c = format!("{n:x}\r\n").into_bytes();
                c.extend_from_slice(&piece[..n]);
                c.extend_from_slice(b"\r\n");
                sock.write_all(&c).await
            } else {
                sock.write_all(&piece[..n]).await
            };
            if w.is_err() {
                return;
            }
            sent += n;
        }
    }

    fn quick(addr: String) -> Http {
        let mut cfg = VaultConfig::new(addr, Some("t".into()));
        cfg.timeout = std::time::Duration::from_secs(2);
        let http = Http::new(&cfg).unwrap();
        http.reset(10);
        http
    }

    const MIB_50: usize = 50 * 1024 * 1024;

    #[tokio::test]
    async fn a_50_mb_health_answer_is_refused_at_the_cap() {
        let addr = serve(|mut sock| async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n\"",
                MIB_50 + 2
            );
            let _ = sock.write_all(head.as_bytes()).await;
            stream_a(&mut sock, MIB_50, false).await;
            let _ = sock.write_all(b"\"").await;
        })
        .await;
        let start = std::time::Instant::now();
        let e = quick(addr).health().await.unwrap_err().to_string();
        assert!(
            e.contains("larger than 4.0 MiB"),
            "{}",
            &e[..e.len().min(300)]
        );
        assert!(e.len() < 300, "{} bytes", e.len());
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_declared_length_past_the_cap_is_refused_before_reading() {
        // The body never comes: only the Content-Length check can end this
        // before the timeout.
        let addr = serve(|mut sock| async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {MIB_50}\r\n\r\n"
            );
            let _ = sock.write_all(head.as_bytes()).await;
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        })
        .await;
        let mut cfg = VaultConfig::new(addr, Some("t".into()));
        cfg.timeout = std::time::Duration::from_secs(5);
        let http = Http::new(&cfg).unwrap();
        http.reset(1);
        let start = std::time::Instant::now();
        let e = http.call("GET", "sys/mounts", None).await.unwrap_err();
        assert!(e.to_string().contains("larger than 4.0 MiB"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[tokio::test]
    async fn an_endless_chunked_body_stops_at_the_cap() {
        let addr = serve(|mut sock| async move {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n\"\r\n";
            let _ = sock.write_all(head.as_bytes()).await;
            stream_a(&mut sock, usize::MAX, true).await;
        })
        .await;
        let start = std::time::Instant::now();
        let e = quick(addr)
            .call("GET", "sys/mounts", None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("larger than 4.0 MiB"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_slow_body_and_a_silent_server_time_out() {
        let slow = serve(|mut sock| async move {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                .await;
            for _ in 0..300 {
                if sock.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await;
        let silent = serve(|_sock| async move {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        })
        .await;
        for addr in [slow, silent] {
            let start = std::time::Instant::now();
            let e = quick(addr.clone()).health().await.unwrap_err();
            assert!(matches!(e, ApiError::Transport(_)), "{addr}: {e}");
            let took = start.elapsed();
            assert!(took < std::time::Duration::from_secs(4), "{addr}: {took:?}");
        }
    }

    #[tokio::test]
    async fn text_echoed_from_an_answer_is_capped() {
        // A JSON string, plain text and an error list, each well under the
        // body cap but far too long to quote in a message.
        let body = |b: Vec<u8>, status: &'static str| {
            let b = std::sync::Arc::new(b);
            move |mut sock: tokio::net::TcpStream| {
                let b = b.clone();
                async move {
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        b.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&b).await;
                }
            }
        };
        let json_string = format!("\"{}\"", "x".repeat(1_000_000)).into_bytes();
        let text = "<html>".repeat(20_000).into_bytes();
        let mut many = vec!["y".repeat(100_000)];
        many.extend((0..10_000).map(|i| format!("e{i}")));
        let errors = serde_json::to_vec(&serde_json::json!({ "errors": many })).unwrap();
        let e = quick(serve(body(json_string, "200 OK")).await)
            .health()
            .await
            .unwrap_err()
            .to_string();
        assert!(e.len() < 400 && e.contains("(1000000 bytes)"), "{e:.400}");
        let e = quick(serve(body(text, "502 Bad Gateway")).await)
            .health()
            .await
            .unwrap_err()
            .to_string();
        assert!(e.len() < 400 && e.contains("(120000 bytes)"), "{e:.400}");
        let e = quick(serve(body(errors, "400 Bad Request")).await)
            .call("GET", "x", None)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.len() < 1200 && e.contains("(100000 bytes)"), "{e:.1200}");
    }

    #[tokio::test]
    async fn a_redirect_to_another_host_does_not_carry_the_token() {
        let tokens = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = tokens.clone();
        // 127.0.0.2 is loopback too, but another host as far as URLs go.
        let elsewhere = serve_on("127.0.0.2", move |mut sock| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push("request".into());
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    )
                    .await;
            }
        })
        .await;
        let to = format!("{elsewhere}/v1/steal");
        let addr = serve(move |mut sock| {
            let to = to.clone();
            async move {
                let head = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(head.as_bytes()).await;
            }
        })
        .await;
        let e = quick(addr)
            .call("GET", "sys/mounts", None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(307), "{e}");
        assert!(
            tokens.lock().unwrap().is_empty(),
            "the redirect was followed"
        );
    }

    #[test]
    fn ca_and_client_files_are_read_within_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.pem"), vec![b'a'; 2 * 1024 * 1024]).unwrap();
        let file = |var: &str, path: &str| EnvFile {
            var: var.to_string(),
            path: path.into(),
        };
        let err = |cfg: &VaultConfig| Http::new(cfg).err().expect("refused");
        let mut cfg = VaultConfig::new("https://127.0.0.1:1", None);
        cfg.ca_cert = Some(file("VAULT_CACERT", "/dev/zero"));
        let e = err(&cfg);
        assert!(
            e.contains("VAULT_CACERT /dev/zero: is a character device"),
            "{e}"
        );
        cfg.ca_cert = None;
        cfg.ca_path = Some(file("BAO_CAPATH", dir.path().to_str().unwrap()));
        let e = err(&cfg);
        assert!(
            e.contains("BAO_CAPATH") && e.contains("big.pem") && e.contains("1.0 MiB"),
            "{e}"
        );
        cfg.ca_path = None;
        cfg.client_cert = Some((
            file("VAULT_CLIENT_CERT", "/dev/zero"),
            file("VAULT_CLIENT_KEY", "/dev/null"),
        ));
        let e = err(&cfg);
        assert!(e.contains("VAULT_CLIENT_CERT /dev/zero"), "{e}");
        // Plain http reads none of them.
        cfg.address = "http://127.0.0.1:1".into();
        cfg.ca_cert = Some(file("VAULT_CACERT", "/dev/zero"));
        assert!(Http::new(&cfg).is_ok());
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
