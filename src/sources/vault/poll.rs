//! The poller: one cycle reads what the [`Interest`] asks for, within the
//! request budget, and returns a [`VaultSnapshot`]. It only reads: no secret
//! data (KV metadata only), no `database/creds` reads, no PKI issue, and lease
//! and token lookups by id / accessor.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::VaultConfig;
use super::http::{ApiError, Http};
use super::snapshot::VaultSnapshot;
use crate::model::interest::{Interest, RoleRef};
use crate::model::vault::{
    AclPolicy, AgentToken, AuthRole, Certificate, Engine, KvMetadata, Lease, MountInfo,
    PermissionProblem, VaultHealth, resolve_mount,
};
use crate::safe::display_address;

/// Longest time between two lookups of the same lease or token.
const MAX_REFRESH_SECS: i64 = 300;
/// KV metadata is re-read this often (rotations show within this time).
const KV_REFRESH_SECS: i64 = 30;
/// Mounts, roles and policies are re-read this often.
const CONFIG_REFRESH_SECS: i64 = 60;

fn data(v: &Value) -> &Value {
    v.get("data").filter(|d| d.is_object()).unwrap_or(v)
}

fn keys(v: &Value) -> Vec<String> {
    data(v)
        .get("keys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => {
            s.split(',').map(|x| x.trim().to_string()).collect()
        }
        _ => Vec::new(),
    }
}

fn opt_string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// When to look something up again: sooner as its expiry nears (a tenth of
/// the time left), never more often than the poll interval, never less often
/// than [`MAX_REFRESH_SECS`]; spread by the id so lookups do not bunch up.
pub fn next_refresh(
    now: DateTime<Utc>,
    expire: Option<DateTime<Utc>>,
    interval: Duration,
    id: &str,
) -> DateTime<Utc> {
    let left = expire.map_or(Duration::seconds(MAX_REFRESH_SECS), |e| e - now);
    let base = (left / 10).clamp(interval, Duration::seconds(MAX_REFRESH_SECS).max(interval));
    let spread = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 20;
    now + base + base * spread as i32 / 100
}

fn classify(kind: &str, version: Option<&str>) -> Engine {
    match kind {
        "kv" if version == Some("2") => Engine::KvV2,
        "kv" | "generic" => Engine::KvV1,
        "database" => Engine::Database,
        "pki" => Engine::Pki,
        _ => Engine::Other,
    }
}

/// The mount a secret path is read from, as `sys/mounts` showed it or as
/// guessed from the path's shape.
struct Located {
    path: String,
    engine: Engine,
    guessed: bool,
}

/// Without `sys/mounts`, guess from the path's shape.
fn guess(path: &str) -> Option<Located> {
    let (mount, rest) = path.split_once('/')?;
    let engine = if rest.starts_with("data/") {
        Engine::KvV2
    } else if rest.starts_with("creds/") {
        Engine::Database
    } else if rest.starts_with("issue/") || rest.starts_with("sign/") {
        Engine::Pki
    } else {
        return None;
    };
    Some(Located {
        path: mount.into(),
        engine,
        guessed: true,
    })
}

#[derive(Debug, Deserialize)]
struct LeaseLookup {
    id: String,
    #[serde(default)]
    issue_time: Option<DateTime<Utc>>,
    #[serde(default)]
    expire_time: Option<DateTime<Utc>>,
    #[serde(default)]
    ttl: i64,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    last_renewal: Option<DateTime<Utc>>,
}

struct Cached<T> {
    value: T,
    due: DateTime<Utc>,
}

/// The live Vault source's state between cycles.
pub struct Poller {
    cfg: VaultConfig,
    http: Http,
    mounts: Option<Cached<Result<Vec<MountInfo>, Denied>>>,
    roles: BTreeMap<RoleRef, Cached<Result<AuthRole, Denied>>>,
    policies: BTreeMap<String, Cached<Result<AclPolicy, Denied>>>,
    /// Permission problems already explained (by path).
    explained: BTreeMap<String, PermissionProblem>,
    leases: BTreeMap<String, Cached<Lease>>,
    kv: BTreeMap<String, Cached<Result<KvMetadata, Denied>>>,
    /// `(mount, serial)` → the parsed certificate (`None`: not a readable cert).
    certs: BTreeMap<(String, String), Option<Certificate>>,
    /// accessor → the token, or `None` for tokens of no interest (no
    /// kubernetes metadata naming a watched service account).
    tokens: BTreeMap<String, Cached<Option<AgentToken>>>,
}

/// What went wrong with one request, for the permission report.
#[derive(Debug, Clone)]
struct Denied {
    path: String,
    needed: &'static [&'static str],
    impact: String,
}

impl Poller {
    pub fn new(cfg: VaultConfig) -> Result<Poller, String> {
        let http = Http::new(&cfg)?;
        Ok(Poller {
            cfg,
            http,
            mounts: None,
            roles: BTreeMap::new(),
            policies: BTreeMap::new(),
            explained: BTreeMap::new(),
            leases: BTreeMap::new(),
            kv: BTreeMap::new(),
            certs: BTreeMap::new(),
            tokens: BTreeMap::new(),
        })
    }

    pub fn config(&self) -> &VaultConfig {
        &self.cfg
    }

    /// Vault answered 429 / 5xx during the last cycle.
    pub fn throttled(&self) -> bool {
        self.http.throttled()
    }

    /// Requests sent since start.
    pub fn requests_sent(&self) -> usize {
        self.http.sent()
    }

    /// One cycle.
    pub async fn poll(&mut self, interest: &Interest) -> VaultSnapshot {
        self.http.reset(self.cfg.budget);
        let mut snap = VaultSnapshot {
            address: Some(display_address(&self.cfg.address)),
            ..Default::default()
        };
        match self.http.health().await {
            Err(e) => {
                snap.unreachable = Some(e.to_string());
                return snap;
            }
            Ok(v) => match serde_json::from_value::<VaultHealth>(v) {
                Ok(h) => snap.health = Some(h),
                Err(e) => {
                    snap.unreachable = Some(format!("sys/health: {e}"));
                    return snap;
                }
            },
        }
        snap.captured_at = Some(Utc::now());
        if !snap.is_serving() {
            return snap;
        }
        let mut denied: Vec<Denied> = Vec::new();
        if !self.http.has_token() {
            snap.permission_problems.push(PermissionProblem {
                path: "(token)".into(),
                capability: "token".into(),
                impact: "only health is shown".into(),
            });
            return snap;
        }

        // Mounts, roles and policies: few requests, re-read every minute.
        self.read_mounts().await;
        match self.mounts.as_ref().map(|c| &c.value) {
            Some(Ok(m)) => snap.mounts = m.clone(),
            Some(Err(d)) => denied.push(d.clone()),
            None => {}
        }
        self.read_roles(interest).await;
        for r in &interest.roles {
            match self.roles.get(r).map(|c| &c.value) {
                Some(Ok(role)) => snap.roles.push(role.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }
        let wanted: BTreeSet<String> = snap
            .roles
            .iter()
            .filter(|r| r.found)
            .flat_map(|r| r.effective_policies())
            .collect();
        self.read_policies(&wanted).await;
        for name in &wanted {
            match self.policies.get(name).map(|c| &c.value) {
                Some(Ok(p)) => snap.policies.push(p.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }

        // Where each secret path lives.
        let mut kv_paths: BTreeSet<(String, String)> = BTreeSet::new();
        let mut lease_prefixes: BTreeSet<String> = BTreeSet::new();
        let mut pki_mounts: BTreeSet<String> = BTreeSet::new();
        for p in &interest.secret_paths {
            let resolved = resolve_mount(&snap.mounts, p)
                .map(|(m, rest)| {
                    let mount = Located {
                        path: m.path.clone(),
                        engine: m.engine,
                        guessed: false,
                    };
                    (mount, rest.to_string())
                })
                .or_else(|| {
                    guess(p).map(|m| {
                        let rest = p[m.path.len()..].trim_start_matches('/').to_string();
                        (m, rest)
                    })
                });
            let Some((mount, rest)) = resolved else {
                continue;
            };
            // A guessed KV v2 or PKI mount could be something else (on KV v1,
            // `<m>/metadata/x` is a secret's data): only read from mounts that
            // sys/mounts confirmed. Lease listing stays safe on a guess.
            if mount.guessed && matches!(mount.engine, Engine::KvV2 | Engine::Pki) {
                continue;
            }
            match mount.engine {
                Engine::KvV2 => {
                    let rel = rest
                        .strip_prefix("data/")
                        .or_else(|| rest.strip_prefix("metadata/"))
                        .unwrap_or(&rest);
                    if !rel.is_empty() {
                        kv_paths.insert((mount.path.clone(), rel.to_string()));
                    }
                }
                Engine::KvV1 => {}
                Engine::Pki => {
                    if rest.starts_with("issue/") || rest.starts_with("sign/") {
                        pki_mounts.insert(mount.path.clone());
                    }
                }
                Engine::Database | Engine::Other => {
                    lease_prefixes.insert(p.trim_end_matches('/').to_string());
                }
            }
        }

        self.read_kv(&kv_paths).await;
        self.read_leases(&lease_prefixes, &mut denied).await;
        if !interest.common_names.is_empty() {
            self.read_certs(&pki_mounts, &mut denied).await;
        }
        if !interest.service_accounts.is_empty() {
            self.read_tokens(&mut denied).await;
        }

        for (m, p) in &kv_paths {
            match self.kv.get(&format!("{m}/{p}")).map(|c| &c.value) {
                Some(Ok(k)) => snap.kv.push(k.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }
        snap.leases = self
            .leases
            .iter()
            .filter(|(id, _)| {
                lease_prefixes
                    .iter()
                    .any(|p| id.starts_with(&format!("{p}/")))
            })
            .map(|(_, c)| c.value.clone())
            .collect();
        snap.certificates = self
            .certs
            .iter()
            .filter(|((m, _), _)| pki_mounts.contains(m))
            .filter_map(|(_, c)| c.clone())
            .filter(|c| c.names().any(|n| interest.common_names.contains(n)))
            .collect();
        snap.tokens = self
            .tokens
            .values()
            .filter_map(|c| c.value.clone())
            .filter(|t| {
                interest.service_accounts.contains(&(
                    t.service_account_namespace.clone(),
                    t.service_account_name.clone(),
                ))
            })
            .collect();
        snap.permission_problems = self.explain(denied).await;
        snap
    }

    async fn read_mounts(&mut self) {
        let now = Utc::now();
        if self.mounts.as_ref().is_some_and(|c| c.due > now) {
            return;
        }
        let value = match self.http.call("GET", "sys/mounts", None).await {
            Ok(v) => Ok(parse_mounts(&v)),
            Err(e) if e.code() == Some(403) => Err(Denied {
                path: "sys/mounts".into(),
                needed: &["read"],
                impact: "secrets engines are guessed from the path shape".into(),
            }),
            Err(_) => return,
        };
        self.mounts = Some(Cached {
            value,
            due: now + Duration::seconds(CONFIG_REFRESH_SECS),
        });
    }

    async fn read_roles(&mut self, interest: &Interest) {
        let now = Utc::now();
        self.roles.retain(|r, _| interest.roles.contains(r));
        let due: Vec<RoleRef> = interest
            .roles
            .iter()
            .filter(|r| self.roles.get(*r).is_none_or(|c| c.due <= now))
            .cloned()
            .collect();
        let http = &self.http;
        let results: Vec<_> = futures::stream::iter(due)
            .map(|r| async move {
                let path = format!("{}/role/{}", r.auth_path, r.role);
                let res = http.call("GET", &path, None).await;
                (r, path, res)
            })
            .buffered(self.cfg.concurrency)
            .collect()
            .await;
        for (r, path, res) in results {
            let value = match res {
                Ok(v) => Ok(parse_role(&r.auth_path, &r.role, data(&v))),
                Err(e) if e.code() == Some(404) => Ok(AuthRole::missing(&r.auth_path, &r.role)),
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: format!("role \"{}\" is not checked", r.role),
                }),
                Err(_) => continue,
            };
            let due = now + Duration::seconds(CONFIG_REFRESH_SECS);
            self.roles.insert(r, Cached { value, due });
        }
    }

    async fn read_policies(&mut self, wanted: &BTreeSet<String>) {
        let now = Utc::now();
        self.policies.retain(|n, _| wanted.contains(n));
        let due: Vec<String> = wanted
            .iter()
            .filter(|n| self.policies.get(*n).is_none_or(|c| c.due <= now))
            .cloned()
            .collect();
        let http = &self.http;
        let results: Vec<_> = futures::stream::iter(due)
            .map(|name| async move {
                let path = format!("sys/policies/acl/{name}");
                let res = http.call("GET", &path, None).await;
                (name, path, res)
            })
            .buffered(self.cfg.concurrency)
            .collect()
            .await;
        for (name, path, res) in results {
            let value = match res {
                Ok(v) => Ok(AclPolicy {
                    rules: opt_string(data(&v).get("policy").or(data(&v).get("rules"))),
                    name: name.clone(),
                }),
                Err(e) if e.code() == Some(404) => Ok(AclPolicy {
                    name: name.clone(),
                    rules: None,
                }),
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: format!(
                        "policy \"{name}\" is not checked against the workloads' paths"
                    ),
                }),
                Err(_) => continue,
            };
            let due = now + Duration::seconds(CONFIG_REFRESH_SECS);
            self.policies.insert(name, Cached { value, due });
        }
    }

    async fn read_kv(&mut self, paths: &BTreeSet<(String, String)>) {
        let now = Utc::now();
        let due: Vec<(String, String)> = paths
            .iter()
            .filter(|(m, p)| {
                self.kv
                    .get(&format!("{m}/{p}"))
                    .is_none_or(|c| c.due <= now)
            })
            .cloned()
            .collect();
        let http = &self.http;
        let results: Vec<_> = futures::stream::iter(due)
            .map(|(m, p)| async move {
                let path = format!("{m}/metadata/{p}");
                let res = http.call("GET", &path, None).await;
                (m, p, path, res)
            })
            .buffer_unordered(self.cfg.concurrency)
            .collect()
            .await;
        for (m, p, path, res) in results {
            let key = format!("{m}/{p}");
            let value = match res {
                Ok(v) => {
                    let d = data(&v);
                    Ok(KvMetadata {
                        mount: m,
                        path: p,
                        current_version: d
                            .get("current_version")
                            .and_then(Value::as_u64)
                            .unwrap_or(0),
                        updated_time: time(d.get("updated_time")),
                        created_time: time(d.get("created_time")),
                    })
                }
                Err(e) if e.code() == Some(404) => {
                    self.kv.remove(&key);
                    continue;
                }
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: "KV metadata (version, last rotation) is not shown".into(),
                }),
                Err(_) => continue,
            };
            let due = now + Duration::seconds(KV_REFRESH_SECS);
            self.kv.insert(key, Cached { value, due });
        }
    }

    async fn read_leases(&mut self, prefixes: &BTreeSet<String>, denied: &mut Vec<Denied>) {
        let http = &self.http;
        let lists: Vec<_> = futures::stream::iter(prefixes.iter().cloned())
            .map(|p| async move {
                let path = format!("sys/leases/lookup/{p}/");
                let res = http.call("LIST", &path, None).await;
                (p, path, res)
            })
            .buffered(self.cfg.concurrency)
            .collect()
            .await;
        let now = Utc::now();
        let mut due: Vec<(Option<DateTime<Utc>>, String)> = Vec::new();
        for (prefix, path, res) in lists {
            let listed: BTreeSet<String> = match res {
                // The list answers id suffixes: put the prefix back.
                Ok(v) => keys(&v)
                    .into_iter()
                    .filter(|k| !k.ends_with('/'))
                    .map(|k| format!("{prefix}/{k}"))
                    .collect(),
                Err(e) if e.code() == Some(404) => BTreeSet::new(),
                Err(e) => {
                    if e.code() == Some(403) {
                        denied.push(Denied {
                            path,
                            needed: &["list", "sudo"],
                            impact: format!("leases under {prefix}/ are not listed"),
                        });
                    }
                    continue;
                }
            };
            // Revoked or expired leases are no longer listed.
            self.leases
                .retain(|id, _| !id.starts_with(&format!("{prefix}/")) || listed.contains(id));
            for id in listed {
                match self.leases.get(&id) {
                    Some(c) if c.due > now => {}
                    Some(c) => due.push((c.value.expire_time, id)),
                    None => due.push((None, id)),
                }
            }
        }
        // New leases first, then the ones expiring soonest.
        due.sort();
        let results: Vec<_> = futures::stream::iter(due)
            .map(|(_, id)| async move {
                let res = http
                    .call("PUT", "sys/leases/lookup", Some(json!({ "lease_id": id })))
                    .await;
                (id, res)
            })
            .buffer_unordered(self.cfg.concurrency)
            .collect()
            .await;
        for (id, res) in results {
            match res {
                Ok(v) => match serde_json::from_value::<LeaseLookup>(data(&v).clone()) {
                    Ok(l) => {
                        let lease = Lease {
                            id: if l.id.is_empty() { id.clone() } else { l.id },
                            issue_time: l.issue_time,
                            expire_time: l.expire_time,
                            ttl_seconds: l.ttl,
                            renewable: l.renewable,
                            last_renewal: l.last_renewal,
                            max_ttl_seconds: None,
                        };
                        let due = next_refresh(now, lease.expire_time, self.interval(), &id);
                        self.leases.insert(id, Cached { value: lease, due });
                    }
                    Err(_) => {
                        self.leases.remove(&id);
                    }
                },
                // 400 "invalid lease": revoked between list and lookup.
                Err(ApiError::Status { code: 400, .. }) => {
                    self.leases.remove(&id);
                }
                Err(e) if e.code() == Some(403) => denied.push(Denied {
                    path: "sys/leases/lookup".into(),
                    needed: &["update"],
                    impact: "lease expiry times are not shown".into(),
                }),
                Err(_) => {}
            }
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_std(self.cfg.interval).unwrap_or(Duration::seconds(10))
    }

    async fn read_certs(&mut self, mounts: &BTreeSet<String>, denied: &mut Vec<Denied>) {
        let http = &self.http;
        let mut todo: Vec<(String, String)> = Vec::new();
        for m in mounts {
            let path = format!("{m}/certs");
            match http.call("LIST", &path, None).await {
                Ok(v) => {
                    let listed: BTreeSet<String> = keys(&v).into_iter().collect();
                    self.certs
                        .retain(|(cm, s), _| cm != m || listed.contains(s));
                    todo.extend(
                        listed
                            .into_iter()
                            .filter(|s| !self.certs.contains_key(&(m.clone(), s.clone())))
                            .map(|s| (m.clone(), s)),
                    );
                }
                Err(e) if e.code() == Some(403) => denied.push(Denied {
                    path,
                    needed: &["list"],
                    impact: format!("certificates of {m} are not shown"),
                }),
                Err(_) => {}
            }
        }
        let results: Vec<_> = futures::stream::iter(todo)
            .map(|(m, s)| async move {
                let res = http.call("GET", &format!("{m}/cert/{s}"), None).await;
                (m, s, res)
            })
            .buffer_unordered(self.cfg.concurrency)
            .collect()
            .await;
        for (m, s, res) in results {
            match res {
                Ok(v) => {
                    let d = data(&v);
                    let cert = d
                        .get("certificate")
                        .and_then(Value::as_str)
                        .and_then(|pem| super::pki::parse_pem(pem, &m, &s))
                        .map(|mut c| {
                            c.revoked = d
                                .get("revocation_time")
                                .and_then(Value::as_i64)
                                .is_some_and(|t| t > 0);
                            c
                        });
                    self.certs.insert((m, s), cert);
                }
                Err(e) if e.code() == Some(404) => {
                    self.certs.insert((m, s), None);
                }
                Err(_) => {}
            }
        }
    }

    async fn read_tokens(&mut self, denied: &mut Vec<Denied>) {
        let http = &self.http;
        let listed: BTreeSet<String> = match http.call("LIST", "auth/token/accessors", None).await {
            Ok(v) => keys(&v).into_iter().collect(),
            Err(e) => {
                if e.code() == Some(403) {
                    denied.push(Denied {
                        path: "auth/token/accessors".into(),
                        needed: &["list", "sudo"],
                        impact: "agent tokens (TTL countdowns) are not shown".into(),
                    });
                }
                return;
            }
        };
        self.tokens.retain(|a, _| listed.contains(a));
        let now = Utc::now();
        let mut due: Vec<(Option<DateTime<Utc>>, String)> = listed
            .into_iter()
            .filter_map(|a| match self.tokens.get(&a) {
                None => Some((None, a)),
                // Tokens of no interest never become interesting: their
                // metadata does not change.
                Some(c) => match &c.value {
                    Some(t) if c.due <= now => Some((t.expire_time, a)),
                    _ => None,
                },
            })
            .collect();
        due.sort();
        let results: Vec<_> = futures::stream::iter(due)
            .map(|(_, a)| async move {
                let res = http
                    .call(
                        "POST",
                        "auth/token/lookup-accessor",
                        Some(json!({ "accessor": a })),
                    )
                    .await;
                (a, res)
            })
            .buffer_unordered(self.cfg.concurrency)
            .collect()
            .await;
        let mut forbidden = false;
        for (a, res) in results {
            match res {
                Ok(v) => {
                    let t = parse_token(data(&v));
                    let due = next_refresh(
                        now,
                        t.as_ref().and_then(|t| t.expire_time),
                        self.interval(),
                        &a,
                    );
                    self.tokens.insert(a, Cached { value: t, due });
                }
                Err(e) if e.code() == Some(403) => forbidden = true,
                Err(_) => {}
            }
        }
        if forbidden {
            denied.push(Denied {
                path: "auth/token/lookup-accessor".into(),
                needed: &["update"],
                impact: "agent tokens (TTL countdowns) are not shown".into(),
            });
        }
    }

    /// Name the capability each denied request lacks, asking
    /// `sys/capabilities-self` (one request for all paths not yet explained).
    async fn explain(&mut self, denied: Vec<Denied>) -> Vec<PermissionProblem> {
        let new: Vec<&Denied> = denied
            .iter()
            .filter(|d| !self.explained.contains_key(&d.path))
            .collect();
        if !new.is_empty() {
            let paths: Vec<String> = new.iter().map(|d| d.path.clone()).collect();
            let have: Option<Value> = self
                .http
                .call(
                    "POST",
                    "sys/capabilities-self",
                    Some(json!({ "paths": paths })),
                )
                .await
                .ok();
            let Some(have) = have else {
                // No answer: name every capability the calls need, and ask
                // again next cycle.
                let out: BTreeSet<PermissionProblem> = denied
                    .iter()
                    .map(|d| PermissionProblem {
                        path: d.path.clone(),
                        capability: d.needed.join(", "),
                        impact: d.impact.clone(),
                    })
                    .collect();
                return out.into_iter().collect();
            };
            for d in new {
                let caps: Option<Vec<String>> = data(&have)
                    .get(&d.path)
                    .or(have.get(&d.path))
                    .map(|c| strings(Some(c)));
                let missing: Vec<&str> = match &caps {
                    Some(c) if !c.iter().any(|x| x == "root") => d
                        .needed
                        .iter()
                        .copied()
                        .filter(|n| !c.iter().any(|x| x == n))
                        .collect(),
                    _ => Vec::new(),
                };
                let missing = if missing.is_empty() {
                    d.needed.to_vec()
                } else {
                    missing
                };
                let problem = PermissionProblem {
                    path: d.path.clone(),
                    capability: missing.join(", "),
                    impact: d.impact.clone(),
                };
                self.explained.insert(d.path.clone(), problem);
            }
        }
        let out: BTreeSet<PermissionProblem> = denied
            .iter()
            .filter_map(|d| self.explained.get(&d.path).cloned())
            .collect();
        out.into_iter().collect()
    }
}

fn parse_mounts(v: &Value) -> Vec<MountInfo> {
    let d = data(v);
    let Some(map) = d.as_object() else {
        return Vec::new();
    };
    let mut out: Vec<MountInfo> = map
        .iter()
        .filter(|(k, m)| k.ends_with('/') && m.get("type").is_some())
        .map(|(k, m)| {
            let kind = m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let version = m.pointer("/options/version").and_then(Value::as_str);
            MountInfo {
                path: k.trim_end_matches('/').to_string(),
                engine: classify(&kind, version),
                kind,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn parse_role(auth_path: &str, name: &str, d: &Value) -> AuthRole {
    let mut policies = strings(d.get("token_policies"));
    if policies.is_empty() {
        policies = strings(d.get("policies"));
    }
    AuthRole {
        auth_path: auth_path.to_string(),
        name: name.to_string(),
        found: true,
        bound_service_account_names: strings(d.get("bound_service_account_names")),
        bound_service_account_namespaces: strings(d.get("bound_service_account_namespaces")),
        bound_service_account_namespace_selector: opt_string(
            d.get("bound_service_account_namespace_selector"),
        ),
        audience: opt_string(d.get("audience")),
        token_policies: policies,
        token_no_default_policy: d
            .get("token_no_default_policy")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        token_ttl: d.get("token_ttl").and_then(Value::as_i64),
        token_max_ttl: d.get("token_max_ttl").and_then(Value::as_i64),
    }
}

/// A token lookup, kept only when its kubernetes-auth metadata names a
/// service account.
fn parse_token(d: &Value) -> Option<AgentToken> {
    let meta = d.get("meta")?;
    let sa = opt_string(meta.get("service_account_name"))?;
    let ns = opt_string(meta.get("service_account_namespace"))?;
    Some(AgentToken {
        display_name: opt_string(d.get("display_name")).unwrap_or_default(),
        role: opt_string(meta.get("role")),
        service_account_name: sa,
        service_account_namespace: ns,
        policies: strings(d.get("policies")),
        issue_time: time(d.get("issue_time")),
        expire_time: time(d.get("expire_time")),
        ttl_seconds: d.get("ttl").and_then(Value::as_i64).unwrap_or(0),
        renewable: d.get("renewable").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn refresh_comes_sooner_as_expiry_nears() {
        let now = t("2026-01-01T00:00:00Z");
        let i = Duration::seconds(10);
        let far = next_refresh(now, Some(now + Duration::hours(10)), i, "a") - now;
        let near = next_refresh(now, Some(now + Duration::seconds(200)), i, "a") - now;
        assert!(far >= Duration::seconds(MAX_REFRESH_SECS));
        assert!(near >= i && near < Duration::seconds(30), "{near}");
        assert!(far <= Duration::seconds(MAX_REFRESH_SECS * 6 / 5));
    }

    #[test]
    fn mounts_and_roles_parse() {
        let v = json!({"data": {
            "secret/": {"type": "kv", "options": {"version": "2"}},
            "kv1/": {"type": "kv", "options": null},
            "database/": {"type": "database"},
            "pki/": {"type": "pki"},
            "sys/": {"type": "system"}
        }});
        let m = parse_mounts(&v);
        let e: Vec<_> = m.iter().map(|m| (m.path.as_str(), m.engine)).collect();
        assert!(e.contains(&("secret", Engine::KvV2)));
        assert!(e.contains(&("kv1", Engine::KvV1)));
        assert!(e.contains(&("pki", Engine::Pki)));
        let r = parse_role(
            "auth/kubernetes",
            "ledger",
            &json!({"bound_service_account_names": ["ledger-writer"],
                    "bound_service_account_namespaces": ["payments"],
                    "bound_service_account_namespace_selector": "",
                    "token_policies": ["ledger"], "policies": ["ledger"]}),
        );
        assert_eq!(r.bound_service_account_names, vec!["ledger-writer"]);
        assert_eq!(r.bound_service_account_namespace_selector, None);
        assert_eq!(r.effective_policies(), vec!["ledger", "default"]);
        assert!(guess("database/creds/x").is_some_and(|m| m.engine == Engine::Database));
    }

    #[test]
    fn tokens_without_kubernetes_metadata_are_of_no_interest() {
        assert!(parse_token(&json!({"meta": null, "display_name": "root"})).is_none());
        let tok = parse_token(&json!({
            "meta": {"role": "billing", "service_account_name": "billing-api",
                     "service_account_namespace": "payments"},
            "expire_time": "2026-01-01T01:00:00.123456789Z", "ttl": 3600
        }))
        .unwrap();
        assert_eq!(tok.service_account_name, "billing-api");
        assert!(tok.expire_time.is_some());
    }
}
