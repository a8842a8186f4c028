//! Rotations of CSI mounts: a secret's change in Vault joined with each
//! pod's SecretProviderClassPodStatus, the driver's record of what the
//! pod's mount holds.
//!
//! The pod side is thinner than an agent's log: the status carries each
//! object's version (for Vault's provider an HMAC of the content,
//! vault-csi-provider `internal/provider/provider.go`), not the KV version,
//! and no time of its own. Its last write time (managedFields) is when a
//! remount last brought other versions; the driver up to v1.5 also left
//! `MountRotationComplete` events (`pkg/rotation/reconciler.go`). Like the
//! agent's `rendered` line, a write only happens when the content the pod
//! reads changed: a KV write that leaves this object's key as it was moves
//! nothing, and vaultscope cannot tell that apart without reading secrets.
//!
//! Pure: the World and `now` come in, the join and its findings come out.

use chrono::{DateTime, Duration, Utc};

use super::SecretRef;
use super::finding::{Code, Finding, Severity, Via};
use super::rotation::{
    GRACE, PodRender, RenderState, STALE_FOR_ERROR, SecretRotation, VaultChange,
};
use crate::model::csi::{DEFAULT_ROTATION_POLL_INTERVAL, SecretProviderClassPodStatusInfo};
use crate::model::objects::EventInfo;
use crate::model::pod::PodInfo;
use crate::model::vault::countdown;
use crate::model::world::World;

/// Pod events of the driver's rotation controller (v0.0.15 to v1.5.x,
/// `pkg/rotation/reconciler.go`; removed in v1.6.0, where kubelet's
/// republish does the remount and no event is left).
pub const ROTATION_EVENTS: [&str; 4] = [
    "MountRotationComplete",
    "MountRotationFailed",
    "SecretRotationComplete",
    "SecretRotationFailed",
];

/// What is known of the driver's rotation, and how it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverRotation {
    On {
        interval: i64,
        why: String,
    },
    Off {
        why: String,
    },
    /// Nothing read says either way.
    Unknown {
        interval: i64,
    },
}

impl DriverRotation {
    /// The poll interval: a remount is due at most this long after a change
    /// (plus kubelet's own sync period, covered by the grace).
    pub fn interval(&self) -> i64 {
        match self {
            DriverRotation::On { interval, .. } | DriverRotation::Unknown { interval } => *interval,
            DriverRotation::Off { .. } => DEFAULT_ROTATION_POLL_INTERVAL,
        }
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// Read the driver's rotation from what vaultscope may see: the driver's
/// flags when read, the old controller's events, a status the driver
/// rewrote, and the CSIDriver object's `requiresRepublish`.
pub fn driver_rotation(world: &World) -> DriverRotation {
    let cfg = world.csi_driver.as_ref();
    let interval = cfg
        .and_then(|c| c.poll_interval_seconds)
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_ROTATION_POLL_INTERVAL);
    if let Some(c) = cfg
        && let Some(on) = c.rotation_enabled
    {
        let from = c.flags_from.as_deref().unwrap_or("the driver's flags");
        return if on {
            DriverRotation::On {
                interval,
                why: format!("{from}: --enable-secret-rotation=true"),
            }
        } else {
            DriverRotation::Off {
                why: format!("{from}: --enable-secret-rotation=false (or not given: the default)"),
            }
        };
    }
    if let Some(e) = world
        .events
        .values()
        .find(|e| ROTATION_EVENTS.contains(&e.reason.as_str()))
    {
        return DriverRotation::On {
            interval,
            why: format!(
                "the driver's rotation controller left a {} event on {}/{}",
                e.reason, e.involved.namespace, e.involved.name
            ),
        };
    }
    if let Some(s) = world.pod_statuses.values().find(|s| rewritten(s)) {
        return DriverRotation::On {
            interval,
            why: format!(
                "SecretProviderClassPodStatus {}/{} was rewritten at {}, after the mount at {}",
                s.namespace,
                s.name,
                s.written.map(stamp).unwrap_or_default(),
                s.created.map(stamp).unwrap_or_default(),
            ),
        };
    }
    if let Some(c) = cfg
        && c.requires_republish == Some(false)
    {
        return DriverRotation::Off {
            why: "CSIDriver secrets-store.csi.k8s.io: requiresRepublish is false, so kubelet never publishes a mount again (from driver v1.6.0 that is the only way a mount is refreshed; the chart sets it from enableSecretRotation)".into(),
        };
    }
    DriverRotation::Unknown { interval }
}

/// The driver wrote the status again after creating it: a remount brought
/// other versions.
fn rewritten(s: &SecretProviderClassPodStatusInfo) -> bool {
    s.written
        .zip(s.created)
        .is_some_and(|(w, c)| w > c + Duration::seconds(1))
}

/// One pod's side of a CSI secret.
pub struct CsiSide<'a> {
    pub pod: &'a PodInfo,
    /// The pod's status for the secret's class, once mounted.
    pub status: Option<&'a SecretProviderClassPodStatusInfo>,
    /// The driver's rotation events about the pod (up to v1.5).
    pub events: Vec<&'a EventInfo>,
}

impl CsiSide<'_> {
    /// When the pod's mount last took content from Vault.
    fn last_render(&self, class: &str) -> Option<DateTime<Utc>> {
        let by_event = self
            .events
            .iter()
            .filter(|e| e.reason == "MountRotationComplete")
            // "successfully rotated mounted contents for spc <ns>/<class>"
            .filter(|e| e.message.trim_end().ends_with(&format!("/{class}")))
            .filter_map(|e| e.last_seen)
            .max();
        self.status.and_then(|s| s.last_written()).max(by_event)
    }

    fn mounted_at(&self) -> Option<DateTime<Utc>> {
        self.status.and_then(|s| s.created).or(self.pod.created)
    }
}

/// Join one CSI secret (object `name` of class `target`) with every pod
/// that mounts the class.
pub fn join(
    secret: &SecretRef,
    change: Option<VaultChange>,
    sides: &[CsiSide<'_>],
    driver: &DriverRotation,
    now: DateTime<Utc>,
) -> SecretRotation {
    let class = secret.target.as_str();
    let pods = sides
        .iter()
        .filter(|s| s.status.is_some_and(|st| st.mounted))
        .map(|side| {
            let last_render = side.last_render(class);
            let (lag_seconds, state) = match &change {
                None => (None, RenderState::Unknown),
                Some(change) => {
                    let at = change.at();
                    if side.mounted_at().is_some_and(|m| m >= at) {
                        (None, RenderState::Current)
                    } else if let Some(t) = last_render.filter(|t| *t >= at) {
                        (Some((t - at).num_seconds()), RenderState::Current)
                    } else {
                        (None, pending(secret, change, side, sides, driver, now))
                    }
                }
            };
            PodRender {
                pod: side.pod.name.clone(),
                last_render,
                lag_seconds,
                state,
                // The driver remounts every poll interval: the incremental
                // diagnosis schedules due → stale by it.
                interval_seconds: driver.interval(),
            }
        })
        .collect();
    SecretRotation {
        name: secret.name.clone(),
        path: secret.path.clone(),
        file: secret.target.clone(),
        last_change: change,
        pods,
    }
}

/// A pod whose mount has not changed since Vault's change.
fn pending(
    secret: &SecretRef,
    change: &VaultChange,
    side: &CsiSide<'_>,
    sides: &[CsiSide<'_>],
    driver: &DriverRotation,
    now: DateTime<Utc>,
) -> RenderState {
    // Each mount gets its own lease or certificate: only a KV version is
    // expected to reach every pod.
    let VaultChange::KvVersion { at, .. } = change else {
        return RenderState::Unknown;
    };
    if let DriverRotation::Off { .. } = driver {
        // Nothing will read Vault for this mount again.
        return RenderState::Stale;
    }
    if (now - *at).num_seconds() <= driver.interval() + GRACE {
        return RenderState::Due;
    }
    if newer_sibling(&secret.name, &secret.target, *at, side, sides).is_some() {
        return RenderState::Stale;
    }
    match driver {
        DriverRotation::On { .. } => RenderState::Stale,
        _ => RenderState::Unknown,
    }
}

/// Another pod of the class whose mount took the object after the change
/// and holds another version of it than this pod: proof this pod has not.
fn newer_sibling<'a>(
    object: &str,
    class: &str,
    at: DateTime<Utc>,
    side: &CsiSide<'_>,
    sides: &'a [CsiSide<'a>],
) -> Option<&'a CsiSide<'a>> {
    let mine = side.status?.version_of(object)?;
    sides.iter().find(|o| {
        o.pod.name != side.pod.name
            && o.last_render(class).is_some_and(|t| t >= at)
            && o.status
                .and_then(|s| s.version_of(object))
                .is_some_and(|v| v != mine)
    })
}

/// Findings about CSI rotations: pods left on an old version, rotations
/// that reached a pod late, and mounts of Vault objects on a driver that
/// does not rotate.
pub fn findings(
    rotations: &[SecretRotation],
    sides: &[CsiSide<'_>],
    driver: &DriverRotation,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let interval = driver.interval();
    for r in rotations {
        let Some(change) = &r.last_change else {
            continue;
        };
        let vault_side = change.describe(&r.path);
        for p in &r.pods {
            let Some(side) = sides.iter().find(|s| s.pod.name == p.pod) else {
                continue;
            };
            let pod_side = pod_evidence(side, &r.name);
            match p.state {
                RenderState::Stale if !matches!(driver, DriverRotation::Off { .. }) => {
                    let waited = (now - change.at()).num_seconds();
                    let sev = if waited > interval + GRACE + STALE_FOR_ERROR {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    let sibling = match change {
                        VaultChange::KvVersion { at, .. } => {
                            newer_sibling(&r.name, &r.file, *at, side, sides).map(|o| {
                                format!(
                                    "; {} took version {} at {}",
                                    o.pod.name,
                                    o.status
                                        .and_then(|s| s.version_of(&r.name))
                                        .map(short)
                                        .unwrap_or_default(),
                                    o.last_render(&r.file).map(stamp).unwrap_or_default()
                                )
                            })
                        }
                        _ => None,
                    };
                    let how = match driver {
                        DriverRotation::On { why, .. } => format!("; driver: {why}"),
                        _ => String::new(),
                    };
                    out.push(
                        Finding::new(
                            Code::RotationNotPropagated,
                            sev,
                            Via::Csi,
                            format!(
                                "{} still mounts an older version of {} from {}: Vault changed it {} ago and the driver remounts every {}",
                                p.pod,
                                r.name,
                                r.file,
                                countdown(now - change.at()),
                                countdown(Duration::seconds(interval)),
                            ),
                            "Look for MountRotationFailed events or provider errors since the change (a policy or path problem stops remounts), and at the driver's --rotation-poll-interval; deleting the pod mounts the current version at start.",
                        )
                        .pod(&p.pod)
                        .evidence(format!(
                            "Vault: {vault_side}; pod: {pod_side}{}{how}",
                            sibling.unwrap_or_default()
                        )),
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
                            Via::Csi,
                            format!(
                                "{} mounted the new version of {} {} after Vault changed it (the driver's poll interval is {})",
                                p.pod,
                                r.name,
                                countdown(Duration::seconds(p.lag_seconds.unwrap_or_default())),
                                countdown(Duration::seconds(interval)),
                            ),
                            "Nothing to do if this is expected; a late remount usually means the provider could not read for a while (see MountRotationFailed events or the provider's log at that time).",
                        )
                        .pod(&p.pod)
                        .evidence(format!("Vault: {vault_side}; pod: {pod_side}")),
                    );
                }
                _ => {}
            }
        }
    }
    if let DriverRotation::Off { why } = driver {
        out.extend(disabled_findings(rotations, sides, why));
    }
    out
}

/// The first characters of a version (an HMAC, long and unreadable), enough
/// to tell two apart.
fn short(v: &str) -> String {
    let mut s: String = v.chars().take(10).collect();
    if v.chars().count() > 10 {
        s.push('…');
    }
    s
}

fn pod_evidence(side: &CsiSide<'_>, object: &str) -> String {
    match side.status {
        Some(s) => format!(
            "SecretProviderClassPodStatus {} holds {object} version {}, mounted {}, last written {}",
            s.name,
            s.version_of(object).map_or("(none)".into(), short),
            s.created.map_or("at an unknown time".into(), stamp),
            s.last_written().map_or("at an unknown time".into(), stamp),
        ),
        None => "no SecretProviderClassPodStatus".into(),
    }
}

/// `rotation.csi_rotation_disabled`, per pod that mounts Vault objects:
/// a warning when Vault changed one of them after the mount (the pod holds
/// the old content and nothing will fetch the new), else info (the next
/// change will not reach it).
fn disabled_findings(
    rotations: &[SecretRotation],
    sides: &[CsiSide<'_>],
    why: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for side in sides {
        let Some(status) = side.status.filter(|s| s.mounted) else {
            continue;
        };
        let class = status.class_name.as_str();
        let mine: Vec<&SecretRotation> = rotations.iter().filter(|r| r.file == class).collect();
        if mine.is_empty() {
            continue;
        }
        let changed: Vec<(&SecretRotation, &VaultChange)> = mine
            .iter()
            .filter_map(|r| {
                let p = r.pods.iter().find(|p| p.pod == side.pod.name)?;
                let c = r.last_change.as_ref()?;
                (p.state == RenderState::Stale).then_some((*r, c))
            })
            .collect();
        let mounted = status.created.map_or("at an unknown time".into(), stamp);
        let fix = "Enable rotation on the driver: --enable-secret-rotation=true on the secrets-store container (helm: enableSecretRotation=true, which also sets requiresRepublish on the CSIDriver), with --rotation-poll-interval (default 2m) as the most a change may wait; until then, restart the pods after each change in Vault.";
        let f = if changed.is_empty() {
            Finding::new(
                Code::RotationCsiRotationDisabled,
                Severity::Info,
                Via::Csi,
                format!(
                    "{class} mounts secrets from Vault but the CSI driver does not rotate mounts: a change in Vault reaches a pod only when it restarts"
                ),
                fix,
            )
            .evidence(format!("driver: {why}; pod: mounted {mounted}"))
        } else {
            let vault: Vec<String> = changed
                .iter()
                .map(|(r, c)| format!("{} ({})", r.name, c.describe(&r.path)))
                .collect();
            Finding::new(
                Code::RotationCsiRotationDisabled,
                Severity::Warning,
                Via::Csi,
                format!(
                    "{class} mounts secrets from Vault that changed after the mount, and the CSI driver does not rotate mounts: the pod keeps what it read at start"
                ),
                fix,
            )
            .evidence(format!(
                "driver: {why}; Vault: {}; pod: mounted {mounted}",
                vault.join(", ")
            ))
        };
        out.push(f.pod(&side.pod.name));
    }
    out
}

/// Whether a class's objects come from Vault or OpenBao: `provider: vault`
/// (vault-csi-provider) or `provider: openbao` (openbao/openbao-csi-provider
/// `test/bats/configs/openbao-kv-secretproviderclass.yaml`).
pub fn is_vault_provider(provider: &str) -> bool {
    matches!(provider.trim(), "vault" | "openbao")
}
