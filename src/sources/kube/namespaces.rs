//! Whether a namespace exists, so that `check -n typo` says so instead of
//! reporting an empty namespace as healthy.

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;

use super::Connection;

/// What the API server says about a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceState {
    Exists,
    /// 404; with the namespaces that do exist when they may be listed.
    Missing {
        existing: Option<Vec<String>>,
    },
    /// The answer does not tell (no access to namespaces, or an error).
    Unknown(String),
}

/// Namespaces are listed in an error message: a few hundred names at most.
const LIST_LIMIT: u32 = 500;

/// Ask for `namespace` (a GET of one Namespace object: its metadata only).
pub async fn namespace_state(conn: &Connection, namespace: &str) -> NamespaceState {
    let api: Api<Namespace> = Api::all(conn.client.clone());
    match api.get_metadata_opt(namespace).await {
        Ok(Some(_)) => NamespaceState::Exists,
        Ok(None) => {
            let existing = api
                .list_metadata(&ListParams::default().limit(LIST_LIMIT))
                .await
                .ok()
                .map(|l| {
                    l.items
                        .into_iter()
                        .filter_map(|n| n.metadata.name)
                        .collect()
                });
            NamespaceState::Missing { existing }
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            NamespaceState::Unknown("vaultscope may not read namespaces".into())
        }
        Err(e) => NamespaceState::Unknown(super::watch::short_error(&e)),
    }
}
