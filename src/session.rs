//! Starting things, one way each: a dashboard on some sources, a check, a
//! capture. Which sources run, on which clock, feeding which app, and where
//! their requests go, is decided here; `main` only parses flags and prints.
//! Nothing here prints: warnings come back with the result.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::{App, SourceKind};
use crate::clock::{Clock, DemoClock};
use crate::dashboard;
use crate::diagnose::{self, Report};
use crate::model::World;
use crate::model::interest::interest;
use crate::model::logs::LogReads;
use crate::preflight;
use crate::sources::kube::log_plan::LogMode;
use crate::sources::kube::{self, Connection, KubeOptions};
use crate::sources::vault::{self, VaultConfig};
use crate::sources::{Inbox, bundle, demo};
use crate::theme::Theme;

/// Why a dashboard, check or capture could not run. `main` turns it into
/// the one line the user reads (and exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the dashboard needs a terminal; for text output use `vaultscope check`")]
    NoTerminal,
    #[error(transparent)]
    Connect(#[from] kube::ConnectError),
    #[error(transparent)]
    Bundle(#[from] bundle::BundleError),
    /// The live cluster could not be read (`check`, `capture`).
    #[error("{0}")]
    Cluster(String),
    /// Bad usage only the data shows: a namespace that is not there.
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the demo scenario failed: {0}")]
    Demo(tokio::task::JoinError),
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
    /// Preflight's input could not be read or parsed.
    #[error("{0}")]
    Input(String),
}

/// How long `check` waits for the watchers' first lists.
const LIST_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a dashboard's data comes from.
pub enum Data {
    /// The built-in scenario, `speed` times faster than real time, from
    /// `at` into the story.
    Demo { speed: f64, at: chrono::Duration },
    /// An offline bundle; with a live Vault, it replaces the bundle's
    /// vault.json and countdowns run on the wall clock.
    /// `namespace` shows only that namespace (one the bundle must hold);
    /// `as_of` evaluates countdowns at that time, as `check --as-of`.
    Bundle {
        dir: PathBuf,
        vault: Option<VaultConfig>,
        namespace: Option<String>,
        as_of: Option<DateTime<Utc>>,
    },
    /// The live cluster of a kubeconfig context, and Vault if configured.
    Live {
        kube: KubeOptions,
        vault: Option<VaultConfig>,
    },
}

/// What a dashboard looks like.
pub struct View {
    pub theme: Theme,
    pub mouse: bool,
    /// The workload list's first order (the config file's `sort`).
    pub sort: crate::app::state::Sort,
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

fn need_terminal() -> Result<(), Error> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::NoTerminal);
    }
    Ok(())
}

/// The token would cross the network in clear text (the header says so).
fn token_over_http(vault: Option<&VaultConfig>) -> bool {
    vault.is_some_and(|c| c.plaintext_token_warning().is_some())
}

/// The one place a cluster is connected to.
fn connect(rt: &tokio::runtime::Runtime, opts: &KubeOptions) -> Result<Connection, Error> {
    Ok(rt.block_on(kube::connect(opts))?)
}

/// Run the dashboard until the user quits. Errors that are the user's to fix
/// (a bad bundle, no cluster, no terminal) come back before the screen
/// changes.
///
/// `warn` hears what the user should know before the screen is taken (what
/// a bundle could not use).
pub fn dashboard(data: Data, view: View, warn: impl Fn(&str)) -> Result<(), Error> {
    let rt = runtime()?;
    match data {
        Data::Demo { speed, at } => {
            need_terminal()?;
            let start = Clock::Wall.now_seconds();
            let demo_clock = DemoClock::new(start, speed, at);
            let clock = Clock::Demo(demo_clock.clone());
            let mut app = App::new(SourceKind::Demo, view.theme, start);
            app.ui.sort = view.sort;
            rt.block_on(async {
                let (tx, rx) = tokio::sync::mpsc::channel(4096);
                let (controls, control_rx) = tokio::sync::mpsc::unbounded_channel();
                let source = tokio::spawn(demo::play(demo_clock.clone(), tx, Some(control_rx)));
                let trainer = dashboard::run::Trainer {
                    clock: demo_clock,
                    controls,
                };
                let result = dashboard::run::run(
                    app,
                    rx,
                    Inbox::default(),
                    clock,
                    view.mouse,
                    true,
                    Some(trainer),
                )
                .await;
                // The scenario only ends early by failing; say so rather than
                // show a frozen screen.
                if source.is_finished()
                    && let Err(e) = source.await
                {
                    return Err(Error::Demo(e));
                }
                result.map_err(Error::Terminal)
            })
        }
        Data::Bundle {
            dir,
            vault,
            namespace,
            as_of,
        } => {
            let b = bundle::load(&dir)?;
            b.warnings.iter().for_each(|w| warn(w));
            let (tx, rx) = tokio::sync::mpsc::channel(b.observations.len().max(1) + 64);
            let mut world = World::default();
            for o in b.observations {
                world.apply(o.clone());
                let _ = tx.try_send(o);
            }
            if let Some(ns) = &namespace {
                bundle_namespace(&world, &dir, ns)?;
            }
            need_terminal()?;
            let at = b
                .captured_at
                .or_else(|| world.newest_timestamp())
                .unwrap_or_else(|| Clock::Wall.now_seconds());
            // --as-of wins, as in `check`; else a live Vault's countdowns
            // run on the wall clock, and an offline bundle's stand still.
            let (clock, at) = match (as_of, &vault) {
                (Some(t), _) => (Clock::Fixed(t), t),
                (None, Some(_)) => (Clock::Wall, Clock::Wall.now_seconds()),
                (None, None) => (Clock::Fixed(at), at),
            };
            let source = SourceKind::Bundle {
                dir: dir.display().to_string(),
            };
            let mut app = App::new(source, view.theme, at);
            app.ui.sort = view.sort;
            app.ui.namespace = namespace.clone();
            app.ui.fixed_namespace = namespace;
            app.ui.token_over_http = token_over_http(vault.as_ref());
            rt.block_on(async {
                // The bundle's pods do not change: Vault's interest is set once.
                let mut inbox = Inbox::default();
                match vault {
                    Some(cfg) => {
                        let rx = inbox.vault_interest(interest(&world));
                        tokio::spawn(vault::run(cfg, rx, tx));
                    }
                    None => drop(tx),
                }
                dashboard::run::run(app, rx, inbox, clock, view.mouse, false, None).await
            })
            .map_err(Error::Terminal)
        }
        Data::Live { kube: opts, vault } => {
            let conn = connect(&rt, &opts)?;
            need_terminal()?;
            let source = SourceKind::Live {
                context: conn.context.clone(),
            };
            let mut app = App::new(source, view.theme, Clock::Wall.now_seconds());
            app.ui.sort = view.sort;
            app.ui.namespace = conn.namespace.clone();
            app.ui.fixed_namespace = conn.namespace.clone();
            app.ui.token_over_http = token_over_http(vault.as_ref());
            rt.block_on(async {
                let (tx, rx) = tokio::sync::mpsc::channel(4096);
                let mut inbox = Inbox::default();
                let logs = inbox.follow_logs();
                if let Some(cfg) = vault {
                    let rx = inbox.vault_interest(interest(&World::default()));
                    tokio::spawn(vault::run(cfg, rx, tx.clone()));
                }
                app.listening = inbox.listens();
                tokio::spawn(kube::run(conn, tx, logs));
                dashboard::run::run(app, rx, inbox, Clock::Wall, view.mouse, false, None).await
            })
            .map_err(Error::Terminal)
        }
    }
}

/// What `check` diagnosed, and what the user should know about it.
pub struct Checked {
    pub report: Report,
    /// "bundle DIR" or "cluster CONTEXT (SCOPE)", for the table's title.
    pub source: String,
    /// What the table says when no workload uses Vault: whether there were
    /// pods at all ("namespace shop has no pods", "12 pods; none uses ...").
    pub empty: String,
    pub warnings: Vec<String>,
    /// Which agent logs a live check read, left unread or failed to read.
    pub log_reads: Option<LogReads>,
}

/// Where `check` reads from.
pub enum CheckFrom<'a> {
    Bundle(&'a Path),
    /// The live cluster, and which agent logs to read (`--logs`,
    /// `--log-budget`).
    Cluster {
        opts: KubeOptions,
        logs: LogMode,
        budget: usize,
    },
}

/// Namespaces named in a message: enough to spot a typo.
const NAMESPACES_SHOWN: usize = 30;

fn name_list(names: &[String]) -> String {
    let mut shown: Vec<&str> = names
        .iter()
        .take(NAMESPACES_SHOWN)
        .map(String::as_str)
        .collect();
    let more = names.len().saturating_sub(NAMESPACES_SHOWN);
    let more = (more > 0).then(|| format!("(+{more} more)"));
    shown.extend(more.as_deref());
    shown.join(", ")
}

/// Every namespace a bundle holds something in.
fn namespaces_of(world: &World) -> Vec<String> {
    let mut all: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let keys = world
        .pods
        .keys()
        .chain(&world.other_pods)
        .chain(world.replicasets.keys())
        .chain(world.jobs.keys())
        .chain(world.events.keys())
        .chain(world.classes.keys())
        .chain(world.pod_statuses.keys());
    all.extend(keys.map(|(ns, _)| ns.as_str()));
    all.into_iter().map(str::to_string).collect()
}

/// `-n NS` on a bundle that holds nothing in NS is a mistake (a typo, or
/// the wrong bundle): bad usage, listing what it holds.
fn bundle_namespace(world: &World, dir: &Path, ns: &str) -> Result<(), Error> {
    let held = namespaces_of(world);
    if held.iter().any(|h| h == ns) {
        return Ok(());
    }
    let holds = if held.is_empty() {
        "it holds no namespaced objects".to_string()
    } else {
        format!("it holds {}", name_list(&held))
    };
    Err(Error::Usage(format!(
        "namespace \"{ns}\" is not in the bundle {}; {holds}",
        dir.display()
    )))
}

/// The line for a check that found no workload using Vault: how many pods
/// there were, so that an empty or mistyped scope is not read as healthy.
fn empty_line(world: &World, namespace: Option<&str>, where_: &str) -> String {
    let pods = world
        .pods
        .keys()
        .chain(&world.other_pods)
        .filter(|(ns, _)| namespace.is_none_or(|n| n == ns))
        .count();
    match pods {
        0 => format!("No pods {where_}."),
        1 => format!(
            "1 pod {where_}; it does not use Vault Agent injection or the Secrets Store CSI driver."
        ),
        n => format!(
            "{n} pods {where_}; none uses Vault Agent injection or the Secrets Store CSI driver."
        ),
    }
}

/// Live: `check -n NS` on a namespace with no pods asks whether NS exists.
/// A namespace that does not is bad usage; one that cannot be told (no
/// access to namespaces) is said so.
fn live_empty(
    rt: &tokio::runtime::Runtime,
    conn: &Connection,
    world: &World,
) -> Result<String, Error> {
    let Some(ns) = &conn.namespace else {
        return Ok(empty_line(world, None, "across all namespaces"));
    };
    if world.access_denied.iter().any(|d| d.resource == "pods") {
        return Ok(format!(
            "No pods could be read in namespace {ns} (no access; see the warning above)."
        ));
    }
    if world.pod_count() > 0 {
        return Ok(empty_line(world, None, &format!("in namespace {ns}")));
    }
    match rt.block_on(kube::namespace_state(conn, ns)) {
        kube::NamespaceState::Exists => Ok(format!("Namespace {ns} exists and has no pods.")),
        kube::NamespaceState::Missing { existing } => {
            let list = match existing {
                Some(names) if !names.is_empty() => format!("; namespaces: {}", name_list(&names)),
                _ => String::new(),
            };
            Err(Error::Usage(format!(
                "namespace \"{ns}\" does not exist in context \"{}\"{list}",
                conn.context
            )))
        }
        kube::NamespaceState::Unknown(why) => Ok(format!(
            "No pods in namespace {ns} (whether it exists is unknown: {why})."
        )),
    }
}

/// Vault read once for `check` and `capture` ([`vault::poll_once`]), with a
/// warning when it stopped with reads left.
fn read_vault(
    rt: &tokio::runtime::Runtime,
    cfg: VaultConfig,
    interest: &crate::model::interest::Interest,
    warnings: &mut Vec<String>,
) -> vault::VaultSnapshot {
    let budget = cfg.budget;
    let snap = rt.block_on(vault::poll_once(cfg, interest));
    if snap.incomplete {
        warnings.push(format!(
            "Vault: not every lease and token was read within {} s at --vault-budget {budget} a second \
             (or Vault asked to slow down); those left show no countdown",
            vault::ONCE_LIMIT.as_secs()
        ));
    }
    snap
}

/// Diagnose a bundle or the live cluster once. A live Vault replaces a
/// bundle's vault.json; its countdowns are evaluated at the current time.
/// An offline bundle is evaluated at its own time (or `as_of`), so
/// countdowns mean what they meant when it was captured. A namespace that
/// is not there (not in the bundle; live: does not exist) is bad usage.
pub fn check(
    from: CheckFrom<'_>,
    vault: Option<VaultConfig>,
    as_of: Option<DateTime<Utc>>,
    namespace: Option<&str>,
) -> Result<Checked, Error> {
    let mut warnings = Vec::new();
    let rt = runtime()?;
    let poll_vault = |world: &mut World, cfg: VaultConfig, warnings: &mut Vec<String>| {
        let snap = read_vault(&rt, cfg, &interest(world), warnings);
        for o in snap.observations() {
            world.apply(o);
        }
    };
    let mut log_reads = None;
    let (world, captured, source, empty) = match from {
        CheckFrom::Bundle(dir) => {
            let b = bundle::load(dir)?;
            warnings.extend(b.warnings.iter().cloned());
            let (mut world, mut captured) = b.into_world();
            let empty = match namespace {
                Some(ns) => {
                    bundle_namespace(&world, dir, ns)?;
                    empty_line(
                        &world,
                        Some(ns),
                        &format!("in namespace {ns} of this bundle"),
                    )
                }
                None => empty_line(&world, None, "in this bundle"),
            };
            if let Some(cfg) = vault {
                poll_vault(&mut world, cfg, &mut warnings);
                captured = None;
            }
            (world, captured, format!("bundle {}", dir.display()), empty)
        }
        CheckFrom::Cluster { opts, logs, budget } => {
            // The live cluster: every watcher's first list, then Vault (its
            // expiries choose which healthy agents' logs to read first),
            // then the agent logs.
            let conn = connect(&rt, &opts)?;
            let mut world = rt
                .block_on(kube::list(&conn, LIST_TIMEOUT))
                .map_err(Error::Cluster)?;
            if let Some(cfg) = vault {
                poll_vault(&mut world, cfg, &mut warnings);
            }
            log_reads = Some(rt.block_on(kube::read_logs(&conn, &mut world, logs, Some(budget))));
            warnings.extend(
                world
                    .access_denied
                    .iter()
                    .map(|d| format!("{}: findings that need it are missing", d.describe())),
            );
            let empty = live_empty(&rt, &conn, &world)?;
            let source = format!("cluster {} ({})", conn.context, conn.scope());
            (world, None, source, empty)
        }
    };
    let now = as_of
        .or(captured)
        .unwrap_or_else(|| Clock::Wall.now_seconds());
    let mut report = diagnose::diagnose(&world, now);
    if let Some(ns) = namespace {
        report.workloads.retain(|w| w.key.namespace == ns);
    }
    Ok(Checked {
        report,
        source,
        empty,
        warnings,
        log_reads,
    })
}

/// What `capture` wrote.
pub struct Captured {
    pub files: usize,
    /// Context and scope, for the closing message.
    pub context: String,
    pub scope: String,
    /// What the user may not read, and so is not in the bundle.
    pub left_out: Vec<String>,
    /// What the written bundle could not use when read back for Vault.
    pub warnings: Vec<String>,
}

/// The live cluster as a bundle in `out` (and Vault as vault.json).
pub fn capture(
    opts: KubeOptions,
    vault: Option<VaultConfig>,
    out: &Path,
) -> Result<Captured, Error> {
    let rt = runtime()?;
    let conn = connect(&rt, &opts)?;
    let captured = rt
        .block_on(kube::capture::capture(&conn, out))
        .map_err(Error::Cluster)?;
    let mut files = captured.files.len();
    let mut warnings = Vec::new();
    if let Some(cfg) = vault {
        // What the bundle names (pods, classes) is what Vault is asked about.
        let b = bundle::load(out)?;
        warnings.extend(b.warnings.iter().cloned());
        let (world, _) = b.into_world();
        let snap = read_vault(&rt, cfg, &interest(&world), &mut warnings);
        bundle::write::vault_json(out, &snap).map_err(|source| Error::Write {
            path: out.join(bundle::format::VAULT_JSON),
            source,
        })?;
        files += 1;
    }
    Ok(Captured {
        files,
        context: conn.context.clone(),
        scope: conn.scope(),
        left_out: captured
            .denied
            .iter()
            .map(|d| format!("{}: left out of the bundle", d.describe()))
            .collect(),
        warnings,
    })
}

/// What `preflight` found, and what the user should know about it.
pub struct Preflighted {
    pub report: preflight::Report,
    pub warnings: Vec<String>,
}

/// Check manifests: the cluster is read first (its classes feed the
/// Vault ring), then Vault; each only when given.
pub fn preflight(
    files: &[PathBuf],
    namespace: &str,
    vault: Option<VaultConfig>,
    cluster: Option<KubeOptions>,
) -> Result<Preflighted, Error> {
    use preflight::checks;
    let inputs =
        preflight::input::read_all(files, std::io::stdin().lock()).map_err(Error::Input)?;
    let m = preflight::load(&inputs, namespace).map_err(Error::Input)?;
    let rt = runtime()?;
    let cluster = match cluster {
        Some(opts) => {
            let conn = connect(&rt, &opts)?;
            let mut facts =
                rt.block_on(preflight::cluster::read(&conn, &checks::cluster::needs(&m)));
            // The auth backends' config is compared with this cluster.
            if vault.is_some() {
                facts.identity = Some(rt.block_on(crate::sources::kube::cluster::identity(&conn)));
            }
            Some(facts)
        }
        None => None,
    };
    let vault = vault.map(|cfg| {
        let class = |ns: &str, n: &str| cluster.as_ref().and_then(|c| c.class(ns, n));
        let needs = checks::vault::needs(&checks::logins(&m, &class));
        rt.block_on(preflight::vault::read(cfg, &needs))
    });
    let mut warnings = Vec::new();
    if let Some(v) = vault.as_ref().filter(|v| v.unread > 0) {
        warnings.push(format!(
            "{} Vault reads were not made: the request budget ran out (raise --vault-budget)",
            v.unread
        ));
    }
    let report = preflight::report(
        &m,
        vault
            .as_ref()
            .ok_or("no --vault-addr, VAULT_ADDR or BAO_ADDR"),
        cluster
            .as_ref()
            .ok_or("no --kubeconfig, --context or KUBECONFIG"),
    );
    Ok(Preflighted { report, warnings })
}
