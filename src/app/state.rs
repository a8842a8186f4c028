//! Application state and its transitions. No terminal, no I/O: key handling
//! and updates are plain functions, tested without a screen.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::{Action, action_for};
use crate::diagnose::{self, Report, WorkloadReport};
use crate::model::injector::Injector;
use crate::model::logs::LogTarget;
use crate::model::workload::WorkloadKey;
use crate::model::{Observation, World};
use crate::sources::{Listening, Request};
use crate::theme::Theme;

/// Where the data comes from, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    Demo,
    Bundle { dir: String },
    Live { context: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Severity,
    Expiry,
    Name,
}

impl Sort {
    pub fn label(self) -> &'static str {
        match self {
            Sort::Severity => "severity",
            Sort::Expiry => "soonest expiry",
            Sort::Name => "name",
        }
    }

    fn next(self) -> Sort {
        match self {
            Sort::Severity => Sort::Expiry,
            Sort::Expiry => Sort::Name,
            Sort::Name => Sort::Severity,
        }
    }
}

/// Which agent log the pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogChoice {
    Init,
    #[default]
    Sidecar,
    SidecarPrevious,
}

impl LogChoice {
    /// The container this choice names in a pod of `injector`.
    pub fn container(self, injector: Injector) -> &'static str {
        match self {
            LogChoice::Init => injector.init_container(),
            LogChoice::Sidecar | LogChoice::SidecarPrevious => injector.sidecar(),
        }
    }

    pub fn previous(self) -> bool {
        self == LogChoice::SidecarPrevious
    }

    fn next(self) -> LogChoice {
        match self {
            LogChoice::Init => LogChoice::Sidecar,
            LogChoice::Sidecar => LogChoice::SidecarPrevious,
            LogChoice::SidecarPrevious => LogChoice::Init,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct UiState {
    /// The open workload pane, if any.
    pub open: Option<WorkloadKey>,
    /// The selected workload in the list (kept across re-sorting).
    pub selected: Option<WorkloadKey>,
    pub sort: Sort,
    pub filter: String,
    pub editing_filter: bool,
    pub namespace: Option<String>,
    /// The only namespace the source watches (`-n`): nothing to cycle.
    pub fixed_namespace: Option<String>,
    /// Vault's token goes over plain http to another host: the header says so.
    pub token_over_http: bool,
    pub help: bool,
    pub pod_index: usize,
    pub log: LogChoice,
    /// When false the log view stays where the user scrolled it.
    pub log_paused: bool,
    /// Lines above the newest one the log view ends at, when paused.
    pub log_offset: usize,
    /// Rows the list can show (set by the view each frame, for paging).
    pub page: usize,
    pub quit: bool,
}

pub struct App {
    pub world: World,
    pub report: Report,
    pub ui: UiState,
    pub source: SourceKind,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    /// The world changed since the report was computed.
    stale: bool,
    /// Which requests the running sources listen to (live mode: logs, and
    /// Vault's interest when Vault is configured).
    pub listening: Listening,
    /// Requests for the sources, taken by the event loop.
    outbox: Vec<Request>,
    /// Vault's interest is recomputed at most once a second, when pods or
    /// classes changed.
    interest_dirty: bool,
    interest_at: Option<DateTime<Utc>>,
}

impl App {
    pub fn new(source: SourceKind, theme: Theme, now: DateTime<Utc>) -> App {
        let world = World::default();
        let report = diagnose::diagnose(&world, now);
        App {
            world,
            report,
            ui: UiState {
                page: 20,
                ..UiState::default()
            },
            source,
            theme,
            now,
            stale: false,
            listening: Listening::default(),
            outbox: Vec::new(),
            interest_dirty: false,
            interest_at: None,
        }
    }

    pub fn apply(&mut self, obs: Observation) {
        use Observation::*;
        if matches!(
            obs,
            PodApplied(_)
                | PodDeleted { .. }
                | ReplicaSetApplied(_)
                | ReplicaSetDeleted { .. }
                | ClassApplied(_)
                | ClassDeleted { .. }
                | PodStatusApplied(_)
                | PodStatusDeleted { .. }
        ) {
            self.interest_dirty = true;
        }
        self.world.apply(obs);
        self.stale = true;
    }

    /// Recompute the diagnosis if the world changed or the clock moved.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        if self.stale || now != self.now {
            self.now = now;
            self.report = diagnose::diagnose(&self.world, now);
            self.stale = false;
            // The open workload went away (a finished Job cleaned up, a
            // rollout done): back to the list rather than a dead pane.
            if self.ui.open.is_some() && self.open_workload().is_none() {
                self.ui.open = None;
            }
        }
        self.publish(now);
    }

    /// Ask the log source for the logs the screen shows now.
    pub fn publish_targets(&mut self) {
        if self.listening.logs {
            let want = self.log_targets();
            self.outbox.push(Request::FollowLogs(want));
        }
    }

    /// Ask live sources for what the screen needs: the logs shown, and (at
    /// most once a second) Vault's interest.
    fn publish(&mut self, now: DateTime<Utc>) {
        self.publish_targets();
        if self.listening.vault
            && self.interest_dirty
            && self
                .interest_at
                .is_none_or(|t| now - t >= chrono::Duration::seconds(1))
        {
            self.interest_dirty = false;
            self.interest_at = Some(now);
            let want = crate::model::interest::interest(&self.world);
            self.outbox.push(Request::VaultInterest(want));
        }
    }

    /// The requests for the sources since the last call, oldest first.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    /// The agent logs of the pod the open pane shows (current, and previous
    /// after restarts); empty when no pane is open.
    pub fn log_targets(&self) -> Vec<LogTarget> {
        let Some(w) = self.open_workload() else {
            return Vec::new();
        };
        let Some(p) = w
            .pods
            .get(self.ui.pod_index)
            .and_then(|p| self.world.pod(&w.key.namespace, &p.name))
        else {
            return Vec::new();
        };
        crate::model::logs::agent_logs(p)
            .into_iter()
            .map(|(key, c)| LogTarget {
                key,
                restarts: c.restart_count,
            })
            .collect()
    }

    /// Move the clock without re-diagnosing: countdowns are drawn from `now`.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
    }

    /// Namespaces that have workloads, sorted.
    pub fn namespaces(&self) -> Vec<String> {
        let mut ns: Vec<String> = self
            .report
            .workloads
            .iter()
            .map(|w| w.key.namespace.clone())
            .collect();
        ns.sort();
        ns.dedup();
        ns
    }

    fn matches_filter(&self, w: &WorkloadReport) -> bool {
        if let Some(ns) = &self.ui.namespace
            && &w.key.namespace != ns
        {
            return false;
        }
        let f = self.ui.filter.trim().to_lowercase();
        if f.is_empty() {
            return true;
        }
        let hay = [
            w.key.namespace.as_str(),
            w.key.kind.as_str(),
            w.key.name.as_str(),
            w.health.as_str(),
            w.method.label(),
        ];
        hay.iter().any(|h| h.to_lowercase().contains(&f))
            || w.findings
                .iter()
                .any(|x| x.code.as_str().contains(&f) || x.message.to_lowercase().contains(&f))
            || w.pods.iter().any(|p| p.name.contains(&f))
    }

    /// What one frame shows.
    pub fn ctx(&self) -> super::view::Ctx<'_> {
        super::view::Ctx::of(self)
    }

    /// The workloads the list shows, in display order.
    pub fn visible(&self) -> Vec<&WorkloadReport> {
        let mut v: Vec<&WorkloadReport> = self
            .report
            .workloads
            .iter()
            .filter(|w| self.matches_filter(w))
            .collect();
        match self.ui.sort {
            // The report is already worst first.
            Sort::Severity => {}
            Sort::Expiry => v.sort_by_key(|w| {
                (
                    w.soonest_expiry().is_none(),
                    w.soonest_expiry(),
                    w.key.clone(),
                )
            }),
            Sort::Name => v.sort_by(|a, b| {
                (&a.key.name, &a.key.namespace).cmp(&(&b.key.name, &b.key.namespace))
            }),
        }
        v
    }

    pub fn selected_index(&self, visible: &[&WorkloadReport]) -> usize {
        self.ui
            .selected
            .as_ref()
            .and_then(|k| visible.iter().position(|w| &w.key == k))
            .unwrap_or(0)
    }

    pub fn open_workload(&self) -> Option<&WorkloadReport> {
        let k = self.ui.open.as_ref()?;
        self.report.workloads.iter().find(|w| &w.key == k)
    }

    fn select_at(&mut self, i: usize) {
        let key = {
            let v = self.visible();
            if v.is_empty() {
                None
            } else {
                Some(v[i.min(v.len() - 1)].key.clone())
            }
        };
        self.ui.selected = key;
    }

    fn move_selection(&mut self, delta: isize) {
        let (i, len) = {
            let v = self.visible();
            (self.selected_index(&v), v.len())
        };
        if len == 0 {
            return;
        }
        let j = (i as isize + delta).clamp(0, len as isize - 1) as usize;
        self.select_at(j);
    }

    fn pods_of_open(&self) -> usize {
        self.open_workload().map_or(0, |w| w.pods.len())
    }

    /// Handle one key. Returns whether anything visible changed.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        if key.kind != crossterm::event::KeyEventKind::Press
            && key.kind != crossterm::event::KeyEventKind::Repeat
        {
            return false;
        }
        if self.ui.editing_filter {
            return self.on_filter_key(key);
        }
        if self.ui.help {
            // Any key closes help; q still quits.
            self.ui.help = false;
            if matches!(key.code, KeyCode::Char('q'))
                || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL))
            {
                self.ui.quit = true;
            }
            return true;
        }
        let in_pane = self.ui.open.is_some();
        let Some(action) = action_for(key, in_pane) else {
            if !in_pane && key.code == KeyCode::Esc && !self.ui.filter.is_empty() {
                self.ui.filter.clear();
                return true;
            }
            return false;
        };
        self.perform(action);
        true
    }

    pub fn perform(&mut self, action: Action) {
        let in_pane = self.ui.open.is_some();
        match action {
            Action::Quit => self.ui.quit = true,
            Action::Help => self.ui.help = true,
            Action::Up if in_pane => self.step_pod(-1),
            Action::Down if in_pane => self.step_pod(1),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-(self.ui.page.max(1) as isize)),
            Action::PageDown => self.move_selection(self.ui.page.max(1) as isize),
            Action::Top => self.select_at(0),
            Action::Bottom => self.select_at(usize::MAX),
            Action::Open => {
                let key = {
                    let v = self.visible();
                    v.get(self.selected_index(&v)).map(|w| w.key.clone())
                };
                if let Some(k) = key {
                    self.ui.selected = Some(k.clone());
                    self.ui.open = Some(k);
                    self.ui.pod_index = 0;
                    self.ui.log = self.default_log_choice();
                    self.ui.log_paused = false;
                    self.ui.log_offset = 0;
                }
            }
            Action::Back => self.ui.open = None,
            Action::Filter => self.ui.editing_filter = true,
            Action::CycleSort => self.ui.sort = self.ui.sort.next(),
            Action::CycleNamespace if self.ui.fixed_namespace.is_some() => {}
            Action::CycleNamespace => {
                let ns = self.namespaces();
                self.ui.namespace = match &self.ui.namespace {
                    None => ns.first().cloned(),
                    Some(cur) => ns.iter().skip_while(|n| *n != cur).nth(1).cloned(),
                };
            }
            Action::NextPod => self.step_pod(1),
            Action::PrevPod => self.step_pod(-1),
            Action::NextLog => {
                self.ui.log = self.ui.log.next();
                self.ui.log_offset = 0;
            }
            Action::ToggleFollow => {
                self.ui.log_paused = !self.ui.log_paused;
                if !self.ui.log_paused {
                    self.ui.log_offset = 0;
                }
            }
            Action::LogUp => {
                self.ui.log_paused = true;
                self.ui.log_offset = self.ui.log_offset.saturating_add(10);
            }
            Action::LogDown => {
                self.ui.log_offset = self.ui.log_offset.saturating_sub(10);
                if self.ui.log_offset == 0 {
                    self.ui.log_paused = false;
                }
            }
        }
    }

    fn step_pod(&mut self, delta: isize) {
        let n = self.pods_of_open();
        if n == 0 {
            return;
        }
        self.ui.pod_index = (self.ui.pod_index as isize + delta).rem_euclid(n as isize) as usize;
        self.ui.log = self.default_log_choice();
        self.ui.log_offset = 0;
    }

    /// The init container's log while it has not finished, else the sidecar's.
    fn default_log_choice(&self) -> LogChoice {
        let pod = self.open_workload().and_then(|w| {
            w.pods
                .get(self.ui.pod_index)
                .and_then(|p| self.world.pod(&w.key.namespace, &p.name))
        });
        let Some(pod) = pod else {
            return LogChoice::Sidecar;
        };
        match pod.agent_init() {
            Some(init) if pod.agent_sidecar().is_none() || !init.completed() => LogChoice::Init,
            _ => LogChoice::Sidecar,
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
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.ui.quit = true
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
}
