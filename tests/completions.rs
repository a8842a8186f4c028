//! Shell completions and man pages are generated from the same clap
//! definitions as the parser: bash, run for real, completes subcommands,
//! flags and flag values; the other shells' scripts and the man pages name
//! the same.

use std::process::Command;

fn vaultscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
        .args(args)
        .output()
        .expect("run vaultscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn generated(args: &[&str]) -> String {
    let (code, out, err) = vaultscope(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// What bash offers after the words typed so far (the last one being
/// completed), asked of the function the script registers with `complete`,
/// the way bash's readline calls it.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let probe = format!(
        r#"source '{}'
spec=$(complete -p vaultscope) || exit 3
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
"$fn" vaultscope "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        script.display(),
        words = words.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("vaultscope.bash");
    std::fs::write(&script, generated(&["completions", "bash"])).unwrap();

    assert_eq!(bash_completes(&script, &["vaultscope", "ch"]), ["check"]);
    let all = bash_completes(&script, &["vaultscope", ""]);
    for sub in ["check", "demo", "capture", "themes", "completions", "man"] {
        assert!(all.iter().any(|w| w == sub), "{sub} not in {all:?}");
    }
    assert_eq!(
        bash_completes(&script, &["vaultscope", "check", "--vault-"]),
        [
            "--vault-addr",
            "--vault-concurrency",
            "--vault-budget",
            "--vault-interval"
        ]
    );
    assert_eq!(
        bash_completes(&script, &["vaultscope", "check", "--as"]),
        ["--as-of"]
    );
    assert_eq!(
        bash_completes(&script, &["vaultscope", "check", "-o", ""]),
        ["table", "json"]
    );
    let shells = bash_completes(&script, &["vaultscope", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(
            shells.iter().any(|w| w == shell),
            "{shell} not in {shells:?}"
        );
    }
}

#[test]
fn every_shell_gets_the_subcommands_and_flags() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let text = generated(&["completions", shell]);
        // (fish names long flags without their dashes: `-l vault-budget`)
        for word in ["check", "capture", "vault-budget", "as-of", "context"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
    let (code, _, err) = vaultscope(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    let (code, _, err) = vaultscope(&["completions", "bash", "--context", "prod"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--context does not apply to `completions`"),
        "{err}"
    );
}

#[test]
fn the_man_pages_describe_the_commands() {
    let page = generated(&["man"]);
    assert!(page.contains(".TH vaultscope 1"), "{page}");
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "VERSION"] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    assert!(
        page.contains("VAULT_ADDR"),
        "the environment is in the page"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, _, err) = vaultscope(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for want in ["vaultscope.1", "vaultscope-check.1", "vaultscope-capture.1"] {
        assert!(pages.iter().any(|p| p == want), "{want} not in {pages:?}");
    }
    let check = std::fs::read_to_string(out.join("vaultscope-check.1")).unwrap();
    assert!(
        check.contains("Exit status: 0"),
        "check's page has its exit codes"
    );
}
