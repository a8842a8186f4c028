//! What keys do: one function per kind of action, on the screen that has
//! the keys (the list, the pane's focused part, or a view over them).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keys::{Action, LOG_ACTIONS, Screen, action_for};
use super::pane::{LogChoice, PaneState, Part, SIDE_STEP};
use super::state::{App, DemoControl, Effect, Overlay, SourceKind};
use crate::diagnose::{Health, WorkloadReport};
use crate::model::pod::PodInfo;

/// How many characters of an evidence line identify it in a log.
const EVIDENCE_HEAD: usize = 48;

impl App {
    fn screen(&self) -> Screen {
        if self.ui.overlay.is_some() {
            Screen::SubView
        } else if self.ui.open.is_some() {
            Screen::Pane
        } else if self.ui.leases.is_some() {
            Screen::Leases
        } else {
            Screen::List
        }
    }

    fn is_demo(&self) -> bool {
        self.source == SourceKind::Demo
    }

    /// Handle one key. Returns whether anything visible changed.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        if key.kind != KeyEventKind::Press && key.kind != KeyEventKind::Repeat {
            return false;
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            self.ui.quit = true;
            return true;
        }
        let had_notice = self.ui.notice.take().is_some();
        if self.ui.editing_filter {
            return self.on_filter_key(key);
        }
        if self.ui.command.is_some() {
            return self.on_command_key(key);
        }
        if self.ui.pane.log.editing_search {
            return self.on_search_key(key);
        }
        // Esc clears a filter first, in the Leases view as in the list.
        if self.screen() == Screen::Leases && key.code == KeyCode::Esc && !self.ui.filter.is_empty()
        {
            self.ui.filter.clear();
            return true;
        }
        let Some(action) = action_for(key, self.screen(), self.is_demo()) else {
            if self.screen() == Screen::List
                && key.code == KeyCode::Esc
                && !self.ui.filter.is_empty()
            {
                self.ui.filter.clear();
                return true;
            }
            return had_notice;
        };
        self.perform(action);
        true
    }

    pub fn perform(&mut self, action: Action) {
        match self.screen() {
            Screen::SubView => self.on_overlay(action),
            Screen::Pane => self.on_pane(action),
            Screen::Leases => self.on_leases(action),
            Screen::List => self.on_list(action),
        }
    }

    fn on_common(&mut self, action: Action) {
        match action {
            Action::Quit => self.ui.quit = true,
            Action::Help => {
                self.ui.overlay = Some(Overlay::Help);
                self.ui.overlay_top = 0;
            }
            Action::DemoPause => {
                self.ui.demo_paused = !self.ui.demo_paused;
                let c = if self.ui.demo_paused {
                    DemoControl::Pause
                } else {
                    DemoControl::Resume
                };
                self.effects.push(Effect::Demo(c));
            }
            Action::DemoStep => {
                self.ui.demo_paused = true;
                self.effects.push(Effect::Demo(DemoControl::Step));
            }
            Action::DemoRestart => {
                self.ui.open = None;
                self.effects.push(Effect::Demo(DemoControl::Restart));
            }
            _ => {}
        }
    }

    fn on_list(&mut self, action: Action) {
        let page = self.ui.page.max(1) as isize;
        match action {
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-page),
            Action::PageDown => self.move_selection(page),
            Action::Top => self.select_at(0),
            Action::Bottom => self.select_at(usize::MAX),
            Action::Open => {
                if let Some(k) = self.selected_workload().map(|w| w.key.clone()) {
                    self.open(k);
                }
            }
            Action::Filter => self.ui.editing_filter = true,
            Action::Leases => self.open_leases(),
            Action::SortNext => self.ui.sort = self.ui.sort.step(true),
            Action::SortPrev => self.ui.sort = self.ui.sort.step(false),
            Action::CycleNamespace if self.ui.fixed_namespace.is_some() => {
                self.notice("only this namespace is watched (-n)")
            }
            Action::CycleNamespace => {
                let ns = self.namespaces();
                let next = match &self.ui.namespace {
                    None => ns.first().cloned(),
                    Some(cur) => ns.iter().skip_while(|n| *n != cur).nth(1).cloned(),
                };
                self.set_namespace(next);
            }
            Action::AllNamespaces if self.ui.fixed_namespace.is_some() => {
                self.notice("only this namespace is watched (-n)")
            }
            Action::AllNamespaces => self.set_namespace(None),
            Action::Command => self.ui.command = Some(String::new()),
            Action::PrevError => self.step_error(-1),
            Action::NextError => self.step_error(1),
            Action::Yank => {
                if let Some(w) = self.selected_workload() {
                    let text = match w.worst() {
                        Some(f) => super::export::finding_text(f),
                        None => format!("{}/{} {}", w.key.namespace, w.key.kind, w.key.name),
                    };
                    self.copy(text);
                }
            }
            Action::Export => {
                if let Some(w) = self.selected_workload().cloned() {
                    self.export(&w);
                }
            }
            Action::Spec => {
                let target = self.selected_workload().and_then(|w| {
                    w.pods
                        .first()
                        .map(|p| (w.key.namespace.clone(), p.name.clone()))
                });
                self.show_spec(target);
            }
            other => self.on_common(other),
        }
    }

    /// Open the Leases view, on its soonest expiry.
    fn open_leases(&mut self) {
        self.ui.leases = Some(super::leases::LeasesView::default());
        self.lease_select_at(0);
    }

    fn on_leases(&mut self, action: Action) {
        let page = self.ui.page.max(1) as isize;
        match action {
            Action::Back => self.ui.leases = None,
            Action::Up => self.lease_move(-1),
            Action::Down => self.lease_move(1),
            Action::PageUp => self.lease_move(-page),
            Action::PageDown => self.lease_move(page),
            Action::Top => self.lease_select_at(0),
            Action::Bottom => self.lease_select_at(usize::MAX),
            Action::Open => {
                let key = {
                    let rows = self.lease_rows();
                    rows.get(self.lease_selected(&rows))
                        .map(|r| r.key().clone())
                };
                match key {
                    Some(k) => self.open(k),
                    None => self.notice("no lease, certificate or KV secret here"),
                }
            }
            Action::Filter => self.ui.editing_filter = true,
            Action::SortNext | Action::SortPrev => {
                if let Some(l) = self.ui.leases.as_mut() {
                    l.sort = l.sort.step(action == Action::SortNext);
                }
            }
            Action::CycleNamespace | Action::AllNamespaces => self.on_list(action),
            other => self.on_common(other),
        }
    }

    fn set_namespace(&mut self, ns: Option<String>) {
        self.ui.namespace = ns;
        let still = {
            let v = self.visible();
            self.ui
                .selected
                .as_ref()
                .is_some_and(|k| v.iter().any(|w| &w.key == k))
        };
        if !still {
            self.select_at(0);
        }
    }

    /// Select the next workload at error after (or before) the selection.
    fn step_error(&mut self, delta: isize) {
        let (from, errors): (usize, Vec<usize>) = {
            let v = self.visible();
            let from = self.selected_index(&v);
            let errors = v
                .iter()
                .enumerate()
                .filter(|(_, w)| w.health == Health::Error)
                .map(|(i, _)| i)
                .collect();
            (from, errors)
        };
        let next = if delta > 0 {
            errors.iter().find(|i| **i > from)
        } else {
            errors.iter().rev().find(|i| **i < from)
        };
        match next {
            Some(i) => self.select_at(*i),
            None if errors.is_empty() => self.notice("no workload is at error"),
            None => self.notice(if delta > 0 {
                "no workload at error below"
            } else {
                "no workload at error above"
            }),
        }
    }

    /// Open a workload's pane on its worst finding's pod, and on the log
    /// that holds that finding's evidence.
    pub(super) fn open(&mut self, key: crate::model::workload::WorkloadKey) {
        self.ui.selected = Some(key.clone());
        self.ui.open = Some(key);
        let search = std::mem::take(&mut self.ui.pane.log.search);
        self.ui.pane = PaneState::default();
        self.ui.pane.log.search = search;
        self.ui.pod_index = self
            .open_workload()
            .and_then(|w| {
                w.findings
                    .iter()
                    .filter_map(|f| f.pod.as_ref())
                    .find_map(|p| w.pods.iter().position(|s| &s.name == p))
            })
            .unwrap_or(0);
        self.ui.pane.log.choice = self.log_for_pod();
    }

    /// The log to show first for the open pod: the one holding its worst
    /// finding's evidence (the previous log after a crash), else the init
    /// container's while it runs, else the sidecar's.
    fn log_for_pod(&self) -> LogChoice {
        let Some(w) = self.open_workload() else {
            return LogChoice::default();
        };
        let Some(pod) = self.open_pod() else {
            return LogChoice::default();
        };
        let choices = self.log_choices();
        let evidence = w
            .findings
            .iter()
            .filter(|f| f.pod.as_deref() == Some(pod.name.as_str()))
            .find_map(|f| {
                let container = f.container.as_deref()?;
                let head = evidence_head(f.evidence.as_deref()?)?;
                [false, true].into_iter().find_map(|previous| {
                    let c = LogChoice::of(container, previous)?;
                    let b = self
                        .world
                        .log(&pod.namespace, &pod.name, container, previous)?;
                    b.lines().rev().any(|l| l.contains(head)).then_some(c)
                })
            });
        if let Some(c) = evidence {
            return c;
        }
        let fallback = default_log(pod);
        if choices.is_empty() || choices.contains(&fallback) {
            fallback
        } else {
            choices[0]
        }
    }

    fn pods_of_open(&self) -> usize {
        self.open_workload().map_or(0, |w| w.pods.len())
    }

    fn has_agent_log(&self) -> bool {
        self.open_pod().is_some_and(PodInfo::has_agent_containers)
    }

    fn log_rows(&self) -> usize {
        match self.ui.geometry.log_rows {
            0 => 10,
            n => n,
        }
    }

    /// The parts Tab moves through: sections with something in them, and
    /// the log (only the log in full screen).
    pub fn parts(&self) -> Vec<Part> {
        if self.ui.pane.full_log {
            return vec![Part::Log];
        }
        let Some(w) = self.open_workload() else {
            return vec![Part::Log];
        };
        Part::ALL
            .into_iter()
            .filter(|p| match p {
                Part::Secrets => !w.secrets.is_empty(),
                Part::Rotations => !w.rotations.is_empty(),
                Part::Expiries => has_expiries(w),
                _ => true,
            })
            .collect()
    }

    fn on_pane(&mut self, action: Action) {
        if LOG_ACTIONS.contains(&action) && !self.has_agent_log() && action != Action::FullLog {
            self.notice("this pod has no agent log (its events are shown)");
            return;
        }
        let g = self.ui.geometry;
        let on_log = self.ui.pane.focus == Part::Log;
        let rows = self.log_rows();
        let page = rows.saturating_sub(1).max(1) as i64;
        let pane_page = g.pane_rows.saturating_sub(1).max(1) as isize;
        match action {
            Action::Back => self.ui.open = None,
            Action::FocusNext | Action::FocusPrev => {
                let parts = self.parts();
                let i = parts
                    .iter()
                    .position(|p| *p == self.ui.pane.focus)
                    .unwrap_or(0);
                let n = parts.len();
                let j = if action == Action::FocusNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.ui.pane.focus(parts[j], &g);
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown if on_log => {
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    _ => page,
                };
                if self.has_agent_log() {
                    self.with_log(|v, b| v.scroll(b, rows, delta));
                } else {
                    let skip = self.ui.pane.events_skip as i64 - delta;
                    self.ui.pane.events_skip = skip.max(0) as usize;
                }
            }
            Action::Top if on_log => {
                self.with_log(|v, b| v.top(b, rows));
                self.ui.pane.events_skip = usize::MAX / 2;
            }
            Action::Bottom if on_log => {
                self.ui.pane.log.follow();
                self.ui.pane.events_skip = 0;
            }
            Action::Up => self.scroll_pane(-1),
            Action::Down => self.scroll_pane(1),
            Action::PageUp => self.scroll_pane(-pane_page),
            Action::PageDown => self.scroll_pane(pane_page),
            Action::Top => self.scroll_pane(-(g.pane_len as isize)),
            Action::Bottom => self.scroll_pane(g.pane_len as isize),
            Action::NextPod => self.step_pod(1),
            Action::PrevPod => self.step_pod(-1),
            Action::NextLog => {
                let choices = self.log_choices();
                let cur = self.ui.pane.log.choice;
                let next = match choices.iter().position(|c| *c == cur) {
                    Some(i) => choices[(i + 1) % choices.len()],
                    None => choices.first().copied().unwrap_or(cur),
                };
                if choices.len() <= 1 {
                    self.notice(
                        "this pod has no other agent log (no previous one: it has not restarted)",
                    );
                }
                self.ui.pane.log.choice = next;
                self.ui.pane.log.end = None;
                self.ui.pane.log.matched = None;
            }
            Action::ToggleFollow => self.with_log(|v, b| v.toggle_follow(b)),
            Action::ToggleWrap => {
                self.ui.pane.log.wrap = !self.ui.pane.log.wrap;
                self.ui.pane.log.column = 0;
            }
            Action::Left => {
                let v = &mut self.ui.pane.log;
                v.column = v.column.saturating_sub(SIDE_STEP);
            }
            Action::Right if self.ui.pane.log.wrap => {
                self.notice("the log wraps: w turns wrapping off to scroll sideways")
            }
            Action::Right => {
                let v = &mut self.ui.pane.log;
                v.column = (v.column + SIDE_STEP).min(crate::model::logs::MAX_LINE_BYTES);
            }
            Action::FullLog => {
                let full = !self.ui.pane.full_log;
                self.ui.pane.full_log = full;
                if full {
                    self.ui.pane.focus = Part::Log;
                }
            }
            Action::Search => {
                self.ui.pane.log.editing_search = true;
                self.ui.pane.log.search.clear();
                self.ui.pane.focus = Part::Log;
            }
            Action::SearchNext | Action::SearchPrev => {
                if self.ui.pane.log.search.is_empty() {
                    self.notice("/ searches the log first");
                    return;
                }
                let older = action == Action::SearchNext;
                self.with_log(|v, b| {
                    let total = b.map_or(0, |b| b.dropped() + b.len() as u64);
                    let from = v.matched.unwrap_or(total);
                    v.find(b, from, older);
                });
                self.ui.pane.focus = Part::Log;
            }
            Action::PrevError | Action::NextError => {
                let n = self.open_workload().map_or(0, |w| w.findings.len());
                if n == 0 {
                    self.notice("no findings");
                    return;
                }
                let cur = self.ui.pane.finding.min(n - 1);
                let next = if action == Action::NextError {
                    (cur + 1).min(n - 1)
                } else {
                    cur.saturating_sub(1)
                };
                self.ui.pane.show_finding(next, &g);
                self.select_finding_pod(next);
            }
            Action::Yank => self.yank_in_pane(),
            Action::Export => {
                if let Some(w) = self.open_workload().cloned() {
                    self.export(&w);
                }
            }
            Action::Spec => {
                let target = self
                    .open_pod()
                    .map(|p| (p.namespace.clone(), p.name.clone()));
                self.show_spec(target);
            }
            other => self.on_common(other),
        }
    }

    /// Scroll the pane's upper part; focus follows the section at the top.
    fn scroll_pane(&mut self, delta: isize) {
        let g = self.ui.geometry;
        self.ui.pane.scroll(&g, delta);
        let top = self.ui.pane.top;
        let at_top = Part::ALL
            .into_iter()
            .filter_map(|p| Some((p, g.sections[p.section()?]?)))
            .filter(|(_, row)| *row <= top)
            .max_by_key(|(_, row)| *row)
            .map(|(p, _)| p);
        if self.ui.pane.focus != Part::Log
            && let Some(p) = at_top
        {
            self.ui.pane.focus = p;
        }
    }

    /// A finding about another pod shows that pod and its log.
    fn select_finding_pod(&mut self, i: usize) {
        let pod = self
            .open_workload()
            .and_then(|w| w.findings.get(i))
            .and_then(|f| f.pod.clone());
        let index = pod.and_then(|p| {
            self.open_workload()
                .and_then(|w| w.pods.iter().position(|s| s.name == p))
        });
        if let Some(i) = index
            && i != self.ui.pod_index
        {
            self.ui.pod_index = i;
            self.reset_log();
        }
    }

    fn step_pod(&mut self, delta: isize) {
        let n = self.pods_of_open();
        if n == 0 {
            return;
        }
        self.ui.pod_index = (self.ui.pod_index as isize + delta).rem_euclid(n as isize) as usize;
        self.reset_log();
    }

    fn reset_log(&mut self) {
        let v = &mut self.ui.pane.log;
        v.end = None;
        v.matched = None;
        v.column = 0;
        self.ui.pane.events_skip = 0;
        self.ui.pane.log.choice = self.log_for_pod();
    }

    fn yank_in_pane(&mut self) {
        let text = match self.ui.pane.focus {
            Part::Pods => self.open_pod().map(|p| p.name.clone()),
            Part::Log => {
                let rows = self.log_rows();
                self.shown_log().and_then(|b| {
                    let (_, end) = self.ui.pane.log.window(b, rows);
                    end.checked_sub(1)
                        .and_then(|i| b.get(i))
                        .map(str::to_string)
                })
            }
            _ => self.open_workload().and_then(|w| {
                w.findings
                    .get(self.ui.pane.finding)
                    .map(super::export::finding_text)
            }),
        };
        match text {
            Some(t) => self.copy(t),
            None => self.notice("nothing to copy here"),
        }
    }

    /// Copy text made safe (no controls, secrets redacted), and show it in
    /// case the terminal does not take OSC 52.
    fn copy(&mut self, text: String) {
        let safe = super::export::safe_text(&text);
        self.effects.push(Effect::Copy(safe.clone()));
        self.ui.overlay = Some(Overlay::Text {
            title: "Copied with OSC 52 · if your terminal does not allow it, select the text below"
                .into(),
            body: safe,
        });
        self.ui.overlay_top = 0;
    }

    fn export(&mut self, w: &WorkloadReport) {
        let text = super::export::markdown(w, &self.report, self.now);
        let file = super::export::file_name(w, self.now);
        self.effects.push(Effect::Export { file, text });
    }

    fn show_spec(&mut self, target: Option<(String, String)>) {
        match target {
            Some((namespace, pod)) => {
                self.ui.overlay = Some(Overlay::Spec { namespace, pod });
                self.ui.overlay_top = 0;
            }
            None => self.notice("no pod to show the injection spec of"),
        }
    }

    fn on_overlay(&mut self, action: Action) {
        let rows = self.ui.overlay_rows.max(1);
        let max = self.ui.overlay_len.saturating_sub(rows);
        let top = &mut self.ui.overlay_top;
        match action {
            // `?` shows or hides the help; over another view it closes it.
            Action::Back | Action::Help => self.ui.overlay = None,
            Action::Up => *top = top.saturating_sub(1),
            Action::Down => *top = (*top + 1).min(max),
            Action::PageUp => *top = top.saturating_sub(rows.saturating_sub(1).max(1)),
            Action::PageDown => *top = (*top + rows.saturating_sub(1).max(1)).min(max),
            Action::Top => *top = 0,
            Action::Bottom => *top = max,
            Action::Yank => {
                if let Some(Overlay::Spec { namespace, pod }) = self.ui.overlay.clone()
                    && let Some(p) = self.world.pod(&namespace, &pod)
                {
                    let text = super::export::spec_text(p);
                    self.copy(text);
                }
            }
            Action::Quit => self.ui.quit = true,
            _ => {}
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Enter => self.ui.editing_filter = false,
            KeyCode::Esc => {
                self.ui.editing_filter = false;
                self.ui.filter.clear();
            }
            KeyCode::Backspace => {
                self.ui.filter.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.ui.filter.clear()
            }
            KeyCode::Char(c) => self.ui.filter.push(c),
            _ => return false,
        }
        // Keep a selection that is still visible, else the first row.
        let still = {
            let v = self.visible();
            self.ui
                .selected
                .as_ref()
                .is_some_and(|k| v.iter().any(|w| &w.key == k))
        };
        if !still {
            self.select_at(0);
        }
        true
    }

    fn on_search_key(&mut self, key: KeyEvent) -> bool {
        let v = &mut self.ui.pane.log;
        match key.code {
            KeyCode::Enter => {
                v.editing_search = false;
                self.with_log(|v, b| {
                    let total = b.map_or(0, |b| b.dropped() + b.len() as u64);
                    v.find(b, total, true);
                });
                if self.ui.pane.log.no_match {
                    let s = self.ui.pane.log.search.clone();
                    self.notice(format!("no line of this log contains \"{s}\""));
                }
            }
            KeyCode::Esc => {
                v.editing_search = false;
                v.search.clear();
                v.matched = None;
            }
            KeyCode::Backspace => {
                v.search.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => v.search.clear(),
            KeyCode::Char(c) => v.search.push(c),
            _ => return false,
        }
        true
    }

    fn on_command_key(&mut self, key: KeyEvent) -> bool {
        let Some(cmd) = self.ui.command.as_mut() else {
            return false;
        };
        match key.code {
            KeyCode::Enter => {
                let text = std::mem::take(cmd);
                self.ui.command = None;
                self.run_command(text.trim());
            }
            KeyCode::Esc => self.ui.command = None,
            KeyCode::Backspace => {
                if cmd.pop().is_none() {
                    self.ui.command = None;
                }
            }
            KeyCode::Char(c) => cmd.push(c),
            _ => return false,
        }
        true
    }

    /// `:` commands, as k9s users type them.
    pub fn run_command(&mut self, text: &str) {
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("q" | "q!" | "quit"), None, None) => self.ui.quit = true,
            (Some("ns" | "namespace"), None, None) => {
                let all = self.namespaces().join(", ");
                self.notice(format!("namespaces: {all} (:ns NAME, :ns all)"));
            }
            (Some("ns" | "namespace"), Some("all" | "-A" | "*"), None) => {
                if self.ui.fixed_namespace.is_some() {
                    self.notice("only this namespace is watched (-n)");
                } else {
                    self.set_namespace(None);
                }
            }
            (Some("ns" | "namespace"), Some(ns), None) => {
                if self.ui.fixed_namespace.is_some() {
                    self.notice("only this namespace is watched (-n)");
                } else if self.namespaces().iter().any(|n| n == ns) {
                    self.set_namespace(Some(ns.to_string()));
                } else {
                    let ns = crate::safe::terminal(ns).into_owned();
                    let all = self.namespaces().join(", ");
                    self.notice(format!(
                        "no workload of interest in namespace {ns}; namespaces: {all}"
                    ));
                }
            }
            (Some("leases" | "lease" | "expiry"), None, None) => {
                self.ui.open = None;
                self.open_leases();
            }
            (Some("help" | "h"), None, None) => self.on_common(Action::Help),
            (None, _, _) => {}
            _ => {
                let t = crate::safe::terminal(text).into_owned();
                self.notice(format!(
                    "unknown command :{t} (try :ns NAME, :ns all, :leases, :q)"
                ));
            }
        }
    }
}

/// The first characters of evidence's first line: enough to find the log
/// line it was taken from.
fn evidence_head(evidence: &str) -> Option<&str> {
    let first = evidence.lines().next()?.trim_end();
    if first.is_empty() {
        return None;
    }
    let end = first
        .char_indices()
        .nth(EVIDENCE_HEAD)
        .map_or(first.len(), |(i, _)| i);
    Some(&first[..end])
}

/// The init container's log while it has not finished, else the sidecar's.
fn default_log(pod: &PodInfo) -> LogChoice {
    match pod.agent_init() {
        Some(init) if pod.agent_sidecar().is_none() || !init.completed() => LogChoice::Init,
        _ => LogChoice::Sidecar,
    }
}

pub(super) fn has_expiries(w: &WorkloadReport) -> bool {
    !(w.leases.is_empty() && w.certificates.is_empty() && w.kv.is_empty() && w.tokens.is_empty())
}
