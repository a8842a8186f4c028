//! Rotations, end to end: the Vault side of each secret (the KV version and
//! when it changed, a new lease, a new certificate) joined with the pod side
//! (each agent's `rendered` line for that secret's file), so a user can see
//! whether every pod got the new secret and how long it took.
//!
//! Pure: the World and `now` come in, the join and its findings come out.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::deadline::Next;
use super::finding::{Code, Finding, Severity, Via};
use super::logs;
use super::text::{self, Success};
use crate::model::injection::Injection;
use crate::model::pod::{ContainerState, PodInfo};
use crate::model::vault::{Certificate, KvMetadata, Lease};
use crate::model::world::World;

/// The agent's default `template-static-secret-render-interval`
/// (vault-k8s leaves it unset; the agent's template config defaults to 5m).
pub const DEFAULT_STATIC_RENDER_INTERVAL: i64 = 300;

/// Slack on top of the render interval before a pod is late: the agent
/// waits for the interval, then reads, then renders.
pub(crate) const GRACE: i64 = 60;

/// A pod that has not rendered a KV version this long after the interval is
/// an error, not a warning: the old version has been served for an hour.
pub(crate) const STALE_FOR_ERROR: i64 = 3600;

/// What changed in Vault last for one secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum VaultChange {
    /// A new KV v2 version was written.
    KvVersion { version: u64, at: DateTime<Utc> },
    /// The newest lease under the path was issued (dynamic credentials).
    LeaseIssued { id: String, at: DateTime<Utc> },
    /// The newest certificate for the names the template asks for.
    CertificateIssued { serial: String, at: DateTime<Utc> },
}

impl VaultChange {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            VaultChange::KvVersion { at, .. }
            | VaultChange::LeaseIssued { at, .. }
            | VaultChange::CertificateIssued { at, .. } => *at,
        }
    }

    pub(crate) fn describe(&self, path: &str) -> String {
        match self {
            VaultChange::KvVersion { version, at } => {
                format!("{path} v{version} written at {}", at.to_rfc3339())
            }
            VaultChange::LeaseIssued { id, at } => {
                format!("lease {id} issued at {}", at.to_rfc3339())
            }
            VaultChange::CertificateIssued { serial, at } => {
                format!("certificate {serial} issued at {}", at.to_rfc3339())
            }
        }
    }
}

/// Whether a pod holds what Vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenderState {
    /// It rendered after the change, or started after it.
    Current,
    /// Not yet, but within its render interval.
    Due,
    /// Not rendered long after its render interval.
    Stale,
    /// The log does not reach back far enough, or no agent re-renders (a
    /// pre-populate-only pod, a CSI mount).
    Unknown,
}

/// One pod's side of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodRender {
    pub pod: String,
    /// The last `rendered` line for the secret's file.
    pub last_render: Option<DateTime<Utc>>,
    /// From Vault's change to this pod's first render after it.
    pub lag_seconds: Option<i64>,
    pub state: RenderState,
    /// How often its agent re-reads the secret (seconds); the state is
    /// judged against it.
    #[serde(skip)]
    pub interval_seconds: i64,
}

/// One secret of a workload, both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRotation {
    pub name: String,
    pub path: String,
    /// The file the agent renders.
    pub file: String,
    pub last_change: Option<VaultChange>,
    pub pods: Vec<PodRender>,
}

/// What the join needs to know about a pod besides its logs.
pub struct PodSide<'a> {
    pub pod: &'a PodInfo,
    /// `template-static-secret-render-interval`, when set.
    pub static_render_interval: Option<Duration>,
    /// Whether an agent keeps running to re-render (not pre-populate-only).
    pub rerenders: bool,
    /// The command the agent runs after rendering each secret, by secret name.
    pub commands: Vec<(String, Option<String>)>,
    /// The containers whose logs hold its renders (init, sidecar).
    pub containers: [&'static str; 2],
    /// The pod's annotation prefix, for fixes.
    pub prefix: &'static str,
}

/// Render times of each destination file, oldest first, from one log.
fn renders<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<(String, DateTime<Utc>)> {
    logs::records(lines)
        .into_iter()
        .filter_map(|r| match text::success(&r.text) {
            Some(Success::Rendered(dest)) => r.at.map(|at| (dest, at)),
            _ => None,
        })
        .collect()
}

fn pod_renders(world: &World, side: &PodSide<'_>) -> Vec<(String, DateTime<Utc>)> {
    let p = side.pod;
    let mut out = Vec::new();
    for c in side.containers {
        for previous in [true, false] {
            if let Some(b) = world.log(&p.namespace, &p.name, c, previous) {
                out.extend(renders(b.lines()));
            }
        }
    }
    out.sort_by_key(|(_, at)| *at);
    out
}

/// The earliest time the pod's logs speak for: before it, a render may
/// have happened that the kept tail no longer shows.
fn log_reaches_back_to(world: &World, side: &PodSide<'_>) -> Option<DateTime<Utc>> {
    let p = side.pod;
    side.containers
        .iter()
        .flat_map(|c| [true, false].map(|prev| world.log(&p.namespace, &p.name, c, prev)))
        .flatten()
        .filter(|b| b.dropped() == 0)
        .filter_map(|b| b.lines().find_map(crate::model::log_line::line_timestamp))
        .min()
}

fn started(pod: &PodInfo) -> Option<DateTime<Utc>> {
    let init_done = pod.init_containers.iter().find_map(|c| match &c.state {
        ContainerState::Terminated(t) if t.exit_code == 0 => t.finished_at,
        _ => None,
    });
    init_done.or(pod.created)
}

fn kv_change(path: &str, kv: &[KvMetadata]) -> Option<VaultChange> {
    let want = text::comparable(path);
    kv.iter()
        .find(|k| text::comparable(&k.data_path()) == want)
        .and_then(|k| {
            k.updated_time.map(|at| VaultChange::KvVersion {
                version: k.current_version,
                at,
            })
        })
}

fn lease_change(path: &str, leases: &[&Lease]) -> Option<VaultChange> {
    leases
        .iter()
        .filter_map(|l| l.issue_time.map(|at| (at, l)))
        .max_by_key(|(at, _)| *at)
        .map(|(at, l)| VaultChange::LeaseIssued {
            id: l.id.clone(),
            at,
        })
        .filter(|_| !path.is_empty())
}

fn cert_change(certs: &[Certificate]) -> Option<VaultChange> {
    certs
        .iter()
        .filter_map(|c| c.not_before.map(|at| (at, c)))
        .max_by_key(|(at, _)| *at)
        .map(|(at, c)| VaultChange::CertificateIssued {
            serial: c.serial.clone(),
            at,
        })
}

/// The Vault side of one secret: its KV version, else its newest lease,
/// else its newest certificate.
pub fn last_change(
    path: &str,
    kv: &[KvMetadata],
    leases: &[&Lease],
    certs: &[Certificate],
) -> Option<VaultChange> {
    kv_change(path, kv)
        .or_else(|| lease_change(path, leases))
        .or_else(|| {
            let pki = path.contains("/issue/") || path.contains("/sign/");
            if pki { cert_change(certs) } else { None }
        })
}

/// Join one agent secret's Vault side with every pod's renders.
pub fn join(
    secret: &crate::diagnose::SecretRef,
    change: Option<VaultChange>,
    pods: &[PodSide<'_>],
    world: &World,
    now: DateTime<Utc>,
) -> SecretRotation {
    let file = secret.target.clone();
    let pods = pods
        .iter()
        .map(|side| {
            let mine: Vec<DateTime<Utc>> = pod_renders(world, side)
                .into_iter()
                .filter(|(dest, _)| *dest == file)
                .map(|(_, at)| at)
                .collect();
            let last_render = mine.last().copied();
            let Some(change) = &change else {
                return PodRender {
                    pod: side.pod.name.clone(),
                    last_render,
                    lag_seconds: None,
                    state: RenderState::Unknown,
                    interval_seconds: interval_of(side),
                };
            };
            let at = change.at();
            // A pod that started after the change read it at start: there is
            // no lag to measure.
            let started_after = started(side.pod).is_some_and(|s| s >= at);
            let first_after = mine.iter().find(|t| **t >= at).copied();
            let (lag_seconds, state) = match first_after {
                _ if started_after => (None, RenderState::Current),
                Some(t) => (Some((t - at).num_seconds()), RenderState::Current),
                None => (None, pending_state(side, change, world, now)),
            };
            PodRender {
                pod: side.pod.name.clone(),
                last_render,
                lag_seconds,
                state,
                interval_seconds: interval_of(side),
            }
        })
        .collect();
    SecretRotation {
        name: secret.name.clone(),
        path: secret.path.clone(),
        file,
        last_change: change,
        pods,
    }
}

/// A pod that has not rendered since Vault's change: due, stale, or not
/// known. Only KV versions are expected to reach every pod: each pod has
/// its own lease and certificate.
fn pending_state(
    side: &PodSide<'_>,
    change: &VaultChange,
    world: &World,
    now: DateTime<Utc>,
) -> RenderState {
    let VaultChange::KvVersion { at, .. } = change else {
        return RenderState::Unknown;
    };
    if !side.rerenders {
        return RenderState::Unknown;
    }
    let interval = interval_of(side);
    if (now - *at).num_seconds() <= interval + GRACE {
        return RenderState::Due;
    }
    // The log must cover the time since the change: a render before the
    // kept tail began cannot be seen.
    match log_reaches_back_to(world, side) {
        Some(t) if t <= *at => RenderState::Stale,
        _ => RenderState::Unknown,
    }
}

/// When the join of `r` or its findings can next change by the clock
/// alone: a pod left on an old KV version goes from due to stale once its
/// interval and the grace are over, stale becomes an error an hour later,
/// and the finding's text counts the time since the change.
pub fn time_changes(r: &SecretRotation, next: &mut Next) {
    let Some(VaultChange::KvVersion { at, .. }) = &r.last_change else {
        return;
    };
    for p in r.pods.iter().filter(|p| p.state != RenderState::Current) {
        // `num_seconds` truncates: the state flips a second after the bound.
        let due = Duration::seconds(p.interval_seconds + GRACE + 1);
        next.flip_after(Some(*at), due);
        next.flip_after(Some(*at), due + Duration::seconds(STALE_FOR_ERROR));
        if p.state == RenderState::Stale {
            next.countdown(*at);
        }
    }
}

fn interval_of(side: &PodSide<'_>) -> i64 {
    side.static_render_interval
        .map_or(DEFAULT_STATIC_RENDER_INTERVAL, |d| d.num_seconds())
}

/// Findings about rotations: pods left on an old KV version, rotations that
/// took much longer than the render interval, and new dynamic credentials
/// or certificates rendered with no command to make the app use them.
pub fn findings(
    rotations: &[SecretRotation],
    sides: &[PodSide<'_>],
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in rotations {
        let Some(change) = &r.last_change else {
            continue;
        };
        let vault_side = change.describe(&r.path);
        for p in &r.pods {
            let side = sides.iter().find(|s| s.pod.name == p.pod);
            let interval = side.map_or(DEFAULT_STATIC_RENDER_INTERVAL, interval_of);
            let rendered = p
                .last_render
                .map_or("no render of it in the log".to_string(), |t| {
                    format!("last rendered {} at {}", r.file, t.to_rfc3339())
                });
            match p.state {
                RenderState::Stale => {
                    let waited = (now - change.at()).num_seconds();
                    let sev = if waited > interval + GRACE + STALE_FOR_ERROR {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    out.push(
                        Finding::new(
                            Code::RotationNotPropagated,
                            sev,
                            Via::Agent,
                            format!(
                                "{} still holds an older version of {}: Vault changed it {} ago and the agent re-reads it every {}",
                                p.pod,
                                r.name,
                                crate::model::vault::countdown(now - change.at()),
                                crate::model::vault::countdown(Duration::seconds(interval)),
                            ),
                            "Read the agent log for read errors since the change (a policy or path problem stops re-renders); the interval is template-static-secret-render-interval on the pod; deleting the pod renders the current version at start.",
                        )
                        .pod(&p.pod)
                        .evidence(format!("Vault: {vault_side}; pod: {rendered}")),
                    );
                }
                RenderState::Current
                    if matches!(change, VaultChange::KvVersion { .. })
                        && p.lag_seconds.is_some_and(|l| l > interval + GRACE) =>
                {
                    out.push(
                        Finding::new(
                            Code::RotationLagging,
                            Severity::Info,
                            Via::Agent,
                            format!(
                                "{} picked up the new version of {} {} after Vault changed it (its render interval is {})",
                                p.pod,
                                r.name,
                                crate::model::vault::countdown(Duration::seconds(p.lag_seconds.unwrap_or_default())),
                                crate::model::vault::countdown(Duration::seconds(interval)),
                            ),
                            "Nothing to do if this is expected; a late render usually means the agent could not read for a while (see its log at that time).",
                        )
                        .pod(&p.pod)
                        .evidence(format!("Vault: {vault_side}; pod: {rendered}")),
                    );
                }
                _ => {}
            }
        }
        // New credentials or a new certificate, rendered after the pod
        // started, with nothing to make the app read them.
        if matches!(
            change,
            VaultChange::LeaseIssued { .. } | VaultChange::CertificateIssued { .. }
        ) {
            for p in &r.pods {
                let Some(side) = sides.iter().find(|s| s.pod.name == p.pod) else {
                    continue;
                };
                let re_rendered = p
                    .last_render
                    .zip(started(side.pod))
                    .is_some_and(|(t, s)| t > s + Duration::seconds(GRACE));
                let has_command = side.commands.iter().any(|(name, c)| {
                    *name == r.name && c.as_deref().is_some_and(|c| !c.trim().is_empty())
                });
                if re_rendered && !has_command {
                    out.push(
                        Finding::new(
                            Code::RotationNoReload,
                            Severity::Warning,
                            Via::Agent,
                            format!(
                                "{} got new {} for {} but nothing tells the app to use them",
                                p.pod,
                                if matches!(change, VaultChange::CertificateIssued { .. }) { "certificate" } else { "credentials" },
                                r.name
                            ),
                            format!(
                                "Set {}agent-inject-command-{} to a command that makes the app reload (a signal, an HTTP call), or have the app re-read the file; the old credentials stop working when their lease ends.",
                                side.prefix,
                                r.name
                            ),
                        )
                        .pod(&p.pod)
                        .evidence(format!(
                            "Vault: {vault_side}; pod: rendered {} at {}; no agent-inject-command-{}",
                            r.file,
                            p.last_render.map_or_else(String::new, |t| t.to_rfc3339()),
                            r.name
                        )),
                    );
                }
            }
        }
    }
    out
}

/// Whether a secret is one the agent renders (CSI mounts are told by their
/// pod status objects instead).
pub fn is_agent_secret(s: &crate::diagnose::SecretRef) -> bool {
    s.via == Injection::Agent
}
