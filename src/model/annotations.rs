//! Parsing of `vault.hashicorp.com/*` pod annotations into an [`InjectionSpec`],
//! with the defaults the vault-k8s 1.7 injector applies.
//!
//! Parsing never fails: every value the injector would reject (or silently
//! ignore) becomes an [`AnnotationProblem`] so diagnosis can report it.

use std::collections::BTreeMap;

pub const PREFIX: &str = "vault.hashicorp.com/";

pub const DEFAULT_AGENT_IMAGE: &str = "hashicorp/vault:2.0.4";
pub const DEFAULT_AUTH_TYPE: &str = "kubernetes";
pub const DEFAULT_AUTH_PATH: &str = "auth/kubernetes";
pub const DEFAULT_SECRET_VOLUME_PATH: &str = "/vault/secrets";
pub const DEFAULT_CACHE_LISTENER_PORT: &str = "8200";

/// Keys that take a single value (no per-secret suffix).
const PLAIN_KEYS: &[&str] = &[
    "agent-inject",
    "agent-inject-status",
    "agent-inject-token",
    "agent-inject-containers",
    "agent-inject-default-template",
    "agent-image",
    "agent-request-namespace",
    "agent-init-first",
    "agent-pre-populate",
    "agent-pre-populate-only",
    "agent-configmap",
    "agent-extra-secret",
    "agent-limits-cpu",
    "agent-limits-mem",
    "agent-limits-ephemeral",
    "agent-requests-cpu",
    "agent-requests-mem",
    "agent-requests-ephemeral",
    "agent-revoke-on-shutdown",
    "agent-revoke-grace",
    "agent-run-as-user",
    "agent-run-as-group",
    "agent-run-as-same-user",
    "agent-set-security-context",
    "agent-share-process-namespace",
    "agent-service-account-token-volume-name",
    "agent-cache-enable",
    "agent-cache-use-auto-auth-token",
    "agent-cache-listener-port",
    "agent-cache-exit-on-err",
    "agent-copy-volume-mounts",
    "agent-enable-quit",
    "agent-auto-auth-exit-on-err",
    "agent-disable-idle-connections",
    "agent-disable-keep-alives",
    "agent-json-patch",
    "agent-init-json-patch",
    "namespace",
    "service",
    "proxy-address",
    "tls-skip-verify",
    "tls-secret",
    "tls-server-name",
    "ca-cert",
    "ca-key",
    "client-cert",
    "client-key",
    "client-max-retries",
    "client-timeout",
    "go-max-procs",
    "log-level",
    "log-format",
    "role",
    "auth-type",
    "auth-path",
    "auth-min-backoff",
    "auth-max-backoff",
    "template-config-exit-on-retry-failure",
    "template-static-secret-render-interval",
    "template-max-connections-per-host",
    "template-lease-renewal-threshold",
    "secret-volume-path",
    "preserve-secret-case",
];

/// Per-secret keys: `<prefix>-<NAME>`. Ordered so that longer prefixes that
/// share a stem (`agent-inject-template-file-`) are tried before shorter ones.
const SECRET_KEYS: &[&str] = &[
    "agent-inject-template-file-",
    "agent-inject-template-",
    "agent-inject-secret-",
    "agent-inject-file-",
    "agent-inject-perms-",
    "agent-inject-command-",
    "secret-volume-path-",
    "preserve-secret-case-",
    "error-on-missing-key-",
    "agent-template-left-delim-",
    "agent-template-right-delim-",
];

/// Prefixes passed through to the agent configuration verbatim.
const PASS_THROUGH_PREFIXES: &[&str] = &["auth-config-", "agent-telemetry-"];

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
        let short = self.key.strip_prefix(PREFIX).unwrap_or(&self.key);
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
    /// Any `vault.hashicorp.com/*` key is present.
    pub any: bool,
    pub spec: InjectionSpec,
    pub problems: Vec<AnnotationProblem>,
    /// `auth-config-role` given (a role source other than `role`).
    pub auth_config_role: bool,
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
    if raw.chars().all(|c| c.is_ascii_digit()) {
        return !raw.is_empty();
    }
    let mut rest = raw;
    let mut parts = 0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(**u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
        parts += 1;
    }
    parts > 0
}

fn known_key(short: &str) -> bool {
    PLAIN_KEYS.contains(&short)
        || SECRET_KEYS
            .iter()
            .any(|p| short.starts_with(p) && short.len() > p.len())
        || PASS_THROUGH_PREFIXES
            .iter()
            .any(|p| short.starts_with(p) && short.len() > p.len())
}

/// The closest known key, to suggest a fix for a typo.
fn suggest(short: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    let mut consider = |candidate: String| {
        let d = edit_distance(short, &candidate);
        if d <= 3 && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, candidate));
        }
    };
    for k in PLAIN_KEYS {
        consider((*k).to_string());
    }
    // For per-secret keys, compare the stem and keep the user's NAME:
    // `agent-inject-secrets-db` → `agent-inject-secret-db`.
    for p in SECRET_KEYS {
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
    best.map(|(_, k)| format!("{PREFIX}{k}"))
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
    problems: Vec<AnnotationProblem>,
}

impl Reader<'_> {
    fn get(&self, short: &str) -> Option<&str> {
        self.ann
            .get(&format!("{PREFIX}{short}"))
            .map(String::as_str)
    }

    fn problem(&mut self, short: &str, value: &str, reason: impl Into<String>, breaks: bool) {
        self.problems.push(AnnotationProblem {
            key: format!("{PREFIX}{short}"),
            value: value.to_string(),
            reason: reason.into(),
            breaks_injection: breaks,
        });
    }

    /// A boolean the injector parses with `strconv.ParseBool`; a bad value makes
    /// the injector return an error for the pod.
    fn bool(&mut self, short: &str, default: bool) -> bool {
        match self.get(short) {
            None => default,
            Some(raw) => match go_parse_bool(raw) {
                Some(b) => b,
                None => {
                    let raw = raw.to_string();
                    self.problem(
                        short,
                        &raw,
                        "not a boolean (the injector accepts true/false, 1/0, t/f)",
                        true,
                    );
                    default
                }
            },
        }
    }

    fn string(&self, short: &str) -> Option<String> {
        self.get(short)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    }

    fn quantity(&mut self, short: &str, default: &str) -> String {
        match self.get(short) {
            None => default.to_string(),
            Some("") => String::new(),
            Some(raw) if is_valid_quantity(raw) => raw.to_string(),
            Some(raw) => {
                let raw = raw.to_string();
                self.problem(
                    short,
                    &raw,
                    "not a Kubernetes quantity (e.g. 250m, 64Mi)",
                    true,
                );
                default.to_string()
            }
        }
    }
}

/// Parse a pod's annotations. Keys outside `vault.hashicorp.com/` are ignored.
pub fn parse(annotations: &BTreeMap<String, String>) -> ParsedAnnotations {
    let any = annotations.keys().any(|k| k.starts_with(PREFIX));
    // Most pods of a big cluster have nothing to parse.
    if !any {
        return ParsedAnnotations::default();
    }
    let mut r = Reader {
        ann: annotations,
        problems: Vec::new(),
    };

    let inject = match r.get("agent-inject") {
        None => false,
        Some(raw) => match go_parse_bool(raw) {
            Some(b) => b,
            None => {
                let raw = raw.to_string();
                r.problem(
                    "agent-inject",
                    &raw,
                    "not a boolean: the injector fails to parse it and the pod is admitted without injection",
                    true,
                );
                false
            }
        },
    };

    let mut spec = InjectionSpec {
        inject,
        status: r.string("agent-inject-status"),
        role: r.string("role"),
        auth_type: r
            .string("auth-type")
            .unwrap_or_else(|| DEFAULT_AUTH_TYPE.into()),
        auth_path: r
            .string("auth-path")
            .unwrap_or_else(|| DEFAULT_AUTH_PATH.into()),
        vault_namespace: r.string("namespace"),
        service: r.string("service"),
        pre_populate: r.bool("agent-pre-populate", true),
        pre_populate_only: r.bool("agent-pre-populate-only", false),
        init_first: r.bool("agent-init-first", false),
        inject_token: r.bool("agent-inject-token", false),
        agent_image: r
            .string("agent-image")
            .unwrap_or_else(|| DEFAULT_AGENT_IMAGE.into()),
        configmap: r.string("agent-configmap"),
        resources: AgentResources::default(),
        cache: CacheSpec::default(),
        secret_volume_path: r
            .string("secret-volume-path")
            .unwrap_or_else(|| DEFAULT_SECRET_VOLUME_PATH.into()),
        tls_skip_verify: r.bool("tls-skip-verify", false),
        secrets: Vec::new(),
    };
    spec.resources = AgentResources {
        limits_cpu: r.quantity("agent-limits-cpu", "500m"),
        limits_mem: r.quantity("agent-limits-mem", "128Mi"),
        limits_ephemeral: r.quantity("agent-limits-ephemeral", ""),
        requests_cpu: r.quantity("agent-requests-cpu", "250m"),
        requests_mem: r.quantity("agent-requests-mem", "64Mi"),
        requests_ephemeral: r.quantity("agent-requests-ephemeral", ""),
    };
    spec.cache = CacheSpec {
        enabled: r.bool("agent-cache-enable", false),
        use_auto_auth_token: r
            .string("agent-cache-use-auto-auth-token")
            .unwrap_or_else(|| "true".into()),
        listener_port: r
            .string("agent-cache-listener-port")
            .unwrap_or_else(|| DEFAULT_CACHE_LISTENER_PORT.into()),
        exit_on_err: r.bool("agent-cache-exit-on-err", false),
    };
    for key in [
        "agent-revoke-on-shutdown",
        "agent-run-as-same-user",
        "agent-set-security-context",
        "agent-share-process-namespace",
        "agent-enable-quit",
        "agent-auto-auth-exit-on-err",
        "agent-disable-idle-connections",
        "agent-disable-keep-alives",
        "template-config-exit-on-retry-failure",
        "preserve-secret-case",
    ] {
        r.bool(key, false);
    }
    for key in [
        "agent-run-as-user",
        "agent-run-as-group",
        "agent-revoke-grace",
        "client-max-retries",
        "go-max-procs",
        "template-max-connections-per-host",
    ] {
        if let Some(raw) = r.get(key)
            && raw.trim().parse::<u64>().is_err()
        {
            let raw = raw.to_string();
            r.problem(key, &raw, "not a non-negative integer", true);
        }
    }
    if let Some(raw) = r.get("agent-cache-listener-port")
        && raw.trim().parse::<u16>().is_err()
    {
        let raw = raw.to_string();
        r.problem(
            "agent-cache-listener-port",
            &raw,
            "not a TCP port number",
            true,
        );
    }
    for key in [
        "client-timeout",
        "auth-min-backoff",
        "auth-max-backoff",
        "template-static-secret-render-interval",
    ] {
        if let Some(raw) = r.get(key)
            && !is_valid_duration(raw.trim())
        {
            let raw = raw.to_string();
            r.problem(key, &raw, "not a duration (e.g. 30s, 5m)", true);
        }
    }
    if let Some(raw) = r.get("log-level")
        && !matches!(
            raw.to_ascii_lowercase().as_str(),
            "trace" | "debug" | "info" | "warn" | "warning" | "error" | "err" | "off"
        )
    {
        let raw = raw.to_string();
        r.problem(
            "log-level",
            &raw,
            "not a log level (trace, debug, info, warn, error)",
            true,
        );
    }
    if let Some(raw) = r.get("log-format")
        && !matches!(raw, "standard" | "json")
    {
        let raw = raw.to_string();
        r.problem(
            "log-format",
            &raw,
            "not a log format (standard, json)",
            true,
        );
    }
    if let Some(raw) = r.get("agent-inject-default-template")
        && !matches!(raw, "map" | "json")
    {
        let raw = raw.to_string();
        r.problem(
            "agent-inject-default-template",
            &raw,
            "not a template type (map, json)",
            true,
        );
    }

    spec.secrets = parse_secrets(&mut r);

    // Unknown keys and per-secret settings that name no secret are ignored by
    // the injector: almost always a typo.
    let secret_raw_names: Vec<&str> = annotations
        .keys()
        .filter_map(|k| k.strip_prefix(PREFIX))
        .filter_map(|k| k.strip_prefix("agent-inject-secret-"))
        .collect();
    for (key, value) in annotations {
        let Some(short) = key.strip_prefix(PREFIX) else {
            continue;
        };
        if !known_key(short) {
            let reason = match suggest(short) {
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
        for p in SECRET_KEYS {
            if *p == "agent-inject-secret-" || *p == "preserve-secret-case-" {
                continue;
            }
            if let Some(name) = short.strip_prefix(p) {
                if !(secret_raw_names.contains(&name) || spec.inject_token && name == "token") {
                    r.problems.push(AnnotationProblem {
                        key: key.clone(),
                        value: value.clone(),
                        reason: format!(
                            "no {PREFIX}agent-inject-secret-{name} annotation, so this setting is ignored"
                        ),
                        breaks_injection: false,
                    });
                }
                break;
            }
        }
    }

    let auth_config_role = annotations.contains_key(&format!("{PREFIX}auth-config-role"));
    ParsedAnnotations {
        any,
        spec,
        problems: r.problems,
        auth_config_role,
    }
}

fn parse_secrets(r: &mut Reader<'_>) -> Vec<SecretSpec> {
    let raw_names: Vec<(String, String)> = r
        .ann
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(PREFIX)
                .and_then(|s| s.strip_prefix("agent-inject-secret-"))
                .map(|n| (n.to_string(), v.clone()))
        })
        .collect();
    let default_preserve = r
        .get("preserve-secret-case")
        .and_then(go_parse_bool)
        .unwrap_or(false);
    let volume = r
        .string("secret-volume-path")
        .unwrap_or_else(|| DEFAULT_SECRET_VOLUME_PATH.into());

    let mut secrets = Vec::new();
    for (raw, path) in raw_names {
        if raw.is_empty() {
            continue;
        }
        let preserve = r
            .get(&format!("preserve-secret-case-{raw}"))
            .and_then(go_parse_bool)
            .unwrap_or(default_preserve);
        let name = if preserve {
            raw.clone()
        } else {
            raw.to_lowercase()
        };
        let template = r
            .get(&format!("agent-inject-template-{raw}"))
            .or_else(|| r.get(&format!("agent-inject-template-file-{raw}")))
            .map(String::from);
        let volume = r
            .string(&format!("secret-volume-path-{raw}"))
            .unwrap_or_else(|| volume.clone());
        let file_name = r
            .string(&format!("agent-inject-file-{raw}"))
            .unwrap_or_else(|| name.clone());
        let file = format!(
            "{}/{}",
            volume.trim_end_matches('/'),
            file_name.trim_start_matches('/')
        );
        let perms = r.string(&format!("agent-inject-perms-{raw}"));
        if let Some(p) = &perms
            && !is_valid_perms(p)
        {
            let p = p.clone();
            r.problem(
                &format!("agent-inject-perms-{raw}"),
                &p,
                "not octal file permissions (e.g. 0440)",
                true,
            );
        }
        let error_on_missing_key = r.bool(&format!("error-on-missing-key-{raw}"), false);
        if path.trim().is_empty() {
            r.problem(
                &format!("agent-inject-secret-{raw}"),
                &path,
                "empty Vault path",
                true,
            );
        }
        secrets.push(SecretSpec {
            name,
            path: path.trim().to_string(),
            has_template: template.is_some(),
            template,
            file,
            perms,
            command: r.string(&format!("agent-inject-command-{raw}")),
            error_on_missing_key,
        });
    }
    if r.get("agent-inject-token")
        .and_then(go_parse_bool)
        .unwrap_or(false)
    {
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
}
