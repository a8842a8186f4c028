//! Which agent logs a one-shot read (`check`, `capture`) asks for.
//!
//! Every log request is proxied by the API server to a kubelet, so on a big
//! cluster the reads cost more than all the lists together. A container that
//! never started is never asked about: the answer could only be an error (or,
//! for a pod without a node, nothing). Agents in trouble are read in full;
//! healthy-looking ones within a budget, those whose tokens or leases run
//! out or are due for renewal soonest first, since that is where a quiet
//! renewal problem would show next.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::model::World;
use crate::model::annotations;
use crate::model::logs::{LogKey, LogReads, MAX_LOG_LINES};
use crate::model::paths::normalize_path;
use crate::model::pod::{ContainerInfo, ContainerState, PodInfo};

/// Which agent logs `check` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogMode {
    /// Agents in trouble in full, and healthy-looking ones within --log-budget.
    #[default]
    All,
    /// Only agents in trouble (not running, restarted, init not completed).
    Trouble,
    /// No logs: the diagnosis sees container states and events only.
    None,
}

impl LogMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LogMode::All => "all",
            LogMode::Trouble => "trouble",
            LogMode::None => "none",
        }
    }
}

/// Healthy-looking agents read by default: enough to catch renewal trouble
/// in the agents nearest expiry, few enough that a `check` of a big cluster
/// costs the API server about as much as listing its pods.
pub const DEFAULT_LOG_BUDGET: usize = 100;

/// A healthy agent's recent lines are enough to see a renewal problem;
/// agents in trouble get the full tail.
const HEALTHY_TAIL: i64 = 200;

/// One log to read: which, and how many of its last lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRead {
    pub key: LogKey,
    pub tail: i64,
}

/// The reads to make, and what was left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogPlan {
    pub reads: Vec<LogRead>,
    pub summary: LogReads,
}

/// An agent container whose state says nothing is wrong: an init container
/// that exited 0, a running sidecar, or one not started yet; never restarted.
pub fn agent_looks_fine(c: &ContainerInfo) -> bool {
    let init = crate::model::injector::is_agent_init(&c.name);
    c.restart_count == 0
        && match &c.state {
            ContainerState::Terminated(t) => init && t.exit_code == 0,
            ContainerState::Running { .. } => !init,
            ContainerState::Unknown => true,
            ContainerState::Waiting { reason, .. } => reason.as_deref() == Some("PodInitializing"),
        }
}

/// The logs of `c` the kubelet has: its current instance once it runs or
/// ran, its previous one once an earlier run ended; none while the pod has
/// no node.
pub fn readable_logs(pod: &PodInfo, c: &ContainerInfo) -> Vec<LogKey> {
    if pod.node_name.is_none() {
        return Vec::new();
    }
    let key = |previous| LogKey {
        namespace: pod.namespace.clone(),
        pod: pod.name.clone(),
        container: c.name.clone(),
        previous,
    };
    let mut out = Vec::new();
    if c.has_previous_log() {
        out.push(key(true));
    }
    if c.has_current_log() {
        out.push(key(false));
    }
    out
}

/// When something an agent holds needs it next: its lease or token expires,
/// or is due for renewal (agents renew at about two thirds of the TTL).
fn due(start: Option<DateTime<Utc>>, expire: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let expire = expire?;
    Some(match start {
        Some(s) if s < expire => s + (expire - s) * 2 / 3,
        _ => expire,
    })
}

/// For each pod, the soonest instant one of its leases or tokens is due.
struct Urgency {
    /// Lease source path → soonest due.
    paths: HashMap<String, DateTime<Utc>>,
    /// (namespace, service account) → soonest token due.
    accounts: HashMap<(String, String), DateTime<Utc>>,
}

impl Urgency {
    fn new(world: &World) -> Urgency {
        let mut paths: HashMap<String, DateTime<Utc>> = HashMap::new();
        for l in &world.vault.leases {
            if let Some(d) = due(l.last_renewal.or(l.issue_time), l.expire_time) {
                let e = paths.entry(l.source_path().to_string()).or_insert(d);
                *e = (*e).min(d);
            }
        }
        let mut accounts: HashMap<(String, String), DateTime<Utc>> = HashMap::new();
        for t in &world.vault.tokens {
            if let Some(d) = due(t.issue_time, t.expire_time) {
                let k = (
                    t.service_account_namespace.clone(),
                    t.service_account_name.clone(),
                );
                let e = accounts.entry(k).or_insert(d);
                *e = (*e).min(d);
            }
        }
        Urgency { paths, accounts }
    }

    fn of(&self, pod: &PodInfo) -> Option<DateTime<Utc>> {
        let token = self
            .accounts
            .get(&(pod.namespace.clone(), pod.service_account.clone()))
            .copied();
        if self.paths.is_empty() {
            return token;
        }
        let parsed = annotations::parse(&pod.annotations);
        let leases = parsed
            .spec
            .secrets
            .iter()
            .filter_map(|s| self.paths.get(&normalize_path(&s.path)).copied());
        leases.chain(token).min()
    }
}

/// The reads for `mode`: every readable log of an agent in trouble, whole;
/// the current log of healthy-looking agents, the `budget` most urgent
/// (`None`: all of them).
pub fn plan(world: &World, mode: LogMode, budget: Option<usize>) -> LogPlan {
    let mut summary = LogReads {
        mode: mode.as_str().to_string(),
        budget,
        ..LogReads::default()
    };
    let mut reads = Vec::new();
    let urgency = Urgency::new(world);
    // (init, due, key): sidecars, which renew, before init containers,
    // which rendered and left; soonest due first; then by name.
    let mut healthy: Vec<(bool, Option<DateTime<Utc>>, LogKey)> = Vec::new();
    for pod in world.pods.values() {
        let mut pod_due: Option<Option<DateTime<Utc>>> = None;
        for c in pod.agent_containers() {
            let keys = readable_logs(pod, c);
            if keys.is_empty() {
                summary.not_started += 1;
                continue;
            }
            if !agent_looks_fine(c) {
                if mode == LogMode::None {
                    summary.unread_trouble += 1;
                    continue;
                }
                summary.read_trouble += 1;
                reads.extend(keys.into_iter().map(|key| LogRead {
                    key,
                    tail: MAX_LOG_LINES as i64,
                }));
                continue;
            }
            // A healthy agent never restarted: only its current log.
            for key in keys.into_iter().filter(|k| !k.previous) {
                let d = *pod_due.get_or_insert_with(|| urgency.of(pod));
                healthy.push((crate::model::injector::is_agent_init(&c.name), d, key));
            }
        }
    }
    let take = match mode {
        LogMode::All => budget.unwrap_or(usize::MAX),
        LogMode::Trouble | LogMode::None => 0,
    };
    if take < healthy.len() {
        // `None` sorts first as an `Option`: put the unknown last.
        healthy
            .sort_by(|a, b| (a.0, a.1.is_none(), a.1, &a.2).cmp(&(b.0, b.1.is_none(), b.1, &b.2)));
    }
    summary.unread_healthy = healthy.len().saturating_sub(take);
    for (_, _, key) in healthy.into_iter().take(take) {
        summary.read_healthy += 1;
        reads.push(LogRead {
            key,
            tail: HEALTHY_TAIL,
        });
    }
    summary.requests = reads.len();
    LogPlan { reads, summary }
}

/// Why a read failed, in a few words for a count: the HTTP status and its
/// reason, or what went wrong on the way.
pub fn failure_reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.reason.is_empty() => s.code.to_string(),
        kube::Error::Api(s) => format!("{} {}", s.code, s.reason),
        kube::Error::HyperError(_) | kube::Error::Service(_) => "unreachable".into(),
        _ => "other error".into(),
    }
}

/// Add one failed read to the counts.
pub fn count_failure(failed: &mut BTreeMap<String, usize>, reason: String) {
    *failed.entry(reason).or_default() += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Observation;
    use crate::model::pod::{AGENT_INIT, AGENT_SIDECAR, Termination};
    use crate::model::vault::{AgentToken, Lease};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn container(name: &str, state: ContainerState) -> ContainerInfo {
        ContainerInfo {
            name: name.into(),
            image: "hashicorp/vault:1.15.2".into(),
            state,
            ready: false,
            restart_count: 0,
            last_termination: None,
        }
    }

    fn running() -> ContainerState {
        ContainerState::Running {
            started_at: Some(t("2026-01-01T00:00:00Z")),
        }
    }

    fn done() -> ContainerState {
        ContainerState::Terminated(Termination {
            exit_code: 0,
            reason: Some("Completed".into()),
            message: None,
            started_at: None,
            finished_at: None,
        })
    }

    fn waiting(reason: &str) -> ContainerState {
        ContainerState::Waiting {
            reason: Some(reason.into()),
            message: None,
        }
    }

    /// An injected pod on a node (or not), with a secret at `path`.
    fn pod(name: &str, node: bool, init: ContainerInfo, sidecar: ContainerInfo) -> PodInfo {
        PodInfo {
            namespace: "shop".into(),
            name: name.into(),
            uid: format!("uid-{name}"),
            owner: None,
            annotations: [
                ("vault.hashicorp.com/agent-inject", "true"),
                ("vault.hashicorp.com/role", "web"),
                (
                    "vault.hashicorp.com/agent-inject-secret-db",
                    &*format!("database/creds/{name}"),
                ),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            service_account: name.into(),
            node_name: node.then(|| "node-1".into()),
            created: None,
            deleting: false,
            phase: "Running".into(),
            reason: None,
            message: None,
            conditions: vec![],
            init_containers: vec![init],
            containers: vec![sidecar],
            csi_volumes: vec![],
        }
    }

    fn healthy(name: &str) -> PodInfo {
        pod(
            name,
            true,
            container(AGENT_INIT, done()),
            container(AGENT_SIDECAR, running()),
        )
    }

    fn world(pods: Vec<PodInfo>) -> World {
        let mut w = World::default();
        for p in pods {
            w.apply(Observation::PodApplied(Box::new(p)));
        }
        w
    }

    fn lease(path: &str, issued: &str, expires: &str) -> Lease {
        Lease {
            id: format!("{path}/x"),
            issue_time: Some(t(issued)),
            expire_time: Some(t(expires)),
            ttl_seconds: 0,
            renewable: true,
            last_renewal: None,
            max_ttl_seconds: None,
        }
    }

    fn read_names(p: &LogPlan) -> Vec<String> {
        p.reads
            .iter()
            .map(|r| {
                format!(
                    "{}/{}{}",
                    r.key.pod,
                    r.key.container,
                    if r.key.previous { " (previous)" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn containers_that_never_started_are_never_read() {
        let unscheduled = {
            let mut p = pod(
                "unscheduled",
                false,
                container(AGENT_INIT, ContainerState::Unknown),
                container(AGENT_SIDECAR, ContainerState::Unknown),
            );
            p.phase = "Pending".into();
            p
        };
        let creating = pod(
            "creating",
            true,
            container(AGENT_INIT, waiting("ContainerCreating")),
            container(AGENT_SIDECAR, waiting("PodInitializing")),
        );
        let pulling = pod(
            "pulling",
            true,
            container(AGENT_INIT, waiting("ImagePullBackOff")),
            container(AGENT_SIDECAR, waiting("PodInitializing")),
        );
        let p = plan(
            &world(vec![unscheduled, creating, pulling]),
            LogMode::All,
            None,
        );
        assert!(p.reads.is_empty(), "{:?}", read_names(&p));
        assert_eq!(p.summary.not_started, 6);
    }

    #[test]
    fn agents_in_trouble_are_read_whole_with_their_previous_run() {
        let mut crashing = container(AGENT_INIT, waiting("CrashLoopBackOff"));
        crashing.restart_count = 4;
        crashing.last_termination = Some(Termination {
            exit_code: 1,
            reason: Some("Error".into()),
            message: None,
            started_at: None,
            finished_at: None,
        });
        let stuck = pod(
            "stuck",
            true,
            container(AGENT_INIT, running()),
            container(AGENT_SIDECAR, waiting("PodInitializing")),
        );
        let looping = pod(
            "looping",
            true,
            crashing,
            container(AGENT_SIDECAR, waiting("PodInitializing")),
        );
        // Budget 0: trouble is read anyway.
        let p = plan(&world(vec![stuck, looping]), LogMode::All, Some(0));
        assert_eq!(
            read_names(&p),
            [
                "looping/vault-agent-init (previous)",
                "looping/vault-agent-init",
                "stuck/vault-agent-init"
            ]
        );
        assert!(p.reads.iter().all(|r| r.tail == MAX_LOG_LINES as i64));
        assert_eq!(p.summary.read_trouble, 2);
        assert_eq!(p.summary.not_started, 2);
    }

    #[test]
    fn the_budget_reads_the_agents_nearest_expiry_or_renewal_first() {
        let mut w = world(vec![
            healthy("a-no-vault-data"),
            healthy("b-far"),
            healthy("c-renewal-due"),
            healthy("d-token-expiring"),
        ]);
        // b: issued now, expires in a day; renewal due at two thirds.
        // c: a lease issued long ago whose renewal is past due, though it
        // expires later than b's.
        w.vault.leases = vec![
            lease(
                "database/creds/b-far",
                "2026-01-01T00:00:00Z",
                "2026-01-02T00:00:00Z",
            ),
            lease(
                "database/creds/c-renewal-due",
                "2025-12-01T00:00:00Z",
                "2026-01-03T00:00:00Z",
            ),
        ];
        w.vault.tokens = vec![AgentToken {
            display_name: "kubernetes-shop-d".into(),
            role: Some("web".into()),
            service_account_name: "d-token-expiring".into(),
            service_account_namespace: "shop".into(),
            policies: vec![],
            issue_time: Some(t("2026-01-01T00:00:00Z")),
            expire_time: Some(t("2026-01-01T00:30:00Z")),
            ttl_seconds: 1800,
            renewable: true,
        }];
        let p = plan(&w, LogMode::All, Some(3));
        assert_eq!(
            read_names(&p),
            [
                "c-renewal-due/vault-agent",
                "d-token-expiring/vault-agent",
                "b-far/vault-agent"
            ]
        );
        assert!(p.reads.iter().all(|r| r.tail == HEALTHY_TAIL));
        // The rest: the unknown sidecar, and the four finished init agents.
        assert_eq!(p.summary.read_healthy, 3);
        assert_eq!(p.summary.unread_healthy, 5);

        // Sidecars first when nothing is known, then the init containers.
        let p = plan(
            &world(vec![healthy("x"), healthy("y")]),
            LogMode::All,
            Some(3),
        );
        assert_eq!(
            read_names(&p),
            ["x/vault-agent", "y/vault-agent", "x/vault-agent-init"]
        );
    }

    #[test]
    fn modes_trouble_and_none() {
        let stuck = pod(
            "stuck",
            true,
            container(AGENT_INIT, running()),
            container(AGENT_SIDECAR, waiting("PodInitializing")),
        );
        let w = world(vec![stuck, healthy("fine")]);
        let p = plan(&w, LogMode::Trouble, Some(100));
        assert_eq!(read_names(&p), ["stuck/vault-agent-init"]);
        assert_eq!(p.summary.unread_healthy, 2);
        let p = plan(&w, LogMode::None, Some(100));
        assert!(p.reads.is_empty());
        assert_eq!(p.summary.unread_trouble, 1);
        assert_eq!(p.summary.unread_healthy, 2);
        let p = plan(&w, LogMode::All, None);
        assert_eq!(p.reads.len(), 3);
        assert_eq!(p.summary.unread_healthy, 0);
    }
}
