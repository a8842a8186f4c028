//! Where "now" comes from. The model never reads a clock; the app asks this
//! and passes the time in. The demo runs on a scaled clock so `--speed`
//! fast-forwards the scenario, and tests use a fixed one.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone)]
pub enum Clock {
    Wall,
    /// `start` at the moment `started`, running `speed` times faster.
    Scaled {
        started: Instant,
        start: DateTime<Utc>,
        speed: f64,
    },
    Fixed(DateTime<Utc>),
    /// The demo's: scaled, and a trainer can pause it and move it.
    Demo(DemoClock),
}

impl Clock {
    pub fn scaled(start: DateTime<Utc>, speed: f64) -> Clock {
        Clock::Scaled {
            started: Instant::now(),
            start,
            speed,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Wall => Utc::now(),
            Clock::Scaled {
                started,
                start,
                speed,
            } => {
                let real = started.elapsed().as_secs_f64() * speed;
                *start + Duration::milliseconds((real * 1000.0) as i64)
            }
            Clock::Fixed(t) => *t,
            Clock::Demo(d) => d.now(),
        }
    }

    /// Now, truncated to whole seconds: countdowns tick once a second.
    pub fn now_seconds(&self) -> DateTime<Utc> {
        let n = self.now();
        DateTime::from_timestamp(n.timestamp(), 0).unwrap_or(n)
    }
}

/// Scenario time for the demo: `speed` times real time from `start`, which
/// a trainer can pause, resume and move (restart, step, `--at`). Clones
/// share one time: the player and the screen read the same clock.
#[derive(Debug, Clone)]
pub struct DemoClock(Arc<Mutex<DemoTime>>);

#[derive(Debug)]
struct DemoTime {
    start: DateTime<Utc>,
    speed: f64,
    /// Scenario time elapsed at `since`, in milliseconds.
    elapsed_ms: i64,
    since: Instant,
    paused: bool,
}

impl DemoTime {
    fn elapsed_ms(&self) -> i64 {
        if self.paused {
            self.elapsed_ms
        } else {
            self.elapsed_ms + (self.since.elapsed().as_secs_f64() * self.speed * 1000.0) as i64
        }
    }
}

impl DemoClock {
    /// A clock at `start + at`, running.
    pub fn new(start: DateTime<Utc>, speed: f64, at: Duration) -> DemoClock {
        DemoClock(Arc::new(Mutex::new(DemoTime {
            start,
            speed,
            elapsed_ms: at.num_milliseconds().max(0),
            since: Instant::now(),
            paused: false,
        })))
    }

    /// The time is plain data: a panic elsewhere while holding it leaves
    /// nothing half-done, so a poisoned lock is still good.
    fn lock(&self) -> MutexGuard<'_, DemoTime> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.lock().start
    }

    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    pub fn paused(&self) -> bool {
        self.lock().paused
    }

    /// Scenario time since the start.
    pub fn elapsed(&self) -> Duration {
        Duration::milliseconds(self.lock().elapsed_ms())
    }

    pub fn now(&self) -> DateTime<Utc> {
        let t = self.lock();
        t.start + Duration::milliseconds(t.elapsed_ms())
    }

    pub fn pause(&self) {
        let mut t = self.lock();
        t.elapsed_ms = t.elapsed_ms();
        t.paused = true;
    }

    pub fn resume(&self) {
        let mut t = self.lock();
        if t.paused {
            t.since = Instant::now();
            t.paused = false;
        }
    }

    /// Move to `elapsed` since the start (paused or not, as it was).
    pub fn seek(&self, elapsed: Duration) {
        let mut t = self.lock();
        t.elapsed_ms = elapsed.num_milliseconds().max(0);
        t.since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_demo_clock_stands_still_and_seeks() {
        let start: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
        let c = DemoClock::new(start, 1000.0, Duration::seconds(150));
        assert!(c.elapsed() >= Duration::seconds(150));
        c.pause();
        let at = c.elapsed();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.elapsed(), at);
        c.seek(Duration::seconds(10));
        assert_eq!(Clock::Demo(c.clone()).now(), start + Duration::seconds(10));
        c.resume();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(c.elapsed() > Duration::seconds(10));
    }
}
