//! One config file of defaults: `$XDG_CONFIG_HOME/vaultscope/config.toml`
//! (else `~/.config/vaultscope/config.toml`; `--config PATH` instead).
//! Every setting is taken from the first place that has it: a flag, the
//! environment, this file, the built-in default; [`Settings`] keeps where
//! each came from for `vaultscope config`.
//!
//! ```toml
//! theme = "light"
//! sort = "expiry"            # severity | expiry | name | namespace
//! vault_budget = 100
//! vault_concurrency = 2
//! vault_interval = 30
//! log_budget = 50
//! [contexts."prod-eu"]       # a kube context's own Vault
//! vault_addr = "https://vault.prod-eu.example:8200"
//! vault_cacert = "~/certs/prod-eu-ca.pem"
//! vault_namespace = "team-a"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bounded;
use crate::cli::{Cli, Mode};
use crate::sources::vault::config::{ContextVault, parse_address};
use crate::sources::vault::{self, VaultConfig};

/// A config file is a few hundred bytes; anything near this is not one.
const FILE_CAP: u64 = 1 << 20;

/// The workload list's first order (its key cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Severity,
    Expiry,
    Name,
    Namespace,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Severity => "severity",
            Sort::Expiry => "expiry",
            Sort::Name => "name",
            Sort::Namespace => "namespace",
        }
    }
}

impl From<Sort> for crate::app::state::Sort {
    fn from(s: Sort) -> Self {
        match s {
            Sort::Severity => Self::Severity,
            Sort::Expiry => Self::Expiry,
            Sort::Name => Self::Name,
            Sort::Namespace => Self::Namespace,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    theme: Option<String>,
    sort: Option<Sort>,
    log_budget: Option<usize>,
    vault_budget: Option<usize>,
    vault_concurrency: Option<usize>,
    vault_interval: Option<u64>,
    #[serde(default)]
    contexts: BTreeMap<String, RawContext>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    vault_addr: Option<String>,
    vault_cacert: Option<String>,
    vault_namespace: Option<String>,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag(&'static str),
    Env(String),
    /// The config file's key (the file is [`Settings::file`]).
    File(String),
    /// The kubeconfig's current-context.
    Kubeconfig,
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "environment {var}"),
            Origin::File(key) => write!(f, "config file, {key}"),
            Origin::Kubeconfig => f.write_str("kubeconfig current-context"),
            Origin::Default => f.write_str("built-in default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub from: Origin,
}

fn pick<T>(flag: Option<(T, &'static str)>, file: Option<(T, &str)>, default: T) -> Setting<T> {
    match (flag, file) {
        (Some((value, f)), _) => Setting {
            value,
            from: Origin::Flag(f),
        },
        (None, Some((value, key))) => Setting {
            value,
            from: Origin::File(key.into()),
        },
        (None, None) => Setting {
            value: default,
            from: Origin::Default,
        },
    }
}

/// The config file that was read, if any.
#[derive(Debug, Clone)]
pub struct File {
    pub path: PathBuf,
    /// `--config`, or the default place.
    pub from: Origin,
}

/// Every setting, resolved.
#[derive(Debug)]
pub struct Settings {
    pub file: Option<File>,
    /// Where the config file would be when there is none.
    pub default_file: Option<PathBuf>,
    /// A theme name or path.
    pub theme: Setting<String>,
    pub sort: Setting<Sort>,
    /// `check --log-budget`: healthy agents whose logs a live check reads.
    pub log_budget: Setting<usize>,
    pub vault_budget: Setting<usize>,
    pub vault_concurrency: Setting<usize>,
    pub vault_interval: Setting<u64>,
    /// `--vault-addr`.
    vault_addr_flag: Option<String>,
    /// The kube context, when the file has per-context tables and the
    /// command reads a cluster.
    pub context: Option<Setting<String>>,
    /// The context's table, if the file has one for it.
    pub context_vault: Option<ContextVault>,
    /// Whether the file has per-context tables.
    has_contexts: bool,
}

/// Whether a file name given as a theme is a path (as `theme::load` decides).
fn is_path(spec: &str) -> bool {
    spec.ends_with(".toml") || spec.contains('/')
}

/// A path written in the config file: `~/` is the home folder, and a
/// relative path is relative to the file's folder.
fn file_path(written: &str, config: &Path) -> PathBuf {
    if let Some(rest) = written.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let p = PathBuf::from(written);
    match config.parent() {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p,
    }
}

/// `$XDG_CONFIG_HOME/vaultscope/config.toml`, else `~/.config/...`.
pub fn default_path() -> Option<PathBuf> {
    crate::theme::user_theme_dir().map(|d| d.with_file_name("config.toml"))
}

/// Read and check the config file: `--config PATH` must exist, the default
/// one may not. Errors name the file, the key and what is wrong.
fn read(flag: Option<&Path>) -> Result<Option<(File, Raw)>, String> {
    let (path, from) = match flag {
        Some(p) => (p.to_path_buf(), Origin::Flag("--config")),
        None => match default_path() {
            Some(p) => (p, Origin::Default),
            None => return Ok(None),
        },
    };
    let bytes = match bounded::read_capped(&path, FILE_CAP) {
        Ok(b) => b,
        Err(bounded::ReadError::Io(e))
            if e.kind() == std::io::ErrorKind::NotFound && flag.is_none() =>
        {
            return Ok(None);
        }
        Err(e) if flag.is_some() => return Err(format!("--config {}: {e}", path.display())),
        Err(e) => return Err(format!("config file {}: {e}", path.display())),
    };
    let bad = |detail: String| format!("config file {}: {detail}", path.display());
    let text = bounded::decode_text(&bytes).map_err(|e| bad(e.to_string()))?;
    let raw = parse(&text).map_err(bad)?;
    Ok(Some((File { path, from }, raw)))
}

/// Parse and check the text of a config file; an error names the key.
fn parse(text: &str) -> Result<Raw, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| e.to_string().trim().to_string())?;
    let raw: Raw = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        let msg = msg.trim();
        if path == "." {
            msg.to_string()
        } else {
            format!("key `{path}`: {msg}")
        }
    })?;
    let at_least_one = |key: &str, v: Option<usize>| match v {
        Some(0) => Err(format!(
            "key `{key}`: 0 is not a whole number of at least 1"
        )),
        _ => Ok(()),
    };
    at_least_one("log_budget", raw.log_budget)?;
    at_least_one("vault_budget", raw.vault_budget)?;
    at_least_one("vault_concurrency", raw.vault_concurrency)?;
    if let Some(v) = raw.vault_interval
        && !(1..=86_400).contains(&v)
    {
        return Err(format!(
            "key `vault_interval`: {v} is not a whole number of seconds from 1 to 86400 (a day)"
        ));
    }
    if raw.theme.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(
            "key `theme`: empty; name a theme (see `vaultscope themes`) or leave the key out"
                .into(),
        );
    }
    for (name, ctx) in &raw.contexts {
        let key = |k: &str| format!("key `contexts.{}.{k}`", toml_key(name));
        match &ctx.vault_addr {
            Some(a) => {
                parse_address(a).map_err(|e| format!("{}: {e}", key("vault_addr")))?;
            }
            None => {
                return Err(format!(
                    "{}: missing; a context's table names its Vault's address (vault_cacert and vault_namespace go with it)",
                    key("vault_addr")
                ));
            }
        }
        for (k, v) in [
            ("vault_cacert", &ctx.vault_cacert),
            ("vault_namespace", &ctx.vault_namespace),
        ] {
            if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(format!(
                    "{}: empty; give a value or leave the key out",
                    key(k)
                ));
            }
        }
    }
    Ok(raw)
}

/// A table key as TOML writes it: bare when it can be, else quoted.
fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// The context kubectl would use: `--context`, else the kubeconfig's
/// current-context. `None` when the kubeconfig cannot be read (connecting
/// says why later).
fn kube_context(cli: &Cli) -> Option<Setting<String>> {
    if let Some(c) = &cli.kube.context {
        return Some(Setting {
            value: c.clone(),
            from: Origin::Flag("--context"),
        });
    }
    let kubeconfig = match &cli.kube.kubeconfig {
        Some(p) => kube::config::Kubeconfig::read_from(p),
        None => kube::config::Kubeconfig::read(),
    }
    .ok()?;
    Some(Setting {
        value: kubeconfig.current_context?,
        from: Origin::Kubeconfig,
    })
}

impl Settings {
    /// Resolve every setting for this command line. `given(id)` says whether
    /// the flag with that clap id was typed; the kubeconfig is read (for its
    /// current-context) only when the command reads a cluster and the file
    /// has per-context tables.
    pub fn resolve(
        cli: &Cli,
        given: impl Fn(&str) -> bool,
        mode: Mode,
    ) -> Result<Settings, String> {
        // Listing themes and printing completions or man pages read no
        // settings: a broken file must not stop them.
        let reads_file = !matches!(mode, Mode::Themes | Mode::Meta(_));
        let reads_cluster = mode.reads_cluster();
        let found = if reads_file {
            read(cli.config.as_deref())?
        } else {
            None
        };
        let (file, raw) = match found {
            Some((f, r)) => (Some(f), r),
            None => (None, Raw::default()),
        };
        let flag = |id: &str, name: &'static str| given(id).then_some(name);
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme_in_file = raw.theme.clone().map(|t| match &file {
            Some(f) if is_path(&t) => file_path(&t, &f.path).display().to_string(),
            _ => t,
        });
        let theme = match (&cli.view.theme, no_color, theme_in_file) {
            (Some(t), _, _) => Setting {
                value: t.clone(),
                from: Origin::Flag("--theme"),
            },
            (None, true, _) => Setting {
                value: crate::theme::default_name(true).into(),
                from: Origin::Env("NO_COLOR".into()),
            },
            (None, false, Some(t)) => Setting {
                value: t,
                from: Origin::File("theme".into()),
            },
            (None, false, None) => Setting {
                value: crate::theme::default_name(false).into(),
                from: Origin::Default,
            },
        };
        let v = &cli.vault;
        let context = if reads_cluster && !raw.contexts.is_empty() {
            kube_context(cli)
        } else {
            None
        };
        let context_vault = context.as_ref().and_then(|c| {
            let t = raw.contexts.get(&c.value)?;
            let f = file.as_ref()?;
            Some(ContextVault {
                origin: format!(
                    "config file {} [contexts.{}]",
                    f.path.display(),
                    toml_key(&c.value)
                ),
                address: t
                    .vault_addr
                    .clone()?
                    .trim()
                    .trim_end_matches('/')
                    .to_string(),
                ca_cert: t.vault_cacert.as_deref().map(|p| file_path(p, &f.path)),
                namespace: t.vault_namespace.clone(),
            })
        });
        Ok(Settings {
            default_file: default_path(),
            theme,
            sort: pick(None, raw.sort.map(|s| (s, "sort")), Sort::default()),
            log_budget: pick(
                flag("log_budget", "--log-budget").and_then(|f| {
                    let typed = match &cli.command {
                        Some(crate::cli::Command::Check(c)) => c.log_budget,
                        _ => None,
                    }?;
                    Some((typed, f))
                }),
                raw.log_budget.map(|b| (b, "log_budget")),
                crate::sources::kube::log_plan::DEFAULT_LOG_BUDGET,
            ),
            vault_budget: pick(
                flag("vault_budget", "--vault-budget").map(|f| (v.vault_budget, f)),
                raw.vault_budget.map(|b| (b, "vault_budget")),
                vault::DEFAULT_BUDGET,
            ),
            vault_concurrency: pick(
                flag("vault_concurrency", "--vault-concurrency").map(|f| (v.vault_concurrency, f)),
                raw.vault_concurrency.map(|c| (c, "vault_concurrency")),
                vault::DEFAULT_CONCURRENCY,
            ),
            vault_interval: pick(
                flag("vault_interval", "--vault-interval").map(|f| (v.vault_interval, f)),
                raw.vault_interval.map(|i| (i, "vault_interval")),
                vault::DEFAULT_INTERVAL_SECS,
            ),
            vault_addr_flag: v.vault_addr.clone(),
            has_contexts: !raw.contexts.is_empty(),
            context,
            context_vault,
            file,
        })
    }

    /// Whether the config file gives this context's Vault an address.
    pub fn has_context_vault(&self) -> bool {
        self.context_vault.is_some()
    }

    /// The Vault connection, or `None` when no address is configured
    /// (`env_fallback`: also look at VAULT_ADDR / BAO_ADDR and the
    /// context's table). An error (bad usage) names the flag, variable or
    /// config key that holds a bad value, or a TLS file that cannot be used.
    pub fn vault(&self, env_fallback: bool) -> Result<Option<VaultConfig>, String> {
        let cfg = match (&self.vault_addr_flag, env_fallback) {
            (None, false) => None,
            (flag, _) => VaultConfig::from_env_in(
                flag.as_deref(),
                self.context_vault.as_ref().filter(|_| env_fallback),
            )?,
        };
        // A CA or client certificate file that cannot be used is bad usage
        // naming its variable, found before anything runs.
        if let Some(cfg) = &cfg {
            vault::http::check_tls_files(cfg)?;
        }
        Ok(cfg.map(|cfg| {
            cfg.with_limits(
                self.vault_concurrency.value,
                self.vault_budget.value,
                std::time::Duration::from_secs(self.vault_interval.value),
            )
        }))
    }

    /// `vaultscope config`: every setting, its value and where it came
    /// from. Tokens are never shown, only whether one is set and where.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        let mut row = |name: &str, value: String, from: String| {
            rows.push((name.to_string(), value, from));
        };
        match &self.file {
            Some(f) => row(
                "config file",
                f.path.display().to_string(),
                match f.from {
                    Origin::Flag(flag) => format!("flag {flag}"),
                    _ => "its default place".into(),
                },
            ),
            None => row(
                "config file",
                "none".into(),
                match &self.default_file {
                    Some(p) => format!("no {}", p.display()),
                    None => "neither XDG_CONFIG_HOME nor HOME is set".into(),
                },
            ),
        }
        match &self.context {
            Some(c) => row("kube context", c.value.clone(), c.from.to_string()),
            None if self.has_contexts => row(
                "kube context",
                "-".into(),
                "no --context, and no kubeconfig current-context".into(),
            ),
            None => row(
                "kube context",
                "-".into(),
                "not looked up (no [contexts] in the config file)".into(),
            ),
        }
        row(
            "theme",
            self.theme.value.clone(),
            self.theme.from.to_string(),
        );
        row(
            "sort",
            self.sort.value.as_str().into(),
            self.sort.from.to_string(),
        );
        row(
            "log_budget",
            self.log_budget.value.to_string(),
            format!("{} (for check --log-budget)", self.log_budget.from),
        );
        for (name, s) in [
            ("vault_budget", &self.vault_budget),
            ("vault_concurrency", &self.vault_concurrency),
        ] {
            row(name, s.value.to_string(), s.from.to_string());
        }
        row(
            "vault_interval",
            format!("{}s", self.vault_interval.value),
            self.vault_interval.from.to_string(),
        );
        let env = |names: &[&'static str]| {
            names.iter().find_map(|n| {
                std::env::var(n)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*n, v))
            })
        };
        let ctx = self.context_vault.as_ref();
        let ctx_key = |k: &str| {
            let name = self.context.as_ref().map_or("", |c| c.value.as_str());
            format!("[contexts.{}] {k}", toml_key(name))
        };
        let addr_env = env(&["VAULT_ADDR", "BAO_ADDR"]);
        let (addr, addr_from) = match (&self.vault_addr_flag, &addr_env, ctx) {
            (Some(a), _, _) => (a.clone(), Origin::Flag("--vault-addr").to_string()),
            (None, Some((var, a)), _) => (a.clone(), Origin::Env(var.to_string()).to_string()),
            (None, None, Some(c)) => (
                c.address.clone(),
                Origin::File(ctx_key("vault_addr")).to_string(),
            ),
            (None, None, None) => ("none".into(), "no Vault is polled".into()),
        };
        row("vault_addr", crate::safe::display_address(&addr), addr_from);
        let ctx_used = self.vault_addr_flag.is_none() && addr_env.is_none();
        let ctx = ctx.filter(|_| ctx_used);
        let ca = match (
            env(&["VAULT_CACERT", "BAO_CACERT"]),
            env(&["VAULT_CAPATH", "BAO_CAPATH"]),
            ctx.and_then(|c| c.ca_cert.as_ref()),
        ) {
            (Some((var, v)), _, _) | (None, Some((var, v)), _) => {
                (v, Origin::Env(var.into()).to_string())
            }
            (None, None, Some(p)) => (
                p.display().to_string(),
                Origin::File(ctx_key("vault_cacert")).to_string(),
            ),
            (None, None, None) => ("-".into(), "the system's roots".into()),
        };
        row("vault_cacert", ca.0, ca.1);
        let ns = match (
            env(&["VAULT_NAMESPACE", "BAO_NAMESPACE"]),
            ctx.and_then(|c| c.namespace.as_ref()),
        ) {
            (Some((var, v)), _) => (v, Origin::Env(var.into()).to_string()),
            (None, Some(n)) => (
                n.clone(),
                Origin::File(ctx_key("vault_namespace")).to_string(),
            ),
            (None, None) => ("-".into(), "none (the root namespace)".into()),
        };
        row("vault_namespace", ns.0, ns.1);
        let token_file = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
        let token = match (env(&["VAULT_TOKEN", "BAO_TOKEN"]), token_file) {
            (Some((var, _)), _) => ("set, not shown".into(), Origin::Env(var.into()).to_string()),
            (None, Some(f)) if f.is_file() => ("set, not shown".into(), f.display().to_string()),
            _ => (
                "none".into(),
                "no VAULT_TOKEN, BAO_TOKEN or ~/.vault-token".into(),
            ),
        };
        row("vault_token", token.0, token.1);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_parses() {
        let raw = parse(
            r#"
theme = "light"
sort = "expiry"
log_budget = 5
vault_budget = 10
vault_concurrency = 2
vault_interval = 30
[contexts."prod.eu"]
vault_addr = "https://vault.prod:8200/"
vault_cacert = "ca.pem"
vault_namespace = "team-a"
"#,
        )
        .unwrap();
        assert_eq!(raw.sort, Some(Sort::Expiry));
        assert_eq!(raw.vault_interval, Some(30));
        assert_eq!(
            raw.contexts["prod.eu"].vault_namespace.as_deref(),
            Some("team-a")
        );
    }

    #[test]
    fn bad_files_name_the_key_and_what_is_wrong() {
        for (text, want) in [
            (
                "vault_budget = 0",
                "key `vault_budget`: 0 is not a whole number of at least 1",
            ),
            ("vault_budget = \"many\"", "invalid type: string \"many\""),
            (
                "sort = \"random\"",
                "unknown variant `random`, expected one of `severity`, `expiry`, `name`, `namespace`",
            ),
            ("colour = 1", "unknown field `colour`"),
            (
                "vault_interval = 0",
                "key `vault_interval`: 0 is not a whole number of seconds",
            ),
            (
                "[contexts.prod]\nvault_addr = \"ftp://x\"",
                "key `contexts.prod.vault_addr`: \"ftp://x\" is not an http:// or https:// address",
            ),
            (
                "[contexts.\"a b\"]\nvault_cacert = \"x\"",
                "key `contexts.\"a b\".vault_addr`: missing",
            ),
            (
                "[contexts.prod]\nvault_addr = \"https://v\"\nvault_token = \"s.x\"",
                "unknown field `vault_token`",
            ),
            ("theme = ", "TOML parse error at line 1"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.contains(want), "{text}: {e}");
            // Every error in a key names it (the parser's own add a snippet).
            let key = text.rsplit('\n').next().unwrap().split(' ').next().unwrap();
            if !["colour", "theme"].contains(&key) {
                assert!(e.contains("key `"), "{text}: {e}");
            }
        }
    }

    #[test]
    fn paths_in_the_file_are_relative_to_it() {
        let cfg = Path::new("/etc/vaultscope/config.toml");
        assert_eq!(
            file_path("ca.pem", cfg),
            Path::new("/etc/vaultscope/ca.pem")
        );
        assert_eq!(file_path("/abs/ca.pem", cfg), Path::new("/abs/ca.pem"));
    }

    #[test]
    fn the_setting_comes_from_the_first_place_that_has_it() {
        assert_eq!(
            pick(Some((1, "--f")), Some((2, "k")), 3),
            Setting {
                value: 1,
                from: Origin::Flag("--f")
            }
        );
        assert_eq!(
            pick(None, Some((2, "k")), 3),
            Setting {
                value: 2,
                from: Origin::File("k".into())
            }
        );
        assert_eq!(
            pick(None::<(i32, &str)>, None, 3),
            Setting {
                value: 3,
                from: Origin::Default
            }
        );
    }
}
