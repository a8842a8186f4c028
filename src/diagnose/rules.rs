//! Rules over one workload's pods, containers, events and CSI objects.

use chrono::{DateTime, Utc};

use super::finding::{Code, Finding, Severity, Via};
use super::hints::{self, AuthContext};
use super::index::Index;
use super::logs::{self, LogSignal};
use super::text::{self, Renders, Why};
use crate::model::annotations::{DEFAULT_AUTH_TYPE, ParsedAnnotations};
use crate::model::injector::{Dialect, Injector, is_agent_init};
use crate::model::objects::EventInfo;
use crate::model::pod::{ContainerInfo, ContainerState, INIT_STUCK_AFTER, PodInfo};
use crate::model::vault::countdown;
use crate::model::world::World;

/// ...and after this long it is an error rather than a warning.
pub const INIT_STUCK_ERROR_AFTER: i64 = 300;

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public"];
const IMAGE_PULL_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
];

pub fn annotation_findings(parsed: &ParsedAnnotations, namespace: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &parsed.problems {
        let sev = if p.breaks_injection {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(
            Finding::new(
                Code::InjectionBadAnnotation,
                sev,
                Via::Config,
                format!("{}: {}", p.key, p.reason),
                format!(
                    "Fix {} in the pod template (spec.template.metadata.annotations) and roll the workload out again.",
                    p.key
                ),
            )
            .evidence(format!("{}: {}", p.key, p.quoted_value())),
        );
    }
    let spec = &parsed.spec;
    if !spec.inject {
        return out;
    }
    let prefix = parsed.prefix();
    out.extend(rival_finding(parsed));
    if SYSTEM_NAMESPACES.contains(&namespace) {
        out.push(Finding::new(
            Code::InjectionSystemNamespace,
            Severity::Error,
            Via::Webhook,
            format!("The injector never injects into {namespace}"),
            "Run the workload in an application namespace: the injector rejects kube-system and kube-public (\"cannot inject into system namespaces\").",
        ).evidence(format!("{prefix}agent-inject: \"true\" in namespace {namespace}")));
    }
    if spec.auth_type == DEFAULT_AUTH_TYPE && !spec.has_role_source() && !parsed.auth_config_role {
        out.push(
            Finding::new(
                Code::InjectionNoRole,
                Severity::Error,
                Via::Config,
                format!("Injection is requested but no {} role is set", parsed.injector().product()),
                format!("Add {prefix}role with the kubernetes auth role to log in with (or use {prefix}agent-configmap); the injector refuses the pod with \"{}\".", no_role_error(parsed.injector())),
            )
            .evidence(format!("{prefix}agent-inject: \"true\" without {prefix}role")),
        );
    }
    out
}

/// The injector's refusal of a pod without a role (`Validate` in agent.go).
fn no_role_error(i: Injector) -> &'static str {
    match i {
        Injector::Vault => "no Vault role found",
        Injector::OpenBao => "no Openbao role found",
    }
}

/// Both injectors' annotations ask for injection, and no agent containers
/// say which webhook took the pod: with both installed, both mutate it.
fn rival_finding(parsed: &ParsedAnnotations) -> Option<Finding> {
    let other = parsed.rival?;
    let (mine, theirs) = (parsed.injector(), other.injector());
    Some(
        Finding::new(
            Code::InjectionBadAnnotation,
            Severity::Warning,
            Via::Config,
            format!(
                "Annotated for both the {} and the {}; vaultscope reads the {} annotations",
                mine.label(),
                theirs.label(),
                parsed.prefix()
            ),
            format!(
                "Keep one injector's annotations in the pod template: remove the {} ones if the {} is meant to inject it.",
                other.prefix(),
                mine.label()
            ),
        )
        .evidence(format!(
            "{}agent-inject: \"true\"; {}agent-inject: \"true\"",
            parsed.prefix(),
            other.prefix()
        )),
    )
}

/// Annotated for injection but the webhook never mutated the pod.
pub fn not_injected(pod: &PodInfo, parsed: &ParsedAnnotations, world: &World) -> Option<Finding> {
    let spec = &parsed.spec;
    if !spec.inject
        || pod.has_agent_containers()
        || SYSTEM_NAMESPACES.contains(&pod.namespace.as_str())
    {
        return None;
    }
    if spec.auth_type == DEFAULT_AUTH_TYPE && !spec.has_role_source() && !parsed.auth_config_role {
        // injection.no_role already explains why the injector refused it.
        return None;
    }
    let containers: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    let (prefix, injector) = (parsed.prefix(), parsed.injector());
    if spec.is_injected() {
        return Some(
            Finding::new(
                Code::InjectionNotInjected,
                Severity::Error,
                Via::Webhook,
                "agent-inject-status: injected is set but there are no agent containers, so the injector skipped the pod",
                format!("Remove {prefix}agent-inject-status from the pod template: the injector skips any pod that already says \"injected\"."),
            )
            .pod(&pod.name)
            .evidence(format!("{prefix}agent-inject-status: \"injected\"; containers: {}", containers.join(", "))),
        );
    }
    let mut why = String::from(
        "the injector webhook did not mutate it (it was down, unreachable, or failed open)",
    );
    let webhook = world.webhooks.iter().find(|w| w.injector == injector);
    if let Some(w) = webhook
        && w.failure_policy == "Ignore"
    {
        why = "the injector webhook did not mutate it; its failurePolicy is Ignore, so the pod was admitted anyway".into();
    }
    if world.injector_ready_endpoints == Some(0) {
        why = "the injector service has no ready endpoints, so the webhook failed open".into();
    }
    let webhook_hint = if webhook.is_none() && world.csi_installed.is_some() {
        format!(
            "No {} MutatingWebhookConfiguration was found: install the injector ({} injector.enabled=true).",
            injector.webhook_names()[0],
            injector.helm_chart()
        )
    } else {
        format!(
            "Check the injector pods and service (kubectl -n {} get pods,endpointslices) and the webhook's namespaceSelector/objectSelector; once it works, delete the pod so it is re-created and injected.",
            injector.deployment().0
        )
    };
    Some(
        Finding::new(
            Code::InjectionNotInjected,
            Severity::Error,
            Via::Webhook,
            format!("Annotated for injection, but {why}: the app runs without its secrets"),
            webhook_hint,
        )
        .pod(&pod.name)
        .evidence(format!(
            "{prefix}agent-inject: \"true\"; no {prefix}agent-inject-status; containers: {}",
            containers.join(", ")
        )),
    )
}

fn log_lines<'a>(world: &'a World, pod: &PodInfo, container: &str) -> Vec<&'a str> {
    let prev = world.log(&pod.namespace, &pod.name, container, true);
    let cur = world.log(&pod.namespace, &pod.name, container, false);
    prev.into_iter()
        .chain(cur)
        .flat_map(|b| b.lines())
        .collect()
}

/// When a running container started. No timer starts before the container
/// runs: a pod waiting for a node, an image or an earlier init container is
/// not an agent that is stuck.
fn started(c: &ContainerInfo, pod: &PodInfo) -> Option<DateTime<Utc>> {
    match &c.state {
        ContainerState::Running { started_at } => started_at.or(pod.created),
        _ => None,
    }
}

/// How long a lease renewal may keep failing before, with the lease close
/// to its end, it is an error.
pub const RENEWAL_FAILING_FOR_ERROR: i64 = 3600;

/// A renewal failure over time. A lease at its max TTL is re-read as
/// expected: info while the new secret is due, a warning once it is late.
/// Any other failure is a warning, and an error once it has failed for an
/// hour while the lease is in the last third of its life (or past it): the
/// app will lose its credentials before anything renews them.
fn lease_renewal_severity(
    s: &LogSignal,
    by_reason: Severity,
    index: &Index<'_>,
    now: DateTime<Utc>,
) -> Severity {
    let since = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_seconds());
    if s.cause.why == Some(Why::MaxTtl) {
        return if since(s.at).is_some_and(|d| d > 300) {
            Severity::Warning
        } else {
            by_reason
        };
    }
    let failing_long = since(s.first_at).is_some_and(|d| d >= RENEWAL_FAILING_FOR_ERROR);
    let near_end = s.cause.detail.as_deref().is_some_and(|path| {
        let (leases, _) = index.leases(&crate::model::paths::normalize_path(path));
        leases.iter().any(|l| match (l.issue_time, l.expire_time) {
            (Some(issued), Some(expires)) => (expires - now) * 3 <= (expires - issued),
            (None, Some(expires)) => expires <= now,
            _ => false,
        })
    });
    if failing_long && near_end {
        Severity::Error
    } else {
        by_reason
    }
}

/// An agent that was OOM-killed and runs again is a warning; it is an error
/// when it cannot stay up: not running now (crash loop, terminated), or
/// killed [`OOM_KILLS_FOR_ERROR`] times or more with the last kill within the
/// past hour.
pub const OOM_KILLS_FOR_ERROR: i32 = 3;

fn oom_severity(c: &ContainerInfo, now: DateTime<Utc>) -> Severity {
    let running = matches!(c.state, ContainerState::Running { .. });
    let recent = c
        .last_termination
        .as_ref()
        .and_then(|t| t.finished_at)
        .is_some_and(|t| (now - t).num_seconds() < 3600);
    if !running || (c.restart_count >= OOM_KILLS_FOR_ERROR && recent) {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// What Kubernetes did to the pod itself: it was never scheduled, or the
/// kubelet evicted it. Neither is a secret-injection failure, but both
/// explain why an agent did not run.
pub fn pod_state_findings(pod: &PodInfo, dialect: Dialect) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some((reason, message)) = pod.unscheduled() {
        let detail = message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        out.push(
            Finding::new(
                Code::PodUnscheduled,
                Severity::Info,
                Via::Kubernetes,
                format!("Not scheduled yet ({reason}){detail}; no agent has started, so nothing about secrets is known"),
                "This is a scheduling problem, not a secret-injection one: `kubectl describe pod` shows the scheduler's reasons (resources, taints, affinity, quotas).",
            )
            .pod(&pod.name)
            .evidence(format!("PodScheduled=False reason={reason}{detail}")),
        );
    }
    if let Some(message) = pod.eviction() {
        let agent_named = Injector::ALL
            .iter()
            .flat_map(|i| [i.init_container(), i.sidecar()])
            .any(|c| message.contains(&format!("Container {c} ")));
        let prefix = dialect.prefix();
        let hint = if agent_named {
            format!(
                "The agent used more than the node could give: set {prefix}agent-requests-mem / agent-limits-mem (memory) or {prefix}agent-requests-ephemeral / agent-limits-ephemeral (ephemeral-storage) to what it needs."
            )
        } else {
            "The controller replaces an evicted pod; if evictions repeat, give the pod's containers requests that match their use, or move it to nodes with room.".to_string()
        };
        out.push(
            Finding::new(
                Code::PodEvicted,
                Severity::Warning,
                Via::Kubernetes,
                "The kubelet evicted the pod under node pressure",
                hint,
            )
            .pod(&pod.name)
            .evidence(format!("status.reason=Evicted: {message}")),
        );
    }
    out
}

/// Whether the container's state proves that its secrets rendered: an init
/// agent exits 0 only after every template rendered, and a pod that ran to
/// completion had what it needed. Errors in the log before that point were
/// transient retries, not current problems.
fn secrets_rendered(pod: &PodInfo, c: &ContainerInfo) -> bool {
    let init_done = is_agent_init(&c.name)
        && matches!(&c.state, ContainerState::Terminated(t) if t.exit_code == 0);
    init_done || pod.phase == "Succeeded"
}

/// Findings for the agent containers of one pod: their state and their logs.
pub fn container_findings(
    pod: &PodInfo,
    auth: &AuthContext,
    world: &World,
    index: &Index<'_>,
    renders: &Renders,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if pod.unscheduled().is_some() {
        return out;
    }
    for c in pod.agent_containers() {
        let via = Via::for_container(&c.name);
        let lines = log_lines(world, pod, &c.name);
        let signals = if secrets_rendered(pod, c) {
            Vec::new()
        } else {
            let mut s = logs::analyse_with(lines.iter().copied(), renders);
            // A sidecar stays up after a quiet success; an init agent would
            // have exited, so one still running has not got its secrets.
            if via == Via::Agent && matches!(c.state, ContainerState::Running { .. }) {
                s.retain(|s| !s.retried_quietly(now));
            }
            s
        };
        let mut specific: Vec<Finding> = signals
            .into_iter()
            .map(|s| {
                let mut ctx = auth.clone();
                if let Some(m) = s.login_mount.clone() {
                    ctx.auth_path = m;
                }
                let mut f = hints::finding(&s.cause, via, &ctx, &s.evidence);
                if s.cause.code == Code::RenewalLeaseFailed {
                    f.severity = lease_renewal_severity(&s, f.severity, index, now);
                }
                if s.occurrences > 1 {
                    f.message
                        .to_mut()
                        .push_str(&format!(" ({} times in the log)", s.occurrences));
                }
                f.pod(&pod.name).container(&c.name)
            })
            .collect();
        let last_problem = || logs::last_problem(lines.iter().copied());

        let mut generic: Vec<Finding> = Vec::new();
        if let Some(reason) = c.waiting_reason() {
            if IMAGE_PULL_REASONS.contains(&reason) {
                let msg = match &c.state {
                    ContainerState::Waiting {
                        message: Some(m), ..
                    } => m.clone(),
                    _ => reason.to_string(),
                };
                specific.push(
                    Finding::new(
                        Code::ContainerImagePull,
                        Severity::Error,
                        via,
                        format!("{} cannot pull its image {}", c.name, c.image),
                        format!("Fix {}agent-image (or the injector's {} flag) and make sure the node can pull it (imagePullSecrets, registry mirror).", auth.dialect.prefix(), auth.dialect.injector().image_flag()),
                    )
                    .pod(&pod.name)
                    .container(&c.name)
                    .evidence(msg),
                );
            } else if reason == "CrashLoopBackOff" {
                let exit = c
                    .last_termination
                    .as_ref()
                    .map(|t| {
                        format!(
                            "; last exit code {} ({})",
                            t.exit_code,
                            t.reason.as_deref().unwrap_or("Error")
                        )
                    })
                    .unwrap_or_default();
                let evidence = last_problem()
                    .or_else(|| c.last_termination.as_ref().and_then(|t| t.message.clone()))
                    .unwrap_or_else(|| {
                        format!(
                            "{}: waiting: CrashLoopBackOff, restarts {}",
                            c.name, c.restart_count
                        )
                    });
                generic.push(
                    Finding::new(
                        Code::ContainerCrashLoop,
                        Severity::Error,
                        via,
                        format!("{} is crash-looping: restarted {} times{exit}", c.name, c.restart_count),
                        "Read the agent's previous log for the error that made it exit; with template-config-exit-on-retry-failure (default true) any render failure exits the agent.",
                    )
                    .pod(&pod.name)
                    .container(&c.name)
                    .evidence(evidence),
                );
            }
        }
        let oom_now = matches!(&c.state, ContainerState::Terminated(t) if t.reason.as_deref() == Some("OOMKilled"));
        let oom_before = c
            .last_termination
            .as_ref()
            .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"));
        if oom_now || oom_before {
            specific.push(
                Finding::new(
                    Code::ContainerOomKilled,
                    oom_severity(c, now),
                    via,
                    format!("{} was killed for using too much memory", c.name),
                    format!("Raise {}agent-limits-mem (and agent-requests-mem); the default limit is 128Mi, which many templates with large secrets exceed.", auth.dialect.prefix()),
                )
                .pod(&pod.name)
                .container(&c.name)
                .evidence(format!("{}: terminated: OOMKilled, restarts {}", c.name, c.restart_count)),
            );
        }
        if let ContainerState::Terminated(t) = &c.state
            && t.exit_code != 0
            && c.waiting_reason().is_none()
            && !oom_now
        {
            generic.push(
                Finding::new(
                    Code::ContainerFailed,
                    Severity::Error,
                    via,
                    format!("{} exited with code {}", c.name, t.exit_code),
                    "Read the agent log for the error that made it exit.",
                )
                .pod(&pod.name)
                .container(&c.name)
                .evidence(
                    last_problem()
                        .or_else(|| t.message.clone())
                        .unwrap_or_else(|| c.describe()),
                ),
            );
        }
        if is_agent_init(&c.name)
            && !matches!(c.state, ContainerState::Terminated(_))
            && c.waiting_reason().is_none_or(|r| r == "PodInitializing")
            && let Some(since) = started(c, pod)
        {
            let stuck = now - since;
            if stuck.num_seconds() >= INIT_STUCK_AFTER {
                let sev = if stuck.num_seconds() >= INIT_STUCK_ERROR_AFTER {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                for f in specific.iter_mut() {
                    f.message.to_mut().push_str(&format!(
                        "; {} stuck for {}",
                        c.name,
                        countdown(stuck)
                    ));
                }
                generic.push(
                    Finding::new(
                        Code::ContainerInitStuck,
                        sev,
                        via,
                        format!("{} has been running for {}; the app containers cannot start until it exits", c.name, countdown(stuck)),
                        "Read the agent-init log: it usually cannot authenticate, cannot reach Vault, or waits for a secret that does not exist.",
                    )
                    .pod(&pod.name)
                    .container(&c.name)
                    .evidence(last_problem().unwrap_or_else(|| format!("{}: running since {}", c.name, since.to_rfc3339()))),
                );
            }
        }
        // A specific cause replaces a generic symptom at the same or lower
        // severity; an eviction (told by pod_state_findings) explains any
        // exit code the eviction caused.
        let worst_specific = specific.iter().map(|f| f.severity).max();
        generic.retain(|g| worst_specific.is_none_or(|w| g.severity > w));
        if pod.eviction().is_some() {
            generic.clear();
        }
        out.extend(specific);
        out.extend(generic);
    }
    out
}

fn is_csi_failed_mount(e: &EventInfo, pod: &PodInfo) -> bool {
    let m = &e.message;
    m.contains("secrets-store")
        || m.contains("secrets store")
        || m.contains("secretproviderclass")
        || pod
            .csi_volumes
            .iter()
            .any(|v| m.contains(&format!("volume \"{}\"", v.volume)))
}

/// A warning event on the pod itself, classified.
pub fn pod_event_finding(e: &EventInfo, pod: &PodInfo, auth: &AuthContext) -> Option<Finding> {
    let m = e.message.as_str();
    let lower = m.to_ascii_lowercase();
    let f = match e.reason.as_str() {
        "FailedMount" if is_csi_failed_mount(e, pod) => {
            if lower.contains("failed to get secretproviderclass")
                || (lower.contains("secretproviderclass") && lower.contains("not found"))
            {
                Finding::new(
                    Code::CsiClassNotFound,
                    Severity::Error,
                    Via::Csi,
                    format!(
                        "SecretProviderClass {} does not exist in namespace {}",
                        auth.class.as_deref().unwrap_or("?"),
                        pod.namespace
                    ),
                    "Create the SecretProviderClass in the pod's namespace, or correct volumeAttributes.secretProviderClass on the pod's CSI volume.",
                )
            } else if lower.contains("not found in the list of registered csi drivers")
                || lower.contains("no csidriver object")
            {
                Finding::new(
                    Code::CsiDriverMissing,
                    Severity::Error,
                    Via::Csi,
                    "The Secrets Store CSI driver is not installed (or not running) on the pod's node",
                    "Install the secrets-store-csi-driver and the vault-csi-provider DaemonSets, and check they run on this node.",
                )
            } else if lower.contains("provider not found") {
                // secrets-store-csi-driver nodeserver.go: `error connecting
                // to provider "vault": provider not found: provider "vault"`
                // (vault-csi-provider#187): the driver runs, the provider
                // does not, or listens on another socket path.
                Finding::new(
                    Code::CsiDriverMissing,
                    Severity::Error,
                    Via::Csi,
                    "The Secrets Store CSI driver cannot reach the Vault provider on the pod's node",
                    "Install the vault-csi-provider DaemonSet (vault-helm csi.enabled=true) and check that it runs on this node and that its socket directory matches the driver's providersDir (/etc/kubernetes/secrets-store-csi-providers).",
                )
            } else if let Some(cause) = text::classify(m) {
                hints::finding(&cause, Via::Csi, auth, m)
            } else {
                Finding::new(
                    Code::CsiMountFailed,
                    Severity::Error,
                    Via::Csi,
                    "The Secrets Store CSI volume could not be mounted",
                    "Read the vault-csi-provider logs on the pod's node; check the SecretProviderClass parameters (roleName, vaultAddress, objects).",
                )
            }
        }
        "FailedToCreateSecret" | "SecretRotationFailed" | "MountRotationFailed" => Finding::new(
            Code::CsiSyncFailed,
            Severity::Warning,
            Via::Csi,
            "The CSI driver could not sync or rotate the mounted secret into a Kubernetes Secret",
            if lower.contains("forbidden") {
                "Grant the driver access to Secrets: with the Helm chart set syncSecret.enabled=true."
            } else {
                "Check secretObjects in the SecretProviderClass (objectName must match an object) and the driver's log; if it says \"forbidden\", the driver may not write Secrets: with the Helm chart set syncSecret.enabled=true."
            },
        ),
        _ => return None,
    };
    Some(f.pod(&pod.name).evidence(m))
}

/// A warning event on the ReplicaSet/Job that creates the pods.
pub fn controller_event_finding(e: &EventInfo) -> Option<Finding> {
    if e.reason != "FailedCreate" {
        return None;
    }
    let m = e.message.as_str();
    let lower = m.to_ascii_lowercase();
    if lower.contains("cannot inject into system namespaces") {
        return Some(
            Finding::new(
                Code::InjectionSystemNamespace,
                Severity::Error,
                Via::Webhook,
                format!("The injector refuses pods in {}", e.involved.namespace),
                "Run the workload in an application namespace: the injector rejects kube-system and kube-public.",
            )
            .evidence(m),
        );
    }
    // The webhook's name in the message tells the injector (and its prefix).
    let dialect = Dialect::named_in(m).unwrap_or_default();
    let injector = dialect.injector();
    if Injector::ALL
        .iter()
        .any(|i| lower.contains(&no_role_error(*i).to_ascii_lowercase()))
    {
        return Some(
            Finding::new(
                Code::InjectionNoRole,
                Severity::Error,
                Via::Webhook,
                format!(
                    "The injector refused the pods: no {} role is set",
                    injector.product()
                ),
                format!("Add {}role to the pod template.", dialect.prefix()),
            )
            .evidence(m),
        );
    }
    if Injector::named_in(m).is_some() {
        let (_, deployment) = injector.deployment();
        return Some(
            Finding::new(
                Code::InjectionWebhookFailed,
                Severity::Error,
                Via::Webhook,
                format!("{} {} cannot create pods: the injector webhook call failed", e.involved.kind, e.involved.name),
                format!("The webhook's failurePolicy is Fail and the injector did not answer: check the {deployment} pods, their Service and EndpointSlices, and that the API server can reach it (port 443 to the injector's 8080)."),
            )
            .evidence(m),
        );
    }
    None
}

/// Whether a later successful create on the same controller supersedes a failure.
pub fn superseded(e: &EventInfo, index: &Index<'_>) -> bool {
    let io = &e.involved;
    index
        .events_about(&io.namespace, &io.kind, &io.name)
        .iter()
        .any(|o| {
            o.reason == "SuccessfulCreate"
                && match (o.last_seen, e.last_seen) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                }
        })
}

/// CSI findings that come from objects rather than events.
pub fn csi_findings(pod: &PodInfo, world: &World, index: &Index<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if pod.csi_volumes.is_empty() {
        return out;
    }
    if world.csi_installed == Some(false) {
        out.push(
            Finding::new(
                Code::CsiDriverMissing,
                Severity::Error,
                Via::Csi,
                "The pod mounts a secrets-store volume but the Secrets Store CSI driver's CRDs are not installed",
                "Install the secrets-store-csi-driver (it brings the SecretProviderClass CRDs) and the vault-csi-provider.",
            )
            .pod(&pod.name)
            .evidence(format!("volume {} uses driver secrets-store.csi.k8s.io", pod.csi_volumes[0].volume)),
        );
        return out;
    }
    let classes_known = world.csi_installed == Some(true) || !world.classes.is_empty();
    for v in &pod.csi_volumes {
        let Some(class_name) = &v.secret_provider_class else {
            out.push(
                Finding::new(
                    Code::CsiMountFailed,
                    Severity::Error,
                    Via::Config,
                    format!("CSI volume {} names no SecretProviderClass", v.volume),
                    "Set volumeAttributes.secretProviderClass on the pod's CSI volume.",
                )
                .pod(&pod.name)
                .evidence(format!(
                    "volume {}: csi.volumeAttributes has no secretProviderClass",
                    v.volume
                )),
            );
            continue;
        };
        match world.classes.get(&(pod.namespace.clone(), class_name.clone())) {
            None if classes_known => out.push(
                Finding::new(
                    Code::CsiClassNotFound,
                    Severity::Error,
                    Via::Csi,
                    format!("SecretProviderClass {class_name} does not exist in namespace {}", pod.namespace),
                    "Create the SecretProviderClass in the pod's namespace, or correct volumeAttributes.secretProviderClass.",
                )
                .pod(&pod.name)
                .evidence(format!("volume {} → secretProviderClass {class_name}", v.volume)),
            ),
            None => {}
            Some(class) => {
                if let Some(err) = &class.objects_error {
                    out.push(
                        Finding::new(
                            Code::CsiMountFailed,
                            Severity::Error,
                            Via::Config,
                            format!("SecretProviderClass {class_name}: {err}"),
                            "Fix parameters.objects: a YAML list of {objectName, secretPath, secretKey}.",
                        )
                        .pod(&pod.name)
                        .evidence(err.clone()),
                    );
                }
                if class.provider == "vault" && class.role_name.is_none() {
                    out.push(
                        Finding::new(
                            Code::CsiMountFailed,
                            Severity::Error,
                            Via::Config,
                            format!("SecretProviderClass {class_name} has no roleName"),
                            "Set parameters.roleName to the Vault kubernetes auth role (the provider fails with \"missing 'roleName' in SecretProviderClass definition\").",
                        )
                        .pod(&pod.name)
                        .evidence(format!("SecretProviderClass {class_name}: parameters.roleName missing")),
                    );
                }
                let status = index.pod_status(&pod.namespace, &pod.name, class_name);
                if let Some(s) = status
                    && !s.mounted
                {
                    out.push(
                        Finding::new(
                            Code::CsiMountFailed,
                            Severity::Warning,
                            Via::Csi,
                            format!("SecretProviderClassPodStatus {} reports the volume as not mounted", s.name),
                            "Read the FailedMount events and the vault-csi-provider logs on the pod's node.",
                        )
                        .pod(&pod.name)
                        .evidence(format!("{}: status.mounted=false", s.name)),
                    );
                }
            }
        }
    }
    out
}
