//! The Vault side of the demo: the seal, dynamic leases and their renewals,
//! PKI certificates and their re-issues, and a KV secret that rotates.

use chrono::{DateTime, Duration, Utc};

use crate::model::Observation;
use crate::model::injector::Injector;
use crate::model::pod::{AGENT_SIDECAR, ContainerState};
use crate::model::vault::{Certificate, KvMetadata, Lease, VaultHealth, VaultStatus};

use super::{SEALED_FROM, SEALED_UNTIL, Scenario, VAULT_ADDR, VAULT_VERSION, ts};

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

pub(super) struct DemoLease {
    pub path: String,
    pub generation: u64,
    pub issue: i64,
    pub last_renewal: Option<i64>,
    pub ttl: i64,
    pub max_ttl: i64,
    /// The pod whose agent holds the lease and renders it to `file`.
    pub pod: (String, String),
    pub file: String,
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

pub(super) struct DemoCert {
    pub mount: String,
    pub common_name: String,
    pub not_before: i64,
    pub lifetime: i64,
    pub generation: u64,
    pub pods: Vec<(String, String)>,
    pub file: String,
}

impl Scenario {
    pub(super) fn sealed(&self, s: i64) -> bool {
        (SEALED_FROM..SEALED_UNTIL).contains(&s)
    }

    pub(super) fn vault_status(&self) -> Observation {
        let sealed = self.sealed(self.at);
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

    pub(super) fn leases_obs(&self) -> Observation {
        Observation::Leases(
            self.leases
                .iter()
                .map(|l| l.lease(self.base, self.at))
                .collect(),
        )
    }

    pub(super) fn certs_obs(&self) -> Observation {
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

    pub(super) fn kv(&self) -> Observation {
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
                current_version: 3,
                updated_time: Some(self.t(super::METRICS_ROTATED)),
                created_time: Some(self.t(-200 * 86_400)),
            },
            // Changed after catalog's pods mounted it; the CSI driver does
            // not rotate, so they keep the password they read at start.
            KvMetadata {
                mount: "secret".into(),
                path: "shop/catalog".into(),
                current_version: 5,
                updated_time: Some(self.t(-2400)),
                created_time: Some(self.t(-300 * 86_400)),
            },
        ])
    }

    /// Leases are renewed at two thirds of their TTL, and replaced (with a
    /// re-render) once renewals run out; while sealed, renewals fail.
    pub(super) fn renew_leases(&mut self, s: i64, sealed: bool, out: &mut Vec<Observation>) {
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
                self.render_after(&ns, &pod, s, &file);
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
    }

    /// Token renewals: every two minutes per healthy sidecar; errors while sealed.
    pub(super) fn renew_tokens(&self, s: i64, sealed: bool, out: &mut Vec<Observation>) {
        // Right after the unseal the agents renew at once, so the list
        // recovers in the same second the header says unsealed.
        if !(s % 120 == 37 || s == SEALED_UNTIL) {
            return;
        }
        // Each sidecar by its own name; OpenBao's agents log in to their
        // own server, which the demo never seals.
        let sidecars: Vec<(String, String, String, bool)> = self
            .pods
            .values()
            .filter_map(|p| {
                let c = p.agent_sidecar()?;
                matches!(c.state, ContainerState::Running { .. }).then(|| {
                    let on_vault = p.injected_by() == Some(Injector::Vault);
                    (
                        p.namespace.clone(),
                        p.name.clone(),
                        c.name.clone(),
                        on_vault,
                    )
                })
            })
            .collect();
        for (ns, pod, container, on_vault) in sidecars {
            let line = if sealed && on_vault {
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
            out.push(self.log(&ns, &pod, &container, false, vec![line]));
        }
    }

    /// The agent re-issues a certificate when little validity is left.
    pub(super) fn reissue_certs(&mut self, s: i64, sealed: bool, out: &mut Vec<Observation>) {
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
                    self.render_after(&ns, &pod, s, &file);
                }
            }
        }
        if certs_changed {
            out.push(self.certs_obs());
        }
    }

    /// The static secret rotates every 90 s and is re-rendered.
    pub(super) fn rotate_kv(&mut self, s: i64, sealed: bool, out: &mut Vec<Observation>) {
        if s % 90 == 45 && !sealed {
            self.kv_version += 1;
            self.kv_updated = s;
            out.push(self.kv());
            self.render_after("platform", "config-sync-8d9f7b6c5-f4g5h", s, "settings");
        }
    }
}
