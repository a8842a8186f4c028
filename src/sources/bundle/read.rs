//! Reading a bundle: only regular files that resolve inside the folder,
//! each to a cap (a bundle may come from anyone); every error names the
//! file, the item and the field that is wrong, and an optional file that
//! cannot be read is a warning while the rest is loaded.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
};
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::bounded::{self, ReadError, human_bytes};
use crate::model::csi::{
    CsiDriverConfig, SecretProviderClassInfo, SecretProviderClassPodStatusInfo,
};
use crate::model::logs::{LogKey, MAX_LOG_LINES};
use crate::model::objects::{EventInfo, InjectorWebhook, JobInfo, ReplicaSetInfo};
use crate::model::pod::PodInfo;
use crate::model::{Observation, World};
use crate::sources::vault::VaultSnapshot;

use super::format::{self, BundleMeta};

/// Object lists (pods.yaml...). A file's text is held whole while its items
/// are decoded, each converted to the model's slice as it is read, so a file
/// costs about its size plus what the model keeps, and the cap bounds the
/// first part. 1 GiB is about 120,000 pods as kubectl prints them, close to
/// the 150,000 pods Kubernetes supports in one cluster.
const OBJECTS_CAP: u64 = 1 << 30;
/// vault.json: about 250 bytes a lease, so room for some 250,000 of them.
const VAULT_CAP: u64 = 64 << 20;
/// bundle.json holds a timestamp, two names and the cluster's address and
/// CA fingerprints.
const META_CAP: u64 = 64 << 10;
/// Bytes read from the end of a log: the model keeps the last
/// MAX_LOG_LINES lines, and agent lines are a few hundred bytes, so 1 KiB a
/// line keeps every line the model would while never reading a log whole.
const LOG_CAP: u64 = MAX_LOG_LINES as u64 * 1024;
/// Deeper than anything Kubernetes or Vault writes (a Pod nests about 15
/// levels), and below serde's own limit of 128, so deep text gets this
/// error, which names the line, before any parser spends time on it.
const MAX_NESTING: usize = 100;
/// Text that starts like JSON but is not valid JSON may be YAML's flow
/// style. YAML is retried only below this size: libyaml holds a whole
/// document's events (several times the text) in memory.
const YAML_RETRY_MAX: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}: no such directory")]
    NotADirectory(PathBuf),
    #[error("{}: is a {what}, not a bundle directory", path.display())]
    NotABundleDirectory { path: PathBuf, what: &'static str },
    #[error("{0}: missing; a bundle needs pods.yaml (kubectl get pods -A -o yaml > pods.yaml)")]
    MissingPods(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: ReadError },
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
    /// Optional files that could not be used (each names its file), and
    /// logs read only in part. The rest of the bundle is loaded regardless.
    pub warnings: Vec<String>,
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

/// The file for `stem`, as .yaml, .yml or .json: a regular file first, else
/// whatever has the name (a directory or FIFO there is reported, not taken
/// for absent).
fn find(dir: &Path, stem: &str) -> Option<PathBuf> {
    let names: Vec<PathBuf> = ["yaml", "yml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .collect();
    let found = names.iter().find(|p| p.is_file());
    found
        .or_else(|| names.iter().find(|p| p.symlink_metadata().is_ok()))
        .cloned()
}

/// Reads the bundle's files, each confined to the bundle and to a cap.
struct Reader {
    /// The bundle directory, canonical: every file must resolve inside it.
    root: PathBuf,
    warnings: Vec<String>,
}

impl Reader {
    /// A file's text, or why it cannot be read (`Read`) or decoded (`Parse`).
    fn text(&self, path: &Path, cap: u64) -> Result<String, BundleError> {
        let read = |source| BundleError::Read {
            path: path.to_path_buf(),
            source,
        };
        let real = bounded::inside(&self.root, path).map_err(read)?;
        let bytes = bounded::read_capped(&real, cap).map_err(read)?;
        bounded::decode_text(&bytes).map_err(|e| parse_err(path, e.to_string()))
    }

    /// An optional file's text. One that cannot be read is a warning: the
    /// rest of the bundle still says a lot. One that reads but is not valid
    /// is an error, as the user can fix it.
    fn optional(
        &mut self,
        path: Option<PathBuf>,
        cap: u64,
    ) -> Result<Option<(PathBuf, String)>, BundleError> {
        let Some(path) = path else {
            return Ok(None);
        };
        match self.text(&path, cap) {
            Ok(t) => Ok(Some((path, t))),
            Err(BundleError::Read { path, source }) => {
                self.warn(&path, format!("{source}; left out"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn warn(&mut self, path: &Path, what: impl fmt::Display) {
        self.warnings.push(format!("{}: {what}", path.display()));
    }
}

fn nesting(path: &Path, text: &str) -> Result<(), BundleError> {
    match bounded::nesting_over(text, MAX_NESTING) {
        Some(line) => Err(parse_err(
            path,
            format!(
                "nested more than {MAX_NESTING} levels deep (line {line}); not a kubectl or vaultscope file"
            ),
        )),
        None => Ok(()),
    }
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

/// The items of one List file, each converted to the model's type as the
/// parser reaches it: only one item is ever held as a JSON tree.
struct Items<'p, T> {
    path: &'p Path,
    kinds: &'p [&'p str],
    convert: &'p dyn Fn(&Value) -> Result<T, String>,
    out: Vec<T>,
    /// A bad item's error, with its file, index and field. The parser is
    /// only told to stop, so its own wording and position do not bury it.
    failed: Option<BundleError>,
}

impl<T> Items<'_, T> {
    fn fail<E: de::Error>(&mut self, detail: String) -> E {
        self.failed = Some(parse_err(self.path, detail));
        E::custom("stopped at a bad item")
    }

    fn item<E: de::Error>(&mut self, item: Value) -> Result<(), E> {
        let i = self.out.len();
        if !item.is_object() {
            let detail = format!("items[{i}]: expected an object, found a {}", kind_of(&item));
            return Err(self.fail(detail));
        }
        if let Some(kind) = item.get("kind").and_then(Value::as_str)
            && !self.kinds.contains(&kind)
        {
            let detail = format!(
                "items[{i}] ({}) is a {kind}, expected {}",
                describe(&item),
                self.kinds.join(" or ")
            );
            return Err(self.fail(detail));
        }
        match (self.convert)(&item) {
            Ok(v) => {
                self.out.push(v);
                Ok(())
            }
            Err(e) => {
                let detail = format!("items[{i}] ({} {}): {e}", self.kinds[0], describe(&item));
                Err(self.fail(detail))
            }
        }
    }

    /// The parser's error, or the item error that stopped it.
    fn settle<E: fmt::Display>(
        &mut self,
        r: Result<(), E>,
        detail: impl FnOnce(E) -> String,
    ) -> Result<(), Failure> {
        match (r, self.failed.take()) {
            (_, Some(e)) => Err(Failure::Item(e)),
            (Ok(()), None) => Ok(()),
            (Err(e), None) => Err(Failure::Syntax(detail(e))),
        }
    }
}

/// Why a file's items stopped: a bad item (final), or text the parser
/// refused (which another reading of the text may still accept).
enum Failure {
    Item(BundleError),
    Syntax(String),
}

/// One document: a kubectl List (its `items` streamed), a list of objects,
/// a lone object, or nothing.
struct Document<'a, 'p, T>(&'a mut Items<'p, T>);
/// The value of a List's `items`.
struct ItemList<'a, 'p, T>(&'a mut Items<'p, T>);
/// One item.
struct Item<'a, 'p, T>(&'a mut Items<'p, T>);

impl<'de, T> DeserializeSeed<'de> for Item<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let v = Value::deserialize(d)?;
        self.0.item(v)
    }
}

impl<'de, T> DeserializeSeed<'de> for Document<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T> DeserializeSeed<'de> for ItemList<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn seq_items<'de, T, A: SeqAccess<'de>>(
    items: &mut Items<'_, T>,
    mut seq: A,
) -> Result<(), A::Error> {
    while seq.next_element_seed(Item(&mut *items))?.is_some() {}
    Ok(())
}

/// The visits of everything but a sequence, a mapping or null, each
/// refused by the visitor's `other`.
macro_rules! refuse_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.other("boolean")
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.other("number")
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.other("number")
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.other("number")
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.other("string")
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

impl<T> Document<'_, '_, T> {
    fn other<E: de::Error>(self, found: &str) -> Result<(), E> {
        let detail = format!("expected a kubectl List or objects, found a {found}");
        Err(self.0.fail(detail))
    }
}

impl<T> ItemList<'_, '_, T> {
    fn other<E: de::Error>(self, _found: &str) -> Result<(), E> {
        Err(self.0.fail("`items` is not a list".into()))
    }
}

impl<'de, T> Visitor<'de> for Document<'_, '_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kubectl List or objects")
    }
    refuse_scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        seq_items(self.0, seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // A List's items are streamed; any other mapping is one object, kept
        // whole until its end shows it had no `items`.
        let mut object = Map::new();
        let mut list = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(ItemList(&mut *self.0))?;
                list = true;
            } else {
                object.insert(key, map.next_value()?);
            }
        }
        if list {
            return Ok(());
        }
        self.0.item(Value::Object(object))
    }
}

impl<'de, T> Visitor<'de> for ItemList<'_, '_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    refuse_scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        seq_items(self.0, seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.other("mapping")
    }
}

/// A kubectl List as kubectl prints it: a line `items:`, then `- ` entries
/// at one indentation. libyaml holds a whole document's events in memory,
/// several times the text, so a List parsed whole costs far more than the
/// model it yields; an item at a time, it costs one item. Returns the rest
/// of the document (with `items: []`) and each item's text with its first
/// line; `None` for any other shape (several documents, flow style), which
/// is parsed whole.
fn split_list(text: &str) -> Option<(String, Vec<(usize, &str)>)> {
    let mut offset = 0;
    let mut header = None;
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (line, offset)
    let mut indent = None;
    let mut end = text.len();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.starts_with("---") || content.starts_with("...") {
            return None;
        }
        if header.is_none() {
            if content == "items:" {
                header = Some(at);
            }
            continue;
        }
        let trimmed = content.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let spaces = content.len() - trimmed.len();
        let entry = trimmed == "-" || trimmed.starts_with("- ");
        match indent {
            None if entry => indent = Some(spaces),
            None => return None,
            Some(i) if entry && spaces == i => {}
            Some(i) if spaces > i => continue,
            Some(_) => {
                end = at;
                break;
            }
        }
        starts.push((n + 1, at));
    }
    let header = header?;
    if starts.is_empty() {
        return None;
    }
    let chunks = starts
        .iter()
        .enumerate()
        .map(|(k, &(line, at))| {
            let to = starts.get(k + 1).map_or(end, |&(_, next)| next);
            (line, &text[at..to])
        })
        .collect();
    let rest = format!("{}items: []\n{}", &text[..header], &text[end..]);
    Some((rest, chunks))
}

/// The items of a kubectl List, an item at a time (see `split_list`).
fn list_items<T>(
    items: &mut Items<'_, T>,
    rest: &str,
    chunks: &[(usize, &str)],
    what: &str,
) -> Result<(), Failure> {
    let syntax = |e: serde_yaml_ng::Error| Failure::Syntax(format!("{what} (document 1): {e}"));
    match serde_yaml_ng::from_str::<Value>(rest).map_err(syntax)? {
        Value::Object(_) => {}
        _ => return Err(Failure::Syntax("not a kubectl List".into())),
    }
    for (line, chunk) in chunks {
        let r = Document(&mut *items).deserialize(serde_yaml_ng::Deserializer::from_str(chunk));
        items.settle(r, |e| {
            // Parse the item again where it stands in the file, so the
            // error's line numbers are the file's. Only on this error path:
            // padding every item would make the whole read quadratic.
            let padded = format!("{}{chunk}", "\n".repeat(line - 1));
            let e = serde_yaml_ng::from_str::<de::IgnoredAny>(&padded)
                .err()
                .map_or_else(|| e.to_string(), |e| e.to_string());
            format!("{what} (document 1): {e}")
        })?;
    }
    Ok(())
}

/// The items of a YAML text.
fn yaml_items<T>(items: &mut Items<'_, T>, text: &str, what: &str) -> Result<(), BundleError> {
    let path = items.path;
    if let Some((rest, chunks)) = split_list(text) {
        match list_items(items, &rest, &chunks, what) {
            Ok(()) => return Ok(()),
            Err(Failure::Item(e)) => return Err(e),
            Err(Failure::Syntax(detail)) if text.len() > YAML_RETRY_MAX => {
                return Err(parse_err(path, detail));
            }
            // Text that only looked like kubectl's: read it whole below,
            // which also places any error as libyaml sees the document.
            Err(Failure::Syntax(_)) => items.out.clear(),
        }
    }
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let r = Document(&mut *items).deserialize(doc);
        match items.settle(r, |e| format!("{what} (document {}): {e}", i + 1)) {
            Ok(()) => {}
            Err(Failure::Item(e)) => return Err(e),
            Err(Failure::Syntax(detail)) => return Err(parse_err(path, detail)),
        }
    }
    Ok(())
}

/// Read one List file whose items must be of `kinds`, converting each.
fn load_list<T>(
    path: &Path,
    text: &str,
    kinds: &[&str],
    convert: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, BundleError> {
    nesting(path, text)?;
    let mut items = Items {
        path,
        kinds,
        convert: &convert,
        out: Vec::new(),
        failed: None,
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // A JSON file; `kubectl -o json` output. YAML (a superset) is tried
        // too when it is not valid JSON, for its flow style and for the
        // error message's sake.
        let mut de = serde_json::Deserializer::from_str(text);
        let r = Document(&mut items)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        match items.settle(r, |e| e.to_string()) {
            Ok(()) => return Ok(items.out),
            Err(Failure::Item(e)) => return Err(e),
            Err(Failure::Syntax(e)) if text.len() > YAML_RETRY_MAX => {
                return Err(parse_err(path, format!("not valid JSON: {e}")));
            }
            Err(Failure::Syntax(_)) => items.out.clear(),
        }
        yaml_items(&mut items, text, "not valid JSON or YAML")?;
    } else {
        yaml_items(&mut items, text, "not valid YAML")?;
    }
    Ok(items.out)
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

fn load_json<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, BundleError> {
    nesting(path, text)?;
    let mut de = serde_json::Deserializer::from_str(text);
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

/// The files under logs/<namespace>/<pod>/ named `*.log`. A folder that
/// cannot be listed is a warning, like a log that cannot be read.
fn log_files(root: &Path, r: &mut Reader) -> Vec<(String, String, PathBuf)> {
    let mut list = |dir: &Path| -> Vec<PathBuf> {
        match fs::read_dir(dir).and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect()) {
            Ok(v) => v,
            Err(e) => {
                r.warn(
                    dir,
                    format!("cannot be listed ({e}); its logs are left out"),
                );
                Vec::new()
            }
        }
    };
    let mut files = Vec::new();
    for ns in list(root) {
        if !ns.is_dir() {
            continue;
        }
        for pod in list(&ns) {
            if !pod.is_dir() {
                continue;
            }
            for f in list(&pod) {
                if f.extension().is_some_and(|e| e == "log") {
                    files.push((name_of(&ns), name_of(&pod), f));
                }
            }
        }
    }
    files.sort();
    files
}

fn load_logs(dir: &Path, r: &mut Reader, out: &mut Vec<Observation>) {
    let root = dir.join(format::LOGS_DIR);
    if !root.is_dir() {
        return;
    }
    for (namespace, pod, f) in log_files(&root, r) {
        let Some(stem) = f
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
        else {
            continue;
        };
        let (container, previous) = format::log_container(stem);
        let read = bounded::inside(&r.root, &f)
            .and_then(|real| bounded::read_tail(&real, LOG_CAP))
            .and_then(|(bytes, skipped)| Ok((bounded::decode_text(&bytes)?, skipped)));
        let (text, skipped) = match read {
            Ok(t) => t,
            Err(e) => {
                r.warn(&f, format!("{e}; left out"));
                continue;
            }
        };
        let mut lines = text.lines();
        if skipped > 0 {
            r.warn(
                &f,
                format!(
                    "only the last {} read; {} before it skipped",
                    human_bytes(LOG_CAP),
                    human_bytes(skipped)
                ),
            );
            // The read began inside a line: its end alone is not a line.
            lines.next();
        }
        let lines: Vec<&str> = lines.collect();
        let keep = lines.len().saturating_sub(MAX_LOG_LINES);
        out.push(Observation::LogLines {
            key: LogKey {
                namespace,
                pod,
                container: container.to_string(),
                previous,
            },
            lines: lines[keep..].iter().map(|s| s.to_string()).collect(),
        });
    }
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Load a bundle folder.
pub fn load(dir: &Path) -> Result<Bundle, BundleError> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BundleError::NotADirectory(dir.to_path_buf()));
        }
        Err(source) => {
            return Err(BundleError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    if !meta.is_dir() {
        let what = if meta.is_file() {
            "file"
        } else {
            bounded::kind_of(meta.file_type())
        };
        return Err(BundleError::NotABundleDirectory {
            path: dir.to_path_buf(),
            what,
        });
    }
    let root = fs::canonicalize(dir).map_err(|source| BundleError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut r = Reader {
        root,
        warnings: Vec::new(),
    };
    let mut obs = Vec::new();

    let pods = find(dir, format::PODS)
        .ok_or_else(|| BundleError::MissingPods(dir.join(format!("{}.yaml", format::PODS))))?;
    let text = r.text(&pods, OBJECTS_CAP)?;
    for (p, driver) in load_list(&pods, &text, &["Pod"], |v| {
        typed::<core::Pod>(v).map(|p| (PodInfo::from_k8s(&p), CsiDriverConfig::from_driver_pod(&p)))
    })? {
        obs.push(Observation::PodApplied(Box::new(p)));
        // A pod of the CSI driver tells how it rotates mounts.
        obs.extend(driver.map(Observation::CsiDriver));
    }
    drop(text);
    if let Some((f, text)) = r.optional(find(dir, format::REPLICASETS), OBJECTS_CAP)? {
        for rs in load_list(&f, &text, &["ReplicaSet"], |v| {
            typed::<apps::ReplicaSet>(v).map(|r| ReplicaSetInfo::from_k8s(&r))
        })? {
            obs.push(Observation::ReplicaSetApplied(rs));
        }
    }
    if let Some((f, text)) = r.optional(find(dir, format::JOBS), OBJECTS_CAP)? {
        for j in load_list(&f, &text, &["Job"], |v| {
            typed::<batch::Job>(v).map(|j| JobInfo::from_k8s(&j))
        })? {
            obs.push(Observation::JobApplied(j));
        }
    }
    if let Some((f, text)) = r.optional(find(dir, format::EVENTS), OBJECTS_CAP)? {
        for (i, e) in load_list(&f, &text, &["Event"], |v| {
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
    let classes = r.optional(find(dir, format::CLASSES), OBJECTS_CAP)?;
    let statuses = r.optional(find(dir, format::POD_STATUSES), OBJECTS_CAP)?;
    if classes.is_some() || statuses.is_some() {
        obs.push(Observation::CsiInstalled(true));
    }
    if let Some((f, text)) = classes {
        for c in load_list(
            &f,
            &text,
            &["SecretProviderClass"],
            SecretProviderClassInfo::from_value,
        )? {
            obs.push(Observation::ClassApplied(Box::new(c)));
        }
    }
    if let Some((f, text)) = statuses {
        for s in load_list(
            &f,
            &text,
            &["SecretProviderClassPodStatus"],
            SecretProviderClassPodStatusInfo::from_value,
        )? {
            obs.push(Observation::PodStatusApplied(Box::new(s)));
        }
    }
    if let Some((f, text)) = r.optional(find(dir, format::WEBHOOKS), OBJECTS_CAP)? {
        let hooks: Vec<InjectorWebhook> =
            load_list(&f, &text, &["MutatingWebhookConfiguration"], |v| {
                typed::<admission::MutatingWebhookConfiguration>(v)
                    .map(|c| InjectorWebhook::from_k8s(&c))
            })?
            .into_iter()
            .flatten()
            .collect();
        obs.push(Observation::InjectorWebhooks(hooks));
    }
    load_logs(dir, &mut r, &mut obs);

    let mut captured_at = None;
    let exists = |p: PathBuf| p.symlink_metadata().is_ok().then_some(p);
    if let Some((f, text)) = r.optional(exists(dir.join(format::VAULT_JSON)), VAULT_CAP)? {
        // vault.json is a Vault snapshot (health, leases, certificates, KV
        // metadata, mounts, roles, policies); unknown fields are ignored.
        let v: VaultSnapshot = load_json(&f, &text)?;
        obs.extend(v.observations());
        captured_at = v.captured_at;
    }
    if let Some((f, text)) = r.optional(exists(dir.join(format::BUNDLE_JSON)), META_CAP)? {
        let meta: BundleMeta = load_json(&f, &text)?;
        captured_at = meta.captured_at.or(captured_at);
        if let Some(c) = meta.cluster {
            obs.push(Observation::Cluster(c));
        }
    }
    Ok(Bundle {
        dir: dir.to_path_buf(),
        observations: obs,
        captured_at,
        warnings: r.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kubectl_list_is_split_into_its_items() {
        let text = "apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\n\n# between\n- kind: Pod\n  spec: |\n    - not an item\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        let (rest, chunks) = split_list(text).unwrap();
        assert_eq!(
            chunks,
            [
                (3, "- kind: Pod\n  metadata:\n    name: a\n\n# between\n"),
                (8, "- kind: Pod\n  spec: |\n    - not an item\n"),
            ]
        );
        assert_eq!(
            rest,
            "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
        );
        // Indented entries, and CRLF.
        let (_, chunks) = split_list("items:\r\n  - a: 1\r\n    b: 2\r\n  - a: 3\r\n").unwrap();
        assert_eq!(chunks.len(), 2);
        // Anything else is read whole.
        assert!(split_list("items: []\n").is_none());
        assert!(split_list("kind: Pod\n---\nitems:\n- a: 1\n").is_none());
        assert!(split_list("items:\n  a: 1\n").is_none());
        assert!(split_list("{\"items\": [1]}").is_none());
    }

    #[test]
    fn an_item_error_in_a_split_list_names_the_file_line() {
        let text =
            "items:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: [unclosed\n";
        let e = load_list(Path::new("pods.yaml"), text, &["Pod"], |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not valid YAML") && e.contains("line 5"), "{e}");
    }
}
