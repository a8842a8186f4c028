//! The dashboard's state and key handling: pure, tested without a terminal.
//! The event loop that feeds it is in `crate::dashboard`; drawing, in
//! `crate::ui`, gets a read-only [`view::Ctx`].

mod actions;
pub mod export;
pub mod history;
pub mod keys;
pub mod leases;
pub mod pane;
pub mod state;
pub mod view;

pub use state::{App, Effect, SourceKind};

/// The next (or previous) of `all` after `cur`, wrapping around: a sort
/// order's `s` / `S`.
fn cycle<T: Copy + PartialEq>(all: &[T], cur: T, forward: bool) -> T {
    let i = all.iter().position(|s| *s == cur).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}
pub use view::Ctx;
