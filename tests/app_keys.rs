//! Key handling and state transitions, without a terminal.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vaultscope::app::state::{LogChoice, Sort};
use vaultscope::app::{App, SourceKind};
use vaultscope::sources::demo;
use vaultscope::theme::Theme;

fn app() -> App {
    let base: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
    let now = base + Duration::seconds(30);
    let mut app = App::new(SourceKind::Demo, Theme::builtin("default").unwrap(), now);
    for o in demo::snapshot(base, Duration::seconds(30)) {
        app.apply(o);
    }
    app.refresh(now);
    app
}

fn press(app: &mut App, code: KeyCode) -> bool {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn selected(app: &App) -> String {
    let v = app.visible();
    v[app.selected_index(&v)].key.name.clone()
}

#[test]
fn moving_and_opening() {
    let mut a = app();
    let first = selected(&a);
    assert!(press(&mut a, KeyCode::Down));
    assert_ne!(selected(&a), first);
    press(&mut a, KeyCode::Char('k'));
    assert_eq!(selected(&a), first);
    press(&mut a, KeyCode::Up);
    assert_eq!(selected(&a), first, "the selection stops at the top");
    press(&mut a, KeyCode::End);
    let last = selected(&a);
    press(&mut a, KeyCode::Down);
    assert_eq!(selected(&a), last, "and at the bottom");
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.open.as_ref().unwrap().name, last);
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.open.is_none());
    assert_eq!(selected(&a), last, "going back keeps the selection");
}

#[test]
fn selection_follows_the_workload_when_the_order_changes() {
    let mut a = app();
    press(&mut a, KeyCode::Down);
    press(&mut a, KeyCode::Down);
    let name = selected(&a);
    press(&mut a, KeyCode::Char('s'));
    assert_eq!(a.ui.sort, Sort::Expiry);
    assert_eq!(selected(&a), name);
    press(&mut a, KeyCode::Char('s'));
    assert_eq!(a.ui.sort, Sort::Name);
    let names: Vec<String> = a.visible().iter().map(|w| w.key.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    press(&mut a, KeyCode::Char('s'));
    assert_eq!(a.ui.sort, Sort::Severity);
}

#[test]
fn soonest_expiry_sort_puts_countdowns_first() {
    let mut a = app();
    press(&mut a, KeyCode::Char('s'));
    let v = a.visible();
    let expiries: Vec<_> = v.iter().map(|w| w.soonest_expiry()).collect();
    let with: Vec<_> = expiries.iter().take_while(|e| e.is_some()).collect();
    assert!(!with.is_empty());
    assert!(with.windows(2).all(|w| w[0] <= w[1]));
    assert!(expiries[with.len()..].iter().all(|e| e.is_none()));
}

#[test]
fn filtering() {
    let mut a = app();
    press(&mut a, KeyCode::Char('/'));
    assert!(a.ui.editing_filter);
    for c in "csi".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    assert!(a.visible().iter().all(|w| w.method.csi));
    // q types into the filter rather than quitting.
    press(&mut a, KeyCode::Char('q'));
    assert!(!a.ui.quit);
    press(&mut a, KeyCode::Backspace);
    press(&mut a, KeyCode::Enter);
    assert!(!a.ui.editing_filter);
    assert_eq!(a.ui.filter, "csi");
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.filter.is_empty(), "Esc in the list clears the filter");
    press(&mut a, KeyCode::Char('/'));
    press(&mut a, KeyCode::Char('x'));
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.filter.is_empty() && !a.ui.editing_filter);
    // Filtering by a finding code works too.
    a.ui.filter = "auth.service_account".into();
    let names: Vec<String> = a.visible().iter().map(|w| w.key.name.clone()).collect();
    assert_eq!(names, ["ledger", "cart"]);
}

#[test]
fn namespaces_cycle() {
    let mut a = app();
    let all = a.visible().len();
    press(&mut a, KeyCode::Char('n'));
    assert_eq!(a.ui.namespace.as_deref(), Some("payments"));
    assert!(a.visible().iter().all(|w| w.key.namespace == "payments"));
    press(&mut a, KeyCode::Char('n'));
    assert_eq!(a.ui.namespace.as_deref(), Some("platform"));
    press(&mut a, KeyCode::Char('n'));
    assert_eq!(a.ui.namespace.as_deref(), Some("shop"));
    press(&mut a, KeyCode::Char('n'));
    assert_eq!(a.ui.namespace, None);
    assert_eq!(a.visible().len(), all);
}

#[test]
fn pane_pods_and_logs() {
    let mut a = app();
    a.ui.filter = "billing".into();
    press(&mut a, KeyCode::Enter);
    assert_eq!(
        a.ui.log,
        LogChoice::Sidecar,
        "a running agent shows the sidecar log"
    );
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.ui.pod_index, 1);
    press(&mut a, KeyCode::BackTab);
    press(&mut a, KeyCode::BackTab);
    assert_eq!(a.ui.pod_index, 2, "pods wrap around");
    press(&mut a, KeyCode::Char('c'));
    assert_eq!(a.ui.log, LogChoice::SidecarPrevious);
    press(&mut a, KeyCode::Char('c'));
    assert_eq!(a.ui.log, LogChoice::Init);
    press(&mut a, KeyCode::PageUp);
    assert!(a.ui.log_paused);
    assert_eq!(a.ui.log_offset, 10);
    press(&mut a, KeyCode::Char('f'));
    assert!(!a.ui.log_paused);
    assert_eq!(a.ui.log_offset, 0);
    press(&mut a, KeyCode::Char('f'));
    assert!(a.ui.log_paused);
    // A stuck init container's log is shown first.
    press(&mut a, KeyCode::Esc);
    a.ui.filter = "ledger".into();
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.log, LogChoice::Init);
}

#[test]
fn help_and_quit() {
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    assert!(a.ui.help);
    press(&mut a, KeyCode::Char('j'));
    assert!(!a.ui.help, "any key closes help");
    assert!(!a.ui.quit);
    press(&mut a, KeyCode::Char('q'));
    assert!(a.ui.quit);
    let mut a = app();
    a.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(a.ui.quit);
    let mut a = app();
    assert!(!press(&mut a, KeyCode::F(5)), "unbound keys change nothing");
}

#[test]
fn the_view_follows_new_observations() {
    let mut a = app();
    let before = a.report.workloads.len();
    a.apply(vaultscope::model::Observation::PodDeleted {
        namespace: "shop".into(),
        name: "legacy-web-9b8c7d6f5-z1a2b".into(),
    });
    a.refresh(a.now + Duration::seconds(1));
    assert_eq!(a.report.workloads.len(), before - 1);
}

/// Live mode: the open pane's pod is what the log source follows, and the
/// Vault interest is published when pods change.
#[test]
fn open_pane_names_the_logs_to_follow() {
    let mut a = app();
    let mut inbox = vaultscope::sources::Inbox::default();
    let rx = inbox.follow_logs();
    let irx = inbox.vault_interest(Default::default());
    a.listening = inbox.listens();
    // The event loop's part: hand the app's requests to the sources.
    let refresh = |a: &mut vaultscope::app::App, now| {
        a.refresh(now);
        for r in a.take_requests() {
            inbox.send(r);
        }
    };
    let now = a.now;
    refresh(&mut a, now);
    assert!(rx.borrow().is_empty(), "nothing open, nothing followed");
    assert!(
        !irx.borrow().is_empty(),
        "the demo's pods give Vault something to look up"
    );
    // Open the first workload with agent containers.
    while a
        .visible()
        .get(a.selected_index(&a.visible()))
        .is_some_and(|w| !w.method.agent)
    {
        press(&mut a, KeyCode::Down);
    }
    press(&mut a, KeyCode::Enter);
    refresh(&mut a, now);
    let targets = rx.borrow().clone();
    let w = a.open_workload().unwrap();
    assert!(!targets.is_empty());
    assert!(
        targets
            .iter()
            .all(|t| t.key.pod == w.pods[0].name && t.key.container.starts_with("vault-agent"))
    );
    press(&mut a, KeyCode::Esc);
    refresh(&mut a, now);
    assert!(rx.borrow().is_empty(), "closed pane, streams stop");
}

#[test]
fn a_single_watched_namespace_is_not_cycled_away() {
    let mut a = app();
    a.ui.namespace = Some("shop".into());
    a.ui.fixed_namespace = Some("shop".into());
    press(&mut a, KeyCode::Char('n'));
    assert_eq!(a.ui.namespace.as_deref(), Some("shop"));
    assert!(a.visible().iter().all(|w| w.key.namespace == "shop"));
}
