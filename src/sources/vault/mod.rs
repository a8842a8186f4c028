//! The live Vault / OpenBao source. It polls what the workloads need (an
//! [`Interest`] computed by the pure model) and emits [`Observation`]s; it
//! never reads secret data and never creates leases.
//!
//! - [`config`]: connection settings resolved like the vault CLI;
//! - [`http`]: small typed requests over reqwest, with budget, concurrency
//!   and throttle detection, and bounds on what an answer may cost;
//! - [`poll`]: one poll cycle → a [`VaultSnapshot`], sending what `plan`
//!   decides (pure: which reads, in what order, within the budget);
//! - [`snapshot`]: the snapshot, its observations and `vault.json`.

pub mod config;
pub mod http;
pub mod pki;
pub mod plan;
pub mod poll;
pub mod snapshot;
pub mod typed;

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::model::Observation;
use crate::model::interest::Interest;
use crate::model::vault::VaultStatus;
use crate::safe::display_address;

pub use config::{DEFAULT_BUDGET, DEFAULT_CONCURRENCY, DEFAULT_INTERVAL_SECS, VaultConfig};
pub use poll::Poller;
pub use snapshot::VaultSnapshot;

/// How long a change of interest waits for more before a new cycle starts.
const INTEREST_DEBOUNCE: Duration = Duration::from_secs(2);
/// Longest wait after repeated 429 / 5xx answers.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The wait after a cycle whose budget ran out with reads still due (the
/// first view of thousands of leases): Vault then sees at most the budget
/// per second, and no more once all is read.
const CATCH_UP: Duration = Duration::from_secs(1);

/// How long `check` and `capture` go on reading a Vault whose objects do not
/// fit one cycle's budget (10,000 leases take about 45 s at the default).
pub const ONCE_LIMIT: Duration = Duration::from_secs(90);

/// Read what `interest` names (for `check` and `capture`): cycles
/// [`CATCH_UP`] apart, at most the budget each, until nothing is left unread
/// or [`ONCE_LIMIT`] has passed; Vault throttling (429, 5xx) or going away
/// ends it at once. [`VaultSnapshot::incomplete`] says whether reads were
/// left.
pub async fn poll_once(cfg: VaultConfig, interest: &Interest) -> VaultSnapshot {
    poll_within(cfg, interest, ONCE_LIMIT).await
}

/// [`poll_once`] with another time limit.
pub async fn poll_within(cfg: VaultConfig, interest: &Interest, limit: Duration) -> VaultSnapshot {
    let mut p = match Poller::new(cfg.clone()) {
        Ok(p) => p,
        Err(e) => {
            return VaultSnapshot {
                address: Some(display_address(&cfg.address)),
                unreachable: Some(e),
                ..Default::default()
            };
        }
    };
    let started = tokio::time::Instant::now();
    let mut snap = p.poll(interest).await;
    while snap.is_serving() && p.behind() && !p.throttled() && started.elapsed() + CATCH_UP < limit
    {
        tokio::time::sleep(CATCH_UP).await;
        snap = p.poll(interest).await;
    }
    snap.incomplete = snap.is_serving() && p.behind();
    snap
}

/// Poll Vault until the receiver of `tx` goes away, re-reading `interest`
/// each cycle (and starting a cycle early when it changes).
///
/// While Vault is sealed or unreachable only its status is sent (the last
/// leases and certificates stay on screen) and health is checked every
/// couple of seconds; after 429 / 5xx answers the wait doubles up to 5 min.
/// A cycle that left reads due for want of budget is followed by the next
/// one after [`CATCH_UP`] rather than the whole interval.
pub async fn run(
    cfg: VaultConfig,
    mut interest: watch::Receiver<Interest>,
    tx: mpsc::Sender<Observation>,
) {
    let mut poller = match Poller::new(cfg.clone()) {
        Ok(p) => p,
        Err(e) => {
            let _ = tx
                .send(Observation::VaultStatus(VaultStatus::Unreachable {
                    address: display_address(&cfg.address),
                    error: e,
                }))
                .await;
            return;
        }
    };
    let mut failures: u32 = 0;
    let mut interest_open = true;
    // What was last sent: only changes are sent again.
    let mut sent: Option<VaultSnapshot> = None;
    loop {
        let current = interest.borrow_and_update().clone();
        let snap = poller.poll(&current).await;
        let serving = snap.is_serving();
        let obs = if serving {
            let obs = snap.changes(sent.as_ref());
            sent = Some(snap);
            obs
        } else {
            // Only the status: the last leases and certificates stay on screen.
            let status = snap.status();
            let changed = sent.as_ref().is_none_or(|s| s.status() != status);
            match sent.as_mut() {
                Some(s) => {
                    s.health = snap.health;
                    s.unreachable = snap.unreachable;
                }
                // Nothing else was sent yet: the world's Vault fields are empty.
                None => sent = Some(snap),
            }
            if changed {
                vec![Observation::VaultStatus(status)]
            } else {
                vec![]
            }
        };
        for o in obs {
            if tx.send(o).await.is_err() {
                return;
            }
        }
        let wait = if poller.throttled() {
            failures = failures.saturating_add(1);
            (cfg.interval * 2u32.saturating_pow(failures.min(10))).min(MAX_BACKOFF)
        } else {
            failures = 0;
            if serving && poller.behind() {
                CATCH_UP.min(cfg.interval)
            } else if serving {
                cfg.interval
            } else {
                cfg.interval.min(Duration::from_secs(2))
            }
        };
        // While backing off from 429/5xx, new interest waits like the rest:
        // only a healthy poller is woken early by it.
        if interest_open && failures == 0 {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                changed = interest.changed() => {
                    if changed.is_err() {
                        interest_open = false;
                        tokio::time::sleep(wait).await;
                    } else {
                        // Coalesce a burst of changes (a rollout) into one
                        // cycle: each cycle has a fresh request budget.
                        tokio::time::sleep(INTEREST_DEBOUNCE.min(wait)).await;
                    }
                }
                _ = tx.closed() => return,
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = tx.closed() => return,
            }
        }
    }
}
