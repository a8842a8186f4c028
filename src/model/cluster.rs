//! The cluster vaultscope watches, as Vault's kubernetes auth must reach it:
//! the API server's address and the CA certificates that verify it. Vault
//! sends every login's TokenReview to `kubernetes_host`, trusting
//! `kubernetes_ca_cert`, so both are compared with what is known here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A CA certificate, known by its fingerprint: the PEM itself is never kept,
/// so it cannot reach a screen, a JSON report or a bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaCert {
    /// SHA-256 of the DER encoding, lowercase hex.
    pub sha256: String,
    /// The subject, e.g. `CN=kubernetes`.
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub not_after: Option<DateTime<Utc>>,
}

impl CaCert {
    /// `CN=kubernetes (sha256 3f2a9c01d4e5b6a7…)`: enough to tell two apart.
    /// A value that is not hex (a hostile bundle can put anything there)
    /// is not shown at all: half of a secret cut to 16 characters would no
    /// longer be recognisable to the redaction.
    pub fn describe(&self) -> String {
        let short: String = if self.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            self.sha256.chars().take(16).collect()
        } else {
            "(not a fingerprint)".into()
        };
        let subject = if self.subject.is_empty() {
            "(no subject)"
        } else {
            &self.subject
        };
        format!("{subject} (sha256 {short}…)")
    }
}

/// Whether two sets of certificates have one in common (by fingerprint).
pub fn shares_a_cert(a: &[CaCert], b: &[CaCert]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.sha256 == y.sha256))
}

/// `a, b` of each certificate's [`CaCert::describe`].
pub fn describe_all(certs: &[CaCert]) -> String {
    certs
        .iter()
        .map(CaCert::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The watched cluster's API server and CAs, as the live source saw them
/// (or as a bundle's `bundle.json` recorded them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClusterIdentity {
    /// The API server URL vaultscope talks to (kubeconfig), without userinfo.
    pub server: String,
    /// The CA certificates the kubeconfig trusts for it; empty when it names
    /// none (system roots, or verification turned off).
    #[serde(default)]
    pub kubeconfig_ca: Vec<CaCert>,
    /// `ca.crt` of the `kube-root-ca.crt` ConfigMap (the CA pods, and an
    /// in-cluster Vault, trust); `None` when it could not be read.
    #[serde(default)]
    pub root_ca: Option<Vec<CaCert>>,
    /// The ClusterIPs of Service `default/kubernetes` (the API server inside
    /// the cluster); `None` when it could not be read.
    #[serde(default)]
    pub service_ips: Option<Vec<String>>,
}

impl ClusterIdentity {
    /// Every CA certificate known to be the cluster's.
    pub fn cas(&self) -> Vec<CaCert> {
        let mut all = self.kubeconfig_ca.clone();
        all.extend(self.root_ca.iter().flatten().cloned());
        all.sort();
        all.dedup();
        all
    }
}

/// An API server address reduced to what decides where a request goes:
/// `HTTPS://Kubernetes.Default.svc:443/` and `https://kubernetes.default.svc`
/// are the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// Without a trailing `/` (a proxy such as Rancher serves a cluster
    /// under a path).
    pub path: String,
}

impl ApiUrl {
    /// `None` unless `s` is an `http://` or `https://` URL with a host (what
    /// Vault needs: it appends `/apis/...` to `kubernetes_host` as it is).
    pub fn parse(s: &str) -> Option<ApiUrl> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (h, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().ok()?),
                None => (authority, default_port),
            }
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(ApiUrl {
            scheme,
            host,
            port,
            path: path.trim_end_matches('/').to_string(),
        })
    }

    /// The in-cluster name of the API server: Service `kubernetes` in
    /// `default` on port 443, by any of its DNS names
    /// (`kubernetes.default.svc`, `kubernetes.default.svc.cluster.local`, or
    /// another cluster domain) or by one of its ClusterIPs.
    pub fn is_in_cluster(&self, service_ips: &[String]) -> bool {
        let name = matches!(
            self.host.as_str(),
            "kubernetes" | "kubernetes.default" | "kubernetes.default.svc"
        ) || self.host.starts_with("kubernetes.default.svc.");
        let ip = service_ips
            .iter()
            .any(|ip| ip.trim_matches(['[', ']']).eq_ignore_ascii_case(&self.host));
        self.scheme == "https" && self.port == 443 && self.path.is_empty() && (name || ip)
    }

    /// An IP address rather than a name.
    pub fn is_ip(&self) -> bool {
        self.host.parse::<std::net::IpAddr>().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> ApiUrl {
        ApiUrl::parse(s).unwrap_or_else(|| panic!("{s} did not parse"))
    }

    #[test]
    fn equivalent_forms_of_one_address_are_equal() {
        let base = url("https://127.0.0.1:6443");
        for s in [
            "https://127.0.0.1:6443/",
            "HTTPS://127.0.0.1:6443",
            " https://127.0.0.1:6443// ",
            "https://admin:pw@127.0.0.1:6443",
        ] {
            assert_eq!(url(s), base, "{s}");
        }
        assert_eq!(url("https://api.example"), url("https://API.example:443/"));
        assert_eq!(url("http://api.example").port, 80);
        assert_eq!(url("https://[::1]:6443").host, "::1");
        assert_eq!(url("https://[::1]").port, 443);
        assert_ne!(url("https://api.example:6443"), url("https://api.example"));
        assert_eq!(
            url("https://rancher.example/k8s/clusters/c-1/").path,
            "/k8s/clusters/c-1"
        );
    }

    #[test]
    fn what_vault_cannot_use_does_not_parse() {
        for s in [
            "127.0.0.1:6443",
            "kubernetes.default.svc",
            "ftp://x",
            "https://",
            "https://h:port",
            "",
        ] {
            assert!(ApiUrl::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn the_in_cluster_address_in_its_forms() {
        for s in [
            "https://kubernetes.default.svc",
            "https://kubernetes.default.svc:443",
            "https://kubernetes.default.svc.cluster.local",
            "https://kubernetes.default.svc.cluster.local:443/",
            "https://kubernetes.default.svc.corp.example.",
            "https://kubernetes.default",
            "https://10.96.0.1:443",
        ] {
            assert!(url(s).is_in_cluster(&["10.96.0.1".into()]), "{s}");
        }
        for s in [
            "http://kubernetes.default.svc",
            "https://kubernetes.default.svc:6443",
            "https://kubernetes.example.com",
            "https://10.96.0.1:443",
        ] {
            assert!(!url(s).is_in_cluster(&[]), "{s}");
        }
    }

    #[test]
    fn cas_are_compared_by_fingerprint() {
        let ca = |fp: &str, subject: &str| CaCert {
            sha256: fp.into(),
            subject: subject.into(),
            not_after: None,
        };
        assert!(shares_a_cert(
            &[ca("aa", "CN=x")],
            &[ca("bb", "CN=y"), ca("aa", "CN=other")]
        ));
        assert!(!shares_a_cert(
            &[ca("aa", "CN=same")],
            &[ca("bb", "CN=same")]
        ));
        assert!(!shares_a_cert(&[], &[ca("aa", "")]));
        let id = ClusterIdentity {
            kubeconfig_ca: vec![ca("aa", "")],
            root_ca: Some(vec![ca("aa", ""), ca("cc", "")]),
            ..Default::default()
        };
        assert_eq!(id.cas().len(), 2);
        assert_eq!(
            ca("0123456789abcdef0123", "CN=kubernetes").describe(),
            "CN=kubernetes (sha256 0123456789abcdef…)"
        );
    }
}
