//! Parsing of the injector annotations into an [`InjectionSpec`], with the
//! defaults the injector applies: `vault.hashicorp.com/*` as vault-k8s 1.7
//! reads them, `openbao.org/*` and `openbao.openbao.org/*` as openbao-k8s
//! does (its `agent-inject/agent/annotations.go` keeps vault-k8s's keys
//! after the prefix; the differences are in [`Dialect`]).
//!
//! Parsing never fails: every value the injector would reject (or silently
//! ignore) becomes an [`AnnotationProblem`] so diagnosis can report it.

use std::collections::BTreeMap;

use super::injector::{Dialect, Injector};

use Kind::{
    Bool, CaseOverride, Choice, Count, Duration, Inject, Perms, Port, Quantity, SecretPath, Text,
    TextOr, TextOrDialect,
};

/// vault-k8s's prefix. A pod's own prefix is [`ParsedAnnotations::prefix`].
pub const PREFIX: &str = Dialect::Vault.prefix();

/// vault-k8s's defaults; openbao-k8s's are in [`Dialect`].
pub const DEFAULT_AGENT_IMAGE: &str = Dialect::Vault.default_agent_image();
/// `DefaultVaultAuthType` / `DefaultBaoAuthType`: the same in both injectors.
pub const DEFAULT_AUTH_TYPE: &str = "kubernetes";
/// `DefaultVaultAuthPath` / `DefaultBaoAuthPath`: the same in both injectors.
pub const DEFAULT_AUTH_PATH: &str = "auth/kubernetes";
pub const DEFAULT_SECRET_VOLUME_PATH: &str = Dialect::Vault.default_secret_volume_path();
pub const DEFAULT_CACHE_LISTENER_PORT: &str = "8200";

/// A default that differs between the injectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DialectDefault {
    AgentImage,
    SecretVolumePath,
}

impl DialectDefault {
    fn of(self, d: Dialect) -> &'static str {
        match self {
            DialectDefault::AgentImage => d.default_agent_image(),
            DialectDefault::SecretVolumePath => d.default_secret_volume_path(),
        }
    }
}

/// How a key is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// The key itself.
    Single,
    /// `<key><NAME>`: a setting of the secret NAME.
    PerSecret,
    /// `<key><anything>`: passed to the agent's configuration as it is.
    Prefix,
}

/// What a key's value must be, and what it is when the key is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `agent-inject`: false when absent or bad; a bad value is a problem of
    /// its own, since the pod is then admitted without injection.
    Inject,
    /// Go's `strconv.ParseBool`; a bad value makes the injector fail the pod.
    Bool(bool),
    /// Any text; blank counts as absent.
    Text,
    /// Any text, with a default; blank counts as absent.
    TextOr(&'static str),
    /// Any text, with a default that depends on the [`Dialect`].
    TextOrDialect(DialectDefault),
    /// A Kubernetes quantity; blank is kept (no limit), a bad value is
    /// replaced by the default.
    Quantity(&'static str),
    /// A non-negative integer.
    Count,
    /// A TCP port, with a default.
    Port(&'static str),
    /// A Go duration or plain seconds; blank counts as absent (the
    /// webhook's `Init` writes `template-static-secret-render-interval: ""`
    /// and only parses a non-empty backoff).
    Duration,
    /// One of a few words, in any case or exactly.
    Choice {
        words: &'static [&'static str],
        any_case: bool,
        reason: &'static str,
    },
    /// Octal file permissions; blank counts as absent.
    Perms,
    /// The Vault path of a secret: the key that names a secret.
    SecretPath,
    /// Overrides `preserve-secret-case` for one secret: a bad value falls
    /// back to it, and one naming no secret is not reported.
    CaseOverride,
}

struct Key {
    name: &'static str,
    form: Form,
    kind: Kind,
}

const fn one(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        form: Form::Single,
        kind,
    }
}

const fn each(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        form: Form::PerSecret,
        kind,
    }
}

const fn prefix(name: &'static str) -> Key {
    Key {
        name,
        form: Form::Prefix,
        kind: Text,
    }
}

/// Every key the injector reads, after the prefix (a few only vault-k8s
/// reads: [`Dialect::lacks`]). The order matters twice:
/// problems are reported in it, and of two equally close keys the earlier is
/// suggested for a typo. Per-secret keys that share a stem come longest first
/// (`agent-inject-template-file-` before `agent-inject-template-`), since the
/// first stem that matches a key is the one it is read as.
const KEYS: &[Key] = &[
    // Whether and how the injector mutates the pod.
    one("agent-inject", Inject),
    one("agent-inject-status", Text),
    one("agent-inject-containers", Text),
    one("agent-pre-populate", Bool(true)),
    one("agent-pre-populate-only", Bool(false)),
    one("agent-init-first", Bool(false)),
    one("agent-inject-token", Bool(false)),
    one("agent-image", TextOrDialect(DialectDefault::AgentImage)),
    one("agent-configmap", Text),
    one("agent-extra-secret", Text),
    one("agent-request-namespace", Text),
    // How the agent reaches Vault.
    one("namespace", Text),
    one("service", Text),
    one("proxy-address", Text),
    one("tls-skip-verify", Bool(false)),
    one("tls-secret", Text),
    one("tls-server-name", Text),
    one("ca-cert", Text),
    one("ca-key", Text),
    one("client-cert", Text),
    one("client-key", Text),
    // The agent containers' resources.
    one("agent-limits-cpu", Quantity("500m")),
    one("agent-limits-mem", Quantity("128Mi")),
    one("agent-limits-ephemeral", Quantity("")),
    one("agent-requests-cpu", Quantity("250m")),
    one("agent-requests-mem", Quantity("64Mi")),
    one("agent-requests-ephemeral", Quantity("")),
    // Switches of the agent and its containers.
    one("agent-cache-enable", Bool(false)),
    one("agent-cache-exit-on-err", Bool(false)),
    one("agent-revoke-on-shutdown", Bool(false)),
    one("agent-run-as-same-user", Bool(false)),
    one("agent-set-security-context", Bool(false)),
    one("agent-share-process-namespace", Bool(false)),
    one("agent-enable-quit", Bool(false)),
    one("agent-auto-auth-exit-on-err", Bool(false)),
    one("template-config-exit-on-retry-failure", Bool(false)),
    one("preserve-secret-case", Bool(false)),
    // Numbers and durations.
    one("agent-run-as-user", Count),
    one("agent-run-as-group", Count),
    one("agent-revoke-grace", Count),
    one("client-max-retries", Count),
    one("go-max-procs", Count),
    one("template-max-connections-per-host", Count),
    one(
        "agent-cache-listener-port",
        Port(DEFAULT_CACHE_LISTENER_PORT),
    ),
    one("client-timeout", Duration),
    one("auth-min-backoff", Duration),
    one("auth-max-backoff", Duration),
    one("template-static-secret-render-interval", Duration),
    one("template-lease-renewal-threshold", Text),
    // Words from a short list.
    one(
        "log-level",
        Choice {
            words: &[
                "trace", "debug", "info", "warn", "warning", "error", "err", "off",
            ],
            any_case: true,
            reason: "not a log level (trace, debug, info, warn, error)",
        },
    ),
    one(
        "log-format",
        Choice {
            words: &["standard", "json"],
            any_case: false,
            reason: "not a log format (standard, json)",
        },
    ),
    one(
        "agent-inject-default-template",
        Choice {
            words: &["map", "json"],
            any_case: false,
            reason: "not a template type (map, json)",
        },
    ),
    // How the agent logs in.
    one("role", Text),
    one("auth-type", TextOr(DEFAULT_AUTH_TYPE)),
    one("auth-path", TextOr(DEFAULT_AUTH_PATH)),
    one("agent-service-account-token-volume-name", Text),
    // The rest of the agent's configuration.
    one("agent-cache-use-auto-auth-token", TextOr("true")),
    one("agent-copy-volume-mounts", Text),
    // Comma-separated features (auto-auth, caching, templating); `Init`
    // writes them empty, and the injector passes them on unchecked.
    one("agent-disable-idle-connections", Text),
    one("agent-disable-keep-alives", Text),
    one("agent-json-patch", Text),
    one("agent-init-json-patch", Text),
    one(
        "secret-volume-path",
        TextOrDialect(DialectDefault::SecretVolumePath),
    ),
    // Settings of one secret.
    each("agent-inject-template-file-", Text),
    each("agent-inject-template-", Text),
    each("agent-inject-secret-", SecretPath),
    each("agent-inject-file-", Text),
    each("agent-inject-perms-", Perms),
    each("agent-inject-command-", Text),
    each("secret-volume-path-", Text),
    each("preserve-secret-case-", CaseOverride),
    each("error-on-missing-key-", Bool(false)),
    each("agent-template-left-delim-", Text),
    each("agent-template-right-delim-", Text),
    // Passed through to the agent's configuration.
    prefix("auth-config-"),
    prefix("agent-telemetry-"),
];

fn keys(form: Form) -> impl Iterator<Item = &'static Key> {
    KEYS.iter().filter(move |k| k.form == form)
}

/// The table's entry for a key as written: per-secret and pass-through keys
/// by their stem, which must be followed by something.
fn entry(short: &str) -> Option<&'static Key> {
    keys(Form::Single).find(|k| k.name == short).or_else(|| {
        KEYS.iter().find(|k| {
            k.form != Form::Single && short.starts_with(k.name) && short.len() > k.name.len()
        })
    })
}

/// The entry of a key the injector of `dialect` reads.
fn known(dialect: Dialect, short: &str) -> Option<&'static Key> {
    entry(short).filter(|k| !dialect.lacks(k.name))
}

/// The kind of a key the parser reads by name.
fn kind_of(short: &str) -> Kind {
    match entry(short) {
        Some(k) => k.kind,
        None => panic!("{short} is read by the parser but missing from KEYS"),
    }
}

/// What is wrong with `raw` as a value of `kind`, and the value as reported.
fn fault(kind: Kind, raw: &str) -> Option<(&'static str, String)> {
    let reason = match kind {
        Inject if go_parse_bool(raw).is_none() => {
            "not a boolean: the injector fails to parse it and the pod is admitted without injection"
        }
        Bool(_) if go_parse_bool(raw).is_none() => {
            "not a boolean (the injector accepts true/false, 1/0, t/f)"
        }
        Quantity(_) if !raw.is_empty() && !is_valid_quantity(raw) => {
            "not a Kubernetes quantity (e.g. 250m, 64Mi)"
        }
        Count if raw.trim().parse::<u64>().is_err() => "not a non-negative integer",
        Port(_) if raw.trim().parse::<u16>().is_err() => "not a TCP port number",
        Duration if !raw.trim().is_empty() && !is_valid_duration(raw.trim()) => {
            "not a duration (e.g. 30s, 5m)"
        }
        Choice {
            words,
            any_case,
            reason,
        } => {
            let word = if any_case {
                raw.to_ascii_lowercase()
            } else {
                raw.to_string()
            };
            if words.contains(&word.as_str()) {
                return None;
            }
            reason
        }
        Perms => {
            // Read as the secret's `perms` is: trimmed, and blank is absent.
            let p = raw.trim();
            if p.is_empty() || is_valid_perms(p) {
                return None;
            }
            return Some(("not octal file permissions (e.g. 0440)", p.to_string()));
        }
        _ => return None,
    };
    Some((reason, raw.to_string()))
}

/// One secret the agent is asked to render.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretSpec {
    /// Name as the injector uses it (lower-cased unless case is preserved).
    pub name: String,
    /// The Vault path the secret is read from.
    pub path: String,
    pub has_template: bool,
    /// The inline template or template file, when one is given.
    pub template: Option<String>,
    /// File the secret is rendered to, inside the secrets volume.
    pub file: String,
    pub perms: Option<String>,
    pub command: Option<String>,
    pub error_on_missing_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct AgentResources {
    pub limits_cpu: String,
    pub limits_mem: String,
    pub limits_ephemeral: String,
    pub requests_cpu: String,
    pub requests_mem: String,
    pub requests_ephemeral: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CacheSpec {
    pub enabled: bool,
    pub use_auto_auth_token: String,
    pub listener_port: String,
    pub exit_on_err: bool,
}

/// What the annotations ask of the injector, with its defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct InjectionSpec {
    /// `agent-inject` parsed as true. False when absent or unparseable.
    pub inject: bool,
    /// The raw `agent-inject-status` value (`injected` after a successful mutation).
    pub status: Option<String>,
    pub role: Option<String>,
    pub auth_type: String,
    pub auth_path: String,
    pub vault_namespace: Option<String>,
    pub service: Option<String>,
    pub pre_populate: bool,
    pub pre_populate_only: bool,
    pub init_first: bool,
    pub inject_token: bool,
    pub agent_image: String,
    pub configmap: Option<String>,
    pub resources: AgentResources,
    pub cache: CacheSpec,
    pub secret_volume_path: String,
    pub tls_skip_verify: bool,
    /// `template-static-secret-render-interval`: how often the sidecar
    /// re-reads static (KV) secrets; the agent's default is 5 minutes.
    pub static_render_interval: Option<chrono::Duration>,
    pub secrets: Vec<SecretSpec>,
}

impl InjectionSpec {
    /// The injector wrote its status annotation: the pod went through the webhook.
    pub fn is_injected(&self) -> bool {
        self.status.as_deref() == Some("injected")
    }

    /// The role the agent will log in with, from the annotation or `auth-config-role`.
    pub fn has_role_source(&self) -> bool {
        self.role.is_some() || self.configmap.is_some()
    }
}

/// A value the injector would reject or ignore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationProblem {
    /// The full annotation key.
    pub key: String,
    pub value: String,
    pub reason: String,
    /// True when the injector refuses the pod (or the agent fails) because of it;
    /// false when the value is merely ignored.
    pub breaks_injection: bool,
}

impl AnnotationProblem {
    /// The value as evidence may quote it. Templates, commands, JSON patches
    /// and the token setting are where people paste secrets and whole
    /// config files, so only their size is told; other long values are cut.
    pub fn quoted_value(&self) -> String {
        const SHOWN: usize = 120;
        let short = Dialect::of_key(&self.key)
            .and_then(|d| self.key.strip_prefix(d.prefix()))
            .unwrap_or(&self.key);
        let chars = self.value.chars().count();
        let sensitive = ["template", "token", "command", "json-patch"]
            .iter()
            .any(|w| short.contains(w));
        if sensitive {
            format!("({chars} characters, not shown: this annotation can hold secrets)")
        } else if chars > SHOWN || self.value.contains('\n') {
            // Redacted before it is cut: a token cut short no longer looks
            // like one, and its first characters would be shown.
            let head: String = crate::safe::redact(&self.value)
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(SHOWN)
                .collect();
            format!("\"{head}\" … ({chars} characters)")
        } else {
            format!("\"{}\"", self.value)
        }
    }
}

/// The result of parsing one pod's annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedAnnotations {
    /// Any injector annotation is present (of any prefix).
    pub any: bool,
    /// The prefix read: the injector's whose containers the pod has, else
    /// the one whose status says injected, else the first present
    /// ([`Dialect::ALL`] order).
    pub dialect: Dialect,
    /// Other prefixes present on the same object, not read.
    pub others: Vec<Dialect>,
    /// The other injector's annotations ask for injection too
    /// (`agent-inject: "true"`), and no agent containers tell which
    /// injector was meant.
    pub rival: Option<Dialect>,
    pub spec: InjectionSpec,
    pub problems: Vec<AnnotationProblem>,
    /// `auth-config-role` given (a role source other than `role`).
    pub auth_config_role: bool,
}

impl ParsedAnnotations {
    /// The annotation prefix this pod uses, for messages and fixes.
    pub fn prefix(&self) -> &'static str {
        self.dialect.prefix()
    }

    pub fn injector(&self) -> Injector {
        self.dialect.injector()
    }
}

/// Go's `strconv.ParseBool`, which the injector uses for every boolean annotation.
pub fn go_parse_bool(raw: &str) -> Option<bool> {
    match raw {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A Kubernetes resource quantity, as `resource.ParseQuantity` accepts it.
pub fn is_valid_quantity(raw: &str) -> bool {
    let s = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let digits_end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let dots = number.matches('.').count();
    if number.is_empty() || number == "." || dots > 1 {
        return false;
    }
    match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        exp if exp.starts_with(['e', 'E']) => {
            let rest = &exp[1..];
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// File permissions as the agent's template `perms` accepts them: octal, at most 0777.
pub fn is_valid_perms(raw: &str) -> bool {
    let digits = raw.strip_prefix("0o").unwrap_or(raw);
    !digits.is_empty()
        && digits.len() <= 4
        && digits.chars().all(|c| ('0'..='7').contains(&c))
        && u32::from_str_radix(digits, 8).is_ok_and(|v| v <= 0o7777)
}

/// A Go duration (`30s`, `1m30s`, `250ms`) or plain seconds.
pub fn is_valid_duration(raw: &str) -> bool {
    parse_duration(raw).is_some()
}

/// A Go duration (`30s`, `1m30s`, `1.5h`, `250ms`) or plain seconds, as
/// the injector reads its duration annotations.
pub fn parse_duration(raw: &str) -> Option<chrono::Duration> {
    if raw.chars().all(|c| c.is_ascii_digit()) {
        return raw
            .parse::<i64>()
            .ok()
            .and_then(chrono::Duration::try_seconds);
    }
    let mut rest = raw;
    let mut nanos: f64 = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let (unit, scale) = [
            ("ns", 1.0),
            ("us", 1e3),
            ("µs", 1e3),
            ("ms", 1e6),
            ("s", 1e9),
            ("m", 60e9),
            ("h", 3600e9),
        ]
        .into_iter()
        .find(|(u, _)| rest.starts_with(*u))?;
        rest = &rest[unit.len()..];
        nanos += value * scale;
        parts += 1;
    }
    // Go's time.ParseDuration caps at about 290 years.
    (parts > 0 && nanos.is_finite() && nanos < 9.2e18)
        .then(|| chrono::Duration::nanoseconds(nanos as i64))
}

/// The closest known key, to suggest a fix for a typo.
fn suggest(dialect: Dialect, short: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    let mut consider = |candidate: String| {
        let d = edit_distance(short, &candidate);
        if d <= 3 && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, candidate));
        }
    };
    for k in keys(Form::Single).filter(|k| !dialect.lacks(k.name)) {
        consider(k.name.to_string());
    }
    // For per-secret keys, compare the stem and keep the user's NAME:
    // `agent-inject-secrets-db` → `agent-inject-secret-db`.
    for p in keys(Form::PerSecret)
        .map(|k| k.name)
        .filter(|n| !dialect.lacks(n))
    {
        let lo = p.len().saturating_sub(2);
        for cut in lo..=p.len() + 2 {
            let (Some(stem), Some(name)) = (short.get(..cut), short.get(cut..)) else {
                continue;
            };
            // The NAME starts after a dash, as in every per-secret key.
            if stem.ends_with('-') && !name.is_empty() && edit_distance(stem, p) <= 2 {
                consider(format!("{p}{name}"));
            }
        }
    }
    best.map(|(_, k)| format!("{}{k}", dialect.prefix()))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

struct Reader<'a> {
    ann: &'a BTreeMap<String, String>,
    dialect: Dialect,
    problems: Vec<AnnotationProblem>,
}

impl Reader<'_> {
    fn prefix(&self) -> &'static str {
        self.dialect.prefix()
    }

    fn get(&self, short: &str) -> Option<&str> {
        self.ann
            .get(&format!("{}{short}", self.prefix()))
            .map(String::as_str)
    }

    fn problem(&mut self, short: &str, value: &str, reason: impl Into<String>, breaks: bool) {
        self.problems.push(AnnotationProblem {
            key: format!("{}{short}", self.prefix()),
            value: value.to_string(),
            reason: reason.into(),
            breaks_injection: breaks,
        });
    }

    /// Report the value of `short` if the injector would reject it: the
    /// injector returns an error for the pod.
    fn check(&mut self, short: &str, kind: Kind) {
        if known(self.dialect, short).is_none() {
            return;
        }
        if let Some((reason, value)) = self.get(short).and_then(|raw| fault(kind, raw)) {
            self.problem(short, &value, reason, true);
        }
    }

    /// A boolean; its default when absent or bad (`check` reports it).
    fn flag(&self, short: &str) -> bool {
        let default = match kind_of(short) {
            Bool(default) => default,
            Inject => false,
            kind => panic!("{short} is {kind:?}, not a boolean"),
        };
        self.get(short).and_then(go_parse_bool).unwrap_or(default)
    }

    fn string(&self, short: &str) -> Option<String> {
        self.get(short)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    }

    fn string_or_default(&self, short: &str) -> String {
        let default = match kind_of(short) {
            TextOr(default) | Port(default) => default,
            TextOrDialect(default) => default.of(self.dialect),
            kind => panic!("{short} is {kind:?}, which has no default text"),
        };
        self.string(short).unwrap_or_else(|| default.into())
    }

    /// A quantity; its default when absent or bad (`check` reports it).
    fn quantity(&self, short: &str) -> String {
        let Quantity(default) = kind_of(short) else {
            panic!("{short} is not a quantity");
        };
        match self.get(short) {
            None => default.to_string(),
            Some("") => String::new(),
            Some(raw) if is_valid_quantity(raw) => raw.to_string(),
            Some(_) => default.to_string(),
        }
    }
}

/// Parse the annotations of a pod template, or of a pod whose agent
/// containers are not known. Keys outside the injectors' prefixes are ignored.
pub fn parse(annotations: &BTreeMap<String, String>) -> ParsedAnnotations {
    parse_for(annotations, None)
}

/// Parse a pod's annotations, with the injector whose containers it has:
/// that injector's prefix is read (openbao-k8s may leave the
/// `vault.hashicorp.com/` keys it rewrote beside its own).
pub fn parse_for(
    annotations: &BTreeMap<String, String>,
    injected_by: Option<Injector>,
) -> ParsedAnnotations {
    let present: Vec<Dialect> = Dialect::ALL
        .into_iter()
        .filter(|d| annotations.keys().any(|k| k.starts_with(d.prefix())))
        .collect();
    // Most pods of a big cluster have nothing to parse.
    if present.is_empty() {
        return ParsedAnnotations {
            dialect: injected_by.map(Injector::dialect).unwrap_or_default(),
            ..ParsedAnnotations::default()
        };
    }
    let dialect = choose(annotations, &present, injected_by);
    let mut r = Reader {
        ann: annotations,
        dialect,
        problems: Vec::new(),
    };
    for key in keys(Form::Single) {
        r.check(key.name, key.kind);
    }
    let mut spec = injection_spec(&r);
    spec.secrets = parse_secrets(&mut r);
    ignored_keys(&mut r, spec.inject_token);

    let auth_config_role =
        annotations.contains_key(&format!("{}auth-config-role", dialect.prefix()));
    let others: Vec<Dialect> = present.into_iter().filter(|d| *d != dialect).collect();
    let rival = others.iter().copied().find(|d| {
        injected_by.is_none()
            && spec.inject
            && d.injector() != dialect.injector()
            && annotations
                .get(&format!("{}agent-inject", d.prefix()))
                .and_then(|v| go_parse_bool(v))
                == Some(true)
    });
    ParsedAnnotations {
        any: true,
        dialect,
        others,
        rival,
        spec,
        problems: r.problems,
        auth_config_role,
    }
}

/// Which of the prefixes present to read: the injector's that mutated the
/// pod, then one whose status says `injected` (the webhook wrote it), then
/// one whose `agent-inject` is true (a template half moved from one prefix
/// to the other is injected by the injector it asks), then the first in
/// [`Dialect::ALL`] order.
fn choose(
    annotations: &BTreeMap<String, String>,
    present: &[Dialect],
    injected_by: Option<Injector>,
) -> Dialect {
    let mine: Vec<Dialect> = present
        .iter()
        .copied()
        .filter(|d| injected_by.is_none_or(|i| d.injector() == i))
        .collect();
    let candidates = if mine.is_empty() { present } else { &mine };
    let injected = |d: &&Dialect| {
        annotations
            .get(&format!("{}agent-inject-status", d.prefix()))
            .is_some_and(|v| v.trim() == "injected")
    };
    let asks = |d: &&Dialect| {
        annotations
            .get(&format!("{}agent-inject", d.prefix()))
            .and_then(|v| go_parse_bool(v))
            == Some(true)
    };
    *candidates
        .iter()
        .find(injected)
        .or_else(|| candidates.iter().find(asks))
        .or(candidates.first())
        .unwrap_or(&Dialect::Vault)
}

/// The spec without its secrets, defaults applied.
fn injection_spec(r: &Reader<'_>) -> InjectionSpec {
    InjectionSpec {
        inject: r.flag("agent-inject"),
        status: r.string("agent-inject-status"),
        role: r.string("role"),
        auth_type: r.string_or_default("auth-type"),
        auth_path: r.string_or_default("auth-path"),
        vault_namespace: r.string("namespace"),
        service: r.string("service"),
        pre_populate: r.flag("agent-pre-populate"),
        pre_populate_only: r.flag("agent-pre-populate-only"),
        init_first: r.flag("agent-init-first"),
        inject_token: r.flag("agent-inject-token"),
        agent_image: r.string_or_default("agent-image"),
        configmap: r.string("agent-configmap"),
        resources: AgentResources {
            limits_cpu: r.quantity("agent-limits-cpu"),
            limits_mem: r.quantity("agent-limits-mem"),
            limits_ephemeral: r.quantity("agent-limits-ephemeral"),
            requests_cpu: r.quantity("agent-requests-cpu"),
            requests_mem: r.quantity("agent-requests-mem"),
            requests_ephemeral: r.quantity("agent-requests-ephemeral"),
        },
        cache: CacheSpec {
            enabled: r.flag("agent-cache-enable"),
            use_auto_auth_token: r.string_or_default("agent-cache-use-auto-auth-token"),
            listener_port: r.string_or_default("agent-cache-listener-port"),
            exit_on_err: r.flag("agent-cache-exit-on-err"),
        },
        secret_volume_path: r.string_or_default("secret-volume-path"),
        tls_skip_verify: r.flag("tls-skip-verify"),
        static_render_interval: r
            .string("template-static-secret-render-interval")
            .and_then(|v| parse_duration(&v)),
        secrets: Vec::new(),
    }
}

/// Unknown keys and per-secret settings that name no secret are ignored by
/// the injector: almost always a typo.
fn ignored_keys(r: &mut Reader<'_>, inject_token: bool) {
    let annotations = r.ann;
    let (dialect, prefix) = (r.dialect, r.prefix());
    let secret_raw_names: Vec<&str> = annotations
        .keys()
        .filter_map(|k| k.strip_prefix(prefix))
        .filter_map(|k| k.strip_prefix("agent-inject-secret-"))
        .collect();
    for (key, value) in annotations {
        let Some(short) = key.strip_prefix(prefix) else {
            continue;
        };
        if known(dialect, short).is_none() {
            let reason = match suggest(dialect, short) {
                Some(s) => {
                    format!("unknown annotation, ignored by the injector (did you mean {s}?)")
                }
                None => "unknown annotation, ignored by the injector".to_string(),
            };
            r.problems.push(AnnotationProblem {
                key: key.clone(),
                value: value.clone(),
                reason,
                breaks_injection: false,
            });
            continue;
        }
        let name = keys(Form::PerSecret)
            .filter(|k| !matches!(k.kind, SecretPath | CaseOverride))
            .find_map(|k| short.strip_prefix(k.name));
        if let Some(name) = name
            && !(secret_raw_names.contains(&name) || inject_token && name == "token")
        {
            r.problems.push(AnnotationProblem {
                key: key.clone(),
                value: value.clone(),
                reason: format!(
                    "no {prefix}agent-inject-secret-{name} annotation, so this setting is ignored"
                ),
                breaks_injection: false,
            });
        }
    }
}

/// `common_name=web.shop.svc` arguments in a template: the certificates it asks for.
pub fn requested_common_names(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("common_name=") {
        rest = &rest[i + "common_name=".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '`' | ')'))
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

fn parse_secrets(r: &mut Reader<'_>) -> Vec<SecretSpec> {
    let raw_names: Vec<(String, String)> = r
        .ann
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(r.prefix())
                .and_then(|s| s.strip_prefix("agent-inject-secret-"))
                .map(|n| (n.to_string(), v.clone()))
        })
        .collect();
    let default_preserve = r.flag("preserve-secret-case");
    let volume = r.string_or_default("secret-volume-path");

    let mut secrets = Vec::new();
    for (raw, path) in raw_names {
        if raw.is_empty() {
            continue;
        }
        let dialect = r.dialect;
        for key in keys(Form::PerSecret).filter(|k| !dialect.lacks(k.name)) {
            r.check(&format!("{}{raw}", key.name), key.kind);
        }
        if path.trim().is_empty() {
            r.problem(
                &format!("agent-inject-secret-{raw}"),
                &path,
                "empty Vault path",
                true,
            );
        }
        secrets.push(secret(r, &raw, &path, default_preserve, &volume));
    }
    if r.flag("agent-inject-token") {
        secrets.push(SecretSpec {
            name: "token".into(),
            path: "auth/token/lookup-self".into(),
            has_template: true,
            template: None,
            file: format!("{}/token", volume.trim_end_matches('/')),
            perms: None,
            command: None,
            error_on_missing_key: false,
        });
    }
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    secrets
}

/// The secret `agent-inject-secret-<raw>` asks for, with its settings.
fn secret(
    r: &Reader<'_>,
    raw: &str,
    path: &str,
    default_preserve: bool,
    volume: &str,
) -> SecretSpec {
    let preserve = r
        .get(&format!("preserve-secret-case-{raw}"))
        .and_then(go_parse_bool)
        .unwrap_or(default_preserve);
    let name = if preserve {
        raw.to_string()
    } else {
        raw.to_lowercase()
    };
    let template = r
        .get(&format!("agent-inject-template-{raw}"))
        .or_else(|| r.get(&format!("agent-inject-template-file-{raw}")))
        .map(String::from);
    let volume = r
        .string(&format!("secret-volume-path-{raw}"))
        .unwrap_or_else(|| volume.to_string());
    let file_name = r
        .string(&format!("agent-inject-file-{raw}"))
        .unwrap_or_else(|| name.clone());
    let file = format!(
        "{}/{}",
        volume.trim_end_matches('/'),
        file_name.trim_start_matches('/')
    );
    SecretSpec {
        name,
        path: path.trim().to_string(),
        has_template: template.is_some(),
        template,
        file,
        perms: r.string(&format!("agent-inject-perms-{raw}")),
        command: r.string(&format!("agent-inject-command-{raw}")),
        error_on_missing_key: r.flag(&format!("error-on-missing-key-{raw}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_injector() {
        let p = parse(&ann(&[("agent-inject", "true"), ("role", "web")]));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = p.spec;
        assert!(s.inject);
        assert_eq!(s.auth_path, "auth/kubernetes");
        assert_eq!(s.auth_type, "kubernetes");
        assert!(s.pre_populate);
        assert!(!s.pre_populate_only);
        assert!(!s.init_first);
        assert_eq!(s.agent_image, "hashicorp/vault:2.0.4");
        assert_eq!(s.resources.limits_cpu, "500m");
        assert_eq!(s.resources.limits_mem, "128Mi");
        assert_eq!(s.resources.requests_cpu, "250m");
        assert_eq!(s.resources.requests_mem, "64Mi");
        assert_eq!(s.resources.limits_ephemeral, "");
        assert_eq!(s.cache.listener_port, "8200");
        assert!(!s.cache.enabled);
        assert_eq!(s.secret_volume_path, "/vault/secrets");
    }

    #[test]
    fn secrets_with_their_settings() {
        let p = parse(&ann(&[
            ("agent-inject", "true"),
            ("role", "web"),
            ("agent-inject-secret-DB-Creds", "database/creds/web"),
            (
                "agent-inject-template-DB-Creds",
                "{{ with secret \"database/creds/web\" }}{{ end }}",
            ),
            ("agent-inject-file-DB-Creds", "db.env"),
            ("agent-inject-perms-DB-Creds", "0440"),
            ("agent-inject-command-DB-Creds", "kill -HUP 1"),
            ("error-on-missing-key-DB-Creds", "true"),
            ("agent-inject-secret-config", "secret/data/web/config"),
        ]));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = &p.spec.secrets;
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "config");
        assert_eq!(s[0].file, "/vault/secrets/config");
        assert!(!s[0].has_template);
        assert_eq!(s[1].name, "db-creds");
        assert_eq!(s[1].path, "database/creds/web");
        assert_eq!(s[1].file, "/vault/secrets/db.env");
        assert_eq!(s[1].perms.as_deref(), Some("0440"));
        assert_eq!(s[1].command.as_deref(), Some("kill -HUP 1"));
        assert!(s[1].has_template);
        assert!(s[1].error_on_missing_key);
    }

    #[test]
    fn preserve_case_keeps_the_name() {
        let p = parse(&ann(&[
            ("agent-inject-secret-MyKey", "kv/a"),
            ("preserve-secret-case-MyKey", "true"),
        ]));
        assert_eq!(p.spec.secrets[0].name, "MyKey");
    }

    #[test]
    fn invalid_values_are_problems_not_panics() {
        let p = parse(&ann(&[
            ("agent-inject", "maybe"),
            ("agent-inject-secret-db", "database/creds/x"),
            ("agent-inject-perms-db", "999"),
            ("agent-limits-mem", "128 megs"),
            ("agent-pre-populate", "yes"),
            ("agent-cache-listener-port", "99999"),
        ]));
        assert!(!p.spec.inject);
        let keys: Vec<&str> = p.problems.iter().map(|x| x.key.as_str()).collect();
        for k in [
            "agent-inject",
            "agent-inject-perms-db",
            "agent-limits-mem",
            "agent-pre-populate",
            "agent-cache-listener-port",
        ] {
            assert!(
                keys.contains(&format!("{PREFIX}{k}").as_str()),
                "{k} not in {keys:?}"
            );
        }
        assert!(p.problems.iter().all(|x| x.breaks_injection));
    }

    #[test]
    fn typos_are_reported_with_a_suggestion() {
        let p = parse(&ann(&[
            ("agent-inject", "true"),
            ("agent-inject-secrets-db", "database/creds/x"),
            ("rol", "x"),
        ]));
        let reasons: Vec<&str> = p.problems.iter().map(|x| x.reason.as_str()).collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("did you mean vault.hashicorp.com/agent-inject-secret-db")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("did you mean vault.hashicorp.com/role")),
            "{reasons:?}"
        );
        assert!(p.problems.iter().all(|x| !x.breaks_injection));
    }

    #[test]
    fn orphan_per_secret_settings_are_reported() {
        let p = parse(&ann(&[
            ("agent-inject-secret-db", "database/creds/x"),
            ("agent-inject-template-dbb", "{{ . }}"),
        ]));
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].reason.contains("agent-inject-secret-dbb"));
    }

    #[test]
    fn the_key_table_is_consistent() {
        for (i, a) in KEYS.iter().enumerate() {
            for b in &KEYS[i + 1..] {
                assert_ne!(a.name, b.name, "listed twice");
                if a.form != Form::Single && b.form != Form::Single {
                    assert!(!b.name.starts_with(a.name), "{} after {}", b.name, a.name);
                }
            }
        }
    }

    #[test]
    fn go_bool_semantics() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(go_parse_bool(t), Some(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(go_parse_bool(f), Some(false));
        }
        for bad in ["yes", "tRUE", "", " true", "maybe"] {
            assert_eq!(go_parse_bool(bad), None);
        }
    }

    #[test]
    fn quantities() {
        for ok in ["500m", "128Mi", "1", "0.5", "1e3", "2Gi", "+1", "1.5G"] {
            assert!(is_valid_quantity(ok), "{ok}");
        }
        for bad in ["", "128 megs", "1.2.3", "Mi", "12mb", "1e", "."] {
            assert!(!is_valid_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn perms_and_durations() {
        assert!(is_valid_perms("0440"));
        assert!(is_valid_perms("644"));
        assert!(!is_valid_perms("999"));
        assert!(!is_valid_perms("rw-r--r--"));
        assert!(is_valid_duration("30s"));
        assert!(is_valid_duration("1m30s"));
        assert!(is_valid_duration("250ms"));
        assert!(is_valid_duration("5"));
        assert!(!is_valid_duration("5 minutes"));
        assert!(!is_valid_duration("s"));
    }

    fn bao(prefix: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.to_string()))
            .collect()
    }

    /// openbao-k8s `agent-inject/agent/annotations.go` keeps vault-k8s's
    /// keys after its prefix (`openbao.openbao.org/` @6c69aa0, `openbao.org/`
    /// @31ec390 `annotations_test.go`); defaults from its `agent.go`
    /// (`DefaultBaoImage = "openbao/openbao:1.16.1"`, `DefaultBaoAuthPath =
    /// "auth/kubernetes"` @09c30f6) and `container_volume.go`
    /// (`secretVolumePath`: `/openbao/secrets` @6c69aa0, `/vault/secrets`
    /// @31ec390 after PR #18).
    #[test]
    fn openbao_keys_and_defaults() {
        for (prefix, dialect, volume) in [
            ("openbao.org/", Dialect::OpenBao, "/vault/secrets"),
            (
                "openbao.openbao.org/",
                Dialect::OpenBaoLegacy,
                "/openbao/secrets",
            ),
        ] {
            let p = parse(&bao(
                prefix,
                &[
                    ("agent-inject", "true"),
                    ("role", "stock"),
                    ("agent-inject-secret-db", "database/creds/stock"),
                    ("agent-inject-file-db", "db.env"),
                    ("agent-pre-populate-only", "true"),
                ],
            ));
            assert!(p.problems.is_empty(), "{prefix}: {:?}", p.problems);
            assert_eq!(p.dialect, dialect);
            assert_eq!(p.prefix(), prefix);
            assert_eq!(p.injector(), Injector::OpenBao);
            let s = &p.spec;
            assert!(s.inject && s.pre_populate_only);
            assert_eq!(s.role.as_deref(), Some("stock"));
            assert_eq!(s.auth_type, "kubernetes");
            assert_eq!(s.auth_path, "auth/kubernetes");
            assert_eq!(s.agent_image, "openbao/openbao:1.16.1");
            assert_eq!(s.secret_volume_path, volume);
            assert_eq!(s.secrets[0].file, format!("{volume}/db.env"));
            assert_eq!(s.resources.limits_mem, "128Mi");
            assert_eq!(s.cache.listener_port, "8200");
        }
    }

    #[test]
    fn openbao_problems_and_typos_name_its_prefix() {
        let p = parse(&bao(
            "openbao.org/",
            &[
                ("agent-inject", "true"),
                ("rol", "x"),
                ("agent-limits-mem", "lots"),
                // vault-k8s only: not in openbao-k8s's annotations.go.
                ("template-lease-renewal-threshold", "0.5"),
            ],
        ));
        let by_key = |k: &str| p.problems.iter().find(|x| x.key == k);
        assert!(
            by_key("openbao.org/rol")
                .unwrap()
                .reason
                .contains("did you mean openbao.org/role"),
            "{:?}",
            p.problems
        );
        assert!(
            by_key("openbao.org/agent-limits-mem")
                .unwrap()
                .breaks_injection
        );
        assert!(
            by_key("openbao.org/template-lease-renewal-threshold")
                .unwrap()
                .reason
                .starts_with("unknown annotation"),
            "{:?}",
            p.problems
        );
        // The delimiters came to openbao-k8s with PR #95, after the
        // openbao.openbao.org/ releases.
        let legacy = parse(&bao(
            "openbao.openbao.org/",
            &[
                ("agent-inject-secret-db", "kv/db"),
                ("agent-template-left-delim-db", "[["),
            ],
        ));
        assert_eq!(legacy.problems.len(), 1, "{:?}", legacy.problems);
        assert!(legacy.problems[0].reason.starts_with("unknown annotation"));
        let newer = parse(&bao(
            "openbao.org/",
            &[
                ("agent-inject-secret-db", "kv/db"),
                ("agent-template-left-delim-db", "[["),
            ],
        ));
        assert!(newer.problems.is_empty(), "{:?}", newer.problems);
    }

    /// What the webhook's `Init` writes into a pod it injects, with the
    /// injector's default flags (`Init` in agent-inject/agent/annotations.go,
    /// the same code in vault-k8s and openbao-k8s @6c69aa0).
    const WRITTEN_BY_INIT: &[(&str, &str)] = &[
        ("agent-inject-status", "injected"),
        ("service", "http://openbao.openbao.svc:8200"),
        ("auth-type", "kubernetes"),
        ("auth-path", "auth/kubernetes"),
        ("namespace", ""),
        ("proxy-address", ""),
        ("agent-image", "quay.io/openbao/openbao:2.2.0"),
        ("agent-request-namespace", "inventory"),
        ("agent-limits-cpu", "500m"),
        ("agent-limits-mem", "128Mi"),
        ("agent-limits-ephemeral", ""),
        ("agent-requests-cpu", "250m"),
        ("agent-requests-mem", "64Mi"),
        ("agent-requests-ephemeral", ""),
        ("secret-volume-path", "/vault/secrets"),
        ("agent-revoke-on-shutdown", "false"),
        ("agent-revoke-grace", "5"),
        ("log-level", "info"),
        ("log-format", "standard"),
        ("agent-service-account-token-volume-name", ""),
        ("agent-set-security-context", "true"),
        ("agent-run-as-user", "100"),
        ("agent-run-as-same-user", "false"),
        ("agent-run-as-group", "1000"),
        ("agent-cache-enable", "false"),
        ("agent-cache-listener-port", "8200"),
        ("agent-cache-use-auto-auth-token", "true"),
        ("agent-cache-exit-on-err", "false"),
        ("agent-inject-containers", "app"),
        ("agent-inject-default-template", "map"),
        ("template-config-exit-on-retry-failure", "true"),
        ("template-static-secret-render-interval", ""),
        ("template-max-connections-per-host", "0"),
        ("agent-disable-idle-connections", ""),
        ("agent-disable-keep-alives", ""),
    ];

    /// An injected pod carries every default the webhook wrote; none of
    /// them is a problem (the disable-* lists and an empty interval are
    /// what `Init` writes, not bad booleans or durations).
    #[test]
    fn what_the_webhook_writes_parses_cleanly() {
        for d in Dialect::ALL {
            let mut pairs = vec![
                ("agent-inject", "true"),
                ("role", "stock"),
                ("agent-inject-secret-db", "database/creds/stock"),
            ];
            pairs.extend_from_slice(WRITTEN_BY_INIT);
            let p = parse_for(&bao(d.prefix(), &pairs), Some(d.injector()));
            assert!(p.problems.is_empty(), "{d:?}: {:#?}", p.problems);
            assert!(p.spec.is_injected());
        }
        let p = parse(&ann(&[(
            "agent-disable-keep-alives",
            "auto-auth,templating",
        )]));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let p = parse(&ann(&[("template-static-secret-render-interval", "often")]));
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn the_prefix_read_is_the_injectors_that_mutated_the_pod() {
        // openbao-k8s rewrites vault.hashicorp.com/ keys to openbao.org/ and
        // may leave the old ones (PR #21): its containers settle it.
        let mut a = ann(&[("agent-inject", "true"), ("role", "old")]);
        a.extend(bao(
            "openbao.org/",
            &[
                ("agent-inject", "true"),
                ("agent-inject-status", "injected"),
                ("role", "new"),
            ],
        ));
        let p = parse_for(&a, Some(Injector::OpenBao));
        assert_eq!(p.dialect, Dialect::OpenBao);
        assert_eq!(p.others, vec![Dialect::Vault]);
        assert_eq!(p.rival, None);
        assert_eq!(p.spec.role.as_deref(), Some("new"));
        // Without containers, the status the webhook wrote tells.
        let p = parse(&a);
        assert_eq!(p.dialect, Dialect::OpenBao);
        // Neither injected: both ask, vault-k8s's is read, the other is a rival.
        let mut both = ann(&[("agent-inject", "true"), ("role", "a")]);
        both.extend(bao("openbao.org/", &[("agent-inject", "true")]));
        let p = parse(&both);
        assert_eq!(p.dialect, Dialect::Vault);
        assert_eq!(p.rival, Some(Dialect::OpenBao));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        // Only one asks: a template half moved to openbao.org/ (a stray
        // vault.hashicorp.com/ key left) is read as openbao-k8s reads it.
        let mut half = ann(&[("agent-inject-secret-old", "secret/data/old")]);
        half.extend(bao(
            "openbao.org/",
            &[("agent-inject", "true"), ("role", "new")],
        ));
        let p = parse(&half);
        assert_eq!(p.dialect, Dialect::OpenBao);
        assert!(p.spec.inject);
        assert_eq!(p.spec.role.as_deref(), Some("new"));
        assert_eq!(p.others, vec![Dialect::Vault]);
        assert_eq!(p.rival, None);
        // Nothing at all: the injector's prefix, for messages.
        let p = parse_for(&BTreeMap::new(), Some(Injector::OpenBao));
        assert!(!p.any);
        assert_eq!(p.prefix(), "openbao.org/");
    }

    #[test]
    fn common_names_requested_by_templates() {
        assert_eq!(
            requested_common_names(
                r#"{{ with pkiCert "pki/issue/web" "common_name=web.shop.svc" "ttl=24h" }}"#
            ),
            vec!["web.shop.svc"]
        );
    }
}
