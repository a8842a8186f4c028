//! The interactive dashboard in a terminal: the event loop that feeds the
//! app (state and keys, `crate::app`) and draws it (`crate::ui`), and the
//! terminal guard that restores the screen on every exit.

pub mod effects;
pub mod run;
pub mod terminal;

use ratatui::Frame;

use crate::app::App;

/// One frame: the app's view drawn, and what the drawing learnt (how many
/// rows the list shows, the pane's and the overlay's sizes) handed back to
/// the app, so keys move by what the user saw.
pub fn draw(f: &mut Frame, app: &mut App) {
    let drawn = crate::ui::draw(f, &app.ctx());
    app.ui.page = drawn.list_rows;
    if app.ui.open.is_some() {
        app.ui.geometry = drawn.geometry;
        // A scroll position past a shrunk pane comes back into range.
        app.ui.pane.top = app.ui.pane.top.min(drawn.geometry.pane_max_top());
    }
    if app.ui.overlay.is_some() {
        app.ui.overlay_rows = drawn.overlay_rows;
        app.ui.overlay_len = drawn.overlay_len;
        let max = drawn.overlay_len.saturating_sub(drawn.overlay_rows);
        app.ui.overlay_top = app.ui.overlay_top.min(max);
    }
}
