//! The objects preflight understands, read from positioned YAML documents:
//! pods and the pod templates of controllers, ServiceAccounts, Namespaces,
//! SecretProviderClasses and the injectors' MutatingWebhookConfigurations.
//! Each keeps the file and line of what a finding may point at. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhook;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::yaml::{Document, Node, ScalarKind};
use crate::model::csi::SecretProviderClassInfo;
use crate::model::injector::{Injector, is_injector_key};
use crate::model::pod::CSI_DRIVER;

/// Where an object or key is: an input (index into the inputs) and a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub file: usize,
    pub line: usize,
}

/// One annotation (or label) as written: typed, with the line of its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Ann {
    pub key: String,
    pub value: String,
    pub kind: ScalarKind,
    pub line: usize,
    /// What the value is when not a string ("a boolean"...).
    pub what: &'static str,
}

/// A volume the Secrets Store CSI driver serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsiVolume {
    pub volume: String,
    pub class: Option<String>,
    /// The line of `secretProviderClass` (or of the volume when absent).
    pub line: usize,
}

/// A projected service-account token volume (for the agent's audience).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenVolume {
    pub volume: String,
    pub audience: Option<String>,
}

/// A pod, or a controller's pod template.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// False when the manifest names no namespace (the default was assumed).
    pub namespace_given: bool,
    pub loc: Loc,
    /// The controller's own annotations (metadata, and a CronJob's
    /// jobTemplate.metadata): where injection annotations have no effect.
    pub controller_annotations: Vec<Ann>,
    /// The pod's annotations (a Pod's metadata, a template's metadata).
    pub annotations: Vec<Ann>,
    /// The line of the pod template (or the Pod's metadata).
    pub template_line: usize,
    pub labels: Vec<Ann>,
    /// `serviceAccountName` (or the deprecated `serviceAccount`) and its line.
    pub service_account: Option<(String, usize)>,
    pub csi_volumes: Vec<CsiVolume>,
    pub token_volumes: Vec<TokenVolume>,
    /// Where in the object the pod's annotations live, for fixes.
    pub annotations_path: &'static str,
}

impl Workload {
    /// `Deployment payments/ledger`, as findings name objects.
    pub fn object(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// The service account the pods run as (`default` when none is named).
    pub fn service_account_name(&self) -> &str {
        self.service_account
            .as_ref()
            .map_or("default", |(n, _)| n.as_str())
    }

    /// The pod's annotations as the injector reads them (strings only: a
    /// value of another type never reaches it, the API server refuses it).
    pub fn annotation_map(&self) -> BTreeMap<String, String> {
        self.annotations
            .iter()
            .filter(|a| a.kind == ScalarKind::Str)
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    }

    pub fn label_map(&self) -> BTreeMap<String, String> {
        self.labels
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    }

    /// The line of an annotation of the pod, by key.
    pub fn annotation_line(&self, key: &str) -> Option<usize> {
        self.annotations
            .iter()
            .rev()
            .find(|a| a.key == key)
            .map(|a| a.line)
    }

    /// Whether the pod gets secrets from Vault (or asked to, somewhere).
    pub fn uses_vault(&self) -> bool {
        let injector_key = |a: &Ann| is_injector_key(&a.key);
        self.annotations.iter().any(injector_key)
            || self.controller_annotations.iter().any(injector_key)
            || !self.csi_volumes.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAccount {
    pub name: String,
    pub namespace: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub loc: Loc,
}

/// A SecretProviderClass, as the CSI provider will read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderClass {
    /// Parsed by the model (as `check` reads classes from a cluster);
    /// `None` when the object does not have the class's shape at all.
    pub info: Option<SecretProviderClassInfo>,
    pub name: String,
    pub namespace: String,
    pub provider: Option<String>,
    pub loc: Loc,
    /// Each parameter as written, with the line of its key.
    pub parameters: Vec<Ann>,
    /// The line of `spec.parameters` (or of the object).
    pub parameters_line: usize,
    /// `secretObjects[].data[].objectName`, with lines.
    pub synced_objects: Vec<(String, usize)>,
    /// Why the model could not read it.
    pub error: Option<String>,
}

impl ProviderClass {
    pub fn object(&self) -> String {
        format!("SecretProviderClass {}/{}", self.namespace, self.name)
    }

    pub fn parameter(&self, key: &str) -> Option<&Ann> {
        self.parameters.iter().rev().find(|p| p.key == key)
    }

    /// The line of a parameter's key, else of `parameters`.
    pub fn line_of(&self, key: &str) -> usize {
        self.parameter(key).map_or(self.parameters_line, |p| p.line)
    }
}

/// A label selector (`matchLabels` and `matchExpressions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
    pub expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Selector {
    /// Whether `labels` match, as Kubernetes evaluates a LabelSelector
    /// (an empty selector matches everything). An unknown operator matches
    /// nothing, as the API server would have refused it.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| {
                let v = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => v.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => v.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => v.is_some(),
                    "DoesNotExist" => v.is_none(),
                    _ => false,
                }
            })
    }

    /// `{app=web, env notin (dev)}` for messages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.expressions {
            parts.push(match r.operator.as_str() {
                "Exists" => r.key.clone(),
                "DoesNotExist" => format!("!{}", r.key),
                op => format!("{} {} ({})", r.key, op.to_lowercase(), r.values.join(", ")),
            });
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// A selector as the API serves it.
    pub fn from_k8s(s: &LabelSelector) -> Selector {
        Selector {
            match_labels: s.match_labels.clone().unwrap_or_default(),
            expressions: s
                .match_expressions
                .iter()
                .flatten()
                .map(|r| Requirement {
                    key: r.key.clone(),
                    operator: r.operator.clone(),
                    values: r.values.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }

    pub fn from_node(n: &Node) -> Selector {
        let mut s = Selector::default();
        if let Some(m) = n.get("matchLabels").and_then(Node::as_map) {
            for e in m {
                if let Some(v) = e.value.text() {
                    s.match_labels.insert(e.key.clone(), v.to_string());
                }
            }
        }
        for r in n
            .get("matchExpressions")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            s.expressions.push(Requirement {
                key: r.get("key").and_then(Node::text).unwrap_or_default().into(),
                operator: r
                    .get("operator")
                    .and_then(Node::text)
                    .unwrap_or_default()
                    .into(),
                values: r
                    .get("values")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|v| v.text().map(str::to_string))
                    .collect(),
            });
        }
        s
    }
}

/// One injector webhook of a MutatingWebhookConfiguration.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub configuration: String,
    pub name: String,
    pub injector: Injector,
    pub failure_policy: String,
    pub namespace_selector: Option<Selector>,
    pub object_selector: Option<Selector>,
    /// The Service the webhook calls (namespace, name), when it calls one.
    pub service: Option<(String, String)>,
    /// Where it was read: in the input (`Some`), or from the cluster.
    pub loc: Option<Loc>,
}

impl Webhook {
    /// An injector's webhook, as the API serves it, in the configuration
    /// of this name and `app.kubernetes.io/name` label.
    pub fn from_k8s(
        configuration: &str,
        app_label: Option<&str>,
        w: &MutatingWebhook,
    ) -> Option<Webhook> {
        let injector = Injector::of_webhook_in(
            &w.name,
            configuration,
            app_label,
            w.client_config.service.as_ref().map(|s| s.name.as_str()),
        )?;
        Some(Webhook {
            configuration: configuration.to_string(),
            name: w.name.clone(),
            injector,
            failure_policy: w.failure_policy.clone().unwrap_or_else(|| "Fail".into()),
            namespace_selector: w.namespace_selector.as_ref().map(Selector::from_k8s),
            object_selector: w.object_selector.as_ref().map(Selector::from_k8s),
            service: w
                .client_config
                .service
                .as_ref()
                .map(|s| (s.namespace.clone(), s.name.clone())),
            loc: None,
        })
    }

    pub fn from_node(
        configuration: &str,
        app_label: Option<&str>,
        w: &Node,
        loc: Option<Loc>,
    ) -> Option<Webhook> {
        let name = w.get("name").and_then(Node::text)?.to_string();
        let service = w.at(&["clientConfig", "service"]).and_then(|s| {
            Some((
                s.get("namespace").and_then(Node::text)?.to_string(),
                s.get("name").and_then(Node::text)?.to_string(),
            ))
        });
        let injector = Injector::of_webhook_in(
            &name,
            configuration,
            app_label,
            service.as_ref().map(|(_, n)| n.as_str()),
        )?;
        Some(Webhook {
            configuration: configuration.to_string(),
            name,
            injector,
            failure_policy: w
                .get("failurePolicy")
                .and_then(Node::text)
                .unwrap_or("Fail")
                .to_string(),
            namespace_selector: w.get("namespaceSelector").map(Selector::from_node),
            object_selector: w.get("objectSelector").map(Selector::from_node),
            service,
            loc: loc.map(|l| Loc { line: w.line, ..l }),
        })
    }
}

/// Everything read from the inputs.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// The inputs' names, as findings show them.
    pub files: Vec<String>,
    pub documents: usize,
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<ServiceAccount>,
    pub namespaces: Vec<Namespace>,
    pub classes: Vec<ProviderClass>,
    pub webhooks: Vec<Webhook>,
    /// Objects of kinds preflight does not read.
    pub other_objects: usize,
}

impl Manifests {
    pub fn objects(&self) -> usize {
        self.workloads.len()
            + self.service_accounts.len()
            + self.namespaces.len()
            + self.classes.len()
            + self.webhooks.len()
    }

    pub fn class(&self, namespace: &str, name: &str) -> Option<&ProviderClass> {
        self.classes
            .iter()
            .find(|c| c.namespace == namespace && c.name == name)
    }

    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.name == name)
    }

    pub fn has_service_account(&self, namespace: &str, name: &str) -> bool {
        self.service_accounts
            .iter()
            .any(|s| s.namespace == namespace && s.name == name)
    }
}

/// Annotations or labels of a metadata node.
fn pairs(meta: Option<&Node>, field: &str) -> Vec<Ann> {
    meta.and_then(|m| m.get(field))
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            let s = e.value.as_scalar();
            Ann {
                key: e.key.clone(),
                value: s.map(|s| s.text.clone()).unwrap_or_default(),
                kind: s.map_or(ScalarKind::Null, |s| s.kind),
                line: e.line,
                what: e.value.describe(),
            }
        })
        .collect()
}

fn csi_volumes(spec: Option<&Node>) -> (Vec<CsiVolume>, Vec<TokenVolume>) {
    let mut csi = Vec::new();
    let mut tokens = Vec::new();
    for v in spec
        .and_then(|s| s.get("volumes"))
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        let name = v.get("name").and_then(Node::text).unwrap_or_default();
        if let Some(c) = v.get("csi")
            && c.get("driver").and_then(Node::text) == Some(CSI_DRIVER)
        {
            let class = c
                .at(&["volumeAttributes"])
                .and_then(|a| a.entry("secretProviderClass"));
            csi.push(CsiVolume {
                volume: name.to_string(),
                class: class.and_then(|e| e.value.text()).map(str::to_string),
                line: class.map_or(v.line, |e| e.line),
            });
        }
        for src in v
            .at(&["projected", "sources"])
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            if let Some(t) = src.get("serviceAccountToken") {
                tokens.push(TokenVolume {
                    volume: name.to_string(),
                    audience: t.get("audience").and_then(Node::text).map(str::to_string),
                });
            }
        }
    }
    (csi, tokens)
}

/// Where each workload kind keeps its pod template.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

struct Reader<'a> {
    out: &'a mut Manifests,
    file: usize,
    default_namespace: &'a str,
}

impl Reader<'_> {
    fn object(&mut self, obj: &Node) {
        let Some(kind) = obj.get("kind").and_then(Node::text) else {
            self.out.other_objects += 1;
            return;
        };
        if kind == "List" || kind.ends_with("List") && obj.get("items").is_some() {
            for item in obj.get("items").and_then(Node::as_seq).unwrap_or(&[]) {
                self.object(item);
            }
            return;
        }
        let meta = obj.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Node::text)
            .unwrap_or_default()
            .to_string();
        let ns_node = meta.and_then(|m| m.get("namespace")).and_then(Node::text);
        let namespace = ns_node.unwrap_or(self.default_namespace).to_string();
        let loc = Loc {
            file: self.file,
            line: obj.entry("kind").map_or(obj.line, |e| e.line),
        };
        if let Some(path) = template_path(kind) {
            self.workload(kind, name, namespace, ns_node.is_some(), loc, obj, path);
            return;
        }
        match kind {
            "ServiceAccount" => self.out.service_accounts.push(ServiceAccount {
                name,
                namespace,
                loc,
            }),
            "Namespace" => {
                let mut labels: BTreeMap<String, String> = pairs(meta, "labels")
                    .into_iter()
                    .map(|a| (a.key, a.value))
                    .collect();
                // Set by the API server on every namespace (since 1.21).
                labels.insert("kubernetes.io/metadata.name".into(), name.clone());
                self.out.namespaces.push(Namespace { name, labels, loc });
            }
            "SecretProviderClass" => self.class(obj, name, namespace, loc),
            "MutatingWebhookConfiguration" => {
                let app = pairs(meta, "labels")
                    .into_iter()
                    .find(|a| a.key == "app.kubernetes.io/name")
                    .map(|a| a.value);
                for w in obj.get("webhooks").and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(hook) = Webhook::from_node(&name, app.as_deref(), w, Some(loc)) {
                        self.out.webhooks.push(hook);
                    }
                }
            }
            _ => self.out.other_objects += 1,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn workload(
        &mut self,
        kind: &str,
        name: String,
        namespace: String,
        namespace_given: bool,
        loc: Loc,
        obj: &Node,
        path: &[&str],
    ) {
        let template = obj.at(path);
        let pod_meta = template.and_then(|t| t.get("metadata"));
        let pod_spec = template.and_then(|t| t.get("spec"));
        let mut controller_annotations = Vec::new();
        if !path.is_empty() {
            controller_annotations.extend(pairs(obj.get("metadata"), "annotations"));
            if kind == "CronJob" {
                controller_annotations.extend(pairs(
                    obj.at(&["spec", "jobTemplate", "metadata"]),
                    "annotations",
                ));
            }
        }
        let service_account = pod_spec.and_then(|s| {
            s.entry("serviceAccountName")
                .or_else(|| s.entry("serviceAccount"))
                .and_then(|e| e.value.text().map(|n| (n.to_string(), e.line)))
        });
        let (csi_volumes, token_volumes) = csi_volumes(pod_spec);
        let template_line = if path.is_empty() {
            obj.entry("metadata").map_or(loc.line, |e| e.line)
        } else {
            obj.at(&path[..path.len() - 1])
                .and_then(|p| p.entry(path[path.len() - 1]))
                .map_or(loc.line, |e| e.line)
        };
        self.out.workloads.push(Workload {
            kind: kind.to_string(),
            name,
            namespace,
            namespace_given,
            loc,
            controller_annotations,
            annotations: pairs(pod_meta, "annotations"),
            template_line,
            labels: pairs(pod_meta, "labels"),
            service_account,
            csi_volumes,
            token_volumes,
            annotations_path: match kind {
                "Pod" => "metadata.annotations",
                "CronJob" => "spec.jobTemplate.spec.template.metadata.annotations",
                _ => "spec.template.metadata.annotations",
            },
        });
    }

    fn class(&mut self, obj: &Node, name: String, namespace: String, loc: Loc) {
        let spec = obj.get("spec");
        let params_entry = spec.and_then(|s| s.entry("parameters"));
        let parameters = pairs(spec, "parameters");
        let synced_objects = spec
            .and_then(|s| s.get("secretObjects"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .flat_map(|so| so.get("data").and_then(Node::as_seq).unwrap_or(&[]))
            .filter_map(|d| {
                d.entry("objectName")
                    .and_then(|e| e.value.text().map(|t| (t.to_string(), e.line)))
            })
            .collect();
        // The model reads classes from JSON as the cluster serves them; a
        // parameter of another type than string fails there, and is told
        // (with its line) from `parameters` instead.
        let mut json = obj.to_json();
        if let Some(p) = json
            .get_mut("spec")
            .and_then(|s| s.get_mut("parameters"))
            .and_then(|p| p.as_object_mut())
        {
            p.retain(|_, v| v.is_string());
        }
        if let Some(m) = json.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.insert("namespace".into(), namespace.clone().into());
        }
        let (info, error) = match SecretProviderClassInfo::from_value(&json) {
            Ok(i) => (Some(i), None),
            Err(e) => (None, Some(e)),
        };
        self.out.classes.push(ProviderClass {
            info,
            provider: spec
                .and_then(|s| s.get("provider"))
                .and_then(Node::text)
                .map(str::to_string),
            name,
            namespace,
            loc,
            parameters,
            parameters_line: params_entry.map_or(loc.line, |e| e.line),
            synced_objects,
            error,
        });
    }
}

/// Read the objects of one input's documents. Objects that name no
/// namespace are taken to be in `default_namespace` (as kubectl applies them).
pub fn read(out: &mut Manifests, file: usize, docs: &[Document], default_namespace: &str) {
    let mut r = Reader {
        out,
        file,
        default_namespace,
    };
    for d in docs {
        r.out.documents += 1;
        r.object(&d.root);
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{Limits, parse};
    use super::*;

    fn load(text: &str) -> Manifests {
        let mut m = Manifests::default();
        m.files.push("t.yaml".into());
        read(
            &mut m,
            0,
            &parse(text, Limits::default()).unwrap(),
            "default",
        );
        m
    }

    #[test]
    fn workloads_of_every_controller_kind() {
        let m = load(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    vault.hashicorp.com/role: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n    spec:\n      serviceAccountName: web\n      volumes:\n      - name: s\n        csi:\n          driver: secrets-store.csi.k8s.io\n          volumeAttributes:\n            secretProviderClass: web-vault\n---\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  jobTemplate:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n    spec:\n      template:\n        spec:\n          serviceAccount: batch\n",
        );
        let w = &m.workloads[0];
        assert_eq!(w.object(), "Deployment shop/web");
        assert_eq!(w.loc.line, 2);
        assert_eq!(w.controller_annotations[0].line, 7);
        assert_eq!(
            w.annotation_line("vault.hashicorp.com/agent-inject"),
            Some(14)
        );
        assert_eq!(w.service_account, Some(("web".into(), 16)));
        assert_eq!(w.csi_volumes[0].class.as_deref(), Some("web-vault"));
        assert_eq!(w.csi_volumes[0].line, 22);
        assert_eq!(w.template_line, 9);
        let c = &m.workloads[1];
        assert_eq!(c.object(), "CronJob default/nightly");
        assert!(!c.namespace_given);
        assert_eq!(c.controller_annotations.len(), 1);
        assert_eq!(c.service_account_name(), "batch");
        assert!(c.uses_vault());
    }

    #[test]
    fn lists_classes_namespaces_and_webhooks() {
        let m = load(
            "kind: List\nitems:\n- kind: ServiceAccount\n  metadata: {name: a, namespace: n}\n- kind: Namespace\n  metadata:\n    name: n\n    labels: {team: x}\n---\nkind: SecretProviderClass\nmetadata: {name: c, namespace: n}\nspec:\n  provider: vault\n  parameters:\n    roleName: r\n    vaultSkipTLSVerify: true\n    objects: |\n      - objectName: p\n        secretPath: secret/data/x\n---\nkind: MutatingWebhookConfiguration\nmetadata: {name: vault-agent-injector-cfg}\nwebhooks:\n- name: vault.hashicorp.com\n  failurePolicy: Ignore\n  clientConfig: {service: {namespace: vault, name: vault-agent-injector-svc}}\n  objectSelector:\n    matchExpressions:\n    - {key: app.kubernetes.io/name, operator: NotIn, values: [vault-agent-injector]}\n- name: other.example.com\n",
        );
        assert_eq!(m.service_accounts[0].loc.line, 3);
        assert_eq!(m.namespaces[0].labels["kubernetes.io/metadata.name"], "n");
        let c = &m.classes[0];
        let info = c.info.as_ref().unwrap();
        assert_eq!(info.role_name.as_deref(), Some("r"));
        assert_eq!(info.objects[0].secret_path, "secret/data/x");
        assert_eq!(
            c.parameter("vaultSkipTLSVerify").unwrap().kind,
            ScalarKind::Bool(true)
        );
        assert_eq!(c.line_of("roleName"), 15);
        assert_eq!(m.webhooks.len(), 1);
        let w = &m.webhooks[0];
        assert_eq!(w.injector, Injector::Vault);
        assert_eq!(
            w.service,
            Some(("vault".into(), "vault-agent-injector-svc".into()))
        );
        let sel = w.object_selector.as_ref().unwrap();
        let mut labels = BTreeMap::new();
        assert!(sel.matches(&labels));
        labels.insert(
            "app.kubernetes.io/name".into(),
            "vault-agent-injector".into(),
        );
        assert!(!sel.matches(&labels));
    }

    #[test]
    fn webhooks_of_both_injectors_are_read() {
        let m = load(
            "kind: MutatingWebhookConfiguration\nmetadata: {name: injector-cfg}\nwebhooks:\n- name: openbao.org\n- name: openbao.openbao.org\n- name: x.vault.hashicorp.com\n- name: notvault.hashicorp.com.evil\n---\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: bao-agent-injector-cfg\n  labels: {app.kubernetes.io/name: openbao-agent-injector}\nwebhooks:\n- name: vault.hashicorp.com\n",
        );
        let got: Vec<(&str, Injector)> = m
            .webhooks
            .iter()
            .map(|w| (w.name.as_str(), w.injector))
            .collect();
        assert_eq!(
            got,
            vec![
                ("openbao.org", Injector::OpenBao),
                ("openbao.openbao.org", Injector::OpenBao),
                ("x.vault.hashicorp.com", Injector::Vault),
                // openbao-helm's chart keeps vault-k8s's webhook name.
                ("vault.hashicorp.com", Injector::OpenBao),
            ]
        );
    }
}
