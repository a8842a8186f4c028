//! The key map: one table that drives key handling, the help overlay, the
//! footer and the README's key table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    /// Leave a sub-view (pane, help, spec): back to where it was opened.
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    SortNext,
    SortPrev,
    CycleNamespace,
    AllNamespaces,
    Command,
    PrevError,
    NextError,
    Yank,
    Export,
    FocusNext,
    FocusPrev,
    NextPod,
    PrevPod,
    NextLog,
    ToggleFollow,
    ToggleWrap,
    Left,
    Right,
    FullLog,
    Search,
    SearchNext,
    SearchPrev,
    Spec,
    /// The Leases view: every lease, certificate and KV secret.
    Leases,
    DemoPause,
    DemoStep,
    DemoRestart,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    List,
    /// The Leases view (`L` from the list).
    Leases,
    Pane,
    /// The help and the injection spec: views over the list or the pane.
    SubView,
    /// Only in the demo (added to the list's and the pane's keys).
    Demo,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Everywhere => "Everywhere",
            Scope::List => "Workload list",
            Scope::Leases => "Leases view (every lease, certificate and KV secret)",
            Scope::Pane => "Workload pane (keys act on the part that has focus)",
            Scope::SubView => "Help and injection spec",
            Scope::Demo => "Demo (trainers)",
        }
    }

    pub const ALL: [Scope; 6] = [
        Scope::Everywhere,
        Scope::List,
        Scope::Leases,
        Scope::Pane,
        Scope::SubView,
        Scope::Demo,
    ];
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [KeyCode],
    /// How the keys are shown in help and the README.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// How the footer shows it (keys, word), for the actions it lists.
    pub hint: Option<(&'static str, &'static str)>,
}

use KeyCode::*;

const fn bind(
    scope: Scope,
    keys: &'static [KeyCode],
    label: &'static str,
    action: Action,
    help: &'static str,
    hint: Option<(&'static str, &'static str)>,
) -> Binding {
    Binding {
        scope,
        keys,
        label,
        action,
        help,
        hint,
    }
}

pub const KEYMAP: &[Binding] = &[
    bind(
        Scope::Everywhere,
        &[Char('?')],
        "?",
        Action::Help,
        "show or hide this help",
        Some(("?", "help")),
    ),
    // Ctrl-C is handled before the map: it quits from anywhere, even while
    // typing a filter. It is listed for help.
    bind(
        Scope::Everywhere,
        &[],
        "Ctrl-C",
        Action::Quit,
        "quit at once, from anywhere",
        None,
    ),
    bind(
        Scope::List,
        &[Char('q')],
        "q",
        Action::Quit,
        "quit",
        Some(("q", "quit")),
    ),
    bind(
        Scope::List,
        &[Up, Char('k')],
        "↑ k",
        Action::Up,
        "previous workload",
        Some(("↑↓", "select")),
    ),
    bind(
        Scope::List,
        &[Down, Char('j')],
        "↓ j",
        Action::Down,
        "next workload",
        None,
    ),
    bind(
        Scope::List,
        &[PageUp],
        "PgUp Ctrl-U",
        Action::PageUp,
        "a page up",
        None,
    ),
    bind(
        Scope::List,
        &[PageDown],
        "PgDn Ctrl-D",
        Action::PageDown,
        "a page down",
        None,
    ),
    bind(
        Scope::List,
        &[Home, Char('g')],
        "Home g",
        Action::Top,
        "first workload",
        None,
    ),
    bind(
        Scope::List,
        &[End, Char('G')],
        "End G",
        Action::Bottom,
        "last workload",
        None,
    ),
    bind(
        Scope::List,
        &[Enter, Right, Char('l')],
        "⏎ → l",
        Action::Open,
        "open the workload's pane (on its worst pod and the log with the evidence)",
        Some(("⏎", "open")),
    ),
    bind(
        Scope::List,
        &[Char('/')],
        "/",
        Action::Filter,
        "filter by text (Esc clears)",
        Some(("/", "filter")),
    ),
    bind(
        Scope::List,
        &[Char('[')],
        "[",
        Action::PrevError,
        "previous workload at error",
        None,
    ),
    bind(
        Scope::List,
        &[Char(']')],
        "]",
        Action::NextError,
        "next workload at error",
        Some(("[ ]", "errors")),
    ),
    bind(
        Scope::List,
        &[Char('s')],
        "s",
        Action::SortNext,
        "sort: severity → soonest expiry → name → namespace (▾ marks the column)",
        Some(("s", "sort")),
    ),
    bind(
        Scope::List,
        &[Char('S')],
        "S",
        Action::SortPrev,
        "sort the other way round the cycle",
        None,
    ),
    bind(
        Scope::List,
        &[Char('n')],
        "n",
        Action::CycleNamespace,
        "cycle namespaces (all → each)",
        Some(("n", "namespace")),
    ),
    bind(
        Scope::List,
        &[Char('0')],
        "0",
        Action::AllNamespaces,
        "all namespaces",
        None,
    ),
    bind(
        Scope::List,
        &[Char(':')],
        ":",
        Action::Command,
        "command: :ns NAME, :ns all, :q",
        Some((":", "cmd")),
    ),
    bind(
        Scope::List,
        &[Char('y')],
        "y",
        Action::Yank,
        "copy the worst finding (code, message, evidence, fix) to the clipboard",
        None,
    ),
    bind(
        Scope::List,
        &[Char('e')],
        "e",
        Action::Export,
        "export the workload's findings as Markdown (a file here, or the clipboard)",
        None,
    ),
    bind(
        Scope::List,
        &[Char('d')],
        "d",
        Action::Spec,
        "the injection spec of the workload's first pod",
        None,
    ),
    bind(
        Scope::List,
        &[Char('L')],
        "L",
        Action::Leases,
        "the Leases view: every lease, certificate and KV secret, soonest expiry first",
        Some(("L", "leases")),
    ),
    bind(
        Scope::Leases,
        &[Esc, Char('q'), Backspace, Char('L')],
        "Esc q ⌫ L",
        Action::Back,
        "back to the workload list",
        Some(("Esc", "back")),
    ),
    bind(
        Scope::Leases,
        &[Up, Char('k')],
        "↑ k",
        Action::Up,
        "previous row",
        Some(("↑↓", "select")),
    ),
    bind(
        Scope::Leases,
        &[Down, Char('j')],
        "↓ j",
        Action::Down,
        "next row",
        None,
    ),
    bind(
        Scope::Leases,
        &[PageUp],
        "PgUp Ctrl-U",
        Action::PageUp,
        "a page up",
        None,
    ),
    bind(
        Scope::Leases,
        &[PageDown],
        "PgDn Ctrl-D",
        Action::PageDown,
        "a page down",
        None,
    ),
    bind(
        Scope::Leases,
        &[Home, Char('g')],
        "Home g",
        Action::Top,
        "first row",
        None,
    ),
    bind(
        Scope::Leases,
        &[End, Char('G')],
        "End G",
        Action::Bottom,
        "last row",
        None,
    ),
    bind(
        Scope::Leases,
        &[Enter, Right, Char('l')],
        "⏎ → l",
        Action::Open,
        "open the pane of the workload using it (Esc comes back here)",
        Some(("⏎", "workload")),
    ),
    bind(
        Scope::Leases,
        &[Char('/')],
        "/",
        Action::Filter,
        "filter by text, as in the list (Esc clears)",
        Some(("/", "filter")),
    ),
    bind(
        Scope::Leases,
        &[Char('s')],
        "s",
        Action::SortNext,
        "sort: soonest expiry → state → name → workload (▾ marks the column)",
        Some(("s", "sort")),
    ),
    bind(
        Scope::Leases,
        &[Char('S')],
        "S",
        Action::SortPrev,
        "sort the other way round the cycle",
        None,
    ),
    bind(
        Scope::Leases,
        &[Char('n')],
        "n",
        Action::CycleNamespace,
        "cycle namespaces (all → each)",
        Some(("n", "namespace")),
    ),
    bind(
        Scope::Leases,
        &[Char('0')],
        "0",
        Action::AllNamespaces,
        "all namespaces",
        None,
    ),
    bind(
        Scope::Pane,
        &[Esc, Char('q'), Backspace],
        "Esc q ⌫",
        Action::Back,
        "back to the list (or the Leases view it was opened from)",
        Some(("Esc", "back")),
    ),
    bind(
        Scope::Pane,
        &[Tab],
        "Tab",
        Action::FocusNext,
        "focus the next part: findings → pods → secrets → leases → rotations → log",
        Some(("Tab", "part")),
    ),
    bind(
        Scope::Pane,
        &[BackTab],
        "Shift-Tab",
        Action::FocusPrev,
        "focus the previous part",
        None,
    ),
    bind(
        Scope::Pane,
        &[Up, Char('k')],
        "↑ k",
        Action::Up,
        "a line up in the focused part (the log pauses)",
        Some(("↑↓", "line")),
    ),
    bind(
        Scope::Pane,
        &[Down, Char('j')],
        "↓ j",
        Action::Down,
        "a line down in the focused part",
        None,
    ),
    bind(
        Scope::Pane,
        &[PageUp],
        "PgUp Ctrl-U",
        Action::PageUp,
        "a page up in the focused part",
        Some(("PgUp/Dn", "page")),
    ),
    bind(
        Scope::Pane,
        &[PageDown],
        "PgDn Ctrl-D",
        Action::PageDown,
        "a page down in the focused part",
        None,
    ),
    bind(
        Scope::Pane,
        &[Home, Char('g')],
        "Home g",
        Action::Top,
        "the top of the focused part (the log's oldest line)",
        None,
    ),
    bind(
        Scope::Pane,
        &[End, Char('G')],
        "End G",
        Action::Bottom,
        "the bottom of the focused part (the log follows again)",
        Some(("g/G", "top/end")),
    ),
    bind(
        Scope::Pane,
        &[Char('p')],
        "p",
        Action::NextPod,
        "next pod",
        Some(("p", "pod")),
    ),
    bind(
        Scope::Pane,
        &[Char('P')],
        "P",
        Action::PrevPod,
        "previous pod",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('c')],
        "c",
        Action::NextLog,
        "next log of the pod: agent init → agent → previous (only those it has)",
        Some(("c", "log")),
    ),
    bind(
        Scope::Pane,
        &[Char('f')],
        "f",
        Action::ToggleFollow,
        "pause / resume following the log (a paused log stays still)",
        Some(("f", "pause")),
    ),
    bind(
        Scope::Pane,
        &[Char('w')],
        "w",
        Action::ToggleWrap,
        "wrap long log lines, or not",
        Some(("w", "wrap")),
    ),
    bind(
        Scope::Pane,
        &[Left, Char('h')],
        "← h",
        Action::Left,
        "scroll the log left (when not wrapping)",
        None,
    ),
    bind(
        Scope::Pane,
        &[Right, Char('l')],
        "→ l",
        Action::Right,
        "scroll the log right (when not wrapping)",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('z')],
        "z",
        Action::FullLog,
        "full-screen log, or back",
        Some(("z", "full")),
    ),
    bind(
        Scope::Pane,
        &[Char('/')],
        "/",
        Action::Search,
        "search the log (newest match first)",
        Some(("/", "search")),
    ),
    bind(
        Scope::Pane,
        &[Char('n')],
        "n",
        Action::SearchNext,
        "next (older) match",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('N')],
        "N",
        Action::SearchPrev,
        "previous (newer) match",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('[')],
        "[",
        Action::PrevError,
        "previous finding",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char(']')],
        "]",
        Action::NextError,
        "next finding",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('y')],
        "y",
        Action::Yank,
        "copy the focused finding (code, message, evidence, fix), or the pod name",
        Some(("y", "copy")),
    ),
    bind(
        Scope::Pane,
        &[Char('e')],
        "e",
        Action::Export,
        "export the workload's findings as Markdown",
        None,
    ),
    bind(
        Scope::Pane,
        &[Char('d')],
        "d",
        Action::Spec,
        "the pod's injection spec: every annotation, defaults filled in",
        None,
    ),
    bind(
        Scope::SubView,
        &[Esc, Char('q'), Backspace],
        "Esc q ?",
        Action::Back,
        "close it",
        Some(("Esc", "close")),
    ),
    bind(
        Scope::SubView,
        &[Up, Char('k')],
        "↑ k",
        Action::Up,
        "a line up",
        Some(("↑↓", "scroll")),
    ),
    bind(
        Scope::SubView,
        &[Down, Char('j')],
        "↓ j",
        Action::Down,
        "a line down",
        None,
    ),
    bind(
        Scope::SubView,
        &[PageUp],
        "PgUp",
        Action::PageUp,
        "a page up",
        None,
    ),
    bind(
        Scope::SubView,
        &[PageDown, Char(' ')],
        "PgDn space",
        Action::PageDown,
        "a page down",
        None,
    ),
    bind(
        Scope::SubView,
        &[Home, Char('g')],
        "Home g",
        Action::Top,
        "the top",
        None,
    ),
    bind(
        Scope::SubView,
        &[End, Char('G')],
        "End G",
        Action::Bottom,
        "the end",
        None,
    ),
    bind(
        Scope::SubView,
        &[Char('y')],
        "y",
        Action::Yank,
        "copy what is shown (the spec)",
        None,
    ),
    bind(
        Scope::Demo,
        &[Char(' ')],
        "space",
        Action::DemoPause,
        "pause / resume the scenario",
        Some(("space", "pause")),
    ),
    bind(
        Scope::Demo,
        &[Char('.')],
        ".",
        Action::DemoStep,
        "while paused: step to the next event",
        None,
    ),
    bind(
        Scope::Demo,
        &[Char('r')],
        "r",
        Action::DemoRestart,
        "restart the scenario",
        None,
    ),
];

/// Which screen keys are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Leases,
    Pane,
    SubView,
}

impl Screen {
    fn scope(self) -> Scope {
        match self {
            Screen::List => Scope::List,
            Screen::Leases => Scope::Leases,
            Screen::Pane => Scope::Pane,
            Screen::SubView => Scope::SubView,
        }
    }
}

/// What the footer lists, in order; the keys and words come from each
/// action's binding in [`KEYMAP`].
pub const FOOTER_LIST: &[Action] = &[
    Action::Help,
    Action::Up,
    Action::Open,
    Action::Filter,
    Action::CycleNamespace,
    Action::SortNext,
    Action::Leases,
    Action::NextError,
    Action::Command,
    Action::Quit,
];
/// The Leases view's footer.
pub const FOOTER_LEASES: &[Action] = &[
    Action::Help,
    Action::Back,
    Action::Up,
    Action::Open,
    Action::Filter,
    Action::SortNext,
    Action::CycleNamespace,
];
/// The pane's footer when a section above the log has focus.
pub const FOOTER_SECTION: &[Action] = &[
    Action::Help,
    Action::Back,
    Action::FocusNext,
    Action::Up,
    Action::PageUp,
    Action::NextPod,
    Action::Yank,
];
/// The pane's footer when the log has focus.
pub const FOOTER_LOG: &[Action] = &[
    Action::Help,
    Action::Back,
    Action::FocusNext,
    Action::Up,
    Action::Bottom,
    Action::ToggleFollow,
    Action::ToggleWrap,
    Action::NextLog,
    Action::Search,
    Action::FullLog,
];
/// The footer of the help and the spec.
pub const FOOTER_SUBVIEW: &[Action] = &[Action::Back, Action::Up];
/// The log keys, which mean nothing for a pod without an agent log.
pub const LOG_ACTIONS: &[Action] = &[
    Action::NextLog,
    Action::ToggleFollow,
    Action::ToggleWrap,
    Action::Left,
    Action::Right,
    Action::FullLog,
    Action::Search,
    Action::SearchNext,
    Action::SearchPrev,
];

/// The hint a footer shows for `action` on `screen`.
fn hint(screen: Screen, action: Action) -> Option<(&'static str, &'static str)> {
    KEYMAP
        .iter()
        .filter(|b| b.scope == Scope::Everywhere || b.scope == screen.scope())
        .filter(|b| b.action == action)
        .find_map(|b| b.hint)
}

/// The footer's (keys, word) pairs for a list of actions on a screen.
pub fn footer_hints(screen: Screen, actions: &[Action]) -> Vec<(&'static str, &'static str)> {
    actions.iter().filter_map(|a| hint(screen, *a)).collect()
}

/// The demo's own footer hint.
pub fn demo_hint() -> (&'static str, &'static str) {
    KEYMAP
        .iter()
        .find(|b| b.action == Action::DemoPause)
        .and_then(|b| b.hint)
        .unwrap_or(("space", "pause"))
}

/// The action for a key on a screen; `None` when the key means nothing there.
/// `demo` adds the trainer's keys.
pub fn action_for(key: KeyEvent, screen: Screen, demo: bool) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            Char('c') => Some(Action::Quit),
            Char('d') => Some(Action::PageDown),
            Char('u') => Some(Action::PageUp),
            _ => None,
        };
    }
    let scope = screen.scope();
    KEYMAP
        .iter()
        .filter(|b| {
            b.scope == Scope::Everywhere
                || b.scope == scope
                || (demo && b.scope == Scope::Demo && screen != Screen::SubView)
        })
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The key table as Markdown, for the README (a test keeps them equal).
pub fn markdown_table() -> String {
    let mut out = String::new();
    for scope in Scope::ALL {
        out.push_str(&format!(
            "\n**{}**\n\n| key | does |\n|---|---|\n",
            scope.title()
        ));
        for b in KEYMAP.iter().filter(|b| b.scope == scope) {
            let label = b
                .label
                .split_whitespace()
                .map(|k| format!("`{}`", k.replace('|', "\\|")))
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!("| {label} | {} |\n", b.help.replace('|', "\\|")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_footer_action_has_a_hint_on_its_screen() {
        for (screen, list) in [
            (Screen::List, FOOTER_LIST),
            (Screen::Leases, FOOTER_LEASES),
            (Screen::Pane, FOOTER_SECTION),
            (Screen::Pane, FOOTER_LOG),
            (Screen::SubView, FOOTER_SUBVIEW),
        ] {
            assert_eq!(footer_hints(screen, list).len(), list.len(), "{screen:?}");
        }
    }

    #[test]
    fn no_key_means_two_things_on_one_screen() {
        for screen in [Screen::List, Screen::Leases, Screen::Pane, Screen::SubView] {
            let mut seen: Vec<KeyCode> = Vec::new();
            for b in KEYMAP.iter().filter(|b| {
                b.scope == Scope::Everywhere
                    || b.scope == screen.scope()
                    || (b.scope == Scope::Demo && screen != Screen::SubView)
            }) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} is bound twice on {screen:?}");
                    seen.push(*k);
                }
            }
        }
    }
}
