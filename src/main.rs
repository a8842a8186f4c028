use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use vaultscope::app::{self, App, SourceKind};
use vaultscope::cli::{
    CaptureArgs, CheckArgs, Cli, Command, DemoArgs, KubeArgs, Output, VaultArgs, ViewArgs,
};
use vaultscope::clock::Clock;
use vaultscope::diagnose;
use vaultscope::report::{self, Style};
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
            eprintln!(
                "vaultscope: error: {flag} before the subcommand applies to the dashboard only; write it after `{name}` (e.g. `vaultscope {name} {flag} ...`)"
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
            eprintln!("vaultscope: error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
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

/// What a bundle could not use; the diagnosis goes on without it.
fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("vaultscope: warning: {}", vaultscope::safe::terminal(w));
    }
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
        let result = app::run::run(app, rx, clock, view.mouse, true).await;
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
    let b = bundle::load(dir).map_err(|e| e.to_string())?;
    warn_all(&b.warnings);
    need_terminal()?;
    // With --vault-addr, a live Vault replaces the bundle's vault.json and
    // countdowns run on the wall clock.
    let live_vault = vault.config(false);
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
    let app = App::new(
        SourceKind::Bundle {
            dir: dir.display().to_string(),
        },
        theme,
        at,
    );
    runtime()?
        .block_on(async {
            match live_vault {
                Some(cfg) => {
                    let interest = vaultscope::model::interest::interest(&world);
                    let (_interest_tx, interest_rx) = tokio::sync::watch::channel(interest);
                    tokio::spawn(vaultscope::sources::vault::run(cfg, interest_rx, tx));
                }
                None => drop(tx),
            }
            app::run::run(app, rx, clock, view.mouse, false).await
        })
        .map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// How long `check` waits for the watchers' first lists.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The dashboard on the live cluster of the kubeconfig context.
fn live(cli: &Cli) -> Result<ExitCode, String> {
    let theme = pick_theme(&cli.view)?;
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
    rt.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let (log_tx, log_rx) = tokio::sync::watch::channel(Vec::new());
        app.log_targets = Some(log_tx);
        if let Some(cfg) = cli.vault.config(true) {
            let (itx, irx) = tokio::sync::watch::channel(vaultscope::model::interest::interest(
                &vaultscope::model::World::default(),
            ));
            app.interest = Some(itx);
            tokio::spawn(vaultscope::sources::vault::run(cfg, irx, tx.clone()));
        }
        tokio::spawn(kube::run(conn, tx, log_rx));
        app::run::run(app, rx, Clock::Wall, cli.view.mouse, false).await
    })
    .map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// `vaultscope capture --out DIR`: the live cluster as a bundle.
fn capture(args: CaptureArgs, kube_args: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let conn = rt
        .block_on(kube::connect(&kube_args.options(args.namespace.as_deref())))
        .map_err(|e| e.to_string())?;
    let captured = rt.block_on(kube::capture::capture(&conn, &args.out))?;
    let mut files = captured.files.len();
    if let Some(cfg) = vault.config(true) {
        // What the bundle names (pods, classes) is what Vault is asked about.
        let b = bundle::load(&args.out).map_err(|e| e.to_string())?;
        warn_all(&b.warnings);
        let (world, _) = b.into_world();
        let interest = vaultscope::model::interest::interest(&world);
        let snap = rt.block_on(vaultscope::sources::vault::poll_once(cfg, &interest));
        vaultscope::sources::vault::write_vault_json(&args.out, &snap)
            .map_err(|e| format!("{}: {e}", args.out.join("vault.json").display()))?;
        files += 1;
    }
    for d in &captured.denied {
        eprintln!("vaultscope: {}: left out of the bundle", d.describe());
    }
    eprintln!(
        "vaultscope: captured context \"{}\" ({}) into {} ({files} files)",
        conn.context,
        conn.scope(),
        args.out.display()
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
    let (mut world, mut captured, source) = match &args.from {
        Some(dir) => {
            let bundle = bundle::load(dir).map_err(|e| e.to_string())?;
            warn_all(&bundle.warnings);
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
                eprintln!(
                    "vaultscope: {}: findings that need it are missing",
                    d.describe()
                );
            }
            let source = format!("cluster {} ({})", conn.context, conn.scope());
            (world, None, source)
        }
    };
    // A live Vault replaces the bundle's vault.json (for a bundle only with an
    // explicit --vault-addr); its countdowns are then evaluated at the current time.
    if let Some(cfg) = vault.config(args.from.is_none()) {
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
            report::to_table(&report, &source, Style { color })
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
