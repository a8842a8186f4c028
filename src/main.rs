use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use vaultscope::cli::{
    CaptureArgs, CheckArgs, Cli, Command, DemoArgs, KubeArgs, Output, PreflightArgs, VaultArgs,
    ViewArgs,
};
use vaultscope::report::{self, Ansi};
use vaultscope::session;
use vaultscope::sources::vault::VaultConfig;
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
        Some(Command::Preflight(args)) => preflight(args, &cli.kube, &cli.vault),
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

fn warn(msg: &str) {
    say("warning", msg);
}

/// The token would cross the network in clear text: said before anything
/// is sent (the dashboard's header says it too).
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

fn view(args: &ViewArgs) -> Result<session::View, String> {
    Ok(session::View {
        theme: pick_theme(args)?,
        mouse: args.mouse,
    })
}

fn demo(args: DemoArgs, view_args: &ViewArgs) -> Result<ExitCode, String> {
    let view = view(view_args)?;
    session::dashboard(session::Data::Demo { speed: args.speed }, view, warn)
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn view_bundle(dir: &Path, view_args: &ViewArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    let view = view(view_args)?;
    let vault = vault.config(false)?;
    let data = session::Data::Bundle {
        dir: dir.to_path_buf(),
        vault,
    };
    session::dashboard(data, view, warn).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The dashboard on the live cluster of the kubeconfig context.
fn live(cli: &Cli) -> Result<ExitCode, String> {
    let view = view(&cli.view)?;
    let data = session::Data::Live {
        kube: cli.kube.options(cli.namespace.as_deref()),
        vault: cli.vault.config(true)?,
    };
    session::dashboard(data, view, warn).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `vaultscope capture --out DIR`: the live cluster as a bundle.
fn capture(args: CaptureArgs, kube: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    let vault = vault.config(true)?;
    warn_token_over_http(vault.as_ref());
    let opts = kube.options(args.namespace.as_deref());
    let done = session::capture(opts, vault, &args.out).map_err(|e| e.to_string())?;
    for w in &done.warnings {
        warn(w);
    }
    for note in &done.left_out {
        say("note", note);
    }
    say(
        "note",
        &format!(
            "captured context \"{}\" ({}) into {} ({} files)",
            done.context,
            done.scope,
            args.out.display(),
            done.files
        ),
    );
    Ok(ExitCode::SUCCESS)
}

fn themes() -> Result<ExitCode, String> {
    let mut out = std::io::stdout().lock();
    // User theme files may come from anywhere: names and descriptions
    // (and their parse errors) are shown made safe like all others' text.
    let safe = vaultscope::safe::terminal;
    for (name, desc, origin) in theme::list() {
        let _ = writeln!(out, "{:<14} {}  ({origin})", safe(&name), safe(&desc));
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

fn check(args: CheckArgs, kube: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    // A live Vault replaces the bundle's vault.json (for a bundle only with an
    // explicit --vault-addr). Resolved first: a bad address is bad usage
    // before any cluster is looked for.
    let vault = vault.config(args.from.is_none())?;
    warn_token_over_http(vault.as_ref());
    let from = match &args.from {
        Some(dir) => session::CheckFrom::Bundle(dir),
        None => session::CheckFrom::Cluster(kube.options(args.namespace.as_deref())),
    };
    let checked = session::check(from, vault, args.as_of, args.namespace.as_deref())
        .map_err(|e| e.to_string())?;
    for w in &checked.warnings {
        say("warning", w);
    }
    let text = match args.output {
        Output::Json => report::to_json(&checked.report),
        Output::Table => {
            let color = std::io::stdout().is_terminal() && !no_color();
            report::to_table(&checked.report, &checked.source, Ansi { color })
        }
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if checked.report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `vaultscope preflight -f ...`: the rings whose source is given run (the
/// cluster only when named: --kubeconfig, --context or KUBECONFIG).
fn preflight(args: PreflightArgs, kube: &KubeArgs, vault: &VaultArgs) -> Result<ExitCode, String> {
    use vaultscope::cli::PreflightOutput as O;
    use vaultscope::preflight::output::{Format, render};
    let vault = vault.config(true)?;
    warn_token_over_http(vault.as_ref());
    let named = kube.kubeconfig.is_some()
        || kube.context.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    let cluster = named.then(|| kube.options(None));
    let done = session::preflight(&args.files, &args.namespace, vault, cluster)
        .map_err(|e| e.to_string())?;
    for w in &done.warnings {
        warn(w);
    }
    let format = match args.output {
        O::Table => Format::Table,
        O::Json => Format::Json,
        O::Sarif => Format::Sarif,
        O::Github => Format::Github,
    };
    let color = format == Format::Table && std::io::stdout().is_terminal() && !no_color();
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(render(&done.report, format, color).as_bytes());
    let _ = out.flush();
    Ok(if done.report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
