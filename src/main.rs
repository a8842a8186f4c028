use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use vaultscope::app::{self, App, SourceKind};
use vaultscope::cli::{
    CaptureArgs, CheckArgs, Cli, Command, DemoArgs, KubeArgs, Output, VaultArgs, ViewArgs,
};
use vaultscope::clock::Clock;
use vaultscope::diagnose;
use vaultscope::report::{self, Ansi};
use vaultscope::sources::vault::VaultConfig;
use vaultscope::sources::{bundle, demo, kube};
use vaultscope::theme::{self, Theme};

/// Exit status for bad usage or input (clap uses it for usage errors too).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The dashboard's own --from and -n belong before no subcommand; after
    // one they would be silently ignored (`vaultscope --from DIR check`
    // would check the live cluster).
    if let Some(cmd) = &cli.command {
        let name = cmd.name();
        let misplaced = [
            ("--from", cli.from.is_some()),
            ("-n/--namespace", cli.namespace.is_some()),
        ];
        if let Some((flag, _)) = misplaced.iter().find(|(_, set)| *set) {
            say(
                "error",
                &format!(
                    "{flag} before the subcommand applies to the dashboard only; write it after `{name}` (e.g. `vaultscope {name} {flag} ...`)"
                ),
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let result = match cli.command {
        Some(Command::Check(args)) => check(args, &cli.kube, &cli.vault),
        Some(Command::Capture(args)) => capture(args, &cli.kube, &cli.vault),
        Some(Command::Demo(args)) => demo(args, &cli.view),
        Some(Command::Themes) => themes(),
        None => match &cli.from {
            Some(dir) => view_bundle(dir, &cli.view, &cli.vault),
            None => live(&cli),
        },
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            say("error", &msg);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// One message on stderr. Messages quote names, paths and server answers
/// that others control, so every line is made safe first; the newlines
/// between lines are ours.
fn say(kind: &str, msg: &str) {
    let mut err = std::io::stderr().lock();
    let mut lines = vaultscope::safe::terminal_lines(msg);
    let first = lines.next().unwrap_or_default();
    let _ = writeln!(err, "vaultscope: {kind}: {first}");
    for line in lines {
        let _ = writeln!(err, "  {line}");
    }
}

/// The token would cross the network in clear text (the dashboard's header
/// says so; `check` and `capture` warn on stderr).
fn token_over_http(vault: Option<&VaultConfig>) -> bool {
    vault.is_some_and(|c| c.plaintext_token_warning().is_some())
}

fn warn_token_over_http(vault: Option<&VaultConfig>) {
    if let Some(w) = vault.and_then(VaultConfig::plaintext_token_warning) {
        say("warning", &w);
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn pick_theme(view: &ViewArgs) -> Result<Theme, String> {
    let name = view
        .theme
        .clone()
        .unwrap_or_else(|| theme::default_name(no_color()).to_string());
    theme::load(&name).map_err(|e| format!("--theme: {e}"))
}

fn need_terminal() -> Result<(), String> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(
            "the dashboard needs a terminal; for text output use `vaultscope check`".into(),
        );
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn demo(args: DemoArgs, view: &ViewArgs) -> Result<ExitCode, String> {
    let theme = pick_theme(view)?;
    need_terminal()?;
    let start = Clock::Wall.now_seconds();
    let clock = Clock::scaled(start, args.speed);
    let app = App::new(SourceKind::Demo, theme, start);
    let rt = runtime()?;
    rt.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let source = tokio::spawn(demo::play(demo::Scenario::new(start), clock.clone(), tx));
        let inbox = vaultscope::sources::Inbox::default();
        let result = app::run::run(app, rx, inbox, clock, view.mouse, true).await;
        // The scenario only ends early by failing; say so rather than show a frozen screen.
        if source.is_finished()
            && let Err(e) = source.await
        {
            return Err(format!("the demo scenario failed: {e}"));
        }
        result.map_err(|e| format!("terminal: {e}"))
    })?;
    Ok(ExitCode::SUCCESS)
}

fn view_bundle(
    dir: &std::path::Path,
    view: &ViewArgs,
    vault: &VaultArgs,
) -> Result<ExitCode, String> {
    let theme = pick_theme(view)?;
    // With --vault-addr, a live Vault replaces the bundle's vault.json and
    // countdowns run on the wall clock.
    let live_vault = vault.config(false)?;
    let b = bundle::load(dir).map_err(|e| e.to_string())?;
    need_terminal()?;
    let captured = b.captured_at;
    let (tx, rx) = tokio::sync::mpsc::channel(b.observations.len().max(1) + 64);
    let mut world = vaultscope::model::World::default();
    for o in b.observations {
        world.apply(o.clone());
        let _ = tx.try_send(o);
    }
    let at = captured
        .or_else(|| world.newest_timestamp())
        .unwrap_or_else(|| Clock::Wall.now_seconds());
    let (clock, at) = match &live_vault {
        Some(_) => (Clock::Wall, Clock::Wall.now_seconds()),
        None => (Clock::Fixed(at), at),
    };
    let mut app = App::new(
        SourceKind::Bundle {
            dir: dir.display().to_string(),
        },
        theme,
        at,
    );
    app.ui.token_over_http = token_over_http(live_vault.as_ref());
    runtime()?
        .block_on(async {
            // The bundle's pods do not change: Vault's interest is set once.
            let mut inbox = vaultscope::sources::Inbox::default();
            match live_vault {
                Some(cfg) => {
                    let interest = vaultscope::model::interest::interest(&world);
                    let interest_rx = inbox.vault_interest(interest);
                    tokio::spawn(vaultscope::sources::vault::run(cfg, interest_rx, tx));
                }
                None => drop(tx),
            }
            app::run::run(app, rx, inbox, clock, view.mouse, false).await
        })
        .map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// How long `check` waits for the watchers' first lists.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The dashboard on the live cluster of the kubeconfig context.
fn live(cli: &Cli) -> Result<ExitCode, String> {
    let theme = pick_theme(&cli.view)?;
    let vault = cli.vault.config(true)?;
    let rt = runtime()?;
    let conn = rt
        .block_on(kube::connect(&cli.kube.options(cli.namespace.as_deref())))
        .map_err(|e| e.to_string())?;
    need_terminal()?;
    let mut app = App::new(
        SourceKind::Live {
            context: conn.context.clone(),
        },
        theme,
        Clock::Wall.now_seconds(),
    );
    app.ui.namespace = conn.namespace.clone();
    app.ui.fixed_namespace = conn.namespace.clone();
    app.ui.token_over_http = token_over_http(vault.as_ref());
    rt.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let mut inbox = vaultscope::sources::Inbox::default();
        let log_rx = inbox.follow_logs();
        if let Some(cfg) = vault {
            let irx = inbox.vault_interest(vaultscope::model::interest::interest(
                &vaultscope::model::World::default(),
            ));
            tokio::spawn(vaultscope::sources::vault::run(cfg, irx, tx.clone()));
        }
        app.listening = inbox.listens();
        tokio::spawn(kube::run(conn, tx, log_rx));
        app::run::run(app, rx, inbox, Clock::Wall, cli.view.mouse, false).await
    })
    .map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// `vaultscope capture --out DIR`: the live cluster as a bundle.
fn capture(args: CaptureArgs, kube_args: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    let vault = vault.config(true)?;
    warn_token_over_http(vault.as_ref());
    let rt = runtime()?;
    let conn = rt
        .block_on(kube::connect(&kube_args.options(args.namespace.as_deref())))
        .map_err(|e| e.to_string())?;
    let captured = rt.block_on(kube::capture::capture(&conn, &args.out))?;
    let mut files = captured.files.len();
    if let Some(cfg) = vault {
        // What the bundle names (pods, classes) is what Vault is asked about.
        let (world, _) = bundle::load(&args.out)
            .map_err(|e| e.to_string())?
            .into_world();
        let interest = vaultscope::model::interest::interest(&world);
        let snap = rt.block_on(vaultscope::sources::vault::poll_once(cfg, &interest));
        vaultscope::sources::vault::write_vault_json(&args.out, &snap)
            .map_err(|e| format!("{}: {e}", args.out.join("vault.json").display()))?;
        files += 1;
    }
    for d in &captured.denied {
        say("note", &format!("{}: left out of the bundle", d.describe()));
    }
    say(
        "note",
        &format!(
            "captured context \"{}\" ({}) into {} ({files} files)",
            conn.context,
            conn.scope(),
            args.out.display()
        ),
    );
    Ok(ExitCode::SUCCESS)
}

fn themes() -> Result<ExitCode, String> {
    let mut out = std::io::stdout().lock();
    for (name, desc, origin) in theme::list() {
        let _ = writeln!(out, "{name:<14} {desc}  ({origin})");
    }
    if let Some(dir) = theme::user_theme_dir() {
        let _ = writeln!(
            out,
            "\nUser themes and overrides: {}/<name>.toml",
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs, kube_args: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    // A live Vault replaces the bundle's vault.json (for a bundle only with an
    // explicit --vault-addr). Resolved first: a bad address is bad usage
    // before any cluster is looked for.
    let vault = vault.config(args.from.is_none())?;
    warn_token_over_http(vault.as_ref());
    let (mut world, mut captured, source) = match &args.from {
        Some(dir) => {
            let bundle = bundle::load(dir).map_err(|e| e.to_string())?;
            let (world, captured) = bundle.into_world();
            (world, captured, format!("bundle {}", dir.display()))
        }
        None => {
            // The live cluster: every watcher's first list, then the agent logs.
            let rt = runtime()?;
            let conn = rt
                .block_on(kube::connect(&kube_args.options(args.namespace.as_deref())))
                .map_err(|e| e.to_string())?;
            let world = rt.block_on(kube::snapshot(&conn, LIST_TIMEOUT))?;
            for d in &world.access_denied {
                say(
                    "warning",
                    &format!("{}: findings that need it are missing", d.describe()),
                );
            }
            let source = format!("cluster {} ({})", conn.context, conn.scope());
            (world, None, source)
        }
    };
    // A live Vault's countdowns are evaluated at the current time.
    if let Some(cfg) = vault {
        let interest = vaultscope::model::interest::interest(&world);
        let snap = runtime()?.block_on(vaultscope::sources::vault::poll_once(cfg, &interest));
        for o in snap.observations() {
            world.apply(o);
        }
        captured = None;
    }
    // An offline bundle is evaluated at its own time, so countdowns mean what
    // they meant when it was captured; the clock is only the last resort.
    let now = args.as_of.or(captured).unwrap_or_else(chrono::Utc::now);
    let mut report = diagnose::diagnose(&world, now);
    if let Some(ns) = &args.namespace {
        report.workloads.retain(|w| &w.key.namespace == ns);
    }
    let text = match args.output {
        Output::Json => report::to_json(&report),
        Output::Table => {
            let color = std::io::stdout().is_terminal() && !no_color();
            report::to_table(&report, &source, Ansi { color })
        }
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
