//! The key map: one table that drives both key handling and the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    CycleSort,
    CycleNamespace,
    NextPod,
    PrevPod,
    NextLog,
    ToggleFollow,
    LogUp,
    LogDown,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    List,
    Pane,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Everywhere => "Everywhere",
            Scope::List => "Workload list",
            Scope::Pane => "Workload pane",
        }
    }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [KeyCode],
    /// How the keys are shown in help.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// How the footer shows it (keys, word), for the actions it lists.
    pub hint: Option<(&'static str, &'static str)>,
}

use KeyCode::*;

pub const KEYMAP: &[Binding] = &[
    Binding {
        scope: Scope::Everywhere,
        keys: &[Char('q')],
        label: "q  Ctrl-C",
        action: Action::Quit,
        help: "quit",

        hint: Some(("q", "quit")),
    },
    Binding {
        scope: Scope::Everywhere,
        keys: &[Char('?')],
        label: "?",
        action: Action::Help,
        help: "show or hide this help",

        hint: Some(("?", "help")),
    },
    Binding {
        scope: Scope::Everywhere,
        keys: &[Up, Char('k')],
        label: "↑ k",
        action: Action::Up,
        help: "move up",

        hint: Some(("↑↓", "select")),
    },
    Binding {
        scope: Scope::Everywhere,
        keys: &[Down, Char('j')],
        label: "↓ j",
        action: Action::Down,
        help: "move down",

        hint: None,
    },
    Binding {
        scope: Scope::List,
        keys: &[PageUp],
        label: "PgUp",
        action: Action::PageUp,
        help: "page up",

        hint: None,
    },
    Binding {
        scope: Scope::List,
        keys: &[PageDown],
        label: "PgDn",
        action: Action::PageDown,
        help: "page down",

        hint: None,
    },
    Binding {
        scope: Scope::List,
        keys: &[Home, Char('g')],
        label: "Home g",
        action: Action::Top,
        help: "first workload",

        hint: None,
    },
    Binding {
        scope: Scope::List,
        keys: &[End, Char('G')],
        label: "End G",
        action: Action::Bottom,
        help: "last workload",

        hint: None,
    },
    Binding {
        scope: Scope::List,
        keys: &[Enter, Right, Char('l')],
        label: "⏎ → l",
        action: Action::Open,
        help: "open the workload's pane",

        hint: Some(("⏎", "open")),
    },
    Binding {
        scope: Scope::List,
        keys: &[Char('/')],
        label: "/",
        action: Action::Filter,
        help: "filter by text (Esc clears)",

        hint: Some(("/", "filter")),
    },
    Binding {
        scope: Scope::List,
        keys: &[Char('s')],
        label: "s",
        action: Action::CycleSort,
        help: "sort: severity → soonest expiry → name",

        hint: Some(("s", "sort")),
    },
    Binding {
        scope: Scope::List,
        keys: &[Char('n')],
        label: "n",
        action: Action::CycleNamespace,
        help: "cycle namespaces (all → each)",

        hint: Some(("n", "namespace")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[Esc, Left, Char('h'), Backspace],
        label: "Esc ← h",
        action: Action::Back,
        help: "back to the list",

        hint: Some(("Esc", "back")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[Tab],
        label: "Tab",
        action: Action::NextPod,
        help: "next pod",

        hint: Some(("Tab", "pod")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[BackTab],
        label: "Shift-Tab",
        action: Action::PrevPod,
        help: "previous pod",

        hint: None,
    },
    Binding {
        scope: Scope::Pane,
        keys: &[Char('c')],
        label: "c",
        action: Action::NextLog,
        help: "log: agent init → agent → previous",

        hint: Some(("c", "log")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[Char('f')],
        label: "f",
        action: Action::ToggleFollow,
        help: "pause / resume following the log",

        hint: Some(("f", "follow")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[PageUp],
        label: "PgUp",
        action: Action::LogUp,
        help: "scroll the log up (pauses following)",

        hint: Some(("PgUp/PgDn", "scroll")),
    },
    Binding {
        scope: Scope::Pane,
        keys: &[PageDown],
        label: "PgDn",
        action: Action::LogDown,
        help: "scroll the log down",

        hint: None,
    },
];

/// What the footer lists, in order, in the list and in a pane; the keys and
/// words come from each action's binding in [`KEYMAP`].
pub const FOOTER_LIST: &[Action] = &[
    Action::Up,
    Action::Open,
    Action::Filter,
    Action::CycleSort,
    Action::CycleNamespace,
    Action::Help,
    Action::Quit,
];
pub const FOOTER_PANE: &[Action] = &[
    Action::Back,
    Action::NextPod,
    Action::NextLog,
    Action::ToggleFollow,
    Action::LogUp,
    Action::Help,
    Action::Quit,
];

/// The footer's (keys, word) pairs for the list or a pane.
pub fn footer_hints(in_pane: bool) -> Vec<(&'static str, &'static str)> {
    let (scope, actions) = if in_pane {
        (Scope::Pane, FOOTER_PANE)
    } else {
        (Scope::List, FOOTER_LIST)
    };
    actions
        .iter()
        .filter_map(|a| {
            KEYMAP
                .iter()
                .filter(|b| b.scope == Scope::Everywhere || b.scope == scope)
                .find(|b| b.action == *a)
                .and_then(|b| b.hint)
        })
        .collect()
}

/// The action for a key in a scope; `None` when the key means nothing there.
pub fn action_for(key: KeyEvent, in_pane: bool) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            Char('c') => Some(Action::Quit),
            Char('d') => Some(if in_pane {
                Action::LogDown
            } else {
                Action::PageDown
            }),
            Char('u') => Some(if in_pane {
                Action::LogUp
            } else {
                Action::PageUp
            }),
            _ => None,
        };
    }
    let scope = if in_pane { Scope::Pane } else { Scope::List };
    KEYMAP
        .iter()
        .filter(|b| b.scope == Scope::Everywhere || b.scope == scope)
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_footer_action_has_a_hint_in_its_scope() {
        assert_eq!(footer_hints(false).len(), FOOTER_LIST.len());
        assert_eq!(footer_hints(true).len(), FOOTER_PANE.len());
    }
}
