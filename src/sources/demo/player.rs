//! Time in the demo: the scenario advances one simulated second at a time,
//! so any base and elapsed time give the same state however they are reached.

use chrono::{DateTime, Duration, Utc};

use crate::model::Observation;

use super::{SEALED_FROM, SEALED_UNTIL, Scenario};

impl Scenario {
    /// Simulate one second of the scenario.
    fn step(&mut self, s: i64, out: &mut Vec<Observation>) {
        self.at = s;
        // What was due by now, in the order it was planned.
        let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(d, _)| *d <= s);
        self.pending = rest;
        out.extend(due.into_iter().map(|(_, o)| o));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::log_line::line_timestamp;

    /// Issue 11, defect 12: nothing the demo emits is dated after the
    /// second it is emitted at (the header's clock), over a whole story.
    #[test]
    fn nothing_comes_from_the_future() {
        let base: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
        let mut s = Scenario::new(base);
        let check = |now: DateTime<Utc>, obs: Vec<Observation>| {
            for o in obs {
                match o {
                    Observation::LogLines { key, lines } => {
                        for l in lines {
                            if let Some(at) = line_timestamp(&l) {
                                assert!(at <= now, "{} at {now}: {l}", key.pod);
                            }
                        }
                    }
                    Observation::EventApplied(e) => {
                        assert!(e.last_seen.is_none_or(|t| t <= now), "{e:?} at {now}");
                    }
                    Observation::KvMetadata(kv) => {
                        for k in kv {
                            assert!(k.updated_time.is_none_or(|t| t <= now), "{k:?} at {now}");
                        }
                    }
                    Observation::Leases(leases) => {
                        for l in leases {
                            assert!(l.issue_time.is_none_or(|t| t <= now), "{l:?} at {now}");
                            assert!(l.last_renewal.is_none_or(|t| t <= now), "{l:?} at {now}");
                        }
                    }
                    _ => {}
                }
            }
        };
        check(base, s.initial());
        for sec in 1..=900 {
            let now = base + Duration::seconds(sec);
            check(now, s.advance(now));
        }
    }
}
