//! The bundle's layout, one place for the names both sides use: what
//! `capture` writes is exactly what `load` reads.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::cluster::ClusterIdentity;
use crate::model::logs::LogKey;

/// Object lists, as `<stem>.yaml` (`.yml` and `.json` are read too).
pub const PODS: &str = "pods";
pub const EVENTS: &str = "events";
pub const REPLICASETS: &str = "replicasets";
pub const JOBS: &str = "jobs";
pub const CLASSES: &str = "secretproviderclasses";
pub const POD_STATUSES: &str = "secretproviderclasspodstatuses";
pub const WEBHOOKS: &str = "mutatingwebhookconfigurations";
/// The Vault snapshot (`sources::vault::VaultSnapshot`).
pub const VAULT_JSON: &str = "vault.json";
/// [`BundleMeta`].
pub const BUNDLE_JSON: &str = "bundle.json";
/// Agent logs: `logs/<namespace>/<pod>/<container>[.previous].log`.
pub const LOGS_DIR: &str = "logs";
const PREVIOUS: &str = ".previous";

/// bundle.json: when the bundle was captured (countdowns are computed then),
/// and from where: the context, the scope and the cluster's API server and
/// CA fingerprints (what Vault's kubernetes auth is checked against).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BundleMeta {
    #[serde(default)]
    pub captured_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterIdentity>,
}

/// Where the log of `key` lives in the bundle at `dir`.
pub fn log_file(dir: &Path, key: &LogKey) -> PathBuf {
    let suffix = if key.previous { PREVIOUS } else { "" };
    dir.join(LOGS_DIR)
        .join(&key.namespace)
        .join(&key.pod)
        .join(format!("{}{suffix}.log", key.container))
}

/// The container a log file's stem (its name without `.log`) names, and
/// whether it is the previous run's log.
pub fn log_container(stem: &str) -> (&str, bool) {
    match stem.strip_suffix(PREVIOUS) {
        Some(c) => (c, true),
        None => (stem, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_round_trip() {
        for previous in [false, true] {
            let key = LogKey {
                namespace: "ns".into(),
                pod: "p".into(),
                container: "vault-agent".into(),
                previous,
            };
            let f = log_file(Path::new("b"), &key);
            let stem = f.file_stem().unwrap().to_str().unwrap();
            assert_eq!(log_container(stem), ("vault-agent", previous));
            assert!(f.starts_with("b/logs/ns/p"));
        }
    }
}
