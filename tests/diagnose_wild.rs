//! The diagnosis on situations from the wild: what Kubernetes did to a pod,
//! and errors the agent has since recovered from. Every string is taken from
//! the upstream source named next to it; each failing case has its healthy
//! counterpart (recovered, completed, harmless).

mod common;

use common::*;
use vaultscope::diagnose::{Code, Finding, Health, Report, Severity, Via, diagnose};
use vaultscope::model::pod::{ContainerState, PodCondition, PodInfo, Termination};

fn report_for(pods: Vec<PodInfo>, logs_of: &[(&str, &str, bool, &str)]) -> Report {
    let mut obs = Vec::new();
    for (pod_name, container, previous, text) in logs_of {
        let p = pods.iter().find(|p| p.name == *pod_name).unwrap();
        obs.push(logs(p, container, *previous, text));
    }
    obs.extend(pods.into_iter().map(add_pod));
    diagnose(&world(obs), now())
}

fn only_workload(r: &Report) -> (&[Finding], Health) {
    assert_eq!(r.workloads.len(), 1, "{:#?}", r.workloads);
    (&r.workloads[0].findings, r.workloads[0].health)
}

fn codes(fs: &[Finding]) -> Vec<Code> {
    fs.iter().map(|f| f.code).collect()
}

/// An injected pod that never reached a node: Pending, no nodeName, no
/// container statuses, created 37 minutes ago.
fn unscheduled(message: &str) -> PodInfo {
    let mut p = injected("shop", "cart", "cart", &[("db", "database/creds/cart")]);
    p.conditions = vec![PodCondition {
        kind: "PodScheduled".into(),
        status: "False".into(),
        reason: Some("Unschedulable".into()),
        message: Some(message.into()),
        last_transition: Some(ago(2240)),
    }];
    p.node_name = None;
    p.phase = "Pending".into();
    p.created = Some(ago(2240));
    for c in p.init_containers.iter_mut().chain(p.containers.iter_mut()) {
        c.state = ContainerState::Unknown;
        c.ready = false;
    }
    p
}

#[test]
fn an_unscheduled_pod_is_a_scheduling_state_not_an_injection_failure() {
    // kube-scheduler's FitError text (kubernetes pkg/scheduler/framework/types.go,
    // "0/%v nodes are available: %v.").
    let msg = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    let r = report_for(vec![unscheduled(msg)], &[]);
    let (f, health) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::PodUnscheduled], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Info);
    assert_eq!(f[0].via, Via::Kubernetes);
    assert!(f[0].message.contains("Unschedulable"), "{}", f[0].message);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("3 Insufficient memory")
    );
    assert_eq!(
        health,
        Health::Ok,
        "not red: nothing is known about secrets yet"
    );
}

#[test]
fn no_agent_timer_runs_before_the_agent_started() {
    // Scheduled, but vault-agent-init waits behind an earlier init container
    // (a service mesh's init, say) for 20 minutes: the agent is not stuck.
    let mut p = injected("shop", "mesh", "mesh", &[("db", "database/creds/mesh")]);
    p.phase = "Pending".into();
    p.conditions.clear();
    p.init_containers = vec![
        container("istio-init", running(1200)),
        container("vault-agent-init", waiting("PodInitializing")),
    ];
    p.containers = vec![container("app", waiting("PodInitializing"))];
    let r = report_for(vec![p.clone()], &[]);
    let (f, _) = only_workload(&r);
    assert!(f.is_empty(), "{f:#?}");

    // The counterpart: once it runs, the timer starts from its own start.
    p.init_containers[1].state = running(400);
    let r = report_for(vec![p], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::ContainerInitStuck]);
    assert!(f[0].message.contains("6m40s"), "{}", f[0].message);
}

fn evicted(message: &str) -> PodInfo {
    let mut p = injected("shop", "feed", "feed", &[("cfg", "secret/data/feed")]);
    p.phase = "Failed".into();
    p.reason = Some("Evicted".into());
    p.message = Some(message.into());
    p.conditions.clear();
    for c in p.containers.iter_mut() {
        c.ready = false;
        c.state = ContainerState::Terminated(Termination {
            exit_code: 137,
            reason: Some("Error".into()),
            message: None,
            started_at: Some(ago(800)),
            finished_at: Some(ago(60)),
        });
    }
    p
}

#[test]
fn an_eviction_shows_the_kubelets_message_not_only_an_exit_code() {
    // kubernetes pkg/kubelet/eviction/helpers.go: nodeLowMessageFmt
    // "The node was low on resource: %v. " + containerMessageFmt
    // "Container %s was using %s, which exceeds its request of %s. "
    let msg = "The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 524Mi. Container vault-agent was using 2Gi, which exceeds its request of 0. ";
    let r = report_for(vec![evicted(msg)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::PodEvicted], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].evidence
            .as_deref()
            .unwrap()
            .contains("Container vault-agent was using 2Gi")
    );
    assert!(
        f[0].hint.contains("agent-limits-ephemeral"),
        "{}",
        f[0].hint
    );

    // Older kubelets worded the container part differently (same file before
    // v1.26: "Container %s was using %s, request is %s, has larger
    // consumption of %v. "); and a container's own limit
    // (containerEphemeralStorageMessageFmt).
    for msg in [
        "The node was low on resource: memory. Container vault-agent was using 300Mi, request is 64Mi, has larger consumption of memory. ",
        "Container vault-agent exceeded its local ephemeral storage limit \"128Mi\". ",
    ] {
        let r = report_for(vec![evicted(msg)], &[]);
        let (f, _) = only_workload(&r);
        assert_eq!(codes(f), vec![Code::PodEvicted], "{msg}");
        assert!(f[0].hint.contains("agent-limits"), "{msg}");
    }

    // The app container was the one over its share: the agent is fine.
    let msg = "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ";
    let r = report_for(vec![evicted(msg)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::PodEvicted]);
    assert!(!f[0].hint.contains("agent-limits"), "{}", f[0].hint);
}

fn oom_sidecar(state: ContainerState, restarts: i32, killed_ago: i64) -> PodInfo {
    let mut p = injected("shop", "big", "big", &[("cfg", "secret/data/big")]);
    let c = p
        .containers
        .iter_mut()
        .find(|c| c.name == "vault-agent")
        .unwrap();
    c.state = state;
    c.restart_count = restarts;
    c.last_termination = Some(Termination {
        exit_code: 137,
        reason: Some("OOMKilled".into()),
        message: None,
        started_at: Some(ago(killed_ago + 300)),
        finished_at: Some(ago(killed_ago)),
    });
    p
}

#[test]
fn oom_kills_are_a_warning_while_the_agent_stays_up_and_an_error_when_it_cannot() {
    // Killed once, two hours ago, running since: a warning.
    let r = report_for(vec![oom_sidecar(running(7000), 1, 7200)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::ContainerOomKilled]);
    assert_eq!(f[0].severity, Severity::Warning);
    // Killed three times, the last ten minutes ago, running again: an error.
    let r = report_for(vec![oom_sidecar(running(500), 3, 600)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(f[0].severity, Severity::Error, "{f:#?}");
    // Many kills, but the last one long ago: it has settled; a warning.
    let r = report_for(vec![oom_sidecar(running(80_000), 5, 86_000)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(f[0].severity, Severity::Warning);
    // In a crash loop: an error whatever the count.
    let r = report_for(vec![oom_sidecar(waiting("CrashLoopBackOff"), 1, 30)], &[]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::ContainerOomKilled]);
    assert_eq!(f[0].severity, Severity::Error);
}

/// consul-template's retry while the secret is not there yet
/// (hashicorp/consul-template dependency/vault_read.go: "no secret exists at %s";
/// the agent's runner adds "(retry attempt %d after %q)", vault#11349).
const RETRY_LOG: &str = "2026-11-28T09:40:00.000Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks
2026-11-28T09:40:00.050Z [WARN]  agent: (view) vault.read(secret/data/shop/cfg): no secret exists at secret/data/shop/cfg (retry attempt 1 after \"250ms\")
2026-11-28T09:40:00.400Z [WARN]  agent: (view) vault.read(secret/data/shop/cfg): no secret exists at secret/data/shop/cfg (retry attempt 2 after \"500ms\")";

#[test]
fn an_init_agent_that_exited_zero_rendered_its_secrets() {
    let p = injected("shop", "cfg", "cfg", &[("cfg", "secret/data/shop/cfg")]);
    let name = p.name.clone();
    // The init container completed: the retries were transient.
    let r = report_for(
        vec![p.clone()],
        &[(&name, "vault-agent-init", false, RETRY_LOG)],
    );
    let (f, health) = only_workload(&r);
    assert!(f.is_empty(), "{f:#?}");
    assert_eq!(health, Health::Ok);

    // The failing counterpart: the same log from an init agent that still runs.
    let mut stuck = p;
    stuck.phase = "Pending".into();
    stuck.conditions.clear();
    stuck.init_containers[0].state = running(300);
    let r = report_for(
        vec![stuck],
        &[(&name, "vault-agent-init", false, RETRY_LOG)],
    );
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::SecretNotFound], "{f:#?}");
}

#[test]
fn a_pod_that_ran_to_completion_carries_no_error_from_earlier_retries() {
    // A Job's pod: Succeeded, init agent completed, app completed.
    let mut p = injected(
        "batch",
        "report",
        "report",
        &[("cfg", "secret/data/shop/cfg")],
    );
    p.phase = "Succeeded".into();
    p.conditions.clear();
    p.containers.retain(|c| c.name != "vault-agent");
    p.containers[0].state = ContainerState::Terminated(Termination {
        exit_code: 0,
        reason: Some("Completed".into()),
        message: None,
        started_at: Some(ago(500)),
        finished_at: Some(ago(400)),
    });
    let name = p.name.clone();
    let r = report_for(vec![p], &[(&name, "vault-agent-init", false, RETRY_LOG)]);
    let (f, health) = only_workload(&r);
    assert!(f.is_empty(), "{f:#?}");
    assert_eq!(health, Health::Ok);
}
