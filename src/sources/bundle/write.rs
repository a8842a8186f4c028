//! Writing a bundle, as `vaultscope capture` does: kubectl-style lists
//! without what a bundle must not carry, agent logs as `kubectl logs`
//! prints them, bundle.json and vault.json. Every string goes through the
//! one redaction step (`safe::redact`) on the way out.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::format::{self, BundleMeta};
use crate::model::logs::LogKey;
use crate::safe;
use crate::sources::vault::VaultSnapshot;

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

/// `<dir>/<stem>.yaml`: the items as a kubectl `v1 List`, each stripped.
pub fn list(dir: &Path, stem: &str, items: Vec<Value>) -> std::io::Result<PathBuf> {
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

/// An agent log at its place in the bundle, each line redacted.
pub fn log(dir: &Path, key: &LogKey, lines: &[String]) -> std::io::Result<PathBuf> {
    let f = format::log_file(dir, key);
    if let Some(d) = f.parent() {
        fs::create_dir_all(d)?;
    }
    let mut text = lines
        .iter()
        .map(|l| safe::redact(l))
        .collect::<Vec<_>>()
        .join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    fs::write(&f, text)?;
    Ok(f)
}

/// bundle.json.
pub fn meta(dir: &Path, meta: &BundleMeta) -> std::io::Result<PathBuf> {
    json_file(dir, format::BUNDLE_JSON, meta)
}

/// vault.json.
pub fn vault_json(dir: &Path, snap: &VaultSnapshot) -> std::io::Result<PathBuf> {
    json_file(dir, format::VAULT_JSON, snap)
}

fn json_file<T: serde::Serialize>(dir: &Path, name: &str, value: &T) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    fs::write(&path, text)?;
    Ok(path)
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
