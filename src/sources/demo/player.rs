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

/// What a trainer asks of the running scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Pause,
    Resume,
    /// Pause, and move to the next second in which something happens.
    Step,
    /// Back to the start of the story.
    Restart,
}

/// The story loops after this long rather than settle.
pub const LOOP_SECS: i64 = 480;

/// What happens next in the story, for the header: a trainer can narrate.
pub fn cue(elapsed: i64) -> String {
    let fixed = [
        (SEALED_FROM, "Vault seals: logins and renewals fail"),
        (SEALED_UNTIL, "Vault is unsealed: agents recover"),
        (
            super::LATE_RENDER_AT,
            "metrics-gateway-9mq4r renders the token rotated 17 minutes ago",
        ),
        (LOOP_SECS, "the story starts again"),
    ];
    let every = [
        (90, 45, "the KV secret rotates and config-sync re-renders"),
        (60, 20, "invoices' agent restarts and crashes again"),
        (120, 100, "kubelet retries cart's CSI mount"),
    ];
    let next_of = |period: i64, phase: i64| {
        let k = (elapsed - phase).div_euclid(period) + 1;
        phase + k * period
    };
    let beats = fixed.into_iter().filter(|(at, _)| *at > elapsed).chain(
        every
            .into_iter()
            .map(|(p, ph, what)| (next_of(p, ph), what)),
    );
    match beats.min_by_key(|(at, _)| *at) {
        Some((at, what)) => format!("next, in {}s: {what}", at - elapsed),
        None => String::new(),
    }
}

impl Scenario {
    /// Step to the next second in which something happens (at most ten
    /// minutes on), returning it and what happened.
    pub fn advance_to_next_event(&mut self) -> (i64, Vec<Observation>) {
        let mut out = Vec::new();
        let limit = self.at + 600;
        while out.is_empty() && self.at < limit {
            let s = self.at + 1;
            self.step(s, &mut out);
        }
        (self.at, out)
    }
}

async fn send_all(tx: &tokio::sync::mpsc::Sender<Observation>, obs: Vec<Observation>) -> bool {
    for o in obs {
        if tx.send(o).await.is_err() {
            return false;
        }
    }
    true
}

/// Play the scenario from `clock`'s start into `tx`, until the receiver
/// goes away; `controls` pause, step and restart it, and the story starts
/// again after [`LOOP_SECS`].
pub async fn play(
    clock: crate::clock::DemoClock,
    tx: tokio::sync::mpsc::Sender<Observation>,
    mut controls: Option<tokio::sync::mpsc::UnboundedReceiver<Control>>,
) {
    let start = clock.start();
    let mut scenario = Scenario::new(start);
    if !send_all(&tx, scenario.initial()).await {
        return;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        let control = tokio::select! {
            _ = every.tick() => None,
            c = async { controls.as_mut().expect("guarded").recv().await }, if controls.is_some() => {
                if c.is_none() {
                    controls = None;
                }
                c
            }
        };
        let restart = match control {
            Some(Control::Pause) => {
                clock.pause();
                false
            }
            Some(Control::Resume) => {
                clock.resume();
                false
            }
            Some(Control::Step) => {
                clock.pause();
                let (at, obs) = scenario.advance_to_next_event();
                clock.seek(Duration::seconds(at));
                if !send_all(&tx, obs).await {
                    return;
                }
                false
            }
            Some(Control::Restart) => true,
            None => clock.elapsed() >= Duration::seconds(LOOP_SECS),
        };
        if restart {
            clock.seek(Duration::zero());
            scenario = Scenario::new(start);
            let mut obs = vec![Observation::Reset];
            obs.extend(scenario.initial());
            if !send_all(&tx, obs).await {
                return;
            }
        }
        if !send_all(&tx, scenario.advance(clock.now())).await {
            return;
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

#[cfg(test)]
mod control_tests {
    use super::*;
    use crate::clock::DemoClock;

    #[test]
    fn cues_name_the_next_beat() {
        assert_eq!(
            cue(130),
            "next, in 5s: the KV secret rotates and config-sync re-renders"
        );
        assert_eq!(
            cue(146),
            "next, in 4s: Vault seals: logins and renewals fail"
        );
        assert_eq!(cue(185), "next, in 5s: Vault is unsealed: agents recover");
    }

    /// Pause, step and restart reach the scenario; a restart tells the app
    /// to forget what it saw first.
    #[tokio::test(flavor = "current_thread")]
    async fn controls_pause_step_and_restart() {
        let base: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
        let clock = DemoClock::new(base, 1.0, Duration::seconds(140));
        let (tx, mut rx) = tokio::sync::mpsc::channel(100_000);
        let (ctx, crx) = tokio::sync::mpsc::unbounded_channel();
        ctx.send(Control::Pause).unwrap();
        let player = tokio::spawn(play(clock.clone(), tx, Some(crx)));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(clock.paused());
        let paused_at = clock.elapsed();
        ctx.send(Control::Step).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let stepped = clock.elapsed();
        assert!(stepped > paused_at && stepped <= paused_at + Duration::seconds(600));
        assert_eq!(
            stepped.num_milliseconds() % 1000,
            0,
            "a step lands on a second"
        );
        while rx.try_recv().is_ok() {}
        ctx.send(Control::Restart).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(matches!(rx.try_recv(), Ok(Observation::Reset)));
        assert_eq!(clock.elapsed(), Duration::zero());
        player.abort();
    }
}
