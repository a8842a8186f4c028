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
use crate::safe;

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

/// What replaces a literal environment value in a capture.
pub const REDACTED: &str = "(redacted by vaultscope)";

/// Literal `env[].value`s of every container of a pod spec: people put
/// secrets there, and a bundle must never carry one. References
/// (`valueFrom`) stay: they name, they do not contain.
fn redact_env(spec: &mut Value) {
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in containers {
            let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) else {
                continue;
            };
            for e in env {
                if let Some(v) = e.get_mut("value")
                    && v.is_string()
                {
                    *v = Value::String(REDACTED.into());
                }
            }
        }
    }
}

/// Every string of an object (annotation values, `args`, `command`, event
/// messages, container messages) through the one redaction step: tokens,
/// JWTs and passwords go, names and paths stay.
fn redact_strings(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = safe::redact(s) {
                *s = r;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_strings),
        Value::Object(o) => o.values_mut().for_each(redact_strings),
        _ => {}
    }
}

/// Drop what a bundle must not carry or does not need.
fn strip(mut v: Value) -> Value {
    redact_strings(&mut v);
    if let Some(spec) = v.get_mut("spec") {
        redact_env(spec);
        // ReplicaSets and Jobs carry a pod template.
        if let Some(t) = spec.pointer_mut("/template/spec") {
            redact_env(t);
        }
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    v
}

fn write_list(dir: &Path, stem: &str, items: Vec<Value>) -> std::io::Result<PathBuf> {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": items.into_iter().map(strip).collect::<Vec<_>>(),
    });
    let text = serde_yaml_ng::to_string(&list).map_err(std::io::Error::other)?;
    let path = dir.join(format!("{stem}.yaml"));
    fs::write(&path, text)?;
    Ok(path)
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
        let p = write_list(self.dir, stem, items)
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
    // Agent logs, as `kubectl logs [--previous]` prints them.
    for o in super::logs::read_agent_logs(conn, &l.out.world).await {
        match o {
            Observation::LogLines { key, lines } => {
                let d = dir.join("logs").join(&key.namespace).join(&key.pod);
                fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                let suffix = if key.previous { ".previous" } else { "" };
                let f = d.join(format!("{}{suffix}.log", key.container));
                let mut text = lines
                    .iter()
                    .map(|l| safe::redact(l))
                    .collect::<Vec<_>>()
                    .join("\n");
                if !text.is_empty() {
                    text.push('\n');
                }
                fs::write(&f, text).map_err(|e| format!("{}: {e}", f.display()))?;
                l.out.files.push(f);
            }
            Observation::AccessDenied(d) if !l.out.denied.contains(&d) => l.out.denied.push(d),
            _ => {}
        }
    }
    let meta = dir.join("bundle.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "captured_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "context": conn.context,
        "scope": conn.scope(),
    }))
    .unwrap_or_default();
    fs::write(&meta, text + "\n").map_err(|e| format!("{}: {e}", meta.display()))?;
    l.out.files.push(meta);
    Ok(l.out)
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn literal_env_values_are_redacted_and_references_kept() {
        let pod = serde_json::json!({
            "metadata": {"name": "p", "managedFields": [{}]},
            "spec": {
                "containers": [{"name": "app", "env": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
                ]}],
                "initContainers": [{"name": "vault-agent-init", "env": [{"name": "VAULT_CONFIG", "value": "eyJh"}]}]
            }
        });
        let out = strip(pod).to_string();
        assert!(!out.contains("hunter2") && !out.contains("eyJh"), "{out}");
        assert!(out.contains(REDACTED) && out.contains("secretKeyRef"));
        assert!(!out.contains("managedFields"));
        let rs = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "s3cr3t"}]}]}}}});
        assert!(!strip(rs).to_string().contains("s3cr3t"));
    }

    #[test]
    fn every_string_is_redacted_and_what_the_diagnosis_needs_is_kept() {
        let pod = serde_json::json!({
            "metadata": {"name": "web-1", "annotations": {
                "vault.hashicorp.com/role": "web",
                "vault.hashicorp.com/agent-inject-secret-db": "database/creds/web",
                "vault.hashicorp.com/agent-inject-template-db": "{{ with secret \"database/creds/web\" }}postgresql://u:hunter2@db/app{{ end }}",
                "example.com/note": "X-Vault-Token: hvs.CAESIJlU9J7Pi6kX2lkqpDtVtD7S"
            }},
            "spec": {"containers": [{"name": "app",
                "args": ["--password=hunter2", "--db=postgresql://admin:pw@db:5432/x"],
                "command": ["sh", "-c", "curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' x"]}]},
            "status": {"containerStatuses": [{"name": "app", "state": {"waiting": {
                "reason": "ErrImagePull",
                "message": "failed to pull image: Get \"https://robot:s3cr3t@registry.example/v2/\": denied"}}}]}
        });
        let out = strip(pod).to_string();
        for secret in [
            "hunter2",
            "hvs.CAES",
            "eyJhbGci",
            "admin:pw",
            "robot:s3cr3t",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        for kept in [
            "database/creds/web",
            "vault.hashicorp.com/role",
            "\"web\"",
            "ErrImagePull",
            "registry.example/v2/",
        ] {
            assert!(out.contains(kept), "{kept} missing from {out}");
        }
    }
}
