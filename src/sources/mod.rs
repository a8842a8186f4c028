//! Sources: all I/O. Each turns what it reads into model observations.
pub mod bundle;
pub mod ca;
pub mod demo;
pub mod kube;
pub mod vault;

use tokio::sync::watch;

use crate::model::interest::Interest;
use crate::model::logs::LogTarget;

/// What the dashboard asks of its sources: the one way back from the UI.
/// The event loop takes these from the app and hands them to an [`Inbox`].
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Follow these agent logs (the open pane's pod); empty: follow none.
    FollowLogs(Vec<LogTarget>),
    /// Look these up in Vault: what the pods and classes name now.
    VaultInterest(Interest),
}

/// The live sources' side of [`Request`]s: the log tails and the Vault
/// poller each watch their own latest value. A source that is not running
/// (the demo, a bundle, no Vault) has no sender, and its requests are
/// dropped.
#[derive(Debug, Default)]
pub struct Inbox {
    logs: Option<watch::Sender<Vec<LogTarget>>>,
    vault: Option<watch::Sender<Interest>>,
}

impl Inbox {
    /// An inbox for the log tails: the receiver goes to the kube source.
    pub fn follow_logs(&mut self) -> watch::Receiver<Vec<LogTarget>> {
        let (tx, rx) = watch::channel(Vec::new());
        self.logs = Some(tx);
        rx
    }

    /// An inbox for Vault's interest, starting at `initial`: the receiver
    /// goes to the Vault poller.
    pub fn vault_interest(&mut self, initial: Interest) -> watch::Receiver<Interest> {
        let (tx, rx) = watch::channel(initial);
        self.vault = Some(tx);
        rx
    }

    /// Which requests someone listens to, so the app computes only those.
    pub fn listens(&self) -> Listening {
        Listening {
            logs: self.logs.is_some(),
            vault: self.vault.is_some(),
        }
    }

    /// Hand a request to its source; an unchanged value wakes nobody.
    pub fn send(&self, request: Request) {
        fn update<T: PartialEq>(tx: &watch::Sender<T>, want: T) {
            tx.send_if_modified(|cur| {
                let changed = *cur != want;
                if changed {
                    *cur = want;
                }
                changed
            });
        }
        match request {
            Request::FollowLogs(t) => {
                if let Some(tx) = &self.logs {
                    update(tx, t);
                }
            }
            Request::VaultInterest(i) => {
                if let Some(tx) = &self.vault {
                    update(tx, i);
                }
            }
        }
    }
}

/// Which kinds of [`Request`] have a listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listening {
    pub logs: bool,
    pub vault: bool,
}
