//! `vaultscope capture`: the live cluster as an offline bundle (the format
//! `sources::bundle` reads). Objects are listed once (paged), written as
//! kubectl-style `v1 List`s without managedFields or last-applied
//! annotations; agent logs as `kubectl logs` prints them. Secrets are never
//! read, and nothing here reads a secret value.

use std::fs;
use std::path::{Path, PathBuf};

use k8s_openapi::api::{
    admissionregistration::v1::MutatingWebhookConfiguration, apps::v1::ReplicaSet, batch::v1::Job,
    core::v1::Event, core::v1::Pod,
};
use kube::api::{DynamicObject, ListParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::connect::Connection;
use super::resources::{self, EVENT_SELECTORS};
use super::watch::{ErrorKind, client_error_kind, short_error};
use crate::model::pod::PodInfo;
use crate::model::world::AccessDenied;
use crate::model::{Observation, World};
use crate::sources::bundle::format::BundleMeta;
use crate::sources::bundle::write;

/// What a capture wrote and what it could not read.
#[derive(Debug, Default)]
pub struct Captured {
    pub files: Vec<PathBuf>,
    pub denied: Vec<AccessDenied>,
    /// The pods captured, as the model sees them (for Vault's interest).
    pub world: World,
}

const PAGE: u32 = 500;

async fn list_all<K>(api: &Api<K>, fields: Option<&str>) -> Result<Vec<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut lp = ListParams::default().limit(PAGE);
    if let Some(f) = fields {
        lp = lp.fields(f);
    }
    loop {
        let page = api.list(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => return Ok(out),
        }
    }
}

fn to_values<K: Serialize>(items: &[K]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect()
}

struct Lister<'a> {
    conn: &'a Connection,
    dir: &'a Path,
    out: Captured,
}

impl Lister<'_> {
    /// Sort a list error into the capture: forbidden → denied, missing → no
    /// file, anything else fails the capture.
    fn failed(&mut self, e: kube::Error, resource: &str, cluster: bool) -> Result<(), String> {
        match client_error_kind(&e) {
            ErrorKind::Denied { verb } => {
                let d = AccessDenied {
                    resource: resource.into(),
                    namespace: if cluster {
                        None
                    } else {
                        self.conn.namespace.clone()
                    },
                    verb,
                };
                if !self.out.denied.contains(&d) {
                    self.out.denied.push(d);
                }
                Ok(())
            }
            ErrorKind::Missing => Ok(()),
            _ => Err(format!("listing {resource}: {}", short_error(&e))),
        }
    }

    fn write(&mut self, stem: &str, items: Vec<Value>) -> Result<(), String> {
        let p = write::list(self.dir, stem, items)
            .map_err(|e| format!("{}: {e}", self.dir.join(stem).display()))?;
        self.out.files.push(p);
        Ok(())
    }

    async fn typed<K>(
        &mut self,
        stem: &str,
        resource: &str,
        api: Api<K>,
    ) -> Result<Option<Vec<K>>, String>
    where
        K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
    {
        match list_all(&api, None).await {
            Ok(items) => {
                self.write(stem, to_values(&items))?;
                Ok(Some(items))
            }
            Err(e) => self.failed(e, resource, false).map(|_| None),
        }
    }

    async fn dynamic(
        &mut self,
        stem: &str,
        resource: &str,
        ar: &kube::core::ApiResource,
    ) -> Result<(), String> {
        let api = resources::dyn_api(self.conn, ar);
        match list_all::<DynamicObject>(&api, None).await {
            Ok(items) => {
                let values = items
                    .into_iter()
                    .map(|mut o| {
                        o.types = Some(kube::core::TypeMeta {
                            api_version: ar.api_version.clone(),
                            kind: ar.kind.clone(),
                        });
                        o
                    })
                    .collect::<Vec<_>>();
                self.write(stem, to_values(&values))
            }
            Err(e) => self.failed(e, resource, false),
        }
    }
}

/// Write a bundle of the connection's scope into `dir` (created if needed).
pub async fn capture(conn: &Connection, dir: &Path) -> Result<Captured, String> {
    // Old files (a previous vault.json, logs, CSI objects) would mix with
    // the new capture: only write into a new or empty folder.
    if let Ok(mut entries) = fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(format!(
            "--out {}: the folder is not empty; capture into a new or empty folder so no old file mixes with this capture",
            dir.display()
        ));
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut l = Lister {
        conn,
        dir,
        out: Captured::default(),
    };
    let pods = l
        .typed::<Pod>("pods", "pods", resources::api(conn))
        .await?
        .unwrap_or_default();
    for p in &pods {
        l.out
            .world
            .apply(Observation::PodApplied(Box::new(PodInfo::from_k8s(p))));
    }
    let mut events = Vec::new();
    let mut events_ok = false;
    for (_, selector) in EVENT_SELECTORS {
        match list_all::<Event>(&resources::api(conn), Some(selector)).await {
            Ok(items) => {
                events_ok = true;
                events.extend(to_values(&items));
            }
            Err(e) => l.failed(e, "events", false)?,
        }
    }
    if events_ok {
        l.write("events", events)?;
    }
    l.typed::<ReplicaSet>("replicasets", "replicasets.apps", resources::api(conn))
        .await?;
    l.typed::<Job>("jobs", "jobs.batch", resources::api(conn))
        .await?;
    l.dynamic(
        "secretproviderclasses",
        "secretproviderclasses.secrets-store.csi.x-k8s.io",
        &resources::spc_resource(),
    )
    .await?;
    l.dynamic(
        "secretproviderclasspodstatuses",
        "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io",
        &resources::spcps_resource(),
    )
    .await?;
    let hooks: Api<MutatingWebhookConfiguration> = Api::all(conn.client.clone());
    match list_all(&hooks, None).await {
        Ok(items) => l.write("mutatingwebhookconfigurations", to_values(&items))?,
        Err(e) => l.failed(
            e,
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
            true,
        )?,
    }
    // Agent logs, as `kubectl logs [--previous]` prints them: all that
    // exist (a bundle is read later, without the cluster to ask again).
    let plan = super::log_plan::plan(&l.out.world, super::log_plan::LogMode::All, None);
    let (logs, _) = super::logs::read_agent_logs(conn, plan).await;
    for o in logs {
        match o {
            Observation::LogLines { key, lines } => {
                let f = write::log(dir, &key, &lines).map_err(|e| e.to_string())?;
                l.out.files.push(f);
            }
            Observation::AccessDenied(d) if !l.out.denied.contains(&d) => l.out.denied.push(d),
            _ => {}
        }
    }
    let meta = BundleMeta {
        captured_at: Some(chrono::Utc::now()),
        context: Some(conn.context.clone()),
        scope: Some(conn.scope()),
        cluster: Some(super::cluster::identity(conn).await),
    };
    let f = write::meta(dir, &meta).map_err(|e| e.to_string())?;
    l.out.files.push(f);
    Ok(l.out)
}
