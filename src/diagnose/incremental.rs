//! The dashboard's diagnosis, redone only where something changed.
//!
//! [`super::diagnose`] judges the whole world each time; on a cluster of
//! 20,000 pods that is about a tenth of a second, once a second, while
//! nothing happens. A [`Diagnoser`] keeps the report and redoes a workload
//! only when
//!
//! - one of its inputs changed: the world records what each observation
//!   changed ([`crate::model::changes::Changes`]), and each change maps to
//!   the workloads that read it (a pod to its workload, an event to the
//!   workloads of the object it is about, a lease path to the workloads
//!   whose secrets come from it...);
//! - or the clock reached the next instant at which one of its findings can
//!   change by itself (an init agent becomes stuck at 60 s, a lease enters
//!   its warning window, a countdown in a message moves): worked out from
//!   the same thresholds the rules use, when the workload is judged.
//!
//! Its report is always the report [`super::diagnose`] gives for the same
//! world and time (tests/incremental.rs checks this over random sequences
//! of observations and clock steps). A change that every workload may read
//! (Vault's roles, the injector's webhook...), or a clock that went back,
//! makes it judge everything again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::deadline::{Next, from_nanos, to_nanos};
use super::index::{Index, PathLeases};
use super::{
    Code, Finding, Health, Report, WorkloadReport, diagnose_workload, expiry, global_findings,
};
use crate::model::changes::Changes;
use crate::model::log_line::line_timestamp;
use crate::model::paths::normalize_path;
use crate::model::pod::{ContainerState, INIT_STUCK_AFTER};
use crate::model::workload::{self, ControllerRef, Members, WorkloadKey, WorkloadKind};
use crate::model::world::{ObjKey, World};

/// Which workload an object belongs to, and through which controller;
/// shared by the pods of a ReplicaSet (see [`Group::homes`]).
type Home = Arc<(WorkloadKey, Option<ControllerRef>)>;

/// One workload's members, kept as pods and events come and go.
#[derive(Debug, Default)]
struct Group {
    pods: BTreeSet<String>,
    /// The homes its members have, one copy each: 20,000 pods hold a few
    /// thousand homes, not one each.
    homes: Vec<Home>,
    /// Controllers, with how many pods and events name each.
    controllers: BTreeMap<ControllerRef, usize>,
    /// Warning events that make the workload show up without pods.
    events: usize,
}

/// [`workload::group`], kept up to date one object at a time.
#[derive(Debug, Default)]
struct Membership {
    pods: HashMap<ObjKey, Home>,
    events: HashMap<ObjKey, Home>,
    groups: BTreeMap<WorkloadKey, Group>,
}

impl Membership {
    /// Add a member living at `home`; the shared copy of the home.
    fn add(
        &mut self,
        home: (WorkloadKey, Option<ControllerRef>),
        pod: Option<&str>,
        dirty: &mut BTreeSet<WorkloadKey>,
    ) -> Home {
        let g = self.groups.entry(home.0.clone()).or_default();
        let shared = match g.homes.iter().find(|h| ***h == home) {
            Some(h) => h.clone(),
            None => {
                let h = Arc::new(home);
                g.homes.push(h.clone());
                h
            }
        };
        let home = &shared;
        match pod {
            Some(name) => {
                g.pods.insert(name.to_string());
            }
            None => g.events += 1,
        }
        if let Some(c) = &home.1 {
            *g.controllers.entry(c.clone()).or_default() += 1;
        }
        dirty.insert(home.0.clone());
        shared
    }

    fn remove(&mut self, home: &Home, pod: Option<&str>, dirty: &mut BTreeSet<WorkloadKey>) {
        dirty.insert(home.0.clone());
        let Some(g) = self.groups.get_mut(&home.0) else {
            return;
        };
        match pod {
            Some(name) => {
                g.pods.remove(name);
            }
            None => g.events = g.events.saturating_sub(1),
        }
        if let Some(c) = &home.1
            && let Some(n) = g.controllers.get_mut(c)
        {
            *n -= 1;
            if *n == 0 {
                g.controllers.remove(c);
            }
        }
        if g.pods.is_empty() && g.events == 0 {
            self.groups.remove(&home.0);
        } else if Arc::strong_count(home) == 2 {
            // The caller's and the group's: no member lives there any more.
            g.homes.retain(|h| !Arc::ptr_eq(h, home));
        }
    }

    /// Put the pod where it belongs now (or nowhere, once deleted).
    fn set_pod(&mut self, world: &World, k: &ObjKey, dirty: &mut BTreeSet<WorkloadKey>) {
        if let Some(old) = self.pods.remove(k) {
            self.remove(&old, Some(&k.1), dirty);
        }
        if let Some(p) = world.pods.get(k) {
            let home = self.add(workload::pod_home(world, p), Some(&k.1), dirty);
            self.pods.insert(k.clone(), home);
        }
    }

    fn set_event(&mut self, world: &World, k: &ObjKey, dirty: &mut BTreeSet<WorkloadKey>) {
        if let Some(old) = self.events.remove(k) {
            self.remove(&old, None, dirty);
        }
        if let Some(home) = world
            .events
            .get(k)
            .and_then(|e| workload::event_home(world, e))
        {
            let home = self.add(home, None, dirty);
            self.events.insert(k.clone(), home);
        }
    }

    /// Which workload each pod and event of `namespace` belongs to depends
    /// on its ReplicaSets and Jobs: place them all again.
    fn rehome(&mut self, world: &World, namespace: &str, dirty: &mut BTreeSet<WorkloadKey>) {
        let from = (namespace.to_string(), String::new());
        let pods: Vec<ObjKey> = world
            .pods
            .range(from..)
            .take_while(|(k, _)| k.0 == namespace)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &pods {
            self.set_pod(world, k, dirty);
        }
        let events: Vec<ObjKey> = self
            .events
            .iter()
            .filter(|(_, h)| h.0.namespace == namespace)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &events {
            self.set_event(world, k, dirty);
        }
    }

    fn members(&self, key: &WorkloadKey) -> Option<Members> {
        self.groups.get(key).map(|g| Members {
            pods: g.pods.iter().cloned().collect(),
            controllers: g.controllers.keys().cloned().collect(),
        })
    }

    fn in_namespace<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a WorkloadKey, &'a Group)> + 'a {
        let from = WorkloadKey {
            namespace: namespace.to_string(),
            kind: WorkloadKind::Deployment,
            name: String::new(),
        };
        self.groups
            .range(from..)
            .take_while(move |(k, _)| k.namespace == namespace)
    }
}

/// The leases of each path and their findings, kept until the leases of
/// the path change or the clock reaches the findings' next change.
#[derive(Debug, Default)]
struct Paths {
    /// Path → indices into the world's leases, soonest expiry first.
    order: HashMap<String, Vec<usize>>,
    findings: HashMap<String, (Vec<Finding>, Option<DateTime<Utc>>)>,
    due: BTreeSet<(DateTime<Utc>, String)>,
}

impl Paths {
    /// Sort the world's leases by path again (their positions moved), and
    /// forget the findings of `changed` paths; `None`: of every path.
    fn reorder(&mut self, world: &World, changed: Option<&BTreeSet<String>>) {
        let mut order: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, l) in world.vault.leases.iter().enumerate() {
            order
                .entry(l.source_path().to_string())
                .or_default()
                .push(i);
        }
        let leases = &world.vault.leases;
        for idx in order.values_mut() {
            idx.sort_by_key(|i| (leases[*i].expire_time, &leases[*i].id));
        }
        self.order = order;
        let stale: Vec<String> = match changed {
            Some(c) => c.iter().cloned().collect(),
            None => self.findings.keys().cloned().collect(),
        };
        for p in stale {
            self.forget(&p);
        }
    }

    fn forget(&mut self, path: &str) {
        if let Some((_, Some(at))) = self.findings.remove(path) {
            self.due.remove(&(at, path.to_string()));
        }
    }

    /// Paths whose findings are due at `now`: forgotten, to be worked out.
    fn expire(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some((at, _)) = self.due.first()
            && *at <= now
        {
            let (_, p) = self.due.pop_first().expect("just seen");
            self.findings.remove(&p);
            out.push(p);
        }
        out
    }

    /// The index's view of the leases, working out the findings of paths
    /// that have none kept.
    fn index<'a>(&mut self, world: &'a World, now: DateTime<Utc>) -> PathLeases<'a> {
        let leases = &world.vault.leases;
        let mut out = PathLeases::with_capacity(self.order.len());
        for (path, idx) in &self.order {
            let ls: Vec<_> = idx.iter().map(|i| &leases[*i]).collect();
            let source = ls[0].source_path();
            let (findings, _) = self.findings.entry(path.clone()).or_insert_with(|| {
                let findings = expiry::path_findings(source, &ls, now);
                let mut next = Next::new(now);
                for l in &ls {
                    expiry::lease_changes(l, now, &mut next);
                }
                if let Some(at) = next.at() {
                    self.due.insert((at, path.clone()));
                }
                (findings, next.at())
            });
            out.insert(source, (ls, findings.clone()));
        }
        out
    }
}

/// What the diagnoser remembers of a workload it reported.
#[derive(Debug)]
struct Kept {
    /// Where it sits in the report's order (with its key).
    health: Health,
    /// The lease paths its secrets come from.
    paths: Vec<String>,
    /// When its findings can next change by the clock alone.
    next: Option<DateTime<Utc>>,
}

/// A report kept up to date incrementally; see the module documentation.
#[derive(Debug, Default)]
pub struct Diagnoser {
    started: bool,
    now: Option<DateTime<Utc>>,
    /// How many workloads the report held after the last refresh.
    shown: usize,
    members: Membership,
    paths: Paths,
    kept: HashMap<WorkloadKey, Kept>,
    by_path: HashMap<String, BTreeSet<WorkloadKey>>,
    /// Workloads whose findings read every lease (a failing renewal's
    /// severity looks at the leases of the path its log names).
    renewal: BTreeSet<WorkloadKey>,
    due: BTreeSet<(DateTime<Utc>, WorkloadKey)>,
    /// Whether the CSI driver rotates, as last judged: it is read from the
    /// whole cluster (the driver's flags, any rotation event, any status
    /// rewritten), so a change to it judges everything again.
    driver: Option<super::csi_rotation::DriverRotation>,
}

/// How long an OOM kill counts as recent (`rules::oom_severity`).
const OOM_RECENT: i64 = 3600;
/// A renewal at its max TTL is late after this long (`rules::lease_renewal_severity`).
const MAX_TTL_LATE: i64 = 300;

impl Diagnoser {
    pub fn new() -> Diagnoser {
        Diagnoser::default()
    }

    /// Bring `report` to what [`super::diagnose`] would give for `world` at
    /// `now`, redoing only what changed. `report` must be the one the last
    /// call brought up to date (any report the first time: it is replaced).
    pub fn refresh(&mut self, world: &mut World, now: DateTime<Utc>, report: &mut Report) {
        let changes = world.take_changes();
        let world: &World = world;
        let mut dirty = BTreeSet::new();
        let driver = super::csi_rotation::driver_rotation(world);
        let full = !self.started
            || self.now.is_some_and(|t| now < t)
            || report.workloads.len() != self.shown
            || self.driver.as_ref() != Some(&driver);
        match changes {
            Some(c) if !full && !c.everything => self.note(world, &c, &mut dirty),
            _ => {
                *self = Diagnoser::default();
                self.paths.reorder(world, None);
                for k in world.pods.keys() {
                    self.members.set_pod(world, k, &mut dirty);
                }
                for k in world.events.keys() {
                    self.members.set_event(world, k, &mut dirty);
                }
                report.workloads.clear();
            }
        }
        self.driver = Some(driver);
        // The clock: workloads and lease paths whose findings are due.
        while let Some((at, _)) = self.due.first()
            && *at <= now
        {
            let (_, k) = self.due.pop_first().expect("just seen");
            dirty.insert(k);
        }
        for p in self.paths.expire(now) {
            dirty.extend(self.by_path.get(&p).into_iter().flatten().cloned());
        }
        if !dirty.is_empty() {
            self.judge(world, now, &dirty, report);
        }
        report.as_of = now;
        report.vault = world.vault.status.clone();
        report.global = global_findings(world);
        self.started = true;
        self.now = Some(now);
        self.shown = report.workloads.len();
    }

    /// The workloads `c` may have changed the findings of.
    fn note(&mut self, world: &World, c: &Changes, dirty: &mut BTreeSet<WorkloadKey>) {
        for ns in &c.controllers {
            self.members.rehome(world, ns, dirty);
            // Their pod templates too.
            dirty.extend(self.members.in_namespace(ns).map(|(k, _)| k.clone()));
        }
        for k in &c.pods {
            self.members.set_pod(world, k, dirty);
        }
        for k in &c.events {
            self.members.set_event(world, k, dirty);
        }
        let home = |m: &Membership, ns: &str, pod: &str| {
            m.pods
                .get(&(ns.to_string(), pod.to_string()))
                .map(|h| h.0.clone())
        };
        for (ns, kind, name) in &c.subjects {
            if kind == "Pod" {
                dirty.extend(home(&self.members, ns, name));
                continue;
            }
            let about = |k: &WorkloadKey, g: &Group| {
                (k.kind.as_str() == kind && &k.name == name)
                    || g.controllers
                        .keys()
                        .any(|c| c.kind.as_str() == kind && &c.name == name)
            };
            dirty.extend(
                self.members
                    .in_namespace(ns)
                    .filter(|(k, g)| about(k, g))
                    .map(|(k, _)| k.clone()),
            );
        }
        for (ns, pod) in &c.pod_inputs {
            dirty.extend(home(&self.members, ns, pod));
        }
        for ns in c.classes.iter().chain(&c.token_namespaces) {
            dirty.extend(self.members.in_namespace(ns).map(|(k, _)| k.clone()));
        }
        let with_paths = |pred: &dyn Fn(&str) -> bool| -> Vec<WorkloadKey> {
            self.kept
                .iter()
                .filter(|(_, kept)| kept.paths.iter().any(|p| pred(p)))
                .map(|(k, _)| k.clone())
                .collect()
        };
        if c.kv {
            dirty.extend(with_paths(&|_| true));
        }
        if c.certificates {
            dirty.extend(with_paths(&|p| {
                p.contains("/issue/") || p.contains("/sign/")
            }));
        }
        if !c.lease_paths.is_empty() {
            self.paths.reorder(world, Some(&c.lease_paths));
            for p in &c.lease_paths {
                dirty.extend(self.by_path.get(p).into_iter().flatten().cloned());
            }
            dirty.extend(self.renewal.iter().cloned());
        }
    }

    /// Judge the `dirty` workloads again and put them in `report` in order.
    fn judge(
        &mut self,
        world: &World,
        now: DateTime<Utc>,
        dirty: &BTreeSet<WorkloadKey>,
        report: &mut Report,
    ) {
        // Workloads only read events and CSI statuses of their namespace.
        let namespaces: BTreeSet<&str> = dirty.iter().map(|k| k.namespace.as_str()).collect();
        let driver = self
            .driver
            .clone()
            .unwrap_or_else(|| super::csi_rotation::driver_rotation(world));
        let index = Index::for_namespaces(world, self.paths.index(world, now), &namespaces, driver);
        let order = |a: &WorkloadReport, b: &WorkloadReport| {
            b.health.cmp(&a.health).then_with(|| a.key.cmp(&b.key))
        };
        // Reports that keep their health keep their place: replaced there.
        // The others leave (`gone`) and come back in order (`fresh`).
        let mut fresh = Vec::new();
        let mut gone = BTreeSet::new();
        for key in dirty {
            let was = self.forget(key);
            let now_is = self
                .members
                .members(key)
                .and_then(|m| Some((diagnose_workload(world, &index, key, &m, now)?, m)));
            let r = match now_is {
                Some((r, members)) => {
                    self.keep(world, &members, &r, now);
                    r
                }
                None => {
                    gone.extend(was.map(|_| key.clone()));
                    continue;
                }
            };
            if was == Some(r.health)
                && let Ok(i) = report.workloads.binary_search_by(|w| order(w, &r))
            {
                report.workloads[i] = r;
                continue;
            }
            if was.is_some() {
                gone.insert(key.clone());
            }
            fresh.push(r);
        }
        if !gone.is_empty() {
            report.workloads.retain(|w| !gone.contains(&w.key));
        }
        if fresh.is_empty() {
            return;
        }
        fresh.sort_by(order);
        // Both are in order: merge.
        let old = std::mem::take(&mut report.workloads);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => order(x, y).is_le(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_a { a.next() } else { b.next() });
        }
        report.workloads = merged;
    }

    /// Forget what was kept of `key`; the health it was reported with.
    fn forget(&mut self, key: &WorkloadKey) -> Option<Health> {
        let kept = self.kept.remove(key)?;
        for p in &kept.paths {
            if let Some(users) = self.by_path.get_mut(p) {
                users.remove(key);
                if users.is_empty() {
                    self.by_path.remove(p);
                }
            }
        }
        if let Some(at) = kept.next {
            self.due.remove(&(at, key.clone()));
        }
        self.renewal.remove(key);
        Some(kept.health)
    }

    fn keep(&mut self, world: &World, members: &Members, r: &WorkloadReport, now: DateTime<Utc>) {
        let paths: BTreeSet<String> = r.secrets.iter().map(|s| normalize_path(&s.path)).collect();
        let renewal = r
            .findings
            .iter()
            .any(|f| f.code == Code::RenewalLeaseFailed);
        let next = next_change(world, &r.key, members, r, renewal, now);
        for p in &paths {
            self.by_path
                .entry(p.clone())
                .or_default()
                .insert(r.key.clone());
        }
        if renewal {
            self.renewal.insert(r.key.clone());
        }
        if let Some(at) = next {
            self.due.insert((at, r.key.clone()));
        }
        self.kept.insert(
            r.key.clone(),
            Kept {
                health: r.health,
                paths: paths.into_iter().collect(),
                next,
            },
        );
    }
}

/// When the findings of a workload judged at `now` can next change with no
/// change to its inputs. Mirrors the time rules of `rules.rs` (the init
/// timer, OOM recency, a failing renewal's severity) and `expiry.rs`
/// (certificates; lease paths are kept apart, as [`Paths`]).
fn next_change(
    world: &World,
    key: &WorkloadKey,
    members: &Members,
    report: &WorkloadReport,
    renewal: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut next = Next::new(now);
    for pod in members
        .pods
        .iter()
        .filter_map(|n| world.pod(&key.namespace, n))
    {
        for c in pod.agent_containers() {
            if crate::model::injector::is_agent_init(&c.name)
                && let ContainerState::Running { started_at } = &c.state
                && let Some(since) = started_at.or(pod.created)
            {
                next.flip_after(Some(since), Duration::seconds(INIT_STUCK_AFTER));
                next.flip_after(
                    Some(since),
                    Duration::seconds(super::rules::INIT_STUCK_ERROR_AFTER),
                );
                if (now - since).num_seconds() >= INIT_STUCK_AFTER {
                    next.countdown(since);
                }
            }
            let finished = c.last_termination.as_ref().and_then(|t| t.finished_at);
            next.flip_after(finished, Duration::seconds(OOM_RECENT));
            if renewal {
                // The failure's first and latest lines are among these.
                let logs = [true, false]
                    .into_iter()
                    .filter_map(|prev| world.log(&pod.namespace, &pod.name, &c.name, prev));
                for t in logs.flat_map(|b| b.lines()).filter_map(line_timestamp) {
                    next.flip_after(Some(t), Duration::seconds(MAX_TTL_LATE + 1));
                    next.flip_after(
                        Some(t),
                        Duration::seconds(super::rules::RENEWAL_FAILING_FOR_ERROR),
                    );
                }
            }
        }
    }
    if renewal {
        // Whether a lease of the failing path is in the last third of its life.
        for l in &world.vault.leases {
            let Some(expires) = l.expire_time else {
                continue;
            };
            next.flip(Some(expires));
            if let Some(issued) = l.issue_time {
                next.flip(last_third(issued, expires));
            }
        }
    }
    for c in &report.certificates {
        expiry::cert_changes(c, now, &mut next);
    }
    for r in &report.rotations {
        super::rotation::time_changes(r, &mut next);
    }
    if !report.findings.is_empty() {
        // A running sidecar's failed read that went quiet past its retry
        // got its read (`LogSignal::retried_quietly`).
        for pod in members
            .pods
            .iter()
            .filter_map(|n| world.pod(&key.namespace, n))
        {
            let Some(c) = pod.agent_sidecar() else {
                continue;
            };
            if let Some(log) = world.log(&pod.namespace, &pod.name, &c.name, false) {
                for s in super::logs::analyse(log.lines()) {
                    next.flip(s.quiet_since());
                }
            }
        }
    }
    // Every rule above mirrors one in `rules.rs`, `expiry.rs` or
    // `rotation.rs`; a time rule added there and missed here would leave a
    // report wrong until its inputs change. So each workload is judged
    // again within a sweep at the latest, spread by its key so the sweeps
    // of thousands of workloads do not fall in one second.
    let sweep = now + Duration::seconds(SWEEP_SECONDS + spread(key));
    Some(next.at().map_or(sweep, |t| t.min(sweep)))
}

/// The longest a report waits to be judged again with no change.
const SWEEP_SECONDS: i64 = 60;

/// A per-workload offset in `0..SWEEP_SECONDS`.
fn spread(key: &WorkloadKey) -> i64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % SWEEP_SECONDS as u64) as i64
}

/// The first instant `t` at which `(expires - t) * 3 <= expires - issued`.
fn last_third(issued: DateTime<Utc>, expires: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (i, e) = (to_nanos(issued), to_nanos(expires));
    from_nanos(e - (e - i).div_euclid(3))
}
