//! The diagnosis engine: turns the observed [`World`] into findings with a
//! stable code, severity, evidence and a fix. Pure: time comes in as `now`.

pub mod api_error;
pub mod auth_backend;
pub mod crosscheck;
pub mod csi_rotation;
pub mod deadline;
pub mod evidence;
pub mod expiry;
pub mod finding;
pub mod hints;
pub mod incremental;
pub mod index;
pub mod logs;
pub mod policy;
mod report;
pub mod rotation;
pub mod rules;
pub mod text;
pub mod vocabulary;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

pub use finding::{Code, Finding, Health, Severity, Via};
pub use report::{CsiMount, Method, PodSummary, Report, SecretRef, WorkloadReport};

use crate::model::annotations::{self, DEFAULT_AUTH_PATH, ParsedAnnotations};
use crate::model::injection::Injection;
use crate::model::injector::{Dialect, Injector};
use crate::model::interest;
use crate::model::objects::EventInfo;
use crate::model::paths::{auth_path, normalize_path};
use crate::model::pod::PodInfo;
use crate::model::vault::{AgentToken, Certificate, KvMetadata, Lease, VaultStatus};
use crate::model::words;
use crate::model::workload::{self, ControllerKind, Members, WorkloadKey};
use crate::model::world::World;
use hints::AuthContext;
use index::Index;

/// Leases shown per secret path. A shared role path can hold thousands of
/// leases; the soonest to expire are the ones worth showing.
pub const MAX_LEASES_PER_PATH: usize = 50;

struct PodContext<'a> {
    pod: &'a PodInfo,
    parsed: ParsedAnnotations,
}

fn is_vault_related(pods: &[PodContext<'_>], template: Option<&ParsedAnnotations>) -> bool {
    pods.iter()
        .any(|p| p.parsed.any || p.pod.has_agent_containers() || !p.pod.csi_volumes.is_empty())
        || template.is_some_and(|t| t.any)
}

fn auth_context(pod: &PodInfo, parsed: &ParsedAnnotations, world: &World) -> AuthContext {
    let class = pod
        .csi_volumes
        .iter()
        .find_map(|v| v.secret_provider_class.clone());
    AuthContext {
        dialect: parsed.dialect,
        role: parsed.spec.role.clone(),
        auth_path: auth_path(&parsed.spec.auth_path),
        service_account: pod.service_account.clone(),
        namespace: pod.namespace.clone(),
        class,
        vault_service: parsed
            .spec
            .service
            .clone()
            .or_else(|| world_vault_address(world)),
    }
}

fn csi_context(pod: &PodInfo, world: &World, base: &AuthContext) -> AuthContext {
    let mut ctx = base.clone();
    if let Some(class) = pod
        .csi_volumes
        .iter()
        .find_map(|v| v.secret_provider_class.as_ref())
        .and_then(|c| world.classes.get(&(pod.namespace.clone(), c.clone())))
    {
        ctx.role = class.role_name.clone();
        ctx.auth_path = class.auth_path();
        ctx.vault_service = class.vault_address.clone().or(ctx.vault_service);
    } else if ctx.auth_path.is_empty() {
        ctx.auth_path = DEFAULT_AUTH_PATH.into();
    }
    ctx
}

fn world_vault_address(world: &World) -> Option<String> {
    match &world.vault.status {
        VaultStatus::Reachable { address, .. } | VaultStatus::Unreachable { address, .. } => {
            Some(address.clone())
        }
        VaultStatus::NotConfigured => None,
    }
}

fn secrets_of(
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
    world: &World,
) -> Vec<SecretRef> {
    let mut set: BTreeSet<SecretRef> = BTreeSet::new();
    let specs = pods.iter().map(|p| &p.parsed).chain(template);
    for parsed in specs {
        for s in &parsed.spec.secrets {
            set.insert(SecretRef {
                name: s.name.clone(),
                path: s.path.clone(),
                via: Injection::Agent,
                target: s.file.clone(),
                perms: s.perms.clone(),
            });
        }
    }
    for p in pods {
        for v in &p.pod.csi_volumes {
            let Some(class_name) = &v.secret_provider_class else {
                continue;
            };
            if let Some(class) = world
                .classes
                .get(&(p.pod.namespace.clone(), class_name.clone()))
            {
                for o in &class.objects {
                    set.insert(SecretRef {
                        name: o.object_name.clone(),
                        path: normalize_path(&o.secret_path),
                        via: Injection::Csi,
                        target: class_name.clone(),
                        perms: None,
                    });
                }
            }
        }
    }
    set.into_iter().collect()
}

fn templates_of<'a>(
    pods: &'a [PodContext<'a>],
    template: Option<&'a ParsedAnnotations>,
) -> Vec<&'a str> {
    pods.iter()
        .map(|p| &p.parsed)
        .chain(template)
        .flat_map(|p| p.spec.secrets.iter().filter_map(|s| s.template.as_deref()))
        .collect()
}

/// Merge findings that repeat across a workload's pods into one, naming how
/// many pods show it, and order worst first.
fn collapse(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<(Finding, usize)> = Vec::new();
    for f in findings {
        let same = out.iter_mut().find(|(o, _)| {
            o.code == f.code
                && o.via == f.via
                && o.container == f.container
                && o.message == f.message
                && o.severity == f.severity
        });
        match same {
            Some((_, n)) => *n += 1,
            None => out.push((f, 1)),
        }
    }
    let mut out: Vec<Finding> = out
        .into_iter()
        .map(|(mut f, n)| {
            if n > 1 && f.pod.is_some() {
                f.message.to_mut().push_str(&format!(
                    " (and {})",
                    words::count(n - 1, "more pod", "more pods")
                ));
            }
            f
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
    out
}

pub(crate) fn diagnose_workload(
    world: &World,
    index: &Index<'_>,
    key: &WorkloadKey,
    members: &Members,
    now: DateTime<Utc>,
) -> Option<WorkloadReport> {
    let pods = pods_of(world, key, members);
    // Pods that could not be created: read the annotations from the template.
    let template = members
        .controllers
        .iter()
        .filter(|c| c.kind == ControllerKind::ReplicaSet)
        .find_map(|c| world.replicaset(&key.namespace, &c.name))
        .map(|rs| annotations::parse(&rs.template_annotations));
    let controller_events = controller_events(index, key, members);
    let webhook_trouble = controller_events
        .iter()
        .any(|e| rules::controller_event_finding(e).is_some());
    if !is_vault_related(&pods, template.as_ref()) && !webhook_trouble {
        return None;
    }

    let mut findings = Vec::new();
    findings.extend(
        controller_events
            .iter()
            .filter_map(|e| rules::controller_event_finding(e)),
    );
    findings.extend(annotation_findings(key, &pods, template.as_ref()));
    for p in &pods {
        findings.extend(pod_findings(p, world, index, now));
    }
    findings.extend(role_findings(key, &pods, template.as_ref(), world));

    let secrets = secrets_of(&pods, template.as_ref(), world);
    let mut vault = vault_objects(key, &pods, template.as_ref(), &secrets, world, index);
    let dialect = agent_dialect(&pods, template.as_ref()).unwrap_or_default();
    findings.extend(
        vault
            .lease_findings
            .drain(..)
            .chain(expiry::cert_findings(&vault.certificates, now))
            .map(|f| expiry::for_dialect(f, dialect)),
    );
    let (rotations, rotation_findings) = rotations_of(&pods, &secrets, &vault, world, index, now);
    findings.extend(rotation_findings);
    let mut report = workload_report(
        key,
        findings,
        &pods,
        template.as_ref(),
        secrets,
        vault,
        index,
    );
    report.rotations = rotations;
    Some(report)
}

/// Each secret's Vault side joined with every pod's side: agent secrets
/// with each agent pod's renders, CSI objects with each pod's mount status.
fn rotations_of(
    pods: &[PodContext<'_>],
    secrets: &[SecretRef],
    vault: &VaultObjects,
    world: &World,
    index: &Index<'_>,
    now: DateTime<Utc>,
) -> (Vec<rotation::SecretRotation>, Vec<Finding>) {
    let change_of = |s: &SecretRef| {
        let path = normalize_path(&s.path);
        let (leases, _) = index.leases(&path);
        rotation::last_change(&path, &vault.kv, leases, &vault.certificates)
    };
    let (mut rotations, mut found) = agent_rotations(pods, secrets, world, now, &change_of);
    let (csi, csi_found) = csi_rotations(pods, secrets, world, index, now, &change_of);
    rotations.extend(csi);
    found.extend(csi_found);
    (rotations, found)
}

fn agent_rotations(
    pods: &[PodContext<'_>],
    secrets: &[SecretRef],
    world: &World,
    now: DateTime<Utc>,
    change_of: &dyn Fn(&SecretRef) -> Option<rotation::VaultChange>,
) -> (Vec<rotation::SecretRotation>, Vec<Finding>) {
    let sides: Vec<rotation::PodSide<'_>> = pods
        .iter()
        .filter_map(|p| {
            let injector = p.pod.injected_by()?;
            let spec = &p.parsed.spec;
            Some(rotation::PodSide {
                pod: p.pod,
                static_render_interval: spec.static_render_interval,
                rerenders: !spec.pre_populate_only && p.pod.agent_sidecar().is_some(),
                commands: spec
                    .secrets
                    .iter()
                    .map(|s| (s.name.clone(), s.command.clone()))
                    .collect(),
                containers: [injector.init_container(), injector.sidecar()],
                prefix: p.parsed.prefix(),
            })
        })
        .collect();
    if sides.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let rotations: Vec<rotation::SecretRotation> = secrets
        .iter()
        .filter(|s| rotation::is_agent_secret(s))
        .map(|s| rotation::join(s, change_of(s), &sides, world, now))
        .collect();
    let found = rotation::findings(&rotations, &sides, now);
    (rotations, found)
}

/// CSI objects of classes whose provider is Vault's, joined with the pods
/// that mount the class.
fn csi_rotations(
    pods: &[PodContext<'_>],
    secrets: &[SecretRef],
    world: &World,
    index: &Index<'_>,
    now: DateTime<Utc>,
    change_of: &dyn Fn(&SecretRef) -> Option<rotation::VaultChange>,
) -> (Vec<rotation::SecretRotation>, Vec<Finding>) {
    let csi: Vec<&SecretRef> = secrets
        .iter()
        .filter(|s| s.via == Injection::Csi)
        .filter(|s| {
            pods.first().is_some_and(|p| {
                world
                    .classes
                    .get(&(p.pod.namespace.clone(), s.target.clone()))
                    .is_some_and(|c| csi_rotation::is_vault_provider(&c.provider))
            })
        })
        .collect();
    if csi.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let driver = index.driver();
    let mut rotations = Vec::new();
    let mut sides_all = Vec::new();
    let classes: BTreeSet<&str> = csi.iter().map(|s| s.target.as_str()).collect();
    for class in classes {
        let sides: Vec<csi_rotation::CsiSide<'_>> = pods
            .iter()
            .filter(|p| {
                p.pod
                    .csi_volumes
                    .iter()
                    .any(|v| v.secret_provider_class.as_deref() == Some(class))
            })
            .map(|p| csi_rotation::CsiSide {
                pod: p.pod,
                status: index.pod_status(&p.pod.namespace, &p.pod.name, class),
                events: index
                    .events_about(&p.pod.namespace, "Pod", &p.pod.name)
                    .iter()
                    .copied()
                    .filter(|e| csi_rotation::ROTATION_EVENTS.contains(&e.reason.as_str()))
                    .collect(),
            })
            .collect();
        let mine: Vec<rotation::SecretRotation> = csi
            .iter()
            .filter(|s| s.target == class)
            .map(|s| csi_rotation::join(s, change_of(s), &sides, driver, now))
            .collect();
        let found = csi_rotation::findings(&mine, &sides, driver, now);
        rotations.extend(mine);
        sides_all.push(found);
    }
    (rotations, sides_all.into_iter().flatten().collect())
}

/// The injector annotations a workload's agent uses: its first injected
/// (or annotated) pod's, else its pod template's.
fn agent_dialect(pods: &[PodContext<'_>], template: Option<&ParsedAnnotations>) -> Option<Dialect> {
    pods.iter()
        .find(|p| p.pod.injected_by().is_some() || p.parsed.any)
        .map(|p| p.parsed.dialect)
        .or_else(|| template.filter(|t| t.any).map(|t| t.dialect))
}

fn pods_of<'a>(world: &'a World, key: &WorkloadKey, members: &Members) -> Vec<PodContext<'a>> {
    members
        .pods
        .iter()
        .filter_map(|n| world.pod(&key.namespace, n))
        .map(|pod| PodContext {
            parsed: pod.parse_annotations(),
            pod,
        })
        .collect()
}

/// Warnings about the workload and its controllers (where failures to create
/// pods are told), less those a later event has superseded.
fn controller_events<'a>(
    index: &Index<'a>,
    key: &WorkloadKey,
    members: &Members,
) -> Vec<&'a EventInfo> {
    members
        .controllers
        .iter()
        .map(|c| (c.kind.as_str(), c.name.as_str()))
        .chain(std::iter::once((key.kind.as_str(), key.name.as_str())))
        .flat_map(|(k, n)| index.events_about(&key.namespace, k, n))
        .copied()
        .filter(|e| e.is_warning())
        .filter(|e| !rules::superseded(e, index))
        .collect()
}

fn annotation_findings(
    key: &WorkloadKey,
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if pods.is_empty()
        && let Some(t) = template
    {
        findings.extend(rules::annotation_findings(t, &key.namespace));
    }
    // Annotation problems are the same for every pod of a template: report
    // them for the first pod only.
    if let Some(first) = pods.first() {
        findings.extend(
            rules::annotation_findings(&first.parsed, &key.namespace)
                .into_iter()
                .map(|f| f.pod(&first.pod.name)),
        );
    }
    findings
}

fn pod_findings(
    p: &PodContext<'_>,
    world: &World,
    index: &Index<'_>,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let pod = p.pod;
    let auth = auth_context(pod, &p.parsed, world);
    findings.extend(rules::pod_state_findings(pod, p.parsed.dialect));
    findings.extend(rules::not_injected(pod, &p.parsed, world));
    let renders = text::Renders::new(p.parsed.spec.secrets.iter().flat_map(|s| {
        let templated = s
            .template
            .as_deref()
            .map(text::template_secret_paths)
            .unwrap_or_default();
        std::iter::once(s.path.clone())
            .chain(templated)
            .map(|path| (path, s.file.clone()))
    }));
    findings.extend(rules::container_findings(
        pod, &auth, world, index, &renders, now,
    ));
    let csi_ctx = csi_context(pod, world, &auth);
    let mut pod_findings: Vec<Finding> = Vec::new();
    if !pod.is_ready() {
        for e in index
            .events_about(&pod.namespace, "Pod", &pod.name)
            .iter()
            .filter(|e| {
                e.is_warning()
                    && e.involved
                        .uid
                        .as_deref()
                        .is_none_or(|u| u.is_empty() || u == pod.uid)
            })
        {
            pod_findings.extend(rules::pod_event_finding(e, pod, &csi_ctx));
        }
    }
    let object_findings = rules::csi_findings(pod, world, index);
    merge_csi_findings(&mut pod_findings, object_findings);
    findings.extend(pod_findings);
    findings
}

/// Add what the CSI objects show to what the pod's events say, unless an
/// event already says it or names the cause.
fn merge_csi_findings(pod_findings: &mut Vec<Finding>, object_findings: Vec<Finding>) {
    // A FailedMount event that names the cause beats the generic object view.
    let specific_csi = pod_findings
        .iter()
        .any(|f| f.via == Via::Csi && !f.code.is_generic());
    for f in object_findings {
        let dup = pod_findings.iter().any(|e| e.code == f.code);
        if !(dup || specific_csi && f.code.is_generic()) {
            pod_findings.push(f);
        }
    }
    if specific_csi {
        pod_findings.retain(|f| !(f.code.is_generic() && f.via == Via::Csi));
    }
}

/// Role and policy cross-checks against what the Vault source read.
fn role_findings(
    key: &WorkloadKey,
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
    world: &World,
) -> Vec<Finding> {
    let mut uses: Vec<interest::RoleUse> = pods
        .iter()
        .flat_map(|p| interest::role_uses(&key.namespace, Some(p.pod), &p.parsed, world))
        .collect();
    if pods.is_empty()
        && let Some(t) = template
    {
        uses.extend(interest::role_uses(&key.namespace, None, t, world));
    }
    uses.dedup();
    crosscheck::role_findings(&uses, world)
}

/// What the Vault source read about a workload's secrets.
struct VaultObjects {
    leases: Vec<Lease>,
    lease_count: usize,
    lease_findings: Vec<Finding>,
    kv: Vec<KvMetadata>,
    certificates: Vec<Certificate>,
    tokens: Vec<AgentToken>,
}

fn vault_objects(
    key: &WorkloadKey,
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
    secrets: &[SecretRef],
    world: &World,
    index: &Index<'_>,
) -> VaultObjects {
    let paths: BTreeSet<String> = secrets.iter().map(|s| normalize_path(&s.path)).collect();
    let mut leases: Vec<Lease> = Vec::new();
    let mut lease_count = 0;
    let mut lease_findings: Vec<Finding> = Vec::new();
    for p in &paths {
        let (ls, fs) = index.leases(p);
        lease_count += ls.len();
        leases.extend(ls.iter().take(MAX_LEASES_PER_PATH).map(|l| (*l).clone()));
        lease_findings.extend_from_slice(fs);
    }
    let kv: Vec<KvMetadata> = world
        .vault
        .kv
        .iter()
        .filter(|k| {
            paths.contains(&k.data_path())
                || paths.contains(&format!("{}/{}", k.mount.trim_end_matches('/'), k.path))
        })
        .cloned()
        .collect();
    let certificates = certificates_of(pods, template, &paths, world);
    let tokens: Vec<AgentToken> = world
        .vault
        .tokens
        .iter()
        .filter(|t| {
            t.service_account_namespace == key.namespace
                && pods
                    .iter()
                    .any(|p| p.pod.service_account == t.service_account_name)
        })
        .cloned()
        .collect();
    VaultObjects {
        leases,
        lease_count,
        lease_findings,
        kv,
        certificates,
        tokens,
    }
}

/// The live certificates the templates ask for, from the PKI mounts the
/// secrets are issued by.
fn certificates_of(
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
    paths: &BTreeSet<String>,
    world: &World,
) -> Vec<Certificate> {
    let names: BTreeSet<String> = templates_of(pods, template)
        .into_iter()
        .flat_map(annotations::requested_common_names)
        .collect();
    let pki_mounts: BTreeSet<String> = paths
        .iter()
        .filter_map(|p| {
            p.split_once("/issue/")
                .or_else(|| p.split_once("/sign/"))
                .map(|(m, _)| m.to_string())
        })
        .collect();
    world
        .vault
        .certificates
        .iter()
        .filter(|c| {
            !c.revoked && pki_mounts.contains(&c.mount) && c.names().any(|n| names.contains(n))
        })
        .cloned()
        .collect()
}

/// The injector that mutated the pod, or the one its annotations ask for.
fn pod_injector(p: &PodContext<'_>) -> Option<Injector> {
    p.pod
        .injected_by()
        .or_else(|| (p.parsed.any && p.parsed.spec.inject).then(|| p.parsed.injector()))
}

fn workload_report(
    key: &WorkloadKey,
    findings: Vec<Finding>,
    pods: &[PodContext<'_>],
    template: Option<&ParsedAnnotations>,
    secrets: Vec<SecretRef>,
    vault: VaultObjects,
    index: &Index<'_>,
) -> WorkloadReport {
    let mut findings = collapse(findings);
    for f in &mut findings {
        f.namespace = Some(key.namespace.clone());
        f.workload = Some(format!("{}/{}", key.kind, key.name));
    }
    let method = Method {
        agent: pods
            .iter()
            .any(|p| p.pod.has_agent_containers() || p.parsed.spec.inject)
            || template.is_some_and(|t| t.spec.inject),
        csi: pods.iter().any(|p| !p.pod.csi_volumes.is_empty()),
    };
    let pod_summaries: Vec<PodSummary> = pods
        .iter()
        .map(|p| PodSummary {
            name: p.pod.name.clone(),
            phase: p.pod.status_summary(),
            ready: p.pod.is_ready(),
            injector: pod_injector(p),
            agent_init: p.pod.agent_init().map(|c| c.describe()),
            agent: p.pod.agent_sidecar().map(|c| c.describe()),
            restarts: p.pod.restarts(),
            csi_mounts: p
                .pod
                .csi_volumes
                .iter()
                .map(|v| CsiMount {
                    volume: v.volume.clone(),
                    class: v.secret_provider_class.clone(),
                    status: v
                        .secret_provider_class
                        .as_deref()
                        .and_then(|c| index.pod_status(&p.pod.namespace, &p.pod.name, c))
                        .cloned(),
                })
                .collect(),
        })
        .collect();
    WorkloadReport {
        key: key.clone(),
        health: Health::of(&findings),
        injector: method
            .agent
            .then(|| agent_dialect(pods, template).map(Dialect::injector))
            .flatten(),
        method,
        // A finished Job's pod is done, not unready.
        pods_ready: pod_summaries
            .iter()
            .filter(|p| p.ready || p.phase == "Succeeded" || p.phase == "Completed")
            .count(),
        pods: pod_summaries,
        secrets,
        leases: vault.leases,
        lease_count: vault.lease_count,
        certificates: vault.certificates,
        kv: vault.kv,
        tokens: vault.tokens,
        findings,
        rotations: Vec::new(),
    }
}

pub(crate) fn global_findings(world: &World) -> Vec<Finding> {
    let mut out = Vec::new();
    match &world.vault.status {
        VaultStatus::Unreachable { address, error } => out.push(
            Finding::new(
                Code::VaultUnreachable,
                Severity::Error,
                Via::Vault,
                format!("Vault at {address} is unreachable"),
                "Check the address (--vault-addr, VAULT_ADDR), network path and that Vault is running.",
            )
            .evidence(error.clone()),
        ),
        VaultStatus::Reachable { address, health } if health.sealed => out.push(
            Finding::new(
                Code::VaultSealed,
                Severity::Error,
                Via::Vault,
                format!("Vault at {address} is sealed: agents cannot log in or renew"),
                "Unseal Vault (`vault operator unseal`) or check its auto-unseal; agents recover by themselves once it is unsealed.",
            )
            .evidence(format!("sys/health: sealed=true, version {}", health.version.as_deref().unwrap_or("?"))),
        ),
        _ => {}
    }
    out.extend(crosscheck::permission_findings(
        &world.vault.permission_problems,
    ));
    out.extend(auth_backend::findings(world));
    if world.injector_ready_endpoints == Some(0) {
        // The endpoints counted are those of the first webhook's Service.
        let first = world.webhooks.first();
        let policy = first
            .map(|w| w.failure_policy.clone())
            .unwrap_or_else(|| "?".into());
        let injector = first.map_or(Injector::Vault, |w| w.injector);
        out.push(
            Finding::new(
                Code::InjectionInjectorUnavailable,
                Severity::Error,
                Via::Webhook,
                format!("The {} has no ready endpoints: new pods are not injected", injector.label()),
                if policy == "Ignore" {
                    format!("With failurePolicy Ignore, pods created now start without secrets: fix the injector (kubectl -n {} get pods), then delete the uninjected pods.", injector.deployment().0)
                } else {
                    "With failurePolicy Fail, no annotated pod can be created until the injector is back: check its pods and Service.".to_string()
                },
            )
            .evidence(format!("injector service: 0 ready endpoints; webhook failurePolicy {policy}")),
        );
    }
    out
}

/// Diagnose everything vaultscope knows, as of `now`.
pub fn diagnose(world: &World, now: DateTime<Utc>) -> Report {
    let index = Index::new(world, now);
    let mut workloads: Vec<WorkloadReport> = workload::group(world)
        .iter()
        .filter_map(|(k, m)| diagnose_workload(world, &index, k, m, now))
        .collect();
    workloads.sort_by(|a, b| b.health.cmp(&a.health).then_with(|| a.key.cmp(&b.key)));
    Report {
        as_of: now,
        vault: world.vault.status.clone(),
        global: global_findings(world),
        workloads,
    }
}
