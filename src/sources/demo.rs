//! The built-in demo: a scenario that plays a small cluster and Vault through
//! the same observations a live source produces. Everything here is made up,
//! and the header says DEMO.
//!
//! The scenario is deterministic: it is simulated second by second from a
//! base time, so the same base and elapsed time always give the same state
//! (screenshots and tests rely on that).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::model::Observation;
use crate::model::csi::{
    SecretProviderClassInfo, SecretProviderClassPodStatusInfo, SpcObject, SpcpsObject,
};
use crate::model::logs::LogKey;
use crate::model::objects::{EventInfo, InjectorWebhook, InvolvedObject, JobInfo, ReplicaSetInfo};
use crate::model::pod::{
    AGENT_INIT, AGENT_SIDECAR, ContainerInfo, ContainerState, CsiVolume, OwnerRef, PodCondition,
    PodInfo, Termination,
};
use crate::model::vault::{Certificate, KvMetadata, Lease, VaultHealth, VaultStatus};

pub const VAULT_ADDR: &str = "https://vault.vault.svc:8200";
const VAULT_VERSION: &str = "1.17.3";
/// Vault is sealed for this window of the scenario (seconds from the start).
pub const SEALED_FROM: i64 = 150;
pub const SEALED_UNTIL: i64 = 190;

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("vault.hashicorp.com/{k}"), v.to_string()))
        .collect()
}

fn lease_id(path: &str, n: u64) -> String {
    // Vault lease ids end in a random 24-character suffix; derive one.
    const ALPHA: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut x = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
    let suffix: String = (0..24)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHA[(x % ALPHA.len() as u64) as usize] as char
        })
        .collect();
    format!("{path}/{suffix}")
}

struct DemoLease {
    path: String,
    generation: u64,
    issue: i64,
    last_renewal: Option<i64>,
    ttl: i64,
    max_ttl: i64,
    /// Renew at this share of the TTL, as agents do (about two thirds).
    pod: (String, String),
    file: String,
}

impl DemoLease {
    fn expire(&self) -> i64 {
        (self.last_renewal.unwrap_or(self.issue) + self.ttl).min(self.issue + self.max_ttl)
    }

    fn lease(&self, base: DateTime<Utc>, now: i64) -> Lease {
        let at = |s: i64| base + Duration::seconds(s);
        Lease {
            id: lease_id(
                &self.path,
                self.generation * 64
                    + self.pod.1.len() as u64 * 7
                    + self.pod.1.bytes().last().unwrap_or(0) as u64,
            ),
            issue_time: Some(at(self.issue)),
            expire_time: Some(at(self.expire())),
            ttl_seconds: (self.expire() - now).max(0),
            renewable: true,
            last_renewal: self.last_renewal.map(at),
            max_ttl_seconds: Some(self.max_ttl),
        }
    }
}

struct DemoCert {
    mount: String,
    common_name: String,
    not_before: i64,
    lifetime: i64,
    generation: u64,
    pods: Vec<(String, String)>,
    file: String,
}

pub struct Scenario {
    base: DateTime<Utc>,
    /// Seconds from base simulated so far.
    at: i64,
    pods: BTreeMap<(String, String), PodInfo>,
    leases: Vec<DemoLease>,
    certs: Vec<DemoCert>,
    kv_version: u64,
    kv_updated: i64,
    cart_mount_failures: i32,
}

struct Spec<'a> {
    ns: &'a str,
    app: &'a str,
    hash: &'a str,
    suffixes: &'a [&'a str],
    annotations: BTreeMap<String, String>,
    init: Option<ContainerState>,
    sidecar: Option<ContainerState>,
    csi_class: Option<&'a str>,
    ready: bool,
    age: i64,
}

impl Scenario {
    pub fn new(base: DateTime<Utc>) -> Scenario {
        Scenario {
            base,
            at: 0,
            pods: BTreeMap::new(),
            leases: Vec::new(),
            certs: Vec::new(),
            kv_version: 6,
            kv_updated: -3 * 3600,
            cart_mount_failures: 14,
        }
    }

    pub fn base(&self) -> DateTime<Utc> {
        self.base
    }

    fn t(&self, s: i64) -> DateTime<Utc> {
        self.base + Duration::seconds(s)
    }

    fn running(&self, since: i64) -> ContainerState {
        ContainerState::Running {
            started_at: Some(self.t(since)),
        }
    }

    fn completed(&self, at: i64) -> ContainerState {
        ContainerState::Terminated(Termination {
            exit_code: 0,
            reason: Some("Completed".into()),
            message: None,
            started_at: Some(self.t(at - 2)),
            finished_at: Some(self.t(at)),
        })
    }

    fn make_pods(&mut self, s: Spec<'_>, out: &mut Vec<Observation>) {
        let owner_rs = format!("{}-{}", s.app, s.hash);
        for suffix in s.suffixes {
            let (name, owner) = match s.hash {
                "sts" => (
                    format!("{}-{suffix}", s.app),
                    OwnerRef {
                        kind: "StatefulSet".into(),
                        name: s.app.into(),
                        uid: format!("uid-sts-{}", s.app),
                    },
                ),
                "ds" => (
                    format!("{}-{suffix}", s.app),
                    OwnerRef {
                        kind: "DaemonSet".into(),
                        name: s.app.into(),
                        uid: format!("uid-ds-{}", s.app),
                    },
                ),
                _ => (
                    format!("{owner_rs}-{suffix}"),
                    OwnerRef {
                        kind: "ReplicaSet".into(),
                        name: owner_rs.clone(),
                        uid: format!("uid-rs-{}", s.app),
                    },
                ),
            };
            let mut containers = vec![ContainerInfo {
                name: s.app.into(),
                image: format!("registry.example.com/{}:2.4.1", s.app),
                state: if s.ready {
                    self.running(-s.age + 5)
                } else {
                    ContainerState::Waiting {
                        reason: Some(
                            if s.csi_class.is_some() {
                                "ContainerCreating"
                            } else {
                                "PodInitializing"
                            }
                            .into(),
                        ),
                        message: None,
                    }
                },
                ready: s.ready,
                restart_count: 0,
                last_termination: None,
            }];
            if let Some(st) = &s.sidecar {
                containers.push(ContainerInfo {
                    name: AGENT_SIDECAR.into(),
                    image: "hashicorp/vault:1.17.3".into(),
                    ready: matches!(st, ContainerState::Running { .. }),
                    state: st.clone(),
                    restart_count: 0,
                    last_termination: None,
                });
            }
            let init_containers = s
                .init
                .iter()
                .map(|st| ContainerInfo {
                    name: AGENT_INIT.into(),
                    image: "hashicorp/vault:1.17.3".into(),
                    ready: false,
                    state: st.clone(),
                    restart_count: 0,
                    last_termination: None,
                })
                .collect();
            let mut conditions = vec![PodCondition {
                kind: "Ready".into(),
                status: if s.ready { "True" } else { "False" }.into(),
                reason: (!s.ready).then(|| "ContainersNotReady".into()),
                message: None,
                last_transition: Some(self.t(-s.age + 6)),
            }];
            conditions.push(PodCondition {
                kind: "Initialized".into(),
                status: if matches!(s.init, Some(ContainerState::Running { .. })) {
                    "False"
                } else {
                    "True"
                }
                .into(),
                reason: None,
                message: None,
                last_transition: Some(self.t(-s.age + 3)),
            });
            let pod = PodInfo {
                namespace: s.ns.into(),
                name: name.clone(),
                uid: format!("uid-{name}"),
                owner: Some(owner),
                labels: [("app".to_string(), s.app.to_string())].into(),
                annotations: s.annotations.clone(),
                service_account: s.app.into(),
                node_name: Some(format!("worker-{}", name.len() % 3 + 1)),
                created: Some(self.t(-s.age)),
                deleting: false,
                phase: if s.ready { "Running" } else { "Pending" }.into(),
                conditions,
                init_containers,
                containers,
                csi_volumes: s
                    .csi_class
                    .map(|c| {
                        vec![CsiVolume {
                            volume: "secrets-store-inline".into(),
                            secret_provider_class: Some(c.into()),
                        }]
                    })
                    .unwrap_or_default(),
            };
            self.pods.insert((s.ns.into(), name), pod.clone());
            out.push(Observation::PodApplied(Box::new(pod)));
        }
        if !matches!(s.hash, "sts" | "ds") {
            out.push(Observation::ReplicaSetApplied(ReplicaSetInfo {
                namespace: s.ns.into(),
                name: owner_rs,
                uid: format!("uid-rs-{}", s.app),
                owner: Some(OwnerRef {
                    kind: "Deployment".into(),
                    name: s.app.into(),
                    uid: format!("uid-deploy-{}", s.app),
                }),
                replicas: s.suffixes.len() as i32,
                template_annotations: s.annotations.clone(),
            }));
        }
    }

    fn log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        lines: Vec<String>,
    ) -> Observation {
        Observation::LogLines {
            key: LogKey {
                namespace: ns.into(),
                pod: pod.into(),
                container: container.into(),
                previous,
            },
            lines,
        }
    }

    fn banner(&self, at: i64) -> Vec<String> {
        vec![
            "==> Vault Agent started! Log data will stream in below:".into(),
            String::new(),
            "==> Vault Agent configuration:".into(),
            String::new(),
            "           Api Address 1: http://bufconn".into(),
            "                     Cgo: disabled".into(),
            "               Log Level: info".into(),
            format!("                 Version: Vault v{VAULT_VERSION}, built 2024-09-24T19:48:40Z"),
            String::new(),
            format!(
                "{} [INFO]  agent.sink.file: creating file sink",
                ts(self.t(at))
            ),
            format!(
                "{} [INFO]  agent.auth.handler: starting auth handler",
                ts(self.t(at))
            ),
            format!(
                "{} [INFO]  agent.auth.handler: authenticating",
                ts(self.t(at))
            ),
        ]
    }

    fn healthy_start(&self, at: i64, files: &[&str], init: bool) -> Vec<String> {
        let mut l = self.banner(at);
        let t = |d: i64| ts(self.t(at) + Duration::milliseconds(d));
        l.push(format!(
            "{} [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent.auth.handler: starting renewal process",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent.sink.file: token written: path=/home/vault/.vault-token",
            t(42)
        ));
        l.push(format!(
            "{} [INFO]  agent.template.server: template server received new token",
            t(42)
        ));
        l.push(format!(
            "{} [INFO]  agent: (runner) creating watcher",
            t(43)
        ));
        for f in files {
            l.push(format!(
                "{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/{f}\"",
                t(67)
            ));
        }
        if init {
            l.push(format!(
                "{} [INFO]  agent.sink.server: sinks finished, exiting",
                t(70)
            ));
        } else {
            l.push(format!(
                "{} [INFO]  agent.auth.handler: renewed auth token",
                t(85)
            ));
        }
        l
    }

    fn sa_error(&self, at: i64, backoff: &str) -> String {
        format!(
            "{} [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT {VAULT_ADDR}/v1/auth/kubernetes/login\\nCode: 403. Errors:\\n\\n* service account name not authorized\" backoff={backoff}",
            ts(self.t(at))
        )
    }

    fn missing_secret(&self, at: i64, attempt: i64) -> String {
        format!(
            "{} [ERROR] agent: (view) vault.read(secret/data/shop/storefront): no secret exists at secret/data/shop/storefront (retry attempt {attempt} after \"20s\")",
            ts(self.t(at))
        )
    }

    /// Everything the demo cluster holds at the start.
    pub fn initial(&mut self) -> Vec<Observation> {
        let mut out = vec![
            Observation::CsiInstalled(true),
            Observation::InjectorWebhooks(vec![InjectorWebhook {
                configuration: "vault-agent-injector-cfg".into(),
                failure_policy: "Ignore".into(),
                service_namespace: Some("vault".into()),
                service_name: Some("vault-agent-injector-svc".into()),
            }]),
            Observation::InjectorEndpoints { ready: 2 },
            self.vault_status(),
        ];

        let injected = |role: &str, secrets: &[(&str, &str)], extra: &[(&str, &str)]| {
            let mut m = ann(&[
                ("agent-inject", "true"),
                ("agent-inject-status", "injected"),
                ("role", role),
            ]);
            for (n, p) in secrets {
                m.insert(
                    format!("vault.hashicorp.com/agent-inject-secret-{n}"),
                    p.to_string(),
                );
            }
            m.extend(ann(extra));
            m
        };

        // payments/billing-api: dynamic database credentials, renewing.
        let billing = injected(
            "billing",
            &[("db-creds", "database/creds/billing")],
            &[(
                "agent-inject-template-db-creds",
                "{{ with secret \"database/creds/billing\" }}postgres://{{ .Data.username }}:{{ .Data.password }}@db:5432/billing{{ end }}",
            )],
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
            &mut out,
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

        // payments/ledger: the init container cannot log in.
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
            &mut out,
        );
        let mut l = self.banner(-252);
        let mut at = -252;
        let mut backoff = 1;
        while at < 0 {
            l.push(self.sa_error(at, &format!("{backoff}s")));
            at += backoff;
            l.push(format!(
                "{} [INFO]  agent.auth.handler: authenticating",
                ts(self.t(at))
            ));
            backoff = (backoff * 2).min(30);
        }
        out.push(self.log("payments", "ledger-6d5c8b7f4-q7r2s", AGENT_INIT, false, l));

        // payments/invoices: the sidecar crash-loops on a policy denial.
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
            &mut out,
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

        // payments/reporting-db: a lease about to reach its max TTL.
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
            &mut out,
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

        // shop/catalog: a healthy CSI mount.
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
            &mut out,
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
            })));
        }

        // shop/cart: the CSI provider cannot log in.
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
            &mut out,
        );
        out.push(Observation::ClassApplied(Box::new(spc(
            "cart-vault",
            "cart",
            "redis-password",
            "secret/data/shop/cart",
            "password",
        ))));
        out.push(self.cart_event());

        // shop/web: a PKI certificate close to expiry, re-issued during the run.
        let web = injected(
            "web",
            &[("tls", "pki/issue/web")],
            &[(
                "agent-inject-template-tls",
                "{{ with pkiCert \"pki/issue/web\" \"common_name=web.shop.svc\" \"ttl=1h\" }}{{ .Cert }}{{ .Key }}{{ end }}",
            )],
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
            &mut out,
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

        // shop/legacy-web: annotated, but the webhook never injected it.
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
            &mut out,
        );

        // shop/storefront: the template asks for a secret that does not exist.
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
            &mut out,
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

        // platform/config-sync: a static KV secret that rotates.
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
            &mut out,
        );
        out.push(self.log(
            "platform",
            "config-sync-8d9f7b6c5-f4g5h",
            AGENT_SIDECAR,
            false,
            self.healthy_start(-19_998, &["settings"], false),
        ));
        out.push(self.kv());

        // platform/nightly-report: a CronJob with an init-only agent.
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
        let mut report_pod = PodInfo {
            namespace: "platform".into(),
            name: "nightly-report-29410560-b9c8d".into(),
            uid: "uid-nightly-pod".into(),
            owner: Some(OwnerRef {
                kind: "Job".into(),
                name: "nightly-report-29410560".into(),
                uid: "uid-job-nightly".into(),
            }),
            labels: BTreeMap::new(),
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
        out.push(self.log(
            "platform",
            &report_pod.name,
            AGENT_INIT,
            false,
            self.healthy_start(-35_992, &["warehouse"], true),
        ));
        out.push(Observation::PodApplied(Box::new(report_pod)));

        // platform/metrics-gateway: a DaemonSet with a KV secret, healthy.
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
            &mut out,
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

        out.push(self.leases_obs());
        out.push(self.certs_obs());
        out
    }

    fn set_restarts(&mut self, ns: &str, pod: &str, n: i32) {
        let base = self.base;
        if let Some(p) = self.pods.get_mut(&(ns.to_string(), pod.to_string()))
            && let Some(c) = p.containers.iter_mut().find(|c| c.name == AGENT_SIDECAR)
        {
            c.restart_count = n;
            c.last_termination = Some(Termination {
                exit_code: 1,
                reason: Some("Error".into()),
                message: None,
                started_at: Some(base),
                finished_at: Some(base),
            });
        }
    }

    fn invoices_crash(&self, at: i64) -> Observation {
        let t = |d: i64| ts(self.t(at) + Duration::milliseconds(d));
        let mut l = self.banner(at);
        l.push(format!(
            "{} [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            t(40)
        ));
        l.push(format!(
            "{} [INFO]  agent.sink.file: token written: path=/home/vault/.vault-token",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent: (runner) creating watcher",
            t(42)
        ));
        let err = format!(
            "(dynamic): vault.read(secret/data/payments/invoices): vault.read(secret/data/payments/invoices): Error making API request.\\n\\nURL: GET {VAULT_ADDR}/v1/secret/data/payments/invoices\\nCode: 403. Errors:\\n\\n* 1 error occurred:\\n\\t* permission denied\\n\\n"
        );
        l.push(format!(
            "{} [ERROR] agent.template.server: template server error: error=\"{err}\"",
            t(60)
        ));
        l.push(format!(
            "{} [ERROR] agent: runtime error encountered: error=\"template server: {err}\"",
            t(60)
        ));
        l.push(format!("{} [INFO]  agent: (runner) stopping", t(61)));
        self.log(
            "payments",
            "invoices-58f9c7d6b-v5n8d",
            AGENT_SIDECAR,
            true,
            l,
        )
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
            last_seen: Some(self.t(self.at.min(0) - 20)),
        }))
    }

    fn vault_status(&self) -> Observation {
        let sealed = (SEALED_FROM..SEALED_UNTIL).contains(&self.at);
        Observation::VaultStatus(VaultStatus::Reachable {
            address: VAULT_ADDR.into(),
            health: VaultHealth {
                initialized: true,
                sealed,
                standby: false,
                performance_standby: None,
                version: Some(VAULT_VERSION.into()),
                cluster_name: Some("vault-cluster-demo".into()),
            },
        })
    }

    fn leases_obs(&self) -> Observation {
        Observation::Leases(
            self.leases
                .iter()
                .map(|l| l.lease(self.base, self.at))
                .collect(),
        )
    }

    fn certs_obs(&self) -> Observation {
        Observation::Certificates(
            self.certs
                .iter()
                .map(|c| Certificate {
                    serial: format!(
                        "4f:{:02x}:9a:{:02x}:e1:07:3c:d2",
                        c.generation,
                        c.generation * 7 % 251
                    ),
                    mount: c.mount.clone(),
                    common_name: c.common_name.clone(),
                    alt_names: vec![],
                    not_before: Some(self.t(c.not_before)),
                    not_after: self.t(c.not_before + c.lifetime),
                    revoked: false,
                })
                .collect(),
        )
    }

    fn kv(&self) -> Observation {
        Observation::KvMetadata(vec![
            KvMetadata {
                mount: "secret".into(),
                path: "platform/config-sync".into(),
                current_version: self.kv_version,
                updated_time: Some(self.t(self.kv_updated)),
                created_time: Some(self.t(-90 * 86_400)),
            },
            KvMetadata {
                mount: "secret".into(),
                path: "platform/metrics".into(),
                current_version: 2,
                updated_time: Some(self.t(-12 * 86_400)),
                created_time: Some(self.t(-200 * 86_400)),
            },
        ])
    }

    fn rendered(&self, ns: &str, pod: &str, s: i64, file: &str) -> Observation {
        self.log(
            ns,
            pod,
            AGENT_SIDECAR,
            false,
            vec![format!(
                "{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/{file}\"",
                ts(self.t(s) + Duration::milliseconds(212))
            )],
        )
    }

    /// Simulate one second of the scenario.
    fn step(&mut self, s: i64, out: &mut Vec<Observation>) {
        self.at = s;
        let sealed = (SEALED_FROM..SEALED_UNTIL).contains(&s);
        if s == SEALED_FROM || s == SEALED_UNTIL {
            out.push(self.vault_status());
        }
        let mut leases_changed = false;
        for i in 0..self.leases.len() {
            let (ns, pod) = self.leases[i].pod.clone();
            let l = &mut self.leases[i];
            let hard_end = l.issue + l.max_ttl;
            let due = l.last_renewal.unwrap_or(l.issue) + l.ttl * 2 / 3;
            if s >= hard_end || (s >= l.expire() && !sealed) {
                // Renewals ran out: the agent fetches new credentials and re-renders.
                l.generation += 1;
                l.issue = s;
                l.last_renewal = None;
                let file = l.file.clone();
                leases_changed = true;
                out.push(self.rendered(&ns, &pod, s, &file));
            } else if s >= due && !sealed && due < hard_end {
                l.last_renewal = Some(s);
                leases_changed = true;
            } else if s == due && sealed {
                let path = l.path.clone();
                out.push(self.log(&ns, &pod, AGENT_SIDECAR, false, vec![format!(
                    "{} [WARN]  agent: (view) vault.read({path}): failed to renew: Error making API request.\\n\\nURL: PUT {VAULT_ADDR}/v1/sys/leases/renew\\nCode: 503. Errors:\\n\\n* Vault is sealed",
                    ts(self.t(s))
                )]));
            }
        }
        if leases_changed {
            out.push(self.leases_obs());
        }
        // Token renewals: every two minutes per healthy sidecar; errors while sealed.
        if s % 120 == 37 || s == SEALED_UNTIL + 2 {
            let sidecars: Vec<(String, String)> = self
                .pods
                .values()
                .filter(|p| {
                    p.agent_sidecar()
                        .is_some_and(|c| matches!(c.state, ContainerState::Running { .. }))
                })
                .map(|p| (p.namespace.clone(), p.name.clone()))
                .collect();
            for (ns, pod) in sidecars {
                let line = if sealed {
                    format!(
                        "{} [ERROR] agent.auth.handler: error renewing token: error=\"Error making API request.\\n\\nURL: PUT {VAULT_ADDR}/v1/auth/token/renew-self\\nCode: 503. Errors:\\n\\n* Vault is sealed\"",
                        ts(self.t(s))
                    )
                } else {
                    format!(
                        "{} [INFO]  agent.auth.handler: renewed auth token",
                        ts(self.t(s))
                    )
                };
                out.push(self.log(&ns, &pod, AGENT_SIDECAR, false, vec![line]));
            }
        }
        // Certificates: the agent re-issues when little validity is left.
        let mut certs_changed = false;
        for i in 0..self.certs.len() {
            let c = &self.certs[i];
            if s - c.not_before >= c.lifetime * 9 / 10 && !sealed {
                let pods = c.pods.clone();
                let file = c.file.clone();
                let c = &mut self.certs[i];
                c.not_before = s;
                c.generation += 1;
                certs_changed = true;
                for (ns, pod) in pods {
                    out.push(self.rendered(&ns, &pod, s, &file));
                }
            }
        }
        if certs_changed {
            out.push(self.certs_obs());
        }
        // The static secret rotates every 90 s and is re-rendered.
        if s % 90 == 45 && !sealed {
            self.kv_version += 1;
            self.kv_updated = s;
            out.push(self.kv());
            out.push(self.rendered(
                "platform",
                "config-sync-8d9f7b6c5-f4g5h",
                s + 11,
                "settings",
            ));
        }
        // ledger keeps failing to log in.
        if s % 30 == 0 {
            let l = vec![
                self.sa_error(s, "30s"),
                format!(
                    "{} [INFO]  agent.auth.handler: authenticating",
                    ts(self.t(s) + Duration::milliseconds(900))
                ),
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
        // kubelet retries cart's mount every two minutes.
        if s % 120 == 100 {
            self.cart_mount_failures += 1;
            out.push(self.cart_event());
        }
    }

    /// Simulate up to `to`, returning what changed.
    pub fn advance(&mut self, to: DateTime<Utc>) -> Vec<Observation> {
        let target = (to - self.base).num_seconds();
        let mut out = Vec::new();
        while self.at < target {
            let s = self.at + 1;
            self.step(s, &mut out);
        }
        out
    }
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

/// The whole scenario as of `base + elapsed`, as one list of observations.
pub fn snapshot(base: DateTime<Utc>, elapsed: Duration) -> Vec<Observation> {
    let mut s = Scenario::new(base);
    let mut obs = s.initial();
    obs.extend(s.advance(base + elapsed));
    obs
}

/// Play the scenario into `tx` on `clock`, until the receiver goes away.
pub async fn play(
    mut scenario: Scenario,
    clock: crate::clock::Clock,
    tx: tokio::sync::mpsc::Sender<Observation>,
) {
    for o in scenario.initial() {
        if tx.send(o).await.is_err() {
            return;
        }
    }
    let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        every.tick().await;
        for o in scenario.advance(clock.now()) {
            if tx.send(o).await.is_err() {
                return;
            }
        }
    }
}
