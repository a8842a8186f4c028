//! Secrets Store CSI driver objects (`secrets-store.csi.x-k8s.io/v1`), read
//! from untyped JSON since k8s-openapi has no types for these CRDs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::annotations::DEFAULT_AUTH_PATH;
use super::paths::auth_path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpcObject {
    pub object_name: String,
    pub secret_path: String,
    pub secret_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretProviderClassInfo {
    pub namespace: String,
    pub name: String,
    pub provider: String,
    pub role_name: Option<String>,
    pub vault_address: Option<String>,
    /// `vaultKubernetesMountPath` / `vaultAuthMountPath`, when given.
    pub auth_mount: Option<String>,
    pub audience: Option<String>,
    pub objects: Vec<SpcObject>,
    /// Why `parameters.objects` could not be read, if it could not.
    pub objects_error: Option<String>,
    /// Kubernetes Secrets synced from this class (`secretObjects[].secretName`).
    pub synced_secrets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpcpsObject {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretProviderClassPodStatusInfo {
    pub namespace: String,
    pub name: String,
    pub pod_name: String,
    pub class_name: String,
    pub mounted: bool,
    pub target_path: Option<String>,
    pub objects: Vec<SpcpsObject>,
    /// `metadata.creationTimestamp`: the pod's first mount.
    pub created: Option<DateTime<Utc>>,
    /// The last time a field manager wrote the object (the newest
    /// `metadata.managedFields[].time`). The driver rewrites the status when
    /// a remount brings other object versions (driver v1.6+
    /// `pkg/secrets-store/utils.go` createOrUpdateSecretProviderClassPodStatus;
    /// before, `pkg/rotation/reconciler.go`), and the API server keeps the
    /// time of an unchanged update as it was. Bundles strip managedFields.
    pub written: Option<DateTime<Utc>>,
}

impl SecretProviderClassPodStatusInfo {
    /// When the pod's mount last changed: the last write, else its creation.
    pub fn last_written(&self) -> Option<DateTime<Utc>> {
        self.written.max(self.created)
    }

    pub fn version_of(&self, id: &str) -> Option<&str> {
        self.objects
            .iter()
            .find(|o| o.id.trim() == id.trim())
            .map(|o| o.version.as_str())
    }
}

/// How the Secrets Store CSI driver rotates mounts, as far as it could be
/// read without reading secrets: the `secrets-store` container's flags
/// (`--enable-secret-rotation`, default false; `--rotation-poll-interval`,
/// default 2m: `cmd/secrets-store-csi-driver/main.go`) and the CSIDriver
/// object's `spec.requiresRepublish` (the chart sets it to
/// `enableSecretRotation`: `charts/secrets-store-csi-driver/templates/csidriver.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsiDriverConfig {
    pub rotation_enabled: Option<bool>,
    pub poll_interval_seconds: Option<i64>,
    /// Without it kubelet never calls NodePublishVolume again, and from
    /// driver v1.6.0 that call is the only way a mount is refreshed.
    pub requires_republish: Option<bool>,
    /// Where the flags were read, for evidence ("driver pod kube-system/x").
    pub flags_from: Option<String>,
}

/// The driver's flag default (`cmd/secrets-store-csi-driver/main.go`).
pub const DEFAULT_ROTATION_POLL_INTERVAL: i64 = 120;

impl CsiDriverConfig {
    /// From the `secrets-store` container's args. Go's flag package takes
    /// `--f`, `-f`, `--f=v` and `-f=v`; a bool flag alone means true; a
    /// flag not given has its default (rotation off, every 2 minutes).
    pub fn from_args(args: &[String], source: &str) -> Self {
        let mut out = CsiDriverConfig {
            rotation_enabled: Some(false),
            poll_interval_seconds: Some(DEFAULT_ROTATION_POLL_INTERVAL),
            requires_republish: None,
            flags_from: Some(source.to_string()),
        };
        for a in args {
            let a = a.trim().trim_matches('"');
            let flag = a.trim_start_matches('-');
            if flag.len() == a.len() {
                continue;
            }
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            match name {
                "enable-secret-rotation" => {
                    out.rotation_enabled = match value {
                        None => Some(true),
                        Some(v) => parse_go_bool(v),
                    }
                }
                "rotation-poll-interval" => {
                    out.poll_interval_seconds = value.and_then(parse_go_duration)
                }
                _ => {}
            }
        }
        out
    }

    /// From a pod of the driver's DaemonSet: its `secrets-store` container
    /// (the name in `deploy/secrets-store-csi-driver.yaml` and the chart),
    /// running a driver image (`registry.k8s.io/csi-secrets-store/driver`,
    /// AKS's `mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver`).
    pub fn from_driver_pod(pod: &k8s_openapi::api::core::v1::Pod) -> Option<Self> {
        let spec = pod.spec.as_ref()?;
        let c = spec.containers.iter().find(|c| {
            c.name == "secrets-store"
                && c.image
                    .as_deref()
                    .is_some_and(|i| i.contains("secrets-store"))
        })?;
        let mut args = c.command.clone().unwrap_or_default();
        args.extend(c.args.clone().unwrap_or_default());
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        Some(Self::from_args(
            &args,
            &format!("driver pod {ns}/{name}, container secrets-store"),
        ))
    }

    /// What two reads say together: the flags where read, the CSIDriver
    /// object's field where read.
    pub fn merge(self, newer: CsiDriverConfig) -> CsiDriverConfig {
        let flags = newer.flags_from.is_some();
        CsiDriverConfig {
            rotation_enabled: if flags {
                newer.rotation_enabled
            } else {
                self.rotation_enabled
            },
            poll_interval_seconds: if flags {
                newer.poll_interval_seconds
            } else {
                self.poll_interval_seconds
            },
            flags_from: newer.flags_from.or(self.flags_from),
            requires_republish: newer.requires_republish.or(self.requires_republish),
        }
    }

    /// From the CSIDriver object `secrets-store.csi.k8s.io`.
    pub fn from_csidriver(requires_republish: Option<bool>) -> Self {
        CsiDriverConfig {
            rotation_enabled: None,
            poll_interval_seconds: None,
            // Unset is false (storage.k8s.io/v1 CSIDriverSpec).
            requires_republish: Some(requires_republish.unwrap_or(false)),
            flags_from: None,
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration` for the units a poll interval uses
/// (h, m, s, ms), to whole seconds: "2m", "90s", "1h30m", "1.5m".
pub fn parse_go_duration(v: &str) -> Option<i64> {
    let mut rest = v.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        rest = &rest[u..];
        total += number * unit;
    }
    Some(total.round() as i64)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    /// Kept as text: a time that does not parse leaves it unknown rather
    /// than failing the whole object.
    #[serde(default)]
    creation_timestamp: Option<String>,
    #[serde(default)]
    managed_fields: Vec<RawManagedFields>,
}

#[derive(Deserialize)]
struct RawManagedFields {
    #[serde(default)]
    time: Option<String>,
}

fn rfc3339(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpc {
    metadata: RawMeta,
    #[serde(default)]
    spec: RawSpcSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawSpcSpec {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    secret_objects: Vec<RawSecretObject>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSecretObject {
    #[serde(default)]
    secret_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVaultObject {
    object_name: String,
    #[serde(default)]
    secret_path: String,
    #[serde(default)]
    secret_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpcps {
    metadata: RawMeta,
    #[serde(default)]
    status: RawSpcpsStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawSpcpsStatus {
    #[serde(default)]
    pod_name: String,
    #[serde(default)]
    secret_provider_class_name: String,
    #[serde(default)]
    mounted: bool,
    #[serde(default)]
    target_path: Option<String>,
    #[serde(default)]
    objects: Vec<RawSpcpsObject>,
}

#[derive(Deserialize)]
struct RawSpcpsObject {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
}

impl SecretProviderClassInfo {
    pub fn from_value(v: &serde_json::Value) -> Result<Self, String> {
        let raw: RawSpc = serde_path_to_error::deserialize(v).map_err(|e| e.to_string())?;
        let p = &raw.spec.parameters;
        // The vault provider's `objects` parameter is a YAML list inside a string.
        let (objects, objects_error) = match p.get("objects") {
            None => (Vec::new(), None),
            Some(text) => match serde_yaml_ng::from_str::<Vec<RawVaultObject>>(text) {
                Ok(list) => (
                    list.into_iter()
                        .map(|o| SpcObject {
                            object_name: o.object_name,
                            secret_path: o.secret_path,
                            secret_key: o.secret_key,
                        })
                        .collect(),
                    None,
                ),
                Err(e) => (
                    Vec::new(),
                    Some(format!(
                        "parameters.objects is not a YAML list of objects: {e}"
                    )),
                ),
            },
        };
        let non_empty = |k: &str| p.get(k).filter(|v| !v.trim().is_empty()).cloned();
        Ok(SecretProviderClassInfo {
            namespace: raw.metadata.namespace,
            name: raw.metadata.name,
            provider: raw.spec.provider,
            role_name: non_empty("roleName"),
            vault_address: non_empty("vaultAddress"),
            auth_mount: non_empty("vaultKubernetesMountPath")
                .or_else(|| non_empty("vaultAuthMountPath")),
            audience: non_empty("audience"),
            objects,
            objects_error,
            synced_secrets: raw
                .spec
                .secret_objects
                .into_iter()
                .map(|s| s.secret_name)
                .collect(),
        })
    }
}

impl SecretProviderClassInfo {
    /// The kubernetes auth mount the provider logs in at. Unset, the provider
    /// uses the same `auth/kubernetes` mount as the injector.
    pub fn auth_path(&self) -> String {
        self.auth_mount
            .as_deref()
            .map_or_else(|| DEFAULT_AUTH_PATH.to_string(), auth_path)
    }
}

impl SecretProviderClassPodStatusInfo {
    pub fn from_value(v: &serde_json::Value) -> Result<Self, String> {
        let raw: RawSpcps = serde_path_to_error::deserialize(v).map_err(|e| e.to_string())?;
        let written = raw
            .metadata
            .managed_fields
            .iter()
            .filter_map(|m| m.time.as_deref().and_then(rfc3339))
            .max();
        Ok(SecretProviderClassPodStatusInfo {
            created: raw.metadata.creation_timestamp.as_deref().and_then(rfc3339),
            written,
            namespace: raw.metadata.namespace,
            name: raw.metadata.name,
            pod_name: raw.status.pod_name,
            class_name: raw.status.secret_provider_class_name,
            mounted: raw.status.mounted,
            target_path: raw.status.target_path,
            objects: raw
                .status
                .objects
                .into_iter()
                .map(|o| SpcpsObject {
                    id: o.id,
                    version: o.version,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_class_parameters() {
        let v = serde_json::json!({
            "apiVersion": "secrets-store.csi.x-k8s.io/v1",
            "kind": "SecretProviderClass",
            "metadata": {"name": "catalog-vault", "namespace": "shop"},
            "spec": {"provider": "vault", "parameters": {
                "roleName": "catalog",
                "vaultAddress": "https://vault.vault:8200",
                "objects": "- objectName: db-password\n  secretPath: secret/data/shop/catalog\n  secretKey: password\n"
            }, "secretObjects": [{"secretName": "catalog-db", "type": "Opaque"}]}
        });
        let spc = SecretProviderClassInfo::from_value(&v).unwrap();
        assert_eq!(spc.role_name.as_deref(), Some("catalog"));
        assert_eq!(spc.objects.len(), 1);
        assert_eq!(spc.objects[0].secret_path, "secret/data/shop/catalog");
        assert_eq!(spc.objects[0].secret_key.as_deref(), Some("password"));
        assert_eq!(spc.synced_secrets, vec!["catalog-db"]);
        assert!(spc.objects_error.is_none());
    }

    #[test]
    fn broken_objects_parameter_is_reported() {
        let v = serde_json::json!({
            "metadata": {"name": "x", "namespace": "y"},
            "spec": {"provider": "vault", "parameters": {"objects": "objectName: [unclosed"}}
        });
        let spc = SecretProviderClassInfo::from_value(&v).unwrap();
        assert!(spc.objects_error.is_some());
    }
}
