//! The dashboard's state and key handling: pure, tested without a terminal.
//! The event loop that feeds it is in `crate::dashboard`; drawing, in
//! `crate::ui`, gets a read-only [`view::Ctx`].

pub mod keys;
pub mod state;
pub mod view;

pub use state::{App, SourceKind};
pub use view::Ctx;
