//! Offline bundles: a folder a user can make with kubectl alone.
//!
//! ```text
//! pods.yaml                              kubectl get pods -A -o yaml (required; -o json too)
//! events.yaml, replicasets.yaml, jobs.yaml,
//! secretproviderclasses.yaml, secretproviderclasspodstatuses.yaml,
//! mutatingwebhookconfigurations.yaml      optional, same List form
//! logs/<namespace>/<pod>/<container>[.previous].log   kubectl logs output
//! vault.json                             Vault health, leases, certificates, KV metadata,
//!                                        mounts, roles, policies (sources::vault::VaultSnapshot)
//! bundle.json                            {"captured_at": RFC 3339}
//! ```
//!
//! Every error names the file, the item and the field that is wrong.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::csi::{SecretProviderClassInfo, SecretProviderClassPodStatusInfo};
use crate::model::logs::{LogKey, MAX_LOG_LINES};
use crate::model::objects::{EventInfo, InjectorWebhook, JobInfo, ReplicaSetInfo};
use crate::model::pod::PodInfo;
use crate::model::{Observation, World};
use crate::sources::vault::VaultSnapshot;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}: no such directory")]
    NotADirectory(PathBuf),
    #[error("{0}: missing; a bundle needs pods.yaml (kubectl get pods -A -o yaml > pods.yaml)")]
    MissingPods(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Parse { path: PathBuf, detail: String },
}

fn parse_err(path: &Path, detail: impl Into<String>) -> BundleError {
    BundleError::Parse {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// A loaded bundle: what it observed, and when.
#[derive(Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    pub observations: Vec<Observation>,
    /// From bundle.json, if it says.
    pub captured_at: Option<DateTime<Utc>>,
}

impl Bundle {
    /// Fold the observations into a world, and pick the time to evaluate it at:
    /// `captured_at`, else the newest timestamp in the bundle.
    pub fn into_world(self) -> (World, Option<DateTime<Utc>>) {
        let mut world = World::default();
        for o in self.observations {
            world.apply(o);
        }
        let at = self.captured_at.or_else(|| world.newest_timestamp());
        (world, at)
    }
}

/// The file for `stem`, as .yaml, .yml or .json.
fn find(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["yaml", "yml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

fn read(path: &Path) -> Result<String, BundleError> {
    let bytes = fs::read(path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The documents of a YAML or JSON file as JSON values.
fn documents(path: &Path, text: &str) -> Result<Vec<Value>, BundleError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // A JSON file; `kubectl -o json` output. Fall back to YAML (a superset)
        // only for the error message's sake if it is not valid JSON.
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            return Ok(vec![v]);
        }
    }
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(doc).map_err(|e| {
            let what = if trimmed.starts_with('{') {
                "not valid JSON or YAML"
            } else {
                "not valid YAML"
            };
            parse_err(path, format!("{what} (document {}): {e}", i + 1))
        })?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

/// Items of a kubectl List (or a lone object, or a stream of objects).
fn items(path: &Path, docs: Vec<Value>) -> Result<Vec<Value>, BundleError> {
    let mut out = Vec::new();
    for doc in docs {
        match doc {
            Value::Array(a) => out.extend(a),
            Value::Object(ref o) if o.contains_key("items") => match o.get("items") {
                Some(Value::Array(a)) => out.extend(a.iter().cloned()),
                Some(Value::Null) => {}
                _ => return Err(parse_err(path, "`items` is not a list")),
            },
            Value::Object(_) => out.push(doc),
            other => {
                return Err(parse_err(
                    path,
                    format!(
                        "expected a kubectl List or objects, found a {}",
                        kind_of(&other)
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

fn describe(item: &Value) -> String {
    let ns = item.pointer("/metadata/namespace").and_then(Value::as_str);
    let name = item
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Read one List file whose items must be of `kind`, converting each.
fn load_list<T>(
    path: &Path,
    kinds: &[&str],
    convert: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, BundleError> {
    let text = read(path)?;
    let list = items(path, documents(path, &text)?)?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        if !item.is_object() {
            return Err(parse_err(
                path,
                format!("items[{i}]: expected an object, found a {}", kind_of(item)),
            ));
        }
        if let Some(kind) = item.get("kind").and_then(Value::as_str)
            && !kinds.contains(&kind)
        {
            return Err(parse_err(
                path,
                format!(
                    "items[{i}] ({}) is a {kind}, expected {}",
                    describe(item),
                    kinds.join(" or ")
                ),
            ));
        }
        let v = convert(item).map_err(|e| {
            parse_err(
                path,
                format!("items[{i}] ({} {}): {e}", kinds[0], describe(item)),
            )
        })?;
        out.push(v);
    }
    Ok(out)
}

fn typed<T: DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })
}

#[derive(Debug, Deserialize)]
struct BundleMeta {
    #[serde(default)]
    captured_at: Option<DateTime<Utc>>,
}

fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T, BundleError> {
    let text = read(path)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if field == "." {
            parse_err(path, inner.to_string())
        } else {
            parse_err(path, format!("{field}: {inner}"))
        }
    })
}

fn load_logs(dir: &Path, out: &mut Vec<Observation>) -> Result<(), BundleError> {
    let root = dir.join("logs");
    if !root.is_dir() {
        return Ok(());
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Io { path, source }
    };
    let mut files = Vec::new();
    for ns in fs::read_dir(&root).map_err(io(&root))? {
        let ns = ns.map_err(io(&root))?.path();
        if !ns.is_dir() {
            continue;
        }
        for pod in fs::read_dir(&ns).map_err(io(&ns))? {
            let pod = pod.map_err(io(&ns))?.path();
            if !pod.is_dir() {
                continue;
            }
            for f in fs::read_dir(&pod).map_err(io(&pod))? {
                let f = f.map_err(io(&pod))?.path();
                files.push((ns.clone(), pod.clone(), f));
            }
        }
    }
    files.sort();
    for (ns, pod, f) in files {
        let Some(file) = f.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".log") else {
            continue;
        };
        let (container, previous) = match stem.strip_suffix(".previous") {
            Some(c) => (c, true),
            None => (stem, false),
        };
        let text = read(&f)?;
        let lines: Vec<&str> = text.lines().collect();
        let keep = lines.len().saturating_sub(MAX_LOG_LINES);
        out.push(Observation::LogLines {
            key: LogKey {
                namespace: name_of(&ns),
                pod: name_of(&pod),
                container: container.to_string(),
                previous,
            },
            lines: lines[keep..].iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(())
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Load a bundle folder.
pub fn load(dir: &Path) -> Result<Bundle, BundleError> {
    if !dir.is_dir() {
        return Err(BundleError::NotADirectory(dir.to_path_buf()));
    }
    let mut obs = Vec::new();
    let pods = find(dir, "pods").ok_or_else(|| BundleError::MissingPods(dir.join("pods.yaml")))?;
    for p in load_list(&pods, &["Pod"], |v| {
        typed::<core::Pod>(v).map(|p| PodInfo::from_k8s(&p))
    })? {
        obs.push(Observation::PodApplied(Box::new(p)));
    }
    if let Some(f) = find(dir, "replicasets") {
        for rs in load_list(&f, &["ReplicaSet"], |v| {
            typed::<apps::ReplicaSet>(v).map(|r| ReplicaSetInfo::from_k8s(&r))
        })? {
            obs.push(Observation::ReplicaSetApplied(rs));
        }
    }
    if let Some(f) = find(dir, "jobs") {
        for j in load_list(&f, &["Job"], |v| {
            typed::<batch::Job>(v).map(|j| JobInfo::from_k8s(&j))
        })? {
            obs.push(Observation::JobApplied(j));
        }
    }
    if let Some(f) = find(dir, "events") {
        for (i, e) in load_list(&f, &["Event"], |v| {
            typed::<core::Event>(v).map(|e| EventInfo::from_k8s(&e))
        })?
        .into_iter()
        .enumerate()
        {
            let mut e = e;
            if e.name.is_empty() {
                e.name = format!("event-{i}");
            }
            obs.push(Observation::EventApplied(Box::new(e)));
        }
    }
    let classes = find(dir, "secretproviderclasses");
    let statuses = find(dir, "secretproviderclasspodstatuses");
    if classes.is_some() || statuses.is_some() {
        obs.push(Observation::CsiInstalled(true));
    }
    if let Some(f) = classes {
        for c in load_list(
            &f,
            &["SecretProviderClass"],
            SecretProviderClassInfo::from_value,
        )? {
            obs.push(Observation::ClassApplied(Box::new(c)));
        }
    }
    if let Some(f) = statuses {
        for s in load_list(
            &f,
            &["SecretProviderClassPodStatus"],
            SecretProviderClassPodStatusInfo::from_value,
        )? {
            obs.push(Observation::PodStatusApplied(Box::new(s)));
        }
    }
    if let Some(f) = find(dir, "mutatingwebhookconfigurations") {
        let hooks: Vec<InjectorWebhook> = load_list(&f, &["MutatingWebhookConfiguration"], |v| {
            typed::<admission::MutatingWebhookConfiguration>(v)
                .map(|c| InjectorWebhook::from_k8s(&c))
        })?
        .into_iter()
        .flatten()
        .collect();
        obs.push(Observation::InjectorWebhooks(hooks));
    }
    load_logs(dir, &mut obs)?;

    let mut captured_at = None;
    let vault_path = dir.join("vault.json");
    if vault_path.is_file() {
        // vault.json is a Vault snapshot (health, leases, certificates, KV
        // metadata, mounts, roles, policies); unknown fields are ignored.
        let v: VaultSnapshot = load_json(&vault_path)?;
        obs.extend(v.observations());
        captured_at = v.captured_at;
    }
    let meta_path = dir.join("bundle.json");
    if meta_path.is_file() {
        let meta: BundleMeta = load_json(&meta_path)?;
        captured_at = meta.captured_at.or(captured_at);
    }
    Ok(Bundle {
        dir: dir.to_path_buf(),
        observations: obs,
        captured_at,
    })
}
