//! The built-in demo: a scenario that plays a small cluster and Vault through
//! the same observations a live source produces. Everything here is made up,
//! and the header says DEMO.
//!
//! The scenario is deterministic: it is simulated second by second from a
//! base time, so the same base and elapsed time always give the same state
//! (screenshots and tests rely on that).
//!
//! - `workloads`: what the cluster holds at the start, workload by workload,
//!   and the failures that keep recurring;
//! - `pods`: the pods, replica sets and container states the workloads are made of;
//! - `logs`: the agent log texts;
//! - `vault`: the Vault side: seal, leases and their renewals, certificates
//!   and their re-issues, the rotating KV secret;
//! - `player`: time: `advance` one second at a time, `snapshot`, `play`.

mod logs;
mod player;
mod pods;
mod vault;
mod workloads;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::model::Observation;
use crate::model::pod::PodInfo;

pub use player::{Control, LOOP_SECS, cue, play, snapshot};

pub const VAULT_ADDR: &str = "https://vault.vault.svc:8200";
const VAULT_VERSION: &str = "1.17.3";
/// Vault is sealed for this window of the scenario (seconds from the start).
pub const SEALED_FROM: i64 = 150;
pub const SEALED_UNTIL: i64 = 190;

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub struct Scenario {
    base: DateTime<Utc>,
    /// Seconds from base simulated so far.
    at: i64,
    pods: BTreeMap<(String, String), PodInfo>,
    leases: Vec<vault::DemoLease>,
    certs: Vec<vault::DemoCert>,
    kv_version: u64,
    kv_updated: i64,
    cart_mount_failures: i32,
    /// Observations that happen a moment after the second that caused them
    /// (a re-render after a renewal), held until the clock gets there: the
    /// demo never shows a line from the future.
    pending: Vec<(i64, Observation)>,
}

impl Scenario {
    pub fn new(base: DateTime<Utc>) -> Scenario {
        Scenario {
            base,
            at: 0,
            pods: BTreeMap::new(),
            leases: Vec::new(),
            certs: Vec::new(),
            kv_version: 6,
            kv_updated: -3 * 3600,
            cart_mount_failures: 14,
            pending: Vec::new(),
        }
    }

    pub fn base(&self) -> DateTime<Utc> {
        self.base
    }

    fn t(&self, s: i64) -> DateTime<Utc> {
        self.base + Duration::seconds(s)
    }

    /// Emit `o` when the scenario reaches second `due`.
    fn later(&mut self, due: i64, o: Observation) {
        self.pending.push((due, o));
    }
}
