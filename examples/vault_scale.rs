//! The dashboard's Vault poller (`sources::vault::run`, the loop `vaultscope`
//! runs with `--vault-addr`) against a loaded Vault, timed: when every lease
//! listed under the given prefixes has a countdown, when every agent token
//! and KV secret is shown. Run by scripts/scale-vault.sh, which loads the
//! server and counts the requests in its audit log.
//!
//! ```text
//! cargo run --example vault_scale -- --addr URL --prefix database/creds/big [--prefix ...]
//!     --leases N [--tokens T --sa-namespace NS] [--kv secret/data/x ...]
//!     [--budget B] [--concurrency C] [--interval S] [--timeout S] [--after S]
//! ```
//! The token comes from `VAULT_TOKEN`. One line per change on stderr, one
//! JSON summary on stdout.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use vaultscope::model::Observation;
use vaultscope::model::interest::{Interest, RoleRef};
use vaultscope::sources::vault::{self, VaultConfig};

struct Args {
    addr: String,
    prefixes: Vec<String>,
    leases: usize,
    tokens: usize,
    sa_namespace: String,
    kv: Vec<String>,
    budget: usize,
    concurrency: usize,
    interval: u64,
    timeout: u64,
    /// Seconds to keep polling once all is shown (the steady load).
    after: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        addr: String::new(),
        prefixes: Vec::new(),
        leases: 0,
        tokens: 0,
        sa_namespace: "scale".into(),
        kv: Vec::new(),
        budget: vault::DEFAULT_BUDGET,
        concurrency: vault::DEFAULT_CONCURRENCY,
        interval: vault::DEFAULT_INTERVAL_SECS,
        timeout: 300,
        after: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--addr" => a.addr = value()?,
            "--prefix" => a.prefixes.push(value()?),
            "--leases" => a.leases = num(value()?)?,
            "--tokens" => a.tokens = num(value()?)?,
            "--sa-namespace" => a.sa_namespace = value()?,
            "--kv" => a.kv.push(value()?),
            "--budget" => a.budget = num(value()?)?,
            "--concurrency" => a.concurrency = num(value()?)?,
            "--interval" => a.interval = num(value()?)? as u64,
            "--timeout" => a.timeout = num(value()?)? as u64,
            "--after" => a.after = num(value()?)? as u64,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.addr.is_empty() || a.prefixes.is_empty() {
        return Err("--addr and at least one --prefix are required".into());
    }
    Ok(a)
}

#[tokio::main]
async fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vault_scale: {e}");
            std::process::exit(2);
        }
    };
    let token = std::env::var("VAULT_TOKEN").ok();
    let cfg = VaultConfig::new(a.addr.clone(), token).with_limits(
        a.concurrency,
        a.budget,
        Duration::from_secs(a.interval),
    );
    // What the workloads of a cluster with these leases and tokens make the
    // poller look at (model::interest): the dynamic secret paths, a role,
    // the service accounts the agent tokens name, the KV secrets.
    let mut interest = Interest::default();
    interest.secret_paths.extend(a.prefixes.iter().cloned());
    interest.secret_paths.extend(a.kv.iter().cloned());
    interest.roles.insert(RoleRef {
        auth_path: "auth/kubernetes".into(),
        role: "billing".into(),
    });
    for i in 0..a.tokens {
        interest
            .service_accounts
            .insert((a.sa_namespace.clone(), format!("sa-{i}")));
    }
    let (_itx, irx) = watch::channel(interest);
    let (tx, mut rx) = mpsc::channel(64);
    let start = Instant::now();
    let poller = tokio::spawn(vault::run(cfg, irx, tx));

    let mut leases_done: Option<f64> = None;
    let mut tokens_done: Option<f64> = if a.tokens == 0 { Some(0.0) } else { None };
    let mut kv_done: Option<f64> = if a.kv.is_empty() { Some(0.0) } else { None };
    let (mut leases, mut tokens, mut kv) = (0usize, 0usize, 0usize);
    let deadline = start + Duration::from_secs(a.timeout);
    let mut first_leases: Option<(f64, usize)> = None;
    while leases_done.is_none() || tokens_done.is_none() || kv_done.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(obs)) = tokio::time::timeout(left, rx.recv()).await else {
            break;
        };
        let t = start.elapsed().as_secs_f64();
        match obs {
            Observation::Leases(l) => {
                leases = l.iter().filter(|l| l.expire_time.is_some()).count();
                first_leases.get_or_insert((t, leases));
                if leases >= a.leases && leases_done.is_none() {
                    leases_done = Some(t);
                }
            }
            Observation::AgentTokens(ts) => {
                tokens = ts.iter().filter(|t| t.expire_time.is_some()).count();
                if tokens >= a.tokens && tokens_done.is_none() {
                    tokens_done = Some(t);
                }
            }
            Observation::KvMetadata(k) => {
                kv = k.len();
                if kv >= a.kv.len() && kv_done.is_none() {
                    kv_done = Some(t);
                }
            }
            Observation::VaultStatus(s) => eprintln!("{t:7.1}s status {s:?}"),
            _ => continue,
        }
        eprintln!(
            "{t:7.1}s leases with a countdown {leases}/{} · agent tokens {tokens}/{} · KV {kv}/{}",
            a.leases,
            a.tokens,
            a.kv.len()
        );
    }
    let complete = start.elapsed();
    let settle = tokio::time::sleep(Duration::from_secs(a.after));
    tokio::pin!(settle);
    loop {
        tokio::select! {
            _ = &mut settle => break,
            obs = rx.recv() => if obs.is_none() { break },
        }
    }
    eprintln!(
        "{:7.1}s watched {} s more",
        start.elapsed().as_secs_f64(),
        (start.elapsed() - complete).as_secs()
    );
    poller.abort();
    let round = |v: Option<f64>| v.map(|s| (s * 10.0).round() / 10.0);
    let summary = serde_json::json!({
        "budget": a.budget,
        "concurrency": a.concurrency,
        "interval_s": a.interval,
        "leases_expected": a.leases,
        "leases_shown": leases,
        "leases_complete_s": round(leases_done),
        "first_cycle_s": round(first_leases.map(|f| f.0)),
        "first_cycle_leases": first_leases.map(|f| f.1),
        "tokens_expected": a.tokens,
        "tokens_shown": tokens,
        "tokens_complete_s": round(tokens_done),
        "kv_expected": a.kv.len(),
        "kv_shown": kv,
        "kv_complete_s": round(kv_done),
        "watched_s": round(Some(complete.as_secs_f64())),
        "after_s": a.after,
    });
    println!("{summary}");
}
