//! The Leases view: every lease, certificate and KV secret across all
//! workloads as one table, so "what expires next, and did the last rotation
//! reach every pod" is one screen. Pure: rows are built from the report.

use chrono::{DateTime, Duration, Utc};

use super::history::{cert_key, kv_key, lease_key};
use crate::diagnose::WorkloadReport;
use crate::diagnose::rotation::{RenderState, SecretRotation};
use crate::model::workload::WorkloadKey;

/// A change this recent is still rotating: the agents have not all had
/// their turn to render it (the agent's `rendered` line comes within
/// seconds of a new lease or certificate).
const ROTATING_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaseSort {
    #[default]
    Expiry,
    State,
    Name,
    Workload,
}

impl LeaseSort {
    const CYCLE: [LeaseSort; 4] = [
        LeaseSort::Expiry,
        LeaseSort::State,
        LeaseSort::Name,
        LeaseSort::Workload,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LeaseSort::Expiry => "soonest expiry",
            LeaseSort::State => "state",
            LeaseSort::Name => "name",
            LeaseSort::Workload => "workload",
        }
    }

    pub(super) fn step(self, forward: bool) -> LeaseSort {
        super::cycle(&Self::CYCLE, self, forward)
    }
}

/// The open Leases view's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeasesView {
    pub sort: LeaseSort,
    /// The selected row's id (kept across re-sorting and new data).
    pub selected: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Lease,
    Certificate,
    Kv,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lease => "lease",
            Kind::Certificate => "cert",
            Kind::Kv => "kv",
        }
    }
}

/// Worst first, so sorting by state puts trouble on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowState {
    /// A pod still holds an older version long after its render interval.
    Stale,
    /// Little time left: a renewal or re-issue is overdue.
    Expiring,
    /// Vault changed it a moment ago, or a pod is within its interval.
    Rotating,
    Fresh,
}

impl RowState {
    pub fn label(self) -> &'static str {
        match self {
            RowState::Stale => "stale",
            RowState::Expiring => "expiring",
            RowState::Rotating => "rotating",
            RowState::Fresh => "fresh",
        }
    }
}

/// One lease, certificate or KV secret.
#[derive(Debug, Clone)]
pub struct LeaseRow<'a> {
    pub kind: Kind,
    /// The lease id, the certificate's common name or the KV data path.
    pub name: String,
    pub workload: &'a WorkloadReport,
    /// Pods that render it (all the workload's when no render says which).
    pub pods: Vec<&'a str>,
    pub expires: Option<DateTime<Utc>>,
    /// The length of the current period (since the last renewal, or the
    /// certificate's validity), for colouring the countdown.
    pub period: Option<Duration>,
    /// `None` when it does not apply (a KV secret, a certificate).
    pub renewable: Option<bool>,
    /// The last renewal or rotation.
    pub changed: Option<DateTime<Utc>>,
    /// Whether `changed` was a renewal (else an issue or a new version).
    pub renewed: bool,
    pub state: RowState,
    /// The key of its history.
    pub history: String,
}

impl LeaseRow<'_> {
    /// Stable across frames: what the selection remembers.
    pub fn id(&self) -> String {
        let k = &self.workload.key;
        format!(
            "{}/{}/{}/{}/{}",
            k.namespace,
            k.kind.as_str(),
            k.name,
            self.kind.label(),
            self.name
        )
    }

    pub fn key(&self) -> &WorkloadKey {
        &self.workload.key
    }

    fn matches(&self, f: &str) -> bool {
        let k = &self.workload.key;
        [
            self.name.as_str(),
            k.namespace.as_str(),
            k.name.as_str(),
            k.kind.as_str(),
            self.kind.label(),
            self.state.label(),
        ]
        .iter()
        .any(|h| h.to_lowercase().contains(f))
            || self.pods.iter().any(|p| p.contains(f))
    }
}

/// The history key of a rotation's Vault side.
pub fn rotation_key(r: &SecretRotation, w: &WorkloadReport) -> Option<String> {
    use crate::diagnose::rotation::VaultChange;
    use crate::diagnose::text::comparable;
    match r.last_change.as_ref()? {
        VaultChange::KvVersion { .. } => {
            let want = comparable(&r.path);
            w.kv.iter()
                .find(|k| comparable(&k.data_path()) == want)
                .map(kv_key)
        }
        VaultChange::LeaseIssued { id, .. } => Some(lease_key(
            id.rsplit_once('/').map_or(id.as_str(), |(p, _)| p),
        )),
        VaultChange::CertificateIssued { serial, .. } => w
            .certificates
            .iter()
            .find(|c| &c.serial == serial)
            .map(cert_key),
    }
}

fn state_of(
    rotation: Option<&SecretRotation>,
    issued: Option<DateTime<Utc>>,
    left: Option<Duration>,
    period: Option<Duration>,
    urgent_share: f64,
    now: DateTime<Utc>,
) -> RowState {
    let pods = rotation.map(|r| r.pods.as_slice()).unwrap_or_default();
    if pods.iter().any(|p| p.state == RenderState::Stale) {
        return RowState::Stale;
    }
    if let Some(left) = left {
        let short = period.is_some_and(|p| {
            p > Duration::zero()
                && (left.num_milliseconds() as f64) < p.num_milliseconds() as f64 * urgent_share
        });
        if left <= Duration::zero() || short {
            return RowState::Expiring;
        }
    }
    let recent = issued.is_some_and(|t| (now - t).num_seconds() < ROTATING_SECS);
    if recent || pods.iter().any(|p| p.state == RenderState::Due) {
        return RowState::Rotating;
    }
    RowState::Fresh
}

/// Every lease, certificate and KV secret of `workloads`, unsorted.
pub fn rows<'a>(workloads: &[&'a WorkloadReport], now: DateTime<Utc>) -> Vec<LeaseRow<'a>> {
    let mut out = Vec::new();
    for w in workloads {
        let keyed: Vec<(String, &SecretRotation)> = w
            .rotations
            .iter()
            .filter_map(|r| rotation_key(r, w).map(|k| (k, r)))
            .collect();
        let rotation = |key: &str| keyed.iter().find(|(k, _)| k == key).map(|(_, r)| *r);
        let all_pods: Vec<&str> = w.pods.iter().map(|p| p.name.as_str()).collect();
        let pods_of = |r: Option<&'a SecretRotation>| match r {
            Some(r) if !r.pods.is_empty() => r.pods.iter().map(|p| p.pod.as_str()).collect(),
            _ => all_pods.clone(),
        };
        for l in &w.leases {
            let key = lease_key(l.source_path());
            let r = rotation(&key);
            let start = l.last_renewal.or(l.issue_time);
            let period = l.expire_time.zip(start).map(|(e, s)| e - s);
            // The agent renews at two thirds of the TTL: a third left and
            // not renewed is overdue.
            let state = state_of(r, l.issue_time, l.remaining(now), period, 1.0 / 3.0, now);
            out.push(LeaseRow {
                kind: Kind::Lease,
                name: l.id.clone(),
                workload: w,
                pods: pods_of(r),
                expires: l.expire_time,
                period,
                renewable: Some(l.renewable),
                changed: start,
                renewed: l.last_renewal.is_some(),
                state,
                history: key,
            });
        }
        for c in &w.certificates {
            let key = cert_key(c);
            let r = rotation(&key);
            // The agent re-issues at 90 % of the validity.
            let state = state_of(
                r,
                c.not_before,
                Some(c.remaining(now)),
                c.lifetime(),
                0.1,
                now,
            );
            out.push(LeaseRow {
                kind: Kind::Certificate,
                name: c.common_name.clone(),
                workload: w,
                pods: pods_of(r),
                expires: Some(c.not_after),
                period: c.lifetime(),
                renewable: None,
                changed: c.not_before,
                renewed: false,
                state,
                history: key,
            });
        }
        for k in &w.kv {
            let key = kv_key(k);
            let r = rotation(&key);
            let state = state_of(r, k.updated_time, None, None, 0.0, now);
            out.push(LeaseRow {
                kind: Kind::Kv,
                name: k.data_path(),
                workload: w,
                pods: pods_of(r),
                expires: None,
                period: None,
                renewable: None,
                changed: k.updated_time,
                renewed: false,
                state,
                history: key,
            });
        }
    }
    out
}

/// The rows shown: filtered by `filter` (lowercase words, any field) and
/// sorted; ties in the workload's order.
pub fn shown<'a>(
    workloads: &[&'a WorkloadReport],
    filter: &str,
    sort: LeaseSort,
    now: DateTime<Utc>,
) -> Vec<LeaseRow<'a>> {
    let f = filter.trim().to_lowercase();
    let mut v: Vec<LeaseRow<'a>> = rows(workloads, now)
        .into_iter()
        .filter(|r| f.is_empty() || r.matches(&f))
        .collect();
    match sort {
        LeaseSort::Expiry => v.sort_by(|a, b| {
            (a.expires.is_none(), a.expires, a.kind, &a.name).cmp(&(
                b.expires.is_none(),
                b.expires,
                b.kind,
                &b.name,
            ))
        }),
        LeaseSort::State => v.sort_by(|a, b| {
            (a.state, a.expires.is_none(), a.expires).cmp(&(
                b.state,
                b.expires.is_none(),
                b.expires,
            ))
        }),
        LeaseSort::Name => v.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name))),
        LeaseSort::Workload => v.sort_by(|a, b| {
            (
                &a.workload.key.namespace,
                &a.workload.key.name,
                a.kind,
                &a.name,
            )
                .cmp(&(
                    &b.workload.key.namespace,
                    &b.workload.key.name,
                    b.kind,
                    &b.name,
                ))
        }),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::rotation::PodRender;

    fn rotation(states: &[RenderState]) -> SecretRotation {
        SecretRotation {
            name: "config".into(),
            path: "secret/data/app".into(),
            file: "/vault/secrets/config".into(),
            last_change: None,
            pods: states
                .iter()
                .enumerate()
                .map(|(i, s)| PodRender {
                    pod: format!("p{i}"),
                    last_render: None,
                    lag_seconds: None,
                    state: *s,
                    interval_seconds: 300,
                })
                .collect(),
        }
    }

    #[test]
    fn states_worst_first() {
        let now: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
        let long_ago = Some(now - Duration::hours(2));
        let hour = Some(Duration::hours(1));
        let mins = |m: i64| Some(Duration::minutes(m));
        use RenderState::*;
        // A stale pod wins over everything, even a fresh countdown.
        let r = rotation(&[Current, Stale]);
        assert_eq!(
            state_of(Some(&r), long_ago, mins(50), hour, 1.0 / 3.0, now),
            RowState::Stale
        );
        // Under a third of a lease's TTL left: its renewal is overdue.
        assert_eq!(
            state_of(None, long_ago, mins(19), hour, 1.0 / 3.0, now),
            RowState::Expiring
        );
        assert_eq!(
            state_of(None, long_ago, mins(-1), hour, 0.1, now),
            RowState::Expiring,
            "past its end"
        );
        // A change a moment ago, or a pod still within its interval.
        assert_eq!(
            state_of(
                None,
                Some(now - Duration::seconds(20)),
                mins(50),
                hour,
                0.1,
                now
            ),
            RowState::Rotating
        );
        let r = rotation(&[Current, Due]);
        assert_eq!(
            state_of(Some(&r), long_ago, None, None, 0.0, now),
            RowState::Rotating
        );
        let r = rotation(&[Current, Unknown]);
        assert_eq!(
            state_of(Some(&r), long_ago, mins(50), hour, 1.0 / 3.0, now),
            RowState::Fresh
        );
    }
}
