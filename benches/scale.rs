//! How vaultscope holds up at the scale the design names: 20,000 pods in
//! 1,000 namespaces, 3,000 of them injected, thousands of events and leases.
//! Measures one full diagnosis, the dashboard's incremental one (a tick,
//! one pod changed, a burst), and one frame of the workload list.
//!
//! Run: cargo bench --bench scale

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultscope::app::{App, SourceKind};
use vaultscope::diagnose::diagnose;
use vaultscope::diagnose::incremental::Diagnoser;
use vaultscope::model::logs::LogKey;
use vaultscope::model::objects::{EventInfo, InvolvedObject};
use vaultscope::model::pod::{ContainerInfo, ContainerState, OwnerRef, PodCondition, PodInfo};
use vaultscope::model::vault::Lease;
use vaultscope::model::{Observation, World};
use vaultscope::theme::Theme;

const PODS: usize = 20_000;
const NAMESPACES: usize = 1_000;
const INJECTED_EVERY: usize = 7; // about 2,900 injected pods
const EVENTS: usize = 5_000;

fn now() -> DateTime<Utc> {
    "2026-11-28T10:00:00Z".parse().unwrap()
}

fn container(name: &str, state: ContainerState) -> ContainerInfo {
    ContainerInfo {
        name: name.into(),
        image: "img".into(),
        ready: true,
        state,
        restart_count: 0,
        last_termination: None,
    }
}

fn big_world() -> World {
    let mut obs = Vec::new();
    let running = ContainerState::Running {
        started_at: Some(now() - Duration::hours(1)),
    };
    for i in 0..PODS {
        let ns = format!("team-{:04}", i % NAMESPACES);
        let app = format!("svc-{}", i / 4);
        let injected = i % INJECTED_EVERY == 0;
        let mut annotations = BTreeMap::new();
        let mut init = Vec::new();
        let mut containers = vec![container("app", running.clone())];
        if injected {
            for (k, v) in [
                ("agent-inject", "true"),
                ("agent-inject-status", "injected"),
                ("role", "app"),
                ("agent-inject-secret-db", "database/creds/app"),
            ] {
                annotations.insert(format!("vault.hashicorp.com/{k}"), v.to_string());
            }
            init.push(container(
                "vault-agent-init",
                ContainerState::Terminated(vaultscope::model::pod::Termination {
                    exit_code: 0,
                    reason: Some("Completed".into()),
                    message: None,
                    started_at: None,
                    finished_at: None,
                }),
            ));
            containers.push(container("vault-agent", running.clone()));
        }
        let pod = PodInfo {
            namespace: ns.clone(),
            name: format!("{app}-7c9d8f6b54-{i:05}"),
            uid: format!("uid-{i}"),
            owner: Some(OwnerRef {
                kind: "ReplicaSet".into(),
                name: format!("{app}-7c9d8f6b54"),
                uid: format!("rs-{app}"),
            }),
            annotations,
            service_account: app.clone(),
            node_name: Some("n".into()),
            created: Some(now() - Duration::hours(2)),
            deleting: false,
            phase: "Running".into(),
            reason: None,
            message: None,
            conditions: vec![PodCondition {
                kind: "Ready".into(),
                status: "True".into(),
                reason: None,
                message: None,
                last_transition: None,
            }],
            init_containers: init,
            containers,
            csi_volumes: vec![],
        };
        if injected && i % 50 == 0 {
            obs.push(Observation::LogLines {
                key: LogKey { namespace: ns.clone(), pod: pod.name.clone(), container: "vault-agent".into(), previous: false },
                lines: (0..200).map(|n| format!("2026-11-28T09:{:02}:00.000Z [INFO]  agent.auth.handler: renewed auth token", n % 60)).collect(),
            });
        }
        obs.push(Observation::PodApplied(Box::new(pod)));
    }
    for i in 0..EVENTS {
        let pod = i * 3 % PODS;
        let app = format!("svc-{}", pod / 4);
        obs.push(Observation::EventApplied(Box::new(EventInfo {
            namespace: format!("team-{:04}", pod % NAMESPACES),
            name: format!("ev-{i}"),
            involved: InvolvedObject {
                kind: "Pod".into(),
                namespace: format!("team-{:04}", pod % NAMESPACES),
                name: format!("{app}-7c9d8f6b54-{pod:05}"),
                uid: None,
            },
            kind: if i % 2 == 0 { "Warning" } else { "Normal" }.into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container".into(),
            count: 1,
            first_seen: None,
            last_seen: None,
        })));
    }
    obs.push(Observation::Leases(
        (0..10_000)
            .map(|i| Lease {
                id: format!("database/creds/app/{i:024}"),
                issue_time: Some(now() - Duration::minutes(10)),
                expire_time: Some(now() + Duration::minutes(50)),
                ttl_seconds: 3000,
                renewable: true,
                last_renewal: None,
                max_ttl_seconds: Some(86_400),
            })
            .collect(),
    ));
    let mut w = World::default();
    for o in obs {
        w.apply(o);
    }
    w
}

/// The dashboard's incremental diagnosis: a tick with nothing due, one pod
/// changed, a burst of 2,000 pods changed (as a rollout or an annotate
/// does), each followed by the refresh that draws it.
fn incremental(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let mut world = big_world();
    let mut report = diagnose(&world, now());
    let mut d = Diagnoser::new();
    // The clock moves a nanosecond a refresh: criterion runs millions of
    // them, and whole seconds would cross the leases' expiry on the way.
    let mut t = now();
    g.bench_function("incremental: first refresh (everything)", |b| {
        b.iter(|| {
            d = Diagnoser::new();
            d.refresh(&mut world, t, &mut report)
        })
    });
    g.bench_function("incremental: a tick with nothing due", |b| {
        b.iter(|| {
            t += Duration::nanoseconds(1);
            d.refresh(&mut world, t, &mut report)
        })
    });
    let pods: Vec<PodInfo> = world.pods.values().take(2_000).cloned().collect();
    // Each pod in two versions: as listed, and restarted once more.
    let versions = |flip: bool| -> Vec<Observation> {
        pods.iter()
            .map(|p| {
                let mut p = p.clone();
                if flip {
                    p.containers[0].restart_count += 1;
                }
                Observation::PodApplied(Box::new(p))
            })
            .collect()
    };
    let (a, b2) = (versions(false), versions(true));
    let mut flip = false;
    g.bench_function("incremental: one pod changed", |b| {
        b.iter(|| {
            flip = !flip;
            world.apply(if flip { b2[0].clone() } else { a[0].clone() });
            t += Duration::nanoseconds(1);
            d.refresh(&mut world, t, &mut report)
        })
    });
    g.bench_function("incremental: 2,000 pods changed", |b| {
        b.iter(|| {
            flip = !flip;
            for o in if flip { &b2 } else { &a } {
                world.apply(o.clone());
            }
            t += Duration::nanoseconds(1);
            d.refresh(&mut world, t, &mut report)
        })
    });
    assert!(
        report == diagnose(&world, t),
        "the incremental report drifted"
    );
}

fn bench(c: &mut Criterion) {
    let world = big_world();
    let mut g = c.benchmark_group("20k pods");
    g.sample_size(10);
    g.bench_function("diagnose", |b| b.iter(|| diagnose(&world, now())));
    incremental(&mut g);
    let mut app = App::new(SourceKind::Demo, Theme::builtin("default").unwrap(), now());
    app.world = world;
    app.refresh(now() + Duration::seconds(1));
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    g.bench_function("draw the list", |b| {
        b.iter(|| {
            term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
                .unwrap();
        })
    });
    // Input latency while logs stream: a key press in an open pane whose
    // agent log holds the full 10,000 lines, plus the redraw it causes.
    let pod = app
        .report
        .workloads
        .iter()
        .find(|w| w.method.agent)
        .and_then(|w| w.pods.first().map(|p| (w.key.clone(), p.name.clone())))
        .expect("an injected workload");
    app.apply(Observation::LogLines {
        key: LogKey { namespace: pod.0.namespace.clone(), pod: pod.1.clone(), container: "vault-agent".into(), previous: false },
        lines: (0..10_000)
            .map(|n| format!("2026-11-28T09:59:{:02}.000Z [ERROR] agent.auth.handler: error authenticating: error=\"permission denied\" line {n}", n % 60))
            .collect(),
    });
    app.refresh(now() + Duration::seconds(2));
    app.ui.selected = Some(pod.0.clone());
    app.perform(vaultscope::app::keys::Action::Open);
    g.bench_function("key press and redraw, pane with a 10k-line log", |b| {
        b.iter(|| {
            app.perform(vaultscope::app::keys::Action::ToggleFollow);
            term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
                .unwrap();
        })
    });
    // Very long lines: the same key press in panes whose agent log holds
    // 10,000 lines at the length a buffer keeps (64 KiB), and one line of
    // 200 MB as it was sent. Neither may cost a frame more than the screen.
    let mut agents = app
        .report
        .workloads
        .iter()
        .filter(|w| w.method.agent)
        .filter_map(|w| w.pods.first().map(|p| (w.key.clone(), p.name.clone())))
        .skip(1);
    let wide = agents.next().expect("a second injected workload");
    let huge = agents.next().expect("a third injected workload");
    drop(agents);
    let long_line = |n: usize, len: usize| {
        let mut l = format!(
            "2026-11-28T09:59:{:02}.000Z [ERROR] agent.auth.handler: error authenticating: error=\"permission denied\" line {n} attempt=",
            n % 60
        );
        while l.len() < len {
            l.push_str("0123456789abcdef");
        }
        l.truncate(len);
        l
    };
    let log_key = |pod: &(vaultscope::model::workload::WorkloadKey, String)| LogKey {
        namespace: pod.0.namespace.clone(),
        pod: pod.1.clone(),
        container: "vault-agent".into(),
        previous: false,
    };
    app.apply(Observation::LogLines {
        key: log_key(&huge),
        lines: vec![long_line(0, 200 * 1024 * 1024)],
    });
    // The idle dashboard diagnoses once a second.
    g.bench_function("diagnose, one agent log holds a 200 MB line", |b| {
        b.iter(|| diagnose(&app.world, now()))
    });
    app.apply(Observation::LogLines {
        key: log_key(&wide),
        lines: (0..10_000).map(|n| long_line(n, 64 * 1024)).collect(),
    });
    app.refresh(now() + Duration::seconds(3));
    for (pod, name) in [
        (&wide, "key press and redraw, pane with 10k lines of 64 KiB"),
        (&huge, "key press and redraw, pane with a 200 MB line"),
    ] {
        app.perform(vaultscope::app::keys::Action::Back);
        app.ui.selected = Some(pod.0.clone());
        app.perform(vaultscope::app::keys::Action::Open);
        g.bench_function(name, |b| {
            b.iter(|| {
                app.perform(vaultscope::app::keys::Action::ToggleFollow);
                term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
                    .unwrap();
            })
        });
    }
    // A frame draws a line the first time at full cost (redacting all of
    // it): a screenful of 64 KiB lines nobody has drawn yet, as when a pane
    // opens.
    app.perform(vaultscope::app::keys::Action::Back);
    app.ui.selected = Some(wide.0.clone());
    app.perform(vaultscope::app::keys::Action::Open);
    g.bench_function("first frame of a pane with 64 KiB lines", |b| {
        b.iter_custom(|iters| {
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..iters {
                app.apply(Observation::LogReset {
                    key: log_key(&wide),
                });
                app.apply(Observation::LogLines {
                    key: log_key(&wide),
                    lines: (0..50).map(|n| long_line(n, 64 * 1024)).collect(),
                });
                let t = std::time::Instant::now();
                term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
                    .unwrap();
                spent += t.elapsed();
            }
            spent
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
