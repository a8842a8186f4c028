//! A Pod as the watch decodes it: only what [`PodInfo::from_k8s`] and the
//! CSI driver probe read.
//!
//! A whole `k8s_openapi` Pod allocates its managedFields (a JSON tree per
//! field manager), every container's env, probes, resources and mounts, and
//! every annotation, including a `last-applied-configuration` that can be as
//! big as the pod. The watch decodes every pod of the cluster at start and
//! again at each change, and vaultscope reads a few dozen of its fields; the
//! rest is skipped while parsing, never allocated. The result is still a
//! `core::Pod` (with the unread fields empty), so the conversions that
//! bundles and captures use are the same code.
//!
//! [`PodInfo::from_k8s`]: crate::model::pod::PodInfo::from_k8s

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::model::injector::is_injector_key;

/// A watched pod; `.0` is the trimmed `core::Pod`.
#[derive(Clone, Debug, Default)]
pub struct WatchedPod(pub core::Pod);

impl k8s_openapi::Resource for WatchedPod {
    const API_VERSION: &'static str = <core::Pod as k8s_openapi::Resource>::API_VERSION;
    const GROUP: &'static str = <core::Pod as k8s_openapi::Resource>::GROUP;
    const KIND: &'static str = <core::Pod as k8s_openapi::Resource>::KIND;
    const VERSION: &'static str = <core::Pod as k8s_openapi::Resource>::VERSION;
    const URL_PATH_SEGMENT: &'static str = <core::Pod as k8s_openapi::Resource>::URL_PATH_SEGMENT;
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::ListableResource for WatchedPod {
    const LIST_KIND: &'static str = <core::Pod as k8s_openapi::ListableResource>::LIST_KIND;
}

impl k8s_openapi::Metadata for WatchedPod {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        &self.0.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.0.metadata
    }
}

/// Written whole: only kube's list machinery could ask, and never does.
impl Serialize for WatchedPod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    metadata: WireMeta,
    spec: Option<WireSpec>,
    status: Option<core::PodStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireMeta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    /// The watcher resumes from it.
    resource_version: Option<String>,
    #[serde(default, deserialize_with = "injector_annotations")]
    annotations: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerReference>>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSpec {
    service_account_name: Option<String>,
    node_name: Option<String>,
    #[serde(default)]
    containers: Vec<WireContainer>,
    init_containers: Option<Vec<WireContainer>>,
    #[serde(default, deserialize_with = "csi_volumes")]
    volumes: Option<Vec<core::Volume>>,
}

/// Name and image for the pod's model; command and args for the CSI
/// driver's own pod, whose flags say how it rotates.
#[derive(Deserialize)]
struct WireContainer {
    name: String,
    image: Option<String>,
    command: Option<Vec<String>>,
    args: Option<Vec<String>>,
}

impl From<WireContainer> for core::Container {
    fn from(c: WireContainer) -> Self {
        core::Container {
            name: c.name,
            image: c.image,
            command: c.command,
            args: c.args,
            ..Default::default()
        }
    }
}

impl<'de> Deserialize<'de> for WatchedPod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        let m = w.metadata;
        Ok(WatchedPod(core::Pod {
            metadata: ObjectMeta {
                name: m.name,
                namespace: m.namespace,
                uid: m.uid,
                resource_version: m.resource_version,
                annotations: m.annotations,
                owner_references: m.owner_references,
                creation_timestamp: m.creation_timestamp,
                deletion_timestamp: m.deletion_timestamp,
                ..Default::default()
            },
            spec: w.spec.map(|s| core::PodSpec {
                service_account_name: s.service_account_name,
                node_name: s.node_name,
                containers: s.containers.into_iter().map(Into::into).collect(),
                init_containers: s
                    .init_containers
                    .map(|cs| cs.into_iter().map(Into::into).collect()),
                volumes: s.volumes,
                ..Default::default()
            }),
            status: w.status,
        }))
    }
}

/// The injector's annotations only; any other key (and its value, however
/// long) is skipped unread.
fn injector_annotations<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    struct Keep;
    impl<'de> Visitor<'de> for Keep {
        type Value = Option<BTreeMap<String, String>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of annotations")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<KeyIf>()? {
                match key.0 {
                    Some(k) => {
                        out.insert(k, map.next_value()?);
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Some(out))
        }
    }
    d.deserialize_any(Keep)
}

/// A map key, allocated only when it is an injector annotation.
struct KeyIf(Option<String>);

impl<'de> Deserialize<'de> for KeyIf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'v> Visitor<'v> for V {
            type Value = KeyIf;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an annotation key")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<KeyIf, E> {
                Ok(KeyIf(is_injector_key(k).then(|| k.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The CSI volumes only (the model reads no other kind); the projected
/// token volume every pod has, config maps and the rest are skipped.
fn csi_volumes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<core::Volume>>, D::Error> {
    #[derive(Deserialize)]
    struct WireVolume {
        name: String,
        csi: Option<core::CSIVolumeSource>,
    }
    let Some(vols) = Option::<Vec<WireVolume>>::deserialize(d)? else {
        return Ok(None);
    };
    Ok(Some(
        vols.into_iter()
            .filter(|v| v.csi.is_some())
            .map(|v| core::Volume {
                name: v.name,
                csi: v.csi,
                ..Default::default()
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pod::PodInfo;

    /// A pod as the API server sends it, with what the watch skips: managed
    /// fields, a last-applied annotation, env, probes, a projected volume.
    const POD: &str = r#"{
      "apiVersion": "v1", "kind": "Pod",
      "metadata": {
        "name": "web-7c9d8f6b54-x2x9q", "namespace": "shop", "uid": "u-1",
        "resourceVersion": "4242",
        "creationTimestamp": "2026-11-28T09:00:00Z",
        "labels": {"app": "web"},
        "annotations": {
          "kubectl.kubernetes.io/last-applied-configuration": "{\"huge\": true}",
          "vault.hashicorp.com/agent-inject": "true",
          "vault.hashicorp.com/role": "web",
          "openbao.org/agent-inject-status": "injected",
          "prometheus.io/scrape": "true"
        },
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7c9d8f6b54", "uid": "rs-1", "controller": true}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
          "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]
      },
      "spec": {
        "serviceAccountName": "web", "nodeName": "node-1",
        "initContainers": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.21",
          "env": [{"name": "VAULT_CONFIG", "value": "e30="}], "args": ["-c", "echo"]}],
        "containers": [
          {"name": "app", "image": "shop/web:1", "ports": [{"containerPort": 8080}],
           "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}},
          {"name": "vault-agent", "image": "hashicorp/vault:1.21", "command": ["/bin/sh", "-ec"]}
        ],
        "volumes": [
          {"name": "kube-api-access-abcde", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
          {"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": true,
            "volumeAttributes": {"secretProviderClass": "web-db"}}}
        ]
      },
      "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-28T09:01:00Z"}],
        "initContainerStatuses": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.21", "imageID": "",
          "ready": true, "restartCount": 0,
          "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
        "containerStatuses": [{"name": "app", "image": "shop/web:1", "imageID": "", "ready": true,
          "restartCount": 2, "state": {"running": {"startedAt": "2026-11-28T09:01:00Z"}}}]
      }
    }"#;

    #[test]
    fn the_trimmed_pod_makes_the_same_model_as_the_whole_one() {
        let whole: core::Pod = serde_json::from_str(POD).unwrap();
        let slim: WatchedPod = serde_json::from_str(POD).unwrap();
        assert_eq!(PodInfo::from_k8s(&slim.0), PodInfo::from_k8s(&whole));
        let m = &slim.0.metadata;
        assert_eq!(m.resource_version.as_deref(), Some("4242"));
        assert!(m.managed_fields.is_none() && m.labels.is_none());
        let kept: Vec<&str> = m
            .annotations
            .as_ref()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            kept,
            [
                "openbao.org/agent-inject-status",
                "vault.hashicorp.com/agent-inject",
                "vault.hashicorp.com/role"
            ]
        );
        let spec = slim.0.spec.as_ref().unwrap();
        assert_eq!(
            spec.volumes.as_ref().unwrap().len(),
            1,
            "only the CSI volume"
        );
        assert!(spec.containers[0].ports.is_none() && spec.containers[0].readiness_probe.is_none());
        assert_eq!(spec.containers[1].command.as_ref().unwrap()[0], "/bin/sh");
    }

    #[test]
    fn bare_and_null_fields_decode() {
        let slim: WatchedPod = serde_json::from_str(
            r#"{"metadata": {"name": "p", "annotations": null}, "spec": {"containers": [{"name": "c"}], "volumes": null}}"#,
        )
        .unwrap();
        assert_eq!(slim.0.metadata.annotations, None);
        assert_eq!(slim.0.spec.unwrap().volumes, None);
        let empty: WatchedPod = serde_json::from_str("{}").unwrap();
        assert!(empty.0.spec.is_none() && empty.0.status.is_none());
    }

    #[test]
    fn a_watch_event_decodes_through_kube() {
        let ev: kube::core::WatchEvent<WatchedPod> =
            serde_json::from_str(&format!(r#"{{"type": "MODIFIED", "object": {POD}}}"#)).unwrap();
        let kube::core::WatchEvent::Modified(p) = ev else {
            panic!("a Modified event")
        };
        assert_eq!(kube::ResourceExt::name_any(&p), "web-7c9d8f6b54-x2x9q");
    }
}
