//! Where "now" comes from. The model never reads a clock; the app asks this
//! and passes the time in. The demo runs on a scaled clock so `--speed`
//! fast-forwards the scenario, and tests use a fixed one.

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
        }
    }

    /// Now, truncated to whole seconds: countdowns tick once a second.
    pub fn now_seconds(&self) -> DateTime<Utc> {
        let n = self.now();
        DateTime::from_timestamp(n.timestamp(), 0).unwrap_or(n)
    }
}
