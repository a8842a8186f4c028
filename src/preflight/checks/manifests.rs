//! Ring 1: what the manifests alone show. The annotation parser and the
//! rules `check` applies to a pod's annotations are reused; what only a
//! manifest can get wrong (annotations on the controller, values that are
//! not strings, classes and service accounts missing from the input) has
//! `preflight.*` codes.

use std::collections::BTreeSet;

use crate::diagnose::{self, Severity, rules, text};
use crate::model::annotations::go_parse_bool;
use crate::model::injector::{Dialect, Injector, is_injector_key};

use super::super::finding::{Code, Ring};
use super::super::manifest::{Ann, Loc, Manifests, ProviderClass, Webhook, Workload};
use super::super::yaml::ScalarKind;
use super::{Sink, key_line, parsed, secret_key, short_key};

/// What the other rings will look at, so this one does not guess for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// The cluster ring runs: classes and service accounts missing from the
    /// input are looked for there.
    pub cluster: bool,
}

/// Whether these annotations ask an injector to inject (`agent-inject`
/// parsed as true under any injector's prefix).
pub fn requests_injection(anns: &[Ann]) -> bool {
    anns.iter().any(|a| {
        short_key(&a.key) == Some("agent-inject")
            && a.kind == ScalarKind::Str
            && go_parse_bool(&a.value) == Some(true)
    })
}

/// The injectors these annotations ask for, each with the `agent-inject`
/// key that asks (its first, when a pod carries both of openbao-k8s's
/// prefixes).
pub fn injectors_requested(anns: &[Ann]) -> Vec<(Injector, &Ann)> {
    let mut out: Vec<(Injector, &Ann)> = Vec::new();
    for a in anns {
        if let Some(d) = Dialect::of_key(&a.key)
            && a.key[d.prefix().len()..] == *"agent-inject"
            && a.kind == ScalarKind::Str
            && go_parse_bool(&a.value) == Some(true)
            && !out.iter().any(|(i, _)| *i == d.injector())
        {
            out.push((d.injector(), a));
        }
    }
    out
}

/// The webhooks that inject pods asking `injector`: its own, else the
/// other injector's that acts on its annotations too
/// ([`Injector::also_serves`]: openbao-k8s's, for `vault.hashicorp.com/`).
pub fn serving<'a>(hooks: &[&'a Webhook], injector: Injector) -> Vec<&'a Webhook> {
    let own: Vec<&Webhook> = hooks
        .iter()
        .copied()
        .filter(|h| h.injector == injector)
        .collect();
    if !own.is_empty() {
        return own;
    }
    hooks
        .iter()
        .copied()
        .filter(|h| h.injector.also_serves() == Some(injector))
        .collect()
}

pub fn run(m: &Manifests, scope: Scope) -> Vec<super::super::finding::Finding> {
    let mut s = Sink::new(&m.files, Ring::Manifests);
    for w in &m.workloads {
        not_strings(
            &mut s,
            w.loc.file,
            &w.object(),
            &w.controller_annotations,
            "annotation",
        );
        not_strings(
            &mut s,
            w.loc.file,
            &w.object(),
            &w.annotations,
            "annotation",
        );
        not_strings(&mut s, w.loc.file, &w.object(), &w.labels, "label");
        if !w.uses_vault() {
            continue;
        }
        controller_annotations(&mut s, w);
        pod_annotations(&mut s, w);
        templates(&mut s, w);
        csi_volumes(&mut s, m, w, scope);
        service_account(&mut s, m, w, scope);
        webhooks(&mut s, m, w);
    }
    for c in &m.classes {
        class(&mut s, c);
    }
    s.out
}

fn at(w: &Workload, line: usize) -> Loc {
    Loc {
        file: w.loc.file,
        line,
    }
}

/// Annotation and label values must be strings: the API server refuses the
/// object otherwise (`agent-inject: true` without quotes is a boolean).
fn not_strings(s: &mut Sink<'_>, file: usize, object: &str, anns: &[Ann], what: &str) {
    for a in anns.iter().filter(|a| a.kind != ScalarKind::Str) {
        let quoted = if a.kind == ScalarKind::Null {
            "\"\"".to_string()
        } else {
            format!("\"{}\"", a.value)
        };
        s.add(
            Code::NotAString,
            Severity::Error,
            Loc { file, line: a.line },
            object,
            format!(
                "The {what} {} is {}, not a string: the API server refuses the object (\"cannot unmarshal {} into Go struct field ... of type string\")",
                a.key,
                a.what,
                a.what.trim_start_matches("a ")
            ),
            format!("Quote the value: {}: {quoted}", a.key),
            Some(format!("{}: {} (unquoted)", a.key, a.value)),
        );
    }
}

/// Injection annotations on a Deployment's (or other controller's) own
/// metadata: the injector reads only the pod's, so they have no effect.
fn controller_annotations(s: &mut Sink<'_>, w: &Workload) {
    let keys: Vec<&Ann> = w
        .controller_annotations
        .iter()
        .filter(|a| is_injector_key(&a.key))
        .collect();
    let Some(first) = keys.first() else { return };
    let names: Vec<&str> = keys.iter().map(|a| a.key.as_str()).collect();
    let listed = if names.len() > 3 {
        format!("{} and {} more", names[..3].join(", "), names.len() - 3)
    } else {
        names.join(", ")
    };
    let template_injects = requests_injection(&w.annotations);
    let (severity, effect) = if requests_injection(&w.controller_annotations) && !template_injects {
        (
            Severity::Error,
            "the pods are created without injection and start without their secrets",
        )
    } else if template_injects {
        (
            Severity::Warning,
            "the pods use the template's annotations, and these are ignored",
        )
    } else {
        (Severity::Warning, "they have no effect")
    };
    s.add(
        Code::AnnotationsOnController,
        severity,
        at(w, first.line),
        &w.object(),
        format!(
            "{listed} {} on the {}'s own metadata, where the injector never looks: {effect}",
            if names.len() == 1 { "is" } else { "are" },
            w.kind
        ),
        format!(
            "Move them to {} (the pod template): the injector reads only the annotations of the pods it mutates.",
            w.annotations_path
        ),
        Some(format!("metadata.annotations: {}", names.join(", "))),
    );
}

/// The pod's annotations, through the same parser and rules as `check`.
fn pod_annotations(s: &mut Sink<'_>, w: &Workload) {
    let p = parsed(w);
    if !p.any {
        return;
    }
    let object = w.object();
    let inject_line = key_line(w, "agent-inject").map_or(w.template_line, |(_, l)| l);
    let found = rules::annotation_findings(&p, &w.namespace);
    // The rules report the parser's problems first, one each, in order.
    let (problems, rest) = found.split_at(p.problems.len().min(found.len()));
    for (f, problem) in problems.iter().zip(&p.problems) {
        let line = w.annotation_line(&problem.key).unwrap_or(w.template_line);
        let fix = format!(
            "Correct or remove {} under {}.",
            problem.key, w.annotations_path
        );
        s.check(f.clone(), at(w, line), &object, Some(fix));
    }
    for f in rest {
        let mut f = f.clone();
        if f.code == diagnose::Code::InjectionSystemNamespace && !w.namespace_given {
            f.message
                .to_mut()
                .push_str(" (the manifest names no namespace; this one was assumed with -n)");
        }
        s.check(f, at(w, inject_line), &object, None);
    }
    // Copied from a running pod: the injector skips a pod that says it was
    // injected already.
    if p.spec.inject && p.spec.is_injected() {
        let status = format!("{}agent-inject-status", p.prefix());
        let line = key_line(w, "agent-inject-status").map_or(inject_line, |(_, l)| l);
        s.add(
            Code::Check(diagnose::Code::InjectionNotInjected),
            Severity::Error,
            at(w, line),
            &object,
            format!(
                "{status}: injected is set, so the {} skips these pods: they start without their secrets",
                p.injector().label()
            ),
            format!(
                "Remove {status} from {} (the injector writes it on the pods it mutated).",
                w.annotations_path
            ),
            Some(format!("{status}: \"injected\"")),
        );
    }
}

/// `.Data.<key>` reads of a template (not `.Data.data` / `.Data.metadata`).
fn data_keys(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(i) = rest.find(".Data.") {
        rest = &rest[i + ".Data.".len()..];
        let key: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !key.is_empty() {
            out.insert(key);
        }
    }
    out
}

/// The template reads KV v2's shape (`.Data.data`).
pub fn reads_kv_v2_shape(template: &str) -> bool {
    data_keys(template).contains("data")
}

/// A path of an engine other than KV, by its shape.
fn engine_path(path: &str) -> bool {
    ["/creds/", "/static-creds/", "/issue/", "/sign/"]
        .iter()
        .any(|m| path.contains(m))
}

/// A KV v2 path written without `data/`, in a template that reads KV v2's
/// shape: the agent only finds it if its mount lookup succeeds.
pub fn kv_path_without_data(path: &str, template: &str) -> bool {
    reads_kv_v2_shape(template)
        && !engine_path(path)
        && path
            .split_once('/')
            .is_some_and(|(_, rest)| !rest.starts_with("data/") && !rest.starts_with("metadata/"))
}

/// Keys read from `.Data` of a KV v2 secret, where they are not.
pub fn kv_v2_misread_keys(template: &str) -> Vec<String> {
    data_keys(template)
        .into_iter()
        .filter(|k| k != "data" && k != "metadata")
        .collect()
}

/// Secrets and their templates: does each template read what its secret
/// annotation names; are KV v2 paths and keys written as KV v2 wants them.
fn templates(s: &mut Sink<'_>, w: &Workload) {
    let p = parsed(w);
    let object = w.object();
    for sec in &p.spec.secrets {
        let Some(template) = &sec.template else {
            continue;
        };
        let Some((key, line)) = secret_key(w, "agent-inject-template-", &sec.name) else {
            continue;
        };
        let reads = text::template_secret_paths(template);
        if reads.is_empty() {
            continue;
        }
        let want = text::comparable(&sec.path);
        if !reads.iter().any(|r| text::comparable(r) == want) {
            s.add(
                Code::SecretTemplateMismatch,
                Severity::Warning,
                at(w, line),
                &object,
                format!(
                    "{key} reads {}, but its secret annotation names {}: the agent reads what the template says, and policies checked against the annotation do not cover it",
                    reads.join(", "),
                    sec.path
                ),
                format!(
                    "Make the template read {} (or the annotation name {}): one path, written the same way in both.",
                    sec.path, reads[0]
                ),
                None,
            );
        }
        for r in &reads {
            if kv_path_without_data(r, template) {
                let (mount, rest) = r.split_once('/').unwrap_or((r, ""));
                s.add(
                    Code::KvV2PathWithoutData,
                    Severity::Warning,
                    at(w, line),
                    &object,
                    format!(
                        "{key} reads the KV v2 secret {r} without data/: the agent finds it only when its lookup of the mount (sys/internal/ui/mounts) succeeds, and policies must then grant {mount}/data/{rest}"
                    ),
                    format!("Write the path as KV v2's API has it: {mount}/data/{rest}."),
                    None,
                );
            }
        }
        // `.Data.password` of a `secret/data/...` read renders `<no value>`:
        // KV v2 keeps the keys under `.Data.data`.
        if reads.len() == 1 && reads[0].split('/').nth(1) == Some("data") {
            let misread = kv_v2_misread_keys(template);
            if !misread.is_empty() {
                s.add(
                    Code::KvV2TemplateKeys,
                    Severity::Warning,
                    at(w, line),
                    &object,
                    format!(
                        "{key} reads .Data.{} from the KV v2 secret {}: KV v2 keeps the keys under .Data.data, so the file renders \"<no value>\"",
                        misread.join(", .Data."),
                        reads[0]
                    ),
                    format!("Read .Data.data.{} instead.", misread[0]),
                    None,
                );
            }
        }
    }
}

fn csi_volumes(s: &mut Sink<'_>, m: &Manifests, w: &Workload, scope: Scope) {
    let object = w.object();
    for v in &w.csi_volumes {
        let Some(name) = &v.class else {
            s.add(
                Code::Check(diagnose::Code::CsiMountFailed),
                Severity::Error,
                at(w, v.line),
                &object,
                format!("CSI volume {} names no SecretProviderClass", v.volume),
                "Set volumeAttributes.secretProviderClass on the CSI volume.",
                Some(format!(
                    "volume {}: csi.volumeAttributes has no secretProviderClass",
                    v.volume
                )),
            );
            continue;
        };
        if m.class(&w.namespace, name).is_some() {
            continue;
        }
        let elsewhere: Vec<&str> = m
            .classes
            .iter()
            .filter(|c| &c.name == name)
            .map(|c| c.namespace.as_str())
            .collect();
        if !elsewhere.is_empty() {
            s.add(
                Code::Check(diagnose::Code::CsiClassNotFound),
                Severity::Error,
                at(w, v.line),
                &object,
                format!(
                    "SecretProviderClass {name} is in namespace {}, not in the pod's namespace {}: the mount fails",
                    elsewhere.join(", "),
                    w.namespace
                ),
                "A SecretProviderClass is read from the pod's own namespace: create it there (or move the workload).",
                Some(format!("volume {} → secretProviderClass {name}", v.volume)),
            );
        } else if !scope.cluster {
            s.add(
                Code::Check(diagnose::Code::CsiClassNotFound),
                Severity::Error,
                at(w, v.line),
                &object,
                format!(
                    "SecretProviderClass {name} is not in the input: unless it already exists in namespace {}, the pod stays in ContainerCreating (\"failed to get secretproviderclass\")",
                    w.namespace
                ),
                format!(
                    "Add the SecretProviderClass {name} to the manifests (-f), correct volumeAttributes.secretProviderClass, or run with --kubeconfig/--context so preflight looks for it in the cluster."
                ),
                Some(format!("volume {} → secretProviderClass {name}", v.volume)),
            );
        }
    }
}

/// With ServiceAccounts in the input, the pod's must be one of them.
fn service_account(s: &mut Sink<'_>, m: &Manifests, w: &Workload, scope: Scope) {
    let sa = w.service_account_name();
    // Every namespace has `default`; the cluster ring looks up the rest.
    if m.service_accounts.is_empty() || sa == "default" || scope.cluster {
        return;
    }
    if m.has_service_account(&w.namespace, sa) {
        return;
    }
    let line = w
        .service_account
        .as_ref()
        .map_or(w.template_line, |(_, l)| *l);
    s.add(
        Code::ServiceAccountMissing,
        Severity::Error,
        at(w, line),
        &w.object(),
        format!(
            "ServiceAccount {}/{sa} is not in the input, which defines {} others: unless it already exists, no pod can be created (\"serviceaccount \\\"{sa}\\\" not found\")",
            w.namespace,
            m.service_accounts.len()
        ),
        format!(
            "Add the ServiceAccount {sa} (namespace {}) to the manifests, or correct serviceAccountName.",
            w.namespace
        ),
        Some(format!("serviceAccountName: {sa}")),
    );
}

/// With the injector's webhook in the input (`helm template` of the Vault
/// chart), its selectors must select the pod and its namespace.
fn webhooks(s: &mut Sink<'_>, m: &Manifests, w: &Workload) {
    let hooks: Vec<_> = m.webhooks.iter().collect();
    for f in selector_findings(w, &hooks, |ns| m.namespace(ns).map(|n| n.labels.clone())) {
        s.add(
            f.code,
            f.severity,
            f.loc,
            &w.object(),
            f.message,
            f.fix,
            f.evidence,
        );
    }
}

/// A finding about a workload, before it is added to a ring's sink.
pub struct Pending {
    pub code: Code,
    pub severity: Severity,
    pub loc: Loc,
    pub message: String,
    pub fix: String,
    pub evidence: Option<String>,
}

/// Whether the injector webhooks the pod asks for select it: by their
/// objectSelector (the pod's labels) and namespaceSelector (the labels of
/// its namespace, when `ns_labels` knows them).
pub fn selector_findings(
    w: &Workload,
    hooks: &[&Webhook],
    ns_labels: impl Fn(&str) -> Option<std::collections::BTreeMap<String, String>>,
) -> Vec<Pending> {
    let mut out = Vec::new();
    for (injector, asks) in injectors_requested(&w.annotations) {
        let inject_line = asks.line;
        let mine = serving(hooks, injector);
        if mine.is_empty() {
            continue;
        }
        let labels = w.label_map();
        let selected_pod: Vec<_> = mine
            .iter()
            .filter(|h| {
                h.object_selector
                    .as_ref()
                    .is_none_or(|sel| sel.matches(&labels))
            })
            .collect();
        if selected_pod.is_empty() {
            let sel = mine[0]
                .object_selector
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            out.push(Pending {
                code: Code::PodNotSelected,
                severity: Severity::Error,
                loc: at(w, inject_line),
                message: format!(
                    "The {} webhook {} does not select these pods (objectSelector {sel}): {} is ignored and they are created without injection",
                    mine[0].injector.project(), mine[0].name, asks.key
                ),
                fix: "Give the pod template the labels the webhook's objectSelector asks for, or change the selector.".into(),
                evidence: Some(format!("pod labels {}", describe_labels(&labels))),
            });
            continue;
        }
        let Some(ns) = ns_labels(&w.namespace) else {
            continue;
        };
        let selected_ns = selected_pod.iter().any(|h| {
            h.namespace_selector
                .as_ref()
                .is_none_or(|sel| sel.matches(&ns))
        });
        if !selected_ns {
            let h = selected_pod[0];
            let sel = h
                .namespace_selector
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            out.push(Pending {
                code: Code::NamespaceNotSelected,
                severity: Severity::Error,
                loc: at(w, inject_line),
                message: format!(
                    "The {} webhook {} does not select namespace {} (namespaceSelector {sel}): {} is ignored and its pods are created without injection",
                    h.injector.project(), h.name, w.namespace, asks.key
                ),
                fix: format!(
                    "Label namespace {} so the webhook's namespaceSelector matches it, or change the selector.",
                    w.namespace
                ),
                evidence: Some(format!("namespace {} labels {}", w.namespace, describe_labels(&ns))),
            });
        }
    }
    out
}

fn describe_labels(labels: &std::collections::BTreeMap<String, String>) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// A SecretProviderClass for the Vault provider, as its `config.go` reads
/// the parameters.
fn class(s: &mut Sink<'_>, c: &ProviderClass) {
    let object = c.object();
    let here = |line: usize| Loc {
        file: c.loc.file,
        line,
    };
    not_strings(s, c.loc.file, &object, &c.parameters, "parameter");
    if c.provider.as_deref() != Some("vault") {
        return;
    }
    let mut bad =
        |line: usize, severity: Severity, message: String, fix: &str, evidence: Option<String>| {
            s.add(
                Code::SpcInvalidParameters,
                severity,
                here(line),
                &object,
                message,
                fix,
                evidence,
            );
        };
    let Some(info) = &c.info else {
        bad(
            c.loc.line,
            Severity::Error,
            format!(
                "The SecretProviderClass cannot be read: {}",
                c.error.as_deref().unwrap_or("unknown shape")
            ),
            "Give it the shape secrets-store.csi.x-k8s.io/v1 defines: metadata.name, spec.provider, spec.parameters (strings).",
            None,
        );
        return;
    };
    if let Some(err) = &info.objects_error {
        bad(
            c.line_of("objects"),
            Severity::Error,
            format!("parameters.objects does not parse: the mount fails. {err}"),
            "Write parameters.objects as a YAML list in a string: - objectName: NAME / secretPath: PATH / secretKey: KEY.",
            None,
        );
    } else if c.parameter("objects").is_none() {
        bad(
            c.parameters_line,
            Severity::Warning,
            "parameters.objects is missing: the volume mounts no secret".into(),
            "Add parameters.objects: a YAML list of {objectName, secretPath, secretKey}.",
            None,
        );
    }
    if info.role_name.is_none() {
        bad(
            c.parameters_line,
            Severity::Error,
            "parameters.roleName is missing: the provider fails every mount (\"missing 'roleName' in SecretProviderClass definition\")".into(),
            "Set parameters.roleName to the Vault kubernetes auth role the pods log in with.",
            None,
        );
    }
    let mut names = BTreeSet::new();
    for o in &info.objects {
        if o.object_name.trim().is_empty() {
            bad(
                c.line_of("objects"),
                Severity::Error,
                format!(
                    "An object of parameters.objects (secretPath {}) has no objectName",
                    o.secret_path
                ),
                "Give every object an objectName: it is the file name in the volume.",
                None,
            );
        } else if !names.insert(o.object_name.clone()) {
            bad(
                c.line_of("objects"),
                Severity::Error,
                format!(
                    "objectName {} is used twice in parameters.objects: the provider refuses the mount (\"each objectName ... must be unique\")",
                    o.object_name
                ),
                "Give each object its own objectName.",
                None,
            );
        }
        if o.secret_path.trim().is_empty() {
            bad(
                c.line_of("objects"),
                Severity::Error,
                format!(
                    "Object {} of parameters.objects has no secretPath",
                    o.object_name
                ),
                "Set its secretPath to the Vault path to read (e.g. secret/data/app).",
                None,
            );
        }
    }
    if let Some(addr) = c
        .parameter("vaultAddress")
        .filter(|a| a.kind == ScalarKind::Str)
    {
        let ok = reqwest::Url::parse(addr.value.trim())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            bad(
                addr.line,
                Severity::Error,
                format!(
                    "parameters.vaultAddress \"{}\" is not an http(s) URL",
                    addr.value
                ),
                "Set vaultAddress to Vault's URL, e.g. https://vault.vault.svc:8200.",
                None,
            );
        }
    }
    if c.parameter("vaultKubernetesMountPath").is_some()
        && c.parameter("vaultAuthMountPath").is_some()
    {
        bad(
            c.line_of("vaultAuthMountPath"),
            Severity::Error,
            "Both vaultKubernetesMountPath and vaultAuthMountPath are set: the provider refuses that".into(),
            "Keep one of them (vaultAuthMountPath is the current name).",
            None,
        );
    }
    for (name, line) in &c.synced_objects {
        if !info.objects.iter().any(|o| &o.object_name == name) {
            bad(
                *line,
                Severity::Warning,
                format!(
                    "secretObjects names objectName {name}, which parameters.objects does not define: that Kubernetes Secret cannot be synced (FailedToCreateSecret)"
                ),
                "Use an objectName of parameters.objects in secretObjects[].data[].objectName.",
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::manifest;
    use super::super::super::yaml::{Limits, parse};
    use super::*;

    fn findings(text: &str, scope: Scope) -> Vec<super::super::super::finding::Finding> {
        let mut m = Manifests::default();
        m.files.push("m.yaml".into());
        manifest::read(
            &mut m,
            0,
            &parse(text, Limits::default()).unwrap(),
            "default",
        );
        run(&m, scope)
    }

    fn codes(f: &[super::super::super::finding::Finding]) -> Vec<(String, usize)> {
        f.iter().map(|f| (f.code.to_string(), f.line)).collect()
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    metadata:\n      annotations:\n";

    #[test]
    fn typos_and_bad_values_point_at_their_key() {
        let f = findings(
            &format!(
                "{DEPLOY}        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: web\n        vault.hashicorp.com/agent-inject-secrets-config: secret/data/web\n        vault.hashicorp.com/agent-pre-populate: \"yes\"\n"
            ),
            Scope::default(),
        );
        assert_eq!(
            codes(&f),
            vec![
                ("injection.bad_annotation".into(), 13),
                ("injection.bad_annotation".into(), 12),
            ]
        );
        assert!(
            f[1].message
                .contains("did you mean vault.hashicorp.com/agent-inject-secret-config"),
            "{}",
            f[1].message
        );
        assert_eq!(f[1].severity, Severity::Warning);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].fix.contains("spec.template.metadata.annotations"));
    }

    #[test]
    fn annotations_on_the_controller() {
        let text = "kind: Deployment\nmetadata:\n  name: web\n  annotations:\n    vault.hashicorp.com/agent-inject: \"true\"\n    vault.hashicorp.com/role: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n";
        let f = findings(text, Scope::default());
        assert_eq!(
            codes(&f),
            vec![("preflight.annotations_on_controller".into(), 5)]
        );
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].fix.contains("spec.template.metadata.annotations"));
    }

    #[test]
    fn no_role_unquoted_booleans_and_copied_status() {
        let f = findings(
            &format!(
                "{DEPLOY}        vault.hashicorp.com/agent-inject: true\n        vault.hashicorp.com/agent-inject-status: injected\n"
            ),
            Scope::default(),
        );
        assert_eq!(codes(&f), vec![("preflight.not_a_string".into(), 10)]);
        let f = findings(
            &format!(
                "{DEPLOY}        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/agent-inject-status: injected\n"
            ),
            Scope::default(),
        );
        let c = codes(&f);
        assert!(c.contains(&("injection.no_role".into(), 10)), "{c:?}");
        assert!(c.contains(&("injection.not_injected".into(), 11)), "{c:?}");
    }

    #[test]
    fn templates_that_read_something_else() {
        let f = findings(
            &format!(
                "{DEPLOY}        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: web\n        vault.hashicorp.com/agent-inject-secret-db: database/creds/web\n        vault.hashicorp.com/agent-inject-template-db: |\n          {{{{ with secret \"database/creds/ledger\" }}}}{{{{ .Data.username }}}}{{{{ end }}}}\n        vault.hashicorp.com/agent-inject-secret-cfg: secret/data/web/cfg\n        vault.hashicorp.com/agent-inject-template-cfg: |\n          {{{{ with secret \"secret/web/cfg\" }}}}{{{{ .Data.data.url }}}}{{{{ end }}}}\n        vault.hashicorp.com/agent-inject-secret-kv: secret/data/web/kv\n        vault.hashicorp.com/agent-inject-template-kv: |\n          {{{{ with secret \"secret/data/web/kv\" }}}}{{{{ .Data.password }}}}{{{{ end }}}}\n"
            ),
            Scope::default(),
        );
        let c = codes(&f);
        assert_eq!(
            c,
            vec![
                ("preflight.kv_v2_path_without_data".into(), 16),
                ("preflight.secret_template_mismatch".into(), 13),
                ("preflight.kv_v2_template_keys".into(), 19),
            ],
            "{f:#?}"
        );
    }

    #[test]
    fn csi_classes_and_service_accounts_missing_from_the_input() {
        let text = "kind: ServiceAccount\nmetadata: {name: other, namespace: shop}\n---\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  serviceAccountName: web\n  volumes:\n  - name: s\n    csi:\n      driver: secrets-store.csi.k8s.io\n      volumeAttributes:\n        secretProviderClass: web-vault\n";
        let f = findings(text, Scope::default());
        assert_eq!(
            codes(&f),
            vec![
                ("csi.class_not_found".into(), 13),
                ("preflight.service_account_missing".into(), 7),
            ]
        );
        // The cluster ring looks for them instead.
        assert!(findings(text, Scope { cluster: true }).is_empty());
    }

    #[test]
    fn class_parameters() {
        let text = "kind: SecretProviderClass\nmetadata: {name: c, namespace: shop}\nspec:\n  provider: vault\n  parameters:\n    vaultAddress: vault:8200\n    vaultSkipTLSVerify: false\n    vaultKubernetesMountPath: k8s\n    vaultAuthMountPath: k8s\n    objects: |\n      - objectName: a\n        secretPath: secret/data/a\n      - objectName: a\n        secretPath: \"\"\n  secretObjects:\n  - secretName: s\n    data:\n    - {objectName: b, key: b}\n";
        let f = findings(text, Scope::default());
        let c = codes(&f);
        assert!(c.contains(&("preflight.not_a_string".into(), 7)), "{c:?}");
        assert!(
            c.contains(&("preflight.spc_invalid_parameters".into(), 6)),
            "{c:?}"
        );
        assert!(
            c.contains(&("preflight.spc_invalid_parameters".into(), 9)),
            "{c:?}"
        );
        assert!(
            c.contains(&("preflight.spc_invalid_parameters".into(), 18)),
            "{c:?}"
        );
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("roleName is missing")),
            "{msgs:?}"
        );
        assert!(msgs.iter().any(|m| m.contains("used twice")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("no secretPath")), "{msgs:?}");
        let broken = findings(
            "kind: SecretProviderClass\nmetadata: {name: c}\nspec:\n  provider: vault\n  parameters:\n    roleName: r\n    objects: \"objectName: [unclosed\"\n",
            Scope::default(),
        );
        assert_eq!(
            codes(&broken),
            vec![("preflight.spc_invalid_parameters".into(), 7)]
        );
    }

    #[test]
    fn webhook_selectors_in_the_input() {
        let text = "kind: Namespace\nmetadata:\n  name: shop\n---\nkind: MutatingWebhookConfiguration\nmetadata: {name: cfg}\nwebhooks:\n- name: vault.hashicorp.com\n  namespaceSelector:\n    matchLabels: {vault-injection: enabled}\n---\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    vault.hashicorp.com/agent-inject: \"true\"\n    vault.hashicorp.com/role: r\n";
        let f = findings(text, Scope::default());
        assert_eq!(
            codes(&f),
            vec![("preflight.namespace_not_selected".into(), 17)]
        );
        assert!(
            f[0].evidence
                .as_deref()
                .unwrap()
                .contains("kubernetes.io/metadata.name=shop")
        );
    }
}
