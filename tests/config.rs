//! The config file as a user meets it: found in $XDG_CONFIG_HOME or
//! ~/.config, or named by --config; precedence flag > environment > config
//! file > built-in default; a Vault per kube context; bad files named with
//! their key; `vaultscope config` showing where each setting came from,
//! never a token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A HOME of its own, with a kubeconfig of two contexts (prod current)
/// whose server nothing listens on.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir_all(dir.path().join(".kube")).unwrap();
        std::fs::write(
            dir.path().join(".kube/config"),
            format!(
                "apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: prod
  context: {{cluster: c, user: u}}
- name: dev
  context: {{cluster: c, user: u}}
clusters:
- name: c
  cluster: {{server: \"https://127.0.0.1:{port}\"}}
users:
- name: u
  user: {{token: kube-token}}
"
            ),
        )
        .unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `text` as ~/.config/vaultscope/config.toml; its path.
    fn config(&self, text: &str) -> PathBuf {
        self.write(".config/vaultscope/config.toml", text)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// vaultscope with this HOME and only the environment given (no
    /// VAULT_*, KUBECONFIG, XDG_CONFIG_HOME or NO_COLOR from outside).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaultscope"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .args(args)
            .envs(env.iter().copied());
        let out = cmd.output().expect("run vaultscope");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `vaultscope config` as setting → (value, where from).
    fn settings(&self, args: &[&str], env: &[(&str, &str)]) -> BTreeMap<String, (String, String)> {
        let mut all = vec!["config"];
        all.extend_from_slice(args);
        let (code, out, err) = self.run(&all, env);
        assert_eq!(code, 0, "{args:?}: {err}");
        out.lines()
            .map(|l| {
                let (name, rest) = l.split_at(18);
                let rest = rest.trim_start();
                let (value, from) = rest.split_once("  ").unwrap_or((rest, ""));
                (
                    name.trim().to_string(),
                    (value.trim().to_string(), from.trim().to_string()),
                )
            })
            .collect()
    }
}

fn has(settings: &BTreeMap<String, (String, String)>, name: &str, value: &str, from: &str) {
    let (v, f) = settings
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {settings:#?}"));
    assert!(
        v == value && f.contains(from),
        "{name}: want {value:?} from {from:?}, got {v:?} from {f:?}"
    );
}

const FILE: &str = r#"
theme = "light"
sort = "expiry"
log_budget = 40
vault_budget = 50
vault_concurrency = 3
vault_interval = 30

[contexts.prod]
vault_addr = "https://vault.prod.example:8200"
vault_cacert = "prod-ca.pem"
vault_namespace = "team-a"

[contexts.dev]
vault_addr = "http://127.0.0.1:8200"
"#;

#[test]
fn precedence_is_flag_then_environment_then_file_then_default() {
    let home = Home::new();
    // Nothing anywhere: built-in defaults.
    let s = home.settings(&[], &[]);
    has(&s, "config file", "none", "no ");
    has(&s, "theme", "default", "built-in default");
    has(&s, "sort", "severity", "built-in default");
    has(&s, "vault_budget", "300", "built-in default");
    has(&s, "vault_addr", "none", "no Vault is polled");

    let file = home.config(FILE);
    let s = home.settings(&[], &[]);
    has(
        &s,
        "config file",
        &file.display().to_string(),
        "default place",
    );
    has(&s, "theme", "light", "config file, theme");
    has(&s, "sort", "expiry", "config file, sort");
    has(&s, "log_budget", "40", "config file, log_budget");
    has(&s, "vault_budget", "50", "config file, vault_budget");
    has(
        &s,
        "vault_concurrency",
        "3",
        "config file, vault_concurrency",
    );
    has(&s, "vault_interval", "30s", "config file, vault_interval");

    // The environment beats the file; a flag beats both.
    let s = home.settings(
        &[],
        &[("NO_COLOR", "1"), ("VAULT_ADDR", "https://env.example")],
    );
    has(&s, "theme", "monochrome", "environment NO_COLOR");
    has(
        &s,
        "vault_addr",
        "https://env.example",
        "environment VAULT_ADDR",
    );
    let s = home.settings(
        &[
            "--theme",
            "projector",
            "--vault-budget",
            "7",
            "--vault-concurrency",
            "1",
            "--vault-interval",
            "5",
            "--vault-addr",
            "https://flag.example",
        ],
        &[("NO_COLOR", "1"), ("VAULT_ADDR", "https://env.example")],
    );
    has(&s, "theme", "projector", "flag --theme");
    has(&s, "vault_budget", "7", "flag --vault-budget");
    has(&s, "vault_concurrency", "1", "flag --vault-concurrency");
    has(&s, "vault_interval", "5s", "flag --vault-interval");
    has(
        &s,
        "vault_addr",
        "https://flag.example",
        "flag --vault-addr",
    );
    // BAO_ADDR is the environment too.
    let s = home.settings(&[], &[("BAO_ADDR", "https://bao.example")]);
    has(
        &s,
        "vault_addr",
        "https://bao.example",
        "environment BAO_ADDR",
    );
}

#[test]
fn the_file_is_found_by_xdg_config_home_or_named_by_the_flag() {
    let home = Home::new();
    home.config("sort = \"name\"");
    let xdg = home.write("xdg/vaultscope/config.toml", "sort = \"expiry\"");
    let other = home.write("elsewhere.toml", "vault_budget = 9");
    let xdg_home = xdg.parent().unwrap().parent().unwrap().to_str().unwrap();
    let s = home.settings(&[], &[("XDG_CONFIG_HOME", xdg_home)]);
    has(
        &s,
        "config file",
        &xdg.display().to_string(),
        "default place",
    );
    has(&s, "sort", "expiry", "config file");
    let s = home.settings(
        &["--config", other.to_str().unwrap()],
        &[("XDG_CONFIG_HOME", xdg_home)],
    );
    has(
        &s,
        "config file",
        &other.display().to_string(),
        "flag --config",
    );
    has(&s, "sort", "severity", "built-in default");
    has(&s, "vault_budget", "9", "config file");
    // A --config file that is not there is an error; the default one may be missing.
    let (code, _, err) = home.run(&["config", "--config", "/nonexistent/vs.toml"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--config /nonexistent/vs.toml"), "{err}");
}

#[test]
fn each_kube_context_gets_its_own_vault() {
    let home = Home::new();
    let file = home.config(FILE);
    let dir = file.parent().unwrap();
    // The current context (prod): its address, CA (relative to the file) and namespace.
    let s = home.settings(&[], &[]);
    has(&s, "kube context", "prod", "kubeconfig current-context");
    has(
        &s,
        "vault_addr",
        "https://vault.prod.example:8200",
        "[contexts.prod] vault_addr",
    );
    has(
        &s,
        "vault_cacert",
        &dir.join("prod-ca.pem").display().to_string(),
        "[contexts.prod] vault_cacert",
    );
    has(
        &s,
        "vault_namespace",
        "team-a",
        "[contexts.prod] vault_namespace",
    );
    // Another context: its own Vault, and nothing of prod's.
    let s = home.settings(&["--context", "dev"], &[]);
    has(&s, "kube context", "dev", "flag --context");
    has(
        &s,
        "vault_addr",
        "http://127.0.0.1:8200",
        "[contexts.dev] vault_addr",
    );
    has(&s, "vault_cacert", "-", "system");
    has(&s, "vault_namespace", "-", "none");
    // VAULT_NAMESPACE beats the context's; VAULT_ADDR replaces the
    // context's Vault, and so its CA and namespace too.
    let s = home.settings(&[], &[("VAULT_NAMESPACE", "ops")]);
    has(&s, "vault_namespace", "ops", "environment VAULT_NAMESPACE");
    let s = home.settings(&[], &[("VAULT_ADDR", "https://env.example")]);
    has(&s, "vault_cacert", "-", "system");
    has(&s, "vault_namespace", "-", "none");

    // The live commands use it: prod's CA file is missing, which `check`
    // names (file, table, key) before it looks for the cluster...
    let (code, _, err) = home.run(&["check"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "config file {} [contexts.prod] vault_cacert {}",
            file.display(),
            dir.join("prod-ca.pem").display()
        )),
        "{err}"
    );
    // ...and once it is there, prod's Vault is polled: the limit flags
    // apply (not refused as "no Vault"), and the cluster is what fails.
    std::fs::create_dir_all(dir.join("prod-ca.pem")).unwrap();
    let (code, _, err) = home.run(&["check", "--vault-budget", "5"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[contexts.prod] vault_cacert") && err.contains("not a regular file"),
        "the context's CA is read: {err}"
    );
    // dev has no CA: the check goes on to the (unreachable) cluster.
    let (code, _, err) = home.run(&["check", "--context", "dev", "--vault-budget", "5"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot reach the Kubernetes API server of context \"dev\""),
        "{err}"
    );
    // A bundle has no context: the tables do not apply, nor the limits.
    let (code, _, err) = home.run(
        &[
            "check",
            "--from",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/healthy-mixed"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_bad_file_names_the_file_the_key_and_what_is_wrong() {
    let home = Home::new();
    // (file text, the key named, what is wrong)
    for (text, key, want) in [
        (
            "vault_budget = 0",
            "vault_budget",
            "0 is not a whole number of at least 1",
        ),
        ("sort = \"random\"", "sort", "unknown variant `random`"),
        (
            "vault_concurrency = \"four\"",
            "vault_concurrency",
            "invalid type: string \"four\"",
        ),
        ("colour = \"red\"", "", "unknown field `colour`"),
        (
            "[contexts.prod]\nvault_addr = \"vault.prod:8200\"",
            "contexts.prod.vault_addr",
            "\"vault.prod:8200\" is not an http:// or https:// address",
        ),
        ("theme = [", "", "TOML parse error at line 1"),
    ] {
        let file = home.config(text);
        for cmd in [&["config"][..], &["check", "--from", "x"], &["demo"]] {
            let (code, out, err) = home.run(cmd, &[]);
            assert_eq!(code, 2, "{text} {cmd:?}: {err}");
            assert!(out.is_empty(), "{out}");
            assert!(
                err.contains(&format!("config file {}: ", file.display()))
                    && (key.is_empty() || err.contains(&format!("key `{key}`")))
                    && err.contains(want),
                "{text} {cmd:?}: {err}"
            );
        }
        // Commands that read no settings are not stopped by it.
        for cmd in [&["themes"][..], &["completions", "bash"], &["man"]] {
            let (code, _, err) = home.run(cmd, &[]);
            assert_eq!(code, 0, "{cmd:?}: {err}");
        }
    }
    // A theme the file names that does not exist: named with the file and key.
    let file = home.config("theme = \"solarized\"");
    let (code, _, err) = home.run(&["demo"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "config file {}: key `theme`: unknown theme \"solarized\"",
            file.display()
        )),
        "{err}"
    );
}

#[test]
fn tokens_are_never_shown() {
    let home = Home::new();
    home.config(FILE);
    let secret = "hvs.CAESIsupersecrettokenvalue";
    let (code, out, err) = home.run(&["config"], &[("VAULT_TOKEN", secret)]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    assert!(out.contains("set, not shown"), "{out}");
    home.write(".vault-token", secret);
    let (_, out, _) = home.run(&["config"], &[]);
    assert!(!out.contains(secret), "{out}");
    assert!(out.contains(".vault-token"), "{out}");
    // Nor a password in an address.
    let (_, out, _) = home.run(
        &["config"],
        &[("VAULT_ADDR", "https://user:hunter2@vault.example:8200")],
    );
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn flags_that_config_does_not_show_are_refused() {
    let home = Home::new();
    for (args, want) in [
        (
            &["config", "-A"][..],
            "-A/--all-namespaces does not apply to `config`",
        ),
        (&["config", "--mouse"], "--mouse does not apply to `config`"),
        (
            &["themes", "--config", "x.toml"],
            "--config does not apply to `themes`",
        ),
        (
            &["completions", "bash", "--config", "x.toml"],
            "--config does not apply to `completions`",
        ),
    ] {
        let (code, _, err) = home.run(args, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
