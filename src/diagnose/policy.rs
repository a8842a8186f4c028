//! Vault ACL policies: a small parser for the `path "..." { capabilities = [...] }`
//! rules of an HCL (or JSON) policy, and an evaluator that follows Vault's
//! matching rules. Pure.
//!
//! Matching, as Vault's ACL does it:
//! - rules for the same path string from several policies are merged first:
//!   capabilities are united, and `deny` in any of them wins;
//! - a path matches a rule exactly, by a trailing `*` glob (prefix match), or
//!   with `+` standing for exactly one path segment;
//! - of all matching rules the most specific is used. P1 is less specific than
//!   P2 when its first `+` or `*` comes earlier, else when it ends in `*` and P2
//!   does not, else when it has more `+` segments, else when it is shorter,
//!   else when it sorts lower;
//! - the chosen rule's capabilities decide: `deny` denies everything.

use std::collections::{BTreeMap, BTreeSet};

/// One `path` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub path: String,
    pub capabilities: BTreeSet<String>,
}

/// Parse the path rules of a policy (HCL, or the JSON form). Stanzas other
/// than `path`, and attributes other than `capabilities` / legacy `policy`,
/// are skipped.
pub fn parse(text: &str) -> Result<Vec<PathRule>, String> {
    if text.trim_start().starts_with('{') {
        return parse_json(text);
    }
    let toks = tokenize(text)?;
    let mut rules = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Ident(id) if id == "path" => {
                let Some(Tok::Str(p)) = toks.get(i + 1) else {
                    return Err("`path` must be followed by a quoted path".into());
                };
                i += 2;
                if toks.get(i) == Some(&Tok::Punct('=')) {
                    i += 1;
                }
                if toks.get(i) != Some(&Tok::Punct('{')) {
                    return Err(format!("path \"{p}\": expected `{{`"));
                }
                let end = matching(&toks, i)?;
                let caps = body_capabilities(&toks[i + 1..end]);
                rules.push(PathRule {
                    path: p.clone(),
                    capabilities: caps,
                });
                i = end + 1;
            }
            Tok::Punct('{') | Tok::Punct('[') => i = matching(&toks, i)? + 1,
            _ => i += 1,
        }
    }
    Ok(rules)
}

fn parse_json(text: &str) -> Result<Vec<PathRule>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut rules = Vec::new();
    if let Some(paths) = v.get("path").and_then(|p| p.as_object()) {
        for (p, body) in paths {
            let mut caps: BTreeSet<String> = body
                .get("capabilities")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(legacy) = body.get("policy").and_then(|x| x.as_str()) {
                caps.extend(legacy_capabilities(legacy));
            }
            rules.push(PathRule {
                path: p.clone(),
                capabilities: caps,
            });
        }
    }
    Ok(rules)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    Other,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("unterminated /* comment".into());
                }
                i += 2;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => s.push('\n'),
                                Some('t') => s.push('\t'),
                                Some(&c) => s.push(c),
                                None => return Err("unterminated string".into()),
                            }
                            i += 2;
                        }
                        Some(&c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Tok::Str(s));
            }
            '{' | '}' | '[' | ']' | '=' | ',' => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-')
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            _ => {
                out.push(Tok::Other);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Index of the bracket closing the one at `open`.
fn matching(toks: &[Tok], open: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('{') | Tok::Punct('[') => depth += 1,
            Tok::Punct('}') | Tok::Punct(']') => {
                depth -= 1;
                if depth == 0 {
                    return Ok(j);
                }
            }
            _ => {}
        }
    }
    Err("unbalanced brackets".into())
}

/// `capabilities = [...]` and legacy `policy = "..."` at the top level of a
/// path body.
fn body_capabilities(body: &[Tok]) -> BTreeSet<String> {
    let mut caps = BTreeSet::new();
    let mut i = 0;
    while i < body.len() {
        match &body[i] {
            Tok::Ident(id)
                if (id == "capabilities" || id == "policy")
                    && body.get(i + 1) == Some(&Tok::Punct('=')) =>
            {
                match body.get(i + 2) {
                    Some(Tok::Punct('[')) => {
                        let end = matching(body, i + 2).unwrap_or(body.len() - 1);
                        for t in &body[i + 3..end] {
                            if let Tok::Str(s) = t {
                                caps.insert(s.trim().to_lowercase());
                            }
                        }
                        i = end + 1;
                    }
                    Some(Tok::Str(s)) if id == "policy" => {
                        caps.extend(legacy_capabilities(s));
                        i += 3;
                    }
                    _ => i += 2,
                }
            }
            Tok::Punct('{') | Tok::Punct('[') => {
                i = matching(body, i).map_or(body.len(), |e| e + 1);
            }
            _ => i += 1,
        }
    }
    caps
}

/// The pre-0.9 `policy = "write"` shorthand.
fn legacy_capabilities(p: &str) -> Vec<String> {
    let v: &[&str] = match p {
        "deny" => &["deny"],
        "read" => &["read", "list"],
        "write" => &["read", "list", "create", "update", "delete"],
        "sudo" => &["read", "list", "create", "update", "delete", "sudo"],
        _ => &[],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// A merged rule: the capabilities and the policies that contributed them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergedRule {
    pub capabilities: BTreeSet<String>,
    pub policies: BTreeSet<String>,
    /// The policies whose rule on this path says `deny`.
    pub denied_by: BTreeSet<String>,
}

/// The ACL of a token with several policies.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    rules: BTreeMap<String, MergedRule>,
}

/// The outcome of checking one path and capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The rule that decided (`None`: no rule matches, so denied).
    pub rule: Option<String>,
    pub capabilities: BTreeSet<String>,
    /// The policies that hold the deciding rule.
    pub policies: BTreeSet<String>,
}

impl Acl {
    /// Build from `(policy name, rules)` pairs.
    pub fn new<'a>(policies: impl IntoIterator<Item = (&'a str, Vec<PathRule>)>) -> Acl {
        let mut rules: BTreeMap<String, MergedRule> = BTreeMap::new();
        for (name, rs) in policies {
            for r in rs {
                let m = rules.entry(r.path).or_default();
                m.policies.insert(name.to_string());
                if r.capabilities.iter().any(|c| c == "deny") {
                    m.denied_by.insert(name.to_string());
                }
                m.capabilities.extend(r.capabilities);
            }
        }
        for m in rules.values_mut() {
            if m.capabilities.contains("deny") {
                m.capabilities = ["deny".to_string()].into();
            }
        }
        Acl { rules }
    }

    /// The most specific rule matching `path`.
    pub fn matching_rule(&self, path: &str) -> Option<(&str, &MergedRule)> {
        self.rules
            .iter()
            .filter(|(p, _)| pattern_matches(p, path))
            .max_by(|a, b| specificity(a.0).cmp(&specificity(b.0)))
            .map(|(p, m)| (p.as_str(), m))
    }

    pub fn check(&self, path: &str, capability: &str) -> Decision {
        match self.matching_rule(path) {
            None => Decision {
                allowed: false,
                rule: None,
                capabilities: BTreeSet::new(),
                policies: BTreeSet::new(),
            },
            Some((p, m)) => Decision {
                allowed: !m.capabilities.contains("deny") && m.capabilities.contains(capability),
                rule: Some(p.to_string()),
                capabilities: m.capabilities.clone(),
                // A deny is one policy's doing: name that one, not every
                // policy that shares the path.
                policies: if m.denied_by.is_empty() {
                    m.policies.clone()
                } else {
                    m.denied_by.clone()
                },
            },
        }
    }
}

/// Does the rule path `pattern` match `path`?
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (pat, glob) = match pattern.strip_suffix('*') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    if !pat.contains('+') {
        return if glob {
            path.starts_with(pat)
        } else {
            path == pat
        };
    }
    let pp: Vec<&str> = pat.split('/').collect();
    let sp: Vec<&str> = path.split('/').collect();
    if sp.len() < pp.len() || (!glob && sp.len() != pp.len()) {
        return false;
    }
    let last = pp.len() - 1;
    pp.iter().enumerate().all(|(i, part)| {
        if *part == "+" {
            // `+` is one whole, non-empty... Vault accepts any segment here.
            return true;
        }
        if glob && i == last {
            sp[i].starts_with(part)
        } else {
            sp[i] == *part
        }
    })
}

/// Orders rule paths from least to most specific (Vault's priority rules).
fn specificity(p: &str) -> (usize, bool, std::cmp::Reverse<usize>, usize, &str) {
    let first_wc = p.find(['+', '*']).unwrap_or(usize::MAX);
    let not_glob = !p.ends_with('*');
    let pluses = p.split('/').filter(|s| *s == "+").count();
    (first_wc, not_glob, std::cmp::Reverse(pluses), p.len(), p)
}

/// The capability a client needs on a secret path: `update` to issue or sign
/// a certificate, `read` otherwise.
pub fn needed_capability(path: &str) -> &'static str {
    if path.contains("/issue/") || path.contains("/sign/") {
        "update"
    } else {
        "read"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(policies: &[(&str, &str)]) -> Acl {
        Acl::new(
            policies
                .iter()
                .map(|(n, t)| (*n, parse(t).expect("parses"))),
        )
    }

    #[test]
    fn parses_hcl_with_comments_and_other_attributes() {
        let text = r#"
# comment
path "secret/data/shop/*" {
  capabilities = ["read", "list"] // trailing
}
/* block
   comment path "nope" { capabilities = ["sudo"] } */
path "sys/leases/lookup/*" {
  capabilities = ["list", "sudo"]
  allowed_parameters = {
    "lease_id" = []
  }
}
path "old/*" { policy = "write" }
"#;
        let rules = parse(text).unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].path, "secret/data/shop/*");
        assert!(rules[0].capabilities.contains("list"));
        assert_eq!(
            rules[1].capabilities,
            ["list", "sudo"].map(String::from).into()
        );
        assert!(rules[2].capabilities.contains("update"));
    }

    #[test]
    fn parses_json_policies() {
        let rules = parse(r#"{"path": {"secret/*": {"capabilities": ["read"]}}}"#).unwrap();
        assert_eq!(rules[0].path, "secret/*");
    }

    #[test]
    fn the_shipped_policy_parses() {
        let rules = parse(include_str!("../../docs/vaultscope-policy.hcl")).unwrap();
        let a = Acl::new([("vaultscope", rules)]);
        assert!(
            a.check("sys/leases/lookup/database/creds/billing/", "sudo")
                .allowed
        );
        assert!(a.check("secret/metadata/shop/catalog", "read").allowed);
        assert!(!a.check("secret/data/shop/catalog", "read").allowed);
        assert!(!a.check("database/creds/billing", "read").allowed);
        assert!(!a.check("pki/issue/web", "update").allowed);
    }

    #[test]
    fn exact_glob_and_segment_wildcards() {
        assert!(pattern_matches("secret/data/a", "secret/data/a"));
        assert!(!pattern_matches("secret/data/a", "secret/data/ab"));
        assert!(pattern_matches("secret/data/a*", "secret/data/ab"));
        assert!(pattern_matches("secret/*", "secret/data/x/y"));
        assert!(pattern_matches("secret/+/x", "secret/data/x"));
        assert!(!pattern_matches("secret/+/x", "secret/data/x/y"));
        assert!(!pattern_matches("secret/+/x", "secret/x"));
        assert!(pattern_matches("secret/+/x/*", "secret/data/x/y/z"));
        assert!(pattern_matches("+/metadata/*", "kv/metadata/app"));
        assert!(pattern_matches("secret/+/te*", "secret/a/team"));
    }

    #[test]
    fn deny_wins_when_merging_the_same_path() {
        let a = acl(&[
            ("a", r#"path "secret/data/x" { capabilities = ["read"] }"#),
            ("b", r#"path "secret/data/x" { capabilities = ["deny"] }"#),
        ]);
        let d = a.check("secret/data/x", "read");
        assert!(!d.allowed);
        // Only the policy that holds the deny is named: it is the one to change.
        assert_eq!(d.policies, ["b"].map(String::from).into());
    }

    #[test]
    fn capabilities_of_the_same_path_are_united() {
        let a = acl(&[
            ("a", r#"path "secret/data/x" { capabilities = ["list"] }"#),
            ("b", r#"path "secret/data/x" { capabilities = ["read"] }"#),
        ]);
        assert!(a.check("secret/data/x", "read").allowed);
    }

    #[test]
    fn the_most_specific_rule_decides() {
        let a = acl(&[(
            "p",
            r#"
path "secret/*" { capabilities = ["read"] }
path "secret/data/private/*" { capabilities = ["deny"] }
path "secret/data/private/open" { capabilities = ["read"] }
path "secret/+/team/*" { capabilities = ["deny"] }
path "secret/data/+/team" { capabilities = ["deny"] }
"#,
        )]);
        assert!(a.check("secret/data/app", "read").allowed);
        assert!(!a.check("secret/data/private/x", "read").allowed);
        // exact beats a glob
        assert!(a.check("secret/data/private/open", "read").allowed);
        // same first-wildcard position, both globs: more `+` segments lose
        let d = a.check("secret/data/team/x", "read");
        assert!(d.allowed);
        assert_eq!(d.rule.as_deref(), Some("secret/*"));
        // the first wildcard comes later in "secret/data/+/team" than in "secret/*"
        let d = a.check("secret/data/a/team", "read");
        assert!(!d.allowed);
        assert_eq!(d.rule.as_deref(), Some("secret/data/+/team"));
    }

    #[test]
    fn priority_rules_in_order() {
        // 2: ending in * is lower than not
        let a = acl(&[(
            "p",
            r#"path "a/+/c" { capabilities = ["read"] }
               path "a/+/c*" { capabilities = ["deny"] }"#,
        )]);
        assert!(a.check("a/b/c", "read").allowed);
        // 3: more + segments is lower
        let a = acl(&[(
            "p",
            r#"path "a/+/+" { capabilities = ["deny"] }
               path "a/+/c" { capabilities = ["read"] }"#,
        )]);
        assert!(a.check("a/b/c", "read").allowed);
        // 4: shorter glob is lower
        let a = acl(&[(
            "p",
            r#"path "a/b*" { capabilities = ["deny"] }
               path "a/bc*" { capabilities = ["read"] }"#,
        )]);
        assert!(a.check("a/bcd", "read").allowed);
    }

    #[test]
    fn no_matching_rule_denies() {
        let a = acl(&[(
            "p",
            r#"path "secret/data/ledger/*" { capabilities = ["read"] }"#,
        )]);
        let d = a.check("secret/data/payments/config", "read");
        assert!(!d.allowed);
        assert_eq!(d.rule, None);
        assert_eq!(needed_capability("pki/issue/web"), "update");
    }
}
