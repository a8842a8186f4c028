//! What the screen shows, read-only, for one frame (the `Ctx` that drawing
//! gets): `ui` draws from this and never sees the app itself.

use chrono::{DateTime, Utc};

use super::pane::{LogChoice, Part};
use super::state::{App, SourceKind, UiState};
use crate::diagnose::{Report, WorkloadReport};
use crate::model::World;
use crate::model::pod::PodInfo;
use crate::theme::Theme;

pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub source: &'a SourceKind,
    pub report: &'a Report,
    pub world: &'a World,
    pub history: &'a super::history::History,
    pub ui: &'a UiState,
    visible: Vec<&'a WorkloadReport>,
    selected: usize,
    open: Option<&'a WorkloadReport>,
    open_pod: Option<&'a PodInfo>,
    counts: [usize; 3],
    parts: Vec<Part>,
    log_choices: Vec<LogChoice>,
    lease_rows: Vec<super::leases::LeaseRow<'a>>,
    lease_selected: usize,
}

impl<'a> Ctx<'a> {
    pub fn of(app: &'a App) -> Ctx<'a> {
        let visible = app.visible();
        let selected = app.selected_index(&visible);
        // Built only while the view is open: it walks every lease.
        let lease_rows = if app.ui.leases.is_some() && app.ui.open.is_none() {
            app.lease_rows()
        } else {
            Vec::new()
        };
        let lease_selected = app.lease_selected(&lease_rows);
        Ctx {
            theme: &app.theme,
            now: app.now,
            source: &app.source,
            report: &app.report,
            world: &app.world,
            history: &app.history,
            ui: &app.ui,
            open: app.open_workload(),
            open_pod: app.open_pod(),
            counts: app.counts(),
            parts: app.parts(),
            log_choices: app.log_choices(),
            visible,
            selected,
            lease_rows,
            lease_selected,
        }
    }

    /// The Leases view's rows in display order (empty when it is closed).
    pub fn lease_rows(&self) -> &[super::leases::LeaseRow<'a>] {
        &self.lease_rows
    }

    /// The selected row of [`Ctx::lease_rows`].
    pub fn lease_selected(&self) -> usize {
        self.lease_selected
    }

    /// The workloads the list shows, in display order.
    pub fn visible(&self) -> &[&'a WorkloadReport] {
        &self.visible
    }

    /// The selected row of [`Ctx::visible`].
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The workload whose pane is open.
    pub fn open_workload(&self) -> Option<&'a WorkloadReport> {
        self.open
    }

    /// The pod the open pane shows.
    pub fn open_pod(&self) -> Option<&'a PodInfo> {
        self.open_pod
    }

    /// Workloads ok, warning and error in the namespace shown.
    pub fn counts(&self) -> [usize; 3] {
        self.counts
    }

    /// The parts of the open pane that Tab reaches.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The agent logs the open pod has.
    pub fn log_choices(&self) -> &[LogChoice] {
        &self.log_choices
    }

    pub fn is_demo(&self) -> bool {
        *self.source == SourceKind::Demo
    }

    pub fn is_bundle(&self) -> bool {
        matches!(self.source, SourceKind::Bundle { .. })
    }
}
