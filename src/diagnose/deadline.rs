//! The next instant at which a finding can change while its inputs do not:
//! a threshold is crossed (an init agent stuck for 60 s, a lease inside its
//! warning window), or a countdown in a message shows another value.
//!
//! A diagnosis at `now` stays right for every instant before [`Next::at`];
//! at that instant it must be redone (and may come out the same: an early
//! answer costs a diagnosis, a late one would show a stale finding).

use chrono::{DateTime, Duration, Utc};

/// The earliest instant after `now` collected so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    now: DateTime<Utc>,
    at: Option<DateTime<Utc>>,
}

const NANOS: i128 = 1_000_000_000;

pub(super) fn to_nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * NANOS + i128::from(t.timestamp_subsec_nanos())
}

pub(super) fn from_nanos(n: i128) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(n.div_euclid(NANOS)).ok()?;
    DateTime::from_timestamp(secs, n.rem_euclid(NANOS) as u32)
}

impl Next {
    pub fn new(now: DateTime<Utc>) -> Next {
        Next { now, at: None }
    }

    /// The earliest instant collected, if any.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        self.at
    }

    fn candidate(&mut self, t: DateTime<Utc>) {
        if t > self.now && self.at.is_none_or(|a| t < a) {
            self.at = Some(t);
        }
    }

    /// A condition that changes value at `t`. Whether it already has its new
    /// value at `t` itself depends on `<` or `<=`, so both `t` and the
    /// instant after it count.
    pub fn flip(&mut self, t: Option<DateTime<Utc>>) {
        let Some(t) = t else { return };
        self.candidate(t);
        if let Some(after) = t.checked_add_signed(Duration::nanoseconds(1)) {
            self.candidate(after);
        }
    }

    /// `t + d`, where the condition compares the time since `t` with `d`.
    pub fn flip_after(&mut self, t: Option<DateTime<Utc>>, d: Duration) {
        self.flip(t.and_then(|t| t.checked_add_signed(d)));
    }

    /// A message shows `countdown` of the time from or to `reference`
    /// (`model::vault::countdown`): seconds below an hour, minutes below a
    /// day, hours beyond. Its text changes whenever the shown unit does,
    /// and those instants are whole steps from `reference`.
    pub fn countdown(&mut self, reference: DateTime<Utc>) {
        let shown = (self.now - reference).num_seconds().unsigned_abs();
        // A countdown coming down to an hour (or a day) switches to the
        // finer unit exactly there, a whole number of coarse steps away.
        let step: i128 = if shown <= 3600 {
            1
        } else if shown <= 86_400 {
            60
        } else {
            3600
        } * NANOS;
        let r = to_nanos(reference);
        let k = (to_nanos(self.now) - r).div_euclid(step);
        self.flip(from_nanos(r + k * step));
        if let Some(t) = from_nanos(r + (k + 1) * step) {
            self.candidate(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vault::countdown;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Walking from each next instant to the one after, the countdown text
    /// never changes in between: checked at every millisecond.
    fn text_is_constant_until_next(reference: DateTime<Utc>, from: DateTime<Utc>, steps: usize) {
        let mut now = from;
        for _ in 0..steps {
            let mut n = Next::new(now);
            n.countdown(reference);
            let next = n.at().unwrap();
            assert!(next > now);
            let shown = |at: DateTime<Utc>| countdown(at - reference);
            let text = shown(now);
            let mut probe = now;
            while probe < next {
                assert_eq!(shown(probe), text, "at {probe} (from {now}, next {next})");
                // Every millisecond near either end, every second between.
                let near =
                    probe - now < Duration::seconds(2) || next - probe < Duration::seconds(2);
                let step = if near {
                    Duration::milliseconds(1)
                } else {
                    Duration::seconds(1)
                };
                probe += step.min(next - probe);
            }
            now = next;
        }
    }

    #[test]
    fn countdowns_change_no_earlier_than_said() {
        let r = t("2026-01-01T00:00:00.250Z");
        // Down to zero and past it, seconds.
        text_is_constant_until_next(r, r - Duration::seconds(3), 8);
        // Coming down to an hour: minutes, then seconds from 1h00m on.
        text_is_constant_until_next(r, r - Duration::seconds(3_725), 5);
        // Past a day, hours.
        text_is_constant_until_next(r, r + Duration::seconds(90_000), 2);
    }

    #[test]
    fn a_flip_counts_the_instant_and_the_one_after() {
        let now = t("2026-01-01T00:00:00Z");
        let mut n = Next::new(now);
        n.flip(Some(now - Duration::seconds(1)));
        assert_eq!(n.at(), None, "a past flip does not matter");
        n.flip(Some(now));
        assert_eq!(n.at(), Some(now + Duration::nanoseconds(1)));
        n.flip_after(Some(now), Duration::seconds(-5));
        assert_eq!(n.at(), Some(now + Duration::nanoseconds(1)));
        let mut n = Next::new(now);
        n.flip_after(Some(now), Duration::seconds(60));
        assert_eq!(n.at(), Some(now + Duration::seconds(60)));
        // Far ends of chrono's range do not overflow.
        let mut n = Next::new(now);
        n.flip(Some(DateTime::<Utc>::MAX_UTC));
        n.countdown(DateTime::<Utc>::MIN_UTC);
        n.countdown(DateTime::<Utc>::MAX_UTC);
        assert!(n.at().is_some());
    }
}
