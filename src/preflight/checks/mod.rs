//! The checks, ring by ring. Pure: each ring gets what its source read
//! (the manifests; Vault's answers; the cluster's) and returns findings.
//!
//! The logins a manifest asks for ([`logins`]) are computed once: they say
//! what Vault is asked about (ring 2) and what its answers are checked
//! against.

pub mod cluster;
pub mod manifests;
pub mod vault;

use crate::diagnose::{self, Severity};
use crate::model::annotations::{self, ParsedAnnotations};
use crate::model::csi::SecretProviderClassInfo;
use crate::model::injection::Injection;
use crate::model::injector::Dialect;
use crate::model::interest::RoleRef;
use crate::model::paths::{auth_path, normalize_path};
use crate::safe::redact;

use super::finding::{Code, Finding, Ring};
use super::manifest::{Loc, Manifests, ProviderClass, Workload};

/// Collects one ring's findings.
pub struct Sink<'a> {
    files: &'a [String],
    ring: Ring,
    pub out: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub fn new(files: &'a [String], ring: Ring) -> Self {
        Sink {
            files,
            ring,
            out: Vec::new(),
        }
    }

    /// A finding at `loc`. Text others wrote (values, Vault's answers) may
    /// be in any part: each is redacted here, once.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        code: Code,
        severity: Severity,
        loc: Loc,
        object: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
        evidence: Option<String>,
    ) {
        let file = self
            .files
            .get(loc.file)
            .cloned()
            .unwrap_or_else(|| "?".into());
        self.out.push(Finding {
            code,
            severity,
            ring: self.ring,
            file,
            line: loc.line.max(1),
            object: redact(object).into_owned(),
            message: redact(&message.into()).into_owned(),
            fix: redact(&fix.into()).into_owned(),
            evidence: evidence.map(|e| redact(&e).into_owned()),
        });
    }

    /// A finding `check` would give for the same cause, at `loc`; its hint
    /// is the fix unless `fix` says better for a manifest.
    pub fn check(&mut self, f: diagnose::Finding, loc: Loc, object: &str, fix: Option<String>) {
        let fix = fix.unwrap_or_else(|| f.hint.into_owned());
        self.add(
            Code::Check(f.code),
            f.severity,
            loc,
            object,
            f.message,
            fix,
            f.evidence,
        );
    }
}

/// The injector annotations of a pod template, as the injector reads them.
pub fn parsed(w: &Workload) -> ParsedAnnotations {
    annotations::parse(&w.annotation_map())
}

/// Where a class came from: the input, or the cluster (ring 3).
#[derive(Debug, Clone, Copy)]
pub enum Class<'a> {
    Input(&'a ProviderClass),
    Cluster(&'a SecretProviderClassInfo),
}

impl<'a> Class<'a> {
    pub fn info(&self) -> Option<&'a SecretProviderClassInfo> {
        match self {
            Class::Input(c) => c.info.as_ref(),
            Class::Cluster(i) => Some(i),
        }
    }
}

/// The audience of the token a login presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The API server's default audience (the pod's own token, or a CSI
    /// class without `audience`).
    Default,
    Set(String),
}

/// One secret path a login reads, and where the manifest sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// As Vault's API sees it.
    pub path: String,
    pub loc: Loc,
    /// The key that sets it, for messages.
    pub setting: String,
    /// The agent template it is read in, if any.
    pub template: Option<String>,
}

/// How one pod logs in to Vault and what it reads with that login.
#[derive(Debug, Clone)]
pub struct Login<'a> {
    pub workload: &'a Workload,
    pub via: Injection,
    pub role: RoleRef,
    /// Where the role is set (the annotation, or the class's `roleName`).
    pub role_loc: Loc,
    /// The object that sets the role (the workload or the class).
    pub role_object: String,
    pub class: Option<Class<'a>>,
    pub reads: Vec<Read>,
    pub audience: Audience,
}

impl Login<'_> {
    /// The role check's view of it (the same type `check` uses).
    pub fn role_use(&self, paths: Vec<String>) -> crate::model::interest::RoleUse {
        crate::model::interest::RoleUse {
            via: self.via,
            role: self.role.clone(),
            namespace: self.workload.namespace.clone(),
            service_account: Some(self.workload.service_account_name().to_string()),
            class: self.class.and_then(|c| c.info()).map(|i| i.name.clone()),
            paths,
            dialect: parsed(self.workload).dialect,
        }
    }
}

/// An injector annotation's key without its prefix (any injector's).
pub fn short_key(key: &str) -> Option<&str> {
    Dialect::of_key(key).map(|d| &key[d.prefix().len()..])
}

/// The key and line of the pod annotation `<prefix><short>`, in the prefix
/// the injector reads (a pod may carry more than one: [`parsed`] chooses).
pub fn key_line<'w>(w: &'w Workload, short: &str) -> Option<(&'w str, usize)> {
    key_line_in(w, parsed(w).dialect, short)
}

/// The key and line of the pod annotation `<dialect's prefix><short>`.
pub fn key_line_in<'w>(w: &'w Workload, dialect: Dialect, short: &str) -> Option<(&'w str, usize)> {
    w.annotations
        .iter()
        .rev()
        .find(|a| a.key.strip_prefix(dialect.prefix()) == Some(short))
        .map(|a| (a.key.as_str(), a.line))
}

/// The key and line of the annotation `<prefix><stem><NAME>` in the prefix
/// the injector reads (the NAME as written, whatever its case: the injector
/// lower-cases it).
pub fn secret_key<'w>(w: &'w Workload, stem: &str, name: &str) -> Option<(&'w str, usize)> {
    let prefix = parsed(w).prefix();
    w.annotations.iter().find_map(|a| {
        let raw = a.key.strip_prefix(prefix)?.strip_prefix(stem)?;
        raw.eq_ignore_ascii_case(name)
            .then_some((a.key.as_str(), a.line))
    })
}

/// The agent's and the CSI provider's logins of every workload. `cluster`
/// gives the classes the input does not hold (ring 3 read them).
pub fn logins<'a>(
    m: &'a Manifests,
    cluster_class: &dyn Fn(&str, &str) -> Option<&'a SecretProviderClassInfo>,
) -> Vec<Login<'a>> {
    let mut out = Vec::new();
    for w in &m.workloads {
        let p = parsed(w);
        let at = |line: usize| Loc {
            file: w.loc.file,
            line,
        };
        // As `check` (model::interest): a login to another Vault namespace
        // or with another auth method is not checked.
        if p.spec.inject
            && p.spec.auth_type == annotations::DEFAULT_AUTH_TYPE
            && p.spec.vault_namespace.is_none()
            && let Some(role) = &p.spec.role
        {
            let role_line = key_line(w, "role").map_or(w.template_line, |(_, l)| l);
            let mut reads = Vec::new();
            for s in &p.spec.secrets {
                let templated = s
                    .template
                    .as_deref()
                    .map(diagnose::text::template_secret_paths)
                    .unwrap_or_default();
                if templated.is_empty() {
                    if let Some((key, line)) = secret_key(w, "agent-inject-secret-", &s.name) {
                        reads.push(Read {
                            path: normalize_path(&s.path),
                            loc: at(line),
                            setting: key.to_string(),
                            template: s.template.clone(),
                        });
                    }
                } else {
                    let (key, line) = secret_key(w, "agent-inject-template-", &s.name)
                        .or_else(|| secret_key(w, "agent-inject-secret-", &s.name))
                        .unwrap_or(("", w.template_line));
                    for t in templated {
                        reads.push(Read {
                            path: normalize_path(&t),
                            loc: at(line),
                            setting: key.to_string(),
                            template: s.template.clone(),
                        });
                    }
                }
            }
            let token_volume = key_line(w, "agent-service-account-token-volume-name")
                .and_then(|(k, _)| w.annotations.iter().find(|a| a.key == k))
                .map(|a| a.value.clone());
            let audience = token_volume
                .and_then(|v| w.token_volumes.iter().find(|t| t.volume == v))
                .and_then(|t| t.audience.clone())
                .map_or(Audience::Default, Audience::Set);
            out.push(Login {
                workload: w,
                via: Injection::Agent,
                role: RoleRef {
                    auth_path: auth_path(&p.spec.auth_path),
                    role: role.clone(),
                },
                role_loc: at(role_line),
                role_object: w.object(),
                class: None,
                reads,
                audience,
            });
        }
        for v in &w.csi_volumes {
            let Some(name) = &v.class else { continue };
            let class = match m.class(&w.namespace, name) {
                Some(c) => Class::Input(c),
                None => match cluster_class(&w.namespace, name) {
                    Some(i) => Class::Cluster(i),
                    None => continue,
                },
            };
            let Some(info) = class.info() else { continue };
            if info.provider != "vault" {
                continue;
            }
            let Some(role) = &info.role_name else {
                continue;
            };
            let (role_loc, role_object, objects_loc) = match class {
                Class::Input(c) => (
                    Loc {
                        file: c.loc.file,
                        line: c.line_of("roleName"),
                    },
                    c.object(),
                    Loc {
                        file: c.loc.file,
                        line: c.line_of("objects"),
                    },
                ),
                // From the cluster: point at the volume that names it.
                Class::Cluster(_) => (at(v.line), w.object(), at(v.line)),
            };
            out.push(Login {
                workload: w,
                via: Injection::Csi,
                role: RoleRef {
                    auth_path: info.auth_path(),
                    role: role.clone(),
                },
                role_loc,
                role_object,
                class: Some(class),
                reads: info
                    .objects
                    .iter()
                    .filter(|o| !o.secret_path.trim().is_empty())
                    .map(|o| Read {
                        path: normalize_path(&o.secret_path),
                        loc: objects_loc,
                        setting: format!(
                            "objects[] \"{}\" in SecretProviderClass {name}",
                            o.object_name
                        ),
                        template: None,
                    })
                    .collect(),
                audience: info
                    .audience
                    .clone()
                    .map_or(Audience::Default, Audience::Set),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::manifest;
    use super::super::yaml::{Limits, parse};
    use super::*;

    #[test]
    fn logins_read_template_paths_where_templates_read() {
        let text = "kind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: web\n        vault.hashicorp.com/agent-inject-secret-Config: secret/data/web/config\n        vault.hashicorp.com/agent-inject-secret-db: database/creds/web\n        vault.hashicorp.com/agent-inject-template-db: |\n          {{ with secret \"database/creds/web-ro\" }}{{ .Data.username }}{{ end }}\n    spec:\n      serviceAccountName: web\n      volumes:\n      - name: v\n        csi: {driver: secrets-store.csi.k8s.io, volumeAttributes: {secretProviderClass: c}}\n---\nkind: SecretProviderClass\nmetadata: {name: c, namespace: shop}\nspec:\n  provider: vault\n  parameters:\n    roleName: web-csi\n    audience: vault\n    objects: |\n      - objectName: a\n        secretPath: /v1/secret/data/web/a\n";
        let mut m = Manifests::default();
        m.files.push("x".into());
        manifest::read(
            &mut m,
            0,
            &parse(text, Limits::default()).unwrap(),
            "default",
        );
        let l = logins(&m, &|_, _| None);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].role.role, "web");
        assert_eq!(l[0].role_loc.line, 8);
        let paths: Vec<(&str, usize)> = l[0]
            .reads
            .iter()
            .map(|r| (r.path.as_str(), r.loc.line))
            .collect();
        assert_eq!(
            paths,
            vec![("secret/data/web/config", 9), ("database/creds/web-ro", 11)]
        );
        assert_eq!(l[1].via, Injection::Csi);
        assert_eq!(l[1].role.role, "web-csi");
        assert_eq!(l[1].role_loc.line, 24);
        assert_eq!(l[1].reads[0].path, "secret/data/web/a");
        assert_eq!(l[1].audience, Audience::Set("vault".into()));
        assert_eq!(
            l[1].role_use(vec![]).service_account.as_deref(),
            Some("web")
        );
    }

    #[test]
    fn openbao_logins_are_read_under_the_prefix_the_injector_reads() {
        let text = "kind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    openbao.openbao.org/agent-inject: \"true\"\n    openbao.openbao.org/role: legacy\n    openbao.openbao.org/auth-path: auth/k8s\n    openbao.openbao.org/agent-inject-secret-cfg: secret/data/cfg\n---\nkind: Pod\nmetadata:\n  name: both\n  namespace: shop\n  annotations:\n    openbao.org/role: bao\n    openbao.org/agent-inject-secret-x: secret/data/bao\n    vault.hashicorp.com/agent-inject: \"true\"\n    vault.hashicorp.com/role: vault\n";
        let mut m = Manifests::default();
        m.files.push("x".into());
        manifest::read(
            &mut m,
            0,
            &parse(text, Limits::default()).unwrap(),
            "default",
        );
        let l = logins(&m, &|_, _| None);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].role.auth_path, "auth/k8s");
        assert_eq!((l[0].role.role.as_str(), l[0].role_loc.line), ("legacy", 7));
        assert_eq!(
            (l[0].reads[0].path.as_str(), l[0].reads[0].loc.line),
            ("secret/data/cfg", 9)
        );
        assert_eq!(
            l[0].reads[0].setting,
            "openbao.openbao.org/agent-inject-secret-cfg"
        );
        assert_eq!(l[0].role_use(vec![]).dialect, Dialect::OpenBaoLegacy);
        // Both prefixes, nothing to tell them apart: vault-k8s's is read
        // (model::annotations), and so are its lines.
        assert_eq!((l[1].role.role.as_str(), l[1].role_loc.line), ("vault", 19));
        assert!(l[1].reads.is_empty());
        assert_eq!(
            key_line_in(&m.workloads[1], Dialect::OpenBao, "role"),
            Some(("openbao.org/role", 16))
        );
    }
}
