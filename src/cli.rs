//! Command-line definitions, and the one rule for flags that would do
//! nothing: every flag given must apply to what the command reads or
//! shows, or the command refuses to run (exit 2, naming the flag and why).
//! A flag silently ignored would mislead (`check --from DIR --context prod`
//! reads the bundle, not prod).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Every environment variable vaultscope reads (a macro so that `--help`
/// can be assembled at compile time).
macro_rules! environment {
    () => {
        "Environment:
  KUBECONFIG                   kubeconfig files, ':'-separated (unless --kubeconfig)
  VAULT_ADDR                   Vault address (unless --vault-addr; not read with --from)
  VAULT_TOKEN                  Vault token (else ~/.vault-token)
  VAULT_CACERT, VAULT_CAPATH   CA certificate file, or folder of PEM files, for Vault's TLS
  VAULT_CLIENT_CERT, VAULT_CLIENT_KEY
                               TLS client certificate and key (both or neither)
  VAULT_NAMESPACE              Vault namespace (sent as X-Vault-Namespace)
  VAULT_SKIP_VERIFY            skip TLS verification, only when set to 1, t or true
                               (each VAULT_* has a BAO_* twin, used when the VAULT_* one is unset)
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
                               proxy for Vault requests (a note on stderr says when one applies)
  NO_COLOR                     no colour: plain `check` tables, the monochrome theme
  COLORTERM                    truecolor or 24bit: 24-bit theme colours (else the nearest of 256)
  XDG_CONFIG_HOME, HOME        the config file $XDG_CONFIG_HOME/vaultscope/config.toml and user
                               themes in .../vaultscope/themes/ (default ~/.config/vaultscope/)"
    };
}

/// The rule for flags, said in every `--help`.
macro_rules! flag_rule {
    () => {
        "A flag that does not apply to what a command reads or shows (`themes --vault-addr URL`,
`check --from DIR --context NAME`, `-n NS -A`) is refused with exit status 2."
    };
}

macro_rules! examples {
    () => {
        "Examples:
  vaultscope                               the dashboard on the current kubeconfig context
  vaultscope -A --context prod             all namespaces of another context
  vaultscope demo                          the dashboard on a built-in scenario
  vaultscope --from examples/broken-auth   the dashboard on an offline bundle
  vaultscope check -A                      diagnose the live cluster, print, exit 0/1/2
  vaultscope check --from examples/broken-auth
  vaultscope check --from ./bundle -o json -n payments
  vaultscope capture --out ./bundle -A     save the live cluster as a bundle"
    };
}

/// What `--help` says about the environment.
pub const ENVIRONMENT: &str = environment!();

/// `--version`: the version, and the commit and date of the build (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("VAULTSCOPE_GIT_COMMIT"),
    ", built ",
    env!("VAULTSCOPE_BUILD_DATE"),
    ")"
);

/// The binary that kubectl runs for `kubectl vaultscope`.
pub const KUBECTL_PLUGIN: &str = "kubectl-vaultscope";

/// The command line as the binary named `bin` presents it: as the kubectl
/// plugin, usage and errors read `kubectl vaultscope ...`.
pub fn command(bin: &str) -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    if bin == KUBECTL_PLUGIN {
        cmd.name(KUBECTL_PLUGIN).bin_name("kubectl vaultscope")
    } else {
        cmd
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "vaultscope",
    version = VERSION,
    about = "Secret-injection health for Kubernetes workloads that get secrets from Vault or OpenBao",
    long_about = "vaultscope shows, per workload, the Vault Agent Injector containers, Secrets Store CSI mounts, \
the Vault leases and certificates behind each secret, and injection errors with their cause, evidence and fix. \
It only observes: it never reads secret values, never creates Vault leases and writes nothing to the cluster.",
    after_help = concat!(examples!(), "\n\n", flag_rule!(), "\n\n", environment!())
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open the dashboard on an offline bundle instead of a live cluster.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// With --from: evaluate countdowns at this time (RFC 3339) instead of
    /// the bundle's capture time (as `check --as-of`).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// Watch only this namespace (default: the context's namespace, as kubectl;
    /// with --from, only this namespace of the bundle).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Config file of defaults (default: $XDG_CONFIG_HOME/vaultscope/config.toml,
    /// else ~/.config/vaultscope/config.toml; see `vaultscope config`).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
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
    /// Vault requests per poll cycle, shared by kind (config, KV metadata,
    /// LISTs, lease, certificate and token lookups). Reads that do not fit
    /// wait for the next cycle, which then comes after 1 s: at most N
    /// requests a second.
    #[arg(long, value_name = "N", default_value_t = crate::sources::vault::DEFAULT_BUDGET, global = true, value_parser = at_least_one::<usize>)]
    pub vault_budget: usize,
    /// Seconds between Vault poll cycles (lease lookups are spread out and
    /// come sooner as expiry nears; 429/5xx answers double the wait).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::sources::vault::DEFAULT_INTERVAL_SECS, global = true, value_parser = poll_interval)]
    pub vault_interval: u64,
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
    /// Diagnose the live cluster (or an offline bundle with --from) and print the
    /// findings; exit 1 if any is an error.
    #[command(after_help = concat!(
        "Without --from, the kubeconfig context's cluster is read once (-n NAMESPACE, -A for all;
default the context's namespace), with Vault when VAULT_ADDR or --vault-addr is set.

A bundle (--from DIR) is a folder made by `vaultscope capture` or with kubectl:
  pods.yaml                             kubectl get pods -A -o yaml        (required)
  events.yaml                           kubectl get events -A -o yaml
  replicasets.yaml                      kubectl get replicasets -A -o yaml
  jobs.yaml                             kubectl get jobs -A -o yaml
  secretproviderclasses.yaml            kubectl get secretproviderclasses -A -o yaml
  secretproviderclasspodstatuses.yaml   kubectl get secretproviderclasspodstatuses -A -o yaml
  mutatingwebhookconfigurations.yaml    kubectl get mutatingwebhookconfigurations -o yaml
  logs/NS/POD/CONTAINER.log             kubectl logs -n NS POD -c CONTAINER
  logs/NS/POD/CONTAINER.previous.log    kubectl logs -n NS POD -c CONTAINER --previous
  vault.json                            Vault's side, written by `vaultscope capture`
  bundle.json                           {\"captured_at\": \"2026-11-28T10:00:00Z\"}
All but pods.yaml are optional; .yml and .json work too. Countdowns are evaluated at
bundle.json's captured_at (else the newest time in the bundle), or at --as-of.
With --vault-addr, Vault is polled once live (read-only) and replaces vault.json;
countdowns are then evaluated at the current time.

Exit status: 0 nothing at error severity, 1 at least one error finding,
2 bad usage or input (a namespace the bundle does not hold, a flag that does not apply).

", flag_rule!(), "\n\n", environment!()))]
    Check(CheckArgs),
    /// Play the built-in demo scenario in the dashboard: no cluster, no Vault.
    Demo(DemoArgs),
    /// Save the live cluster as an offline bundle (never Secrets or secret values).
    #[command(
        after_help = concat!("Writes pods.yaml, events.yaml, replicasets.yaml, jobs.yaml, secretproviderclasses.yaml,
secretproviderclasspodstatuses.yaml, mutatingwebhookconfigurations.yaml (kubectl-style v1 Lists
without managedFields), logs/<ns>/<pod>/<container>[.previous].log for the vault-agent containers,
bundle.json, and vault.json when Vault is configured. Read it with `vaultscope check --from DIR`.
Resources the user may not read are left out and named on stderr.

", flag_rule!(), "\n\n", environment!())
    )]
    Capture(CaptureArgs),
    /// List the available themes.
    Themes,
    /// Check manifests before they are deployed (exit 1 if any finding is an error).
    #[command(after_help = crate::preflight::HELP)]
    Preflight(PreflightArgs),
    /// Print the effective settings and where each came from (flag,
    /// environment, config file, default); tokens are never shown.
    #[command(
        after_help = "Precedence: flag > environment > config file > built-in default.
The config file's keys: theme, sort (severity|expiry|name|namespace), log_budget, vault_budget,
vault_concurrency, vault_interval, and per kube context [contexts.NAME] vault_addr,
vault_cacert, vault_namespace (README.md, Config file)."
    )]
    Config,
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish
    /// (README.md, Install, says where each goes).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `vaultscope man > vaultscope.1`; with
    /// --out DIR, write it and one page per subcommand into DIR.
    Man {
        /// Folder to write vaultscope.1, vaultscope-check.1, ... into.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Demo(_) => "demo",
            Command::Capture(_) => "capture",
            Command::Themes => "themes",
            Command::Preflight(_) => "preflight",
            Command::Config => "config",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
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

/// A point in the demo's story: `2m30s`, `90s` or plain seconds, within
/// one pass of the story.
fn parse_story_point(s: &str) -> Result<chrono::Duration, String> {
    let limit = crate::sources::demo::LOOP_SECS;
    match crate::model::annotations::parse_duration(s) {
        Some(d) if d >= chrono::Duration::zero() && d.num_seconds() < limit => Ok(d),
        Some(_) => Err(format!(
            "must be within the story's {}m{:02}s",
            limit / 60,
            limit % 60
        )),
        None => Err(format!(
            "\"{s}\" is not a duration such as 2m30s, 90s or 150"
        )),
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Play the scenario this many times faster than real time (0.1 to 1000).
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_speed)]
    pub speed: f64,
    /// Start the story at this point (e.g. 2m30s), for a trainer who wants
    /// to show one moment again.
    #[arg(long, value_name = "TIME", default_value = "0s", value_parser = parse_story_point)]
    pub at: chrono::Duration,
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
    /// Live: which agent logs to read (containers that never started are never asked about).
    #[arg(long, value_enum, default_value_t = crate::sources::kube::log_plan::LogMode::All)]
    pub logs: crate::sources::kube::log_plan::LogMode,
    /// Live: healthy-looking agents whose logs `--logs all` reads, nearest token or lease expiry
    /// first [default: the config file's log_budget, else 100].
    #[arg(long, value_name = "N")]
    pub log_budget: Option<usize>,
}

/// What a command line runs, as far as the flag rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The dashboard on the live cluster.
    Live,
    /// The dashboard on a bundle (`--from DIR`).
    Bundle,
    Demo,
    /// `check` on the live cluster.
    CheckLive,
    /// `check --from DIR`.
    CheckBundle,
    Capture,
    Themes,
    /// `preflight`: manifests, with Vault and the cluster when given.
    Preflight,
    /// `config`: shows what the other commands would use.
    Config,
    /// A command that prints what the command line offers (`completions`, `man`).
    Meta(&'static str),
}

impl Mode {
    /// How the refusal names what runs.
    fn name(self) -> &'static str {
        match self {
            Mode::Live => "the live dashboard",
            Mode::Bundle => "the dashboard on --from DIR",
            Mode::Demo => "`demo`",
            Mode::CheckLive => "`check`",
            Mode::CheckBundle => "`check --from DIR`",
            Mode::Capture => "`capture`",
            Mode::Themes => "`themes`",
            Mode::Preflight => "`preflight`",
            Mode::Config => "`config`",
            Mode::Meta(cmd) => cmd,
        }
    }

    /// Whether a kube context is read (`config` reads only which one it is).
    pub fn reads_cluster(self) -> bool {
        matches!(
            self,
            Mode::Live | Mode::CheckLive | Mode::Capture | Mode::Config | Mode::Preflight
        )
    }

    fn is_dashboard(self) -> bool {
        matches!(self, Mode::Live | Mode::Bundle | Mode::Demo)
    }

    /// Why a cluster flag does nothing here.
    fn no_cluster(self) -> &'static str {
        match self {
            Mode::Bundle | Mode::CheckBundle => "a bundle is read, not a cluster",
            Mode::Demo => "the demo plays a built-in scenario, with no cluster and no Vault",
            Mode::Meta(_) => "it prints what the command line offers, from no cluster",
            Mode::Config => "it shows the settings, and namespaces are not one",
            _ => "it only lists the themes",
        }
    }
}

impl Cli {
    /// As kubectl takes `-n` before or after the verb, the plugin takes
    /// `kubectl vaultscope -n NS check` as `check -n NS` (not refused).
    pub fn kubectl_habits(&mut self) {
        let sub_ns = match &mut self.command {
            Some(Command::Check(a)) => &mut a.namespace,
            Some(Command::Capture(a)) => &mut a.namespace,
            _ => return,
        };
        if sub_ns.is_none() {
            *sub_ns = self.namespace.take();
        }
    }

    pub fn mode(&self) -> Mode {
        match &self.command {
            None if self.from.is_some() => Mode::Bundle,
            None => Mode::Live,
            Some(Command::Check(c)) if c.from.is_some() => Mode::CheckBundle,
            Some(Command::Check(_)) => Mode::CheckLive,
            Some(Command::Demo(_)) => Mode::Demo,
            Some(Command::Capture(_)) => Mode::Capture,
            Some(Command::Themes) => Mode::Themes,
            Some(Command::Preflight(_)) => Mode::Preflight,
            Some(Command::Config) => Mode::Config,
            Some(Command::Completions { .. }) => Mode::Meta("`completions`"),
            Some(Command::Man { .. }) => Mode::Meta("`man`"),
        }
    }

    /// The flag rule: every flag given must apply to what runs. `given(id)`
    /// says whether the flag with this clap id was on the command line (a
    /// default does not count); `vault_env` whether VAULT_ADDR or BAO_ADDR is
    /// set. The error names every flag refused, and why.
    pub fn refuse_unused(
        &self,
        given: impl Fn(&str) -> bool,
        vault_env: bool,
    ) -> Result<(), String> {
        let mode = self.mode();
        let mut refused = Vec::new();
        // The dashboard's own --from, -n and --as-of belong before no
        // subcommand; after one they would be silently ignored
        // (`vaultscope --from DIR check` would check the live cluster).
        if let Some(cmd) = &self.command {
            let name = cmd.name();
            for (flag, set) in [
                ("--from", self.from.is_some()),
                ("-n/--namespace", self.namespace.is_some()),
                ("--as-of", self.as_of.is_some()),
            ] {
                if set {
                    refused.push(format!(
                        "{flag} before the subcommand applies to the dashboard only; write it after `{name}` (e.g. `vaultscope {name} {flag} ...`)"
                    ));
                }
            }
        }
        if given("namespace") && given("all_namespaces") {
            refused.push(
                "-n/--namespace and -A/--all-namespaces contradict each other (one namespace, or all of them); give one".into(),
            );
        }
        let no = |flag: &str, why: &str| {
            format!(
                "{flag} does not apply to {}: {why}; leave it out",
                mode.name()
            )
        };
        for (id, flag) in [("kubeconfig", "--kubeconfig"), ("context", "--context")] {
            if given(id) && !mode.reads_cluster() {
                refused.push(no(flag, mode.no_cluster()));
            }
        }
        if given("all_namespaces")
            && matches!(
                mode,
                Mode::Demo | Mode::Themes | Mode::Meta(_) | Mode::Config | Mode::Preflight
            )
        {
            refused.push(no("-A/--all-namespaces", mode.no_cluster()));
        }
        if !mode.is_dashboard() {
            let why = match mode {
                Mode::Capture => "it writes a bundle; the theme and the mouse are the dashboard's",
                Mode::Themes => "it lists the themes; --theme picks one for the dashboard",
                Mode::Config => "it shows the settings, and the mouse is not one",
                _ => "it prints text; the theme and the mouse are the dashboard's",
            };
            for (id, flag) in [("theme", "--theme"), ("mouse", "--mouse")] {
                // `config --theme NAME` shows the theme a flag picks.
                if given(id) && !(mode == Mode::Config && id == "theme") {
                    refused.push(no(flag, why));
                }
            }
        }
        let vault_polled = match mode {
            Mode::Live | Mode::CheckLive | Mode::Capture | Mode::Preflight => {
                given("vault_addr") || vault_env
            }
            Mode::Bundle | Mode::CheckBundle => given("vault_addr"),
            Mode::Demo | Mode::Themes | Mode::Meta(_) => false,
            // `config --vault-budget N` shows what a flag sets.
            Mode::Config => true,
        };
        let vault_flags = [
            ("vault_addr", "--vault-addr"),
            ("vault_concurrency", "--vault-concurrency"),
            ("vault_budget", "--vault-budget"),
            ("vault_interval", "--vault-interval"),
        ];
        for (id, flag) in vault_flags {
            if !given(id) {
                continue;
            }
            if matches!(mode, Mode::Demo | Mode::Themes | Mode::Meta(_)) {
                refused.push(no(flag, mode.no_cluster()));
            } else if !vault_polled {
                let why = if matches!(mode, Mode::Bundle | Mode::CheckBundle) {
                    "no Vault is polled (with --from, only --vault-addr makes it poll one)"
                } else {
                    "no Vault is polled (give --vault-addr, or set VAULT_ADDR)"
                };
                refused.push(no(flag, why));
            } else if id == "vault_interval" && !mode.is_dashboard() && mode != Mode::Config {
                refused.push(no(
                    flag,
                    "it polls Vault once; the interval is the dashboard's",
                ));
            }
        }
        if given("config") && matches!(mode, Mode::Themes | Mode::Meta(_)) {
            refused.push(no("--config", "it reads no config file"));
        }
        if self.command.is_none() && self.as_of.is_some() && mode == Mode::Live {
            refused.push(no(
                "--as-of",
                "a live dashboard runs on the current time; --as-of is for --from DIR",
            ));
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(refused.join("\n"))
        }
    }
}

/// Whether the flag with clap id `id` was typed, before or after the
/// subcommand (global flags are seen at both levels).
pub fn given(matches: &clap::ArgMatches, id: &str) -> bool {
    let typed = |m: &clap::ArgMatches| {
        m.ids().any(|i| i.as_str() == id)
            && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    };
    typed(matches) || matches.subcommand().is_some_and(|(_, sub)| typed(sub))
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::parser::ValueSource;

    /// The rule's verdict on a command line, as main applies it.
    fn verdict(args: &[&str], vault_env: bool) -> Result<(), String> {
        let matches = Cli::command()
            .try_get_matches_from(std::iter::once("vaultscope").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
        cli.refuse_unused(|id| given(&matches, id), vault_env)
    }

    fn given(m: &clap::ArgMatches, id: &str) -> bool {
        super::given(m, id)
    }

    #[test]
    fn flags_that_apply_are_accepted() {
        for args in [
            &[][..],
            &[
                "-A",
                "--context",
                "prod",
                "--kubeconfig",
                "k",
                "--theme",
                "light",
                "--mouse",
            ],
            &["-n", "payments"],
            &[
                "--from",
                "d",
                "-n",
                "payments",
                "--as-of",
                "2026-01-01T00:00:00Z",
            ],
            &["--from", "d", "-A", "--theme", "light"],
            &[
                "--from",
                "d",
                "--vault-addr",
                "https://v",
                "--vault-interval",
                "5",
            ],
            &["demo", "--theme", "projector", "--mouse", "--speed", "10"],
            &[
                "check",
                "-A",
                "--context",
                "prod",
                "-o",
                "json",
                "--as-of",
                "2026-01-01T00:00:00Z",
            ],
            &[
                "check",
                "--from",
                "d",
                "-n",
                "shop",
                "--vault-addr",
                "https://v",
                "--vault-budget",
                "5",
            ],
            &["check", "--from", "d", "-A"],
            &[
                "capture",
                "--out",
                "d",
                "-n",
                "x",
                "--vault-addr",
                "https://v",
                "--vault-concurrency",
                "2",
            ],
            &["-A", "check"],
            &["themes"],
        ] {
            assert_eq!(verdict(args, false), Ok(()), "{args:?}");
        }
        // VAULT_ADDR makes the limits apply where the environment is read.
        assert_eq!(verdict(&["--vault-budget", "5"], true), Ok(()));
        assert_eq!(
            verdict(&["check", "--vault-concurrency", "2"], true),
            Ok(())
        );
    }

    #[test]
    fn flags_that_do_nothing_are_refused_naming_the_flag() {
        for (args, vault_env, want) in [
            (
                &["themes", "--vault-addr", "x", "-A"][..],
                false,
                &[
                    "--vault-addr does not apply to `themes`",
                    "-A/--all-namespaces does not apply to `themes`",
                ][..],
            ),
            (
                &["-n", "foo", "-A"],
                false,
                &["-n/--namespace and -A/--all-namespaces contradict"],
            ),
            (&["check", "-n", "foo", "-A"], false, &["contradict"]),
            (
                &["capture", "--out", "d", "-A", "-n", "x"],
                false,
                &["contradict"],
            ),
            (
                &["check", "--from", "d", "--context", "foo"],
                false,
                &[
                    "--context does not apply to `check --from DIR`: a bundle is read, not a cluster",
                ],
            ),
            (
                &["--from", "d", "--kubeconfig", "k"],
                false,
                &["--kubeconfig does not apply to the dashboard on --from DIR"],
            ),
            (
                &["demo", "--vault-addr", "https://v"],
                false,
                &["--vault-addr does not apply to `demo`"],
            ),
            (
                &["demo", "--context", "c"],
                false,
                &["--context does not apply to `demo`"],
            ),
            (
                &["check", "--theme", "light"],
                false,
                &["--theme does not apply to `check`"],
            ),
            (
                &["capture", "--out", "d", "--mouse"],
                false,
                &["--mouse does not apply to `capture`"],
            ),
            (
                &["themes", "--theme", "light"],
                false,
                &["--theme does not apply to `themes`"],
            ),
            (
                &["check", "--from", "d", "--vault-budget", "3"],
                true,
                &["--vault-budget does not apply to `check --from DIR`: no Vault is polled"],
            ),
            (
                &["--vault-interval", "3"],
                false,
                &["--vault-interval does not apply to the live dashboard: no Vault is polled"],
            ),
            (
                &[
                    "check",
                    "--vault-addr",
                    "https://v",
                    "--vault-interval",
                    "3",
                ],
                false,
                &["--vault-interval does not apply to `check`: it polls Vault once"],
            ),
            (
                &["--as-of", "2026-01-01T00:00:00Z"],
                false,
                &["--as-of does not apply to the live dashboard"],
            ),
            (
                &["--as-of", "2026-01-01T00:00:00Z", "check"],
                false,
                &["--as-of before the subcommand"],
            ),
            (
                &["-n", "x", "capture", "--out", "d"],
                false,
                &["-n/--namespace before the subcommand"],
            ),
        ] {
            let e = verdict(args, vault_env).expect_err(&format!("{args:?}"));
            for w in want {
                assert!(e.contains(w), "{args:?}: {e}");
            }
            assert_eq!(e.lines().count(), want.len(), "{args:?}: {e}");
        }
    }

    #[test]
    fn a_default_value_is_not_a_given_flag() {
        let m = Cli::command().get_matches_from(["vaultscope", "demo"]);
        let (_, sub) = m.subcommand().unwrap();
        assert_eq!(
            sub.value_source("vault_budget"),
            Some(ValueSource::DefaultValue)
        );
        assert!(!given(&m, "vault_budget"));
    }
}
