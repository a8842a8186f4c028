//! Secrets Store CSI driver objects (`secrets-store.csi.x-k8s.io/v1`), read
//! from untyped JSON since k8s-openapi has no types for these CRDs.

use std::collections::BTreeMap;

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
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
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
        Ok(SecretProviderClassPodStatusInfo {
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
