//! Application state and what the screen is made of. No terminal, no I/O:
//! key handling (in `actions`) and updates are plain functions, tested
//! without a screen.

use chrono::{DateTime, Utc};

use crate::diagnose::{self, Health, Report, WorkloadReport};
use crate::model::logs::{LogBuffer, LogTarget};
use crate::model::pod::PodInfo;
use crate::model::workload::WorkloadKey;
use crate::model::{Observation, World};
use crate::sources::{Listening, Request};
use crate::theme::Theme;

pub use super::pane::{Geometry, LogChoice, LogView, PaneState, Part};

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
    Namespace,
}

impl Sort {
    const CYCLE: [Sort; 4] = [Sort::Severity, Sort::Expiry, Sort::Name, Sort::Namespace];

    pub fn label(self) -> &'static str {
        match self {
            Sort::Severity => "severity",
            Sort::Expiry => "soonest expiry",
            Sort::Name => "name",
            Sort::Namespace => "namespace",
        }
    }

    pub(super) fn step(self, forward: bool) -> Sort {
        super::cycle(&Self::CYCLE, self, forward)
    }
}

/// A view over the list or the pane, closed with Esc or q.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// The injection spec of a pod.
    Spec {
        namespace: String,
        pod: String,
    },
    /// Text shown to read or select (what `y` copied, where `e` wrote).
    Text {
        title: String,
        body: String,
    },
}

/// Something the app asks of the terminal or the file system: the event
/// loop does it and tells the app how it went ([`App::notice`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Put this (already made safe) text on the clipboard with OSC 52.
    Copy(String),
    /// Write this Markdown to a new file in the current directory.
    Export { file: String, text: String },
    /// The demo scenario: pause or resume, step, restart.
    Demo(DemoControl),
}

pub use crate::sources::demo::Control as DemoControl;

/// What the header shows a trainer running the demo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoInfo {
    /// `t+2m30s ×10`, and `paused` when it is.
    pub clock: String,
    /// What happens next in the scenario, in a few words.
    pub cue: String,
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
    /// `:` command mode and what is typed.
    pub command: Option<String>,
    pub namespace: Option<String>,
    /// The only namespace the source watches (`-n`): nothing to cycle.
    pub fixed_namespace: Option<String>,
    /// Vault's token goes over plain http to another host: the header says so.
    pub token_over_http: bool,
    pub overlay: Option<Overlay>,
    /// The Leases view, when open (a pane opened from it goes back to it).
    pub leases: Option<super::leases::LeasesView>,
    /// The first row of the overlay shown.
    pub overlay_top: usize,
    /// Rows the overlay shows and has (set each frame).
    pub overlay_rows: usize,
    pub overlay_len: usize,
    pub pod_index: usize,
    pub pane: PaneState,
    /// Rows the list can show (set by the view each frame, for paging).
    pub page: usize,
    /// Pane sizes from the last frame.
    pub geometry: Geometry,
    /// One line for the footer after an action (copied, exported, unknown
    /// command); cleared by the next key.
    pub notice: Option<String>,
    /// The demo: scenario paused by the trainer.
    pub demo_paused: bool,
    /// The demo's clock and cue for the header (set by the event loop).
    pub demo: Option<DemoInfo>,
    pub quit: bool,
}

impl UiState {
    pub fn help(&self) -> bool {
        self.overlay == Some(Overlay::Help)
    }
}

pub struct App {
    pub world: World,
    pub report: Report,
    pub ui: UiState,
    pub source: SourceKind,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    /// Rotations seen while the dashboard runs (bounded), for the timeline.
    pub history: super::history::History,
    /// The world changed since the report was computed.
    stale: bool,
    /// Which requests the running sources listen to (live mode: logs, and
    /// Vault's interest when Vault is configured).
    pub listening: Listening,
    /// Requests for the sources, taken by the event loop.
    outbox: Vec<Request>,
    /// What the event loop should do for the app (clipboard, files, demo).
    pub(super) effects: Vec<Effect>,
    /// Vault's interest is recomputed at most once a second, when pods or
    /// classes changed.
    interest_dirty: bool,
    interest_at: Option<DateTime<Utc>>,
    /// Redoes only the workloads whose inputs changed or whose findings
    /// came due (the report is what `diagnose::diagnose` would give).
    diagnoser: diagnose::incremental::Diagnoser,
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
            history: super::history::History::default(),
            stale: false,
            listening: Listening::default(),
            outbox: Vec::new(),
            effects: Vec::new(),
            interest_dirty: false,
            interest_at: None,
            diagnoser: diagnose::incremental::Diagnoser::new(),
        }
    }

    /// Apply `obs`; `false` when it changed nothing on screen (see
    /// [`World::apply`]), so the event loop need not draw.
    pub fn apply(&mut self, obs: Observation) -> bool {
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
        self.history.observe(&obs);
        if let Listed { took } = &obs {
            let pods = self.world.pod_count();
            self.notice(format!(
                "listed {} in {:.1} s",
                crate::model::words::count_grouped(pods, "pod", "pods"),
                took.as_secs_f64()
            ));
        }
        let changed = self.world.apply(obs);
        self.stale |= changed;
        changed
    }

    /// Start again from nothing (the demo restarts its scenario).
    pub fn reset_world(&mut self) {
        self.world = World::default();
        self.history = super::history::History::default();
        self.stale = true;
    }

    /// Recompute the diagnosis if the world changed or the clock moved.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        if self.stale || now != self.now {
            self.now = now;
            self.diagnoser
                .refresh(&mut self.world, now, &mut self.report);
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

    /// What the event loop should do since the last call, oldest first.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub fn has_effects(&self) -> bool {
        !self.effects.is_empty()
    }

    /// The event loop's word on an effect, for the footer.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.ui.notice = Some(text.into());
    }

    /// The pod the open pane shows.
    pub fn open_pod(&self) -> Option<&PodInfo> {
        let w = self.open_workload()?;
        w.pods
            .get(self.ui.pod_index)
            .and_then(|p| self.world.pod(&w.key.namespace, &p.name))
    }

    /// The agent logs of the pod the open pane shows (current, and previous
    /// after restarts); empty when no pane is open.
    pub fn log_targets(&self) -> Vec<LogTarget> {
        let Some(p) = self.open_pod() else {
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

    /// The logs the open pod has, in `c` order: an agent container's
    /// current log, and its previous one only after a restart.
    pub fn log_choices(&self) -> Vec<LogChoice> {
        let Some(p) = self.open_pod() else {
            return Vec::new();
        };
        let mut out: Vec<LogChoice> = crate::model::logs::agent_logs(p)
            .into_iter()
            .filter_map(|(k, _)| LogChoice::of(&k.container, k.previous))
            .collect();
        out.sort_by_key(|c| LogChoice::ALL.iter().position(|a| a == c));
        out
    }

    /// Run `f` on the pane's log view and the buffer it shows, without
    /// copying the buffer (up to 10,000 lines of up to 64 KiB: a copy made
    /// every key press cost half a second).
    pub(crate) fn with_log<R>(
        &mut self,
        f: impl FnOnce(&mut super::pane::LogView, Option<&LogBuffer>) -> R,
    ) -> R {
        let mut view = std::mem::take(&mut self.ui.pane.log);
        // Which buffer is shown is the view's choice.
        self.ui.pane.log.choice = view.choice;
        let r = f(&mut view, self.shown_log());
        self.ui.pane.log = view;
        r
    }

    /// The log buffer the pane shows, if any lines arrived.
    pub fn shown_log(&self) -> Option<&LogBuffer> {
        let w = self.open_workload()?;
        let p = w.pods.get(self.ui.pod_index)?;
        let c = self.ui.pane.log.choice;
        self.world.log(
            &w.key.namespace,
            &p.name,
            c.container(p.injector.unwrap_or_default()),
            c.previous(),
        )
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

    fn in_namespace(&self, w: &WorkloadReport) -> bool {
        self.ui
            .namespace
            .as_ref()
            .is_none_or(|ns| &w.key.namespace == ns)
    }

    fn matches_filter(&self, w: &WorkloadReport) -> bool {
        if !self.in_namespace(w) {
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

    /// Workloads ok, warning and error in the namespace shown (the header's
    /// counts agree with the list under them).
    pub fn counts(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for w in self
            .report
            .workloads
            .iter()
            .filter(|w| self.in_namespace(w))
        {
            n[match w.health {
                Health::Ok => 0,
                Health::Warning => 1,
                Health::Error => 2,
            }] += 1;
        }
        n
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
            Sort::Namespace => v.sort_by(|a, b| {
                (&a.key.namespace, &a.key.name).cmp(&(&b.key.namespace, &b.key.name))
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

    /// The Leases view's rows, in display order (the list's namespace and
    /// filter apply).
    pub fn lease_rows(&self) -> Vec<super::leases::LeaseRow<'_>> {
        let ws: Vec<&WorkloadReport> = self
            .report
            .workloads
            .iter()
            .filter(|w| self.in_namespace(w))
            .collect();
        let sort = self.ui.leases.as_ref().map(|l| l.sort).unwrap_or_default();
        super::leases::shown(&ws, &self.ui.filter, sort, self.now)
    }

    /// The selected row of [`App::lease_rows`].
    pub fn lease_selected(&self, rows: &[super::leases::LeaseRow<'_>]) -> usize {
        self.ui
            .leases
            .as_ref()
            .and_then(|l| l.selected.as_ref())
            .and_then(|id| rows.iter().position(|r| &r.id() == id))
            .unwrap_or(0)
    }

    pub(super) fn lease_select_at(&mut self, i: usize) {
        let id = {
            let rows = self.lease_rows();
            rows.get(i.min(rows.len().saturating_sub(1)))
                .map(|r| r.id())
        };
        if let Some(l) = self.ui.leases.as_mut() {
            l.selected = id;
        }
    }

    pub(super) fn lease_move(&mut self, delta: isize) {
        let (i, len) = {
            let rows = self.lease_rows();
            (self.lease_selected(&rows), rows.len())
        };
        if len == 0 {
            return;
        }
        let j = (i as isize + delta).clamp(0, len as isize - 1) as usize;
        self.lease_select_at(j);
    }

    pub(super) fn selected_workload(&self) -> Option<&WorkloadReport> {
        let v = self.visible();
        v.get(self.selected_index(&v)).copied()
    }

    pub(super) fn select_at(&mut self, i: usize) {
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

    pub(super) fn move_selection(&mut self, delta: isize) {
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
}
