//! What the screen shows, read-only, for one frame (the `Ctx` that drawing
//! gets): `ui` draws from this and never sees the app itself.

use chrono::{DateTime, Utc};

use super::state::{App, SourceKind, UiState};
use crate::diagnose::{Report, WorkloadReport};
use crate::model::World;
use crate::theme::Theme;

pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub source: &'a SourceKind,
    pub report: &'a Report,
    pub world: &'a World,
    pub ui: &'a UiState,
    visible: Vec<&'a WorkloadReport>,
    selected: usize,
    open: Option<&'a WorkloadReport>,
}

impl<'a> Ctx<'a> {
    pub fn of(app: &'a App) -> Ctx<'a> {
        let visible = app.visible();
        let selected = app.selected_index(&visible);
        Ctx {
            theme: &app.theme,
            now: app.now,
            source: &app.source,
            report: &app.report,
            world: &app.world,
            ui: &app.ui,
            open: app.open_workload(),
            visible,
            selected,
        }
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
}
