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
    // kubernetes pkg/kubelet/eviction/helpers.go, after kubernetes#111597:
    // "The node was low on resource: %v. " + "Threshold quantity: %v,
    // available: %v. " + "Container %s was using %s, request is %s, has
    // larger consumption of %v. " (the shape in cloud-ark/kubeplus#1382).
    let msg = "The node was low on resource: ephemeral-storage. Threshold quantity: 2146223340, available: 1883424Ki. Container vault-agent was using 2Gi, request is 0, has larger consumption of ephemeral-storage. ";
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

    // Kubelets from 1.11 (kubernetes#63415) until #111597 worded the
    // container part "Container %s was using %s, which exceeds its request
    // of %s. " (hashicorp/vault#10552 shows it); and a container over its
    // own limit (containerEphemeralStorageMessageFmt).
    for msg in [
        "The node was low on resource: memory. Container vault-agent was using 300Mi, which exceeds its request of 64Mi. ",
        "Container vault-agent exceeded its local ephemeral storage limit \"128Mi\". ",
    ] {
        let r = report_for(vec![evicted(msg)], &[]);
        let (f, _) = only_workload(&r);
        assert_eq!(codes(f), vec![Code::PodEvicted], "{msg}");
        assert!(f[0].hint.contains("agent-limits"), "{msg}");
    }

    // The pod as a whole over its limit (podEphemeralStorageMessageFmt; an
    // injected pod in hashicorp/vault-k8s#387): no container is named.
    let msg = "Pod ephemeral local storage usage exceeds the total limit of containers 128Mi. ";
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

// ---- Recovery is one rule: an error about X is history once the same agent
// later shows success for X.

mod recovery {
    use vaultscope::diagnose::Code;
    use vaultscope::diagnose::logs::analyse_with;
    use vaultscope::diagnose::text::Renders;

    fn renders() -> Renders {
        Renders::new([
            (
                "secret/data/shop/cfg".to_string(),
                "/vault/secrets/cfg".to_string(),
            ),
            (
                "database/creds/shop".to_string(),
                "/vault/secrets/db".to_string(),
            ),
        ])
    }

    fn codes(log: &str) -> Vec<Code> {
        analyse_with(log.lines(), &renders())
            .into_iter()
            .map(|s| s.cause.code)
            .collect()
    }

    /// consul-template runner.go: `(runner) rendered %s` with Display() = `%q => %q`.
    fn rendered(dest: &str) -> String {
        format!(
            "2026-11-28T09:41:00.000Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"{dest}\""
        )
    }

    #[test]
    fn a_template_retry_followed_by_its_render_is_history() {
        let log = format!("{}\n{}", super::RETRY_LOG, rendered("/vault/secrets/cfg"));
        assert!(codes(&log).is_empty(), "{:?}", codes(&log));
        // Another template rendering proves nothing about this secret.
        let log = format!("{}\n{}", super::RETRY_LOG, rendered("/vault/secrets/db"));
        assert_eq!(codes(&log), vec![Code::SecretNotFound]);
        // A render written with KV v2's other spelling still matches
        // (secret/shop/cfg in the annotation, secret/data/... in the error).
        let r = Renders::new([(
            "secret/shop/cfg".to_string(),
            "/vault/secrets/cfg".to_string(),
        )]);
        let log = format!("{}\n{}", super::RETRY_LOG, rendered("/vault/secrets/cfg"));
        assert!(analyse_with(log.lines(), &r).is_empty());
    }

    #[test]
    fn a_failed_lease_renewal_followed_by_a_new_secret_is_history() {
        // consul-template vault_common.go: renewer stops, the secret is
        // read again and rendered.
        let fail = "2026-11-28T09:40:00.000Z [WARN]  agent: vault.read(database/creds/shop): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 400. Errors:\\n\\n* lease not found";
        assert_eq!(codes(fail), vec![Code::RenewalLeaseFailed]);
        let log = format!("{fail}\n{}", rendered("/vault/secrets/db"));
        assert!(codes(&log).is_empty());
        // At trace level, consul-template says so itself (view.go, vault_common.go).
        let log = format!(
            "{fail}\n2026-11-28T09:40:30.000Z [TRACE] agent: vault.read(database/creds/shop): successfully renewed"
        );
        assert!(codes(&log).is_empty());
    }

    #[test]
    fn a_connection_error_ends_with_the_next_successful_request() {
        let refused = "2026-11-28T09:40:00.000Z [ERROR] agent: (view) vault.read(secret/data/shop/cfg): Get \\\"https://vault:8200/v1/secret/data/shop/cfg\\\": dial tcp 10.96.0.15:8200: connect: connection refused (retry attempt 1 after \\\"250ms\\\")";
        assert_eq!(codes(refused), vec![Code::VaultUnreachable]);
        for ok in [
            "2026-11-28T09:41:00.000Z [INFO]  agent.auth.handler: renewed auth token".to_string(),
            rendered("/vault/secrets/db"),
        ] {
            let log = format!("{refused}\n{ok}");
            assert!(codes(&log).is_empty(), "{ok}");
        }
    }

    #[test]
    fn a_file_error_ends_when_the_file_is_written() {
        let fail = r#"2026-11-28T09:40:00.000Z [ERROR] agent.template.server: template server error: error="error rendering \"(dynamic)\" => \"/vault/secrets/db\": failed writing file: open /vault/secrets/1234: permission denied""#;
        assert_eq!(codes(fail), vec![Code::AgentFileWriteFailed]);
        let log = format!("{fail}\n{}", rendered("/vault/secrets/db"));
        assert!(codes(&log).is_empty());
        // Logging in again proves nothing about the file.
        let log = format!(
            "{fail}\n2026-11-28T09:41:00.000Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks"
        );
        assert_eq!(codes(&log), vec![Code::AgentFileWriteFailed]);
    }

    #[test]
    fn logging_in_does_not_clear_a_template_error() {
        let log = format!(
            "{}\n2026-11-28T09:41:00.000Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            super::RETRY_LOG
        );
        assert_eq!(codes(&log), vec![Code::SecretNotFound]);
    }
}

// ---- Renewal over time.

fn renewal_pod() -> PodInfo {
    injected(
        "shop",
        "billing",
        "billing",
        &[("db", "database/creds/billing")],
    )
}

fn lease(issued_ago: i64, expires_in: i64) -> vaultscope::model::Observation {
    vaultscope::model::Observation::Leases(vec![vaultscope::model::vault::Lease {
        id: "database/creds/billing/AbC123".into(),
        issue_time: Some(ago(issued_ago)),
        expire_time: Some(now() + chrono::Duration::seconds(expires_in)),
        ttl_seconds: expires_in,
        renewable: true,
        last_renewal: None,
        max_ttl_seconds: None,
    }])
}

/// A 403 on sys/leases/renew, first at `first_ago`, and a later harmless line.
fn denied_since(first_ago: i64) -> String {
    let at = |s: i64| {
        (now() - chrono::Duration::seconds(s))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    };
    let deny = "[WARN]  agent: vault.read(database/creds/billing): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 403. Errors:\\n\\n* permission denied";
    format!(
        "{} {deny}\n{} {deny}\n{} [WARN]  agent: vault.read(database/creds/billing): renewer done (maybe the lease expired)",
        at(first_ago),
        at(60),
        at(30)
    )
}

#[test]
fn renewal_failing_for_hours_near_the_leases_end_is_an_error() {
    let p = renewal_pod();
    let run = |first_ago: i64, lease_obs| {
        let log = denied_since(first_ago);
        let w = world([
            lease_obs,
            logs(&p, "vault-agent", false, &log),
            add_pod(p.clone()),
        ]);
        let r = diagnose(&w, now());
        let f: Vec<Finding> = r.workloads[0]
            .findings
            .iter()
            .filter(|f| f.code == Code::RenewalLeaseFailed)
            .cloned()
            .collect();
        assert_eq!(f.len(), 1, "{:#?}", r.workloads[0].findings);
        // Two refusals; the renewer stopping after them is not a third.
        assert!(
            f[0].message.ends_with("(2 times in the log)"),
            "{}",
            f[0].message
        );
        f[0].clone()
    };
    // Failing for three hours, the lease in the last third of its life.
    let f = run(3 * 3600, lease(5 * 3600, 1800));
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("403"), "{}", f.message);
    // The evidence is the failing line, not the later harmless one.
    assert!(
        f.evidence.as_deref().unwrap().contains("Code: 403"),
        "{:?}",
        f.evidence
    );
    assert!(f.hint.contains("default"), "{}", f.hint);
    // Failing for three hours, the lease still young: a warning.
    assert_eq!(run(3 * 3600, lease(600, 3000)).severity, Severity::Warning);
    // Near the end, but failing for only two minutes: a warning.
    assert_eq!(run(120, lease(5 * 3600, 1800)).severity, Severity::Warning);
}

#[test]
fn max_ttl_is_an_expected_reissue() {
    let p = renewal_pod();
    let at = |s: i64| {
        (now() - chrono::Duration::seconds(s))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let done = |s: i64| {
        format!(
            "{} [WARN]  agent: vault.read(database/creds/billing): renewer done (maybe the lease expired)",
            at(s)
        )
    };
    // Just now: info, the new secret is on its way.
    let w = world([
        logs(&p, "vault-agent", false, &done(20)),
        add_pod(p.clone()),
    ]);
    let r = diagnose(&w, now());
    let (f, health) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::RenewalLeaseFailed]);
    assert_eq!(f[0].severity, Severity::Info);
    assert_eq!(health, Health::Ok);
    // Rendered since: nothing to say.
    let log = format!(
        "{}\n{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db\"",
        done(20),
        at(15)
    );
    let w = world([logs(&p, "vault-agent", false, &log), add_pod(p.clone())]);
    let r = diagnose(&w, now());
    let (f, _) = only_workload(&r);
    assert!(f.is_empty(), "{f:#?}");
    // Ten minutes and no new secret: a warning.
    let w = world([logs(&p, "vault-agent", false, &done(600)), add_pod(p)]);
    let r = diagnose(&w, now());
    let (f, _) = only_workload(&r);
    assert_eq!(f[0].severity, Severity::Warning);
}

// ---- The CSI driver and provider in their versions' words.

fn csi_mount_failure(provider_error: &str) -> Vec<Finding> {
    let mut p = csi_pod("playground", "testapp", "testapp-vault");
    p.phase = "Pending".into();
    p.containers[0].state = waiting("ContainerCreating");
    // secrets-store-csi-driver nodeserver.go wraps the provider's error.
    let msg = format!(
        "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod playground/{}, err: rpc error: code = Unknown desc = {provider_error}",
        p.name
    );
    let w = world([
        add_event(event("Pod", "playground", &p.name, "FailedMount", &msg)),
        add_pod(p),
    ]);
    let r = diagnose(&w, now());
    r.workloads[0].findings.clone()
}

#[test]
fn csi_events_in_every_providers_words() {
    // vault-csi-provider#111 (2021): login inside the mount request, jose's issuer error.
    let f = csi_mount_failure(
        "error making mount request: failed to login: Error making API request.\n\nURL: POST https://vault.example.com/v1/auth/kubernetes/login\nCode: 500. Errors:\n\n* claim \"iss\" is invalid",
    );
    assert_eq!(codes(&f), vec![Code::AuthIssuerMismatch], "{f:#?}");
    assert_eq!(f[0].via, Via::Csi);
    // Current provider (client.go): the login happens inside the read.
    let f = csi_mount_failure(
        "error making mount request: couldn't read secret \"db-password\": failed to login: Error making API request.\n\nURL: POST http://vault:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* permission denied",
    );
    assert_eq!(codes(&f), vec![Code::AuthPermissionDenied], "{f:#?}");
    // hashicorp/vault#17246: the read itself denied.
    let f = csi_mount_failure(
        "error making mount request: couldn't read secret \"db-password\": Error making API request.\n\nURL: GET http://vault:8200/v1/secret/data/db-pass\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n",
    );
    assert_eq!(codes(&f), vec![Code::SecretPermissionDenied], "{f:#?}");
    // vault-csi-provider#187: the driver runs, the provider does not.
    let f = csi_mount_failure(
        "error connecting to provider \"vault\": provider not found: provider \"vault\"",
    );
    assert_eq!(codes(&f), vec![Code::CsiDriverMissing], "{f:#?}");
    assert!(f[0].hint.contains("vault-csi-provider"));
}

// ---- Healthy logs that look scary.

#[test]
fn healthy_agents_that_look_scary_report_nothing() {
    use vaultscope::diagnose::logs::analyse;
    for (why, log) in [
        (
            // agent auth.go: the token reached its max TTL, the watcher ends
            // with no error and the agent logs in again (vault-examples#10).
            "token max TTL, re-login",
            "2026-11-28T09:00:00.000Z [INFO]  agent.auth.handler: lifetime watcher done channel triggered, re-authenticating
2026-11-28T09:00:00.001Z [INFO]  agent.auth.handler: authenticating
2026-11-28T09:00:00.020Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks
2026-11-28T09:00:00.021Z [INFO]  agent.auth.handler: starting renewal process",
        ),
        (
            // sdk/framework/lease.go warning relayed by consul-template's
            // printVaultWarnings (a public log of Vault 1.10-era agents).
            "TTL capped by max_ttl",
            "2022-06-30T17:17:54.978+0900 [WARN] vault.read(aws/creds/s3): TTL of \"1m\" exceeded the effective max_ttl of \"17s\"; TTL value is capped accordingly",
        ),
        (
            // agent auth.go at the init container's exit (exit_after_auth).
            "init agent exiting",
            "2026-11-28T09:00:00.000Z [INFO]  agent.auth.handler: shutdown triggered, stopping lifetime watcher
2026-11-28T09:00:00.001Z [INFO]  agent.auth.handler: auth handler stopped
2026-11-28T09:00:00.002Z [INFO]  agent.template.server: template server stopped
2026-11-28T09:00:00.003Z [INFO]  agent.sink.server: sinks finished, exiting",
        ),
        (
            // OpenBao 2.x: same auth handler words, its own banner and the
            // unlimited-TTL note (openbao command/agentproxyshared/auth/auth.go).
            "OpenBao agent",
            "==> OpenBao Agent started! Log data will stream in below:
2026-04-14T15:02:20.218+0200 [INFO]  agent.sink.file: creating file sink
2026-04-14T15:02:20.300+0200 [INFO]  agent.auth.handler: authentication successful, sending token to sinks
2026-04-14T15:02:20.301+0200 [INFO]  agent.auth.handler: not starting token renewal process, as token has unlimited TTL",
        ),
        (
            // A dynamic secret at its max TTL, read again and rendered:
            // consul-template vault_common.go then runner.go.
            "re-issued at max TTL",
            "2026-11-28T09:00:00.000Z [WARN]  agent: vault.read(database/creds/app): renewer done (maybe the lease expired)
2026-11-28T09:00:00.400Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db\"",
        ),
        (
            // A brief network error at start (the mesh proxy not up yet),
            // then a login: hashicorp/vault-k8s#317's context deadline.
            "mesh not ready at start",
            "2026-11-28T09:00:00.000Z [ERROR] agent.auth.handler: error authenticating: error=\"context deadline exceeded\" backoff=1s
2026-11-28T09:00:01.500Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
        ),
        (
            // hclog's JSON format, all info.
            "JSON format",
            r#"{"@level":"info","@message":"authentication successful, sending token to sinks","@module":"agent.auth.handler","@timestamp":"2026-11-28T09:00:00.000000Z"}
{"@level":"info","@message":"(runner) rendered \"(dynamic)\" =\u003e \"/vault/secrets/db\"","@module":"agent","@timestamp":"2026-11-28T09:00:00.100000Z"}"#,
        ),
    ] {
        let got = analyse(log.lines());
        assert!(got.is_empty(), "{why}: {got:#?}");
    }
}

/// A read of a sealed Vault as OpenBao 2.7's agent logs it (seen from the
/// workshop lab's real agents, tests/real_lab.rs): Vault's error unquoted,
/// its lines flush left, the retry announced on the last one.
fn sealed_read(at: &str, attempt: u32, wait: &str) -> String {
    format!(
        "{at} [WARN]  agent: (view) vault.read(secret/data/shop/cfg): vault.read(secret/data/shop/cfg): Error making API request.\n\nURL: GET http://127.0.0.1:8200/v1/secret/data/shop/cfg\nCode: 503. Errors:\n\n* Vault is sealed (retry attempt {attempt} after \"{wait}\")"
    )
}

#[test]
fn a_sidecar_whose_retries_went_quiet_got_its_read() {
    let p = injected("shop", "cfg", "cfg", &[("cfg", "secret/data/shop/cfg")]);
    let name = p.name.clone();
    // Failing until 30 s ago, the next attempt due: still sealed, one cause
    // (not also a bare `Code: 503` line read as a second one).
    let log = [
        sealed_read("2026-11-28T09:59:24.000Z", 4, "2s"),
        sealed_read("2026-11-28T09:59:30.000Z", 5, "4s"),
    ]
    .join("\n");
    let r = report_for(vec![p.clone()], &[(&name, "vault-agent", false, &log)]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::VaultSealed], "{f:#?}");
    assert!(
        f[0].message.contains("(2 times in the log)"),
        "{}",
        f[0].message
    );
    // The same failures ten minutes ago and nothing since: consul-template
    // logs no success when the file is unchanged, so the retry worked.
    let log = [
        sealed_read("2026-11-28T09:49:54.000Z", 4, "2s"),
        sealed_read("2026-11-28T09:50:00.000Z", 5, "4s"),
    ]
    .join("\n");
    let r = report_for(vec![p.clone()], &[(&name, "vault-agent", false, &log)]);
    let (f, health) = only_workload(&r);
    assert!(f.is_empty(), "{f:#?}");
    assert_eq!(health, Health::Ok);
    // An init agent still running after such a quiet retry has not got its
    // secrets (it would have exited): the cause stays.
    let mut stuck = p;
    stuck.phase = "Pending".into();
    stuck.conditions.clear();
    stuck.init_containers[0].state = running(900);
    let r = report_for(vec![stuck], &[(&name, "vault-agent-init", false, &log)]);
    let (f, _) = only_workload(&r);
    assert_eq!(codes(f), vec![Code::VaultSealed], "{f:#?}");
}
