//! What is watched, and how each object becomes observations (through the
//! model's converters, which keep only what the model needs).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::{
    admissionregistration::v1::MutatingWebhookConfiguration, apps::v1::ReplicaSet, batch::v1::Job,
    core::v1::Event, discovery::v1::EndpointSlice,
};
use kube::Api;
use kube::api::DynamicObject;
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::connect::Connection;
use super::slim_pod::WatchedPod;
use super::watch::{self as wl, Ctx, Sink, What};
use crate::model::Observation;
use crate::model::csi::{
    CsiDriverConfig, SecretProviderClassInfo, SecretProviderClassPodStatusInfo,
};
use crate::model::logs::LogKey;
use crate::model::objects::{EventInfo, InjectorWebhook, JobInfo, ReplicaSetInfo};
use crate::model::pod::PodInfo;
use crate::model::world::ObjKey;

pub const CSI_GROUP: &str = "secrets-store.csi.x-k8s.io";

pub fn spc_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(CSI_GROUP, "v1", "SecretProviderClass"),
        "secretproviderclasses",
    )
}

pub fn spcps_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(CSI_GROUP, "v1", "SecretProviderClassPodStatus"),
        "secretproviderclasspodstatuses",
    )
}

/// The watchers `spawn_all` starts (what `sync` waits for).
pub const WATCHERS: &[&str] = &[
    "pods",
    "events/pods",
    "events/replicasets",
    "replicasets",
    "jobs",
    "secretproviderclasses",
    "secretproviderclasspodstatuses",
    "mutatingwebhookconfigurations",
    "endpointslices",
];

/// Field selectors for the events the diagnosis reads.
pub const EVENT_SELECTORS: &[(&str, &str)] = &[
    ("events/pods", "involvedObject.kind=Pod"),
    ("events/replicasets", "involvedObject.kind=ReplicaSet"),
];

pub fn api<K>(conn: &Connection) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match &conn.namespace {
        Some(ns) => Api::namespaced(conn.client.clone(), ns),
        None => Api::all(conn.client.clone()),
    }
}

pub fn dyn_api(conn: &Connection, ar: &ApiResource) -> Api<DynamicObject> {
    match &conn.namespace {
        Some(ns) => Api::namespaced_with(conn.client.clone(), ns, ar),
        None => Api::all_with(conn.client.clone(), ar),
    }
}

/// A sink made of two closures: convert an object, name a deleted one.
struct Simple<F, D> {
    apply: F,
    delete: D,
}

impl<K, F, D, R> Sink<K> for Simple<F, D>
where
    F: FnMut(K) -> R + Send,
    R: IntoIterator<Item = Observation>,
    D: FnMut(ObjKey) -> Observation + Send,
{
    fn apply(&mut self, obj: K, _initial: bool) -> Vec<Observation> {
        (self.apply)(obj).into_iter().collect()
    }
    fn delete(&mut self, key: ObjKey) -> Vec<Observation> {
        vec![(self.delete)(key)]
    }
}

/// SecretProviderClass / ...PodStatus: also reports whether the CRDs exist.
struct Csi<F, D> {
    inner: Simple<F, D>,
    installed: Option<bool>,
}

impl<F, D> Sink<DynamicObject> for Csi<F, D>
where
    F: FnMut(DynamicObject) -> Option<Observation> + Send,
    D: FnMut(ObjKey) -> Observation + Send,
{
    fn apply(&mut self, obj: DynamicObject, initial: bool) -> Vec<Observation> {
        self.inner.apply(obj, initial)
    }
    fn delete(&mut self, key: ObjKey) -> Vec<Observation> {
        self.inner.delete(key)
    }
    fn synced(&mut self) -> Vec<Observation> {
        self.set(true)
    }
    fn missing(&mut self) -> Vec<Observation> {
        self.set(false)
    }
}

impl<F, D> Csi<F, D> {
    fn set(&mut self, installed: bool) -> Vec<Observation> {
        if self.installed == Some(installed) {
            return Vec::new();
        }
        self.installed = Some(installed);
        vec![Observation::CsiInstalled(installed)]
    }
}

/// The injector Service named by the webhook: `Some(None)` when there is none.
type ServiceRef = Option<Option<(String, String)>>;

/// MutatingWebhookConfigurations: the injector's entries, sent as one list.
struct Webhooks {
    by_config: BTreeMap<String, Vec<InjectorWebhook>>,
    listing: bool,
    sent: Option<Vec<InjectorWebhook>>,
    service: watch::Sender<ServiceRef>,
}

impl Webhooks {
    fn emit(&mut self) -> Vec<Observation> {
        if self.listing {
            return Vec::new();
        }
        let all: Vec<InjectorWebhook> = self.by_config.values().flatten().cloned().collect();
        let svc = all
            .iter()
            .find_map(|w| Some((w.service_namespace.clone()?, w.service_name.clone()?)));
        self.service.send_if_modified(|cur| {
            let new = Some(svc);
            let changed = *cur != new;
            *cur = new;
            changed
        });
        if self.sent.as_ref() == Some(&all) {
            return Vec::new();
        }
        self.sent = Some(all.clone());
        vec![Observation::InjectorWebhooks(all)]
    }
}

impl Sink<MutatingWebhookConfiguration> for Webhooks {
    fn apply(&mut self, obj: MutatingWebhookConfiguration, initial: bool) -> Vec<Observation> {
        if initial && !self.listing {
            self.listing = true;
            self.by_config.clear();
        }
        let hooks = InjectorWebhook::from_k8s(&obj);
        let name = obj.metadata.name.unwrap_or_default();
        if hooks.is_empty() {
            self.by_config.remove(&name);
        } else {
            self.by_config.insert(name, hooks);
        }
        self.emit()
    }
    fn delete(&mut self, key: ObjKey) -> Vec<Observation> {
        self.by_config.remove(&key.1);
        self.emit()
    }
    fn synced(&mut self) -> Vec<Observation> {
        self.listing = false;
        self.emit()
    }
    fn denied(&mut self) -> Vec<Observation> {
        // Without the webhook there is no Service to watch.
        self.service.send_if_modified(|cur| {
            let changed = cur.is_none();
            if changed {
                *cur = Some(None);
            }
            changed
        });
        Vec::new()
    }
}

/// EndpointSlices of the injector Service: the number of ready endpoints.
struct Endpoints {
    ready: BTreeMap<String, u32>,
    listing: bool,
    sent: Option<u32>,
}

impl Endpoints {
    fn emit(&mut self) -> Vec<Observation> {
        if self.listing {
            return Vec::new();
        }
        let total = self.ready.values().sum();
        if self.sent == Some(total) {
            return Vec::new();
        }
        self.sent = Some(total);
        vec![Observation::InjectorEndpoints { ready: total }]
    }
}

impl Sink<EndpointSlice> for Endpoints {
    fn apply(&mut self, obj: EndpointSlice, initial: bool) -> Vec<Observation> {
        if initial && !self.listing {
            self.listing = true;
            self.ready.clear();
        }
        // A nil `ready` condition means ready (discovery/v1 API docs).
        let n = obj
            .endpoints
            .iter()
            .flatten()
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
            .count() as u32;
        self.ready.insert(obj.metadata.name.unwrap_or_default(), n);
        self.emit()
    }
    fn delete(&mut self, key: ObjKey) -> Vec<Observation> {
        self.ready.remove(&key.1);
        self.emit()
    }
    fn synced(&mut self) -> Vec<Observation> {
        self.listing = false;
        self.emit()
    }
}

/// Follows the webhook's Service: (re)starts the EndpointSlice watcher for it.
/// A spawned task that is aborted when dropped, so aborting its owner
/// (`endpoints`, itself a task) does not leave it running.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn endpoints(ctx: Ctx, conn: Connection, mut service: watch::Receiver<ServiceRef>) {
    let mut current: Option<AbortOnDrop> = None;
    loop {
        let svc = service.borrow_and_update().clone();
        // Stop the previous service's watcher before starting another.
        drop(current.take());
        match svc {
            None => {}
            Some(None) => ctx.mark_synced("endpointslices"),
            Some(Some((ns, name))) => {
                let api: Api<EndpointSlice> = Api::namespaced(conn.client.clone(), &ns);
                let cfg = watcher::Config::default()
                    .labels(&format!("kubernetes.io/service-name={name}"));
                let sink = Endpoints {
                    ready: BTreeMap::new(),
                    listing: false,
                    sent: None,
                };
                let what = What {
                    name: "endpointslices",
                    resource: "endpointslices.discovery.k8s.io",
                };
                current = Some(AbortOnDrop(tokio::spawn(wl::run(
                    ctx.clone(),
                    api,
                    cfg,
                    what,
                    sink,
                ))));
            }
        }
        if service.changed().await.is_err() {
            break;
        }
    }
    // The webhook watcher is gone, and so is the connection: `current` is
    // dropped (and its watcher aborted) here.
    drop(current);
}

fn ns_name(k: ObjKey) -> (String, String) {
    k
}

/// Start every watcher of the connection; they run until `ctx.tx` closes.
/// With `probes`, the agent logs of pods in trouble are named there (once
/// per container state) so the log source reads them.
pub fn spawn_all(
    ctx: &Ctx,
    conn: &Connection,
    set: &mut JoinSet<()>,
    probes: Option<mpsc::UnboundedSender<LogKey>>,
) {
    let cfg = watcher::Config::default;
    // Container states already probed, per log; a deleted pod's entries go,
    // so the map stays as big as the cluster, and a pod recreated under the
    // same name is probed again.
    let seen: Arc<Mutex<HashMap<LogKey, String>>> = Arc::default();
    let seen_on_delete = seen.clone();
    set.spawn(wl::run(
        ctx.clone(),
        api::<WatchedPod>(conn),
        cfg(),
        What {
            name: "pods",
            resource: "pods",
        },
        Simple {
            apply: move |WatchedPod(p)| {
                let info = PodInfo::from_k8s(&p);
                if let Some(tx) = &probes {
                    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                    for key in super::logs::probe_keys(&info, &mut seen) {
                        let _ = tx.send(key);
                    }
                }
                // A pod of the CSI driver tells how it rotates mounts.
                let driver = CsiDriverConfig::from_driver_pod(&p).map(Observation::CsiDriver);
                std::iter::once(Observation::PodApplied(Box::new(info))).chain(driver)
            },
            delete: move |k| {
                let (namespace, name) = ns_name(k);
                seen_on_delete
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .retain(|key, _| !(key.namespace == namespace && key.pod == name));
                Observation::PodDeleted { namespace, name }
            },
        },
    ));
    for (name, selector) in EVENT_SELECTORS {
        set.spawn(wl::run(
            ctx.clone(),
            api::<Event>(conn),
            cfg().fields(selector),
            What {
                name,
                resource: "events",
            },
            Simple {
                apply: |e: Event| {
                    Some(Observation::EventApplied(Box::new(EventInfo::from_k8s(&e))))
                },
                delete: |k| {
                    let (namespace, name) = ns_name(k);
                    Observation::EventDeleted { namespace, name }
                },
            },
        ));
    }
    set.spawn(wl::run(
        ctx.clone(),
        api::<ReplicaSet>(conn),
        cfg(),
        What {
            name: "replicasets",
            resource: "replicasets.apps",
        },
        Simple {
            apply: |r: ReplicaSet| {
                Some(Observation::ReplicaSetApplied(ReplicaSetInfo::from_k8s(&r)))
            },
            delete: |k| {
                let (namespace, name) = ns_name(k);
                Observation::ReplicaSetDeleted { namespace, name }
            },
        },
    ));
    set.spawn(wl::run(
        ctx.clone(),
        api::<Job>(conn),
        cfg(),
        What {
            name: "jobs",
            resource: "jobs.batch",
        },
        Simple {
            apply: |j: Job| Some(Observation::JobApplied(JobInfo::from_k8s(&j))),
            delete: |k| {
                let (namespace, name) = ns_name(k);
                Observation::JobDeleted { namespace, name }
            },
        },
    ));
    set.spawn(wl::run(
        ctx.clone(),
        dyn_api(conn, &spc_resource()),
        cfg(),
        What {
            name: "secretproviderclasses",
            resource: "secretproviderclasses.secrets-store.csi.x-k8s.io",
        },
        Csi {
            inner: Simple {
                apply: |o: DynamicObject| {
                    let v = serde_json::to_value(&o).ok()?;
                    SecretProviderClassInfo::from_value(&v)
                        .ok()
                        .map(|c| Observation::ClassApplied(Box::new(c)))
                },
                delete: |k| {
                    let (namespace, name) = ns_name(k);
                    Observation::ClassDeleted { namespace, name }
                },
            },
            installed: None,
        },
    ));
    set.spawn(wl::run(
        ctx.clone(),
        dyn_api(conn, &spcps_resource()),
        cfg(),
        What {
            name: "secretproviderclasspodstatuses",
            resource: "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io",
        },
        Csi {
            inner: Simple {
                apply: |o: DynamicObject| {
                    let v = serde_json::to_value(&o).ok()?;
                    SecretProviderClassPodStatusInfo::from_value(&v)
                        .ok()
                        .map(|s| Observation::PodStatusApplied(Box::new(s)))
                },
                delete: |k| {
                    let (namespace, name) = ns_name(k);
                    Observation::PodStatusDeleted { namespace, name }
                },
            },
            installed: None,
        },
    ));
    let (svc_tx, svc_rx) = watch::channel::<ServiceRef>(None);
    set.spawn(wl::run(
        ctx.clone(),
        Api::<MutatingWebhookConfiguration>::all(conn.client.clone()),
        cfg(),
        What {
            name: "mutatingwebhookconfigurations",
            resource: "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        },
        Webhooks {
            by_config: BTreeMap::new(),
            listing: false,
            sent: None,
            service: svc_tx,
        },
    ));
    set.spawn(endpoints(ctx.clone(), conn.clone(), svc_rx));
}
