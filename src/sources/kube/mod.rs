//! The live Kubernetes source: watchers for what the diagnosis reads, agent
//! log tails for the pods on screen, and one-shot reads for `check` and
//! `capture`. Everything arrives in the model as [`Observation`]s.
//!
//! Watched (namespaced ones in the chosen namespace, or all):
//! pods; events about Pods and ReplicaSets (field selectors); ReplicaSets;
//! Jobs; SecretProviderClasses and SecretProviderClassPodStatuses (404 →
//! `CsiInstalled(false)`); MutatingWebhookConfigurations (cluster); the
//! EndpointSlices of the Service the injector webhook names.
//!
//! Read once: the cluster's identity ([`cluster`]: the `kube-root-ca.crt`
//! ConfigMap and Service `default/kubernetes`), which Vault's kubernetes
//! auth configuration is checked against.

pub mod capture;
pub mod cluster;
pub mod connect;
pub mod log_plan;
pub mod logs;
pub mod namespaces;
pub mod resources;
pub mod slim_pod;
pub mod watch;

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use connect::{ConnectError, Connection, KubeOptions, connect};
pub use namespaces::{NamespaceState, namespace_state};

use crate::model::logs::{LogReads, LogTarget};
use crate::model::{Observation, World};
use log_plan::{DEFAULT_LOG_BUDGET, LogMode};
use watch::Ctx;

/// Watch everything and follow the logs `targets` names, until the receiver
/// of `tx` goes away. Connection losses are reported and recovered from
/// here; this only returns when the app is gone.
pub async fn run(
    conn: Connection,
    tx: mpsc::Sender<Observation>,
    targets: tokio::sync::watch::Receiver<Vec<LogTarget>>,
) {
    let started = std::time::Instant::now();
    let (stx, srx) = mpsc::unbounded_channel();
    let ctx = Ctx::new(tx, Some(stx));
    // `connect` got an answer: the server is reachable now.
    ctx.reachable(true).await;
    let mut set = JoinSet::new();
    let (probe_tx, probe_rx) = mpsc::unbounded_channel();
    resources::spawn_all(&ctx, &conn, &mut set, Some(probe_tx));
    set.spawn(listed(ctx.clone(), srx, started));
    set.spawn(logs::follow(ctx.clone(), conn.clone(), targets, probe_rx));
    let (id_ctx, id_conn) = (ctx.clone(), conn.clone());
    set.spawn(async move {
        let id = cluster::identity(&id_conn).await;
        let driver = cluster::csi_driver(&id_conn).await;
        id_ctx
            .send(
                std::iter::once(Observation::Cluster(id))
                    .chain(driver.map(Observation::CsiDriver))
                    .collect(),
            )
            .await;
    });
    tokio::select! {
        _ = async { while set.join_next().await.is_some() {} } => {}
        _ = ctx.tx.closed() => {}
    }
    set.abort_all();
}

/// Say [`Observation::Listed`] once every watcher has listed (after the
/// objects of their lists: they went to the same channel first).
async fn listed(
    ctx: Ctx,
    mut synced: mpsc::UnboundedReceiver<&'static str>,
    started: std::time::Instant,
) {
    let mut pending: BTreeSet<&str> = resources::WATCHERS.iter().copied().collect();
    while !pending.is_empty() {
        match synced.recv().await {
            Some(name) => {
                pending.remove(name);
            }
            None => return,
        }
    }
    ctx.send(vec![Observation::Listed {
        took: started.elapsed(),
    }])
    .await;
}

/// The cluster as the watchers see it once each has listed (or learned it
/// may not), with the agent logs read once as `check` reads them by default.
pub async fn snapshot(conn: &Connection, timeout: Duration) -> Result<World, String> {
    let mut world = list(conn, timeout).await?;
    read_logs(conn, &mut world, LogMode::All, Some(DEFAULT_LOG_BUDGET)).await;
    Ok(world)
}

/// Read the agent logs `mode` and `budget` choose (see [`log_plan`]) into
/// `world`; what was read, left unread and failed.
pub async fn read_logs(
    conn: &Connection,
    world: &mut World,
    mode: LogMode,
    budget: Option<usize>,
) -> LogReads {
    let plan = log_plan::plan(world, mode, budget);
    let (obs, reads) = logs::read_agent_logs(conn, plan).await;
    for o in obs {
        world.apply(o);
    }
    reads
}

/// The cluster as the watchers see it once each has listed (or learned it
/// may not), without logs.
pub async fn list(conn: &Connection, timeout: Duration) -> Result<World, String> {
    let (tx, mut rx) = mpsc::channel(4096);
    let (stx, mut srx) = mpsc::unbounded_channel();
    let ctx = Ctx::new(tx, Some(stx));
    let mut set = JoinSet::new();
    // The agent logs are read afterwards, chosen from what the lists show.
    resources::spawn_all(&ctx, conn, &mut set, None);
    drop(ctx);
    let mut world = World::default();
    let mut pending: BTreeSet<&str> = resources::WATCHERS.iter().copied().collect();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    while !pending.is_empty() {
        tokio::select! {
            Some(o) = rx.recv() => { world.apply(o); }
            Some(name) = srx.recv() => { pending.remove(name); }
            _ = &mut deadline => {
                set.abort_all();
                return Err(format!(
                    "the API server of context \"{}\" did not list {} within {timeout:?}",
                    conn.context,
                    pending.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    set.abort_all();
    while set.join_next().await.is_some() {}
    while let Ok(o) = rx.try_recv() {
        world.apply(o);
    }
    world.apply(Observation::Cluster(cluster::identity(conn).await));
    if let Some(d) = cluster::csi_driver(conn).await {
        world.apply(Observation::CsiDriver(d));
    }
    Ok(world)
}
