//! Lookups built once per diagnosis, so rules never scan every event or
//! every CSI pod status for each workload (quadratic on a big cluster).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::csi_rotation::{self, DriverRotation};
use super::expiry;
use super::finding::Finding;
use crate::model::csi::SecretProviderClassPodStatusInfo;
use crate::model::objects::EventInfo;
use crate::model::vault::Lease;
use crate::model::world::World;

pub struct Index<'a> {
    /// Events by the object they are about: namespace → kind → name.
    events: HashMap<&'a str, HashMap<&'a str, HashMap<&'a str, Vec<&'a EventInfo>>>>,
    /// CSI pod statuses by namespace → pod.
    statuses: HashMap<&'a str, HashMap<&'a str, Vec<&'a SecretProviderClassPodStatusInfo>>>,
    /// Leases by the path they were issued for, soonest expiry first, with
    /// the expiry findings for that path worked out once: many workloads can
    /// share one role's path, and it may hold thousands of leases.
    leases: HashMap<&'a str, (Vec<&'a Lease>, Vec<Finding>)>,
    /// Whether the CSI driver rotates: read from the whole cluster (its
    /// flags, any rotation event, any rewritten status), once a diagnosis.
    driver: DriverRotation,
}

/// The leases of each path, soonest expiry first, with their findings.
pub type PathLeases<'a> = HashMap<&'a str, (Vec<&'a Lease>, Vec<Finding>)>;

/// `world`'s leases by the path they were issued for, soonest expiry first.
pub fn leases_by_path(world: &World) -> HashMap<&str, Vec<&Lease>> {
    let mut by_path: HashMap<&str, Vec<&Lease>> = HashMap::new();
    for l in &world.vault.leases {
        by_path.entry(l.source_path()).or_default().push(l);
    }
    for ls in by_path.values_mut() {
        ls.sort_by_key(|l| (l.expire_time, &l.id));
    }
    by_path
}

impl<'a> Index<'a> {
    pub fn new(world: &'a World, now: DateTime<Utc>) -> Index<'a> {
        let leases = leases_by_path(world)
            .into_iter()
            .map(|(path, ls)| {
                let findings = expiry::path_findings(path, &ls, now);
                (path, (ls, findings))
            })
            .collect();
        Index::with_leases(world, leases)
    }

    /// The index with leases (and their findings) worked out by the caller,
    /// who may have kept them from an earlier diagnosis.
    pub fn with_leases(world: &'a World, leases: PathLeases<'a>) -> Index<'a> {
        Index::scoped(world, leases, None, csi_rotation::driver_rotation(world))
    }

    /// [`Index::with_leases`] for diagnosing workloads of `namespaces` only:
    /// events and CSI pod statuses elsewhere are left out. `driver` is
    /// [`csi_rotation::driver_rotation`] of `world`, which the caller has.
    pub fn for_namespaces(
        world: &'a World,
        leases: PathLeases<'a>,
        namespaces: &BTreeSet<&str>,
        driver: DriverRotation,
    ) -> Index<'a> {
        Index::scoped(world, leases, Some(namespaces), driver)
    }

    fn scoped(
        world: &'a World,
        leases: PathLeases<'a>,
        only: Option<&BTreeSet<&str>>,
        driver: DriverRotation,
    ) -> Index<'a> {
        let wanted = |ns: &str| only.is_none_or(|o| o.contains(ns));
        let mut events: HashMap<&str, HashMap<&str, HashMap<&str, Vec<&EventInfo>>>> =
            HashMap::new();
        for e in world
            .events
            .values()
            .filter(|e| wanted(&e.involved.namespace))
        {
            let io = &e.involved;
            events
                .entry(io.namespace.as_str())
                .or_default()
                .entry(io.kind.as_str())
                .or_default()
                .entry(io.name.as_str())
                .or_default()
                .push(e);
        }
        let mut statuses: HashMap<&str, HashMap<&str, Vec<&SecretProviderClassPodStatusInfo>>> =
            HashMap::new();
        for s in world.pod_statuses.values().filter(|s| wanted(&s.namespace)) {
            statuses
                .entry(s.namespace.as_str())
                .or_default()
                .entry(s.pod_name.as_str())
                .or_default()
                .push(s);
        }
        Index {
            events,
            statuses,
            leases,
            driver,
        }
    }

    /// Whether the CSI driver rotates (see the field).
    pub fn driver(&self) -> &DriverRotation {
        &self.driver
    }

    /// The leases issued for `path` (soonest expiry first) and their findings.
    pub fn leases(&self, path: &str) -> (&[&'a Lease], &[Finding]) {
        self.leases
            .get(path)
            .map_or((&[], &[]), |(l, f)| (l.as_slice(), f.as_slice()))
    }

    pub fn events_about(&self, namespace: &str, kind: &str, name: &str) -> &[&'a EventInfo] {
        self.events
            .get(namespace)
            .and_then(|k| k.get(kind))
            .and_then(|n| n.get(name))
            .map_or(&[], Vec::as_slice)
    }

    pub fn pod_status(
        &self,
        namespace: &str,
        pod: &str,
        class: &str,
    ) -> Option<&'a SecretProviderClassPodStatusInfo> {
        self.statuses
            .get(namespace)
            .and_then(|p| p.get(pod))
            .and_then(|v| v.iter().find(|s| s.class_name == class).copied())
    }
}
