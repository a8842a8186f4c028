//! The poller: one cycle reads what the [`Interest`] asks for, within the
//! request budget, and returns a [`VaultSnapshot`]. It only reads: no secret
//! data (KV metadata only), no `database/creds` reads, no PKI issue, and lease
//! and token lookups by id / accessor.
//!
//! What each step reads is decided by the pure [`Planner`] and cut to its
//! kind's share of the cycle by the pure [`Ration`]; this sends the reads
//! (bounded concurrency; the budget's count and throttling are the HTTP
//! layer's) and folds the answers into what is [`Known`] and the snapshot.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::VaultConfig;
use super::http::{ApiError, Http, quote};
use super::plan::{
    self, Cached, Denied, Kind, Known, Places, Plan, Planner, Ration, Read, next_refresh,
};
use super::snapshot::VaultSnapshot;
use super::typed;
use crate::model::interest::Interest;
use crate::model::vault::{
    AclPolicy, AgentToken, AuthBackendConfig, AuthRole, Engine, KvMetadata, Lease, MountInfo,
    PermissionProblem, VaultHealth,
};
use crate::safe::display_address;
use crate::sources::ca;

/// A response's `data` (the answer itself when it has none).
pub fn data(v: &Value) -> &Value {
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

fn classify(kind: &str, version: Option<&str>) -> Engine {
    match kind {
        "kv" if version == Some("2") => Engine::KvV2,
        "kv" | "generic" => Engine::KvV1,
        "database" => Engine::Database,
        "pki" => Engine::Pki,
        _ => Engine::Other,
    }
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

/// How a step's reads are sent; each step keeps the pace it always had.
#[derive(Clone, Copy)]
enum Pace {
    /// Up to the concurrency at once, the answers in plan order.
    InOrder,
    /// Up to the concurrency at once, the answers as they come.
    AsDone,
    /// One after the other.
    OneByOne,
}

type Answers = Vec<(Read, Result<Value, ApiError>)>;

/// The kinds a cycle reads again when budget is left after every step:
/// the lookups (the LISTs and config are read once a cycle).
const AGAIN: [Kind; 4] = [Kind::Kv, Kind::Lease, Kind::Cert, Kind::Token];

/// What one LIST last returned.
enum ListAnswer {
    Leases(BTreeSet<String>),
    Certs(BTreeSet<(String, String)>),
    Accessors(BTreeSet<String>),
}

/// What the LISTs the workloads need last returned.
#[derive(Default)]
struct Listed {
    leases: BTreeSet<String>,
    certs: BTreeSet<(String, String)>,
    /// `None` when the accessors were not listed this cycle.
    tokens: Option<BTreeSet<String>>,
}

/// The live Vault source's state between cycles.
pub struct Poller {
    cfg: VaultConfig,
    http: Http,
    known: Known,
    /// Permission problems already explained (by path).
    explained: BTreeMap<String, PermissionProblem>,
    /// The last cycle left reads due for want of budget.
    behind: bool,
    /// Each LIST's last answer (by path), for the cycles in between.
    lists: BTreeMap<String, ListAnswer>,
}

impl Poller {
    pub fn new(cfg: VaultConfig) -> Result<Poller, String> {
        let http = Http::new(&cfg)?;
        Ok(Poller {
            cfg,
            http,
            known: Known::default(),
            explained: BTreeMap::new(),
            behind: false,
            lists: BTreeMap::new(),
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

    /// The last cycle's budget ran out with reads still due: the next cycle
    /// need not wait a whole interval (see `super::run`).
    pub fn behind(&self) -> bool {
        self.behind
    }

    /// One cycle: each step is planned from what is known by then, sent, and
    /// folded in before the next is planned.
    pub async fn poll(&mut self, interest: &Interest) -> VaultSnapshot {
        self.http.reset(self.cfg.budget);
        self.behind = false;
        let mut snap = VaultSnapshot {
            address: Some(display_address(&self.cfg.address)),
            ..Default::default()
        };
        if !self.open(&mut snap).await {
            return snap;
        }
        let mut ration = Ration::new(self.cfg.budget);
        let mut denied: Vec<Denied> = Vec::new();
        self.read_config(interest, &mut ration, &mut snap, &mut denied)
            .await;
        let places = plan::locate(&interest.secret_paths, &snap.mounts);
        self.expect_early(interest, &places, &mut ration);
        self.read_kv(interest, &places, &mut ration).await;
        let listed = self
            .read_lists(interest, &places, &mut ration, &mut denied)
            .await;
        self.read_lookups(interest, &listed, &mut ration, &mut denied)
            .await;
        let left = self.left();
        let again = AGAIN.iter().any(|k| ration.cut_short(*k));
        self.behind = [Kind::Config, Kind::List]
            .iter()
            .any(|k| ration.cut_short(*k));
        if again && left > 0 {
            // Some kind was held to its share while others left theirs
            // unused: the rest of the budget goes to what is still due.
            let mut rest = ration.rest(left, &AGAIN);
            self.read_kv(interest, &places, &mut rest).await;
            self.read_lookups(interest, &listed, &mut rest, &mut denied)
                .await;
            self.behind |= AGAIN.iter().any(|k| rest.cut_short(*k));
        } else {
            self.behind |= again;
        }
        self.show(interest, &places, &mut snap, &mut denied);
        snap.permission_problems = self.explain(denied).await;
        snap
    }

    /// What the KV and LIST steps have due, and whether any certificate or
    /// token can be looked up at all: a kind with nothing to do leaves its
    /// share to the others from the first step on.
    fn expect_early(&self, interest: &Interest, places: &Places, ration: &mut Ration) {
        let p = self.planner(interest, Utc::now());
        ration.expect(Kind::Kv, p.kv(places).reads.len());
        ration.expect(Kind::List, p.lists(places).reads.len());
        let wanted = p.wanted_lists(places);
        if !wanted.iter().any(|r| matches!(r, Read::CertList(_))) {
            ration.expect(Kind::Cert, 0);
        }
        if !wanted.contains(&Read::Accessors) {
            ration.expect(Kind::Token, 0);
        }
    }

    /// The lease, certificate and token lookups the LISTs lead to; all
    /// their demands are known before the first is cut to its share.
    async fn read_lookups(
        &mut self,
        interest: &Interest,
        listed: &Listed,
        ration: &mut Ration,
        denied: &mut Vec<Denied>,
    ) {
        let now = Utc::now();
        {
            let p = self.planner(interest, now);
            ration.expect(Kind::Lease, p.leases(&listed.leases).reads.len());
            ration.expect(Kind::Cert, p.certs(&listed.certs).reads.len());
            let tokens = listed
                .tokens
                .as_ref()
                .map_or(0, |t| p.tokens(t).reads.len());
            ration.expect(Kind::Token, tokens);
        }
        self.read_leases(interest, &listed.leases, ration, denied)
            .await;
        self.read_certs(interest, &listed.certs, ration).await;
        if let Some(t) = &listed.tokens {
            self.read_tokens(interest, t, ration, denied).await;
        }
    }

    /// Health into `snap`; whether the cycle goes on (Vault serves and
    /// there is a token to read with).
    async fn open(&self, snap: &mut VaultSnapshot) -> bool {
        match self.http.health().await {
            Err(e) => {
                snap.unreachable = Some(e.to_string());
                return false;
            }
            Ok(v) => match serde_json::from_value::<VaultHealth>(v) {
                Ok(h) => snap.health = Some(h),
                Err(e) => {
                    snap.unreachable = Some(format!("sys/health: {e}"));
                    return false;
                }
            },
        }
        snap.captured_at = Some(Utc::now());
        if !snap.is_serving() {
            return false;
        }
        if !self.http.has_token() {
            snap.permission_problems.push(PermissionProblem {
                path: "(token)".into(),
                capability: "token".into(),
                impact: "only health is shown".into(),
            });
            return false;
        }
        true
    }

    /// The next step's planner.
    fn planner<'a>(&'a self, interest: &'a Interest, now: DateTime<Utc>) -> Planner<'a> {
        Planner {
            interest,
            known: &self.known,
            now,
            list_every: self.interval(),
        }
    }

    /// Requests left in this cycle. Once Vault throttles, every request is
    /// refused until the next cycle, so nothing more is planned.
    fn left(&self) -> usize {
        if self.http.throttled() {
            0
        } else {
            self.http.budget_left()
        }
    }

    /// `plan` cut to its share of the cycle.
    fn ration(&self, ration: &mut Ration, plan: Plan) -> Plan {
        ration.take(plan, self.left())
    }

    async fn send(&self, plan: Plan, pace: Pace) -> Answers {
        let http = &self.http;
        let calls = futures::stream::iter(plan.reads).map(|read| async move {
            let res = http.call(read.method(), &read.path(), read.body()).await;
            (read, res)
        });
        match pace {
            Pace::InOrder => calls.buffered(self.cfg.concurrency).collect().await,
            Pace::AsDone => calls.buffer_unordered(self.cfg.concurrency).collect().await,
            Pace::OneByOne => calls.buffered(1).collect().await,
        }
    }

    /// Mounts, roles, the policies the roles name and the configuration of
    /// the auth mounts they are on: few requests, re-read every minute.
    async fn read_config(
        &mut self,
        interest: &Interest,
        ration: &mut Ration,
        snap: &mut VaultSnapshot,
        denied: &mut Vec<Denied>,
    ) {
        self.read_mounts(interest, ration).await;
        match self.known.mounts.as_ref().map(|c| &c.value) {
            Some(Ok(m)) => snap.mounts = m.clone(),
            Some(Err(d)) => denied.push(d.clone()),
            None => {}
        }
        self.read_roles(interest, ration).await;
        for r in &interest.roles {
            match self.known.roles.get(r).map(|c| &c.value) {
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
        self.read_policies(interest, &wanted, ration).await;
        for name in &wanted {
            match self.known.policies.get(name).map(|c| &c.value) {
                Some(Ok(p)) => snap.policies.push(p.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }
        self.read_auth_configs(interest, ration).await;
        for m in interest.auth_mounts() {
            match self.known.auth_configs.get(m).map(|c| &c.value) {
                Some(Ok(c)) => snap.auth_configs.push(c.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }
    }

    async fn read_auth_configs(&mut self, interest: &Interest, ration: &mut Ration) {
        let now = Utc::now();
        let mounts = interest.auth_mounts();
        self.known
            .auth_configs
            .retain(|m, _| mounts.contains(m.as_str()));
        let plan = self.planner(interest, now).auth_configs();
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::InOrder).await {
            let path = read.path();
            let Read::AuthConfig(mount) = read else {
                continue;
            };
            let value = match res {
                Ok(v) => Ok(parse_auth_config(&mount, data(&v))),
                Err(e) if e.code() == Some(404) => Ok(AuthBackendConfig::missing(&mount)),
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: format!(
                        "the kubernetes auth backend at {mount} is not checked against the cluster"
                    ),
                }),
                Err(_) => continue,
            };
            let due = plan::config_due(now);
            self.known.auth_configs.insert(mount, Cached { value, due });
        }
    }

    async fn read_mounts(&mut self, interest: &Interest, ration: &mut Ration) {
        let now = Utc::now();
        let plan = self.planner(interest, now).mounts();
        let plan = self.ration(ration, plan);
        for (_, res) in self.send(plan, Pace::OneByOne).await {
            let value = match res {
                Ok(v) => Ok(parse_mounts(&v)),
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path: "sys/mounts".into(),
                    needed: &["read"],
                    impact: "secrets engines are guessed from the path shape".into(),
                }),
                Err(_) => continue,
            };
            let due = plan::config_due(now);
            self.known.mounts = Some(Cached { value, due });
        }
    }

    async fn read_roles(&mut self, interest: &Interest, ration: &mut Ration) {
        let now = Utc::now();
        self.known.roles.retain(|r, _| interest.roles.contains(r));
        let plan = self.planner(interest, now).roles();
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::InOrder).await {
            let path = read.path();
            let Read::Role(r) = read else { continue };
            let value = match res {
                Ok(v) => Ok(parse_role(&r.auth_path, &r.role, data(&v))),
                Err(e) if e.code() == Some(404) => Ok(if no_handler(&e) {
                    AuthRole::without_mount(&r.auth_path, &r.role)
                } else {
                    AuthRole::missing(&r.auth_path, &r.role)
                }),
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: format!("role \"{}\" is not checked", r.role),
                }),
                Err(_) => continue,
            };
            let due = plan::config_due(now);
            self.known.roles.insert(r, Cached { value, due });
        }
    }

    async fn read_policies(
        &mut self,
        interest: &Interest,
        wanted: &BTreeSet<String>,
        ration: &mut Ration,
    ) {
        let now = Utc::now();
        self.known.policies.retain(|n, _| wanted.contains(n));
        let plan = self.planner(interest, now).policies(wanted);
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::InOrder).await {
            let path = read.path();
            let Read::Policy(name) = read else { continue };
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
            let due = plan::config_due(now);
            self.known.policies.insert(name, Cached { value, due });
        }
    }

    async fn read_kv(&mut self, interest: &Interest, places: &Places, ration: &mut Ration) {
        let now = Utc::now();
        let plan = self.planner(interest, now).kv(places);
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::AsDone).await {
            let path = read.path();
            let Read::KvMetadata { mount, path: p } = read else {
                continue;
            };
            let key = format!("{mount}/{p}");
            let value = match res {
                Ok(v) => match typed::decode::<typed::ReadSecretMetadataResponse>(&v) {
                    Ok(m) => Ok(KvMetadata {
                        mount,
                        path: p,
                        current_version: m.current_version,
                        updated_time: m.updated_time.parse().ok(),
                        created_time: m.created_time.parse().ok(),
                    }),
                    Err(_) => continue,
                },
                Err(e) if e.code() == Some(404) => {
                    self.known.kv.remove(&key);
                    continue;
                }
                Err(e) if e.code() == Some(403) => Err(Denied {
                    path,
                    needed: &["read"],
                    impact: "KV metadata (version, last rotation) is not shown".into(),
                }),
                Err(_) => continue,
            };
            let due = plan::kv_due(now);
            self.known.kv.insert(key, Cached { value, due });
        }
    }

    /// The LISTs due (lease prefixes, PKI mounts, accessors), in one step,
    /// the leases and certificates no longer listed forgotten; what the
    /// LISTs the workloads need last returned, this cycle or before.
    async fn read_lists(
        &mut self,
        interest: &Interest,
        places: &Places,
        ration: &mut Ration,
        denied: &mut Vec<Denied>,
    ) -> Listed {
        let now = Utc::now();
        let wanted: BTreeSet<String> = self
            .planner(interest, now)
            .wanted_lists(places)
            .iter()
            .map(Read::path)
            .collect();
        self.known.listed.retain(|p, _| wanted.contains(p));
        self.lists.retain(|p, _| wanted.contains(p));
        let plan = self.planner(interest, now).lists(places);
        let plan = self.ration(ration, plan);
        for r in &plan.reads {
            self.known.listed.insert(r.path(), now);
        }
        for (read, res) in self.send(plan, Pace::InOrder).await {
            let path = read.path();
            let answer = match read {
                Read::LeaseList(prefix) => self.fold_lease_list(&prefix, res, denied),
                Read::CertList(mount) => self.fold_cert_list(&mount, res, denied),
                Read::Accessors => self.fold_accessors(res, denied),
                _ => continue,
            };
            match answer {
                Some(Some(a)) => {
                    self.lists.insert(path, a);
                }
                // Denied: nothing under it is looked up.
                Some(None) => {
                    self.lists.remove(&path);
                }
                // No answer: the last one stands.
                None => {}
            }
        }
        let mut listed = Listed::default();
        for answer in self.lists.values() {
            match answer {
                ListAnswer::Leases(ids) => listed.leases.extend(ids.iter().cloned()),
                ListAnswer::Certs(c) => listed.certs.extend(c.iter().cloned()),
                ListAnswer::Accessors(a) => listed.tokens = Some(a.clone()),
            }
        }
        listed
    }

    async fn read_leases(
        &mut self,
        interest: &Interest,
        listed: &BTreeSet<String>,
        ration: &mut Ration,
        denied: &mut Vec<Denied>,
    ) {
        let now = Utc::now();
        let plan = self.planner(interest, now).leases(listed);
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::AsDone).await {
            if let Read::Lease(id) = read {
                self.fold_lease(id, res, now, denied);
            }
        }
    }

    /// Forgets the leases no longer listed under `prefix`. The ids listed;
    /// `Some(None)` when the LIST was denied, `None` when it failed.
    fn fold_lease_list(
        &mut self,
        prefix: &str,
        res: Result<Value, ApiError>,
        denied: &mut Vec<Denied>,
    ) -> Option<Option<ListAnswer>> {
        let listed: BTreeSet<String> = match res {
            // The list answers id suffixes: put the prefix back.
            Ok(v) => keys(&v)
                .into_iter()
                .filter(|k| !k.ends_with('/'))
                .map(|k| format!("{prefix}/{k}"))
                .collect(),
            Err(e) if e.code() == Some(404) => BTreeSet::new(),
            Err(e) if e.code() == Some(403) => {
                denied.push(Denied {
                    path: format!("sys/leases/lookup/{prefix}/"),
                    needed: &["list", "sudo"],
                    impact: format!("leases under {prefix}/ are not listed"),
                });
                return Some(None);
            }
            Err(_) => return None,
        };
        // Revoked or expired leases are no longer listed.
        let under = format!("{prefix}/");
        self.known
            .leases
            .retain(|id, _| !id.starts_with(&under) || listed.contains(id));
        Some(Some(ListAnswer::Leases(listed)))
    }

    fn fold_lease(
        &mut self,
        id: String,
        res: Result<Value, ApiError>,
        now: DateTime<Utc>,
        denied: &mut Vec<Denied>,
    ) {
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
                    self.known.leases.insert(id, Cached { value: lease, due });
                }
                Err(_) => {
                    self.known.leases.remove(&id);
                }
            },
            // 400 "invalid lease": revoked between list and lookup.
            Err(ApiError::Status { code: 400, .. }) => {
                self.known.leases.remove(&id);
            }
            Err(e) if e.code() == Some(403) => denied.push(Denied {
                path: "sys/leases/lookup".into(),
                needed: &["update"],
                impact: "lease expiry times are not shown".into(),
            }),
            Err(_) => {}
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_std(self.cfg.interval).unwrap_or(Duration::seconds(10))
    }

    async fn read_certs(
        &mut self,
        interest: &Interest,
        listed: &BTreeSet<(String, String)>,
        ration: &mut Ration,
    ) {
        let plan = self.planner(interest, Utc::now()).certs(listed);
        let plan = self.ration(ration, plan);
        for (read, res) in self.send(plan, Pace::AsDone).await {
            let Read::Cert { mount, serial } = read else {
                continue;
            };
            match res {
                Ok(v) => {
                    let cert = typed::decode::<typed::ReadCertificateResponse>(&v)
                        .ok()
                        .and_then(|r| {
                            let mut c = super::pki::parse_pem(&r.certificate, &mount, &serial)?;
                            c.revoked = r.revocation_time > 0;
                            Some(c)
                        });
                    self.known.certs.insert((mount, serial), cert);
                }
                Err(e) if e.code() == Some(404) => {
                    self.known.certs.insert((mount, serial), None);
                }
                Err(_) => {}
            }
        }
    }

    /// Forgets the certificates of `m` no longer listed; `(mount, serial)`
    /// of those listed, as [`Poller::fold_lease_list`].
    fn fold_cert_list(
        &mut self,
        m: &str,
        res: Result<Value, ApiError>,
        denied: &mut Vec<Denied>,
    ) -> Option<Option<ListAnswer>> {
        match res {
            Ok(v) => {
                let list = typed::decode::<typed::ListCertificatesResponse>(&v).ok()?;
                let listed: BTreeSet<String> = list.keys.into_iter().collect();
                self.known
                    .certs
                    .retain(|(cm, s), _| cm != m || listed.contains(s));
                let certs = listed.into_iter().map(|s| (m.to_string(), s)).collect();
                Some(Some(ListAnswer::Certs(certs)))
            }
            Err(e) if e.code() == Some(403) => {
                denied.push(Denied {
                    path: format!("{m}/certs"),
                    needed: &["list"],
                    impact: format!("certificates of {m} are not shown"),
                });
                Some(None)
            }
            Err(_) => None,
        }
    }

    /// The accessors listed, the tokens no longer listed forgotten; as
    /// [`Poller::fold_lease_list`].
    fn fold_accessors(
        &mut self,
        res: Result<Value, ApiError>,
        denied: &mut Vec<Denied>,
    ) -> Option<Option<ListAnswer>> {
        let listed: BTreeSet<String> = match res {
            Ok(v) => typed::decode::<typed::ListAccessorResponse>(&v)
                .ok()?
                .keys
                .into_iter()
                .collect(),
            Err(e) if e.code() == Some(403) => {
                denied.push(Denied {
                    path: "auth/token/accessors".into(),
                    needed: &["list", "sudo"],
                    impact: "agent tokens (TTL countdowns) are not shown".into(),
                });
                return Some(None);
            }
            Err(_) => return None,
        };
        self.known.tokens.retain(|a, _| listed.contains(a));
        Some(Some(ListAnswer::Accessors(listed)))
    }

    async fn read_tokens(
        &mut self,
        interest: &Interest,
        listed: &BTreeSet<String>,
        ration: &mut Ration,
        denied: &mut Vec<Denied>,
    ) {
        let now = Utc::now();
        let plan = self.planner(interest, now).tokens(listed);
        let plan = self.ration(ration, plan);
        let mut forbidden = false;
        for (read, res) in self.send(plan, Pace::AsDone).await {
            let Read::Token { accessor } = read else {
                continue;
            };
            match res {
                Ok(v) => {
                    let Ok(t) = typed::decode::<typed::LookupTokenResponse>(&v) else {
                        continue;
                    };
                    let t = agent_token(t);
                    let expire = t.as_ref().and_then(|t| t.expire_time);
                    let due = next_refresh(now, expire, self.interval(), &accessor);
                    self.known.tokens.insert(accessor, Cached { value: t, due });
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

    /// What is known of the workloads' secrets into the snapshot (KV, leases,
    /// certificates, tokens), with the KV reads that were denied.
    fn show(
        &self,
        interest: &Interest,
        places: &Places,
        snap: &mut VaultSnapshot,
        denied: &mut Vec<Denied>,
    ) {
        for (m, p) in &places.kv {
            match self.known.kv.get(&format!("{m}/{p}")).map(|c| &c.value) {
                Some(Ok(k)) => snap.kv.push(k.clone()),
                Some(Err(d)) => denied.push(d.clone()),
                None => {}
            }
        }
        snap.leases = self
            .known
            .leases
            .iter()
            .filter(|(id, _)| {
                places
                    .lease_prefixes
                    .iter()
                    .any(|p| id.starts_with(&format!("{p}/")))
            })
            .map(|(_, c)| c.value.clone())
            .collect();
        snap.certificates = self
            .known
            .certs
            .iter()
            .filter(|((m, _), _)| places.pki.contains(m))
            .filter_map(|(_, c)| c.clone())
            .filter(|c| c.names().any(|n| interest.common_names.contains(n)))
            .collect();
        snap.tokens = self
            .known
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

/// `sys/mounts` as mounts with their engines.
pub fn parse_mounts(v: &Value) -> Vec<MountInfo> {
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

/// A 404 from Vault's router rather than from a backend: nothing is mounted
/// there (`no handler for route "auth/k8s/role/x". route entry not found.`;
/// a role the mount lacks is a bare 404 with no errors).
fn no_handler(e: &ApiError) -> bool {
    matches!(e, ApiError::Status { errors, .. } if errors.iter().any(|m| m.contains("no handler for route")))
}

/// A kubernetes auth role's `data`.
pub fn parse_role(auth_path: &str, name: &str, d: &Value) -> AuthRole {
    let mut policies = strings(d.get("token_policies"));
    if policies.is_empty() {
        policies = strings(d.get("policies"));
    }
    AuthRole {
        auth_path: auth_path.to_string(),
        name: name.to_string(),
        found: true,
        mount_missing: false,
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

/// `GET auth/<mount>/config`, keeping no PEM: the CA as fingerprints, the
/// signature keys as a count. The reviewer JWT is never in the answer (only
/// `token_reviewer_jwt_set`, vault-plugin-auth-kubernetes path_config.go).
pub fn parse_auth_config(auth_path: &str, d: &Value) -> AuthBackendConfig {
    let ca = d
        .get("kubernetes_ca_cert")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let flag = |k: &str| d.get(k).and_then(Value::as_bool);
    AuthBackendConfig {
        auth_path: auth_path.to_string(),
        found: true,
        kubernetes_host: d
            .get("kubernetes_host")
            .and_then(Value::as_str)
            .map(|h| quote(&display_address(h)))
            .unwrap_or_default(),
        ca_set: !ca.trim().is_empty(),
        ca_certs: ca::from_pem(ca),
        pem_keys: d
            .get("pem_keys")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        issuer: opt_string(d.get("issuer")).map(|i| quote(&i)),
        disable_iss_validation: flag("disable_iss_validation"),
        disable_local_ca_jwt: flag("disable_local_ca_jwt"),
        token_reviewer_jwt_set: flag("token_reviewer_jwt_set"),
    }
}

/// A token lookup, kept only when its kubernetes-auth metadata names a
/// service account.
fn agent_token(t: typed::LookupTokenResponse) -> Option<AgentToken> {
    let meta = t.meta?;
    let get = |k: &str| meta.get(k).filter(|v| !v.is_empty()).cloned();
    Some(AgentToken {
        role: get("role"),
        service_account_name: get("service_account_name")?,
        service_account_namespace: get("service_account_namespace")?,
        display_name: t.display_name,
        policies: t.policies.into_iter().filter(|p| !p.is_empty()).collect(),
        issue_time: t.issue_time.and_then(|s| s.parse().ok()),
        expire_time: t.expire_time.and_then(|s| s.parse().ok()),
        ttl_seconds: i64::try_from(t.ttl).unwrap_or(i64::MAX),
        renewable: t.renewable.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn a_404_from_the_router_means_no_mount() {
        // OpenBao 2.7's answers (the workshop lab): a mount that does not
        // exist, and a role its mount lacks.
        let gone = ApiError::Status {
            code: 404,
            errors: vec![super::super::http::quote(
                "no handler for route \"auth/k8s/role/webapp\". route entry not found.",
            )],
        };
        assert!(no_handler(&gone));
        let missing = ApiError::Status {
            code: 404,
            errors: vec![],
        };
        assert!(!no_handler(&missing));
    }

    #[test]
    fn an_auth_config_keeps_fingerprints_and_flags_never_pem() {
        // The shape OpenBao 2.x and Vault 1.16+ answer (path_config.go).
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBkTCCATegAwIBAgIUcOOx42J2lrdKWT3oLJmxd31BdgIwCgYIKoZIzj0EAwIw\nHTEbMBkGA1UEAwwSdmF1bHRzY29wZSB0ZXN0IENBMCAXDTI2MTEyOTE4MTU1MloY\nDzIxMjYxMTA1MTgxNTUyWjAdMRswGQYDVQQDDBJ2YXVsdHNjb3BlIHRlc3QgQ0Ew\nWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQoAwgFDbSoaGfwtQEOt3URQ/SU/y+F\nREJneGCem6tEp7bK0N2UId9BSvoSznnKSENajv4jlbSyLyXpxTqWzLjGo1MwUTAd\nBgNVHQ4EFgQUjAkCP/jXRNxMgNFMtV2lgF4J4mMwHwYDVR0jBBgwFoAUjAkCP/jX\nRNxMgNFMtV2lgF4J4mMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\nAiEA1slNEkaPU+lhXdU/Lr5FI6MUwH7lWOyHOpKQOEMY0zoCIDmOPF+r99kboiWV\nkH5Ku5vCJHzbGon2XdLTm/d7ko5s\n-----END CERTIFICATE-----\n";
        let v = json!({"data": {
            "kubernetes_host": "https://admin:pw@203.0.113.10:6443/",
            "kubernetes_ca_cert": pem,
            "pem_keys": [],
            "issuer": "",
            "disable_iss_validation": true,
            "disable_local_ca_jwt": true,
            "token_reviewer_jwt_set": false
        }});
        let c = parse_auth_config("auth/kubernetes", data(&v));
        assert!(c.found && c.ca_set);
        assert_eq!(c.kubernetes_host, "https://203.0.113.10:6443");
        assert_eq!(c.ca_certs.len(), 1);
        assert_eq!(c.ca_certs[0].subject, "CN=vaultscope test CA");
        assert_eq!(c.issuer, None);
        assert_eq!(c.token_reviewer_jwt_set, Some(false));
        assert_eq!(c.disable_local_ca_jwt, Some(true));
        let kept = serde_json::to_string(&c).unwrap();
        assert!(
            !kept.contains("BEGIN CERTIFICATE") && !kept.contains("MIIB"),
            "{kept}"
        );
        // An older server: no token_reviewer_jwt_set, and no CA.
        let old = parse_auth_config(
            "auth/k8s",
            &json!({"kubernetes_host": "https://k8s.example", "kubernetes_ca_cert": ""}),
        );
        assert_eq!(old.token_reviewer_jwt_set, None);
        assert!(!old.ca_set && old.ca_certs.is_empty());
    }

    #[test]
    fn tokens_without_kubernetes_metadata_are_of_no_interest() {
        // A lookup-accessor answer as Vault and OpenBao give it.
        let answer = |meta: Value| {
            json!({"data": {
                "accessor": "acc", "creation_time": 1767225600, "creation_ttl": 3600,
                "display_name": "kubernetes-payments-billing-api", "entity_id": "e",
                "expire_time": "2026-01-01T01:00:00.123456789Z", "explicit_max_ttl": 0,
                "id": "", "issue_time": "2026-01-01T00:00:00Z", "meta": meta,
                "num_uses": 0, "orphan": true, "path": "auth/kubernetes/login",
                "policies": ["billing"], "renewable": true, "ttl": 3600
            }})
        };
        let lookup = |v: Value| typed::decode::<typed::LookupTokenResponse>(&v).unwrap();
        assert!(agent_token(lookup(answer(Value::Null))).is_none());
        let tok = agent_token(lookup(answer(json!({"role": "billing",
            "service_account_name": "billing-api",
            "service_account_namespace": "payments"}))))
        .unwrap();
        assert_eq!(tok.service_account_name, "billing-api");
        assert!(tok.expire_time.is_some());
    }
}
