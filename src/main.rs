use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::FromArgMatches;

use vaultscope::cli::{
    self, CaptureArgs, CheckArgs, Cli, Command, DemoArgs, KubeArgs, Output, PreflightArgs,
};
use vaultscope::config::{Origin, Settings};
use vaultscope::model::words;
use vaultscope::report::{self, Ansi};
use vaultscope::session;
use vaultscope::sources::vault::VaultConfig;
use vaultscope::theme::{self, Theme};

/// Exit status for bad usage or input (clap uses it for usage errors too).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let bin = env!("CARGO_BIN_NAME");
    let matches = cli::command(bin).get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if bin == cli::KUBECTL_PLUGIN {
        cli.kubectl_habits();
    }
    let settings = match Settings::resolve(&cli, |id| cli::given(&matches, id), cli.mode()) {
        Ok(s) => s,
        Err(msg) => {
            say("error", &msg);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let vault_env = ["VAULT_ADDR", "BAO_ADDR"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|a| !a.trim().is_empty()))
        || settings.has_context_vault();
    if let Err(msg) = cli.refuse_unused(|id| cli::given(&matches, id), vault_env) {
        say("error", &msg);
        return ExitCode::from(EXIT_USAGE);
    }
    let result = match cli.command {
        Some(Command::Check(args)) => check(args, &cli.kube, &settings),
        Some(Command::Capture(args)) => capture(args, &cli.kube, &settings),
        Some(Command::Preflight(args)) => preflight(args, &cli.kube, &settings),
        Some(Command::Demo(args)) => demo(args, cli.view.mouse, &settings),
        Some(Command::Themes) => themes(),
        Some(Command::Config) => show_config(&settings),
        Some(Command::Completions { shell }) => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cli::command(bin), bin, &mut text);
            print(&text)
        }
        Some(Command::Man { out: None }) => {
            let mut text = Vec::new();
            let _ = clap_mangen::Man::new(cli::command(bin)).render(&mut text);
            print(&text)
        }
        Some(Command::Man { out: Some(dir) }) => man_pages(&dir, bin),
        None => match &cli.from {
            Some(dir) => view_bundle(dir, &cli, &settings),
            None => live(&cli, &settings),
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

/// Said before anything is sent: the token would cross the network in
/// clear text (the dashboard's header says it too), or a proxy from the
/// environment applies to Vault's address.
fn say_how_vault_is_reached(vault: Option<&VaultConfig>) {
    if let Some(w) = vault.and_then(VaultConfig::plaintext_token_warning) {
        say("warning", &w);
    }
    if let Some(n) = vault.and_then(VaultConfig::proxy_note) {
        say("note", &n);
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn pick_theme(settings: &Settings) -> Result<Theme, String> {
    let t = &settings.theme;
    let theme = theme::load(&t.value).map_err(|e| match (&t.from, &settings.file) {
        (Origin::Flag(flag), _) => format!("{flag}: {e}"),
        (Origin::File(key), Some(f)) => {
            format!("config file {}: key `{key}`: {e}", f.path.display())
        }
        // A built-in name: only a user's override of it can be broken, and
        // the error names its file (and the way out).
        _ => format!(
            "{e} (this file overrides the built-in theme \"{}\": fix it, or remove it)",
            t.value
        ),
    })?;
    Ok(
        if theme::truecolor_announced(std::env::var("COLORTERM").ok().as_deref()) {
            theme
        } else {
            theme.to_256_colours()
        },
    )
}

fn view(mouse: bool, settings: &Settings) -> Result<session::View, String> {
    Ok(session::View {
        theme: pick_theme(settings)?,
        mouse,
        sort: settings.sort.value.into(),
    })
}

fn demo(args: DemoArgs, mouse: bool, settings: &Settings) -> Result<ExitCode, String> {
    let view = view(mouse, settings)?;
    session::dashboard(
        session::Data::Demo {
            speed: args.speed,
            at: args.at,
        },
        view,
        warn,
    )
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn view_bundle(dir: &Path, cli: &Cli, settings: &Settings) -> Result<ExitCode, String> {
    let view = view(cli.view.mouse, settings)?;
    let vault = settings.vault(false)?;
    say_how_vault_is_reached(vault.as_ref());
    let data = session::Data::Bundle {
        dir: dir.to_path_buf(),
        vault,
        namespace: cli.namespace.clone(),
        as_of: cli.as_of,
    };
    session::dashboard(data, view, warn).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The dashboard on the live cluster of the kubeconfig context.
fn live(cli: &Cli, settings: &Settings) -> Result<ExitCode, String> {
    let view = view(cli.view.mouse, settings)?;
    let vault = settings.vault(true)?;
    say_how_vault_is_reached(vault.as_ref());
    let data = session::Data::Live {
        kube: cli.kube.options(cli.namespace.as_deref()),
        vault,
    };
    session::dashboard(data, view, warn).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `vaultscope capture --out DIR`: the live cluster as a bundle.
fn capture(args: CaptureArgs, kube: &KubeArgs, settings: &Settings) -> Result<ExitCode, String> {
    let vault = settings.vault(true)?;
    say_how_vault_is_reached(vault.as_ref());
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
            "captured context \"{}\" ({}) into {} ({})",
            done.context,
            done.scope,
            args.out.display(),
            words::count(done.files, "file", "files")
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

/// `vaultscope config`: each setting, its value and where it came from.
fn show_config(settings: &Settings) -> Result<ExitCode, String> {
    let safe = vaultscope::safe::terminal;
    let rows = settings.describe();
    let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let mut text = String::new();
    for (name, value, from) in rows {
        let value = format!("{:<width$}", safe(&value));
        text.push_str(&format!("{name:<18} {value}  {}\n", safe(&from)));
    }
    print(text.as_bytes())
}

/// Text generated from the command-line definitions (made whole first:
/// the generators panic on a write error), to stdout.
fn print(text: &[u8]) -> Result<ExitCode, String> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.write_all(text).and_then(|()| out.flush());
    Ok(ExitCode::SUCCESS)
}

/// `man --out DIR`: the page of the program and of each subcommand.
fn man_pages(dir: &Path, bin: &str) -> Result<ExitCode, String> {
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(cli::command(bin), dir))
        .map_err(|e| format!("--out {}: {e}", dir.display()))?;
    say(
        "note",
        &format!("wrote the man pages into {}", dir.display()),
    );
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs, kube: &KubeArgs, settings: &Settings) -> Result<ExitCode, String> {
    // A live Vault replaces the bundle's vault.json (for a bundle only with an
    // explicit --vault-addr). Resolved first: a bad address is bad usage
    // before any cluster is looked for.
    let vault = settings.vault(args.from.is_none())?;
    say_how_vault_is_reached(vault.as_ref());
    let from = match &args.from {
        Some(dir) => session::CheckFrom::Bundle(dir),
        None => session::CheckFrom::Cluster {
            opts: kube.options(args.namespace.as_deref()),
            logs: args.logs,
            budget: settings.log_budget.value,
        },
    };
    let checked = session::check(from, vault, args.as_of, args.namespace.as_deref())
        .map_err(|e| e.to_string())?;
    for w in &checked.warnings {
        say("warning", w);
    }
    let logs = checked.log_reads.as_ref();
    let text = match args.output {
        Output::Json => report::to_json_with(&checked.report, logs),
        Output::Table => {
            let color = std::io::stdout().is_terminal() && !no_color();
            report::to_table_with(
                &checked.report,
                &checked.source,
                &checked.empty,
                logs,
                Ansi { color },
            )
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
fn preflight(
    args: PreflightArgs,
    kube: &KubeArgs,
    settings: &Settings,
) -> Result<ExitCode, String> {
    use vaultscope::cli::PreflightOutput as O;
    use vaultscope::preflight::output::{Format, render};
    let vault = settings.vault(true)?;
    say_how_vault_is_reached(vault.as_ref());
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
