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
pub use view::Ctx;
