//! What the dashboard remembers of rotations while it runs: per Vault secret
//! the last changes Vault made (a new KV version, a new lease, a new
//! certificate) and the TTL points of its newest lease or certificate, and
//! per pod and rendered file the last renders. A rotation that happened while
//! the user looked elsewhere is still on the timeline.
//!
//! Fed from the observations themselves, with the times they carry (KV
//! `updated_time`, a lease's issue and renewal, a render line's timestamp):
//! a source that delivers a burst (the demo jumping to `--at`, a bundle)
//! gives the same history as one that trickles.
//!
//! Everything is bounded: a cluster with thousands of leases costs at most
//! [`MAX_SECRETS`] × [`SecretHistory::MAX_BYTES`] plus the renders'
//! [`MAX_RENDER_KEYS`] × [`MAX_RENDERS`] × 8 bytes.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::diagnose::text::{self, Success};
use crate::model::Observation;
use crate::model::logs::LogKey;
use crate::model::vault::{Certificate, KvMetadata, Lease};

/// Changes kept per secret, and renders per pod and file: the issue asks
/// for the last 50, enough for a day of a KV secret rotated half-hourly.
pub const MAX_CHANGES: usize = 50;
pub const MAX_RENDERS: usize = 50;

/// TTL points (one per issue or renewal) kept per secret. A sparkline is
/// at most a pane wide, so more points than columns would not show; 96
/// renewals cover 4 h of a 3-minute TTL renewed at two thirds.
pub const MAX_TTL_POINTS: usize = 96;

/// How far back TTL points are kept: "the last hours" of the sawtooth;
/// older points are dropped even when the ring has room.
pub const TTL_WINDOW_SECS: i64 = 4 * 3600;

/// Secrets remembered at most. Thousands of leases share far fewer paths
/// (one per role), so this bounds a pathological Vault, not a normal one;
/// the secret touched longest ago goes first.
pub const MAX_SECRETS: usize = 4096;

/// Pods × rendered files remembered at most (pods come and go: the one
/// rendered longest ago goes first).
pub const MAX_RENDER_KEYS: usize = 8192;

/// What Vault changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new KV v2 version.
    Kv(u64),
    /// A new lease under the path (dynamic credentials re-issued).
    Lease,
    /// A new certificate for the same names.
    Certificate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeAt {
    /// Unix seconds.
    pub at: i64,
    pub change: Change,
}

/// The newest lease's or certificate's expiry as of an issue or renewal:
/// between two points the TTL falls by one second a second (the sawtooth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlPoint {
    pub at: i64,
    pub expires: i64,
}

#[derive(Debug, Clone, Default)]
pub struct SecretHistory {
    pub changes: VecDeque<ChangeAt>,
    pub ttl: VecDeque<TtlPoint>,
    /// The lease id or certificate serial last seen as newest, to tell a
    /// re-issue from a renewal; for KV, nothing (the version says it).
    tracked: Option<Box<str>>,
    /// When it was last fed (Unix seconds), for eviction.
    touched: i64,
}

impl SecretHistory {
    /// The most one secret's history takes on the heap, full.
    pub const MAX_BYTES: usize = MAX_CHANGES * std::mem::size_of::<ChangeAt>()
        + MAX_TTL_POINTS * std::mem::size_of::<TtlPoint>()
        + 128;

    fn push_change(&mut self, c: ChangeAt) {
        if self.changes.back().is_some_and(|l| *l == c) {
            return;
        }
        push_bounded(&mut self.changes, c, MAX_CHANGES);
    }

    fn push_ttl(&mut self, p: TtlPoint) {
        if self
            .ttl
            .back()
            .is_some_and(|last| *last == p || p.at < last.at)
        {
            return;
        }
        while self
            .ttl
            .front()
            .is_some_and(|f| p.at.saturating_sub(f.at) > TTL_WINDOW_SECS)
        {
            self.ttl.pop_front();
        }
        push_bounded(&mut self.ttl, p, MAX_TTL_POINTS);
    }

    /// The TTL left at `t` (Unix seconds), from the last point at or before
    /// it; `None` before the first.
    pub fn ttl_at(&self, t: i64) -> Option<i64> {
        let i = self.ttl.partition_point(|p| p.at <= t);
        i.checked_sub(1)
            .map(|i| self.ttl[i].expires.saturating_sub(t).max(0))
    }

    /// Heap bytes in use (capacity, not length: what the allocator holds).
    pub fn heap_bytes(&self) -> usize {
        self.changes.capacity() * std::mem::size_of::<ChangeAt>()
            + self.ttl.capacity() * std::mem::size_of::<TtlPoint>()
            + self.tracked.as_ref().map_or(0, |s| s.len())
    }
}

/// The key of a Vault secret in the history.
pub fn kv_key(k: &KvMetadata) -> String {
    format!("kv:{}", text::comparable(&k.data_path()))
}

pub fn lease_key(source_path: &str) -> String {
    format!("lease:{}", text::comparable(source_path))
}

pub fn cert_key(c: &Certificate) -> String {
    format!("cert:{}:{}", c.mount, c.common_name)
}

#[derive(Debug, Clone, Default)]
pub struct History {
    secrets: HashMap<String, SecretHistory>,
    /// Render times (Unix seconds) by (namespace, pod, destination file).
    renders: HashMap<(String, String, String), VecDeque<i64>>,
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

impl History {
    /// Learn from one observation (called for each, before the world
    /// takes it).
    pub fn observe(&mut self, obs: &Observation) {
        match obs {
            Observation::Leases(l) => self.leases(l),
            Observation::Certificates(c) => self.certificates(c),
            Observation::KvMetadata(k) => self.kv(k),
            Observation::LogLines { key, lines } => self.log(key, lines),
            Observation::Reset => *self = History::default(),
            _ => {}
        }
    }

    pub fn secret(&self, key: &str) -> Option<&SecretHistory> {
        self.secrets.get(key)
    }

    /// The render times of `file` by one pod, oldest first.
    pub fn renders(&self, namespace: &str, pod: &str, file: &str) -> Option<&VecDeque<i64>> {
        self.renders
            .get(&(namespace.to_string(), pod.to_string(), file.to_string()))
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.renders.is_empty()
    }

    /// Heap bytes the history holds, keys included (an estimate: the maps'
    /// own tables are counted by capacity).
    pub fn heap_bytes(&self) -> usize {
        let secrets: usize = self
            .secrets
            .iter()
            .map(|(k, v)| k.capacity() + v.heap_bytes())
            .sum::<usize>()
            + self.secrets.capacity()
                * (std::mem::size_of::<String>() + std::mem::size_of::<SecretHistory>() + 8);
        let renders: usize = self
            .renders
            .iter()
            .map(|((a, b, c), v)| a.capacity() + b.capacity() + c.capacity() + v.capacity() * 8)
            .sum::<usize>()
            + self.renders.capacity()
                * (std::mem::size_of::<(String, String, String)>()
                    + std::mem::size_of::<VecDeque<i64>>()
                    + 8);
        secrets + renders
    }

    fn entry(&mut self, key: String, now: i64) -> &mut SecretHistory {
        if !self.secrets.contains_key(&key) && self.secrets.len() >= MAX_SECRETS {
            let oldest = self
                .secrets
                .iter()
                .min_by_key(|(_, h)| h.touched)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.secrets.remove(&k);
            }
        }
        let h = self.secrets.entry(key).or_default();
        h.touched = h.touched.max(now);
        h
    }

    fn leases(&mut self, leases: &[Lease]) {
        // The newest lease of each path: its renewals draw the sawtooth,
        // and another lease becoming newest is a re-issue.
        let mut newest: HashMap<&str, &Lease> = HashMap::new();
        for l in leases.iter().filter(|l| l.issue_time.is_some()) {
            let slot = newest.entry(l.source_path()).or_insert(l);
            if (l.issue_time, &l.id) > (slot.issue_time, &slot.id) {
                *slot = l;
            }
        }
        for (path, l) in newest {
            let Some(issued) = l.issue_time.map(secs) else {
                continue;
            };
            let since = l.last_renewal.map_or(issued, secs);
            let h = self.entry(lease_key(path), since);
            if h.tracked.as_deref() != Some(l.id.as_str()) {
                h.tracked = Some(l.id.as_str().into());
                h.push_change(ChangeAt {
                    at: issued,
                    change: Change::Lease,
                });
                if let Some(exp) = l.expire_time {
                    // The issue's own point, when the first sight is already
                    // a renewal: the tooth starts at the issue.
                    if since != issued {
                        h.push_ttl(TtlPoint {
                            at: issued,
                            expires: exp
                                .timestamp()
                                .min(issued.saturating_add(l.ttl_seconds.max(0))),
                        });
                    }
                }
            }
            if let Some(exp) = l.expire_time {
                h.push_ttl(TtlPoint {
                    at: since,
                    expires: secs(exp),
                });
            }
        }
    }

    fn certificates(&mut self, certs: &[Certificate]) {
        let mut newest: HashMap<String, &Certificate> = HashMap::new();
        for c in certs
            .iter()
            .filter(|c| c.not_before.is_some() && !c.revoked)
        {
            let slot = newest.entry(cert_key(c)).or_insert(c);
            if (c.not_before, &c.serial) > (slot.not_before, &slot.serial) {
                *slot = c;
            }
        }
        for (key, c) in newest {
            let Some(from) = c.not_before.map(secs) else {
                continue;
            };
            let h = self.entry(key, from);
            if h.tracked.as_deref() != Some(c.serial.as_str()) {
                h.tracked = Some(c.serial.as_str().into());
                h.push_change(ChangeAt {
                    at: from,
                    change: Change::Certificate,
                });
            }
            h.push_ttl(TtlPoint {
                at: from,
                expires: secs(c.not_after),
            });
        }
    }

    fn kv(&mut self, kv: &[KvMetadata]) {
        for k in kv {
            let Some(at) = k.updated_time.map(secs) else {
                continue;
            };
            let h = self.entry(kv_key(k), at);
            let seen = h
                .changes
                .iter()
                .any(|c| c.change == Change::Kv(k.current_version));
            if !seen {
                h.push_change(ChangeAt {
                    at,
                    change: Change::Kv(k.current_version),
                });
            }
        }
    }

    fn log(&mut self, key: &LogKey, lines: &[String]) {
        // Cheap first: most lines are not renders.
        if !lines.iter().any(|l| l.contains("(runner) rendered ")) {
            return;
        }
        for l in lines.iter().filter(|l| l.contains("(runner) rendered ")) {
            let (Some(Success::Rendered(dest)), Some(at)) =
                (text::success(l), crate::model::log_line::line_timestamp(l))
            else {
                continue;
            };
            self.render(&key.namespace, &key.pod, dest, secs(at));
        }
    }

    fn render(&mut self, namespace: &str, pod: &str, file: String, at: i64) {
        let k = (namespace.to_string(), pod.to_string(), file);
        if !self.renders.contains_key(&k) && self.renders.len() >= MAX_RENDER_KEYS {
            let oldest = self
                .renders
                .iter()
                .min_by_key(|(_, v)| v.back().copied().unwrap_or(i64::MIN))
                .map(|(k, _)| k.clone());
            if let Some(o) = oldest {
                self.renders.remove(&o);
            }
        }
        let v = self.renders.entry(k).or_default();
        // A log read again (a stream restarted) repeats old renders.
        if v.back().is_some_and(|last| *last >= at) {
            if !v.contains(&at) && v.front().is_some_and(|f| *f < at) {
                let i = v.partition_point(|t| *t < at);
                v.insert(i, at);
                if v.len() > MAX_RENDERS {
                    v.pop_front();
                }
            }
            return;
        }
        push_bounded(v, at, MAX_RENDERS);
    }
}

/// Push onto a ring of at most `max`, growing it by doubling but never past
/// `max` (a plain push would round 50 up to 64 slots).
fn push_bounded<T>(v: &mut VecDeque<T>, x: T, max: usize) {
    if v.len() >= max {
        v.pop_front();
    } else if v.len() == v.capacity() {
        v.reserve_exact(v.capacity().max(4).min(max - v.len()));
    }
    v.push_back(x);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        "2026-11-28T10:00:00Z".parse().unwrap()
    }

    fn lease(path: &str, n: u32, issued: i64, renewed: Option<i64>, ttl: i64) -> Lease {
        let at = |s: i64| t0() + Duration::seconds(s);
        Lease {
            id: format!("{path}/id{n}"),
            issue_time: Some(at(issued)),
            expire_time: Some(at(renewed.unwrap_or(issued) + ttl)),
            ttl_seconds: ttl,
            renewable: true,
            last_renewal: renewed.map(at),
            max_ttl_seconds: Some(ttl * 6),
        }
    }

    #[test]
    fn renewals_draw_a_sawtooth_and_a_new_lease_is_a_change() {
        let mut h = History::default();
        let p = "database/creds/web";
        h.observe(&Observation::Leases(vec![lease(p, 1, 0, None, 300)]));
        h.observe(&Observation::Leases(vec![lease(p, 1, 0, Some(200), 300)]));
        h.observe(&Observation::Leases(vec![lease(p, 1, 0, Some(400), 300)]));
        // The same list again (a poll with nothing new) adds nothing.
        h.observe(&Observation::Leases(vec![lease(p, 1, 0, Some(400), 300)]));
        h.observe(&Observation::Leases(vec![lease(p, 2, 600, None, 300)]));
        let s = h.secret(&lease_key(p)).unwrap();
        assert_eq!(s.changes.len(), 2, "{:?}", s.changes);
        assert_eq!(s.ttl.len(), 4, "{:?}", s.ttl);
        let base = t0().timestamp();
        assert_eq!(s.ttl_at(base + 100), Some(200));
        assert_eq!(s.ttl_at(base + 199), Some(101));
        assert_eq!(s.ttl_at(base + 200), Some(300), "a renewal fills it up");
        assert_eq!(s.ttl_at(base + 650), Some(250));
        assert_eq!(s.ttl_at(base - 1), None);
    }

    #[test]
    fn kv_versions_and_renders_are_kept_once_each() {
        let mut h = History::default();
        let kv = |v: u64, at: i64| KvMetadata {
            mount: "secret".into(),
            path: "app/config".into(),
            current_version: v,
            updated_time: Some(t0() + Duration::seconds(at)),
            created_time: None,
        };
        h.observe(&Observation::KvMetadata(vec![kv(7, 0)]));
        h.observe(&Observation::KvMetadata(vec![kv(7, 0)]));
        h.observe(&Observation::KvMetadata(vec![kv(8, 90)]));
        let s = h.secret(&kv_key(&kv(8, 90))).unwrap();
        assert_eq!(
            s.changes.iter().map(|c| c.change).collect::<Vec<_>>(),
            [Change::Kv(7), Change::Kv(8)]
        );
        let key = LogKey {
            namespace: "ns".into(),
            pod: "p".into(),
            container: "vault-agent".into(),
            previous: false,
        };
        let line = |s: &str| {
            format!(
                "{s} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/config\""
            )
        };
        let lines = vec![
            line("2026-11-28T10:00:05.000Z"),
            "2026-11-28T10:00:06.000Z [INFO]  agent: renewed auth token".into(),
            line("2026-11-28T10:01:35.000Z"),
        ];
        h.observe(&Observation::LogLines {
            key: key.clone(),
            lines: lines.clone(),
        });
        // The stream restarted and sent the same lines again.
        h.observe(&Observation::LogLines { key, lines });
        let r = h.renders("ns", "p", "/vault/secrets/config").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1] - r[0], 90);
        h.observe(&Observation::Reset);
        assert!(h.is_empty());
    }

    #[test]
    fn rings_stop_at_their_bounds() {
        let mut h = History::default();
        let p = "database/creds/web";
        for i in 0..1000 {
            let issued = i * 100;
            h.observe(&Observation::Leases(vec![lease(
                p, i as u32, issued, None, 300,
            )]));
            h.observe(&Observation::Leases(vec![lease(
                p,
                i as u32,
                issued,
                Some(issued + 50),
                300,
            )]));
        }
        let s = h.secret(&lease_key(p)).unwrap();
        assert_eq!(s.changes.len(), MAX_CHANGES);
        assert_eq!(s.ttl.len(), MAX_TTL_POINTS);
        assert!(
            s.heap_bytes() <= SecretHistory::MAX_BYTES,
            "{}",
            s.heap_bytes()
        );
    }

    /// The history of a big cluster: 5 000 leases under 500 role paths, each
    /// renewed every 200 s for 4 hours, stays within its bound (and the
    /// number measured is the one the README gives).
    #[test]
    fn thousands_of_leases_cost_little() {
        let mut h = History::default();
        let paths = 500;
        let per_path = 10;
        for step in 0..(4 * 3600 / 200) {
            let now = step * 200;
            let leases: Vec<Lease> = (0..paths * per_path)
                .map(|i| {
                    let path = format!("database/creds/role{}", i % paths);
                    lease(
                        &path,
                        i as u32,
                        -(i as i64),
                        Some(now - (i as i64 % 7)),
                        300,
                    )
                })
                .collect();
            h.observe(&Observation::Leases(leases));
        }
        assert_eq!(h.len(), paths as usize);
        let per_secret = h.heap_bytes() / h.len();
        assert!(per_secret <= SecretHistory::MAX_BYTES + 256, "{per_secret}");
        eprintln!(
            "history: {} secrets, {} bytes, {per_secret} bytes per secret",
            h.len(),
            h.heap_bytes()
        );
    }
}
