//! The pure model: plain data and functions over it. No async, no I/O and no
//! clock reads; time is always passed in.

pub mod annotations;
pub mod changes;
pub mod cluster;
pub mod csi;
pub mod injection;
pub mod injector;
pub mod interest;
pub mod log_line;
pub mod logs;
pub mod objects;
pub mod paths;
pub mod pod;
pub mod vault;
pub mod words;
pub mod workload;
pub mod world;

pub use world::{Observation, World};

/// k8s-openapi timestamps (jiff) as chrono, which the rest of the model uses.
pub(crate) fn utc(t: &k8s_openapi::jiff::Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}
