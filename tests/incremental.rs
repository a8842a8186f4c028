//! The dashboard's incremental diagnosis (`diagnose::incremental`) gives
//! exactly what the full one (`diagnose::diagnose`) gives, after any
//! sequence of observations and at any time: objects added, changed,
//! deleted and added again, Vault's answers replaced, and the clock moved to
//! just before, at and after every instant a finding can change on its own.
//!
//! `PROPTEST_CASES=5000 cargo test --release --test incremental` runs a
//! long search; the generators are the fuzz tests' (`tests/fuzz/arb.rs`).

#[path = "fuzz/arb.rs"]
#[allow(dead_code)]
mod arb;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use vaultscope::diagnose::incremental::Diagnoser;
use vaultscope::diagnose::{self, Report};
use vaultscope::model::log_line::line_timestamp;
use vaultscope::model::{Observation, World};

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        max_shrink_time: 120_000,
        ..ProptestConfig::default()
    }
}

/// A small LCG: the choices only have to vary with the seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.roll(100) < percent
    }
}

/// `b`'s objects under `a`'s names (so they replace them), some of them.
fn updates(a: &[Observation], b: &[Observation], dice: &mut Dice) -> Vec<Observation> {
    let pods: Vec<(String, String)> = a
        .iter()
        .filter_map(|o| match o {
            Observation::PodApplied(p) => Some((p.namespace.clone(), p.name.clone())),
            _ => None,
        })
        .collect();
    let events: Vec<(String, String)> = a
        .iter()
        .filter_map(|o| match o {
            Observation::EventApplied(e) => Some((e.namespace.clone(), e.name.clone())),
            _ => None,
        })
        .collect();
    let pick = |keys: &[(String, String)], dice: &mut Dice| {
        (!keys.is_empty() && dice.chance(70)).then(|| keys[dice.roll(keys.len())].clone())
    };
    b.iter()
        .cloned()
        .map(|o| match o {
            Observation::PodApplied(mut p) => {
                if let Some((ns, name)) = pick(&pods, dice) {
                    p.namespace = ns;
                    p.name = name;
                }
                // Sometimes a pod that stops getting secrets (its
                // annotations and agents gone): the model keeps only its key.
                if dice.chance(15) {
                    p.annotations.clear();
                    p.init_containers.clear();
                    p.containers.retain(|c| c.name == "app");
                    p.csi_volumes.clear();
                }
                Observation::PodApplied(p)
            }
            Observation::EventApplied(mut e) => {
                if let Some((ns, name)) = pick(&events, dice) {
                    e.namespace = ns;
                    e.name = name;
                }
                // About one of a's pods, sometimes.
                if let Some((ns, name)) = pick(&pods, dice) {
                    e.involved.kind = "Pod".into();
                    e.involved.namespace = ns;
                    e.involved.name = name;
                }
                Observation::EventApplied(e)
            }
            Observation::LogLines { mut key, lines } => {
                if let Some((ns, name)) = pick(&pods, dice) {
                    key.namespace = ns;
                    key.pod = name;
                }
                Observation::LogLines { key, lines }
            }
            other => other,
        })
        .collect()
}

/// Deletions of some of `a`'s objects, and changed copies of its Vault
/// lists (a lease renewed, one gone).
fn removals(a: &[Observation], dice: &mut Dice) -> Vec<Observation> {
    let mut out = Vec::new();
    for o in a {
        if !dice.chance(35) {
            continue;
        }
        match o {
            Observation::PodApplied(p) => out.push(Observation::PodDeleted {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            }),
            Observation::EventApplied(e) => out.push(Observation::EventDeleted {
                namespace: e.namespace.clone(),
                name: e.name.clone(),
            }),
            Observation::ReplicaSetApplied(r) => out.push(Observation::ReplicaSetDeleted {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
            }),
            Observation::JobApplied(j) => out.push(Observation::JobDeleted {
                namespace: j.namespace.clone(),
                name: j.name.clone(),
            }),
            Observation::ClassApplied(c) => out.push(Observation::ClassDeleted {
                namespace: c.namespace.clone(),
                name: c.name.clone(),
            }),
            Observation::PodStatusApplied(s) => out.push(Observation::PodStatusDeleted {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
            }),
            Observation::LogLines { key, .. } => {
                out.push(Observation::LogReset { key: key.clone() })
            }
            Observation::Leases(ls) if !ls.is_empty() => {
                let mut ls = ls.clone();
                let i = dice.roll(ls.len());
                if dice.chance(50) {
                    ls.remove(i);
                } else if let Some(t) = ls[i].expire_time {
                    ls[i].expire_time = t.checked_add_signed(Duration::hours(1));
                    ls[i].last_renewal = Some(t - Duration::minutes(5));
                }
                out.push(Observation::Leases(ls));
            }
            Observation::AgentTokens(ts) if !ts.is_empty() => {
                let mut ts = ts.clone();
                ts.remove(dice.roll(ts.len()));
                out.push(Observation::AgentTokens(ts));
            }
            Observation::Certificates(cs) if !cs.is_empty() => {
                let mut cs = cs.clone();
                cs.remove(dice.roll(cs.len()));
                out.push(Observation::Certificates(cs));
            }
            _ => {}
        }
    }
    out
}

/// Instants at which some finding of `world` may change: every time the
/// world holds, and the rules' thresholds after it, each with the instants
/// just before and after.
fn boundaries(world: &World) -> Vec<DateTime<Utc>> {
    let mut refs: Vec<DateTime<Utc>> = Vec::new();
    for p in world.pods.values() {
        refs.extend(p.timestamps());
    }
    for l in &world.vault.leases {
        refs.extend(
            l.issue_time
                .iter()
                .chain(&l.expire_time)
                .chain(&l.last_renewal),
        );
        refs.extend(l.hard_end());
    }
    for c in &world.vault.certificates {
        refs.push(c.not_after);
        refs.extend(c.not_before);
    }
    for b in world.logs.values() {
        refs.extend(b.lines().filter_map(line_timestamp));
    }
    let offsets = [0, 60, 300, 301, 3600, -60, -6 * 60, -3600];
    let mut out = BTreeSet::new();
    for r in refs {
        for s in offsets {
            for ns in [-1, 0, 1] {
                if let Some(t) = r
                    .checked_add_signed(Duration::seconds(s))
                    .and_then(|t| t.checked_add_signed(Duration::nanoseconds(ns)))
                {
                    out.insert(t);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The workloads that differ, to read a failure.
fn difference(got: &Report, want: &Report) -> String {
    let mut out = String::new();
    if got.global != want.global {
        out.push_str("global findings differ\n");
    }
    let keys: BTreeSet<_> = got
        .workloads
        .iter()
        .chain(&want.workloads)
        .map(|w| w.key.clone())
        .collect();
    for k in keys {
        let g = got.workloads.iter().position(|w| w.key == k);
        let w = want.workloads.iter().position(|w| w.key == k);
        let (gw, ww) = (g.map(|i| &got.workloads[i]), w.map(|i| &want.workloads[i]));
        if gw != ww || g != w {
            out.push_str(&format!(
                "{k}: at {g:?}, want {w:?}\n  got  {:?}\n  want {:?}\n",
                gw.map(|x| x.findings.iter().map(|f| &f.message).collect::<Vec<_>>()),
                ww.map(|x| x.findings.iter().map(|f| &f.message).collect::<Vec<_>>()),
            ));
        }
    }
    out
}

/// Refresh at `now` and compare with the full diagnosis.
fn check(
    d: &mut Diagnoser,
    world: &mut World,
    report: &mut Report,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), TestCaseError> {
    d.refresh(world, now, report);
    let want = diagnose::diagnose(world, now);
    if *report != want {
        return Err(TestCaseError::fail(format!(
            "{what}, at {now}:\n{}",
            difference(report, &want)
        )));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn incremental_diagnosis_equals_the_full_one(
        a in arb::case(),
        b in arb::case(),
        start in arb::now(),
        seed in any::<u64>(),
    ) {
        let mut dice = Dice(seed);
        let first = a.all_observations();
        let mut obs = first.clone();
        obs.extend(removals(&first, &mut dice));
        obs.extend(updates(&first, &b.all_observations(), &mut dice));
        // Some of a's objects again, as they were.
        obs.extend(first.iter().filter(|_| dice.chance(20)).cloned());

        let mut world = World::default();
        let mut d = Diagnoser::new();
        let mut report = diagnose::diagnose(&world, arb::time(start));
        let mut now = arb::time(start);
        check(&mut d, &mut world, &mut report, now, "empty")?;
        let mut i = 0;
        while i < obs.len() {
            let n = 1 + dice.roll(6);
            for o in &obs[i..(i + n).min(obs.len())] {
                world.apply(o.clone());
            }
            i += n;
            // The clock mostly stands or moves a little while data comes in.
            let step = [0, 0, 1, 1_000, 59_000, 61_000][dice.roll(6)];
            now += Duration::milliseconds(step);
            check(&mut d, &mut world, &mut report, now, &format!("after {i} observations"))?;
        }
        // Then only the clock: to the instants around each threshold.
        let later: Vec<DateTime<Utc>> =
            boundaries(&world).into_iter().filter(|t| *t > now).collect();
        let mut j = 0;
        for _ in 0..24 {
            if j >= later.len() {
                break;
            }
            now = later[j];
            check(&mut d, &mut world, &mut report, now, "clock only")?;
            j += 1 + dice.roll(4);
        }
        // A clock that went back is judged afresh.
        now -= Duration::hours(1);
        check(&mut d, &mut world, &mut report, now, "clock back")?;
    }
}

/// The demo scenario as the dashboard plays it: its observations second by
/// second for twenty minutes (Vault sealed and unsealed, leases renewed,
/// certificates re-issued, failures recurring), judged every second.
#[test]
fn the_demo_scenario_second_by_second() {
    use vaultscope::sources::demo::Scenario;
    let start: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
    let mut scenario = Scenario::new(start);
    let mut world = World::default();
    for o in scenario.initial() {
        world.apply(o);
    }
    let mut d = Diagnoser::new();
    let mut report = diagnose::diagnose(&world, start);
    for s in 0..1200 {
        let now = start + Duration::seconds(s) + Duration::milliseconds(250);
        for o in scenario.advance(now) {
            world.apply(o);
        }
        d.refresh(&mut world, now, &mut report);
        // The full diagnosis is the slow part of a debug build: every
        // second for four minutes, then every tenth.
        if s < 240 || s % 10 == 0 {
            let want = diagnose::diagnose(&world, now);
            assert!(report == want, "at {now}:\n{}", difference(&report, &want));
        }
    }
}

// ------------------------------------------ the time rules, one by one ----

mod common;
use common::{add_pod, ago, container, injected, logs, now as t0};
use vaultscope::model::pod::{ContainerState, Termination};
use vaultscope::model::vault::{Certificate, Lease};

/// Judge `world` incrementally at every instant around each threshold in
/// the next `hours` (and each second of the first minute), against the full
/// diagnosis.
/// `later` are observations applied once the clock passes their offset
/// (seconds from the start).
fn walk(mut world: World, hours: i64, mut later: Vec<(i64, Observation)>) {
    let start = t0();
    let end = start + Duration::hours(hours);
    let mut times: BTreeSet<DateTime<Utc>> = boundaries(&world)
        .into_iter()
        .filter(|t| *t >= start && *t <= end)
        .collect();
    times.extend((0..60).map(|s| start + Duration::seconds(s)));
    times.extend(later.iter().map(|(s, _)| start + Duration::seconds(*s)));
    let mut d = Diagnoser::new();
    let mut report = diagnose::diagnose(&world, start);
    let mut changes = 0;
    let mut last: Option<Report> = None;
    for now in times {
        while later
            .first()
            .is_some_and(|(s, _)| start + Duration::seconds(*s) <= now)
        {
            world.apply(later.remove(0).1);
        }
        d.refresh(&mut world, now, &mut report);
        let want = diagnose::diagnose(&world, now);
        assert!(report == want, "at {now}:\n{}", difference(&report, &want));
        let health = |r: &Report| r.workloads.iter().map(|w| w.health).collect::<Vec<_>>();
        if last.as_ref().is_some_and(|l| health(l) != health(&report)) {
            changes += 1;
        }
        last = Some(report.clone());
    }
    assert!(
        changes > 0,
        "the walk crossed no threshold that changes a health"
    );
}

fn billing() -> vaultscope::model::pod::PodInfo {
    injected(
        "shop",
        "billing",
        "billing",
        &[("db", "database/creds/billing")],
    )
}

fn lease(issued_ago: i64, expires_in: i64, max: Option<i64>) -> Observation {
    Observation::Leases(vec![Lease {
        id: "database/creds/billing/AbC123".into(),
        issue_time: Some(ago(issued_ago)),
        expire_time: Some(t0() + Duration::seconds(expires_in)),
        ttl_seconds: expires_in,
        renewable: true,
        last_renewal: None,
        max_ttl_seconds: max,
    }])
}

fn stamp(secs_ago: i64) -> String {
    ago(secs_ago).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn world_of(obs: Vec<Observation>) -> World {
    let mut w = World::default();
    for o in obs {
        w.apply(o);
    }
    w
}

#[test]
fn a_renewal_failing_for_an_hour_near_the_leases_end() {
    let p = billing();
    let deny = "[WARN]  agent: vault.read(database/creds/billing): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 403. Errors:\\n\\n* permission denied";
    let log = format!("{} {deny}\n{} {deny}", stamp(3590), stamp(60));
    // The lease enters its last third while the failure turns an hour old.
    walk(
        world_of(vec![
            lease(600, 3000, None),
            logs(&p, "vault-agent", false, &log),
            add_pod(p),
        ]),
        2,
        vec![],
    );
}

#[test]
fn a_failing_renewal_reads_the_leases_of_the_path_its_log_names() {
    // The log names a path none of the workload's secrets come from.
    let p = billing();
    let deny = "[WARN]  agent: vault.read(database/creds/other): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 403. Errors:\\n\\n* permission denied";
    let log = format!("{} {deny}\n{} {deny}", stamp(3 * 3600), stamp(60));
    let other = |issued_ago: i64, expires_in: i64| {
        Observation::Leases(vec![Lease {
            id: "database/creds/other/XyZ".into(),
            issue_time: Some(ago(issued_ago)),
            expire_time: Some(t0() + Duration::seconds(expires_in)),
            ttl_seconds: expires_in,
            renewable: true,
            last_renewal: None,
            max_ttl_seconds: None,
        }])
    };
    // Young, then (Vault polled again) in its last third: an error.
    walk(
        world_of(vec![
            other(600, 30_000),
            logs(&p, "vault-agent", false, &log),
            add_pod(p),
        ]),
        1,
        vec![(30, other(30_000, 600))],
    );
}

#[test]
fn a_renewal_done_at_max_ttl_becomes_late() {
    let p = billing();
    let log = format!(
        "{} [WARN]  agent: vault.read(database/creds/billing): renewer done (maybe the lease expired)",
        stamp(290)
    );
    walk(
        world_of(vec![logs(&p, "vault-agent", false, &log), add_pod(p)]),
        1,
        vec![],
    );
}

#[test]
fn an_oom_kill_ages_and_an_init_agent_gets_stuck() {
    let mut p = billing();
    let sidecar = p
        .containers
        .iter_mut()
        .find(|c| c.name == "vault-agent")
        .unwrap();
    sidecar.restart_count = 3;
    sidecar.last_termination = Some(Termination {
        exit_code: 137,
        reason: Some("OOMKilled".into()),
        message: None,
        started_at: Some(ago(4000)),
        finished_at: Some(ago(3590)),
    });
    let mut q = injected(
        "shop",
        "ledger",
        "ledger",
        &[("db", "database/creds/ledger")],
    );
    q.init_containers = vec![container(
        "vault-agent-init",
        ContainerState::Running {
            started_at: Some(ago(50)),
        },
    )];
    walk(world_of(vec![add_pod(p), add_pod(q)]), 1, vec![]);
}

#[test]
fn certificates_and_leases_run_out() {
    let mut p = injected("shop", "web", "web", &[("tls", "pki/issue/web")]);
    p.annotations.insert(
        "vault.hashicorp.com/agent-inject-template-tls".into(),
        "{{- with secret \"pki/issue/web\" \"common_name=web.shop.svc\" -}}{{ .Data.certificate }}{{- end }}".into(),
    );
    let cert = Certificate {
        serial: "1a:2b".into(),
        mount: "pki".into(),
        common_name: "web.shop.svc".into(),
        alt_names: vec![],
        not_before: Some(ago(3000)),
        not_after: t0() + Duration::seconds(900),
        revoked: false,
    };
    // Re-issued, and a KV secret the billing pod reads rotated.
    let reissued = Certificate {
        serial: "3c:4d".into(),
        not_before: Some(t0()),
        not_after: t0() + Duration::hours(4),
        ..cert.clone()
    };
    let mut kv_pod = injected("shop", "cfg", "cfg", &[("app", "secret/data/shop/cfg")]);
    kv_pod.name = "cfg-5d8f7c9b6-k2v3w".into();
    let kv = |version: u64| {
        Observation::KvMetadata(vec![vaultscope::model::vault::KvMetadata {
            mount: "secret".into(),
            path: "shop/cfg".into(),
            current_version: version,
            updated_time: Some(ago(60)),
            created_time: None,
        }])
    };
    walk(
        world_of(vec![
            Observation::Certificates(vec![cert.clone()]),
            lease(3300, 400, None),
            kv(3),
            add_pod(p),
            add_pod(billing()),
            add_pod(kv_pod),
        ]),
        1,
        vec![
            (30, Observation::Certificates(vec![cert, reissued])),
            (40, kv(4)),
        ],
    );
}

/// A read of a sealed Vault as OpenBao 2.7's agent logs it (the workshop
/// lab's real agents, tests/real_lab.rs; consul-template's runner adds
/// "(retry attempt %d after %q)"): once the announced retry is long past
/// with no new failure, the sidecar got its read and the finding goes.
#[test]
fn a_failed_read_that_went_quiet_clears_by_the_clock() {
    let p = injected("shop", "cfg", "cfg", &[("cfg", "secret/data/shop/cfg")]);
    let sealed = |secs_ago: i64, attempt: u32| {
        format!(
            "{} [WARN]  agent: (view) vault.read(secret/data/shop/cfg): vault.read(secret/data/shop/cfg): Error making API request.\n\nURL: GET http://127.0.0.1:8200/v1/secret/data/shop/cfg\nCode: 503. Errors:\n\n* Vault is sealed (retry attempt {attempt} after \"4s\")",
            stamp(secs_ago)
        )
    };
    let log = format!("{}\n{}", sealed(36, 4), sealed(30, 5));
    walk(
        world_of(vec![logs(&p, "vault-agent", false, &log), add_pod(p)]),
        1,
        vec![],
    );
}
