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
/// The OpenBao server the OpenBao-injected workload logs in to (the demo
/// polls only Vault).
pub const OPENBAO_ADDR: &str = "https://openbao.openbao.svc:8200";
const OPENBAO_VERSION: &str = "2.2.0";
/// Vault is sealed for this window of the scenario (seconds from the start).
pub const SEALED_FROM: i64 = 150;
pub const SEALED_UNTIL: i64 = 190;
/// The metrics token was rotated this long before the story starts; one
/// metrics-gateway pod rendered it at once, the other renders it at
/// [`LATE_RENDER_AT`], long after its 5-minute render interval.
pub const METRICS_ROTATED: i64 = -900;
pub const LATE_RENDER_AT: i64 = 120;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Observation;
    use crate::model::injector::Injector;
    use crate::model::log_line::line_timestamp;

    fn base() -> DateTime<Utc> {
        "2026-11-28T10:00:00Z".parse().unwrap()
    }

    /// The player hands out what happened up to now, never a log line
    /// stamped later than the scenario's clock.
    #[test]
    fn no_log_line_is_from_the_future() {
        for elapsed in [0, 1, 29, 30, 151, 600, 3601] {
            let now = base() + Duration::seconds(elapsed);
            for o in player::snapshot(base(), Duration::seconds(elapsed)) {
                let Observation::LogLines { key, lines } = o else {
                    continue;
                };
                for l in &lines {
                    if let Some(t) = line_timestamp(l) {
                        assert!(t <= now, "at +{elapsed}s {key:?} has {l}");
                    }
                }
            }
        }
    }

    /// One workload is injected by OpenBao's injector, as openbao-k8s
    /// leaves a pod: `openbao.org/*` annotations, its two containers and
    /// both their logs.
    #[test]
    fn an_openbao_injected_workload_plays_along() {
        let obs = player::snapshot(base(), Duration::seconds(30));
        let pod = obs
            .iter()
            .find_map(|o| match o {
                Observation::PodApplied(p) if p.name.starts_with("feature-flags-") => Some(p),
                _ => None,
            })
            .expect("the OpenBao workload");
        assert_eq!(pod.injected_by(), Some(Injector::OpenBao));
        assert!(
            pod.annotations
                .keys()
                .all(|k| k.starts_with("openbao.org/"))
        );
        assert_eq!(pod.agent_init().unwrap().name, "openbao-agent-init");
        assert_eq!(pod.agent_sidecar().unwrap().name, "openbao-agent");
        let logs: Vec<&str> = obs
            .iter()
            .filter_map(|o| match o {
                Observation::LogLines { key, .. } if key.pod == pod.name => {
                    Some(key.container.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(logs, ["openbao-agent-init", "openbao-agent"]);
    }
}
