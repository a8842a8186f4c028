//! Trimmed forms of the other Kubernetes objects the model uses: events,
//! ReplicaSets, Jobs and the injector's webhook configuration.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
};
use serde::Serialize;

use super::injector::{Injector, is_injector_key};
use super::pod::OwnerRef;

fn controller_owner(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<OwnerRef> {
    let refs = meta.owner_references.as_ref()?;
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
        .map(|r| OwnerRef {
            kind: r.kind.clone(),
            name: r.name.clone(),
            uid: r.uid.clone(),
        })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvolvedObject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventInfo {
    pub namespace: String,
    pub name: String,
    pub involved: InvolvedObject,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

impl EventInfo {
    pub fn is_warning(&self) -> bool {
        self.kind == "Warning"
    }

    pub fn from_k8s(e: &core::Event) -> Self {
        let namespace = e.metadata.namespace.clone().unwrap_or_default();
        let io = &e.involved_object;
        let last = e
            .last_timestamp
            .as_ref()
            .map(|t| super::utc(&t.0))
            .or_else(|| e.event_time.as_ref().map(|t| super::utc(&t.0)))
            .or_else(|| {
                e.series
                    .as_ref()
                    .and_then(|s| s.last_observed_time.as_ref())
                    .map(|t| super::utc(&t.0))
            });
        EventInfo {
            involved: InvolvedObject {
                kind: io.kind.clone().unwrap_or_default(),
                namespace: io.namespace.clone().unwrap_or_else(|| namespace.clone()),
                name: io.name.clone().unwrap_or_default(),
                uid: io.uid.clone(),
            },
            namespace,
            name: e.metadata.name.clone().unwrap_or_default(),
            kind: e.type_.clone().unwrap_or_else(|| "Normal".into()),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: e
                .count
                .or_else(|| e.series.as_ref().and_then(|s| s.count))
                .unwrap_or(1),
            first_seen: e
                .first_timestamp
                .as_ref()
                .map(|t| super::utc(&t.0))
                .or(last),
            last_seen: last,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaSetInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub owner: Option<OwnerRef>,
    pub replicas: i32,
    /// The injector annotations of the pod template.
    pub template_annotations: BTreeMap<String, String>,
}

impl ReplicaSetInfo {
    pub fn from_k8s(rs: &apps::ReplicaSet) -> Self {
        let template_annotations = rs
            .spec
            .template
            .as_ref()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .map(|a| {
                a.iter()
                    .filter(|(k, _)| is_injector_key(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        ReplicaSetInfo {
            namespace: rs.metadata.namespace.clone().unwrap_or_default(),
            name: rs.metadata.name.clone().unwrap_or_default(),
            uid: rs.metadata.uid.clone().unwrap_or_default(),
            owner: controller_owner(&rs.metadata),
            replicas: rs.spec.replicas.unwrap_or(1),
            template_annotations,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub owner: Option<OwnerRef>,
}

impl JobInfo {
    pub fn from_k8s(job: &batch::Job) -> Self {
        JobInfo {
            namespace: job.metadata.namespace.clone().unwrap_or_default(),
            name: job.metadata.name.clone().unwrap_or_default(),
            uid: job.metadata.uid.clone().unwrap_or_default(),
            owner: controller_owner(&job.metadata),
        }
    }
}

/// An injector's entry in a MutatingWebhookConfiguration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectorWebhook {
    /// Which injector: told by the webhook's name, or by its configuration
    /// where openbao-helm kept vault-k8s's name ([`Injector::of_webhook_in`]).
    pub injector: Injector,
    pub configuration: String,
    pub failure_policy: String,
    pub service_namespace: Option<String>,
    pub service_name: Option<String>,
}

/// vault-k8s's webhook name; openbao-k8s's are in [`Injector::webhook_names`].
pub const INJECTOR_WEBHOOK: &str = "vault.hashicorp.com";

impl InjectorWebhook {
    /// The injector webhooks (vault-k8s's `vault.hashicorp.com`,
    /// openbao-k8s's `openbao.org` / `openbao.openbao.org`) of one configuration.
    pub fn from_k8s(cfg: &admission::MutatingWebhookConfiguration) -> Vec<Self> {
        cfg.webhooks
            .iter()
            .flatten()
            .filter_map(|w| {
                Injector::of_webhook_in(
                    &w.name,
                    cfg.metadata.name.as_deref().unwrap_or_default(),
                    cfg.metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get("app.kubernetes.io/name"))
                        .map(String::as_str),
                    w.client_config.service.as_ref().map(|s| s.name.as_str()),
                )
                .map(|i| (i, w))
            })
            .map(|(injector, w)| InjectorWebhook {
                injector,
                configuration: cfg.metadata.name.clone().unwrap_or_default(),
                failure_policy: w.failure_policy.clone().unwrap_or_else(|| "Fail".into()),
                service_namespace: w
                    .client_config
                    .service
                    .as_ref()
                    .map(|s| s.namespace.clone()),
                service_name: w.client_config.service.as_ref().map(|s| s.name.clone()),
            })
            .collect()
    }
}
