//! Ring 2's reads: what the logins need from Vault, through the live
//! source's HTTP layer (its bounds on answers, its refusal of paths with
//! `..`, its budget). Only metadata is read: `sys/mounts`, `sys/auth`, the
//! roles, their policies, the kubernetes auth mounts' config
//! (`auth/<mount>/config`: no JWT, the CA as fingerprints), KV metadata
//! (`<mount>/metadata/...`) and engine role definitions
//! (`database/roles/...`, `pki/roles/...`). Never a secret
//! (no `data/`, `creds/` or `issue/` path is requested), never a lease.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::join_all;
use serde_json::Value;

use crate::model::vault::{
    AclPolicy, AuthBackendConfig, AuthRole, PermissionProblem, VaultHealth, VaultStatus,
};
use crate::safe::display_address;
use crate::sources::vault::VaultConfig;
use crate::sources::vault::http::{ApiError, Http};
use crate::sources::vault::poll::{data, parse_auth_config, parse_mounts, parse_role};

use super::checks::vault::{Lookup, Needs, Target, VaultFacts, target};

/// A read's outcome: the answer, absent (404), refused (403), or unknown.
enum Got {
    Yes(Value),
    Absent,
    Refused,
    Unknown,
}

/// The HTTP layer, and the reads its budget (`--vault-budget`) cut.
struct Reader {
    http: Http,
    unread: AtomicUsize,
}

impl Reader {
    async fn get(&self, path: &str) -> Got {
        match self.http.call("GET", path, None).await {
            Ok(v) => Got::Yes(v),
            Err(e) if e.code() == Some(404) => Got::Absent,
            Err(e) if e.code() == Some(403) => Got::Refused,
            Err(ApiError::Budget) => {
                self.unread.fetch_add(1, Ordering::SeqCst);
                Got::Unknown
            }
            Err(_) => Got::Unknown,
        }
    }
}

fn denied(path: &str, impact: impl Into<String>) -> PermissionProblem {
    PermissionProblem {
        path: path.to_string(),
        capability: "read".into(),
        impact: impact.into(),
    }
}

/// Read what `needs` names. Never fails: what could not be read is left
/// out (and a refusal is named in `denied`), so its checks give no verdict.
pub async fn read(cfg: VaultConfig, needs: &Needs) -> VaultFacts {
    let address = display_address(&cfg.address);
    let mut f = VaultFacts {
        address: address.clone(),
        ..Default::default()
    };
    let http = match Http::new(&cfg) {
        Ok(http) => Reader {
            http,
            unread: AtomicUsize::new(0),
        },
        Err(error) => {
            f.status = VaultStatus::Unreachable { address, error };
            return f;
        }
    };
    http.http.reset(cfg.budget);
    f.status = match http.http.health().await {
        Err(e) => VaultStatus::Unreachable {
            address,
            error: e.to_string(),
        },
        Ok(v) => match serde_json::from_value::<VaultHealth>(v) {
            Ok(health) => VaultStatus::Reachable { address, health },
            Err(e) => VaultStatus::Unreachable {
                address,
                error: format!("sys/health: {e}"),
            },
        },
    };
    if !f.serving() {
        return f;
    }
    if !http.http.has_token() {
        f.denied.push(PermissionProblem {
            path: "(token)".into(),
            capability: "token".into(),
            impact: "roles, policies and secrets are not checked".into(),
        });
        return f;
    }
    match http.get("sys/mounts").await {
        Got::Yes(v) => f.mounts = Some(parse_mounts(&v)),
        Got::Refused => f.denied.push(denied(
            "sys/mounts",
            "secrets engines are guessed from the path shape",
        )),
        _ => {}
    }
    // Not in the minimal policy: without it, a wrong auth path shows as a
    // missing role, which is still an error at the same line.
    let mut other_methods = BTreeSet::new();
    if let Got::Yes(v) = http.get("sys/auth").await
        && let Some(map) = data(&v).as_object()
    {
        let mounts = map.iter().filter(|(k, _)| k.ends_with('/'));
        f.auth_mounts = Some(
            mounts
                .clone()
                .map(|(k, _)| format!("auth/{}", k.trim_end_matches('/')))
                .collect(),
        );
        other_methods.extend(
            mounts
                .filter(|(_, m)| m.get("type").and_then(Value::as_str) != Some("kubernetes"))
                .map(|(k, _)| format!("auth/{}", k.trim_end_matches('/'))),
        );
    }
    roles(&http, needs, &mut f).await;
    auth_configs(&http, needs, &other_methods, &mut f).await;
    policies(&http, &mut f).await;
    paths(&http, needs, &mut f).await;
    f.unread = http.unread.load(Ordering::SeqCst);
    f
}

async fn roles(http: &Reader, needs: &Needs, f: &mut VaultFacts) {
    let reads = needs.roles.iter().map(|r| async move {
        let path = format!("{}/role/{}", r.auth_path, r.role);
        (r, path.clone(), http.get(&path).await)
    });
    for (r, path, got) in join_all(reads).await {
        match got {
            Got::Yes(v) => f.roles.push(parse_role(&r.auth_path, &r.role, data(&v))),
            Got::Absent => f.roles.push(AuthRole::missing(&r.auth_path, &r.role)),
            Got::Refused => f
                .denied
                .push(denied(&path, format!("role \"{}\" is not checked", r.role))),
            Got::Unknown => {}
        }
    }
}

/// The config of each kubernetes auth mount the logins use, for the
/// auth-backend check `check` makes (`diagnose::auth_backend`). Mounts that
/// sys/auth does not list, or lists with another method, are left out.
async fn auth_configs(
    http: &Reader,
    needs: &Needs,
    other_methods: &BTreeSet<String>,
    f: &mut VaultFacts,
) {
    let mounts: BTreeSet<&str> = needs
        .roles
        .iter()
        .map(|r| r.auth_path.as_str())
        .filter(|m| !other_methods.contains(*m))
        .filter(|m| {
            f.auth_mounts
                .as_ref()
                .is_none_or(|a| a.iter().any(|x| x == m))
        })
        .collect();
    let reads = mounts.into_iter().map(|m| async move {
        let path = format!("{m}/config");
        (m, path.clone(), http.get(&path).await)
    });
    for (m, path, got) in join_all(reads).await {
        match got {
            Got::Yes(v) => f.auth_configs.push(parse_auth_config(m, data(&v))),
            Got::Absent => f.auth_configs.push(AuthBackendConfig::missing(m)),
            Got::Refused => f.denied.push(denied(
                &path,
                format!("the kubernetes auth backend at {m} is not checked"),
            )),
            Got::Unknown => {}
        }
    }
}

async fn policies(http: &Reader, f: &mut VaultFacts) {
    let wanted: BTreeSet<String> = f
        .roles
        .iter()
        .filter(|r| r.found)
        .flat_map(|r| r.effective_policies())
        .collect();
    let reads = wanted.iter().map(|name| async move {
        let path = format!("sys/policies/acl/{name}");
        (name, path.clone(), http.get(&path).await)
    });
    for (name, path, got) in join_all(reads).await {
        match got {
            Got::Yes(v) => f.policies.push(AclPolicy {
                name: name.clone(),
                rules: data(&v)
                    .get("policy")
                    .or(data(&v).get("rules"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            Got::Absent => f.policies.push(AclPolicy {
                name: name.clone(),
                rules: None,
            }),
            Got::Refused => f.denied.push(denied(
                &path,
                format!("policy \"{name}\" is not checked against the secret paths"),
            )),
            Got::Unknown => {}
        }
    }
}

async fn paths(http: &Reader, needs: &Needs, f: &mut VaultFacts) {
    let mut kv = BTreeSet::new();
    let mut engine = BTreeSet::new();
    for p in &needs.paths {
        match target(p, f.mounts.as_deref()) {
            Target::Kv { metadata, .. } => {
                kv.insert(metadata);
            }
            Target::EngineRole { path, .. } => {
                engine.insert(path);
            }
            Target::None => {}
        }
    }
    let kv_reads = kv.iter().map(|p| async move { (p, http.get(p).await) });
    for (p, got) in join_all(kv_reads).await {
        match got {
            Got::Yes(_) => f.secrets.push(Lookup {
                path: p.clone(),
                exists: true,
            }),
            Got::Absent => f.secrets.push(Lookup {
                path: p.clone(),
                exists: false,
            }),
            Got::Refused => f
                .denied
                .push(denied(p, "whether the secret exists is not checked")),
            Got::Unknown => {}
        }
    }
    let role_reads = engine.iter().map(|p| async move { (p, http.get(p).await) });
    for (p, got) in join_all(role_reads).await {
        match got {
            Got::Yes(_) => f.engine_roles.push(Lookup {
                path: p.clone(),
                exists: true,
            }),
            Got::Absent => f.engine_roles.push(Lookup {
                path: p.clone(),
                exists: false,
            }),
            Got::Refused => f
                .denied
                .push(denied(p, "whether the role exists is not checked")),
            Got::Unknown => {}
        }
    }
}
