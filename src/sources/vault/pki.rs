//! PKI certificates: the PEM `pki/cert/<serial>` returns, parsed for the
//! subject common name, DNS alternative names and validity.

use chrono::{DateTime, Utc};
use x509_parser::extensions::GeneralName;

use crate::model::vault::Certificate;

fn utc(t: x509_parser::time::ASN1Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.timestamp(), 0)
}

/// Parse one PEM certificate; `None` when it is not one.
pub fn parse_pem(pem: &str, mount: &str, serial: &str) -> Option<Certificate> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let alt_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .filter(|d| *d != common_name)
                .collect()
        })
        .unwrap_or_default();
    Some(Certificate {
        serial: serial.to_string(),
        mount: mount.to_string(),
        common_name,
        alt_names,
        not_before: utc(cert.validity().not_before),
        not_after: utc(cert.validity().not_after)?,
        revoked: false,
    })
}
