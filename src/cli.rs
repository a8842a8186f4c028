//! Command-line definitions.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "vaultscope",
    version,
    about = "Secret-injection health for Kubernetes workloads that get secrets from Vault or OpenBao",
    long_about = "vaultscope shows, per workload, the Vault Agent Injector containers, Secrets Store CSI mounts, \
the Vault leases and certificates behind each secret, and injection errors with their cause, evidence and fix. \
It only observes: it never reads secret values, never creates Vault leases and writes nothing to the cluster.",
    after_help = "Examples:\n  vaultscope                               the dashboard on the current kubeconfig context\n  vaultscope -A --context prod             all namespaces of another context\n  vaultscope demo                          the dashboard on a built-in scenario\n  vaultscope --from examples/broken-auth   the dashboard on an offline bundle\n  vaultscope check --from examples/broken-auth\n  vaultscope check --from ./bundle -o json -n payments\n  vaultscope check -A                      diagnose the live cluster\n  vaultscope capture --out ./bundle -A     save the live cluster as a bundle"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open the dashboard on an offline bundle instead of a live cluster.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Watch only this namespace (default: the context's namespace, as kubectl).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// The live cluster, chosen as kubectl does.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Kubernetes")]
pub struct KubeArgs {
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current-context).
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// Watch all namespaces (without -n or -A: the context's namespace).
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
}

impl KubeArgs {
    pub fn options(&self, namespace: Option<&str>) -> crate::sources::kube::KubeOptions {
        crate::sources::kube::KubeOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: namespace.map(str::to_string),
            all_namespaces: self.all_namespaces,
        }
    }
}

/// Live Vault / OpenBao (optional). Also read from the environment like the
/// vault CLI: VAULT_ADDR / BAO_ADDR, VAULT_TOKEN / BAO_TOKEN / ~/.vault-token,
/// VAULT_CACERT, VAULT_CAPATH, VAULT_NAMESPACE, VAULT_SKIP_VERIFY.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Vault")]
pub struct VaultArgs {
    /// Vault or OpenBao address (default: VAULT_ADDR, then BAO_ADDR). With
    /// `check --from DIR`, only this flag makes vaultscope poll a live Vault,
    /// whose data then replaces the bundle's vault.json.
    #[arg(long, value_name = "URL", global = true)]
    pub vault_addr: Option<String>,
    /// Vault requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = crate::sources::vault::DEFAULT_CONCURRENCY, global = true, value_parser = at_least_one::<usize>)]
    pub vault_concurrency: usize,
    /// Vault requests per poll cycle; lookups that do not fit wait for the next cycle.
    #[arg(long, value_name = "N", default_value_t = crate::sources::vault::DEFAULT_BUDGET, global = true, value_parser = at_least_one::<usize>)]
    pub vault_budget: usize,
    /// Seconds between Vault poll cycles (lease lookups are spread out and
    /// come sooner as expiry nears; 429/5xx answers double the wait).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::sources::vault::DEFAULT_INTERVAL_SECS, global = true, value_parser = poll_interval)]
    pub vault_interval: u64,
}

impl VaultArgs {
    /// The connection settings, or `None` when no address is configured
    /// (`env_fallback`: also look at VAULT_ADDR / BAO_ADDR). An error (bad
    /// usage) names the flag or variable that holds a bad value.
    pub fn config(
        &self,
        env_fallback: bool,
    ) -> Result<Option<crate::sources::vault::VaultConfig>, String> {
        use crate::sources::vault::VaultConfig;
        let cfg = match (&self.vault_addr, env_fallback) {
            (None, false) => None,
            (flag, _) => VaultConfig::from_env(flag.as_deref())?,
        };
        Ok(cfg.map(|cfg| {
            cfg.with_limits(
                self.vault_concurrency,
                self.vault_budget,
                std::time::Duration::from_secs(self.vault_interval),
            )
        }))
    }
}

/// Options of the interactive dashboard.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Dashboard")]
pub struct ViewArgs {
    /// Theme name (see `vaultscope themes`) or path to a theme .toml file.
    /// Default: "default", or "monochrome" when NO_COLOR is set.
    #[arg(long, value_name = "NAME|PATH", global = true)]
    pub theme: Option<String>,
    /// Let the mouse wheel scroll (off by default so text can be selected).
    #[arg(long, global = true)]
    pub mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose an offline bundle and print the findings (exit 1 if any is an error).
    #[command(after_help = "A bundle is a folder made with kubectl:\n  \
kubectl get pods -A -o yaml > pods.yaml             (required)\n  \
kubectl get events -A -o yaml > events.yaml         (optional; also replicasets.yaml, jobs.yaml,\n  \
                                                     secretproviderclasses.yaml,\n  \
                                                     secretproviderclasspodstatuses.yaml,\n  \
                                                     mutatingwebhookconfigurations.yaml)\n  \
kubectl logs -n NS POD -c vault-agent-init > logs/NS/POD/vault-agent-init.log   (optional;\n  \
                                                     add --previous for <container>.previous.log)\n\n\
With --vault-addr, Vault is polled once live (leases, certificates, KV metadata,\n\
roles and policies; read-only) and replaces the bundle's vault.json; countdowns are\n\
then evaluated at the current time.\n\n\
Exit status: 0 nothing at error severity, 1 at least one error finding, 2 bad usage or input.")]
    Check(CheckArgs),
    /// Play the built-in demo scenario in the dashboard: no cluster, no Vault.
    Demo(DemoArgs),
    /// Save the live cluster as an offline bundle (never Secrets or secret values).
    #[command(
        after_help = "Writes pods.yaml, events.yaml, replicasets.yaml, jobs.yaml, secretproviderclasses.yaml,\n\
secretproviderclasspodstatuses.yaml, mutatingwebhookconfigurations.yaml (kubectl-style v1 Lists\n\
without managedFields), logs/<ns>/<pod>/<container>[.previous].log for the vault-agent containers,\n\
bundle.json, and vault.json when Vault is configured. Read it with `vaultscope check --from DIR`.\n\
Resources the user may not read are left out and named on stderr."
    )]
    Capture(CaptureArgs),
    /// Check manifests before they are deployed (exit 1 if any finding is an error).
    #[command(after_help = crate::preflight::HELP)]
    Preflight(PreflightArgs),
    /// List the available themes.
    Themes,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Demo(_) => "demo",
            Command::Capture(_) => "capture",
            Command::Preflight(_) => "preflight",
            Command::Themes => "themes",
        }
    }
}

/// A whole number of at least 1 (0 would mean no requests or a busy loop).
fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(s: &str) -> Result<T, String> {
    match s.parse::<T>() {
        Ok(v) if v >= T::from(1u8) => Ok(v),
        _ => Err(format!("\"{s}\" is not a whole number of at least 1")),
    }
}

/// Seconds between poll cycles: 1 to a day (a longer wait shows nothing
/// live, and absurd values would overflow the schedule).
fn poll_interval(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(v) if (1..=86_400).contains(&v) => Ok(v),
        _ => Err(format!(
            "\"{s}\" is not a whole number of seconds from 1 to 86400 (a day)"
        )),
    }
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("\"{s}\" is not a number"))?;
    if !(0.1..=1000.0).contains(&v) {
        return Err("must be between 0.1 and 1000".into());
    }
    Ok(v)
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Play the scenario this many times faster than real time (0.1 to 1000).
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_speed)]
    pub speed: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One block per workload, worst first.
    Table,
    /// Machine-readable; the shape is documented in README.md.
    Json,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("not an RFC 3339 time (e.g. 2026-11-28T10:00:00Z): {e}"))
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Folder to write the bundle into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only this namespace (default: the context's namespace; -A for all).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Bundle folder to diagnose (see below for how to make one). Without
    /// it, the live cluster of the kubeconfig context is checked.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Only workloads in this namespace (live: only this namespace is read;
    /// default the context's namespace, -A for all).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Evaluate countdowns at this time (RFC 3339) instead of the bundle's capture time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
}

/// `vaultscope preflight`: see [`crate::preflight`].
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Manifests: a file, a directory (read recursively: .yaml, .yml, .json)
    /// or - for stdin. Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = PreflightOutput::Table)]
    pub output: PreflightOutput,
    /// Namespace of the objects that name none (as `kubectl apply -n`).
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreflightOutput {
    /// For people: file:line, code, object, message and fix.
    Table,
    /// Machine-readable; the shape is documented in README.md.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and GitLab.
    Sarif,
    /// GitHub Actions workflow commands (::error file=...,line=...::...).
    Github,
}
