//! The interactive dashboard in a terminal: the event loop that feeds the
//! app (state and keys, `crate::app`) and draws it (`crate::ui`), and the
//! terminal guard that restores the screen on every exit.

pub mod run;
pub mod terminal;

use ratatui::Frame;

use crate::app::App;

/// One frame: the app's view drawn, and what the drawing learnt (how many
/// rows the list shows, for paging) handed back to the app.
pub fn draw(f: &mut Frame, app: &mut App) {
    let drawn = crate::ui::draw(f, &app.ctx());
    app.ui.page = drawn.list_rows;
}
