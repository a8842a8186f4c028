//! Rendering snapshots of the dashboard, drawn to ratatui's TestBackend from
//! the demo scenario at fixed times, so every countdown is deterministic.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use vaultscope::app::{App, SourceKind};
use vaultscope::sources::demo;
use vaultscope::theme::{BUILTIN, Theme};

fn base() -> DateTime<Utc> {
    "2026-11-28T10:00:00Z".parse().unwrap()
}

fn app_at(secs: i64, theme: &str) -> App {
    let now = base() + Duration::seconds(secs);
    let mut app = App::new(SourceKind::Demo, Theme::builtin(theme).unwrap(), now);
    for o in demo::snapshot(base(), Duration::seconds(secs)) {
        app.apply(o);
    }
    app.refresh(now);
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| vaultscope::dashboard::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Each distinct style as a letter, in order of first appearance, with a
/// legend: a compact golden of the colours a theme puts on screen.
fn style_map(buf: &Buffer) -> String {
    let mut styles: Vec<Style> = Vec::new();
    let mut grid = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let st = buf[(x, y)].style();
            let i = styles.iter().position(|s| *s == st).unwrap_or_else(|| {
                styles.push(st);
                styles.len() - 1
            });
            grid.push(char::from_digit(i as u32, 36).unwrap_or('#'));
        }
        grid.push('\n');
    }
    let legend: String = styles
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{} = fg {:?} bg {:?} +{:?}\n",
                char::from_digit(i as u32, 36).unwrap_or('#'),
                s.fg,
                s.bg,
                s.add_modifier
            )
        })
        .collect();
    format!("{legend}\n{grid}")
}

#[test]
fn workload_list() {
    let mut app = app_at(30, "default");
    insta::assert_snapshot!("list", text(&render(&mut app, 140, 24)));
}

#[test]
fn workload_list_narrow_terminal_does_not_panic() {
    let mut app = app_at(30, "default");
    for (w, h) in [(20, 5), (60, 10), (1, 1), (200, 3)] {
        render(&mut app, w, h);
    }
    key(&mut app, KeyCode::Enter);
    for (w, h) in [(20, 5), (60, 10), (1, 1)] {
        render(&mut app, w, h);
    }
    key(&mut app, KeyCode::Char('?'));
    render(&mut app, 10, 4);
}

#[test]
fn failing_workload_pane_with_log_tail() {
    let mut app = app_at(30, "default");
    // Open the first workload whose name is ledger.
    app.ui.filter = "ledger".into();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.ui.open.as_ref().unwrap().name, "ledger");
    let screen = text(&render(&mut app, 140, 44));
    assert!(
        screen.contains("auth.service_account_not_authorized"),
        "{screen}"
    );
    assert!(
        screen.contains("auth.service_account_not_authorized ▸ 2026"),
        "log lines are linked to the finding:\n{screen}"
    );
    insta::assert_snapshot!("pane_ledger", screen);
}

#[test]
fn healthy_pane_with_lease_countdowns() {
    let mut app = app_at(30, "default");
    app.ui.filter = "billing".into();
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 140, 44));
    assert!(screen.contains("database/creds/billing/"), "{screen}");
    insta::assert_snapshot!("pane_billing", screen);
}

/// A workload injected by OpenBao's injector (openbao-k8s): the pane says
/// which injector, shows its containers, and the log tail is its agent's.
#[test]
fn openbao_pane_names_its_injector() {
    let mut app = app_at(30, "default");
    app.ui.filter = "feature-flags".into();
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 140, 40));
    assert!(
        screen.contains("platform / Deployment feature-flags · agent (openbao-k8s)"),
        "{screen}"
    );
    assert!(
        screen.contains("openbao-agent-init Completed (exit 0)"),
        "{screen}"
    );
    assert!(
        screen.contains("openbao-agent      running for"),
        "{screen}"
    );
    assert!(
        screen.contains("Log feature-flags-5c7b9d8f6-r2d4k / openbao-agent"),
        "{screen}"
    );
    assert!(
        screen.contains("token written: path=/home/openbao/.openbao-token"),
        "{screen}"
    );
    assert!(!screen.contains("vault-agent"), "{screen}");
    // `c` switches to the previous sidecar's log, then the init
    // container's, by OpenBao's names.
    key(&mut app, KeyCode::Char('c'));
    let screen = text(&render(&mut app, 140, 40));
    assert!(
        screen.contains("no previous openbao-agent log (the container has not restarted)"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('c'));
    let screen = text(&render(&mut app, 140, 40));
    assert!(screen.contains("/ openbao-agent-init"), "{screen}");
    assert!(screen.contains("sinks finished, exiting"), "{screen}");
    key(&mut app, KeyCode::Char('c'));
    insta::assert_snapshot!("pane_feature_flags", text(&render(&mut app, 140, 40)));
}

#[test]
fn csi_pane_shows_events() {
    let mut app = app_at(30, "default");
    app.ui.filter = "cart".into();
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 140, 40));
    assert!(screen.contains("FailedMount"), "{screen}");
    insta::assert_snapshot!("pane_cart", screen);
}

#[test]
fn help_overlay() {
    let mut app = app_at(30, "default");
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help", text(&render(&mut app, 100, 36)));
}

#[test]
fn sealed_vault_shows_in_the_header() {
    let mut app = app_at(demo::SEALED_FROM + 5, "default");
    let screen = text(&render(&mut app, 140, 10));
    assert!(screen.contains("sealed"), "{screen}");
    assert!(
        app.report
            .global
            .iter()
            .any(|f| f.code.as_str() == "vault.sealed")
    );
    let mut app = app_at(demo::SEALED_UNTIL + 5, "default");
    assert!(app.report.global.is_empty());
    let screen = text(&render(&mut app, 140, 10));
    assert!(screen.contains("unsealed, active"), "{screen}");
}

#[test]
fn a_token_over_plain_http_shows_in_the_header() {
    let mut app = app_at(0, "default");
    let screen = text(&render(&mut app, 200, 10));
    assert!(!screen.contains("plain http"), "{screen}");
    app.ui.token_over_http = true;
    let screen = text(&render(&mut app, 200, 10));
    let header = screen.lines().next().unwrap();
    assert!(header.contains("⚠ token over plain http"), "{screen}");
}

#[test]
fn every_theme_renders() {
    for (name, _) in BUILTIN {
        let mut app = app_at(30, name);
        let buf = render(&mut app, 100, 16);
        insta::assert_snapshot!(format!("theme_{name}"), style_map(&buf));
    }
}

#[test]
fn filter_prompt() {
    let mut app = app_at(30, "default");
    key(&mut app, KeyCode::Char('/'));
    for c in "shop".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let screen = text(&render(&mut app, 140, 20));
    assert!(screen.contains("filter: shop"), "{screen}");
    assert!(!screen.contains("payments "), "{screen}");
}

/// Live mode: a lost API server and forbidden resources are in the header.
#[test]
fn live_header_shows_unreachable_and_no_access() {
    use vaultscope::model::Observation;
    use vaultscope::model::world::AccessDenied;
    let now = base();
    let mut app = App::new(
        SourceKind::Live {
            context: "prod-eu".into(),
        },
        Theme::builtin("default").unwrap(),
        now,
    );
    for o in demo::snapshot(base(), Duration::seconds(0)) {
        app.apply(o);
    }
    app.apply(Observation::ApiServer {
        reachable: false,
        since: now - Duration::seconds(75),
    });
    for resource in [
        "jobs.batch",
        "secretproviderclasses.secrets-store.csi.x-k8s.io",
    ] {
        app.apply(Observation::AccessDenied(AccessDenied {
            resource: resource.into(),
            namespace: Some("payments".into()),
            verb: "watch".into(),
        }));
    }
    app.refresh(now);
    let t = text(&render(&mut app, 200, 20));
    assert!(t.contains(" prod-eu "), "{t}");
    assert!(
        t.contains("API server unreachable · data stale 1m 15s"),
        "{t}"
    );
    assert!(
        t.contains("no access to jobs in payments (needs: watch jobs.batch) (+1 more)"),
        "{t}"
    );
    // Back: the warning goes, the rows stay.
    app.apply(Observation::ApiServer {
        reachable: true,
        since: now,
    });
    app.refresh(now);
    let t = text(&render(&mut app, 200, 20));
    assert!(!t.contains("unreachable"), "{t}");
    assert!(t.contains("payments"), "{t}");
}

/// A log line is text the agent (and whoever feeds it input) controls: it
/// must not retitle the terminal, reorder what is shown, start a CSI, or
/// put a token on screen.
#[test]
fn log_line_controls_and_tokens_are_made_safe() {
    use vaultscope::model::Observation;
    use vaultscope::model::logs::LogKey;
    let mut app = app_at(30, "default");
    let token = format!("hvs.{}", "A1b2C3d4E5".repeat(3));
    app.apply(Observation::LogLines {
        key: LogKey {
            namespace: "payments".into(),
            pod: "ledger-6d5c8b7f4-q7r2s".into(),
            container: "vault-agent-init".into(),
            previous: false,
        },
        lines: vec![format!(
            "2026-11-28T10:00:31.000Z [INFO]  agent: \x1b]0;x\x07 title \u{202e}gnp.exe \u{9b}31m red {token} end"
        )],
    });
    app.refresh(base() + Duration::seconds(31));
    app.ui.filter = "ledger".into();
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 140, 44));
    let bad: Vec<char> = screen
        .chars()
        .filter(|c| vaultscope::safe::is_unsafe(*c) && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "unsafe characters {bad:?} in\n{screen}");
    assert!(
        !screen.contains(&token[4..]),
        "the token is shown:\n{screen}"
    );
    assert!(
        screen
            .contains(r"agent: \x1b]0;x\x07 title \u{202e}gnp.exe \x9b31m red hvs.<redacted> end"),
        "controls are shown as escapes:\n{screen}"
    );
}

/// The events a CSI pod shows come from controllers and anyone who may
/// create events.
#[test]
fn csi_events_and_titles_are_made_safe() {
    use vaultscope::model::Observation;
    use vaultscope::model::objects::{EventInfo, InvolvedObject};
    let mut app = app_at(30, "default");
    let pod = "cart-7f6c5d9b8-p2q4r";
    app.apply(Observation::EventApplied(Box::new(EventInfo {
        namespace: "shop".into(),
        name: "evil".into(),
        involved: InvolvedObject {
            kind: "Pod".into(),
            namespace: "shop".into(),
            name: pod.into(),
            uid: None,
        },
        kind: "Warning".into(),
        reason: "Evil\x1b[2J".into(),
        message: "mount failed \u{202e}txt.sh password=hunter2 \u{9b}0m".into(),
        count: 1,
        first_seen: None,
        last_seen: Some(base() + Duration::seconds(29)),
    })));
    app.refresh(base() + Duration::seconds(31));
    app.ui.filter = "cart".into();
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 140, 40));
    let bad: Vec<char> = screen
        .chars()
        .filter(|c| vaultscope::safe::is_unsafe(*c) && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "unsafe characters {bad:?} in\n{screen}");
    assert!(!screen.contains("hunter2"), "{screen}");
    assert!(
        screen.contains(r"Evil\x1b[2J ×1 mount failed \u{202e}txt.sh password=<redacted> \x9b0m"),
        "{screen}"
    );
}
