//! Where Vault is and how to talk to it, resolved like the vault / bao CLIs:
//! `--vault-addr`, else `VAULT_ADDR` / `BAO_ADDR`; token from `VAULT_TOKEN` /
//! `BAO_TOKEN` / `~/.vault-token`; `VAULT_CACERT`, `VAULT_CAPATH`,
//! `VAULT_NAMESPACE` (each with its `BAO_` twin); `VAULT_SKIP_VERIFY` only when
//! it is explicitly set to a true value. TLS is verified by default.

use std::path::PathBuf;
use std::time::Duration;

/// Default number of Vault requests in flight at once (`--vault-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default number of Vault requests per poll cycle (`--vault-budget`).
pub const DEFAULT_BUDGET: usize = 200;
/// Default seconds between poll cycles (`--vault-interval`).
pub const DEFAULT_INTERVAL_SECS: u64 = 10;

/// How vaultscope connects to Vault and how hard it may poll it.
#[derive(Clone)]
pub struct VaultConfig {
    pub address: String,
    pub token: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub ca_path: Option<PathBuf>,
    pub namespace: Option<String>,
    pub skip_verify: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per poll cycle; what does not fit waits for the next cycle.
    pub budget: usize,
    /// Time between poll cycles.
    pub interval: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for VaultConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultConfig")
            .field("address", &self.address)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("ca_cert", &self.ca_cert)
            .field("ca_path", &self.ca_path)
            .field("namespace", &self.namespace)
            .field("skip_verify", &self.skip_verify)
            .field("concurrency", &self.concurrency)
            .field("budget", &self.budget)
            .field("interval", &self.interval)
            .finish()
    }
}

/// Go's `strconv.ParseBool` truth values, which the vault CLI uses.
fn truthy(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

impl VaultConfig {
    /// A config for `address` with the given token and default limits.
    pub fn new(address: impl Into<String>, token: Option<String>) -> Self {
        VaultConfig {
            address: address.into(),
            token,
            ca_cert: None,
            ca_path: None,
            namespace: None,
            skip_verify: false,
            concurrency: DEFAULT_CONCURRENCY,
            budget: DEFAULT_BUDGET,
            interval: Duration::from_secs(DEFAULT_INTERVAL_SECS),
            timeout: Duration::from_secs(10),
        }
    }

    /// Resolve from an explicit address (the flag) and an environment lookup.
    /// `None` when no address is configured: Vault is optional.
    pub fn resolve(
        flag_addr: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
        token_file: Option<PathBuf>,
    ) -> Option<VaultConfig> {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
        };
        let address = flag_addr
            .map(str::to_string)
            .filter(|a| !a.trim().is_empty())
            .or_else(|| get(&["VAULT_ADDR", "BAO_ADDR"]))?;
        let token = get(&["VAULT_TOKEN", "BAO_TOKEN"]).or_else(|| {
            token_file
                .and_then(|f| std::fs::read_to_string(f).ok())
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        });
        let mut c = VaultConfig::new(address.trim().trim_end_matches('/'), token);
        c.ca_cert = get(&["VAULT_CACERT", "BAO_CACERT"]).map(PathBuf::from);
        c.ca_path = get(&["VAULT_CAPATH", "BAO_CAPATH"]).map(PathBuf::from);
        c.namespace = get(&["VAULT_NAMESPACE", "BAO_NAMESPACE"]);
        c.skip_verify =
            get(&["VAULT_SKIP_VERIFY", "BAO_SKIP_VERIFY"]).is_some_and(|v| truthy(v.trim()));
        Some(c)
    }

    /// Resolve from the process environment and `~/.vault-token`.
    pub fn from_env(flag_addr: Option<&str>) -> Option<VaultConfig> {
        let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
        Self::resolve(flag_addr, |k| std::env::var(k).ok(), home)
    }

    /// Apply the limit flags (`--vault-concurrency`, `--vault-budget`, `--vault-interval`).
    pub fn with_limits(mut self, concurrency: usize, budget: usize, interval: Duration) -> Self {
        self.concurrency = concurrency.max(1);
        self.budget = budget.max(1);
        self.interval = interval.max(Duration::from_millis(100));
        self
    }
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
        assert!(VaultConfig::resolve(None, env(&[("VAULT_TOKEN", "t")]), None).is_none());
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
        .unwrap();
        assert_eq!(c.address, "https://flag:8200");
        assert_eq!(c.token.as_deref(), Some("v"));
        let c = VaultConfig::resolve(None, env(&[("BAO_ADDR", "http://bao")]), None).unwrap();
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
        .unwrap();
        assert_eq!(c.token.as_deref(), Some("s.file"));
        assert_eq!(c.ca_cert, Some(PathBuf::from("/ca.pem")));
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert!(!c.skip_verify);
        let c = VaultConfig::resolve(
            None,
            env(&[("VAULT_ADDR", "https://v"), ("VAULT_SKIP_VERIFY", "1")]),
            Some(f),
        )
        .unwrap();
        assert!(c.skip_verify);
        assert!(!format!("{c:?}").contains("s.file"));
    }
}
