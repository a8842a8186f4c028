//! CA certificates as the model keeps them: SHA-256 fingerprint, subject and
//! expiry, never the PEM. Both sides of the kubernetes auth check use this:
//! Vault's `kubernetes_ca_cert` and the cluster's kubeconfig CA and
//! `kube-root-ca.crt`.

use chrono::DateTime;
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::model::cluster::CaCert;

/// Longest subject kept (the text comes from others: Vault, a ConfigMap).
const SUBJECT_CHARS: usize = 200;
/// At most this many certificates are read from one bundle.
const MAX_CERTS: usize = 64;

/// One DER certificate; `None` when it is not one.
pub fn from_der(der: &[u8]) -> Option<CaCert> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject: String = cert
        .subject()
        .to_string()
        .chars()
        .take(SUBJECT_CHARS)
        .collect();
    let hex: String = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(CaCert {
        sha256: hex,
        subject,
        not_after: DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0),
    })
}

/// The `CERTIFICATE` blocks of a PEM bundle that parse, as Go's
/// `CertPool.AppendCertsFromPEM` (which Vault uses) takes them: other blocks
/// and certificates that do not parse are skipped.
pub fn from_pem(pem: &str) -> Vec<CaCert> {
    Pem::iter_from_buffer(pem.as_bytes())
        .map_while(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .filter_map(|p| from_der(&p.contents))
        .take(MAX_CERTS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate (`openssl req -x509 -subj "/CN=vaultscope test CA"`).
    const PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBkTCCATegAwIBAgIUcOOx42J2lrdKWT3oLJmxd31BdgIwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSdmF1bHRzY29wZSB0ZXN0IENBMCAXDTI2MTEyOTE4MTU1MloY
DzIxMjYxMTA1MTgxNTUyWjAdMRswGQYDVQQDDBJ2YXVsdHNjb3BlIHRlc3QgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQoAwgFDbSoaGfwtQEOt3URQ/SU/y+F
REJneGCem6tEp7bK0N2UId9BSvoSznnKSENajv4jlbSyLyXpxTqWzLjGo1MwUTAd
BgNVHQ4EFgQUjAkCP/jXRNxMgNFMtV2lgF4J4mMwHwYDVR0jBBgwFoAUjAkCP/jX
RNxMgNFMtV2lgF4J4mMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
AiEA1slNEkaPU+lhXdU/Lr5FI6MUwH7lWOyHOpKQOEMY0zoCIDmOPF+r99kboiWV
kH5Ku5vCJHzbGon2XdLTm/d7ko5s
-----END CERTIFICATE-----
";
    /// `openssl x509 -noout -fingerprint -sha256` of it.
    const SHA256: &str = "754c593dbf4824a7ce3292fe2285fe586fe19fb3fe931f7e1d9b0fcd0674850d";

    #[test]
    fn a_certificate_is_known_by_its_openssl_fingerprint() {
        let certs = from_pem(PEM);
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].sha256, SHA256);
        assert_eq!(certs[0].subject, "CN=vaultscope test CA");
        assert_eq!(
            certs[0].not_after.unwrap().to_rfc3339(),
            "2126-11-05T18:15:52+00:00"
        );
    }

    #[test]
    fn only_certificate_blocks_that_parse_count() {
        let bundle = format!(
            "leading text\n{PEM}-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n{PEM}"
        );
        let certs = from_pem(&bundle);
        assert_eq!(certs.len(), 2, "{certs:?}");
        assert!(certs.iter().all(|c| c.sha256 == SHA256));
        assert!(from_pem("").is_empty());
        assert!(from_pem("not a pem at all").is_empty());
        assert!(
            from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_empty()
        );
        assert!(from_der(b"\x30\x03\x02\x01\x01").is_none());
    }
}
