//! What a poll cycle reads, decided from values alone: what the workloads
//! need ([`Interest`]), what is [`Known`] and when each answer is due again,
//! the requests left in the budget and the time. Nothing here sends a
//! request or reads the clock, so the order and the cuts are tested without
//! a server; [`super::poll`] sends the reads and folds the answers in.
//!
//! A cycle is planned step by step, because some reads are named by this
//! cycle's answers: which mount a path is on by `sys/mounts`, the policies by
//! the roles, the lease, certificate and token lookups by their LISTs. In the
//! order they are sent:
//! 1. `sys/mounts`, then the roles, then the policies the roles name and
//!    the configuration of the auth mounts they are on (each every
//!    [`CONFIG_REFRESH_SECS`]);
//! 2. the metadata of each KV v2 secret (every [`KV_REFRESH_SECS`]);
//! 3. the LISTs (every cycle): each lease prefix, each PKI mount's
//!    certificates, the token accessors;
//! 4. the lookups the LISTs lead to: the leases new or due
//!    ([`next_refresh`]), new ones first, then soonest to expire; each
//!    certificate serial not read before (a certificate does not change); the
//!    token accessors, like the leases;
//! 5. when budget is left and a kind was cut short by its share: steps 2 and
//!    4 again, the rest of the budget shared among what is still due.
//!
//! Each [`Kind`] of request has a share of the cycle's budget ([`Ration`]):
//! thousands of leases cannot leave the tokens or the KV metadata unread,
//! nor thousands of lease prefixes the lookups. A kind that needs less than
//! its share leaves the rest to the others.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::http::is_safe_path;
use super::typed;
use crate::model::interest::{Interest, RoleRef};
use crate::model::vault::{
    AclPolicy, AgentToken, AuthBackendConfig, AuthRole, Certificate, Engine, KvMetadata, Lease,
    MountInfo, resolve_mount,
};

/// Longest time between two lookups of the same lease or token.
pub const MAX_REFRESH_SECS: i64 = 300;
/// KV metadata is re-read this often (rotations show within this time).
pub const KV_REFRESH_SECS: i64 = 30;
/// Mounts, roles and policies are re-read this often.
pub const CONFIG_REFRESH_SECS: i64 = 60;

/// When to look something up again: sooner as its expiry nears (a tenth of
/// the time left), never more often than the poll interval, never less often
/// than [`MAX_REFRESH_SECS`]; spread by the id so lookups do not bunch up.
pub fn next_refresh(
    now: DateTime<Utc>,
    expire: Option<DateTime<Utc>>,
    interval: Duration,
    id: &str,
) -> DateTime<Utc> {
    // The CLI allows at most a day; a caller with more (a library user, a
    // fuzzer) gets a day rather than an overflowing schedule.
    let interval = interval.clamp(Duration::seconds(1), Duration::days(1));
    let left = expire.map_or(Duration::seconds(MAX_REFRESH_SECS), |e| e - now);
    let base = (left / 10).clamp(interval, Duration::seconds(MAX_REFRESH_SECS).max(interval));
    let spread = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 20;
    let delay = base + base * spread as i32 / 100;
    now.checked_add_signed(delay)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// When KV metadata read at `now` is read again.
pub fn kv_due(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(KV_REFRESH_SECS)
}

/// When mounts, a role or a policy read at `now` is read again.
pub fn config_due(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(CONFIG_REFRESH_SECS)
}

/// An answer and when to ask again.
pub struct Cached<T> {
    pub value: T,
    pub due: DateTime<Utc>,
}

impl<T> Cached<T> {
    fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.due <= now
    }
}

/// What went wrong with one request, for the permission report.
#[derive(Debug, Clone)]
pub struct Denied {
    pub path: String,
    pub needed: &'static [&'static str],
    pub impact: String,
}

/// Every answer kept between cycles.
#[derive(Default)]
pub struct Known {
    pub mounts: Option<Cached<Result<Vec<MountInfo>, Denied>>>,
    pub roles: BTreeMap<RoleRef, Cached<Result<AuthRole, Denied>>>,
    pub policies: BTreeMap<String, Cached<Result<AclPolicy, Denied>>>,
    /// By auth mount (`auth/kubernetes`).
    pub auth_configs: BTreeMap<String, Cached<Result<AuthBackendConfig, Denied>>>,
    pub leases: BTreeMap<String, Cached<Lease>>,
    /// By `<mount>/<path>`.
    pub kv: BTreeMap<String, Cached<Result<KvMetadata, Denied>>>,
    /// `(mount, serial)` → the parsed certificate (`None`: not a readable cert).
    pub certs: BTreeMap<(String, String), Option<Certificate>>,
    /// accessor → the token, or `None` for tokens of no interest (no
    /// kubernetes metadata naming a watched service account).
    pub tokens: BTreeMap<String, Cached<Option<AgentToken>>>,
    /// When each LIST (by path) was last sent: when the share cuts the
    /// LISTs, the least recently listed go first.
    pub listed: BTreeMap<String, DateTime<Utc>>,
}

/// One request the poller may send. None reads secret data or creates a
/// lease: KV reads are of metadata, leases and tokens are looked up by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Mounts,
    Role(RoleRef),
    Policy(String),
    /// A kubernetes auth mount's configuration, e.g. `auth/kubernetes`.
    AuthConfig(String),
    KvMetadata {
        mount: String,
        path: String,
    },
    /// The leases under a prefix such as `database/creds/web`.
    LeaseList(String),
    Lease(String),
    /// A PKI mount's certificate serials.
    CertList(String),
    Cert {
        mount: String,
        serial: String,
    },
    Accessors,
    Token {
        accessor: String,
    },
}

impl Read {
    /// The request: vaultrs's typed endpoint where the library has one that
    /// answers alike on Vault and OpenBao (sent by our client, see typed.rs),
    /// else written here, each with why.
    pub fn request(&self) -> typed::Request {
        let own = |method, path: String, body| typed::Request { method, path, body };
        match self {
            Read::KvMetadata { mount, path } => typed::request(&typed::ReadSecretMetadataRequest {
                mount: mount.clone(),
                path: path.clone(),
            }),
            Read::CertList(mount) => typed::request(&typed::ListCertificatesRequest {
                mount: mount.clone(),
            }),
            Read::Cert { mount, serial } => typed::request(&typed::ReadCertificateRequest {
                mount: mount.clone(),
                serial: serial.clone(),
            }),
            Read::Accessors => typed::request(&typed::ListAccessorRequest {}),
            // The accessor goes in the body, never in a path.
            Read::Token { accessor } => typed::request(&typed::LookupTokenAccessorRequest {
                accessor: accessor.clone(),
            }),
            // vaultrs's MountResponse requires fields never read here (uuid, seal_wrap, ...): one missing would lose every mount.
            Read::Mounts => own("GET", "sys/mounts".into(), None),
            // vaultrs's ReadKubernetesRoleResponse lacks audience, alias_name_source and bound_service_account_namespace_selector.
            Read::Role(r) => own("GET", format!("{}/role/{}", r.auth_path, r.role), None),
            // vaultrs's sys::policy::read asks the legacy sys/policy/NAME, which docs/vaultscope-policy.hcl does not grant.
            Read::Policy(name) => own("GET", format!("sys/policies/acl/{name}"), None),
            // vaultrs's ReadKubernetesAuthConfigResponse lacks token_reviewer_jwt_set.
            Read::AuthConfig(mount) => own("GET", format!("{mount}/config"), None),
            // vaultrs 0.8 has no lease endpoints. The lease id goes in the body, never in a path.
            Read::LeaseList(prefix) => own("LIST", format!("sys/leases/lookup/{prefix}/"), None),
            Read::Lease(id) => own(
                "PUT",
                "sys/leases/lookup".into(),
                Some(json!({ "lease_id": id })),
            ),
        }
    }

    pub fn method(&self) -> &'static str {
        self.request().method
    }

    pub fn path(&self) -> String {
        self.request().path
    }

    pub fn body(&self) -> Option<Value> {
        self.request().body
    }

    /// Whose share of the budget the read takes.
    pub fn kind(&self) -> Kind {
        match self {
            Read::Mounts | Read::Role(_) | Read::Policy(_) | Read::AuthConfig(_) => Kind::Config,
            Read::KvMetadata { .. } => Kind::Kv,
            Read::LeaseList(_) | Read::CertList(_) | Read::Accessors => Kind::List,
            Read::Lease(_) => Kind::Lease,
            Read::Cert { .. } => Kind::Cert,
            Read::Token { .. } => Kind::Token,
        }
    }
}

/// The kinds of request that share a cycle's budget, each by its
/// [`Kind::weight`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Mounts, roles, policies, auth mount configurations.
    Config,
    Kv,
    /// LISTs of lease prefixes, PKI certificates and token accessors.
    List,
    Lease,
    Cert,
    Token,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Config,
        Kind::Kv,
        Kind::List,
        Kind::Lease,
        Kind::Cert,
        Kind::Token,
    ];

    /// Tenths of a contested budget. Lease and token lookups are the
    /// countdowns the dashboard is for; the LISTs are few but each cycle
    /// needs them to see a lease revoked; config is a handful of reads.
    pub fn weight(self) -> usize {
        match self {
            Kind::Config | Kind::List | Kind::Cert => 1,
            Kind::Kv | Kind::Token => 2,
            Kind::Lease => 3,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// `budget` shared among kinds by weight, no kind given more than its
/// `demand`: what a kind does not need goes to the others by their weights
/// (max-min fair, "water-filling"). Every kind that wants any gets at least
/// one request first (in cycle order, while the budget lasts), so that a
/// small budget still moves every kind forward; rounding leftovers go one
/// by one to the heaviest kinds still short.
pub fn fair_split(budget: usize, demand: [usize; 6]) -> [usize; 6] {
    let mut given = [0usize; 6];
    let mut left = budget;
    for k in Kind::ALL {
        if left > 0 && demand[k.index()] > 0 {
            given[k.index()] = 1;
            left -= 1;
        }
    }
    loop {
        let open: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| given[k.index()] < demand[k.index()])
            .collect();
        let weights: usize = open.iter().map(|k| k.weight()).sum();
        if open.is_empty() || left == 0 {
            return given;
        }
        let mut round = 0;
        for k in &open {
            let i = k.index();
            let fair = left * k.weight() / weights;
            let give = fair.min(demand[i] - given[i]);
            given[i] += give;
            round += give;
        }
        if round == 0 {
            // Fewer requests left than the weights split: heaviest first.
            let mut by_weight = open;
            by_weight.sort_by_key(|k| std::cmp::Reverse(k.weight()));
            for k in by_weight.into_iter().take(left) {
                given[k.index()] += 1;
            }
            return given;
        }
        left -= round;
    }
}

/// A cycle's budget shared among the kinds of request. Steps come one after
/// the other and later ones are only known once earlier answers are in (the
/// lease lookups once the LISTs answered), so a kind whose demand is not yet
/// known is assumed to want its whole share: an early step never takes it.
#[derive(Debug, Clone)]
pub struct Ration {
    budget: usize,
    spent: [usize; 6],
    /// Reads still due by kind; `None`: not known yet.
    pending: [Option<usize>; 6],
}

impl Ration {
    pub fn new(budget: usize) -> Ration {
        Ration {
            budget,
            spent: [0; 6],
            pending: [None; 6],
        }
    }

    /// `kind` has `due` reads to send this cycle (known before they are
    /// planned: a kind with nothing to do leaves its share to the others).
    pub fn expect(&mut self, kind: Kind, due: usize) {
        self.pending[kind.index()] = Some(due);
    }

    /// What `kind` may send now if it has `wanted` reads due.
    fn allowance(&self, kind: Kind, wanted: usize) -> usize {
        let mut demand = [0usize; 6];
        for k in Kind::ALL {
            let i = k.index();
            let pending = if k == kind {
                wanted
            } else {
                self.pending[i].unwrap_or(self.budget)
            };
            demand[i] = self.spent[i].saturating_add(pending);
        }
        fair_split(self.budget, demand)[kind.index()].saturating_sub(self.spent[kind.index()])
    }

    /// `plan` cut to its kind's allowance and to `left`, the requests the
    /// HTTP layer has left (none once Vault throttles). What is cut stays due.
    pub fn take(&mut self, mut plan: Plan, left: usize) -> Plan {
        let wanted = plan.reads.len();
        let allowed = self.allowance(plan.kind, wanted).min(left);
        plan.reads.truncate(allowed);
        let i = plan.kind.index();
        self.spent[i] += plan.reads.len();
        self.pending[i] = Some(wanted - plan.reads.len());
        plan
    }

    /// Whether `kind` had reads cut this cycle.
    pub fn cut_short(&self, kind: Kind) -> bool {
        self.pending[kind.index()].is_some_and(|n| n > 0)
    }

    /// The rest of the cycle, `left` requests, for a second pass over the
    /// kinds in `again`: each wants what it still has due.
    pub fn rest(&self, left: usize, again: &[Kind]) -> Ration {
        let mut pending = [Some(0); 6];
        for k in again {
            pending[k.index()] = Some(self.pending[k.index()].unwrap_or(0));
        }
        Ration {
            budget: left,
            spent: [0; 6],
            pending,
        }
    }

    /// Requests of `kind` sent this cycle.
    pub fn spent(&self, kind: Kind) -> usize {
        self.spent[kind.index()]
    }
}

/// The reads of one step due now, in the order they are sent; a [`Ration`]
/// cuts them to the step's share.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub kind: Kind,
    pub reads: Vec<Read>,
}

impl Plan {
    /// `due` in order, less any read whose path could address something
    /// else.
    fn due(kind: Kind, due: impl IntoIterator<Item = Read>) -> Plan {
        // Paths are built from pod annotations and SecretProviderClasses
        // (and serials from Vault's answers): the HTTP layer refuses unsafe
        // ones too, but only after taking their share of the budget.
        let reads = due
            .into_iter()
            .filter(|r| is_safe_path(&r.path()))
            .collect();
        Plan { kind, reads }
    }

    pub fn empty(kind: Kind) -> Plan {
        Plan {
            kind,
            reads: Vec::new(),
        }
    }
}

/// Where the workloads' secret paths are read from.
#[derive(Debug, Default, PartialEq)]
pub struct Places {
    /// `(mount, path)` of each KV v2 secret, whose metadata is read.
    pub kv: BTreeSet<(String, String)>,
    /// Paths of dynamic secrets (database and other engines), whose leases
    /// are listed.
    pub lease_prefixes: BTreeSet<String>,
    /// PKI mounts the workloads issue certificates from.
    pub pki: BTreeSet<String>,
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

/// `path`'s mount (the longest of `mounts` it is under, else a guess) and
/// the rest of the path below it.
fn locate_one(mounts: &[MountInfo], path: &str) -> Option<(Located, String)> {
    if let Some((m, rest)) = resolve_mount(mounts, path) {
        let mount = Located {
            path: m.path.clone(),
            engine: m.engine,
            guessed: false,
        };
        return Some((mount, rest.to_string()));
    }
    guess(path).map(|m| {
        let rest = path[m.path.len()..].trim_start_matches('/').to_string();
        (m, rest)
    })
}

/// Which mount each secret path is on, and so what is read for it.
pub fn locate(paths: &BTreeSet<String>, mounts: &[MountInfo]) -> Places {
    let mut places = Places::default();
    for p in paths {
        let Some((mount, rest)) = locate_one(mounts, p) else {
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
                    places.kv.insert((mount.path, rel.to_string()));
                }
            }
            Engine::KvV1 => {}
            Engine::Pki => {
                if rest.starts_with("issue/") || rest.starts_with("sign/") {
                    places.pki.insert(mount.path);
                }
            }
            Engine::Database | Engine::Other => {
                places
                    .lease_prefixes
                    .insert(p.trim_end_matches('/').to_string());
            }
        }
    }
    places
}

/// Plans each step of a cycle from values: what the workloads need, what is
/// known and the time. Made anew for each step, as the answers before it
/// change what is known. Each step's plan holds all that is due; the cycle's
/// [`Ration`] cuts it to the step's share.
pub struct Planner<'a> {
    pub interest: &'a Interest,
    pub known: &'a Known,
    pub now: DateTime<Utc>,
    /// How often each LIST is sent again (the poll interval): cycles that
    /// catch up on lookups a second apart do not list thousands of leases
    /// each time.
    pub list_every: Duration,
}

impl Planner<'_> {
    pub fn mounts(&self) -> Plan {
        let due = self
            .known
            .mounts
            .as_ref()
            .is_none_or(|c| c.is_due(self.now));
        Plan::due(Kind::Config, due.then_some(Read::Mounts))
    }

    pub fn roles(&self) -> Plan {
        let due = self
            .interest
            .roles
            .iter()
            .filter(|r| self.known.roles.get(*r).is_none_or(|c| c.is_due(self.now)))
            .map(|r| Read::Role(r.clone()));
        Plan::due(Kind::Config, due)
    }

    /// `wanted`: the policies the roles name.
    pub fn policies(&self, wanted: &BTreeSet<String>) -> Plan {
        let due = wanted
            .iter()
            .filter(|n| {
                self.known
                    .policies
                    .get(*n)
                    .is_none_or(|c| c.is_due(self.now))
            })
            .map(|n| Read::Policy(n.clone()));
        Plan::due(Kind::Config, due)
    }

    /// The mounts the workloads' roles are on.
    pub fn auth_configs(&self) -> Plan {
        let due = self
            .interest
            .auth_mounts()
            .into_iter()
            .filter(|m| {
                self.known
                    .auth_configs
                    .get(*m)
                    .is_none_or(|c| c.is_due(self.now))
            })
            .map(|m| Read::AuthConfig(m.to_string()));
        Plan::due(Kind::Config, due)
    }

    pub fn kv(&self, places: &Places) -> Plan {
        let due = places
            .kv
            .iter()
            .filter(|(m, p)| {
                self.known
                    .kv
                    .get(&format!("{m}/{p}"))
                    .is_none_or(|c| c.is_due(self.now))
            })
            .map(|(m, p)| Read::KvMetadata {
                mount: m.clone(),
                path: p.clone(),
            });
        Plan::due(Kind::Kv, due)
    }

    /// The LISTs due: those of [`Planner::wanted_lists`] not sent within
    /// [`Planner::list_every`] (with a tenth of slack, as a cycle's LISTs go
    /// out a moment after it starts), least recently sent first, so that
    /// when the share cuts them each gets its turn.
    pub fn lists(&self, places: &Places) -> Plan {
        let again = self.list_every - self.list_every / 10;
        let mut lists: Vec<Read> = self
            .wanted_lists(places)
            .into_iter()
            .filter(|r| {
                self.known
                    .listed
                    .get(&r.path())
                    .is_none_or(|t| *t + again <= self.now)
            })
            .collect();
        // Stable: never sent (`None`) first, then in the order listed.
        lists.sort_by_key(|r| self.known.listed.get(&r.path()).copied());
        Plan::due(Kind::List, lists)
    }

    /// Each lease prefix (a lease revoked or expired is seen gone only by
    /// its absence from the list); each PKI mount when a workload asks for a
    /// certificate by name; the token accessors when some workload gets
    /// secrets with a service account.
    pub fn wanted_lists(&self, places: &Places) -> Vec<Read> {
        let mut lists: Vec<Read> = places
            .lease_prefixes
            .iter()
            .cloned()
            .map(Read::LeaseList)
            .collect();
        if !self.interest.common_names.is_empty() {
            lists.extend(places.pki.iter().cloned().map(Read::CertList));
        }
        if !self.interest.service_accounts.is_empty() {
            lists.push(Read::Accessors);
        }
        lists
    }

    /// `listed`: the lease ids this cycle's LISTs returned.
    pub fn leases(&self, listed: &BTreeSet<String>) -> Plan {
        let mut due: Vec<(Option<DateTime<Utc>>, &String)> = listed
            .iter()
            .filter_map(|id| match self.known.leases.get(id) {
                None => Some((None, id)),
                Some(c) if c.is_due(self.now) => Some((c.value.expire_time, id)),
                Some(_) => None,
            })
            .collect();
        // New leases first (`None` sorts first), then the ones expiring soonest.
        due.sort();
        let lookups = due.into_iter().map(|(_, id)| Read::Lease(id.clone()));
        Plan::due(Kind::Lease, lookups)
    }

    /// `listed`: `(mount, serial)` of the certificates this cycle's LISTs
    /// returned. A certificate never changes, so each is read once.
    pub fn certs(&self, listed: &BTreeSet<(String, String)>) -> Plan {
        let new = listed
            .iter()
            .filter(|k| !self.known.certs.contains_key(*k))
            .map(|(mount, serial)| Read::Cert {
                mount: mount.clone(),
                serial: serial.clone(),
            });
        Plan::due(Kind::Cert, new)
    }

    /// `listed`: the accessors this cycle's LIST returned.
    pub fn tokens(&self, listed: &BTreeSet<String>) -> Plan {
        let mut due: Vec<(Option<DateTime<Utc>>, &String)> = listed
            .iter()
            .filter_map(|a| match self.known.tokens.get(a) {
                None => Some((None, a)),
                // Tokens of no interest never become interesting: their
                // metadata does not change.
                Some(c) => match &c.value {
                    Some(t) if c.is_due(self.now) => Some((t.expire_time, a)),
                    _ => None,
                },
            })
            .collect();
        due.sort();
        let lookups = due.into_iter().map(|(_, a)| Read::Token {
            accessor: a.clone(),
        });
        Plan::due(Kind::Token, lookups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        t("2026-01-01T00:00:00Z")
    }

    fn mount(path: &str, engine: Engine) -> MountInfo {
        MountInfo {
            path: path.into(),
            kind: String::new(),
            engine,
        }
    }

    fn lab_mounts() -> Vec<MountInfo> {
        vec![
            mount("secret", Engine::KvV2),
            mount("team/kv", Engine::KvV2),
            mount("kv1", Engine::KvV1),
            mount("database", Engine::Database),
            mount("pki", Engine::Pki),
        ]
    }

    fn paths(ps: &[&str]) -> BTreeSet<String> {
        ps.iter().map(|p| p.to_string()).collect()
    }

    fn interest(ps: &[&str]) -> Interest {
        Interest {
            secret_paths: paths(ps),
            ..Default::default()
        }
    }

    fn planner<'a>(interest: &'a Interest, known: &'a Known) -> Planner<'a> {
        Planner {
            interest,
            known,
            now: now(),
            list_every: Duration::seconds(10),
        }
    }

    /// `plan` cut by a cycle of `budget` requests in which no other kind
    /// has anything due.
    fn cut(plan: Plan, budget: usize) -> Plan {
        let mut ration = Ration::new(budget);
        for k in Kind::ALL.into_iter().filter(|k| *k != plan.kind) {
            ration.expect(k, 0);
        }
        ration.take(plan, budget)
    }

    fn lease(id: &str, expire: DateTime<Utc>, due: DateTime<Utc>) -> (String, Cached<Lease>) {
        let value = Lease {
            id: id.into(),
            issue_time: None,
            expire_time: Some(expire),
            ttl_seconds: 0,
            renewable: true,
            last_renewal: None,
            max_ttl_seconds: None,
        };
        (id.into(), Cached { value, due })
    }

    fn kv(mount: &str, path: &str) -> Read {
        Read::KvMetadata {
            mount: mount.into(),
            path: path.into(),
        }
    }

    fn kv_known(
        mount: &str,
        path: &str,
        read_at: DateTime<Utc>,
    ) -> Cached<Result<KvMetadata, Denied>> {
        let value = Ok(KvMetadata {
            mount: mount.into(),
            path: path.into(),
            current_version: 1,
            updated_time: None,
            created_time: None,
        });
        Cached {
            value,
            due: kv_due(read_at),
        }
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
        assert!(guess("database/creds/x").is_some_and(|m| m.engine == Engine::Database));
    }

    #[test]
    fn paths_land_on_their_mounts() {
        let places = locate(
            &paths(&[
                "secret/data/shop/catalog",
                "secret/metadata/shop/other",
                "team/kv/data/app",
                "kv1/app/config",
                "database/creds/billing/",
                "pki/issue/web",
                "pki/roles/web",
            ]),
            &lab_mounts(),
        );
        let kv: Vec<(&str, &str)> = places
            .kv
            .iter()
            .map(|(m, p)| (m.as_str(), p.as_str()))
            .collect();
        // The longest mount wins: `team/kv`, not a guessed `team`.
        assert_eq!(
            kv,
            [
                ("secret", "shop/catalog"),
                ("secret", "shop/other"),
                ("team/kv", "app")
            ]
        );
        assert_eq!(places.lease_prefixes, paths(&["database/creds/billing"]));
        // Only issuing names a certificate; reading a role does not.
        assert_eq!(places.pki, paths(&["pki"]));
    }

    #[test]
    fn a_guessed_mount_gets_no_kv_metadata_or_pki_read() {
        let wanted = paths(&[
            "secret/data/shop/catalog",
            "pki/issue/web",
            "database/creds/billing",
        ]);
        let places = locate(&wanted, &[]);
        assert!(places.kv.is_empty(), "{:?}", places.kv);
        assert!(places.pki.is_empty());
        // Listing leases is harmless on any mount.
        assert_eq!(places.lease_prefixes, paths(&["database/creds/billing"]));

        // `secret` is KV v1 after all: `secret/metadata/...` would be the
        // data of a secret named "metadata", so it is never asked for.
        let places = locate(&wanted, &[mount("secret", Engine::KvV1)]);
        assert!(places.kv.is_empty());
    }

    #[test]
    fn new_leases_then_the_nearest_expiry_are_looked_up_first() {
        let i = Interest::default();
        let mut known = Known::default();
        let past = now() - Duration::seconds(1);
        known.leases.extend([
            lease("db/creds/a/far", now() + Duration::hours(1), past),
            lease("db/creds/a/near", now() + Duration::minutes(1), past),
            // Looked up a moment ago: not due yet.
            lease(
                "db/creds/a/fresh",
                now() + Duration::seconds(30),
                now() + Duration::seconds(5),
            ),
        ]);
        let listed = paths(&[
            "db/creds/a/far",
            "db/creds/a/fresh",
            "db/creds/a/near",
            "db/creds/a/new",
        ]);
        let plan = planner(&i, &known).leases(&listed);
        let ids: Vec<&str> = plan
            .reads
            .iter()
            .map(|r| match r {
                Read::Lease(id) => id.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids, ["db/creds/a/new", "db/creds/a/near", "db/creds/a/far"]);
        assert_eq!(plan.reads[0].path(), "sys/leases/lookup");
        assert_eq!(
            plan.reads[0].body(),
            Some(json!({"lease_id": "db/creds/a/new"}))
        );
    }

    #[test]
    fn the_budget_cuts_the_plan_and_the_rest_waits_for_the_next_cycle() {
        let i = interest(&["secret/data/a", "secret/data/b", "secret/data/c"]);
        let places = locate(&i.secret_paths, &lab_mounts());
        let mut known = Known::default();
        let first = cut(planner(&i, &known).kv(&places), 2);
        assert_eq!(first.reads, [kv("secret", "a"), kv("secret", "b")]);

        // What was read is remembered; `c` was never sent, so it is still due.
        known
            .kv
            .insert("secret/a".into(), kv_known("secret", "a", now()));
        known
            .kv
            .insert("secret/b".into(), kv_known("secret", "b", now()));
        let next = Planner {
            now: now() + Duration::seconds(10),
            ..planner(&i, &known)
        };
        assert_eq!(cut(next.kv(&places), 2).reads, [kv("secret", "c")]);

        // Throttled: the HTTP layer has no requests left, and all of it waits.
        let mut ration = Ration::new(200);
        assert!(ration.take(next.kv(&places), 0).reads.is_empty());
        assert!(ration.take(next.mounts(), 0).reads.is_empty());
        assert!(ration.cut_short(Kind::Kv) && ration.cut_short(Kind::Config));
    }

    #[test]
    fn kv_metadata_is_not_read_again_within_30_seconds() {
        let i = interest(&["secret/data/shop/catalog"]);
        let places = locate(&i.secret_paths, &lab_mounts());
        let mut known = Known::default();
        known.kv.insert(
            "secret/shop/catalog".into(),
            kv_known("secret", "shop/catalog", now()),
        );
        let at = |secs: i64| Planner {
            now: now() + Duration::seconds(secs),
            ..planner(&i, &known)
        };
        assert!(at(29).kv(&places).reads.is_empty());
        assert_eq!(at(30).kv(&places).reads, [kv("secret", "shop/catalog")]);
    }

    #[test]
    fn a_certificate_is_read_once() {
        let i = Interest {
            common_names: paths(&["web.shop.svc"]),
            ..interest(&["pki/issue/web"])
        };
        let places = locate(&i.secret_paths, &lab_mounts());
        let mut known = Known::default();
        let p = planner(&i, &known);
        assert_eq!(p.lists(&places).reads, [Read::CertList("pki".into())]);
        known.certs.insert(("pki".into(), "01".into()), None);
        let listed: BTreeSet<(String, String)> =
            [("pki".into(), "01".into()), ("pki".into(), "02".into())].into();
        let reads = planner(&i, &known).certs(&listed).reads;
        assert_eq!(
            reads,
            [Read::Cert {
                mount: "pki".into(),
                serial: "02".into()
            }]
        );
        // No workload names a certificate: the mount is not even listed.
        let nameless = interest(&["pki/issue/web"]);
        assert!(planner(&nameless, &known).lists(&places).reads.is_empty());
    }

    #[test]
    fn each_auth_mount_in_use_has_its_config_read_once_a_minute() {
        let mut i = Interest::default();
        for (path, role) in [
            ("auth/kubernetes", "a"),
            ("auth/kubernetes", "b"),
            ("auth/k8s-east", "c"),
            ("auth/../sys", "d"),
        ] {
            i.roles.insert(RoleRef {
                auth_path: path.into(),
                role: role.into(),
            });
        }
        let mut known = Known::default();
        let reads = planner(&i, &known).auth_configs().reads;
        // One read per mount; a mount path with dot segments is refused.
        assert_eq!(
            reads,
            [
                Read::AuthConfig("auth/k8s-east".into()),
                Read::AuthConfig("auth/kubernetes".into())
            ]
        );
        assert_eq!(reads[1].path(), "auth/kubernetes/config");
        assert_eq!(reads[1].method(), "GET");
        for m in ["auth/k8s-east", "auth/kubernetes"] {
            let value = Ok(AuthBackendConfig::missing(m));
            known.auth_configs.insert(
                m.into(),
                Cached {
                    value,
                    due: config_due(now()),
                },
            );
        }
        let at = |secs: i64| Planner {
            now: now() + Duration::seconds(secs),
            ..planner(&i, &known)
        };
        assert!(at(59).auth_configs().reads.is_empty());
        assert_eq!(at(60).auth_configs().reads.len(), 2);
    }

    #[test]
    fn paths_with_dot_segments_are_never_planned() {
        let mut i = interest(&[
            "secret/data/../../sys/raw/x",
            "database/creds/../../../sys/raw",
            "pki/issue/../../sys/raw",
        ]);
        i.roles.insert(RoleRef {
            auth_path: "auth/kubernetes".into(),
            role: "x/../../../database/creds/web".into(),
        });
        let known = Known::default();
        let p = planner(&i, &known);
        let places = locate(&i.secret_paths, &lab_mounts());
        assert!(p.kv(&places).reads.is_empty());
        assert!(p.lists(&places).reads.is_empty());
        assert!(p.roles().reads.is_empty());
        assert_eq!(
            p.policies(&paths(&["..", "ok"])).reads,
            [Read::Policy("ok".into())]
        );
        // Serials come from Vault's answer, which may be hostile too.
        let listed: BTreeSet<(String, String)> = [("pki".into(), "..".into())].into();
        assert!(p.certs(&listed).reads.is_empty());
        // Refused reads take no budget: the safe one after them is planned.
        let i = interest(&["secret/data/../x", "secret/data/ok"]);
        let places = locate(&i.secret_paths, &lab_mounts());
        let reads = cut(planner(&i, &known).kv(&places), 1).reads;
        assert_eq!(reads, [kv("secret", "ok")]);
    }

    #[test]
    fn fair_split_gives_each_kind_its_weight_and_passes_on_what_it_does_not_need() {
        let all = [usize::MAX; 6];
        // Contested: tenths by weight (1, 2, 1, 3, 1, 2).
        assert_eq!(fair_split(200, all), [20, 40, 20, 60, 20, 40]);
        // Config needs 3 and PKI nothing: what they leave goes to the others
        // by weight; no kind gets more than it asks for.
        let split = fair_split(200, [3, 40, 20, usize::MAX, 0, usize::MAX]);
        assert_eq!(split[0], 3);
        assert_eq!(split[1], 40);
        assert_eq!(split[2], 20);
        assert_eq!(split[4], 0);
        assert!(split[3] >= 60 && split[5] >= 40, "{split:?}");
        assert_eq!(split.iter().sum::<usize>(), 200);
        // Lone demand takes all it needs, and no more.
        assert_eq!(fair_split(200, [0, 0, 0, 5, 0, 0]), [0, 0, 0, 5, 0, 0]);
        assert_eq!(fair_split(200, [0, 0, 0, 500, 0, 0])[3], 200);
        // Fewer requests than weights: none is lost.
        assert_eq!(fair_split(3, all).iter().sum::<usize>(), 3);
        assert_eq!(fair_split(13, all).iter().sum::<usize>(), 13);
        assert_eq!(fair_split(0, all), [0; 6]);
        // A budget of 6: one each, so that config (weight 1) is not left
        // out by the rounding while the heavier kinds wait; fewer than 6,
        // the first steps of a cycle first.
        assert_eq!(fair_split(6, all), [1; 6]);
        assert_eq!(fair_split(2, all), [1, 1, 0, 0, 0, 0]);
    }

    /// 30,000 listed leases, 5,000 listed agent tokens, 400 KV secrets and
    /// 21 lease prefixes, all due, planned as the poller plans a cycle.
    fn crowded() -> (Interest, Places, BTreeSet<String>, BTreeSet<String>) {
        let mut secret_paths: Vec<String> =
            (0..400).map(|n| format!("secret/data/app-{n}")).collect();
        secret_paths.push("database/creds/big".into());
        secret_paths.extend((1..=20).map(|n| format!("database/creds/r{n:02}")));
        let mut i = interest(&secret_paths.iter().map(String::as_str).collect::<Vec<_>>());
        i.roles.insert(RoleRef {
            auth_path: "auth/kubernetes".into(),
            role: "app".into(),
        });
        i.service_accounts.insert(("ns".into(), "sa".into()));
        let places = locate(&i.secret_paths, &lab_mounts());
        let mut leases: BTreeSet<String> = (0..10_000)
            .map(|n| format!("database/creds/big/{n:05}"))
            .collect();
        for r in 1..=20 {
            leases.extend((0..1_000).map(|n| format!("database/creds/r{r:02}/{n:04}")));
        }
        let tokens = (0..5_000).map(|n| format!("acc{n:04}")).collect();
        (i, places, leases, tokens)
    }

    /// One cycle's first pass, step by step in the poller's order, counting
    /// what each kind may send (nothing is answered: all stays new).
    fn first_pass(
        p: &Planner,
        places: &Places,
        leases: &BTreeSet<String>,
        tokens: &BTreeSet<String>,
        budget: usize,
    ) -> Ration {
        let mut r = Ration::new(budget);
        let mut left = budget;
        let mut take = |r: &mut Ration, plan: Plan| {
            let n = r.take(plan, left).reads.len();
            left -= n;
        };
        take(&mut r, p.mounts());
        take(&mut r, p.roles());
        r.expect(Kind::Kv, p.kv(places).reads.len());
        r.expect(Kind::List, p.lists(places).reads.len());
        r.expect(Kind::Cert, 0);
        take(&mut r, p.kv(places));
        take(&mut r, p.lists(places));
        r.expect(Kind::Lease, p.leases(leases).reads.len());
        r.expect(Kind::Token, p.tokens(tokens).reads.len());
        take(&mut r, p.leases(leases));
        take(&mut r, p.tokens(tokens));
        r
    }

    #[test]
    fn with_30000_leases_and_400_kv_secrets_every_kind_gets_its_share() {
        let (i, places, leases, tokens) = crowded();
        let known = Known::default();
        let p = planner(&i, &known);
        assert_eq!(p.leases(&leases).reads.len(), 30_000);
        for budget in [200, 300, 1000] {
            let r = first_pass(&p, &places, &leases, &tokens, budget);
            let share = |k: Kind| budget * k.weight() / 10;
            // The handful of config reads and every LIST are sent in full;
            // KV metadata, lease and token lookups each get at least their
            // share, and together the whole budget.
            assert_eq!(r.spent(Kind::Config), 2, "budget {budget}");
            assert_eq!(r.spent(Kind::List), 22, "budget {budget}");
            for k in [Kind::Kv, Kind::Lease, Kind::Token] {
                assert!(
                    r.spent(k) >= share(k),
                    "budget {budget}: {k:?} {}",
                    r.spent(k)
                );
                assert!(r.cut_short(k), "budget {budget}: {k:?}");
            }
            let total: usize = Kind::ALL.iter().map(|k| r.spent(*k)).sum();
            assert_eq!(total, budget);
            // Today's order would have spent it all on the first kinds:
            // 400 KV reads before a single lease was looked up.
        }
    }

    #[test]
    fn thousands_of_lease_prefixes_do_not_starve_the_lookups_and_take_turns() {
        let prefixes: Vec<String> = (0..1_000)
            .map(|n| format!("database/creds/r{n:04}"))
            .collect();
        let i = interest(&prefixes.iter().map(String::as_str).collect::<Vec<_>>());
        let places = locate(&i.secret_paths, &lab_mounts());
        let leases: BTreeSet<String> = (0..5_000)
            .map(|n| format!("database/creds/r0000/{n}"))
            .collect();
        let mut known = Known::default();
        let mut r = Ration::new(200);
        r.expect(Kind::Config, 0);
        r.expect(Kind::Kv, 0);
        r.expect(Kind::Cert, 0);
        r.expect(Kind::Token, 0);
        let lists = r.take(planner(&i, &known).lists(&places), 200);
        r.expect(Kind::Lease, leases.len());
        let lookups = r.take(planner(&i, &known).leases(&leases), 200 - lists.reads.len());
        // Nothing else is due: the LISTs and the lookups share the budget
        // by weight (1 to 3).
        assert!(
            (40..=60).contains(&lists.reads.len()),
            "{}",
            lists.reads.len()
        );
        assert_eq!(lists.reads.len() + lookups.reads.len(), 200);
        // The next cycle lists those not listed before, first.
        for read in &lists.reads {
            known.listed.insert(read.path(), now());
        }
        // A second later (a cycle catching up), none is due again.
        let soon = Planner {
            now: now() + Duration::seconds(1),
            ..planner(&i, &known)
        };
        let rest = soon.lists(&places).reads;
        assert_eq!(rest.len(), 1_000 - lists.reads.len());
        let next = Planner {
            now: now() + Duration::seconds(10),
            ..planner(&i, &known)
        }
        .lists(&places);
        let again: BTreeSet<String> = lists.reads.iter().map(Read::path).collect();
        let n = lists.reads.len();
        assert!(next.reads[..n].iter().all(|r| !again.contains(&r.path())));
        assert!(
            next.reads[next.reads.len() - n..]
                .iter()
                .all(|r| again.contains(&r.path()))
        );
    }

    #[test]
    fn a_share_left_unused_goes_to_the_kinds_still_due_in_a_second_pass() {
        // Only 10 tokens and no KV: the leases were held to what the
        // tokens might need until the accessors were listed; the second
        // pass gives them the rest.
        let (mut i, _, leases, _) = crowded();
        i.secret_paths.retain(|p| p.starts_with("database/"));
        let places = locate(&i.secret_paths, &lab_mounts());
        let tokens: BTreeSet<String> = (0..10).map(|n| format!("acc{n}")).collect();
        let known = Known::default();
        let p = planner(&i, &known);
        let budget = 300;
        let r = first_pass(&p, &places, &leases, &tokens, budget);
        assert_eq!(r.spent(Kind::Token), 10);
        assert!(!r.cut_short(Kind::Token) && r.cut_short(Kind::Lease));
        let spent: usize = Kind::ALL.iter().map(|k| r.spent(*k)).sum();
        assert_eq!(spent, budget, "unused shares flowed within the first pass");
        // Had the leases been cut short of budget left, the rest goes to
        // them alone.
        let mut rest = r.rest(50, &[Kind::Kv, Kind::Lease, Kind::Cert, Kind::Token]);
        let again = rest.take(p.leases(&leases), 50);
        assert_eq!(again.reads.len(), 50);
        assert!(rest.cut_short(Kind::Lease) && !rest.cut_short(Kind::Token));
    }
}
