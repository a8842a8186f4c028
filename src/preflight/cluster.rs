//! Ring 3's reads: one GET or LIST per thing the manifests need from the
//! cluster and do not define themselves. Read-only, each within a timeout;
//! a refused read (RBAC) is named, not judged.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::storage::v1::CSIDriver;
use kube::Api;
use kube::api::{DynamicObject, ListParams};

use crate::model::csi::SecretProviderClassInfo;
use crate::model::pod::CSI_DRIVER;
use crate::sources::kube::Connection;
use crate::sources::kube::resources::spc_resource;
use crate::sources::kube::watch::short_error;

use super::checks::cluster::{ClusterFacts, ClusterNeeds, Seen};
use super::manifest::Webhook;

/// How long one read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

async fn within<T>(
    f: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, String> {
    match tokio::time::timeout(READ_TIMEOUT, f).await {
        Ok(r) => r.map_err(|e| short_error(&e)),
        Err(_) => Err(format!("no answer within {READ_TIMEOUT:?}")),
    }
}

fn seen<T>(r: Result<Option<T>, String>) -> Seen<T> {
    match r {
        Ok(Some(t)) => Seen::Found(t),
        Ok(None) => Seen::Missing,
        Err(e) => Seen::Unknown(e),
    }
}

pub async fn read(conn: &Connection, needs: &ClusterNeeds) -> ClusterFacts {
    let client = &conn.client;
    let mut f = ClusterFacts {
        context: conn.context.clone(),
        ..Default::default()
    };
    for (ns, name) in &needs.service_accounts {
        let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
        let r = within(api.get_opt(name)).await.map(|o| o.map(|_| ()));
        f.service_accounts
            .insert((ns.clone(), name.clone()), seen(r));
    }
    for ns in &needs.namespaces {
        let api: Api<Namespace> = Api::all(client.clone());
        let r = within(api.get_opt(ns))
            .await
            .map(|o| o.map(|n| n.metadata.labels.unwrap_or_default()));
        f.namespaces.insert(ns.clone(), seen(r));
    }
    if needs.csi_driver {
        let api: Api<CSIDriver> = Api::all(client.clone());
        let r = within(api.get_opt(CSI_DRIVER)).await.map(|o| o.map(|_| ()));
        f.csi_driver = Some(seen(r));
        // A LIST of one: 404 means the CRD (so the driver) is not installed.
        let ns = needs
            .classes
            .first()
            .map(|(ns, _)| ns.clone())
            .unwrap_or_else(|| "default".into());
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &spc_resource());
        f.class_api = Some(
            match within(api.list(&ListParams::default().limit(1))).await {
                Ok(_) => Seen::Found(()),
                Err(e) if e.ends_with("(404)") => Seen::Missing,
                Err(e) => Seen::Unknown(e),
            },
        );
    }
    if f.class_api != Some(Seen::Missing) {
        for (ns, name) in &needs.classes {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &spc_resource());
            let r = within(api.get_opt(name)).await.and_then(|o| {
                o.map(|obj| {
                    let v = serde_json::to_value(&obj).map_err(|e| e.to_string())?;
                    SecretProviderClassInfo::from_value(&v)
                })
                .transpose()
            });
            f.classes.insert((ns.clone(), name.clone()), seen(r));
        }
    }
    if needs.webhooks {
        let api: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
        let hooks = within(api.list(&ListParams::default())).await.map(|list| {
            list.items
                .iter()
                .flat_map(|cfg| {
                    let name = cfg.metadata.name.clone().unwrap_or_default();
                    let app = cfg
                        .metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get("app.kubernetes.io/name"))
                        .cloned();
                    cfg.webhooks
                        .iter()
                        .flatten()
                        .filter_map(move |w| Webhook::from_k8s(&name, app.as_deref(), w))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<Webhook>>()
        });
        let services: BTreeSet<(String, String)> = hooks
            .iter()
            .flatten()
            .filter_map(|h| h.service.clone())
            .collect();
        for (ns, name) in services {
            let api: Api<EndpointSlice> = Api::namespaced(client.clone(), &ns);
            let lp = ListParams::default().labels(&format!("kubernetes.io/service-name={name}"));
            let r = within(api.list(&lp)).await.map(|list| {
                // A nil `ready` condition means ready (discovery/v1 API docs).
                list.items
                    .iter()
                    .flat_map(|s| s.endpoints.iter().flatten())
                    .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
                    .count() as u32
            });
            f.endpoints.insert(
                (ns, name),
                match r {
                    Ok(n) => Seen::Found(n),
                    Err(e) => Seen::Unknown(e),
                },
            );
        }
        f.webhooks = Some(match hooks {
            Ok(h) => Seen::Found(h),
            Err(e) => Seen::Unknown(e),
        });
    }
    f
}
