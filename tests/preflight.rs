//! `vaultscope preflight` as a pipeline runs it: the real binary on the
//! manifests of examples/manifests (the tutorial's, and broken variants),
//! from files, directories and stdin, in every output form; the Vault ring
//! against a real OpenBao configured by scripts/bao.sh, the tutorial's
//! setup (kv-v2, policies, kubernetes auth roles, database and PKI).
//!
//! The tests that need OpenBao start it themselves, once for this test
//! binary, in their own dir and ports (moved by VAULTSCOPE_TEST_SLOT), run
//! one at a time, and the last of them stops it.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;

use common::LabPlace;

const LAB_DIR: &str = "/tmp/vaultscope-bao-preflighttest";
const BAO_PORT: u16 = 18350;
const PG_PORT: u16 = 15550;
/// The tests below that use the lab: the last one to finish stops it.
const LAB_TESTS: usize = 5;

const GOOD: &str = "examples/manifests/good";
const BROKEN: &str = "examples/manifests/broken";
/// The same manifests under openbao-k8s's prefixes: `openbao.org/` (its
/// releases since mid-2025) and `openbao.openbao.org/` (before).
const BAO_GOOD: &str = "examples/manifests/openbao/good";
const BAO_BROKEN: &str = "examples/manifests/openbao/broken";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

/// The binary, with none of the caller's Vault or cluster settings.
fn vaultscope(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaultscope"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in [
        "VAULT_ADDR",
        "BAO_ADDR",
        "VAULT_TOKEN",
        "BAO_TOKEN",
        "VAULT_NAMESPACE",
        "BAO_NAMESPACE",
        "VAULT_CACERT",
        "KUBECONFIG",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run vaultscope");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_in(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
        + 1
}

fn line_of(path: &str, needle: &str) -> usize {
    line_in(&std::fs::read_to_string(path).unwrap(), needle)
}

/// `(code, file, line, severity)` of a finding.
type Found = (String, String, usize, String);

/// Every finding, as [`Found`].
fn found(v: &Value) -> Vec<Found> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding(code: &str, file: &str, line: usize, severity: &str) -> Found {
    (code.into(), file.into(), line, severity.into())
}

fn ring<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ring"] == name)
        .unwrap()
}

#[test]
fn every_preflight_code_is_documented() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let missing: Vec<&str> = vaultscope::preflight::Code::OWN
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !readme.contains(&format!("`{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "preflight codes missing from README.md: {missing:?}"
    );
}

#[test]
fn the_tutorial_manifests_pass_on_their_own() {
    let r = vaultscope(&["preflight", "-f", GOOD, "-o", "json"], None, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert!(found(&v).is_empty(), "{:#?}", v["findings"]);
    assert_eq!(v["files"].as_array().unwrap().len(), 5);
    // 3 service accounts, 3 deployments, a class and its pod.
    assert_eq!(v["objects"], 8);
    assert_eq!(ring(&v, "manifests")["ran"], true);
    assert_eq!(ring(&v, "vault")["ran"], false);
    assert!(
        ring(&v, "vault")["detail"]
            .as_str()
            .unwrap()
            .contains("VAULT_ADDR")
    );
    assert_eq!(ring(&v, "cluster")["ran"], false);
}

#[test]
fn each_broken_manifest_fails_at_its_line() {
    let typo = format!("{BROKEN}/typo.yaml");
    let wrong = format!("{BROKEN}/wrong-metadata.yaml");
    let spc = format!("{BROKEN}/missing-spc.yaml");
    let cases: Vec<(&str, Vec<Found>)> = vec![
        (
            &typo,
            vec![
                finding(
                    "injection.no_role",
                    &typo,
                    line_of(&typo, "vault.hashicorp.com/agent-inject:"),
                    "error",
                ),
                finding(
                    "injection.bad_annotation",
                    &typo,
                    line_of(&typo, "vault.hashicorp.com/rol:"),
                    "warning",
                ),
            ],
        ),
        (
            &wrong,
            vec![finding(
                "preflight.annotations_on_controller",
                &wrong,
                line_of(&wrong, "vault.hashicorp.com/agent-inject:"),
                "error",
            )],
        ),
        (
            &spc,
            vec![finding(
                "csi.class_not_found",
                &spc,
                line_of(&spc, "secretProviderClass: catalog-secrets"),
                "error",
            )],
        ),
    ];
    for (file, want) in cases {
        let r = vaultscope(&["preflight", "-f", file, "-o", "json"], None, &[]);
        assert_eq!(r.code, 1, "{file}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(found(&r.json()), want, "{file}");
    }
    let v = vaultscope(&["preflight", "-f", &typo, "-o", "json"], None, &[]).json();
    let typo_finding = &v["findings"][1];
    assert!(
        typo_finding["message"]
            .as_str()
            .unwrap()
            .contains("did you mean vault.hashicorp.com/role?"),
        "{typo_finding}"
    );
    assert_eq!(typo_finding["object"], "Deployment shop/catalog");
    assert!(
        typo_finding["fix"]
            .as_str()
            .unwrap()
            .contains("spec.template.metadata.annotations")
    );
    // The role and policy mistakes need Vault: alone, the manifests are fine.
    for f in ["unbound-sa.yaml", "policy-missing-path.yaml"] {
        let r = vaultscope(
            &["preflight", "-f", &format!("{BROKEN}/{f}"), "-o", "json"],
            None,
            &[],
        );
        assert_eq!(r.code, 0, "{f}: {}", r.stdout);
    }
}

/// A line with every injector prefix written the same way.
fn unprefixed(line: &str) -> String {
    line.replace("openbao.openbao.org/", "<prefix>")
        .replace("openbao.org/", "<prefix>")
        .replace("vault.hashicorp.com/", "<prefix>")
}

#[test]
fn openbao_manifests_pass_on_their_own() {
    let r = vaultscope(&["preflight", "-f", BAO_GOOD, "-o", "json"], None, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert!(found(&v).is_empty(), "{:#?}", v["findings"]);
    // 3 service accounts, 3 deployments (openbao.org/, and
    // openbao.openbao.org/ for the PKI one).
    assert_eq!(v["objects"], 6);
}

#[test]
fn openbao_broken_manifests_fail_as_their_vault_twins_do() {
    let mut compared = 0;
    for entry in std::fs::read_dir(BAO_BROKEN).unwrap() {
        let bao = entry.unwrap().path();
        let name = bao.file_name().unwrap().to_string_lossy().into_owned();
        let vault = format!("{BROKEN}/{name}");
        let bao = bao.to_string_lossy().into_owned();
        let run = |file: &str| {
            let r = vaultscope(&["preflight", "-f", file, "-o", "json"], None, &[]);
            (r.code, r.json())
        };
        let (vault_code, vault_v) = run(&vault);
        let (bao_code, bao_v) = run(&bao);
        assert_eq!(bao_code, vault_code, "{bao}");
        // The same code, severity and object, at the same key.
        let shape = |file: &str, v: &Value| -> Vec<(String, String, String, String)> {
            let text = std::fs::read_to_string(file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let line = f["line"].as_u64().unwrap() as usize;
                    (
                        f["code"].as_str().unwrap().to_string(),
                        f["severity"].as_str().unwrap().to_string(),
                        f["object"].as_str().unwrap().to_string(),
                        unprefixed(lines[line - 1]),
                    )
                })
                .collect()
        };
        assert_eq!(shape(&bao, &bao_v), shape(&vault, &vault_v), "{bao}");
        // Every message and fix names the prefix the file uses, never
        // vault-k8s's.
        let prefix = if std::fs::read_to_string(&bao)
            .unwrap()
            .contains("openbao.openbao.org/")
        {
            "openbao.openbao.org/"
        } else {
            "openbao.org/"
        };
        for f in bao_v["findings"].as_array().unwrap() {
            let text = format!("{} {} {}", f["message"], f["fix"], f["evidence"]);
            assert!(!text.contains("vault.hashicorp.com/"), "{bao}: {f}");
            if vault_v["findings"].as_array().unwrap().iter().any(|g| {
                g["code"] == f["code"]
                    && format!("{} {}", g["message"], g["fix"]).contains("vault.hashicorp.com/")
            }) {
                assert!(text.contains(prefix), "{bao}: {f}");
            }
        }
        compared += 1;
    }
    assert_eq!(compared, 4);

    let typo = format!("{BAO_BROKEN}/typo.yaml");
    let v = vaultscope(&["preflight", "-f", &typo, "-o", "json"], None, &[]).json();
    assert_eq!(
        found(&v)[..2],
        [
            finding(
                "injection.no_role",
                &typo,
                line_of(&typo, "openbao.org/agent-inject:"),
                "error"
            ),
            finding(
                "injection.bad_annotation",
                &typo,
                line_of(&typo, "openbao.org/rol:"),
                "warning"
            ),
        ]
    );
    let no_role = &v["findings"][0];
    assert!(
        no_role["message"]
            .as_str()
            .unwrap()
            .contains("no OpenBao role is set"),
        "{no_role}"
    );
    assert!(
        no_role["fix"]
            .as_str()
            .unwrap()
            .contains("Add openbao.org/role with the kubernetes auth role"),
        "{no_role}"
    );
    assert!(
        v["findings"][1]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean openbao.org/role?"),
        "{}",
        v["findings"][1]
    );
    let wrong = format!("{BAO_BROKEN}/wrong-metadata.yaml");
    let v = vaultscope(&["preflight", "-f", &wrong, "-o", "json"], None, &[]).json();
    let f = &v["findings"][0];
    assert_eq!(f["code"], "preflight.annotations_on_controller");
    assert_eq!(
        f["line"],
        line_of(&wrong, "openbao.openbao.org/agent-inject:")
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("openbao.openbao.org/agent-inject, openbao.openbao.org/role,"),
        "{f}"
    );
}

/// `helm template` prints one stream: `---` and a `# Source:` comment
/// before each file's documents.
fn helm_stream(files: &[&str]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!(
            "---\n# Source: shop/templates/{}\n",
            Path::new(f).file_name().unwrap().to_string_lossy()
        ));
        out.push_str(&std::fs::read_to_string(f).unwrap());
    }
    out
}

#[test]
fn a_helm_template_stream_on_stdin_is_read_document_by_document() {
    let typo = format!("{BROKEN}/typo.yaml");
    let wrong = format!("{BROKEN}/wrong-metadata.yaml");
    let stream = helm_stream(&[
        &format!("{GOOD}/serviceaccounts.yaml"),
        &format!("{GOOD}/catalog-csi.yaml"),
        &typo,
        &wrong,
    ]);
    let r = vaultscope(&["preflight", "-f", "-", "-o", "json"], Some(&stream), &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["files"], serde_json::json!(["<stdin>"]));
    assert_eq!(v["documents"], 7);
    // Lines count from the top of the stream, as the user's pipe sent it.
    let rol = line_in(&stream, "vault.hashicorp.com/rol:");
    let wrong_at = stream.find("The annotations on the Deployment").unwrap();
    let moved = stream[..wrong_at].lines().count()
        + line_in(&stream[wrong_at..], "vault.hashicorp.com/agent-inject:")
        - 1;
    let got = found(&v);
    assert!(
        got.contains(&finding(
            "injection.bad_annotation",
            "<stdin>",
            rol,
            "warning"
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&finding(
            "preflight.annotations_on_controller",
            "<stdin>",
            moved,
            "error"
        )),
        "{got:?}"
    );
    // Files and stdin together: each finding names its own input.
    let r = vaultscope(
        &[
            "preflight",
            "-f",
            &format!("{GOOD}/catalog-agent.yaml"),
            "-f",
            "-",
            "-o",
            "json",
        ],
        Some(&std::fs::read_to_string(&typo).unwrap()),
        &[],
    );
    let got = found(&r.json());
    assert!(got.iter().all(|f| f.1 == "<stdin>"), "{got:?}");
    assert!(!got.is_empty());
}

#[test]
fn table_and_github_forms_name_file_line_and_fix() {
    let typo = format!("{BROKEN}/typo.yaml");
    let line = line_of(&typo, "vault.hashicorp.com/rol:");
    let r = vaultscope(&["preflight", "-f", &typo], None, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(&format!(
            "{typo}:{line}  warning  injection.bad_annotation  Deployment shop/catalog"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("fix: Correct or remove vault.hashicorp.com/rol"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ring vault     skipped"), "{}", r.stdout);
    assert!(r.stdout.contains("1 error, 1 warning"), "{}", r.stdout);
    let r = vaultscope(&["preflight", "-f", &typo, "-o", "github"], None, &[]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "::warning file={typo},line={line},title=injection.bad_annotation (Deployment shop/catalog)::"
        ))),
        "{}",
        r.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("::error file=")),
        "{}",
        r.stdout
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("::notice title=vaultscope preflight::")
    );
    // Each finding is one command line: its own newlines are escaped.
    assert_eq!(lines.len(), 3, "{}", r.stdout);
}

#[test]
fn text_from_manifests_cannot_drive_the_terminal_or_the_runner() {
    let hostile = "kind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    vault.hashicorp.com/agent-inject: \"true\"\n    vault.hashicorp.com/role: r\n    \"vault.hashicorp.com/x\\e]0;pwned\\a\": \"v\\n::add-mask::x\\e[2J\"\n";
    let r = vaultscope(&["preflight", "-f", "-"], Some(hostile), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains('\x1b'), "{:?}", r.stdout);
    assert!(r.stdout.contains("\\x1b]0;pwned"), "{}", r.stdout);
    let r = vaultscope(
        &["preflight", "-f", "-", "-o", "github"],
        Some(hostile),
        &[],
    );
    assert!(!r.stdout.contains('\x1b'));
    assert!(
        r.stdout
            .lines()
            .all(|l| l.starts_with("::warning ") || l.starts_with("::notice ")),
        "{}",
        r.stdout
    );
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/schemas/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors_of = |log: &Value| -> Vec<String> {
        validator
            .iter_errors(log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    };
    let r = vaultscope(
        &["preflight", "-f", BROKEN, "-f", "-", "-o", "sarif"],
        Some(
            "kind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  volumes:\n  - name: v\n    csi: {driver: secrets-store.csi.k8s.io}\n",
        ),
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let log = r.json();
    let errors = errors_of(&log);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 4);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("examples/manifests/broken/") || uri == "%3Cstdin%3E",
            "{uri}"
        );
    }
    let spc = format!("{BROKEN}/missing-spc.yaml");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "csi.class_not_found")
        .unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        line_of(&spc, "secretProviderClass: catalog-secrets")
    );
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Pod shop/catalog-csi"
    );
    // The validator refuses what SARIF does not allow.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = "critical".into();
    bad["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    bad["runs"][0]["tool"]["driver"]["unknownField"] = true.into();
    let errors = errors_of(&bad);
    for at in ["/results/0/level", "/startLine", "/driver"] {
        assert!(
            errors.iter().any(|e| e.contains(at)),
            "{at} not in {errors:#?}"
        );
    }
    // No finding is still a valid log, with an empty result list.
    let ok = vaultscope(&["preflight", "-f", GOOD, "-o", "sarif"], None, &[]);
    assert_eq!(ok.code, 0);
    assert!(errors_of(&ok.json()).is_empty());
    assert_eq!(ok.json()["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn unreadable_input_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "kind: Pod\nmetadata:\n  name: [unclosed\n  namespace: x\n",
    )
    .unwrap();
    let r = vaultscope(&["preflight", "-f", bad.to_str().unwrap()], None, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{}: line ", bad.display())),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    let r = vaultscope(&["preflight", "-f", "/nonexistent/deploy.yaml"], None, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("/nonexistent/deploy.yaml"),
        "{}",
        r.stderr
    );
    let r = vaultscope(&["preflight"], None, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--filename"), "{}", r.stderr);
    let r = vaultscope(&["preflight", "-f", GOOD, "-o", "xml"], None, &[]);
    assert_eq!(r.code, 2);
    let r = vaultscope(&["preflight", "-f", "-", "-f", "-"], Some(""), &[]);
    assert_eq!(r.code, 2);
    // Empty input: nothing to check is not an error.
    let r = vaultscope(
        &["preflight", "-f", "-", "-o", "json"],
        Some("# nothing\n"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["objects"], 0);
}

#[test]
fn an_unreachable_vault_fails_the_run() {
    let r = vaultscope(
        &[
            "preflight",
            "-f",
            GOOD,
            "-o",
            "json",
            "--vault-addr",
            "http://127.0.0.1:9",
        ],
        None,
        &[("VAULT_TOKEN", "unused")],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    let got = found(&v);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "vault.unreachable");
    assert_eq!(ring(&v, "vault")["ran"], true);
}

// ------------------------------------------------------------ with OpenBao

/// The findings but the one about the auth backend's config: the tutorial's
/// Vault has no reviewer JWT, which every run against it is told (its own
/// test, `the_tutorial_manifests_pass_against_the_tutorial_vault`).
fn but_the_backend(v: &Value) -> Vec<Found> {
    found(v)
        .into_iter()
        .filter(|f| f.0 != "config.auth_backend_mismatch")
        .collect()
}

fn place() -> &'static LabPlace {
    static PLACE: OnceLock<LabPlace> = OnceLock::new();
    PLACE.get_or_init(|| LabPlace::new(LAB_DIR))
}

struct Lab {
    env: HashMap<String, String>,
}

static LAB: OnceLock<Lab> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn lab_command(arg: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bao.sh"))
        .arg(arg)
        .env("VAULTSCOPE_BAO_DIR", &place().dir)
        .env("VAULTSCOPE_BAO_PORT", place().port(BAO_PORT))
        .env("VAULTSCOPE_PG_PORT", place().port(PG_PORT));
    c
}

fn start_lab() -> Lab {
    let out = lab_command("up")
        .output()
        .expect("cannot run scripts/bao.sh");
    assert!(
        out.status.success(),
        "scripts/bao.sh up failed ({}); the Vault ring's tests need it.\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut env = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            env.insert(k.to_string(), v.trim_matches('\'').replace('\\', ""));
        }
    }
    for k in [
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "VAULTSCOPE_TOKEN",
        "VAULTSCOPE_TOKEN_ACCESSOR",
        "VAULTSCOPE_BAO_BIN",
        "VAULTSCOPE_AUDIT_LOG",
    ] {
        assert!(env.contains_key(k), "scripts/bao.sh up printed no {k}");
    }
    Lab { env }
}

/// One test's hold on the lab; the last one stops it, even after a panic.
struct Use {
    lab: &'static Lab,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Use {
    fn drop(&mut self) {
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == LAB_TESTS {
            let _ = lab_command("down").output();
        }
    }
}

fn lab() -> Use {
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    Use {
        lab: LAB.get_or_init(start_lab),
        _serial: serial,
    }
}

impl Use {
    fn var(&self, k: &str) -> &str {
        &self.lab.env[k]
    }

    /// vaultscope with this lab's address and the given token variable.
    fn preflight(&self, token: &str, args: &[&str], stdin: Option<&str>) -> Run {
        let mut a = vec!["preflight", "-o", "json"];
        a.extend(args);
        vaultscope(
            &a,
            stdin,
            &[
                ("VAULT_ADDR", self.var("VAULT_ADDR")),
                ("VAULT_TOKEN", self.var(token)),
            ],
        )
    }

    /// `bao` as root (test setup only); stdout.
    fn bao(&self, args: &[&str]) -> String {
        let out = Command::new(self.var("VAULTSCOPE_BAO_BIN"))
            .args(args)
            .env("BAO_ADDR", self.var("VAULT_ADDR"))
            .env("BAO_TOKEN", self.var("VAULT_TOKEN"))
            .env_remove("BAO_NAMESPACE")
            .env_remove("VAULT_NAMESPACE")
            .output()
            .expect("run bao");
        assert!(
            out.status.success(),
            "bao {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn lease_count(&self, prefix: &str) -> usize {
        let out = self.bao(&[
            "list",
            "-format=json",
            &format!("sys/leases/lookup/{prefix}/"),
        ]);
        serde_json::from_str::<Value>(&out)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0)
    }
}

#[test]
fn the_tutorial_manifests_pass_against_the_tutorial_vault() {
    let lab = lab();
    let r = lab.preflight("VAULT_TOKEN", &["-f", GOOD], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    // scripts/bao.sh configures auth/kubernetes as the tutorial does, for a
    // Vault outside the cluster (disable_local_ca_jwt=true) and without a
    // reviewer JWT: each login reviews itself, which only works where the
    // workloads may create TokenReviews. Told once, from Vault alone (no
    // cluster to compare host and CA with), at the first login of the mount.
    let db = format!("{GOOD}/billing-db.yaml");
    assert_eq!(
        found(&v),
        vec![finding(
            "config.auth_backend_mismatch",
            &db,
            line_of(&db, "vault.hashicorp.com/role:"),
            "warning"
        )],
        "{:#?}",
        v["findings"]
    );
    let f = &v["findings"][0];
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("auth/kubernetes: no token_reviewer_jwt and disable_local_ca_jwt=true"),
        "{f}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("system:auth-delegator")
            && f["fix"]
                .as_str()
                .unwrap()
                .contains("vault write auth/kubernetes/config kubernetes_host="),
        "{f}"
    );
    let evidence = f["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("GET auth/kubernetes/config: kubernetes_host=https://127.0.0.1:16443")
            && evidence.contains("token_reviewer_jwt_set=false")
            && !evidence.contains("BEGIN CERTIFICATE"),
        "{evidence}"
    );
    let detail = ring(&v, "vault")["detail"].as_str().unwrap().to_string();
    assert_eq!(ring(&v, "vault")["ran"], true);
    assert!(
        detail.contains(lab.var("VAULT_ADDR")) && detail.contains("unsealed"),
        "{detail}"
    );

    // With vaultscope's own minimal policy: still a pass; what it may not
    // read (engine role definitions) is named, as a warning.
    let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", GOOD], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    let pki = format!("{GOOD}/web-pki.yaml");
    assert_eq!(
        but_the_backend(&v),
        vec![
            finding(
                "vaultscope.permission_limited",
                &db,
                line_of(&db, "agent-inject-template-db-creds"),
                "warning"
            ),
            finding(
                "vaultscope.permission_limited",
                &pki,
                line_of(&pki, "agent-inject-template-tls.pem"),
                "warning"
            ),
        ]
    );
    let limited = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "vaultscope.permission_limited")
        .unwrap();
    assert!(
        limited["message"]
            .as_str()
            .unwrap()
            .contains("database/roles/billing")
    );
    assert!(
        limited["fix"]
            .as_str()
            .unwrap()
            .contains("path \"database/roles/*\"")
    );
}

#[test]
fn the_vault_ring_finds_what_the_manifests_cannot() {
    let lab = lab();
    let sa = format!("{GOOD}/serviceaccounts.yaml");
    let unbound = format!("{BROKEN}/unbound-sa.yaml");
    let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", &sa, "-f", &unbound], None);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(
        but_the_backend(&v)
            .into_iter()
            .filter(|f| f.0 != "vaultscope.permission_limited")
            .collect::<Vec<_>>(),
        vec![finding(
            "config.role_binding_mismatch",
            &unbound,
            line_of(&unbound, "serviceAccountName: billing-worker"),
            "error"
        )]
    );
    let f = &v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "config.role_binding_mismatch")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("payments/billing-worker"),
        "{f}"
    );
    assert!(
        f["evidence"]
            .as_str()
            .unwrap()
            .contains("bound_service_account_names=[billing-api]"),
        "{f}"
    );
    assert_eq!(f["object"], "Deployment payments/billing-worker");

    let policy = format!("{BROKEN}/policy-missing-path.yaml");
    let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", &sa, "-f", &policy], None);
    assert_eq!(r.code, 1);
    assert_eq!(
        but_the_backend(&r.json()),
        vec![finding(
            "config.policy_denies_path",
            &policy,
            line_of(&policy, "agent-inject-secret-payments.env"),
            "error"
        )]
    );

    // More of what only Vault knows, each at the key that causes it.
    let scenarios = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: inventory, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: inventory\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: catalog-v2, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: catalog\n        vault.hashicorp.com/agent-inject-secret-gone: secret/data/shop/gone\n        vault.hashicorp.com/agent-inject-secret-cfg: secret/shop/catalog\n    spec:\n      serviceAccountName: catalog\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ledger, namespace: payments}\nspec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: billing\n        vault.hashicorp.com/agent-inject-secret-db: database/creds/ledger\n    spec:\n      serviceAccountName: billing-api\n";
    let r = lab.preflight("VAULT_TOKEN", &["-f", "-"], Some(scenarios));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let got = but_the_backend(&r.json());
    let at = |needle: &str| line_in(scenarios, needle);
    for want in [
        finding(
            "config.role_missing",
            "<stdin>",
            at("role: inventory"),
            "error",
        ),
        finding("secret.not_found", "<stdin>", at("secret-gone"), "error"),
        finding(
            "preflight.kv_v2_path_without_data",
            "<stdin>",
            at("secret-cfg"),
            "warning",
        ),
        finding(
            "preflight.engine_role_missing",
            "<stdin>",
            at("database/creds/ledger"),
            "error",
        ),
        // Policy billing grants database/creds/billing only.
        finding(
            "config.policy_denies_path",
            "<stdin>",
            at("database/creds/ledger"),
            "error",
        ),
    ] {
        assert!(got.contains(&want), "{want:?} not in {got:#?}");
    }
    assert_eq!(got.len(), 5, "{got:#?}");
}

#[test]
fn openbao_manifests_meet_the_vault_ring_as_their_vault_twins_do() {
    let lab = lab();
    let r = lab.preflight("VAULT_TOKEN", &["-f", BAO_GOOD], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The same auth backend warning as the vault-k8s twin's, at the
    // openbao.org/role of the first file.
    let db = format!("{BAO_GOOD}/billing-db.yaml");
    assert_eq!(
        found(&r.json()),
        vec![finding(
            "config.auth_backend_mismatch",
            &db,
            line_of(&db, "openbao.org/role:"),
            "warning"
        )],
        "{}",
        r.stdout
    );
    let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", BAO_GOOD], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let pki = format!("{BAO_GOOD}/web-pki.yaml");
    assert_eq!(
        but_the_backend(&r.json()),
        vec![
            finding(
                "vaultscope.permission_limited",
                &db,
                line_of(&db, "openbao.org/agent-inject-template-db-creds"),
                "warning"
            ),
            finding(
                "vaultscope.permission_limited",
                &pki,
                line_of(&pki, "openbao.openbao.org/agent-inject-template-tls.pem"),
                "warning"
            ),
        ]
    );

    // The role and policy mistakes, each at the key that causes it, with
    // the messages of the vault-k8s twin under the file's own prefix.
    let sa = format!("{BAO_GOOD}/serviceaccounts.yaml");
    for (name, code, needle, prefix) in [
        (
            "unbound-sa.yaml",
            "config.role_binding_mismatch",
            "serviceAccountName: billing-worker",
            "openbao.org/",
        ),
        (
            "policy-missing-path.yaml",
            "config.policy_denies_path",
            "agent-inject-secret-payments.env",
            "openbao.openbao.org/",
        ),
    ] {
        let bao = format!("{BAO_BROKEN}/{name}");
        let vault = format!("{BROKEN}/{name}");
        let run = |file: &str| {
            let r = lab.preflight("VAULT_TOKEN", &["-f", &sa, "-f", file], None);
            assert_eq!(r.code, 1, "{file}: {}\n{}", r.stdout, r.stderr);
            r.json()
        };
        let v = run(&bao);
        assert_eq!(
            but_the_backend(&v),
            vec![finding(code, &bao, line_of(&bao, needle), "error")],
            "{bao}"
        );
        let twin = run(&vault);
        let of = |v: &Value| {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == code)
                .unwrap()
                .clone()
        };
        let (f, g) = (&of(&v), &of(&twin));
        for field in ["message", "fix", "evidence"] {
            let bao_text = f[field].as_str().unwrap_or_default();
            let vault_text = g[field].as_str().unwrap_or_default();
            assert!(!bao_text.contains("vault.hashicorp.com/"), "{f}");
            assert_eq!(
                bao_text
                    .replace(prefix, "vault.hashicorp.com/")
                    .replace("OpenBao", "Vault"),
                vault_text,
                "{field} of {bao}"
            );
        }
    }
}

#[test]
fn audiences_are_checked_for_csi_logins() {
    let lab = lab();
    lab.bao(&[
        "write",
        "auth/kubernetes/role/catalog-aud",
        "bound_service_account_names=catalog",
        "bound_service_account_namespaces=shop",
        "token_policies=catalog",
        "audience=vault",
    ]);
    let class = |name: &str, audience: &str| {
        format!(
            "---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  provider: vault\n  parameters:\n    roleName: catalog-aud\n{audience}    objects: |\n      - objectName: api-key\n        secretPath: secret/data/shop/catalog\n        secretKey: api_key\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  serviceAccountName: catalog\n  volumes:\n  - name: s\n    csi:\n      driver: secrets-store.csi.k8s.io\n      volumeAttributes: {{secretProviderClass: {name}}}\n"
        )
    };
    let text = class("right", "    audience: vault\n")
        + &class("wrong", "    audience: api\n")
        + &class("unset", "");
    let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", "-"], Some(&text));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    let got = but_the_backend(&v);
    let wrong_at = text.find("name: wrong").unwrap();
    let unset_at = text.find("name: unset").unwrap();
    let line = |from: usize| {
        text[..from].lines().count() + line_in(&text[from..], "roleName: catalog-aud") - 1
    };
    assert_eq!(
        got,
        vec![
            finding("auth.audience_mismatch", "<stdin>", line(wrong_at), "error"),
            finding(
                "preflight.audience_unverified",
                "<stdin>",
                line(unset_at),
                "warning"
            ),
        ]
    );
    let mismatch = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "auth.audience_mismatch")
        .unwrap();
    assert_eq!(mismatch["object"], "SecretProviderClass shop/wrong");
}

#[test]
fn preflight_reads_no_secret_and_creates_no_lease() {
    let lab = lab();
    let prefixes = ["database/creds/billing", "database/creds/reporting"];
    let before: Vec<usize> = prefixes.iter().map(|p| lab.lease_count(p)).collect();
    let accessor = lab.var("VAULTSCOPE_TOKEN_ACCESSOR");
    let log_path = lab.var("VAULTSCOPE_AUDIT_LOG");
    let seen_before = std::fs::read_to_string(log_path).unwrap().lines().count();
    for dir in [GOOD, BROKEN] {
        let r = lab.preflight("VAULTSCOPE_TOKEN", &["-f", dir], None);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    }
    let after: Vec<usize> = prefixes.iter().map(|p| lab.lease_count(p)).collect();
    assert_eq!(before, after, "lease counts changed");
    let log = std::fs::read_to_string(log_path).unwrap();
    let mut ours = Vec::new();
    for line in log.lines().skip(seen_before) {
        let Ok(e) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if e["auth"]["accessor"].as_str() != Some(accessor) {
            continue;
        }
        let path = e["request"]["path"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let op = e["request"]["operation"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for forbidden in [
            "secret/data/",
            "database/creds/",
            "pki/issue/",
            "pki/sign/",
            "sys/raw",
            "sys/leases",
        ] {
            assert!(!path.starts_with(forbidden), "preflight requested {path}");
        }
        assert_eq!(op, "read", "preflight sent {op} {path}");
        if e["type"] == "response" {
            assert!(
                e["response"]["secret"]["lease_id"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty(),
                "{path}"
            );
            assert!(e["response"]["auth"].is_null(), "{path}");
        }
        ours.push(path);
    }
    // What it read: mounts, roles, policies, KV metadata and engine roles.
    for p in [
        "sys/mounts",
        "auth/kubernetes/role/catalog",
        "sys/policies/acl/catalog",
        "auth/kubernetes/config",
        "secret/metadata/shop/catalog",
        "database/roles/billing",
    ] {
        assert!(ours.iter().any(|x| x == p), "{p} not read: {ours:?}");
    }
}
