//! Key handling and state transitions, without a terminal.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vaultscope::app::state::{LogChoice, Part, Sort};
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
    assert_eq!(a.ui.sort, Sort::Namespace);
    press(&mut a, KeyCode::Char('s'));
    assert_eq!(a.ui.sort, Sort::Severity);
    press(&mut a, KeyCode::Char('S'));
    assert_eq!(a.ui.sort, Sort::Namespace, "S goes the other way");
    assert_eq!(selected(&a), name);
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
        a.ui.pane.log.choice,
        LogChoice::Sidecar,
        "a running agent shows the sidecar log"
    );
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.ui.pod_index, 1);
    press(&mut a, KeyCode::Char('P'));
    press(&mut a, KeyCode::Char('P'));
    assert_eq!(a.ui.pod_index, 2, "pods wrap around");
    // billing-api's agents never restarted: `c` goes between the two logs
    // they have, never to an empty previous one (issue 11, 15).
    assert_eq!(a.log_choices(), [LogChoice::Init, LogChoice::Sidecar]);
    press(&mut a, KeyCode::Char('c'));
    assert_eq!(a.ui.pane.log.choice, LogChoice::Init);
    press(&mut a, KeyCode::Char('c'));
    assert_eq!(a.ui.pane.log.choice, LogChoice::Sidecar);
    press(&mut a, KeyCode::Char('f'));
    assert!(a.ui.pane.log.paused());
    press(&mut a, KeyCode::Char('f'));
    assert!(!a.ui.pane.log.paused());
    // A stuck init container's log is shown first.
    press(&mut a, KeyCode::Esc);
    a.ui.filter = "ledger".into();
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.pane.log.choice, LogChoice::Init);
}

/// Issue 11, defect 11: q and Esc go back from a sub-view; q quits only
/// from the list.
#[test]
fn q_and_esc_go_back_from_sub_views() {
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    assert!(a.ui.help());
    press(&mut a, KeyCode::Char('j'));
    assert!(a.ui.help(), "keys scroll the help rather than close it");
    press(&mut a, KeyCode::Char('?'));
    assert!(!a.ui.help(), "? hides the help");
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Char('q'));
    assert!(!a.ui.help() && !a.ui.quit, "q closes the help");
    press(&mut a, KeyCode::Enter);
    assert!(a.ui.open.is_some());
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Esc);
    assert!(
        !a.ui.help() && a.ui.open.is_some(),
        "Esc closes the help, back to the pane"
    );
    press(&mut a, KeyCode::Char('q'));
    assert!(a.ui.open.is_none() && !a.ui.quit, "q leaves the pane");
    press(&mut a, KeyCode::Char('q'));
    assert!(a.ui.quit, "q quits from the list");
    let mut a = app();
    press(&mut a, KeyCode::Enter);
    a.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(a.ui.quit, "Ctrl-C quits from anywhere");
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

/// Issue 11, defect 4: keys act on the focused part. In the log, j/k move
/// one line and keep the pod; g/G go to the oldest line and back to
/// following; PgUp moves a page.
#[test]
fn the_focused_log_moves_line_by_line() {
    let mut a = app();
    a.ui.filter = "ledger".into();
    press(&mut a, KeyCode::Enter);
    a.ui.geometry.log_rows = 6;
    while a.ui.pane.focus != Part::Log {
        press(&mut a, KeyCode::Tab);
    }
    let total = a.shown_log().unwrap().len();
    let pod = a.ui.pod_index;
    let end = |a: &App| a.ui.pane.log.window(a.shown_log().unwrap(), 6).1;
    assert_eq!(end(&a), total);
    press(&mut a, KeyCode::Char('k'));
    assert_eq!(end(&a), total - 1, "one line up");
    press(&mut a, KeyCode::Up);
    assert_eq!(end(&a), total - 2);
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(end(&a), total - 1, "one line down");
    assert_eq!(a.ui.pod_index, pod, "moving in the log keeps the pod");
    press(&mut a, KeyCode::PageUp);
    assert_eq!(end(&a), total - 1 - 5, "a page is the rows shown, less one");
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(end(&a), 6, "g: the oldest lines");
    press(&mut a, KeyCode::Home);
    assert_eq!(end(&a), 6);
    press(&mut a, KeyCode::Char('G'));
    assert!(!a.ui.pane.log.paused(), "G follows again");
    assert_eq!(end(&a), total);
    press(&mut a, KeyCode::Home);
    press(&mut a, KeyCode::End);
    assert!(!a.ui.pane.log.paused(), "End follows again");
}

/// Issue 11, defect 1: Tab moves the focus through the pane's parts and
/// back; parts with nothing in them are skipped.
#[test]
fn tab_moves_focus_through_the_parts() {
    let mut a = app();
    a.ui.filter = "billing".into();
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.pane.focus, Part::Findings, "findings first");
    let mut seen = vec![a.ui.pane.focus];
    for _ in 0..5 {
        press(&mut a, KeyCode::Tab);
        seen.push(a.ui.pane.focus);
    }
    assert_eq!(
        seen,
        [
            Part::Findings,
            Part::Pods,
            Part::Secrets,
            Part::Expiries,
            Part::Rotations,
            Part::Log
        ]
    );
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.ui.pane.focus, Part::Findings, "and round");
    press(&mut a, KeyCode::BackTab);
    assert_eq!(a.ui.pane.focus, Part::Log);
    // cart (CSI) has no leases: Tab skips that part.
    press(&mut a, KeyCode::Esc);
    a.ui.filter = "cart".into();
    press(&mut a, KeyCode::Enter);
    assert!(!a.parts().contains(&Part::Expiries));
    // Its CSI mount is joined with Vault's side too (issue 13): it has a
    // timeline, though its pod never mounted.
    assert!(a.parts().contains(&Part::Rotations));
}

/// Issue 11, defect 3: a paused log stays still while lines arrive.
#[test]
fn a_paused_log_does_not_move_when_lines_arrive() {
    use vaultscope::model::Observation;
    use vaultscope::model::logs::LogKey;
    let mut a = app();
    a.ui.filter = "ledger".into();
    press(&mut a, KeyCode::Enter);
    press(&mut a, KeyCode::BackTab);
    assert_eq!(a.ui.pane.focus, Part::Log);
    press(&mut a, KeyCode::PageUp);
    let before = a.ui.pane.log.window(a.shown_log().unwrap(), 10);
    a.apply(Observation::LogLines {
        key: LogKey {
            namespace: "payments".into(),
            pod: "ledger-6d5c8b7f4-q7r2s".into(),
            container: "vault-agent-init".into(),
            previous: false,
        },
        lines: (0..5).map(|i| format!("new line {i}")).collect(),
    });
    a.refresh(a.now);
    let after = a.ui.pane.log.window(a.shown_log().unwrap(), 10);
    assert_eq!(before, after, "the lines under the reader stay");
    assert!(a.ui.pane.log.below(a.shown_log()) >= 5);
    press(&mut a, KeyCode::Char('f'));
    let total = a.shown_log().unwrap().len();
    assert_eq!(a.ui.pane.log.window(a.shown_log().unwrap(), 10).1, total);
}

/// Issue 11, defect 6: the pane opens on the pod with the worst finding and
/// on the log holding its evidence: invoices' previous sidecar log, where
/// the crash is.
#[test]
fn the_pane_opens_on_the_evidence() {
    let mut a = app();
    a.ui.filter = "invoices".into();
    press(&mut a, KeyCode::Enter);
    let w = a.open_workload().unwrap();
    let worst = w.findings[0].clone();
    assert_eq!(
        w.pods[a.ui.pod_index].name,
        worst.pod.clone().unwrap(),
        "the worst finding's pod"
    );
    assert_eq!(a.ui.pane.log.choice, LogChoice::SidecarPrevious);
    let evidence = worst.evidence.unwrap();
    let head: String = evidence.lines().next().unwrap().chars().take(40).collect();
    assert!(
        a.shown_log().unwrap().lines().any(|l| l.contains(&head)),
        "the log shown holds the evidence {head:?}"
    );
}

/// Log keys act on the log the pane shows (here invoices' previous sidecar
/// log, not the current one), and read it where it is: a pane may hold
/// 10,000 lines of 64 KiB, and a key press must not copy them.
#[test]
fn log_keys_act_on_the_chosen_log() {
    let mut a = app();
    a.ui.filter = "invoices".into();
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.pane.log.choice, LogChoice::SidecarPrevious);
    a.ui.geometry.log_rows = 3;
    while a.ui.pane.focus != Part::Log {
        press(&mut a, KeyCode::Tab);
    }
    let total = a.shown_log().unwrap().len();
    assert!(total > 4, "a previous log to scroll: {total} lines");
    let end = |a: &App| a.ui.pane.log.window(a.shown_log().unwrap(), 3).1;
    press(&mut a, KeyCode::Char('f'));
    assert!(a.ui.pane.log.paused(), "f pauses");
    assert_eq!(end(&a), total, "paused where the previous log ends");
    press(&mut a, KeyCode::Char('k'));
    assert_eq!(end(&a), total - 1);
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(end(&a), 3, "g: the previous log's oldest lines");
    assert_eq!(
        a.ui.pane.log.choice,
        LogChoice::SidecarPrevious,
        "still that log"
    );
}

/// `[` and `]` go to the workloads at error; `0` and `:ns` set the namespace.
#[test]
fn error_jumps_and_namespace_commands() {
    let mut a = app();
    press(&mut a, KeyCode::End);
    press(&mut a, KeyCode::Char('['));
    let v = a.visible();
    let i = a.selected_index(&v);
    assert_eq!(v[i].health, vaultscope::diagnose::Health::Error);
    assert!(
        v[i + 1..]
            .iter()
            .all(|w| w.health != vaultscope::diagnose::Health::Error)
    );
    drop(v);
    press(&mut a, KeyCode::Home);
    press(&mut a, KeyCode::Char(']'));
    assert_eq!(a.selected_index(&a.visible()), 1);
    for c in ":ns payments".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.namespace.as_deref(), Some("payments"));
    assert!(a.visible().iter().all(|w| w.key.namespace == "payments"));
    press(&mut a, KeyCode::Char('0'));
    assert_eq!(a.ui.namespace, None);
    for c in ":ns nosuch".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.ui.namespace, None);
    assert!(
        a.ui.notice
            .as_deref()
            .unwrap()
            .contains("no workload of interest in namespace nosuch")
    );
    for c in ":q".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    press(&mut a, KeyCode::Enter);
    assert!(a.ui.quit);
}

/// `y` copies the finding made safe, and shows it; `e` asks for a Markdown
/// file named after the workload.
#[test]
fn yank_and_export() {
    use vaultscope::app::Effect;
    let mut a = app();
    a.ui.filter = "ledger".into();
    press(&mut a, KeyCode::Char('y'));
    let effects = a.take_effects();
    let Some(Effect::Copy(text)) = effects.first() else {
        panic!("{effects:?}")
    };
    assert!(
        text.starts_with("auth.service_account_not_authorized [error]"),
        "{text}"
    );
    assert!(
        text.contains("\n    * service account name not authorized"),
        "{text}"
    );
    assert!(text.contains("fix: Add \"ledger\""), "{text}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    assert!(
        a.ui.overlay.is_some(),
        "the text is shown, in case OSC 52 is ignored"
    );
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('e'));
    let effects = a.take_effects();
    let Some(Effect::Export { file, text }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(file, "vaultscope-payments-ledger-20261128T100030Z.md");
    assert!(
        text.starts_with("### ERROR payments/ledger: Deployment"),
        "{text}"
    );
    assert!(
        text.contains("```text\n2026-11-28T10:00:30.000Z [ERROR]"),
        "{text}"
    );
}

/// The README's key table is the key map's.
#[test]
fn readme_key_table_matches_the_key_map() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (start, end) = (
        "<!-- keys: generated from src/app/keys.rs KEYMAP -->",
        "<!-- keys end -->",
    );
    let table = vaultscope::app::keys::markdown_table();
    let want = format!("{start}\n{table}\n{end}");
    if std::env::var_os("UPDATE_README").is_some() {
        let a = readme.find(start).expect("the start marker");
        let b = readme.find(end).expect("the end marker") + end.len();
        let new = format!("{}{want}{}", &readme[..a], &readme[b..]);
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), new).unwrap();
        return;
    }
    assert!(
        readme.contains(&want),
        "README's key table differs from the key map; run UPDATE_README=1 cargo test --test app_keys readme"
    );
}

/// The demo's trainer keys reach the scenario as effects; elsewhere they
/// mean nothing.
#[test]
fn trainer_keys_in_the_demo() {
    use vaultscope::app::Effect;
    use vaultscope::app::state::DemoControl;
    let mut a = app();
    press(&mut a, KeyCode::Char(' '));
    press(&mut a, KeyCode::Char('.'));
    press(&mut a, KeyCode::Enter);
    press(&mut a, KeyCode::Char('r'));
    assert!(a.ui.open.is_none(), "a restart goes back to the list");
    assert_eq!(
        a.take_effects(),
        [
            Effect::Demo(DemoControl::Pause),
            Effect::Demo(DemoControl::Step),
            Effect::Demo(DemoControl::Restart)
        ]
    );
    let mut live = App::new(
        SourceKind::Live {
            context: "x".into(),
        },
        Theme::builtin("default").unwrap(),
        a.now,
    );
    assert!(!press(&mut live, KeyCode::Char('r')));
    assert!(live.take_effects().is_empty());
}

/// `L` opens the Leases view from the list; `s` sorts it like the list;
/// Enter opens the workload of the selected row and Esc comes back to the
/// view, then to the list.
#[test]
fn leases_view_sorts_opens_a_workload_and_comes_back() {
    use vaultscope::app::leases::LeaseSort;
    let mut a = app();
    assert!(press(&mut a, KeyCode::Char('L')));
    assert!(a.ui.leases.is_some());
    let rows = a.lease_rows();
    assert!(
        rows.len() >= 5,
        "the demo's leases, certificate and KV secrets"
    );
    let expiries: Vec<_> = rows.iter().map(|r| r.expires).collect();
    let mut sorted = expiries.clone();
    sorted.sort_by_key(|e| (e.is_none(), *e));
    assert_eq!(
        expiries, sorted,
        "soonest expiry first, KV (no expiry) last"
    );
    drop(rows);
    press(&mut a, KeyCode::Char('s'));
    assert_eq!(a.ui.leases.as_ref().unwrap().sort, LeaseSort::State);
    let states: Vec<_> = a.lease_rows().iter().map(|r| r.state).collect();
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(states, sorted, "worst state first");
    press(&mut a, KeyCode::Char('s'));
    let names: Vec<_> = a
        .lease_rows()
        .iter()
        .map(|r| (r.kind, r.name.clone()))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by kind then name");
    press(&mut a, KeyCode::Char('S'));
    assert_eq!(
        a.ui.leases.as_ref().unwrap().sort,
        LeaseSort::State,
        "S goes back"
    );

    // The filter is the list's: it keeps the rows that mention it.
    press(&mut a, KeyCode::Char('/'));
    for c in "web".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    press(&mut a, KeyCode::Enter);
    let rows = a.lease_rows();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.key().name == "web" || r.name.contains("web"))
    );
    let want = rows[0].key().clone();
    drop(rows);
    press(&mut a, KeyCode::Enter);
    assert_eq!(
        a.ui.open.as_ref(),
        Some(&want),
        "Enter opens the row's workload"
    );
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.open.is_none());
    assert!(
        a.ui.leases.is_some(),
        "Esc from the pane comes back to the view"
    );
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.filter.is_empty(), "Esc clears the filter first");
    assert!(a.ui.leases.is_some());
    press(&mut a, KeyCode::Down);
    let second = {
        let rows = a.lease_rows();
        rows[a.lease_selected(&rows)].id()
    };
    press(&mut a, KeyCode::Char('s'));
    let rows = a.lease_rows();
    assert_eq!(
        rows[a.lease_selected(&rows)].id(),
        second,
        "the selection follows the row"
    );
    drop(rows);
    press(&mut a, KeyCode::Esc);
    assert!(a.ui.leases.is_none(), "and Esc again goes back to the list");
    a.run_command("leases");
    assert!(a.ui.leases.is_some(), ":leases opens it too");
}
