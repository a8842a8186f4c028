use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use vaultscope::cli::{CheckArgs, Cli, Command, Output};
use vaultscope::diagnose;
use vaultscope::report::{self, Style};
use vaultscope::sources::bundle;

/// Exit status for bad usage or input (clap uses it for usage errors too).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("vaultscope: error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let Some(dir) = args.from else {
        return Err("checking a live cluster is not available in this version; pass --from DIR with a bundle \
(try: vaultscope check --from examples/healthy-mixed)"
            .into());
    };
    let bundle = bundle::load(&dir).map_err(|e| e.to_string())?;
    let (world, captured) = bundle.into_world();
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
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report::to_table(
                &report,
                &format!("bundle {}", dir.display()),
                Style { color },
            )
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
