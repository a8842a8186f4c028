//! One watch loop for every resource: kube-runtime's watcher (streaming
//! lists, falling back to list+watch when the server refuses them), with
//! reflector semantics kept here on trimmed objects: after a re-list, what
//! was known but not listed again is reported deleted. Errors become
//! observations: 403 → `AccessDenied`, 404 → the resource does not exist,
//! connection failures → `ApiServer { reachable: false }` (and `true` again
//! with the next answer). The watcher resumes by itself after each error.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::Api;
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::model::Observation;
use crate::model::world::{AccessDenied, ObjKey};

/// Shared by all watchers and log tails of one connection.
#[derive(Clone)]
pub struct Ctx {
    pub tx: mpsc::Sender<Observation>,
    health: Arc<Mutex<Option<bool>>>,
    /// Told the name of each watcher once its first list is complete (or
    /// known to be impossible: forbidden, not installed).
    synced: Option<mpsc::UnboundedSender<&'static str>>,
}

impl Ctx {
    pub fn new(
        tx: mpsc::Sender<Observation>,
        synced: Option<mpsc::UnboundedSender<&'static str>>,
    ) -> Ctx {
        Ctx {
            tx,
            health: Arc::new(Mutex::new(None)),
            synced,
        }
    }

    pub async fn send(&self, obs: Vec<Observation>) -> bool {
        for o in obs {
            if self.tx.send(o).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Record that the API server answered (or not); reports transitions.
    pub async fn reachable(&self, ok: bool) {
        let changed = {
            let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *h != Some(ok);
            *h = Some(ok);
            changed
        };
        if changed {
            let _ = self
                .tx
                .send(Observation::ApiServer {
                    reachable: ok,
                    since: chrono::Utc::now(),
                })
                .await;
        }
    }

    pub fn mark_synced(&self, name: &'static str) {
        if let Some(s) = &self.synced {
            let _ = s.send(name);
        }
    }
}

/// What a watcher does with objects; it keeps whatever it needs to.
pub trait Sink<K>: Send {
    /// An object listed or changed; `initial` while a (re-)list is running.
    fn apply(&mut self, obj: K, initial: bool) -> Vec<Observation>;
    fn delete(&mut self, key: ObjKey) -> Vec<Observation>;
    /// A (re-)list completed.
    fn synced(&mut self) -> Vec<Observation> {
        Vec::new()
    }
    /// The resource does not exist on this server (404).
    fn missing(&mut self) -> Vec<Observation> {
        Vec::new()
    }
    /// Reading the resource is forbidden (403).
    fn denied(&mut self) -> Vec<Observation> {
        Vec::new()
    }
}

/// A resource as RBAC names it, for "no access" messages.
#[derive(Debug, Clone, Copy)]
pub struct What {
    /// Name of this watcher (for the sync count).
    pub name: &'static str,
    /// `jobs.batch`, `pods`, `secretproviderclasses.secrets-store.csi.x-k8s.io`
    pub resource: &'static str,
}

pub enum ErrorKind {
    Denied { verb: String },
    Missing,
    Unreachable,
    Other,
}

fn status_of(e: &watcher::Error) -> Option<&kube::core::Status> {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s),
        watcher::Error::WatchError(s) => Some(s),
        _ => None,
    }
}

/// The verb in `User "alice" cannot list resource "jobs" ...`.
fn denied_verb(message: &str) -> String {
    message
        .split_once("cannot ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("list")
        .to_string()
}

pub fn classify(e: &watcher::Error) -> ErrorKind {
    if let Some(s) = status_of(e) {
        return match s.code {
            403 => ErrorKind::Denied {
                verb: denied_verb(&s.message),
            },
            404 => ErrorKind::Missing,
            // The server answered: not a connection problem. 5xx while it
            // starts up or shuts down count as unreachable.
            500..=599 => ErrorKind::Unreachable,
            _ => ErrorKind::Other,
        };
    }
    match e {
        watcher::Error::InitialListFailed(c)
        | watcher::Error::WatchStartFailed(c)
        | watcher::Error::WatchFailed(c) => client_error_kind(c),
        _ => ErrorKind::Other,
    }
}

pub fn client_error_kind(c: &kube::Error) -> ErrorKind {
    match c {
        kube::Error::Api(s) if s.code == 403 => ErrorKind::Denied {
            verb: denied_verb(&s.message),
        },
        kube::Error::Api(s) if s.code == 404 => ErrorKind::Missing,
        kube::Error::Api(s) if s.code >= 500 => ErrorKind::Unreachable,
        kube::Error::Api(_) => ErrorKind::Other,
        kube::Error::HyperError(_) | kube::Error::Service(_) => ErrorKind::Unreachable,
        _ => ErrorKind::Other,
    }
}

/// The useful part of a client error, for messages.
pub fn short_error(e: &kube::Error) -> String {
    use std::error::Error as _;
    match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => {
            let mut msg = other.to_string();
            let mut src = other.source();
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            msg
        }
    }
}

/// Retry waits after connection errors: 250 ms doubling to 4 s.
struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let d = Duration::from_millis(250 * 2u64.pow(self.0.min(4)));
        self.0 += 1;
        d
    }
}

/// How long to wait before asking again for something forbidden or missing.
const DENIED_RETRY: Duration = Duration::from_secs(60);
const MISSING_RETRY: Duration = Duration::from_secs(20);
/// Silence before the first streamed list completes that means the server
/// does not do streaming lists.
const STREAMING_QUIET: Duration = Duration::from_secs(10);

/// An object's key as the watcher keeps it for re-lists: `namespace/name`
/// in one allocation (neither may contain `/`), as every object of a big
/// cluster has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Known(Box<str>);

impl Known {
    fn of<K: kube::Resource>(o: &K) -> Known {
        let m = o.meta();
        let (ns, name) = (
            m.namespace.as_deref().unwrap_or_default(),
            m.name.as_deref().unwrap_or_default(),
        );
        Known(format!("{ns}/{name}").into_boxed_str())
    }

    fn key(&self) -> ObjKey {
        let (ns, name) = self.0.split_once('/').unwrap_or(("", &self.0));
        (ns.to_string(), name.to_string())
    }
}

/// Watch `api` until the receiver goes away.
pub async fn run<K, S>(ctx: Ctx, api: Api<K>, config: watcher::Config, what: What, mut sink: S)
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    S: Sink<K>,
{
    let namespace = api.namespace().map(str::to_string);
    let mut config = config.streaming_lists();
    let mut streaming = true;
    let mut known: HashSet<Known> = HashSet::new();
    let mut fresh: HashSet<Known> = HashSet::new();
    let mut synced_once = false;
    let mut denied_sent = false;
    let mut backoff = Backoff(0);
    let mark = |synced_once: &mut bool| {
        if !*synced_once {
            *synced_once = true;
            ctx.mark_synced(what.name);
        }
    };
    'restart: loop {
        let mut stream = watcher(api.clone(), config.clone()).boxed();
        loop {
            let next = if streaming && !synced_once {
                // A server that ignores `sendInitialEvents` (before 1.27)
                // sends the objects but never the end-of-list bookmark: go
                // quiet before the first sync means list + watch instead.
                match tokio::time::timeout(STREAMING_QUIET, stream.next()).await {
                    Ok(n) => n,
                    Err(_) => {
                        streaming = false;
                        config.initial_list_strategy = watcher::InitialListStrategy::ListWatch;
                        continue 'restart;
                    }
                }
            } else {
                stream.next().await
            };
            let Some(ev) = next else { break };
            let out = match ev {
                Ok(ev) => {
                    ctx.reachable(true).await;
                    backoff = Backoff(0);
                    match ev {
                        watcher::Event::Init => {
                            fresh.clear();
                            Vec::new()
                        }
                        watcher::Event::InitApply(o) => {
                            fresh.insert(Known::of(&o));
                            sink.apply(o, true)
                        }
                        watcher::Event::InitDone => {
                            let mut out = Vec::new();
                            for k in known.difference(&fresh) {
                                out.extend(sink.delete(k.key()));
                            }
                            known = std::mem::take(&mut fresh);
                            out.extend(sink.synced());
                            if denied_sent {
                                // RBAC was granted since: drop the "no access" note.
                                denied_sent = false;
                                out.push(Observation::AccessGranted {
                                    resource: what.resource.to_string(),
                                    namespace: namespace.clone(),
                                });
                            }
                            if !ctx.send(out).await {
                                return;
                            }
                            mark(&mut synced_once);
                            continue;
                        }
                        watcher::Event::Apply(o) => {
                            known.insert(Known::of(&o));
                            sink.apply(o, false)
                        }
                        watcher::Event::Delete(o) => {
                            let k = Known::of(&o);
                            known.remove(&k);
                            sink.delete(k.key())
                        }
                    }
                }
                Err(e) => {
                    let wait = match classify(&e) {
                        ErrorKind::Denied { verb } => {
                            ctx.reachable(true).await;
                            if !denied_sent {
                                denied_sent = true;
                                let mut obs = vec![Observation::AccessDenied(AccessDenied {
                                    resource: what.resource.to_string(),
                                    namespace: namespace.clone(),
                                    verb,
                                })];
                                obs.extend(sink.denied());
                                if !ctx.send(obs).await {
                                    return;
                                }
                            }
                            mark(&mut synced_once);
                            DENIED_RETRY
                        }
                        ErrorKind::Missing => {
                            ctx.reachable(true).await;
                            let out = sink.missing();
                            if !ctx.send(out).await {
                                return;
                            }
                            mark(&mut synced_once);
                            MISSING_RETRY
                        }
                        ErrorKind::Unreachable => {
                            ctx.reachable(false).await;
                            backoff.next()
                        }
                        ErrorKind::Other if streaming && !synced_once => {
                            // A server without streaming lists (WatchList)
                            // answers the sendInitialEvents watch with an
                            // error: use paged list + watch instead.
                            streaming = false;
                            config.initial_list_strategy = watcher::InitialListStrategy::ListWatch;
                            continue 'restart;
                        }
                        ErrorKind::Other => backoff.next(),
                    };
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = ctx.tx.closed() => return,
                    }
                    continue;
                }
            };
            if !ctx.send(out).await {
                return;
            }
        }
        // The watcher stream never ends on its own; if it did, start again.
        tokio::time::sleep(backoff.next()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16, message: &str) -> watcher::Error {
        let mut s = kube::core::Status::failure(message, "Forbidden");
        s.code = code;
        watcher::Error::InitialListFailed(kube::Error::Api(Box::new(s)))
    }

    #[test]
    fn known_keys_give_back_namespace_and_name() {
        let pod = |ns: Option<&str>, name: &str| {
            let mut p = k8s_openapi::api::core::v1::Pod::default();
            p.metadata.namespace = ns.map(str::to_string);
            p.metadata.name = Some(name.to_string());
            p
        };
        let k = Known::of(&pod(Some("shop"), "web-1"));
        assert_eq!(&*k.0, "shop/web-1");
        assert_eq!(k.key(), ("shop".to_string(), "web-1".to_string()));
        // Cluster-scoped objects (webhook configurations) have no namespace.
        let k = Known::of(&pod(None, "vault-agent-injector-cfg"));
        assert_eq!(
            k.key(),
            (String::new(), "vault-agent-injector-cfg".to_string())
        );
    }

    #[test]
    fn errors_are_sorted_by_what_they_mean() {
        let e = api_error(
            403,
            r#"jobs.batch is forbidden: User "alice" cannot watch resource "jobs" in API group "batch" in the namespace "payments""#,
        );
        assert!(matches!(classify(&e), ErrorKind::Denied { verb } if verb == "watch"));
        assert!(matches!(
            classify(&api_error(404, "not found")),
            ErrorKind::Missing
        ));
        assert!(matches!(
            classify(&api_error(503, "starting")),
            ErrorKind::Unreachable
        ));
        assert!(matches!(
            classify(&api_error(422, "invalid")),
            ErrorKind::Other
        ));
    }
}
