//! Where Vault is and how to talk to it, resolved like the vault / bao CLIs:
//! `--vault-addr`, else `VAULT_ADDR` / `BAO_ADDR`; token from `VAULT_TOKEN` /
//! `BAO_TOKEN` / `~/.vault-token`; `VAULT_CACERT`, `VAULT_CAPATH`,
//! `VAULT_CLIENT_CERT` / `VAULT_CLIENT_KEY`, `VAULT_NAMESPACE` (each with its
//! `BAO_` twin); `VAULT_SKIP_VERIFY` only when it is explicitly set to a true
//! value. TLS is verified by default.
//!
//! An address is checked where it is read, so that a mistyped one is bad
//! usage naming the flag or variable it came from, not an unreachable Vault.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use crate::bounded::{self, ReadError};
use crate::safe::display_address;

/// Default number of Vault requests in flight at once (`--vault-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default number of Vault requests per poll cycle (`--vault-budget`).
/// Cycles that run out of budget come 1 s apart, so this is also the most
/// requests a second Vault sees: 10,000 leases have their first countdown in
/// 45 s (README, Performance, `scripts/scale-vault.sh`), at a fifth of the
/// 1,500 requests a second that Vault's docs give as a global rate limit
/// quota example (hashicorp/vault
/// website/content/docs/configuration/create-rate-limit-quota.mdx).
pub const DEFAULT_BUDGET: usize = 300;
/// Default seconds between poll cycles (`--vault-interval`).
pub const DEFAULT_INTERVAL_SECS: u64 = 10;
/// `~/.vault-token` holds one token of a few hundred bytes; anything much
/// larger is not a token file.
const TOKEN_FILE_LIMIT: u64 = 16 * 1024;

/// A file named by an environment variable (or a config file's key), which
/// messages name too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    pub var: String,
    pub path: PathBuf,
}

/// The Vault of one kube context, from the config file: used when neither
/// `--vault-addr` nor VAULT_ADDR / BAO_ADDR gives an address. Its CA and
/// namespace belong to its address, so they apply only with it (and
/// VAULT_CACERT or VAULT_CAPATH, and VAULT_NAMESPACE, still come first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextVault {
    /// Where it is written, for messages: `FILE [contexts."NAME"]`.
    pub origin: String,
    pub address: String,
    pub ca_cert: Option<PathBuf>,
    pub namespace: Option<String>,
}

impl std::fmt::Display for EnvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.var, self.path.display())
    }
}

/// How vaultscope connects to Vault and how hard it may poll it.
#[derive(Clone)]
pub struct VaultConfig {
    pub address: String,
    pub token: Option<String>,
    pub ca_cert: Option<EnvFile>,
    pub ca_path: Option<EnvFile>,
    /// Client certificate and key for TLS client authentication; both or neither.
    pub client_cert: Option<(EnvFile, EnvFile)>,
    pub namespace: Option<String>,
    pub skip_verify: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per poll cycle, shared by kind of request (`plan::Ration`);
    /// what does not fit waits for the next cycle, 1 s later.
    pub budget: usize,
    /// Time between poll cycles.
    pub interval: Duration,
    /// Per-request timeout, from connecting to the end of the body.
    pub timeout: Duration,
    /// How long connecting (TCP and TLS) may take.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for VaultConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultConfig")
            .field("address", &display_address(&self.address))
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("ca_cert", &self.ca_cert)
            .field("ca_path", &self.ca_path)
            .field("client_cert", &self.client_cert)
            .field("namespace", &self.namespace)
            .field("skip_verify", &self.skip_verify)
            .field("concurrency", &self.concurrency)
            .field("budget", &self.budget)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// Go's `strconv.ParseBool` truth values, which the vault CLI uses.
fn truthy(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// A Vault address as a URL: http or https, with a host. Anything else
/// (`ftp:`, `file:`, `unix:`, a typo) reqwest cannot talk to; the error says
/// why, showing the value without userinfo or query.
pub fn parse_address(address: &str) -> Result<Url, String> {
    const LIKE: &str = "Vault addresses look like https://vault.example:8200";
    let shown = display_address(address);
    let url = Url::parse(address).map_err(|e| format!("{shown:?} is not a URL ({e}); {LIKE}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{shown:?} is not an http:// or https:// address; {LIKE}"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{shown:?} has no host; {LIKE}"));
    }
    Ok(url)
}

/// Plain http to a host other than this machine: whatever is sent, the
/// token among it, can be read and replayed on the way. Loopback
/// (127.0.0.0/8, ::1, `localhost`) never leaves the machine.
pub fn is_plaintext_remote(url: &Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(IpAddr::V4(ip)) => !ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            !(ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        }
        Err(_) => !host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

impl VaultConfig {
    /// A config for `address` with the given token and default limits.
    pub fn new(address: impl Into<String>, token: Option<String>) -> Self {
        VaultConfig {
            address: address.into(),
            token,
            ca_cert: None,
            ca_path: None,
            client_cert: None,
            namespace: None,
            skip_verify: false,
            concurrency: DEFAULT_CONCURRENCY,
            budget: DEFAULT_BUDGET,
            interval: Duration::from_secs(DEFAULT_INTERVAL_SECS),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Resolve from an explicit address (the flag) and an environment lookup.
    /// `Ok(None)` when no address is configured: Vault is optional. An empty
    /// flag, an address that is not http(s) with a host, or an unreadable
    /// token file is an error naming where it came from.
    pub fn resolve(
        flag_addr: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
        token_file: Option<PathBuf>,
    ) -> Result<Option<VaultConfig>, String> {
        Self::resolve_in(flag_addr, env, token_file, None)
    }

    /// [`VaultConfig::resolve`], with the kube context's Vault from the
    /// config file as the last place an address is looked for.
    pub fn resolve_in(
        flag_addr: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
        token_file: Option<PathBuf>,
        context: Option<&ContextVault>,
    ) -> Result<Option<VaultConfig>, String> {
        // An empty variable counts as unset, as for the vault CLI.
        let get = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
        };
        let (from, address) = match flag_addr {
            // An empty flag is a mistake (an unset shell variable): ignoring
            // it would fall back to VAULT_ADDR or to no Vault without a word.
            Some(a) if a.trim().is_empty() => {
                return Err(
                    "--vault-addr is empty; give Vault's address (e.g. https://vault.example:8200) or leave the flag out"
                        .into(),
                );
            }
            Some(a) => ("--vault-addr".to_string(), a.to_string()),
            None => match (get(&["VAULT_ADDR", "BAO_ADDR"]), context) {
                (Some((var, a)), _) => (var.to_string(), a),
                (None, Some(c)) => (format!("{} vault_addr", c.origin), c.address.clone()),
                (None, None) => return Ok(None),
            },
        };
        // The context's CA and namespace go with its address only.
        let context = context.filter(|c| {
            flag_addr.is_none()
                && get(&["VAULT_ADDR", "BAO_ADDR"]).is_none()
                && c.address == address
        });
        let address = address.trim().trim_end_matches('/').to_string();
        parse_address(&address).map_err(|e| format!("{from}: {e}"))?;
        let token = match get(&["VAULT_TOKEN", "BAO_TOKEN"]) {
            Some((_, t)) => Some(t),
            None => match token_file {
                Some(f) => read_token_file(&f)?,
                None => None,
            },
        };
        let file = |names: &[&'static str]| {
            get(names).map(|(var, v)| EnvFile {
                var: var.to_string(),
                path: PathBuf::from(v),
            })
        };
        let mut c = VaultConfig::new(address, token);
        c.ca_path = file(&["VAULT_CAPATH", "BAO_CAPATH"]);
        c.ca_cert = file(&["VAULT_CACERT", "BAO_CACERT"]).or_else(|| {
            let ctx = context.filter(|_| c.ca_path.is_none())?;
            Some(EnvFile {
                var: format!("{} vault_cacert", ctx.origin),
                path: ctx.ca_cert.clone()?,
            })
        });
        c.client_cert = match (
            file(&["VAULT_CLIENT_CERT", "BAO_CLIENT_CERT"]),
            file(&["VAULT_CLIENT_KEY", "BAO_CLIENT_KEY"]),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => {
                return Err(format!(
                    "{} is set but not its pair: a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY",
                    one.var
                ));
            }
        };
        c.namespace = get(&["VAULT_NAMESPACE", "BAO_NAMESPACE"])
            .map(|(_, v)| v)
            .or_else(|| context.and_then(|ctx| ctx.namespace.clone()));
        c.skip_verify =
            get(&["VAULT_SKIP_VERIFY", "BAO_SKIP_VERIFY"]).is_some_and(|(_, v)| truthy(v.trim()));
        Ok(Some(c))
    }

    /// Resolve from the process environment and `~/.vault-token`.
    pub fn from_env(flag_addr: Option<&str>) -> Result<Option<VaultConfig>, String> {
        Self::from_env_in(flag_addr, None)
    }

    /// [`VaultConfig::from_env`], with the kube context's Vault from the config file.
    pub fn from_env_in(
        flag_addr: Option<&str>,
        context: Option<&ContextVault>,
    ) -> Result<Option<VaultConfig>, String> {
        let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
        Self::resolve_in(flag_addr, |k| std::env::var(k).ok(), home, context)
    }

    /// Apply the limit flags (`--vault-concurrency`, `--vault-budget`, `--vault-interval`).
    pub fn with_limits(mut self, concurrency: usize, budget: usize, interval: Duration) -> Self {
        self.concurrency = concurrency.max(1);
        self.budget = budget.max(1);
        self.interval = interval.max(Duration::from_millis(100));
        self
    }

    /// [`proxy_note`] for this address and the process environment.
    pub fn proxy_note(&self) -> Option<String> {
        proxy_note(&self.address, |k| std::env::var(k).ok())
    }

    /// What to tell the user when the token would cross the network in
    /// clear text (see [`is_plaintext_remote`]); `None` when it would not.
    pub fn plaintext_token_warning(&self) -> Option<String> {
        let url = Url::parse(&self.address).ok()?;
        (self.token.is_some() && is_plaintext_remote(&url)).then(|| {
            format!(
                "the Vault token is sent over plain http to {}: anyone on the network path can read it; use https",
                display_address(&self.address)
            )
        })
    }
}

/// The proxy variables reqwest reads for an address, in its order, which
/// `proxy_note` names.
fn proxy_variables(https: bool) -> &'static [&'static str] {
    if https {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    }
}

/// When a proxy from the environment applies to `address` (by reqwest's
/// own rules, NO_PROXY included), one line saying so: the proxy without
/// userinfo, and the variable it came from. `env` looks a variable up.
pub fn proxy_note(address: &str, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let uri: http::Uri = address.parse().ok()?;
    let get = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let matcher = hyper_util::client::proxy::matcher::Matcher::builder()
        .http(get(&["HTTP_PROXY", "http_proxy"]).unwrap_or_default())
        .https(get(&["HTTPS_PROXY", "https_proxy"]).unwrap_or_default())
        .all(get(&["ALL_PROXY", "all_proxy"]).unwrap_or_default())
        .no(get(&["NO_PROXY", "no_proxy"]).unwrap_or_default())
        .build();
    let intercept = matcher.intercept(&uri)?;
    let var = proxy_variables(uri.scheme_str() == Some("https"))
        .iter()
        .find(|n| env(n).is_some_and(|v| !v.is_empty()))
        .copied()
        .unwrap_or("the proxy settings");
    Some(format!(
        "Vault requests to {} go through the proxy {} (from {var}; NO_PROXY exempts hosts)",
        display_address(address),
        display_address(&intercept.uri().to_string())
    ))
}

/// The token in `~/.vault-token`. No file is no token; so is a device such
/// as /dev/null, which people link it to so that `vault login` keeps none.
fn read_token_file(path: &std::path::Path) -> Result<Option<String>, String> {
    let bytes = match bounded::read_capped(path, TOKEN_FILE_LIMIT) {
        Ok(b) => b,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(ReadError::NotAFile(_)) => return Ok(None),
        Err(e) => return Err(format!("token file {}: {e}", path.display())),
    };
    let text =
        bounded::decode_text(&bytes).map_err(|e| format!("token file {}: {e}", path.display()))?;
    let token = text.trim();
    Ok((!token.is_empty()).then(|| token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn not_configured_without_an_address() {
        assert!(
            VaultConfig::resolve(None, env(&[("VAULT_TOKEN", "t")]), None)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_contexts_vault_comes_last_and_brings_its_ca_and_namespace() {
        let ctx = ContextVault {
            origin: "config file c.toml [contexts.prod]".into(),
            address: "https://vault.prod:8200".into(),
            ca_cert: Some("/etc/prod-ca.pem".into()),
            namespace: Some("team-a".into()),
        };
        let c = VaultConfig::resolve_in(None, env(&[]), None, Some(&ctx))
            .unwrap()
            .unwrap();
        assert_eq!(c.address, "https://vault.prod:8200");
        let ca = c.ca_cert.unwrap();
        assert_eq!(ca.var, "config file c.toml [contexts.prod] vault_cacert");
        assert_eq!(ca.path, PathBuf::from("/etc/prod-ca.pem"));
        assert_eq!(c.namespace.as_deref(), Some("team-a"));
        // The environment comes first, key by key...
        let c = VaultConfig::resolve_in(
            None,
            env(&[("VAULT_NAMESPACE", "ops"), ("BAO_CAPATH", "/etc/cas")]),
            None,
            Some(&ctx),
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.namespace.as_deref(), Some("ops"));
        assert!(c.ca_cert.is_none(), "BAO_CAPATH replaces the context's CA");
        // ...and another address leaves the context's CA and namespace out.
        for (flag, vars) in [
            (Some("https://flag:8200"), &[][..]),
            (None, &[("BAO_ADDR", "https://bao:8200")][..]),
        ] {
            let c = VaultConfig::resolve_in(flag, env(vars), None, Some(&ctx))
                .unwrap()
                .unwrap();
            assert_ne!(c.address, ctx.address);
            assert!(c.ca_cert.is_none() && c.namespace.is_none(), "{c:?}");
        }
        // A bad address in the table is named by its table.
        let bad = ContextVault {
            address: "vault.prod".into(),
            ..ctx
        };
        let e = VaultConfig::resolve_in(None, env(&[]), None, Some(&bad)).unwrap_err();
        assert!(
            e.starts_with("config file c.toml [contexts.prod] vault_addr: "),
            "{e}"
        );
    }

    #[test]
    fn flag_beats_env_and_vault_beats_bao() {
        let c = VaultConfig::resolve(
            Some("https://flag:8200/"),
            env(&[
                ("VAULT_ADDR", "http://env"),
                ("BAO_TOKEN", "b"),
                ("VAULT_TOKEN", "v"),
            ]),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.address, "https://flag:8200");
        assert_eq!(c.token.as_deref(), Some("v"));
        let c = VaultConfig::resolve(None, env(&[("BAO_ADDR", "http://bao")]), None)
            .unwrap()
            .unwrap();
        assert_eq!(c.address, "http://bao");
        assert_eq!(c.token, None);
        assert!(!c.skip_verify);
    }

    #[test]
    fn token_file_and_tls_settings() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".vault-token");
        std::fs::write(&f, "s.file\n").unwrap();
        let c = VaultConfig::resolve(
            None,
            env(&[
                ("VAULT_ADDR", "https://v"),
                ("VAULT_CACERT", "/ca.pem"),
                ("VAULT_NAMESPACE", "team"),
                ("VAULT_SKIP_VERIFY", "false"),
            ]),
            Some(f.clone()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.token.as_deref(), Some("s.file"));
        assert_eq!(
            c.ca_cert,
            Some(EnvFile {
                var: "VAULT_CACERT".into(),
                path: PathBuf::from("/ca.pem")
            })
        );
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert!(!c.skip_verify);
        let c = VaultConfig::resolve(
            None,
            env(&[("VAULT_ADDR", "https://v"), ("VAULT_SKIP_VERIFY", "1")]),
            Some(f),
        )
        .unwrap()
        .unwrap();
        assert!(c.skip_verify);
        assert!(!format!("{c:?}").contains("s.file"));
    }

    #[test]
    fn bad_addresses_name_their_source() {
        for bad in [
            "not a url",
            "ftp:",
            "file:",
            "file:///etc/passwd",
            "http://[::1",
            "http://",
            "unix:///run/vault.sock",
            "vault.example:8200",
        ] {
            let e = VaultConfig::resolve(Some(bad), env(&[]), None).unwrap_err();
            assert!(e.starts_with("--vault-addr: "), "{bad}: {e}");
            for var in ["VAULT_ADDR", "BAO_ADDR"] {
                let e = VaultConfig::resolve(None, env(&[(var, bad)]), None).unwrap_err();
                assert!(e.starts_with(&format!("{var}: ")), "{bad}: {e}");
            }
        }
        // The value is quoted without what it may hide.
        let e =
            VaultConfig::resolve(Some("ftp://u:hunter2@h/?token=abc"), env(&[]), None).unwrap_err();
        assert!(!e.contains("hunter2") && !e.contains("abc"), "{e}");
        for ok in [
            "http://127.0.0.1:8200",
            "https://[::1]:8200/",
            "https://vault.example/prefix",
        ] {
            assert!(
                VaultConfig::resolve(Some(ok), env(&[]), None)
                    .unwrap()
                    .is_some(),
                "{ok}"
            );
        }
    }

    #[test]
    fn an_empty_flag_is_an_error_and_an_empty_variable_is_unset() {
        for empty in ["", " "] {
            let e = VaultConfig::resolve(Some(empty), env(&[("VAULT_ADDR", "http://env")]), None)
                .unwrap_err();
            assert!(e.contains("--vault-addr is empty"), "{e}");
        }
        let c = VaultConfig::resolve(
            None,
            env(&[("VAULT_ADDR", " "), ("BAO_ADDR", "http://bao")]),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.address, "http://bao");
    }

    #[test]
    fn plaintext_is_remote_unless_loopback() {
        let remote = |a: &str| is_plaintext_remote(&Url::parse(a).unwrap());
        for a in [
            "http://vault.example:8200",
            "http://10.0.0.5:8200",
            "http://192.168.1.2",
            "http://[fd00::2]:8200",
            "http://localhost.evil.example",
            "http://0.0.0.0:8200",
        ] {
            assert!(remote(a), "{a}");
        }
        for a in [
            "http://127.0.0.1:8200",
            "http://127.8.9.10",
            "http://localhost:8200",
            "http://LOCALHOST.",
            "http://[::1]:8200",
            "http://[::ffff:127.0.0.1]:8200",
            "https://vault.example:8200",
        ] {
            assert!(!remote(a), "{a}");
        }
        let c = VaultConfig::new("http://vault.example:8200", Some("t".into()));
        let w = c.plaintext_token_warning().unwrap();
        assert!(
            w.contains("plain http") && w.contains("vault.example"),
            "{w}"
        );
        assert_eq!(
            VaultConfig::new("http://vault.example:8200", None).plaintext_token_warning(),
            None,
            "no token, nothing to read on the way"
        );
        assert_eq!(
            VaultConfig::new("http://u:p@vault.example/?q=1", Some("t".into()))
                .plaintext_token_warning()
                .unwrap(),
            "the Vault token is sent over plain http to http://vault.example: anyone on the network path can read it; use https"
        );
    }

    #[test]
    fn the_token_file_is_read_within_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        let vault = env(&[("VAULT_ADDR", "https://v")]);
        let f = dir.path().join(".vault-token");
        std::fs::write(&f, vec![b'a'; 64 * 1024]).unwrap();
        let e = VaultConfig::resolve(None, &vault, Some(f.clone())).unwrap_err();
        assert!(e.contains(".vault-token") && e.contains("16 KiB"), "{e}");
        // No file, or a device in its place (/dev/null keeps the vault CLI
        // from storing one): no token.
        for none in [
            dir.path().join("missing"),
            "/dev/null".into(),
            "/dev/zero".into(),
        ] {
            let c = VaultConfig::resolve(None, &vault, Some(none))
                .unwrap()
                .unwrap();
            assert_eq!(c.token, None);
        }
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let e = VaultConfig::resolve(
            None,
            env(&[("VAULT_ADDR", "https://v"), ("VAULT_CLIENT_CERT", "/c.pem")]),
            None,
        )
        .unwrap_err();
        assert!(
            e.contains("VAULT_CLIENT_CERT") && e.contains("VAULT_CLIENT_KEY"),
            "{e}"
        );
        let c = VaultConfig::resolve(
            None,
            env(&[
                ("VAULT_ADDR", "https://v"),
                ("BAO_CLIENT_CERT", "/c.pem"),
                ("VAULT_CLIENT_KEY", "/k.pem"),
            ]),
            None,
        )
        .unwrap()
        .unwrap();
        let (cert, key) = c.client_cert.unwrap();
        assert_eq!(
            (cert.var.as_str(), key.var.as_str()),
            ("BAO_CLIENT_CERT", "VAULT_CLIENT_KEY")
        );
    }

    #[test]
    fn a_proxy_that_applies_is_named_without_its_password() {
        let note = |addr: &str, pairs: &[(&str, &str)]| proxy_note(addr, env(pairs));
        let n = note(
            "https://vault.example:8200",
            &[("HTTPS_PROXY", "http://bob:hunter2@proxy.corp:3128")],
        )
        .unwrap();
        assert!(
            n.contains("https://vault.example:8200")
                && n.contains("http://proxy.corp:3128")
                && n.contains("from HTTPS_PROXY"),
            "{n}"
        );
        assert!(!n.contains("hunter2") && !n.contains("bob"), "{n}");
        let n = note("http://vault.example", &[("all_proxy", "http://p:1")]).unwrap();
        assert!(n.contains("from all_proxy"), "{n}");
        // HTTP_PROXY is not for https, NO_PROXY exempts, and nothing set is nothing.
        for (addr, pairs) in [
            ("https://vault.example", &[("HTTP_PROXY", "http://p:1")][..]),
            (
                "https://vault.example",
                &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", ".example")],
            ),
            (
                "http://127.0.0.1:8200",
                &[("HTTP_PROXY", ""), ("NO_PROXY", "")],
            ),
            ("http://127.0.0.1:8200", &[]),
        ] {
            assert_eq!(note(addr, pairs), None, "{addr} {pairs:?}");
        }
    }
}
