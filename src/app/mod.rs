//! The interactive dashboard: state and key handling (pure), and the
//! terminal event loop that feeds it.

pub mod keys;
pub mod run;
pub mod state;
pub mod terminal;

pub use state::{App, SourceKind};
