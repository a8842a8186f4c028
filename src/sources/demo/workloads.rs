//! The demo cluster, workload by workload: each is healthy or broken in one
//! way the dashboard should explain, and the broken ones keep failing.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::model::Observation;
use crate::model::csi::{
    CsiDriverConfig, SecretProviderClassInfo, SecretProviderClassPodStatusInfo, SpcObject,
    SpcpsObject,
};
use crate::model::injector::{Dialect, Injector};
use crate::model::logs::LogKey;
use crate::model::objects::{EventInfo, InjectorWebhook, InvolvedObject, JobInfo};
use crate::model::pod::{
    AGENT_INIT, AGENT_SIDECAR, ContainerInfo, ContainerState, OwnerRef, PodCondition, PodInfo,
};

use super::pods::Spec;
use super::vault::{DemoCert, DemoLease};
use super::{OPENBAO_ADDR, Scenario, VAULT_ADDR, ts};

fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    ann_of(Dialect::Vault, pairs)
}

fn ann_of(d: Dialect, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("{}{k}", d.prefix()), v.to_string()))
        .collect()
}

/// The annotations of a pod vault-k8s has mutated.
fn injected(
    role: &str,
    secrets: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    injected_by(Dialect::Vault, role, secrets, extra)
}

/// The annotations of a pod the injector reading `d` has mutated.
fn injected_by(
    d: Dialect,
    role: &str,
    secrets: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut m = ann_of(
        d,
        &[
            ("agent-inject", "true"),
            ("agent-inject-status", "injected"),
            ("role", role),
        ],
    );
    for (n, p) in secrets {
        m.insert(
            format!("{}agent-inject-secret-{n}", d.prefix()),
            p.to_string(),
        );
    }
    m.extend(ann_of(d, extra));
    m
}

fn spc(name: &str, role: &str, object: &str, path: &str, key: &str) -> SecretProviderClassInfo {
    SecretProviderClassInfo {
        namespace: "shop".into(),
        name: name.into(),
        provider: "vault".into(),
        role_name: Some(role.into()),
        vault_address: Some(VAULT_ADDR.into()),
        auth_mount: None,
        audience: None,
        objects: vec![SpcObject {
            object_name: object.into(),
            secret_path: path.into(),
            secret_key: Some(key.into()),
        }],
        objects_error: None,
        synced_secrets: vec![],
    }
}

impl Scenario {
    /// Everything the demo cluster holds at the start.
    pub fn initial(&mut self) -> Vec<Observation> {
        let mut out = vec![
            Observation::CsiInstalled(true),
            // The injector endpoints counted are those of the first webhook's Service.
            Observation::InjectorWebhooks(vec![
                InjectorWebhook {
                    injector: Injector::Vault,
                    configuration: "vault-agent-injector-cfg".into(),
                    failure_policy: "Ignore".into(),
                    service_namespace: Some("vault".into()),
                    service_name: Some("vault-agent-injector-svc".into()),
                },
                InjectorWebhook {
                    injector: Injector::OpenBao,
                    configuration: "openbao-agent-injector-cfg".into(),
                    failure_policy: "Ignore".into(),
                    service_namespace: Some("openbao".into()),
                    service_name: Some("openbao-agent-injector-svc".into()),
                },
            ]),
            Observation::InjectorEndpoints { ready: 2 },
            self.vault_status(),
        ];
        self.payments_workloads(&mut out);
        self.csi_workloads(&mut out);
        self.shop_workloads(&mut out);
        self.platform_workloads(&mut out);
        out.push(self.leases_obs());
        out.push(self.certs_obs());
        out
    }

    /// The failures that recur each second `s` of the scenario.
    pub(super) fn keep_failing(&mut self, s: i64, out: &mut Vec<Observation>) {
        // ledger keeps failing to log in (every line stamped at or before
        // `s`: the player never shows a line from the future).
        if s % 30 == 0 {
            let l = vec![
                format!(
                    "{} [INFO]  agent.auth.handler: authenticating",
                    ts(self.t(s) - Duration::milliseconds(100))
                ),
                self.sa_error(s, "30s"),
            ];
            out.push(self.log("payments", "ledger-6d5c8b7f4-q7r2s", AGENT_INIT, false, l));
        }
        // storefront keeps retrying the missing secret.
        if s % 20 == 7 {
            let attempt = 6 + s / 20;
            out.push(self.log(
                "shop",
                "storefront-4f5g6h7j8-c3d4e",
                AGENT_INIT,
                false,
                vec![self.missing_secret(s, attempt)],
            ));
        }
        // invoices restarts and crashes again.
        if s % 60 == 20 {
            self.invoices_restart(s, out);
        }
        // kubelet retries cart's mount every two minutes.
        if s % 120 == 100 {
            self.cart_mount_failures += 1;
            out.push(self.cart_event());
        }
    }

    /// payments/billing-api: dynamic database credentials, renewing;
    /// payments/ledger: the init container cannot log in;
    /// payments/invoices: the sidecar crash-loops on a policy denial;
    /// payments/reporting-db: a lease about to reach its max TTL.
    fn payments_workloads(&mut self, out: &mut Vec<Observation>) {
        self.billing_api(out);
        self.ledger(out);
        self.invoices(out);
        self.reporting_db(out);
    }

    fn billing_api(&mut self, out: &mut Vec<Observation>) {
        let billing = injected(
            "billing",
            &[("db-creds", "database/creds/billing")],
            &[
                (
                    "agent-inject-template-db-creds",
                    "{{ with secret \"database/creds/billing\" }}postgres://{{ .Data.username }}:{{ .Data.password }}@db:5432/billing{{ end }}",
                ),
                // The app reloads its pool when new credentials land.
                ("agent-inject-command-db-creds", "kill -HUP 1"),
            ],
        );
        self.make_pods(
            Spec {
                ns: "payments",
                app: "billing-api",
                hash: "7c9d8f6b54",
                suffixes: &["x2k9p", "m4t7q", "h8w2z"],
                annotations: billing,
                init: Some(self.completed(-3590)),
                sidecar: Some(self.running(-3588)),
                csi_class: None,
                ready: true,
                age: 3600,
            },
            out,
        );
        for (i, pod) in ["x2k9p", "m4t7q", "h8w2z"].iter().enumerate() {
            let name = format!("billing-api-7c9d8f6b54-{pod}");
            let issue = -(i as i64 * 370 + 130);
            self.leases.push(DemoLease {
                path: "database/creds/billing".into(),
                generation: 40 + i as u64,
                issue,
                last_renewal: None,
                ttl: 300,
                max_ttl: 1800,
                pod: ("payments".into(), name.clone()),
                file: "db-creds".into(),
            });
            out.push(self.log(
                "payments",
                &name,
                AGENT_INIT,
                false,
                self.healthy_start(-3592, &["db-creds"], true),
            ));
            out.push(self.log(
                "payments",
                &name,
                AGENT_SIDECAR,
                false,
                self.healthy_start(-3588, &["db-creds"], false),
            ));
        }
    }

    fn ledger(&mut self, out: &mut Vec<Observation>) {
        let ledger = injected("ledger", &[("db-creds", "database/creds/ledger")], &[]);
        self.make_pods(
            Spec {
                ns: "payments",
                app: "ledger",
                hash: "6d5c8b7f4",
                suffixes: &["q7r2s"],
                annotations: ledger,
                init: Some(self.running(-252)),
                sidecar: Some(ContainerState::Waiting {
                    reason: Some("PodInitializing".into()),
                    message: None,
                }),
                csi_class: None,
                ready: false,
                age: 253,
            },
            out,
        );
        let mut l = self.banner(-252);
        let mut at = -252;
        let mut backoff = 1;
        while at < 0 {
            l.push(self.sa_error(at, &format!("{backoff}s")));
            at += backoff;
            // The next attempt, unless it is still to come (the scenario
            // logs it when its time comes).
            if at < 0 {
                l.push(format!(
                    "{} [INFO]  agent.auth.handler: authenticating",
                    ts(self.t(at) - Duration::milliseconds(100))
                ));
            }
            backoff = (backoff * 2).min(30);
        }
        out.push(self.log("payments", "ledger-6d5c8b7f4-q7r2s", AGENT_INIT, false, l));
    }

    fn invoices(&mut self, out: &mut Vec<Observation>) {
        let invoices = injected(
            "invoices",
            &[("config", "secret/data/payments/invoices")],
            &[],
        );
        self.make_pods(
            Spec {
                ns: "payments",
                app: "invoices",
                hash: "58f9c7d6b",
                suffixes: &["v5n8d"],
                annotations: invoices,
                init: Some(self.completed(-1790)),
                sidecar: Some(ContainerState::Waiting {
                    reason: Some("CrashLoopBackOff".into()),
                    message: None,
                }),
                csi_class: None,
                ready: false,
                age: 1800,
            },
            out,
        );
        self.set_restarts("payments", "invoices-58f9c7d6b-v5n8d", 7);
        out.push(self.log(
            "payments",
            "invoices-58f9c7d6b-v5n8d",
            AGENT_INIT,
            false,
            self.healthy_start(-1792, &["config"], true),
        ));
        out.push(self.invoices_crash(-40));
    }

    fn invoices_restart(&mut self, s: i64, out: &mut Vec<Observation>) {
        let key = (
            "payments".to_string(),
            "invoices-58f9c7d6b-v5n8d".to_string(),
        );
        let n = self
            .pods
            .get(&key)
            .and_then(|p| p.agent_sidecar())
            .map_or(7, |c| c.restart_count)
            + 1;
        self.set_restarts("payments", "invoices-58f9c7d6b-v5n8d", n);
        out.push(Observation::LogReset {
            key: LogKey {
                namespace: "payments".into(),
                pod: key.1.clone(),
                container: AGENT_SIDECAR.into(),
                previous: true,
            },
        });
        out.push(self.invoices_crash(s - 2));
        if let Some(p) = self.pods.get(&key) {
            out.push(Observation::PodApplied(Box::new(p.clone())));
        }
    }

    fn reporting_db(&mut self, out: &mut Vec<Observation>) {
        let reporting = injected(
            "reporting",
            &[("db-creds", "database/creds/reporting")],
            &[],
        );
        self.make_pods(
            Spec {
                ns: "payments",
                app: "reporting-db",
                hash: "sts",
                suffixes: &["0"],
                annotations: reporting,
                init: Some(self.completed(-86_000)),
                sidecar: Some(self.running(-85_998)),
                csi_class: None,
                ready: true,
                age: 86_010,
            },
            out,
        );
        self.leases.push(DemoLease {
            path: "database/creds/reporting".into(),
            generation: 7,
            issue: -(24 * 3600 - 480),
            last_renewal: Some(-1300),
            ttl: 3600,
            max_ttl: 24 * 3600,
            pod: ("payments".into(), "reporting-db-0".into()),
            file: "db-creds".into(),
        });
        out.push(self.log(
            "payments",
            "reporting-db-0",
            AGENT_SIDECAR,
            false,
            self.healthy_start(-86_000, &["db-creds"], false),
        ));
    }

    /// shop/catalog: a CSI mount on a driver that does not rotate, of a
    /// password Vault changed since; shop/cart: the CSI provider cannot log in.
    fn csi_workloads(&mut self, out: &mut Vec<Observation>) {
        // The driver as its DaemonSet manifest starts it
        // (secrets-store-csi-driver `deploy/secrets-store-csi-driver.yaml` @v1.6.1).
        out.push(Observation::CsiDriver(CsiDriverConfig::from_args(
            &[
                "--endpoint=$(CSI_ENDPOINT)",
                "--nodeid=$(KUBE_NODE_NAME)",
                "--provider-volume=/var/run/secrets-store-csi-providers",
                "--enable-secret-rotation=false",
                "--rotation-poll-interval=2m",
            ]
            .map(String::from),
            "driver pod kube-system/csi-secrets-store-x7k2p, container secrets-store",
        )));
        self.make_pods(
            Spec {
                ns: "shop",
                app: "catalog",
                hash: "5b7d9c8f6",
                suffixes: &["d3f6g", "k9l2m"],
                annotations: BTreeMap::new(),
                init: None,
                sidecar: None,
                csi_class: Some("catalog-vault"),
                ready: true,
                age: 7200,
            },
            out,
        );
        out.push(Observation::ClassApplied(Box::new(spc(
            "catalog-vault",
            "catalog",
            "db-password",
            "secret/data/shop/catalog",
            "password",
        ))));
        for p in ["d3f6g", "k9l2m"] {
            let pod = format!("catalog-5b7d9c8f6-{p}");
            out.push(Observation::PodStatusApplied(Box::new(SecretProviderClassPodStatusInfo {
                namespace: "shop".into(),
                name: format!("{pod}-shop-catalog-vault"),
                pod_name: pod,
                class_name: "catalog-vault".into(),
                mounted: true,
                target_path: Some("/var/lib/kubelet/pods/uid/volumes/kubernetes.io~csi/secrets-store-inline/mount".into()),
                objects: vec![SpcpsObject { id: "db-password".into(), version: "Tq1vQ2mR8xLk0pZc4sYbN7wD".into() }],
                created: Some(self.t(-7190)),
                written: Some(self.t(-7190)),
            })));
        }

        self.make_pods(
            Spec {
                ns: "shop",
                app: "cart",
                hash: "7f6c5d9b8",
                suffixes: &["p2q4r"],
                annotations: BTreeMap::new(),
                init: None,
                sidecar: None,
                csi_class: Some("cart-vault"),
                ready: false,
                age: 1700,
            },
            out,
        );
        out.push(Observation::ClassApplied(Box::new(spc(
            "cart-vault",
            "cart",
            "redis-password",
            "secret/data/shop/cart",
            "password",
        ))));
        out.push(self.cart_event());
    }

    fn cart_event(&self) -> Observation {
        let pod = "cart-7f6c5d9b8-p2q4r";
        Observation::EventApplied(Box::new(EventInfo {
            namespace: "shop".into(),
            name: format!("{pod}.17f3c2a9d1e4b6c8"),
            involved: InvolvedObject {
                kind: "Pod".into(),
                namespace: "shop".into(),
                name: pod.into(),
                uid: Some(format!("uid-{pod}")),
            },
            kind: "Warning".into(),
            reason: "FailedMount".into(),
            message: format!(
                "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod shop/{pod}, err: rpc error: code = Unknown desc = error making mount request: failed to login: Error making API request.\n\nURL: POST {VAULT_ADDR}/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* service account name not authorized"
            ),
            count: self.cart_mount_failures,
            first_seen: Some(self.t(-1690)),
            // At the start, a retry 20 s ago; later, now.
            last_seen: Some(self.t(if self.at == 0 { -20 } else { self.at })),
        }))
    }

    /// shop/web: a PKI certificate close to expiry, re-issued during the run;
    /// shop/legacy-web: annotated, but the webhook never injected it;
    /// shop/storefront: the template asks for a secret that does not exist.
    fn shop_workloads(&mut self, out: &mut Vec<Observation>) {
        self.web(out);
        self.make_pods(
            Spec {
                ns: "shop",
                app: "legacy-web",
                hash: "9b8c7d6f5",
                suffixes: &["z1a2b"],
                annotations: ann(&[
                    ("agent-inject", "true"),
                    ("role", "legacy-web"),
                    ("agent-inject-secret-config", "secret/data/shop/legacy-web"),
                ]),
                init: None,
                sidecar: None,
                csi_class: None,
                ready: true,
                age: 5400,
            },
            out,
        );
        self.storefront(out);
    }

    fn web(&mut self, out: &mut Vec<Observation>) {
        let web = injected(
            "web",
            &[("tls", "pki/issue/web")],
            &[
                (
                    "agent-inject-template-tls",
                    "{{ with pkiCert \"pki/issue/web\" \"common_name=web.shop.svc\" \"ttl=1h\" }}{{ .Cert }}{{ .Key }}{{ end }}",
                ),
                ("agent-inject-command-tls", "nginx -s reload"),
            ],
        );
        self.make_pods(
            Spec {
                ns: "shop",
                app: "web",
                hash: "6c8d7b5f9",
                suffixes: &["s5t6u", "w7x8y"],
                annotations: web,
                init: Some(self.completed(-10_790)),
                sidecar: Some(self.running(-10_788)),
                csi_class: None,
                ready: true,
                age: 10_800,
            },
            out,
        );
        self.certs.push(DemoCert {
            mount: "pki".into(),
            common_name: "web.shop.svc".into(),
            not_before: -52 * 60,
            lifetime: 3600,
            generation: 17,
            pods: vec![
                ("shop".into(), "web-6c8d7b5f9-s5t6u".into()),
                ("shop".into(), "web-6c8d7b5f9-w7x8y".into()),
            ],
            file: "tls".into(),
        });
        for p in ["s5t6u", "w7x8y"] {
            out.push(self.log(
                "shop",
                &format!("web-6c8d7b5f9-{p}"),
                AGENT_SIDECAR,
                false,
                self.healthy_start(-10_788, &["tls"], false),
            ));
        }
    }

    fn storefront(&mut self, out: &mut Vec<Observation>) {
        let storefront = injected(
            "storefront",
            &[("config", "secret/data/shop/storefront")],
            &[],
        );
        self.make_pods(
            Spec {
                ns: "shop",
                app: "storefront",
                hash: "4f5g6h7j8",
                suffixes: &["c3d4e"],
                annotations: storefront,
                init: Some(self.running(-95)),
                sidecar: Some(ContainerState::Waiting {
                    reason: Some("PodInitializing".into()),
                    message: None,
                }),
                csi_class: None,
                ready: false,
                age: 96,
            },
            out,
        );
        let mut l = self.healthy_start(-95, &[], false);
        l.pop();
        let mut attempt = 1;
        let mut at = -93;
        while at < 0 {
            l.push(self.missing_secret(at, attempt));
            attempt += 1;
            at += 20;
        }
        out.push(self.log("shop", "storefront-4f5g6h7j8-c3d4e", AGENT_INIT, false, l));
    }

    /// platform/config-sync: a static KV secret that rotates;
    /// platform/nightly-report: a CronJob with an init-only agent;
    /// platform/metrics-gateway: a DaemonSet with a KV secret, healthy;
    /// platform/feature-flags: injected by OpenBao's injector, healthy.
    fn platform_workloads(&mut self, out: &mut Vec<Observation>) {
        self.config_sync(out);
        self.nightly_report(out);
        self.metrics_gateway(out);
        self.feature_flags(out);
    }

    /// OpenBao's injector (openbao-k8s) leaves `openbao.org/*` annotations
    /// and `openbao-agent-init` / `openbao-agent` containers; the agent logs
    /// in to an OpenBao server (not the Vault the demo polls).
    fn feature_flags(&mut self, out: &mut Vec<Observation>) {
        let flags = injected_by(
            Dialect::OpenBao,
            "feature-flags",
            &[("flags", "secret/data/platform/feature-flags")],
            &[("service", OPENBAO_ADDR)],
        );
        self.make_pods(
            Spec {
                ns: "platform",
                app: "feature-flags",
                hash: "5c7b9d8f6",
                suffixes: &["r2d4k"],
                annotations: flags,
                init: Some(self.completed(-7190)),
                sidecar: Some(self.running(-7188)),
                csi_class: None,
                ready: true,
                age: 7200,
            },
            out,
        );
        let pod = "feature-flags-5c7b9d8f6-r2d4k";
        let bao = Injector::OpenBao;
        out.push(self.log(
            "platform",
            pod,
            bao.init_container(),
            false,
            self.healthy_start_of(bao, -7192, &["flags"], true),
        ));
        out.push(self.log(
            "platform",
            pod,
            bao.sidecar(),
            false,
            self.healthy_start_of(bao, -7188, &["flags"], false),
        ));
    }

    fn config_sync(&mut self, out: &mut Vec<Observation>) {
        let config = injected(
            "config-sync",
            &[("settings", "secret/data/platform/config-sync")],
            &[("template-static-secret-render-interval", "30s")],
        );
        self.make_pods(
            Spec {
                ns: "platform",
                app: "config-sync",
                hash: "8d9f7b6c5",
                suffixes: &["f4g5h"],
                annotations: config,
                init: Some(self.completed(-20_000)),
                sidecar: Some(self.running(-19_998)),
                csi_class: None,
                ready: true,
                age: 20_010,
            },
            out,
        );
        out.push(self.log(
            "platform",
            "config-sync-8d9f7b6c5-f4g5h",
            AGENT_SIDECAR,
            false,
            self.healthy_start(-19_998, &["settings"], false),
        ));
        // The render of the version written before the story starts.
        out.push(self.rendered(
            "platform",
            "config-sync-8d9f7b6c5-f4g5h",
            self.kv_updated + 12,
            "settings",
        ));
        out.push(self.kv());
    }

    fn nightly_report(&mut self, out: &mut Vec<Observation>) {
        out.push(Observation::JobApplied(JobInfo {
            namespace: "platform".into(),
            name: "nightly-report-29410560".into(),
            uid: "uid-job-nightly".into(),
            owner: Some(OwnerRef {
                kind: "CronJob".into(),
                name: "nightly-report".into(),
                uid: "uid-cj-nightly".into(),
            }),
        }));
        let report_pod = self.nightly_report_pod();
        out.push(self.log(
            "platform",
            &report_pod.name,
            AGENT_INIT,
            false,
            self.healthy_start(-35_992, &["warehouse"], true),
        ));
        out.push(Observation::PodApplied(Box::new(report_pod)));
    }

    /// The Job's pod is built by hand: `make_pods` knows only long-running
    /// pods, and this one has finished.
    fn nightly_report_pod(&self) -> PodInfo {
        let mut report_pod = PodInfo {
            namespace: "platform".into(),
            name: "nightly-report-29410560-b9c8d".into(),
            uid: "uid-nightly-pod".into(),
            owner: Some(OwnerRef {
                kind: "Job".into(),
                name: "nightly-report-29410560".into(),
                uid: "uid-job-nightly".into(),
            }),
            annotations: injected(
                "reports",
                &[("warehouse", "database/creds/warehouse-ro")],
                &[("agent-pre-populate-only", "true")],
            ),
            service_account: "reports".into(),
            node_name: Some("worker-2".into()),
            created: Some(self.t(-36_000)),
            deleting: false,
            phase: "Succeeded".into(),
            reason: None,
            message: None,
            conditions: vec![],
            init_containers: vec![ContainerInfo {
                name: AGENT_INIT.into(),
                image: "hashicorp/vault:1.17.3".into(),
                state: self.completed(-35_990),
                ready: false,
                restart_count: 0,
                last_termination: None,
            }],
            containers: vec![ContainerInfo {
                name: "report".into(),
                image: "registry.example.com/report:1.9.0".into(),
                state: self.completed(-34_000),
                ready: false,
                restart_count: 0,
                last_termination: None,
            }],
            csi_volumes: vec![],
        };
        report_pod.conditions.push(PodCondition {
            kind: "Ready".into(),
            status: "False".into(),
            reason: Some("PodCompleted".into()),
            message: None,
            last_transition: Some(self.t(-34_000)),
        });
        report_pod
    }

    fn metrics_gateway(&mut self, out: &mut Vec<Observation>) {
        let metrics = injected("metrics", &[("token", "secret/data/platform/metrics")], &[]);
        self.make_pods(
            Spec {
                ns: "platform",
                app: "metrics-gateway",
                hash: "ds",
                suffixes: &["7xk2f", "9mq4r"],
                annotations: metrics,
                init: Some(self.completed(-50_000)),
                sidecar: Some(self.running(-49_998)),
                csi_class: None,
                ready: true,
                age: 50_010,
            },
            out,
        );
        for p in ["7xk2f", "9mq4r"] {
            out.push(self.log(
                "platform",
                &format!("metrics-gateway-{p}"),
                AGENT_SIDECAR,
                false,
                self.healthy_start(-49_998, &["token"], false),
            ));
        }
        // The token rotated 15 minutes ago: one pod rendered it within its
        // interval, the other only during the story (rotation.not_propagated
        // until then, rotation.lagging after).
        out.push(self.rendered(
            "platform",
            "metrics-gateway-7xk2f",
            super::METRICS_ROTATED + 40,
            "token",
        ));
        let late = self.rendered(
            "platform",
            "metrics-gateway-9mq4r",
            super::LATE_RENDER_AT,
            "token",
        );
        self.later(super::LATE_RENDER_AT, late);
    }
}
