//! The binary as a user runs it: the example bundles, exit codes, output
//! forms and error messages.

use std::process::Command;

use serde_json::Value;

fn vaultscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vaultscope"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run vaultscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(bundle: &str) -> (i32, Value) {
    let (code, out, err) = vaultscope(&["check", "--from", bundle, "-o", "json"]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")),
    )
}

fn codes_of(v: &Value, workload: &str) -> Vec<String> {
    v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == workload)
        .unwrap_or_else(|| panic!("no workload {workload}"))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn healthy_bundle_exits_zero_with_no_findings() {
    let (code, v) = json("examples/healthy-mixed");
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["error"], 0);
    assert_eq!(v["summary"]["warning"], 0);
    assert!(v["summary"]["workloads"].as_u64().unwrap() >= 5);
    for w in v["workloads"].as_array().unwrap() {
        assert_eq!(w["health"], "ok", "{w}");
        assert!(w["findings"].as_array().unwrap().is_empty());
        assert_ne!(w["name"], "redis", "workloads without Vault are not listed");
    }
    let billing = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "billing-api")
        .unwrap();
    let lease = &billing["leases"][0];
    assert!(lease["ttl_seconds"].as_i64().unwrap() > 3600, "{lease}");
    assert_eq!(lease["renewable"], true);
    assert_eq!(billing["secrets"][0]["via"], "agent");
    // The JSON has the documented shape.
    for key in ["as_of", "summary", "workloads"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in [
        "namespace",
        "kind",
        "name",
        "health",
        "pods",
        "secrets",
        "leases",
        "findings",
    ] {
        assert!(billing.get(key).is_some(), "missing workloads[].{key}");
    }
    for key in ["name", "phase", "agent_init", "agent", "injector"] {
        assert!(
            billing["pods"][0].get(key).is_some(),
            "missing pods[].{key}"
        );
    }
    // Which injector: vault-k8s here; a CSI-only workload has none.
    assert_eq!(billing["injector"], "vault");
    assert_eq!(billing["pods"][0]["injector"], "vault");
    let csi_only = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["method"] == "csi")
        .expect("a CSI workload");
    assert!(csi_only["injector"].is_null(), "{csi_only}");
}

#[test]
fn broken_auth_bundle_names_each_cause() {
    let (code, v) = json("examples/broken-auth");
    assert_eq!(code, 1);
    assert_eq!(
        codes_of(&v, "ledger"),
        ["auth.service_account_not_authorized"]
    );
    assert_eq!(codes_of(&v, "orders"), ["auth.invalid_role"]);
    assert_eq!(codes_of(&v, "invoices"), ["secret.permission_denied"]);
    assert_eq!(codes_of(&v, "legacy-web"), ["injection.not_injected"]);
    assert_eq!(codes_of(&v, "checkout"), ["injection.webhook_failed"]);
    assert!(codes_of(&v, "billing-api").is_empty());
    let f = &v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "ledger")
        .unwrap()["findings"][0];
    for key in [
        "code",
        "severity",
        "via",
        "pod",
        "container",
        "message",
        "evidence",
        "hint",
    ] {
        assert!(f.get(key).is_some(), "missing findings[].{key}");
    }
    assert_eq!(f["via"], "agent-init");
    assert_eq!(f["severity"], "error");
    assert!(
        f["evidence"]
            .as_str()
            .unwrap()
            .contains("service account name not authorized")
    );
}

#[test]
fn broken_csi_bundle_names_each_cause() {
    let (code, v) = json("examples/broken-csi");
    assert_eq!(code, 1);
    assert_eq!(codes_of(&v, "cart"), ["auth.permission_denied"]);
    assert_eq!(codes_of(&v, "search"), ["csi.class_not_found"]);
    assert_eq!(codes_of(&v, "reviews"), ["secret.missing_key"]);
    assert_eq!(codes_of(&v, "images"), ["csi.sync_failed"]);
    assert_eq!(codes_of(&v, "recommendations"), ["csi.mount_failed"]);
    assert!(codes_of(&v, "catalog").is_empty());
}

#[test]
fn table_output_is_for_people() {
    let (code, out, _) = vaultscope(&["check", "--from", "examples/broken-auth"]);
    assert_eq!(code, 1);
    assert!(out.contains("ERROR  payments Deployment ledger"), "{out}");
    assert!(
        out.contains("fix: Add \"ledger-svc\" to bound_service_account_names"),
        "{out}"
    );
    assert!(out.contains("workloads: 1 ok, 0 warning, 5 error"), "{out}");
    assert!(
        !out.contains("\x1b["),
        "no colour codes when not a terminal"
    );
}

#[test]
fn namespace_filter_and_as_of() {
    let (_, out, _) = vaultscope(&[
        "check",
        "--from",
        "examples/broken-auth",
        "-n",
        "shop",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["namespace"] == "shop")
    );
    let (code, out, _) = vaultscope(&[
        "check",
        "--from",
        "examples/healthy-mixed",
        "--as-of",
        "2026-11-30T06:00:00Z",
        "-o",
        "json",
    ]);
    // The certificate (72 h) has 4 h left: past the 90 % at which an agent
    // issues the next one.
    assert_eq!(code, 1, "later, the leases have expired");
    assert!(
        out.contains("lease.expired") && out.contains("cert.expiring"),
        "{out}"
    );
}

#[test]
fn bad_input_exits_two_with_a_clear_message() {
    let (code, out, err) = vaultscope(&["check", "--from", "does/not/exist"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("does/not/exist: no such directory"), "{err}");
    assert!(!err.contains("panicked"));
    let (code, _, err) = vaultscope(&["check", "--from", "examples/healthy-mixed", "-o", "xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("xml"), "{err}");
    let (code, _, err) = vaultscope(&[
        "check",
        "--from",
        "examples/healthy-mixed",
        "--as-of",
        "tomorrow",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--as-of") && err.contains("RFC 3339"), "{err}");
    let (code, _, err) = vaultscope(&["demo", "--speed", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--speed"), "{err}");
    for at in ["--at=soon", "--at=9m", "--at=-1s"] {
        let (code, _, err) = vaultscope(&["demo", at]);
        assert_eq!(code, 2, "{at}");
        assert!(err.contains("--at"), "{at}: {err}");
    }
    let (code, _, err) = vaultscope(&["demo", "--theme", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--theme") && err.contains("projector"),
        "{err}"
    );
    // No --from: the live cluster, which is not there; the message offers the alternatives.
    let (code, _, err) = vaultscope(&["check", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--from") && err.contains("vaultscope demo"),
        "{err}"
    );
}

#[test]
fn a_file_given_as_bundle_says_so() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a-file.txt");
    std::fs::write(&f, "hello\n").unwrap();
    // In check and in the dashboard alike (before any terminal is needed).
    for args in [&["check", "--from"][..], &["--from"]] {
        let (code, _, err) = vaultscope(&[args, &[f.to_str().unwrap()]].concat());
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("a-file.txt: is a file, not a bundle directory"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unusable_optional_file_is_a_warning_and_the_check_goes_on() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        "examples/healthy-mixed/pods.yaml",
        d.path().join("pods.yaml"),
    )
    .unwrap();
    let logs = d.path().join("logs/payments/ledger-db-0");
    std::fs::create_dir_all(&logs).unwrap();
    std::os::unix::fs::symlink("/nonexistent/log", logs.join("vault-agent.log")).unwrap();
    std::fs::create_dir(d.path().join("events.yaml")).unwrap();
    let (code, out, err) =
        vaultscope(&["check", "--from", d.path().to_str().unwrap(), "-o", "json"]);
    assert_ne!(code, 2, "{err}");
    assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
    for file in ["vault-agent.log", "events.yaml"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("vaultscope: warning: ") && l.contains(file)),
            "{err}"
        );
    }
}

#[test]
fn a_broken_theme_file_names_file_and_key() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mine.toml");
    std::fs::write(
        &p,
        include_str!("../themes/default.toml").replace(
            "warning = { fg = \"#f9e2af\", bold = true }",
            "warning = \"yellowish\"",
        ),
    )
    .unwrap();
    let (code, _, err) = vaultscope(&["demo", "--theme", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("mine.toml") && err.contains("roles.warning") && err.contains("yellowish"),
        "{err}"
    );
}

#[test]
fn themes_are_listed() {
    let (code, out, _) = vaultscope(&["themes"]);
    assert_eq!(code, 0);
    for t in [
        "default",
        "light",
        "high-contrast",
        "colorblind",
        "monochrome",
        "projector",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(t)),
            "{t} missing in {out}"
        );
    }
}

#[test]
fn help_explains() {
    let (code, out, _) = vaultscope(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("check") && out.contains("demo") && out.contains("never reads secret values"),
        "{out}"
    );
    let (_, out, _) = vaultscope(&["check", "--help"]);
    assert!(
        out.contains("kubectl get pods -A -o yaml") && out.contains("Exit status"),
        "{out}"
    );
}

#[test]
fn dashboard_flags_before_a_subcommand_are_refused_not_ignored() {
    let (code, out, err) = vaultscope(&["--from", "examples/broken-auth", "check"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--from") && err.contains("after `check`"),
        "{err}"
    );
    let (code, _, err) = vaultscope(&["-A", "check", "--from", "examples/healthy-mixed"]);
    assert_eq!(
        code, 0,
        "global options still work before a subcommand: {err}"
    );
}

/// One rule for flags that would do nothing: refused, exit 2, naming the
/// flag and why; nothing is read or printed on stdout first.
#[test]
fn flags_that_do_not_apply_are_refused_naming_the_flag() {
    for (args, want) in [
        (
            &["themes", "--vault-addr", "x", "-A"][..],
            &[
                "--vault-addr does not apply to `themes`",
                "-A/--all-namespaces does not apply to `themes`",
            ][..],
        ),
        (
            &["-n", "foo", "-A"],
            &["-n/--namespace and -A/--all-namespaces contradict"],
        ),
        (
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--context",
                "foo",
            ],
            &["--context does not apply to `check --from DIR`: a bundle is read, not a cluster"],
        ),
        (
            &["demo", "--vault-addr", "https://vault.example"],
            &["--vault-addr does not apply to `demo`"],
        ),
        (
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--theme",
                "light",
            ],
            &["--theme does not apply to `check --from DIR`"],
        ),
        (
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--vault-budget",
                "3",
            ],
            &["--vault-budget does not apply to `check --from DIR`: no Vault is polled"],
        ),
    ] {
        let (code, out, err) = vaultscope_env(args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        for w in want {
            assert!(err.contains(w), "{args:?}: {err}");
        }
    }
}

#[test]
fn help_describes_check_the_environment_and_the_bundle_files() {
    let (code, top, _) = vaultscope(&["--help"]);
    assert_eq!(code, 0);
    let (_, check, _) = vaultscope(&["check", "--help"]);
    for help in [&top, &check] {
        for var in [
            "VAULT_ADDR",
            "VAULT_TOKEN",
            "VAULT_CACERT",
            "VAULT_CAPATH",
            "VAULT_CLIENT_CERT",
            "VAULT_NAMESPACE",
            "VAULT_SKIP_VERIFY",
            "BAO_",
            "KUBECONFIG",
            "NO_COLOR",
            "COLORTERM",
            "HTTPS_PROXY",
            "XDG_CONFIG_HOME",
        ] {
            assert!(help.contains(var), "{var} missing:\n{help}");
        }
        assert!(help.contains("is refused with exit status 2"), "{help}");
    }
    assert!(
        top.contains("Diagnose the live cluster (or an offline bundle with --from)"),
        "{top}"
    );
    // One line per bundle file, its name first, bundle.json included.
    for file in [
        "pods.yaml",
        "events.yaml",
        "replicasets.yaml",
        "jobs.yaml",
        "secretproviderclasses.yaml",
        "secretproviderclasspodstatuses.yaml",
        "mutatingwebhookconfigurations.yaml",
        "logs/NS/POD/CONTAINER.log",
        "logs/NS/POD/CONTAINER.previous.log",
        "vault.json",
        "bundle.json",
    ] {
        assert!(
            check.lines().any(|l| l.starts_with(&format!("  {file} "))),
            "{file} has no line of its own:\n{check}"
        );
    }
    for l in check.lines().chain(top.lines()) {
        assert!(l.chars().count() <= 100, "longer than 100 columns: {l}");
    }
    // The dashboard takes --as-of, as check does.
    assert!(top.contains("--as-of <TIME>"), "{top}");
}

/// `cmd` without this environment's Vault and proxy settings, with `home` as
/// HOME (so no ~/.vault-token).
fn clean(mut cmd: Command, home: &std::path::Path) -> Command {
    cmd.env_remove("NO_COLOR").env("HOME", home);
    for (k, _) in std::env::vars() {
        if k.starts_with("VAULT_") || k.starts_with("BAO_") || k.to_lowercase().ends_with("_proxy")
        {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// vaultscope with no Vault settings from this environment (nor a
/// ~/.vault-token), then `env` added.
fn vaultscope_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = clean(Command::new(env!("CARGO_BIN_EXE_vaultscope")), home.path());
    let out = cmd.args(args).envs(env.iter().copied()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A loopback port nothing listens on: connections are refused at once.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn bad_vault_addresses_are_bad_usage_naming_their_source() {
    for bad in [
        "not a url",
        "ftp:",
        "file:",
        "http://[::1",
        "unix:///run/vault.sock",
    ] {
        let (code, out, err) = vaultscope_env(
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--vault-addr",
                bad,
            ],
            &[],
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(out.is_empty(), "{bad}: {out}");
        assert!(err.contains("--vault-addr"), "{bad}: {err}");
    }
    // From the environment: refused before the cluster is even looked for.
    for var in ["VAULT_ADDR", "BAO_ADDR"] {
        let (code, _, err) = vaultscope_env(
            &["check", "--kubeconfig", "/nonexistent/kubeconfig"],
            &[(var, "ftp://vault.example")],
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(var) && !err.contains("kubeconfig"),
            "{var}: {err}"
        );
    }
}

#[test]
fn an_empty_vault_addr_flag_is_refused_not_ignored() {
    for empty in ["", "  "] {
        let (code, out, err) = vaultscope_env(
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--vault-addr",
                empty,
            ],
            &[],
        );
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains("--vault-addr"), "{err}");
    }
    // An empty VAULT_ADDR is unset, as for the vault CLI.
    let (code, _, err) = vaultscope_env(
        &["check", "--from", "examples/healthy-mixed"],
        &[("VAULT_ADDR", "")],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_token_over_plain_http_to_another_host_is_warned_about() {
    // vault.invalid resolves nowhere; the proxy (a closed loopback port)
    // keeps even the DNS lookup from leaving the machine.
    let proxy = format!("http://127.0.0.1:{}", closed_port());
    let env = [
        ("VAULT_TOKEN", "s.Xd3Q7tFMBfOiVr2HBphEIGsN"),
        ("http_proxy", proxy.as_str()),
        ("HTTP_PROXY", proxy.as_str()),
    ];
    let check = |addr: &str, env: &[(&str, &str)]| {
        vaultscope_env(
            &[
                "check",
                "--from",
                "examples/healthy-mixed",
                "--vault-addr",
                addr,
                "-o",
                "json",
            ],
            env,
        )
    };
    let (code, out, err) = check("http://vault.invalid:8200", &env);
    assert_eq!(code, 1, "Vault is unreachable: {err}");
    assert!(
        err.contains("warning") && err.contains("plain http") && err.contains("vault.invalid"),
        "{err}"
    );
    assert!(!out.contains("plain http"), "stdout stays JSON: {out}");
    // Loopback, https and no token at all: nothing to warn about.
    let local = format!("http://127.0.0.1:{}", closed_port());
    for (addr, env) in [
        (local.as_str(), &env[..]),
        ("http://localhost:1", &env[..]),
        ("http://[::1]:1", &env[..]),
        ("https://vault.invalid:8200", &env[..]),
        ("http://vault.invalid:8200", &env[1..]),
    ] {
        let (_, _, err) = check(addr, env);
        assert!(!err.contains("plain http"), "{addr}: {err}");
    }
}

#[test]
fn addresses_are_shown_without_userinfo_query_or_fragment() {
    let port = closed_port();
    let addr = format!("http://admin:hunter2@127.0.0.1:{port}/?token=abc123#frag");
    let args = ["check", "--from", "examples/healthy-mixed", "--vault-addr"];
    let (code, out, err) = vaultscope_env(&[&args[..], &[&addr, "-o", "json"]].concat(), &[]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["vault"]["address"], format!("http://127.0.0.1:{port}"));
    let (_, table, err) = vaultscope_env(&[&args[..], &[&addr]].concat(), &[]);
    assert!(
        table.contains(&format!("Vault at http://127.0.0.1:{port} is unreachable")),
        "{table}"
    );
    for text in [&out, &table, &err] {
        assert!(
            !text.contains("hunter2") && !text.contains("abc123") && !text.contains("frag"),
            "{text}"
        );
    }
    // The kubeconfig's server, printed when it cannot be reached.
    let d = tempfile::tempdir().unwrap();
    let kc = d.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://admin:hunter2@127.0.0.1:{port}/?token=abc123\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user: {{token: t}}\n"
        ),
    )
    .unwrap();
    let (code, _, err) = vaultscope_env(&["check", "--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("(https://127.0.0.1:{port})")),
        "{err}"
    );
    assert!(!err.contains("hunter2") && !err.contains("abc123"), "{err}");
}

/// A CA file that cannot be used is bad usage naming the variable and the
/// file (exit 2, nothing on stdout), found before anything is read; one
/// that never ends is refused without filling the memory.
#[test]
fn a_bad_vault_ca_file_is_bad_usage() {
    // Under a memory limit, so that a regression fails instead of filling
    // the machine's memory.
    let d = tempfile::tempdir().unwrap();
    let big = d.path().join("big.pem");
    std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    let not_pem = tempfile::tempdir().unwrap();
    std::fs::write(
        not_pem.path().join("junk.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let addr = format!("https://127.0.0.1:{}", closed_port());
    for (var, value, want) in [
        (
            "VAULT_CACERT",
            "/dev/zero",
            "VAULT_CACERT /dev/zero: is a character device",
        ),
        (
            "VAULT_CACERT",
            "/nonexistent/ca.pem",
            "VAULT_CACERT /nonexistent/ca.pem",
        ),
        (
            "BAO_CACERT",
            big.to_str().unwrap(),
            "big.pem: is larger than 1.0 MiB",
        ),
        ("VAULT_CAPATH", d.path().to_str().unwrap(), "big.pem"),
        (
            "VAULT_CAPATH",
            not_pem.path().to_str().unwrap(),
            "junk.pem: not PEM certificates",
        ),
        (
            "VAULT_CAPATH",
            "/nonexistent/dir",
            "VAULT_CAPATH /nonexistent/dir",
        ),
    ] {
        let out = clean(Command::new("sh"), d.path())
            .args(["-c", "ulimit -v 2000000; exec \"$@\"", "sh"])
            .arg(env!("CARGO_BIN_EXE_vaultscope"))
            .args(["check", "--from", "examples/healthy-mixed", "-o", "json"])
            .args(["--vault-addr", &addr])
            .env(var, value)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{var}: {stdout}");
        assert!(stderr.contains(want), "{var}={value}: {stderr}");
    }
    // Plain http reads no TLS file: a stale VAULT_CACERT does not stop it.
    let http = format!("http://127.0.0.1:{}", closed_port());
    let (code, _, err) = vaultscope_env(
        &[
            "check",
            "--from",
            "examples/healthy-mixed",
            "--vault-addr",
            &http,
        ],
        &[("VAULT_CACERT", "/nonexistent/ca.pem")],
    );
    assert_eq!(code, 1, "Vault is unreachable, not bad usage: {err}");
}

/// A VAULT_CAPATH of many files is refused, not walked.
#[test]
fn a_vault_capath_of_too_many_files_is_refused() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..4097 {
        std::fs::write(d.path().join(format!("{i}.pem")), "").unwrap();
    }
    let addr = format!("https://127.0.0.1:{}", closed_port());
    let (code, out, err) = vaultscope_env(
        &[
            "check",
            "--from",
            "examples/healthy-mixed",
            "--vault-addr",
            &addr,
        ],
        &[("VAULT_CAPATH", d.path().to_str().unwrap())],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("VAULT_CAPATH") && err.contains("more than 4096 files"),
        "{err}"
    );
}

/// `--vault-interval` is 1 s to a day: 0 would spin, and an absurd value
/// overflowed the poll schedule (found by tests/fuzz.rs).
#[test]
fn vault_interval_out_of_range_is_bad_usage() {
    for bad in ["0", "86401", "100000000000000"] {
        let (code, _, err) = vaultscope(&[
            "check",
            "--from",
            "examples/healthy-mixed",
            "--vault-interval",
            bad,
        ]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("--vault-interval") && err.contains("86400"),
            "{err}"
        );
    }
}

/// `-n` on a bundle: a namespace it does not hold is a mistake (exit 2,
/// listing the ones it holds), in `check` and in the dashboard alike; one
/// with pods that do not use Vault is said so, not "no workloads here".
#[test]
fn a_namespace_the_bundle_does_not_hold_is_bad_usage() {
    for args in [
        &["check", "--from", "examples/broken-auth", "-n", "nosuchns"][..],
        &[
            "check",
            "--from",
            "examples/broken-auth",
            "-n",
            "nosuchns",
            "-o",
            "json",
        ],
        &["--from", "examples/broken-auth", "-n", "nosuchns"],
    ] {
        let (code, out, err) = vaultscope(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains(
                "namespace \"nosuchns\" is not in the bundle examples/broken-auth; it holds payments, shop, vault"
            ),
            "{args:?}: {err}"
        );
    }
    let (code, out, err) = vaultscope(&["check", "--from", "examples/broken-auth", "-n", "vault"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 pods in namespace vault of this bundle; none uses Vault Agent injection"),
        "{out}"
    );
    assert!(out.contains("0 workloads: 0 ok"), "{out}");
}

#[test]
fn the_table_counts_in_the_singular_shows_restarts_info_and_expired_leases() {
    let (code, out, _) = vaultscope(&[
        "check",
        "--from",
        "examples/healthy-mixed",
        "-n",
        "reporting",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("\n1 workload: 1 ok, 0 warning, 0 error\n"),
        "{out}"
    );
    // invoices' pod restarted 7 times: in the table and the JSON.
    let (_, out, _) = vaultscope(&["check", "--from", "examples/broken-auth"]);
    let line = out
        .lines()
        .find(|l| l.contains("Deployment invoices"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("· 7 restarts"), "{line}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("  pod invoices-") && l.contains("· 7 restarts ·")),
        "{out}"
    );
    let (_, v) = json("examples/broken-auth");
    let invoices = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "invoices")
        .unwrap();
    assert_eq!(invoices["pods"][0]["restarts"], 7, "{invoices}");
    // An info finding (a replaced lease nearing expiry) is in the table too,
    // under its healthy workload.
    let (code, out, _) = vaultscope(&[
        "check",
        "--from",
        "examples/healthy-mixed",
        "--as-of",
        "2026-11-28T15:00:00Z",
    ]);
    assert_eq!(code, 0, "{out}");
    let at = out.find("OK     payments Deployment billing-api").unwrap();
    assert!(
        out[at..]
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("  i lease.expiring [vault]")),
        "{out}"
    );
    // A lease that has run out reads as such, not as a negative countdown.
    let (_, out, _) = vaultscope(&[
        "check",
        "--from",
        "examples/healthy-mixed",
        "--as-of",
        "2027-01-01T00:00:00Z",
    ]);
    assert!(
        out.contains(
            "ERROR  payments Deployment billing-api  pods 2/2 ready · agent (vault-k8s) · expired 33d08h ago"
        ),
        "{out}"
    );
    assert!(!out.contains("in -"), "{out}");
}

/// A user override of the default theme is broken, and no --theme was
/// given: the message names the file, not a flag, and says what a colour
/// may be.
#[test]
fn a_broken_theme_override_is_named_by_its_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/vaultscope/themes");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("default.toml");
    std::fs::write(
        &file,
        include_str!("../themes/default.toml").replace("muted = \"#989cb4\"", "muted = 300"),
    )
    .unwrap();
    let config = home.path().join("config");
    let (code, _, err) =
        vaultscope_env(&["demo"], &[("XDG_CONFIG_HOME", config.to_str().unwrap())]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("--theme"), "{err}");
    assert!(
        err.contains(&format!(
            "{}: roles.muted: 300 is not a colour index (0-255)",
            file.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("\"#rrggbb\"")
            && err.contains("lightred")
            && err.contains("overrides the built-in theme \"default\""),
        "{err}"
    );
    // Given as --theme, the flag is named.
    let (code, _, err) = vaultscope(&["demo", "--theme", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--theme: "), "{err}");
}

#[test]
fn an_unknown_context_lists_the_contexts_there_are() {
    let d = tempfile::tempdir().unwrap();
    let kc = d.path().join("kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\ncurrent-context: staging\nclusters:\n- name: k\n  cluster: {server: https://127.0.0.1:1}\n\
contexts:\n- name: staging\n  context: {cluster: k, user: u}\n- name: prod-eu\n  context: {cluster: k, user: u}\n\
users:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let (code, out, err) = vaultscope(&[
        "check",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--context",
        "nope",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("--context: no context \"nope\" in the kubeconfig")
            && err.contains("its contexts: staging, prod-eu"),
        "{err}"
    );
    assert!(!err.contains("cannot read the kubeconfig"), "{err}");
}

/// A proxy from the environment that applies to Vault's address is said
/// once on stderr (without its password); NO_PROXY keeps it quiet.
#[test]
fn a_proxy_for_vault_is_noted_once() {
    let proxy_port = closed_port();
    let proxy = format!("http://user:hunter2@127.0.0.1:{proxy_port}");
    let args = [
        "check",
        "--from",
        "examples/healthy-mixed",
        "--vault-addr",
        "http://vault.invalid:8200",
        "-o",
        "json",
    ];
    let (code, out, err) = vaultscope_env(&args, &[("HTTP_PROXY", &proxy)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        serde_json::from_str::<Value>(&out).is_ok(),
        "stdout stays JSON: {out}"
    );
    let notes: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("go through the proxy"))
        .collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].starts_with("vaultscope: note: Vault requests to http://vault.invalid:8200")
            && notes[0].contains(&format!(
                "the proxy http://127.0.0.1:{proxy_port} (from HTTP_PROXY"
            )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    let (_, _, err) = vaultscope_env(
        &args,
        &[("HTTP_PROXY", &proxy), ("NO_PROXY", "vault.invalid")],
    );
    assert!(!err.contains("proxy"), "{err}");
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let (code, out, err) = vaultscope(&["--version"]);
    assert_eq!(code, 0, "{err}");
    // vaultscope 0.1.0 (commit 0123456789ab, built 2026-11-29)
    let re = regex::Regex::new(
        r"^vaultscope \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown), built \d{4}-\d{2}-\d{2}\)\n$",
    )
    .unwrap();
    assert!(re.is_match(&out), "{out:?}");
}

#[test]
fn the_kubectl_plugin_is_the_same_program_with_kubectl_habits() {
    let plugin = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kubectl-vaultscope"))
            .args(args)
            .env_remove("NO_COLOR")
            .output()
            .expect("run kubectl-vaultscope");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = plugin(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Usage: kubectl vaultscope [OPTIONS] [COMMAND]"),
        "{out}"
    );
    let (code, _, err) = plugin(&["check", "--bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage: kubectl vaultscope check"), "{err}");
    // `-n` before the subcommand, as `kubectl -n NS get pods`: the same
    // report as after it (plain vaultscope refuses it, naming the flag).
    let args = [
        "check",
        "--from",
        "examples/broken-auth",
        "-o",
        "json",
        "-n",
        "shop",
    ];
    let (want_code, want, _) = vaultscope(&args);
    let (code, got, err) = plugin(&[
        "-n",
        "shop",
        "check",
        "--from",
        "examples/broken-auth",
        "-o",
        "json",
    ]);
    assert_eq!((code, &got), (want_code, &want), "{err}");
    let v: Value = serde_json::from_str(&got).unwrap();
    let namespaces: Vec<&str> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["namespace"].as_str().unwrap())
        .collect();
    assert!(
        !namespaces.is_empty() && namespaces.iter().all(|n| *n == "shop"),
        "{namespaces:?}"
    );
    let (code, _, err) = vaultscope(&["-n", "shop", "check", "--from", "examples/broken-auth"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("-n/--namespace before the subcommand"),
        "{err}"
    );
}
