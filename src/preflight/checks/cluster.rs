//! Ring 3: what the manifests need from the cluster they are deployed to,
//! and do not bring themselves: service accounts, namespaces, classes, the
//! CSI driver, and an injector webhook that is up and selects the pods.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnose::{self, Severity};
use crate::model::cluster::ClusterIdentity;
use crate::model::csi::SecretProviderClassInfo;
use crate::model::injector::Dialect;

use super::super::finding::{Code, Finding, Ring};
use super::super::manifest::{Loc, Manifests, Webhook, Workload};
use super::Sink;
use super::manifests::{injectors_requested, selector_findings, serving};

/// What a lookup in the cluster found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<T> {
    Found(T),
    Missing,
    /// Not known: the read was refused or failed (why).
    Unknown(String),
}

impl<T> Seen<T> {
    pub fn found(&self) -> Option<&T> {
        match self {
            Seen::Found(t) => Some(t),
            _ => None,
        }
    }

    pub fn why(&self) -> Option<&String> {
        match self {
            Seen::Unknown(w) => Some(w),
            _ => None,
        }
    }
}

/// What ring 3 read from the cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterFacts {
    pub context: String,
    pub service_accounts: BTreeMap<(String, String), Seen<()>>,
    pub namespaces: BTreeMap<String, Seen<BTreeMap<String, String>>>,
    pub classes: BTreeMap<(String, String), Seen<SecretProviderClassInfo>>,
    /// Whether the SecretProviderClass API is served (the CSI driver's CRDs).
    pub class_api: Option<Seen<()>>,
    /// The `secrets-store.csi.k8s.io` CSIDriver object.
    pub csi_driver: Option<Seen<()>>,
    /// The injectors' webhooks (every MutatingWebhookConfiguration's).
    pub webhooks: Option<Seen<Vec<Webhook>>>,
    /// Ready endpoints behind each webhook Service (namespace, name).
    pub endpoints: BTreeMap<(String, String), Seen<u32>>,
    /// The API server and its CAs, when the Vault ring runs too: its auth
    /// backends' config is compared with them.
    pub identity: Option<ClusterIdentity>,
}

impl ClusterFacts {
    pub fn class(&self, ns: &str, name: &str) -> Option<&SecretProviderClassInfo> {
        self.classes
            .get(&(ns.to_string(), name.to_string()))
            .and_then(Seen::found)
    }

    /// The reads that were refused or failed, for the ring's line.
    pub fn unknowns(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut note = |what: String, why: Option<&String>| {
            if let Some(why) = why {
                out.push(format!("{what}: {why}"));
            }
        };
        for ((ns, n), s) in &self.service_accounts {
            note(format!("serviceaccount {ns}/{n}"), s.why());
        }
        for (ns, s) in &self.namespaces {
            note(format!("namespace {ns}"), s.why());
        }
        for ((ns, n), s) in &self.classes {
            note(format!("secretproviderclass {ns}/{n}"), s.why());
        }
        if let Some(s) = &self.class_api {
            note("secretproviderclasses".into(), s.why());
        }
        if let Some(s) = &self.csi_driver {
            note("csidriver secrets-store.csi.k8s.io".into(), s.why());
        }
        if let Some(s) = &self.webhooks {
            note("mutatingwebhookconfigurations".into(), s.why());
        }
        for ((ns, n), s) in &self.endpoints {
            note(format!("endpointslices of {ns}/{n}"), s.why());
        }
        out
    }

    pub fn describe(&self) -> String {
        let unknown = self.unknowns();
        if unknown.is_empty() {
            format!("context {}", self.context)
        } else {
            format!(
                "context {} (not checked: {})",
                self.context,
                unknown.join("; ")
            )
        }
    }
}

/// What ring 3 looks up: what the Vault workloads use and the input does
/// not define.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterNeeds {
    pub service_accounts: BTreeSet<(String, String)>,
    pub namespaces: BTreeSet<String>,
    pub classes: BTreeSet<(String, String)>,
    pub csi_driver: bool,
    pub webhooks: bool,
}

pub fn needs(m: &Manifests) -> ClusterNeeds {
    let mut n = ClusterNeeds::default();
    for w in m.workloads.iter().filter(|w| w.uses_vault()) {
        let sa = w.service_account_name();
        if sa != "default" && !m.has_service_account(&w.namespace, sa) {
            n.service_accounts
                .insert((w.namespace.clone(), sa.to_string()));
        }
        if m.namespace(&w.namespace).is_none() {
            n.namespaces.insert(w.namespace.clone());
        }
        for v in &w.csi_volumes {
            n.csi_driver = true;
            if let Some(c) = &v.class
                && m.class(&w.namespace, c).is_none()
            {
                n.classes.insert((w.namespace.clone(), c.clone()));
            }
        }
        if !injectors_requested(&w.annotations).is_empty() {
            n.webhooks = true;
        }
    }
    n
}

fn at(w: &Workload, line: usize) -> Loc {
    Loc {
        file: w.loc.file,
        line,
    }
}

pub fn run(m: &Manifests, c: &ClusterFacts) -> Vec<Finding> {
    let mut s = Sink::new(&m.files, Ring::Cluster);
    for w in m.workloads.iter().filter(|w| w.uses_vault()) {
        let object = w.object();
        let sa = w.service_account_name();
        if c.service_accounts
            .get(&(w.namespace.clone(), sa.to_string()))
            == Some(&Seen::Missing)
        {
            let line = w
                .service_account
                .as_ref()
                .map_or(w.template_line, |(_, l)| *l);
            s.add(
                Code::ServiceAccountMissing,
                Severity::Error,
                at(w, line),
                &object,
                format!(
                    "ServiceAccount {}/{sa} does not exist in the cluster and is not in the input: no pod can be created (\"serviceaccount \\\"{sa}\\\" not found\")",
                    w.namespace
                ),
                format!(
                    "Add the ServiceAccount {sa} (namespace {}) to the manifests, or correct serviceAccountName.",
                    w.namespace
                ),
                Some(format!("GET serviceaccounts/{sa} in {}: 404", w.namespace)),
            );
        }
        if c.namespaces.get(&w.namespace) == Some(&Seen::Missing) {
            s.add(
                Code::NamespaceMissing,
                Severity::Error,
                w.loc,
                &object,
                format!(
                    "Namespace {} does not exist in the cluster and is not in the input: the apply fails (\"namespaces \\\"{}\\\" not found\")",
                    w.namespace, w.namespace
                ),
                format!(
                    "Add the Namespace {} to the manifests (or create it before deploying).",
                    w.namespace
                ),
                Some(format!("GET namespaces/{}: 404", w.namespace)),
            );
        }
        csi(&mut s, m, w, c);
        injector(&mut s, m, w, c);
    }
    s.out
}

fn csi(s: &mut Sink<'_>, m: &Manifests, w: &Workload, c: &ClusterFacts) {
    let Some(first) = w.csi_volumes.first() else {
        return;
    };
    let object = w.object();
    let api_missing = c.class_api.as_ref() == Some(&Seen::Missing);
    let driver_missing = c.csi_driver.as_ref() == Some(&Seen::Missing);
    if api_missing || driver_missing {
        let (what, evidence) = if api_missing {
            (
                "the SecretProviderClass API is not served (the Secrets Store CSI driver's CRDs are not installed)",
                "secretproviderclasses.secrets-store.csi.x-k8s.io: the server could not find the requested resource",
            )
        } else {
            (
                "there is no CSIDriver secrets-store.csi.k8s.io (the Secrets Store CSI driver is not installed)",
                "GET csidrivers/secrets-store.csi.k8s.io: 404",
            )
        };
        s.add(
            Code::Check(diagnose::Code::CsiDriverMissing),
            Severity::Error,
            at(w, first.line),
            &object,
            format!("Volume {} uses the Secrets Store CSI driver, but {what}: the pod stays in ContainerCreating", first.volume),
            "Install the secrets-store-csi-driver and the vault-csi-provider in the cluster.",
            Some(evidence.into()),
        );
        return;
    }
    for v in &w.csi_volumes {
        let Some(name) = &v.class else { continue };
        if m.class(&w.namespace, name).is_some() {
            continue;
        }
        if c.classes.get(&(w.namespace.clone(), name.clone())) == Some(&Seen::Missing) {
            s.add(
                Code::Check(diagnose::Code::CsiClassNotFound),
                Severity::Error,
                at(w, v.line),
                &object,
                format!(
                    "SecretProviderClass {name} exists neither in namespace {} of the cluster nor in the input: the pod stays in ContainerCreating (\"failed to get secretproviderclass\")",
                    w.namespace
                ),
                format!("Add the SecretProviderClass {name} to the manifests, or correct volumeAttributes.secretProviderClass."),
                Some(format!("GET secretproviderclasses/{name} in {}: 404", w.namespace)),
            );
        }
    }
}

fn injector(s: &mut Sink<'_>, m: &Manifests, w: &Workload, c: &ClusterFacts) {
    let Some(Seen::Found(hooks)) = &c.webhooks else {
        return;
    };
    let object = w.object();
    for (injector, asks) in injectors_requested(&w.annotations) {
        let inject_line = asks.line;
        // The input installs (or updates) this injector: ring 1 checks it.
        let input: Vec<&Webhook> = m.webhooks.iter().collect();
        if !serving(&input, injector).is_empty() {
            continue;
        }
        let hooks: Vec<&Webhook> = hooks.iter().collect();
        let mine = serving(&hooks, injector);
        if mine.is_empty() {
            // The other injector's webhook, when the cluster has it: its
            // name tells which prefix it reads.
            let theirs = hooks.iter().find(|h| h.injector != injector).map(|h| {
                Dialect::named_in(&h.name)
                    .filter(|d| d.injector() == h.injector)
                    .unwrap_or(h.injector.dialect())
            });
            let instead = match theirs {
                Some(d) => format!(
                    ", or use the annotations of the {} the cluster has ({}agent-inject, {}role...)",
                    d.injector().label(),
                    d.prefix(),
                    d.prefix()
                ),
                None => String::new(),
            };
            s.add(
                Code::InjectorMissing,
                Severity::Error,
                at(w, inject_line),
                &object,
                format!(
                    "{} asks {} to inject, but the cluster has no webhook of it ({}): the pods are created without injection and start without their secrets",
                    asks.key,
                    injector.project(),
                    injector.webhook_names().join(" or ")
                ),
                format!(
                    "Install the {} ({} with injector.enabled=true){instead}.",
                    injector.label(),
                    injector.helm_chart()
                ),
                Some("no MutatingWebhookConfiguration has such a webhook".into()),
            );
            continue;
        }
        let labels = |ns: &str| {
            m.namespace(ns)
                .map(|n| n.labels.clone())
                .or_else(|| c.namespaces.get(ns).and_then(Seen::found).cloned())
        };
        // A webhook that does not select the pods does not call its
        // Service for them: that is the finding, not its endpoints.
        let skipped = selector_findings(w, &mine, labels);
        if !skipped.is_empty() {
            for f in skipped {
                s.add(
                    f.code, f.severity, f.loc, &object, f.message, f.fix, f.evidence,
                );
            }
            continue;
        }
        for h in &mine {
            let Some(svc) = &h.service else { continue };
            if let Some(Seen::Found(0)) = c.endpoints.get(svc) {
                let effect = if h.failure_policy == "Ignore" {
                    "with failurePolicy Ignore, pods created now start without their secrets"
                } else {
                    "with failurePolicy Fail, no pod that asks for injection can be created"
                };
                s.add(
                    Code::Check(diagnose::Code::InjectionInjectorUnavailable),
                    Severity::Error,
                    at(w, inject_line),
                    &object,
                    format!(
                        "The {} webhook {} calls Service {}/{}, which has no ready endpoints: {effect}",
                        h.injector.project(), h.name, svc.0, svc.1
                    ),
                    format!(
                        "Fix the injector before deploying (kubectl -n {} get pods,endpointslices).",
                        svc.0
                    ),
                    Some(format!("EndpointSlices of {}/{}: 0 ready endpoints", svc.0, svc.1)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::manifest::{self, Selector};
    use super::super::super::yaml::{Limits, parse};
    use super::*;
    use crate::model::injector::Injector;

    const INPUT: &str = "kind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n        vault.hashicorp.com/role: web\n    spec:\n      serviceAccountName: web\n      volumes:\n      - name: s\n        csi:\n          driver: secrets-store.csi.k8s.io\n          volumeAttributes: {secretProviderClass: web-vault}\n";

    fn manifests() -> Manifests {
        let mut m = Manifests::default();
        m.files.push("m.yaml".into());
        manifest::read(
            &mut m,
            0,
            &parse(INPUT, Limits::default()).unwrap(),
            "default",
        );
        m
    }

    fn hook(selector: Option<Selector>) -> Webhook {
        Webhook {
            configuration: "vault-agent-injector-cfg".into(),
            name: "vault.hashicorp.com".into(),
            injector: Injector::of_webhook("vault.hashicorp.com").unwrap(),
            failure_policy: "Ignore".into(),
            namespace_selector: selector,
            object_selector: None,
            service: Some(("vault".into(), "vault-agent-injector-svc".into())),
            loc: None,
        }
    }

    fn codes(f: &[Finding]) -> Vec<(String, usize)> {
        f.iter().map(|f| (f.code.to_string(), f.line)).collect()
    }

    #[test]
    fn what_the_cluster_lacks() {
        let m = manifests();
        let n = needs(&m);
        assert!(n.service_accounts.contains(&("shop".into(), "web".into())));
        assert!(n.classes.contains(&("shop".into(), "web-vault".into())));
        assert!(n.csi_driver && n.webhooks);
        let mut c = ClusterFacts {
            context: "lab".into(),
            ..Default::default()
        };
        c.service_accounts
            .insert(("shop".into(), "web".into()), Seen::Missing);
        c.namespaces
            .insert("shop".into(), Seen::Found(BTreeMap::new()));
        c.classes
            .insert(("shop".into(), "web-vault".into()), Seen::Missing);
        c.class_api = Some(Seen::Found(()));
        c.csi_driver = Some(Seen::Found(()));
        c.webhooks = Some(Seen::Found(vec![]));
        assert_eq!(
            codes(&run(&m, &c)),
            vec![
                ("preflight.service_account_missing".into(), 11),
                ("csi.class_not_found".into(), 16),
                ("preflight.injector_missing".into(), 8),
            ]
        );
        c.csi_driver = Some(Seen::Missing);
        let mut sel = Selector::default();
        sel.match_labels.insert("inject".into(), "yes".into());
        c.webhooks = Some(Seen::Found(vec![hook(Some(sel))]));
        c.endpoints.insert(
            ("vault".into(), "vault-agent-injector-svc".into()),
            Seen::Found(0),
        );
        let got = codes(&run(&m, &c));
        assert!(got.contains(&("csi.driver_missing".into(), 16)), "{got:?}");
        assert!(
            got.contains(&("preflight.namespace_not_selected".into(), 8)),
            "{got:?}"
        );
        // A webhook that skips the pods is the finding; its endpoints are not.
        assert!(
            !got.iter()
                .any(|(c, _)| c == "injection.injector_unavailable"),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|(c, _)| c == "csi.class_not_found"),
            "{got:?}"
        );
        c.webhooks = Some(Seen::Found(vec![hook(None)]));
        let got = codes(&run(&m, &c));
        assert!(
            got.contains(&("injection.injector_unavailable".into(), 8)),
            "{got:?}"
        );
    }

    #[test]
    fn openbao_pods_on_a_vault_k8s_cluster_are_told_which_prefix_it_reads() {
        let mut m = Manifests::default();
        m.files.push("m.yaml".into());
        manifest::read(
            &mut m,
            0,
            &parse(
                &INPUT.replace("vault.hashicorp.com/", "openbao.org/"),
                Limits::default(),
            )
            .unwrap(),
            "default",
        );
        let mut c = ClusterFacts {
            context: "lab".into(),
            ..Default::default()
        };
        c.webhooks = Some(Seen::Found(vec![hook(None)]));
        let f = run(&m, &c);
        assert_eq!(codes(&f), vec![("preflight.injector_missing".into(), 8)]);
        assert!(
            f[0].message.starts_with(
                "openbao.org/agent-inject asks openbao-k8s to inject, but the cluster has no webhook of it (openbao.org or openbao.openbao.org)"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].fix.contains("openbao-helm")
                && f[0].fix.contains(
                    "Vault Agent Injector the cluster has (vault.hashicorp.com/agent-inject"
                ),
            "{}",
            f[0].fix
        );
        // With openbao-k8s's webhook, the same pods are served.
        let mut bao = hook(None);
        bao.name = "openbao.org".into();
        bao.service = None;
        bao.injector = Injector::OpenBao;
        c.webhooks = Some(Seen::Found(vec![bao.clone()]));
        assert!(run(&m, &c).is_empty());
        // openbao-k8s also injects vault.hashicorp.com/ pods (it rewrites
        // the keys): its webhook, down, is the one they wait for.
        let vault_pods = manifests();
        bao.service = Some(("openbao".into(), "openbao-agent-injector-svc".into()));
        c.webhooks = Some(Seen::Found(vec![bao]));
        c.endpoints.insert(
            ("openbao".into(), "openbao-agent-injector-svc".into()),
            Seen::Found(0),
        );
        let f = run(&vault_pods, &c);
        let got: Vec<(String, usize)> = codes(&f)
            .into_iter()
            .filter(|(c, _)| c.starts_with("injection.") || c == "preflight.injector_missing")
            .collect();
        assert_eq!(got, vec![("injection.injector_unavailable".into(), 8)]);
        let f = f
            .iter()
            .find(|f| f.code.to_string() == "injection.injector_unavailable")
            .unwrap();
        assert!(
            f.message.starts_with("The openbao-k8s webhook openbao.org calls Service openbao/openbao-agent-injector-svc"),
            "{}",
            f.message
        );
    }

    #[test]
    fn refused_reads_are_named_not_judged() {
        let m = manifests();
        let mut c = ClusterFacts {
            context: "lab".into(),
            ..Default::default()
        };
        c.service_accounts.insert(
            ("shop".into(), "web".into()),
            Seen::Unknown("forbidden".into()),
        );
        assert!(run(&m, &c).is_empty());
        assert!(c.describe().contains("serviceaccount shop/web: forbidden"));
    }
}
