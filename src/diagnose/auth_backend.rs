//! The kubernetes auth backend itself, before any pod fails: is the
//! configuration of each auth mount the workloads log in at fit for the
//! cluster vaultscope watches? Every login makes Vault send a TokenReview to
//! `kubernetes_host`, over TLS verified with `kubernetes_ca_cert`, with
//! `token_reviewer_jwt` as its bearer (or, without one, Vault's own pod
//! token, or the login's own JWT). When any of that fails the login answers
//! a bare 403 "permission denied" (vault-plugin-auth-kubernetes and OpenBao
//! `path_login.go`: a failed review is `logical.ErrPermissionDenied`; the
//! cause is only in the server's debug log). Pure: compares what the Vault
//! source read with what the cluster source read.
//!
//! The rules, one global finding per mount and field
//! (`config.auth_backend_mismatch`):
//! - no config (404) on a mount whose roles exist → error;
//! - `kubernetes_host` not an `http(s)://` URL → error (Vault appends
//!   `/apis/authentication.k8s.io/v1/tokenreviews` to it as written);
//! - `kubernetes_host` neither the watched API server (scheme, host, port and
//!   path; `/` and the default port do not matter) nor the in-cluster address
//!   (`https://kubernetes[.default[.svc[.<domain>]]]` or a ClusterIP of
//!   Service `default/kubernetes`, port 443) → error when `kubernetes_ca_cert`
//!   is not this cluster's CA either (Vault is set up for another cluster),
//!   else warning (it may be another name of this API server). An IP on port
//!   443 is not judged while the Service's ClusterIPs are unknown;
//! - `kubernetes_ca_cert` set but holding no certificate → error;
//!   sharing no certificate (by SHA-256) with the kubeconfig's CA or the
//!   `kube-root-ca.crt` ConfigMap while the host is this cluster's → error;
//!   not set with `disable_local_ca_jwt=true` → warning (only the system
//!   roots are left to verify the API server);
//! - `token_reviewer_jwt_set=false` and Vault outside the cluster, inferred
//!   from `disable_local_ca_jwt=true` (no pod token is used even in a pod) or
//!   from a `kubernetes_host` that is not an in-cluster address → warning:
//!   each login then reviews itself with the workload's JWT, which works
//!   only where the workload's service account may create TokenReviews.

use super::finding::{Code, Finding, Severity, Via};
use crate::model::cluster::{ApiUrl, ClusterIdentity, describe_all, shares_a_cert};
use crate::model::vault::AuthBackendConfig;
use crate::model::world::World;

const IN_CLUSTER: &str = "https://kubernetes.default.svc";
const CA_FROM_CLUSTER: &str =
    r"kubectl get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' > ca.crt";

/// Where `kubernetes_host` points, seen from the watched cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    NotUrl,
    /// The watched API server, by the URL vaultscope uses.
    Watched,
    InCluster,
    /// Something else.
    Other,
    /// A name that is not the in-cluster one; no cluster to compare with.
    NotInCluster,
    /// Cannot tell (an IP that may be a ClusterIP).
    Unknown,
}

fn host_of(cfg: &AuthBackendConfig, cluster: Option<&ClusterIdentity>) -> Host {
    let Some(url) = ApiUrl::parse(&cfg.kubernetes_host) else {
        return Host::NotUrl;
    };
    let ips = cluster
        .and_then(|c| c.service_ips.as_deref())
        .unwrap_or_default();
    if url.is_in_cluster(ips) {
        return Host::InCluster;
    }
    let Some(cluster) = cluster else {
        return if url.is_ip() {
            Host::Unknown
        } else {
            Host::NotInCluster
        };
    };
    if ApiUrl::parse(&cluster.server).is_some_and(|w| w == url) {
        return Host::Watched;
    }
    // A ClusterIP vaultscope could not read.
    let maybe_cluster_ip = url.is_ip() && url.port == 443 && url.path.is_empty();
    if maybe_cluster_ip && cluster.service_ips.is_none() {
        return Host::Unknown;
    }
    Host::Other
}

/// The CA verdict: `Some(true)` shares a certificate with the cluster's,
/// `Some(false)` shares none, `None` when there is nothing to compare.
fn ca_matches(cfg: &AuthBackendConfig, cluster: Option<&ClusterIdentity>) -> Option<bool> {
    let cas = cluster?.cas();
    if cas.is_empty() || cfg.ca_certs.is_empty() {
        return None;
    }
    Some(shares_a_cert(&cfg.ca_certs, &cas))
}

fn flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "(not returned)",
    }
}

fn ca_read(cfg: &AuthBackendConfig) -> String {
    match (cfg.ca_set, cfg.ca_certs.is_empty()) {
        (false, _) => "(not set)".into(),
        (true, true) => "(set, no certificate parses)".into(),
        (true, false) => describe_all(&cfg.ca_certs),
    }
}

/// What was read, made safe: the CA as subjects and fingerprints.
fn read(cfg: &AuthBackendConfig) -> String {
    format!(
        "GET {}: kubernetes_host={}, kubernetes_ca_cert={}, token_reviewer_jwt_set={}, disable_local_ca_jwt={}, issuer={}, disable_iss_validation={}",
        cfg.path(),
        if cfg.kubernetes_host.is_empty() {
            "(empty)"
        } else {
            &cfg.kubernetes_host
        },
        ca_read(cfg),
        flag(cfg.token_reviewer_jwt_set),
        flag(cfg.disable_local_ca_jwt),
        cfg.issuer.as_deref().unwrap_or("(none)"),
        flag(cfg.disable_iss_validation),
    )
}

/// The watched cluster, as the evidence names it.
fn cluster_seen(c: &ClusterIdentity) -> String {
    let mut s = format!("watched API server {}", c.server);
    if !c.kubeconfig_ca.is_empty() {
        s.push_str(&format!(
            " (kubeconfig CA {})",
            describe_all(&c.kubeconfig_ca)
        ));
    }
    match &c.root_ca {
        Some(r) => s.push_str(&format!("; kube-root-ca.crt {}", describe_all(r))),
        None => s.push_str("; kube-root-ca.crt not read (absent, or not allowed)"),
    }
    match &c.service_ips {
        Some(ips) if !ips.is_empty() => s.push_str(&format!(
            "; in-cluster {IN_CLUSTER} or https://{}:443",
            ips.join(", https://")
        )),
        _ => s.push_str(&format!("; in-cluster {IN_CLUSTER}")),
    }
    s
}

fn evidence(cfg: &AuthBackendConfig, cluster: Option<&ClusterIdentity>) -> String {
    match cluster {
        Some(c) => format!("{}; {}", read(cfg), cluster_seen(c)),
        None => read(cfg),
    }
}

/// The `vault write` that fixes it. A write replaces the whole config, so
/// the command carries every field the mount uses.
fn write_command(cfg: &AuthBackendConfig, host: &str, reviewer: bool) -> String {
    let mut cmd = format!(
        "vault write {} kubernetes_host={host} kubernetes_ca_cert=@ca.crt",
        cfg.path()
    );
    if reviewer || cfg.token_reviewer_jwt_set == Some(true) {
        cmd.push_str(" token_reviewer_jwt=@reviewer.jwt");
    }
    if cfg.disable_local_ca_jwt == Some(true) {
        cmd.push_str(" disable_local_ca_jwt=true");
    }
    if let Some(i) = &cfg.issuer {
        cmd.push_str(&format!(" issuer={i}"));
    }
    format!(
        "{cmd} (a write replaces the whole config: repeat every field you use; ca.crt: {CA_FROM_CLUSTER})"
    )
}

fn finding(severity: Severity, message: String, hint: String, evidence: String) -> Finding {
    Finding::new(
        Code::ConfigAuthBackendMismatch,
        severity,
        Via::Config,
        message,
        hint,
    )
    .evidence(evidence)
}

/// The host to suggest: the in-cluster address for a Vault in the cluster,
/// else the API server vaultscope reaches.
fn suggested_host(cfg: &AuthBackendConfig, cluster: Option<&ClusterIdentity>) -> String {
    match cluster {
        Some(c) if cfg.disable_local_ca_jwt == Some(true) => c.server.clone(),
        Some(c) => format!(
            "{} (or {IN_CLUSTER} when Vault runs in this cluster)",
            c.server
        ),
        None => format!("<API server URL> (or {IN_CLUSTER} when Vault runs in the cluster)"),
    }
}

fn not_configured(cfg: &AuthBackendConfig, world: &World) -> Option<Finding> {
    // No role found there either: the mount itself is missing, which
    // config.role_missing already says.
    let used = world
        .vault
        .roles
        .iter()
        .any(|r| r.found && r.auth_path == cfg.auth_path);
    used.then(|| {
        finding(
            Severity::Error,
            format!(
                "{}: no configuration (GET {}: 404): every login there fails with \"could not load backend configuration\"",
                cfg.auth_path,
                cfg.path()
            ),
            format!(
                "Configure it: {}.",
                write_command(cfg, &suggested_host(cfg, world.cluster.as_ref()), false)
            ),
            format!("GET {}: 404 (no configuration)", cfg.path()),
        )
    })
}

fn host_finding(
    cfg: &AuthBackendConfig,
    host: Host,
    cluster: Option<&ClusterIdentity>,
) -> Option<Finding> {
    let fix = |why: &str| {
        format!(
            "{why}: {}.",
            write_command(cfg, &suggested_host(cfg, cluster), false)
        )
    };
    match host {
        Host::NotUrl => Some(finding(
            Severity::Error,
            format!(
                "{}: kubernetes_host \"{}\" is not an https:// URL: Vault sends each login's TokenReview to <kubernetes_host>/apis/authentication.k8s.io/v1/tokenreviews, so every login fails with \"permission denied\"",
                cfg.auth_path, cfg.kubernetes_host
            ),
            fix("Set kubernetes_host to the API server's URL"),
            evidence(cfg, cluster),
        )),
        Host::Other => {
            let c = cluster?;
            let other_cluster = ca_matches(cfg, cluster) == Some(false);
            let (severity, consequence) = if other_cluster {
                (
                    Severity::Error,
                    ", and kubernetes_ca_cert is not this cluster's CA either: Vault is set up for another cluster, so every login from this one fails with \"permission denied\"",
                )
            } else {
                (
                    Severity::Warning,
                    ": unless it is another address of this API server, every login fails with \"permission denied\"",
                )
            };
            Some(finding(
                severity,
                format!(
                    "{}: kubernetes_host {} is neither the watched cluster's API server ({}) nor its in-cluster address ({IN_CLUSTER}){consequence}",
                    cfg.auth_path, cfg.kubernetes_host, c.server
                ),
                fix("Point kubernetes_host (and kubernetes_ca_cert) at this cluster"),
                evidence(cfg, cluster),
            ))
        }
        Host::Watched | Host::InCluster | Host::NotInCluster | Host::Unknown => None,
    }
}

fn ca_finding(
    cfg: &AuthBackendConfig,
    host: Host,
    cluster: Option<&ClusterIdentity>,
) -> Option<Finding> {
    let host_for_fix = suggested_host(cfg, cluster);
    if cfg.ca_set && cfg.ca_certs.is_empty() {
        return Some(finding(
            Severity::Error,
            format!(
                "{}: kubernetes_ca_cert holds no certificate that parses: Vault cannot verify the API server, so every login fails with \"permission denied\"",
                cfg.auth_path
            ),
            format!(
                "Give it the cluster's CA (PEM): {}.",
                write_command(cfg, &host_for_fix, false)
            ),
            evidence(cfg, cluster),
        ));
    }
    // Pointed elsewhere: the host finding says it, CA included.
    if matches!(host, Host::Other | Host::NotUrl) {
        return None;
    }
    if ca_matches(cfg, cluster) == Some(false) {
        let c = cluster?;
        return Some(finding(
            Severity::Error,
            format!(
                "{}: kubernetes_ca_cert ({}) is not the watched cluster's CA ({}): Vault's TLS check of the API server fails (x509: certificate signed by unknown authority), so every login fails with \"permission denied\"",
                cfg.auth_path,
                describe_all(&cfg.ca_certs),
                describe_all(&c.cas())
            ),
            format!(
                "Give Vault this cluster's CA: {}.",
                write_command(cfg, &cfg.kubernetes_host, false)
            ),
            evidence(cfg, cluster),
        ));
    }
    if !cfg.ca_set && cfg.disable_local_ca_jwt == Some(true) {
        let theirs = cluster
            .map(|c| c.cas())
            .filter(|c| !c.is_empty())
            .map_or_else(String::new, |c| {
                format!(" (this cluster's CA is {})", describe_all(&c))
            });
        return Some(finding(
            Severity::Warning,
            format!(
                "{}: kubernetes_ca_cert is not set and disable_local_ca_jwt=true: Vault verifies the API server against its system roots only{theirs}, so logins fail with \"permission denied\" unless a public CA signed the API server's certificate",
                cfg.auth_path
            ),
            format!(
                "Give Vault the cluster's CA: {}.",
                write_command(cfg, &host_for_fix, false)
            ),
            evidence(cfg, cluster),
        ));
    }
    None
}

fn reviewer_finding(
    cfg: &AuthBackendConfig,
    host: Host,
    cluster: Option<&ClusterIdentity>,
) -> Option<Finding> {
    if cfg.token_reviewer_jwt_set != Some(false) {
        return None;
    }
    let why = if cfg.disable_local_ca_jwt == Some(true) {
        "disable_local_ca_jwt=true, so Vault does not use a pod token of its own".to_string()
    } else if matches!(
        host,
        Host::Watched | Host::Other | Host::NotInCluster | Host::NotUrl
    ) {
        format!(
            "kubernetes_host {} is not an in-cluster address, so Vault most likely runs outside the cluster, with no pod token of its own",
            cfg.kubernetes_host
        )
    } else {
        return None;
    };
    let host = match host {
        Host::Watched | Host::InCluster => cfg.kubernetes_host.clone(),
        _ => suggested_host(cfg, cluster),
    };
    Some(finding(
        Severity::Warning,
        format!(
            "{}: no token_reviewer_jwt and {why}: each login's TokenReview is sent with the workload's own token and fails with \"permission denied\" unless every workload's service account may create TokenReviews (system:auth-delegator)",
            cfg.auth_path
        ),
        format!(
            "Give Vault a reviewer token: a service account bound to ClusterRole system:auth-delegator (kubectl create clusterrolebinding vault-token-reviewer --clusterrole=system:auth-delegator --serviceaccount=<ns>:<sa>), its token in reviewer.jwt, then {}; or bind each workload's service account to system:auth-delegator.",
            write_command(cfg, &host, true)
        ),
        evidence(cfg, cluster),
    ))
}

/// Global findings for the kubernetes auth mounts the Vault source read.
pub fn findings(world: &World) -> Vec<Finding> {
    let cluster = world.cluster.as_ref();
    let mut out = Vec::new();
    for cfg in &world.vault.auth_configs {
        if !cfg.found {
            out.extend(not_configured(cfg, world));
            continue;
        }
        let host = host_of(cfg, cluster);
        out.extend(host_finding(cfg, host, cluster));
        out.extend(ca_finding(cfg, host, cluster));
        out.extend(reviewer_finding(cfg, host, cluster));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::CaCert;
    use crate::model::vault::AuthRole;

    const WATCHED: &str = "https://203.0.113.10:6443";

    fn ca(fp: &str, subject: &str) -> CaCert {
        CaCert {
            sha256: fp.repeat(32),
            subject: subject.into(),
            not_after: None,
        }
    }

    fn cluster() -> ClusterIdentity {
        ClusterIdentity {
            server: WATCHED.into(),
            kubeconfig_ca: vec![ca("aa", "CN=kubernetes")],
            root_ca: Some(vec![ca("aa", "CN=kubernetes")]),
            service_ips: Some(vec!["10.96.0.1".into()]),
        }
    }

    /// A healthy config of a Vault outside the cluster: the watched API
    /// server, its CA, a reviewer JWT.
    fn healthy() -> AuthBackendConfig {
        AuthBackendConfig {
            found: true,
            kubernetes_host: WATCHED.into(),
            ca_set: true,
            ca_certs: vec![ca("aa", "CN=kubernetes")],
            disable_iss_validation: Some(true),
            disable_local_ca_jwt: Some(true),
            token_reviewer_jwt_set: Some(true),
            ..AuthBackendConfig::missing("auth/kubernetes")
        }
    }

    fn world(cfg: AuthBackendConfig, cluster: Option<ClusterIdentity>) -> World {
        let mut w = World::default();
        w.vault.auth_configs = vec![cfg];
        w.cluster = cluster;
        w
    }

    fn check(cfg: AuthBackendConfig) -> Vec<Finding> {
        findings(&world(cfg, Some(cluster())))
    }

    fn only(f: &[Finding]) -> &Finding {
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, Code::ConfigAuthBackendMismatch);
        &f[0]
    }

    #[test]
    fn a_healthy_config_gives_nothing() {
        assert!(check(healthy()).is_empty());
        // Equivalent forms of the watched URL.
        for h in ["https://203.0.113.10:6443/", "HTTPS://203.0.113.10:6443"] {
            let cfg = AuthBackendConfig {
                kubernetes_host: h.into(),
                ..healthy()
            };
            assert!(check(cfg).is_empty(), "{h}");
        }
    }

    #[test]
    fn an_in_cluster_vault_with_its_pod_token_and_ca_gives_nothing() {
        for h in [
            "https://kubernetes.default.svc",
            "https://kubernetes.default.svc:443",
            "https://kubernetes.default.svc.cluster.local",
            "https://10.96.0.1:443",
        ] {
            let cfg = AuthBackendConfig {
                kubernetes_host: h.into(),
                ca_set: false,
                ca_certs: vec![],
                disable_local_ca_jwt: Some(false),
                token_reviewer_jwt_set: Some(false),
                ..healthy()
            };
            assert!(check(cfg).is_empty(), "{h}");
        }
    }

    #[test]
    fn another_host_is_named_and_an_error_when_the_ca_is_another_clusters_too() {
        let cfg = AuthBackendConfig {
            kubernetes_host: "https://203.0.113.99:6443".into(),
            ..healthy()
        };
        let f = check(cfg.clone());
        let f = only(&f);
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message
                .contains("kubernetes_host https://203.0.113.99:6443"),
            "{}",
            f.message
        );
        assert!(f.message.contains(WATCHED));
        assert!(
            f.hint.contains(&format!("kubernetes_host={WATCHED}")),
            "{}",
            f.hint
        );
        assert!(
            f.hint.contains("token_reviewer_jwt=@reviewer.jwt"),
            "{}",
            f.hint
        );
        assert!(f.hint.contains("replaces the whole config"));
        assert!(
            f.evidence
                .as_deref()
                .unwrap()
                .contains("kube-root-ca.crt CN=kubernetes")
        );

        let f = check(AuthBackendConfig {
            ca_certs: vec![ca("bb", "CN=other-cluster")],
            ..cfg
        });
        let f = only(&f);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("kubernetes_host") && f.message.contains("another cluster"));
    }

    #[test]
    fn a_host_that_is_no_url_is_an_error_even_without_a_cluster() {
        let cfg = AuthBackendConfig {
            kubernetes_host: "10.0.0.1:6443".into(),
            ..healthy()
        };
        let f = findings(&world(cfg, None));
        let f = only(&f);
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message
                .contains("kubernetes_host \"10.0.0.1:6443\" is not an https:// URL")
        );
    }

    #[test]
    fn an_ip_on_443_is_not_judged_while_the_cluster_ips_are_unknown() {
        let cfg = AuthBackendConfig {
            kubernetes_host: "https://10.43.0.1:443".into(),
            ..healthy()
        };
        let mut c = cluster();
        c.service_ips = None;
        assert!(findings(&world(cfg.clone(), Some(c))).is_empty());
        // Known, and not one of them: named.
        assert_eq!(only(&check(cfg)).severity, Severity::Warning);
    }

    #[test]
    fn a_ca_that_is_not_the_clusters_is_an_error_naming_the_field() {
        let f = check(AuthBackendConfig {
            ca_certs: vec![ca("bb", "CN=vaultscope lab root CA")],
            ..healthy()
        });
        let f = only(&f);
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.contains(
                "kubernetes_ca_cert (CN=vaultscope lab root CA (sha256 bbbbbbbbbbbbbbbb…))"
            ),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("CN=kubernetes (sha256 aaaaaaaaaaaaaaaa…)")
        );
        assert!(f.hint.contains("kubernetes_ca_cert=@ca.crt"));
        assert!(f.hint.contains("kube-root-ca.crt"));
        // One certificate of a bundle in common is enough (CA rotation).
        assert!(
            check(AuthBackendConfig {
                ca_certs: vec![ca("bb", "CN=old"), ca("aa", "CN=kubernetes")],
                ..healthy()
            })
            .is_empty()
        );
        // Either of the cluster's CAs counts.
        let mut c = cluster();
        c.kubeconfig_ca = vec![ca("cc", "CN=front proxy")];
        assert!(findings(&world(healthy(), Some(c.clone()))).is_empty());
        c.root_ca = None;
        assert_eq!(
            only(&findings(&world(healthy(), Some(c.clone())))).severity,
            Severity::Error
        );
        // Nothing known of the cluster's CA: no verdict.
        c.kubeconfig_ca.clear();
        assert!(findings(&world(healthy(), Some(c))).is_empty());
        assert!(findings(&world(healthy(), None)).is_empty());
    }

    #[test]
    fn a_ca_that_holds_no_certificate_and_a_missing_ca_outside_a_pod() {
        let f = check(AuthBackendConfig {
            ca_certs: vec![],
            ..healthy()
        });
        assert!(only(&f).message.contains("holds no certificate"));
        assert_eq!(f[0].severity, Severity::Error);
        let f = check(AuthBackendConfig {
            ca_set: false,
            ca_certs: vec![],
            ..healthy()
        });
        let f = only(&f);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("kubernetes_ca_cert is not set"));
        assert!(f.message.contains("this cluster's CA is CN=kubernetes"));
    }

    #[test]
    fn no_reviewer_jwt_outside_the_cluster_is_named() {
        let f = check(AuthBackendConfig {
            token_reviewer_jwt_set: Some(false),
            ..healthy()
        });
        let f = only(&f);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("no token_reviewer_jwt"));
        assert!(f.message.contains("disable_local_ca_jwt=true"));
        assert!(f.hint.contains("system:auth-delegator"));
        assert!(f.hint.contains(&format!("kubernetes_host={WATCHED}")));
        // Outside inferred from the host alone (no cluster needed).
        let cfg = AuthBackendConfig {
            kubernetes_host: "https://api.k8s.example:6443".into(),
            disable_local_ca_jwt: Some(false),
            token_reviewer_jwt_set: Some(false),
            ..healthy()
        };
        let f = findings(&world(cfg, None));
        assert!(
            only(&f)
                .message
                .contains("most likely runs outside the cluster"),
            "{f:?}"
        );
        // A server that does not say (Vault < 1.16): no verdict.
        assert!(
            check(AuthBackendConfig {
                token_reviewer_jwt_set: None,
                ..healthy()
            })
            .is_empty()
        );
    }

    #[test]
    fn a_mount_without_config_is_an_error_when_its_roles_exist() {
        let missing = AuthBackendConfig::missing("auth/kubernetes");
        assert!(
            check(missing.clone()).is_empty(),
            "no role: the mount is what is missing"
        );
        let mut w = world(missing, Some(cluster()));
        let mut role = AuthRole::missing("auth/kubernetes", "billing");
        role.found = true;
        w.vault.roles = vec![role];
        let f = findings(&w);
        let f = only(&f);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("could not load backend configuration"));
        assert!(f.hint.contains("vault write auth/kubernetes/config"));
    }
}
