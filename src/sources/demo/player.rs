//! Time in the demo: the scenario advances one simulated second at a time,
//! so any base and elapsed time give the same state however they are reached.

use chrono::{DateTime, Duration, Utc};

use crate::model::Observation;

use super::{SEALED_FROM, SEALED_UNTIL, Scenario};

impl Scenario {
    /// Simulate one second of the scenario.
    fn step(&mut self, s: i64, out: &mut Vec<Observation>) {
        self.at = s;
        let sealed = self.sealed(s);
        if s == SEALED_FROM || s == SEALED_UNTIL {
            out.push(self.vault_status());
        }
        self.renew_leases(s, sealed, out);
        self.renew_tokens(s, sealed, out);
        self.reissue_certs(s, sealed, out);
        self.rotate_kv(s, sealed, out);
        self.keep_failing(s, out);
    }

    /// Simulate up to `to`, returning what changed.
    pub fn advance(&mut self, to: DateTime<Utc>) -> Vec<Observation> {
        let target = (to - self.base).num_seconds();
        let mut out = Vec::new();
        while self.at < target {
            let s = self.at + 1;
            self.step(s, &mut out);
        }
        out
    }
}

/// The whole scenario as of `base + elapsed`, as one list of observations.
pub fn snapshot(base: DateTime<Utc>, elapsed: Duration) -> Vec<Observation> {
    let mut s = Scenario::new(base);
    let mut obs = s.initial();
    obs.extend(s.advance(base + elapsed));
    obs
}

/// Play the scenario into `tx` on `clock`, until the receiver goes away.
pub async fn play(
    mut scenario: Scenario,
    clock: crate::clock::Clock,
    tx: tokio::sync::mpsc::Sender<Observation>,
) {
    for o in scenario.initial() {
        if tx.send(o).await.is_err() {
            return;
        }
    }
    let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        every.tick().await;
        for o in scenario.advance(clock.now()) {
            if tx.send(o).await.is_err() {
                return;
            }
        }
    }
}
