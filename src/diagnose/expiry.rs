//! Lease and certificate expiry, against a passed-in `now`.

use chrono::{DateTime, Duration, Utc};

use super::deadline::Next;
use super::finding::{Code, Finding, Severity, Via};
use crate::model::annotations::PREFIX;
use crate::model::injector::Dialect;
use crate::model::vault::{Certificate, Lease, countdown};
use crate::model::words;

/// Lease and certificate findings are worked out per secret path, before it
/// is known which workload reads it, with vault-k8s's prefix in their fix;
/// this names the annotation of the workload's own injector instead.
pub fn for_dialect(mut f: Finding, d: Dialect) -> Finding {
    if d != Dialect::Vault {
        f.hint = f.hint.replace(PREFIX, d.prefix()).into();
    }
    f
}

/// A lease is "expiring" when less than this share of its lifetime is left
/// and the agent has not renewed it (agents renew at about two thirds).
const LEASE_WARN_FRACTION: f64 = 0.10;
/// Renewable leases warn when their max TTL (the hard end) is this close.
const HARD_END_WARN_FRACTION: f64 = 0.10;
const MIN_WARN: i64 = 60;
/// Certificates warn when less than this share of their validity is left.
/// Agents issue a new one at 90 % of its validity (consul-template
/// dependency/vault_pki.go `goodFor`, VaultLeaseRenewalThreshold 0.9), so
/// a healthy agent's certificate never gets this close.
const CERT_WARN_FRACTION: f64 = 0.07;
/// Without a known lifetime, warn a day ahead.
const CERT_WARN_DEFAULT: i64 = 86_400;

fn window(span: Duration, fraction: f64, min: i64) -> Duration {
    Duration::try_seconds(((span.num_seconds() as f64 * fraction) as i64).max(min))
        .unwrap_or(Duration::MAX)
}

pub fn lease_finding(lease: &Lease, now: DateTime<Utc>) -> Option<Finding> {
    let expire = lease.expire_time?;
    let left = expire - now;
    let evidence = format!(
        "lease {} expire_time={} renewable={} ttl={}s",
        lease.id,
        expire.to_rfc3339(),
        lease.renewable,
        lease.ttl_seconds
    );
    if left <= Duration::zero() {
        return Some(
            Finding::new(
                Code::LeaseExpired,
                Severity::Error,
                Via::Vault,
                format!("Lease {} expired {} ago", lease.id, countdown(-left)),
                format!("The credentials behind this lease are revoked: the agent must fetch new ones; if the app still uses the old ones, make it reload on re-render ({PREFIX}agent-inject-command-<name>)."),
            )
            .evidence(evidence),
        );
    }
    if lease.renewable
        && let (Some(end), Some(max)) = (lease.hard_end(), lease.max_ttl_seconds)
    {
        let to_end = end - now;
        if to_end
            <= window(
                Duration::try_seconds(max).unwrap_or(Duration::MAX),
                HARD_END_WARN_FRACTION,
                MIN_WARN,
            )
        {
            return Some(
                Finding::new(
                    Code::LeaseExpiring,
                    Severity::Warning,
                    Via::Vault,
                    format!("Lease {} reaches its max TTL in {}; it cannot be renewed past that", lease.id, countdown(to_end)),
                    format!("The agent will fetch new credentials and re-render; make sure the app reloads them ({PREFIX}agent-inject-command-<name>) or raise the role's max_ttl."),
                )
                .evidence(evidence),
            );
        }
    }
    let start = lease.last_renewal.or(lease.issue_time)?;
    let span = expire - start;
    // Agents renew when 70-73 % of the lease has run (vault api
    // lifetime_watcher.go: 2/3 of it plus a third of a 10-20 % grace), so a
    // lease with a fifth of its span left has missed its renewal; half would
    // flag every short lease (2 min) in good health for a quarter of its life.
    if left
        <= window(
            span,
            LEASE_WARN_FRACTION,
            MIN_WARN.min(span.num_seconds() / 5),
        )
    {
        let why = if lease.renewable {
            "renewal is overdue (agents renew at about two thirds of the TTL)"
        } else {
            "it is not renewable"
        };
        return Some(
            Finding::new(
                Code::LeaseExpiring,
                Severity::Warning,
                Via::Vault,
                format!("Lease {} expires in {}; {why}", lease.id, countdown(left)),
                "Check the agent log for renewal errors, and the role's ttl/max_ttl.",
            )
            .evidence(evidence),
        );
    }
    None
}

/// Expiry findings for all leases of one path: one finding per code, for the
/// soonest lease, saying how many more share the problem.
pub fn path_findings(path: &str, leases: &[&Lease], now: DateTime<Utc>) -> Vec<Finding> {
    let mut out: Vec<(Finding, usize)> = Vec::new();
    let newest_issue = leases.iter().filter_map(|l| l.issue_time).max();
    for l in leases {
        let Some(mut f) = lease_finding(l, now) else {
            continue;
        };
        // An agent that fetched new credentials leaves the old lease to run
        // out: with a newer lease under the path, an old one nearing expiry is
        // most likely replaced, not failing. Vault cannot tell which pod holds
        // which lease, so say it without raising the workload's health.
        let replaced = newest_issue.is_some_and(|n| l.issue_time.is_some_and(|i| i < n));
        if f.code == Code::LeaseExpiring && replaced && !f.message.contains("max TTL") {
            f.severity = Severity::Info;
            f.message
                .to_mut()
                .push_str("; a newer lease exists under this path, so it was probably replaced");
        }
        match out.iter_mut().find(|(o, _)| o.code == f.code) {
            Some((_, n)) => *n += 1,
            None => out.push((f, 1)),
        }
    }
    out.into_iter()
        .map(|(mut f, n)| {
            if n > 1 {
                f.message.to_mut().push_str(&format!(
                    " (and {} under {path})",
                    words::count(n - 1, "more lease", "more leases")
                ));
            }
            f
        })
        .collect()
}

pub fn cert_finding(cert: &Certificate, now: DateTime<Utc>) -> Option<Finding> {
    if cert.revoked {
        return None;
    }
    let left = cert.remaining(now);
    let evidence = format!(
        "certificate serial {} CN={} not_after={}",
        cert.serial,
        cert.common_name,
        cert.not_after.to_rfc3339()
    );
    if left <= Duration::zero() {
        return Some(
            Finding::new(
                Code::CertExpired,
                Severity::Error,
                Via::Vault,
                format!("Certificate {} expired {} ago", cert.common_name, countdown(-left)),
                "The agent re-issues PKI certificates before expiry; an expired one means rendering stopped: read the agent log. Check the PKI role's ttl/max_ttl.",
            )
            .evidence(evidence),
        );
    }
    let warn = match cert.lifetime() {
        Some(life) => window(
            life,
            CERT_WARN_FRACTION,
            MIN_WARN.min(life.num_seconds() / 20),
        ),
        None => Duration::seconds(CERT_WARN_DEFAULT),
    };
    (left <= warn).then(|| {
        Finding::new(
            Code::CertExpiring,
            Severity::Warning,
            Via::Vault,
            format!("Certificate {} expires in {}", cert.common_name, countdown(left)),
            format!("The agent should re-issue it before expiry; if it does not, read the agent log, and check the PKI role's ttl/max_ttl and that the app reloads the new certificate ({PREFIX}agent-inject-command-<name>)."),
        )
        .evidence(evidence)
    })
}

/// When [`lease_finding`] for `lease` can next change: the lease expires,
/// enters a warning window, or the countdown its finding shows moves.
pub fn lease_changes(lease: &Lease, now: DateTime<Utc>, next: &mut Next) {
    let Some(expire) = lease.expire_time else {
        return;
    };
    next.flip(Some(expire));
    let left = expire - now;
    if left <= Duration::zero() {
        next.countdown(expire);
        return;
    }
    if lease.renewable
        && let (Some(end), Some(max)) = (lease.hard_end(), lease.max_ttl_seconds)
    {
        let w = window(
            Duration::try_seconds(max).unwrap_or(Duration::MAX),
            HARD_END_WARN_FRACTION,
            MIN_WARN,
        );
        next.flip(end.checked_sub_signed(w));
        if end - now <= w {
            // It stays in this window until it expires.
            next.countdown(end);
            return;
        }
    }
    let Some(start) = lease.last_renewal.or(lease.issue_time) else {
        return;
    };
    let span = expire - start;
    let w = window(
        span,
        LEASE_WARN_FRACTION,
        MIN_WARN.min(span.num_seconds() / 2),
    );
    next.flip(expire.checked_sub_signed(w));
    if left <= w {
        next.countdown(expire);
    }
}

/// When [`cert_finding`] for `cert` can next change.
pub fn cert_changes(cert: &Certificate, now: DateTime<Utc>, next: &mut Next) {
    if cert.revoked {
        return;
    }
    next.flip(Some(cert.not_after));
    let left = cert.remaining(now);
    if left <= Duration::zero() {
        next.countdown(cert.not_after);
        return;
    }
    let warn = match cert.lifetime() {
        Some(life) => window(life, CERT_WARN_FRACTION, MIN_WARN),
        None => Duration::seconds(CERT_WARN_DEFAULT),
    };
    next.flip(cert.not_after.checked_sub_signed(warn));
    if left <= warn {
        next.countdown(cert.not_after);
    }
}

/// Expiry findings for the certificates a workload's templates ask for. One
/// that a newer certificate for the same name has followed was replaced:
/// agents issue the new one before the old one ends (and Vault lists the old
/// one until a tidy), so its running out is said without raising the
/// workload's health, as for a replaced lease.
pub fn cert_findings(certs: &[Certificate], now: DateTime<Utc>) -> Vec<Finding> {
    certs
        .iter()
        .filter_map(|c| {
            let mut f = cert_finding(c, now)?;
            let replaced = certs.iter().any(|o| {
                o.serial != c.serial
                    && !o.revoked
                    && o.common_name == c.common_name
                    && o.not_after > c.not_after
            });
            if replaced {
                f.severity = Severity::Info;
                f.message.to_mut().push_str(&format!(
                    "; a newer certificate for {} exists, so it was probably replaced",
                    c.common_name
                ));
            }
            Some(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn lease(renewable: bool, max: Option<i64>) -> Lease {
        Lease {
            id: "database/creds/web/x".into(),
            issue_time: Some(t("2026-01-01T00:00:00Z")),
            expire_time: Some(t("2026-01-01T01:00:00Z")),
            ttl_seconds: 3600,
            renewable,
            last_renewal: None,
            max_ttl_seconds: max,
        }
    }

    #[test]
    fn healthy_lease_has_no_finding() {
        assert!(lease_finding(&lease(true, Some(86400)), t("2026-01-01T00:30:00Z")).is_none());
    }

    #[test]
    fn expired_and_expiring() {
        let f = lease_finding(&lease(false, None), t("2026-01-01T01:00:01Z")).unwrap();
        assert_eq!(f.code, Code::LeaseExpired);
        let f = lease_finding(&lease(false, None), t("2026-01-01T00:55:00Z")).unwrap();
        assert_eq!(f.code, Code::LeaseExpiring);
        assert!(f.message.contains("5m00s"), "{}", f.message);
        // Near its max TTL even though the current TTL is long.
        let f = lease_finding(&lease(true, Some(3000)), t("2026-01-01T00:47:00Z")).unwrap();
        assert!(f.message.contains("max TTL"), "{}", f.message);
    }

    #[test]
    fn a_short_lease_is_not_overdue_before_the_agent_renews_it() {
        // database role with default_ttl=2m, as the workshop lab has it.
        let mut l = lease(true, Some(600));
        l.expire_time = Some(t("2026-01-01T00:02:00Z"));
        l.ttl_seconds = 120;
        // 66 s in: the agent renews at 84-88 s; nothing to say yet.
        assert!(lease_finding(&l, t("2026-01-01T00:01:06Z")).is_none());
        // 100 s in: it should have been renewed by now.
        let f = lease_finding(&l, t("2026-01-01T00:01:40Z")).unwrap();
        assert_eq!(f.code, Code::LeaseExpiring);
        assert!(f.message.contains("renewal is overdue"), "{}", f.message);
    }

    #[test]
    fn cert_windows() {
        let c = Certificate {
            serial: "1a:2b".into(),
            mount: "pki".into(),
            common_name: "web.shop.svc".into(),
            alt_names: vec![],
            not_before: Some(t("2026-01-01T00:00:00Z")),
            not_after: t("2026-01-02T00:00:00Z"),
            revoked: false,
        };
        assert!(cert_finding(&c, t("2026-01-01T12:00:00Z")).is_none());
        // 4 h left: an agent issues the next one at 2h24m left.
        assert!(cert_finding(&c, t("2026-01-01T20:00:00Z")).is_none());
        assert_eq!(
            cert_finding(&c, t("2026-01-01T23:00:00Z")).unwrap().code,
            Code::CertExpiring
        );
        assert_eq!(
            cert_finding(&c, t("2026-01-02T00:00:01Z")).unwrap().code,
            Code::CertExpired
        );
    }

    /// A 2-minute certificate as the workshop lab's certs agent has it
    /// (Vault backdates not_before by 30 s): issued again at 90 %.
    fn short_cert(serial: &str, from: &str, to: &str) -> Certificate {
        Certificate {
            serial: serial.into(),
            mount: "pki_int".into(),
            common_name: "certs.tutorial.svc".into(),
            alt_names: vec![],
            not_before: Some(t(from)),
            not_after: t(to),
            revoked: false,
        }
    }

    #[test]
    fn a_certificate_the_agent_replaces_in_time_is_no_warning_nor_error() {
        let old = short_cert("aa", "2026-01-01T00:00:00Z", "2026-01-01T00:02:30Z");
        // 2m10s in, 20 s left: the agent renews at 2m15s; nothing yet.
        assert!(cert_findings(std::slice::from_ref(&old), t("2026-01-01T00:02:10Z")).is_empty());
        // Overdue: 5 s left and no new certificate.
        let f = cert_findings(std::slice::from_ref(&old), t("2026-01-01T00:02:25Z"));
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::CertExpiring, Severity::Warning)
        );
        // Replaced at 2m15s: the old one running out, then expired, is info.
        let new = short_cert("bb", "2026-01-01T00:01:45Z", "2026-01-01T00:04:15Z");
        let both = [old.clone(), new.clone()];
        let f = cert_findings(&both, t("2026-01-01T00:02:25Z"));
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::CertExpiring, Severity::Info)
        );
        let f = cert_findings(&both, t("2026-01-01T00:03:00Z"));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::CertExpired, Severity::Info)
        );
        assert!(
            f[0].message.contains("probably replaced"),
            "{}",
            f[0].message
        );
        // Another name's newer certificate replaces nothing.
        let mut other = new;
        other.common_name = "web.tutorial.svc".into();
        let f = cert_findings(&[old, other], t("2026-01-01T00:03:00Z"));
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn absurd_values_from_a_bundle_do_not_panic() {
        let mut l = lease(true, Some(i64::MAX));
        assert!(lease_finding(&l, t("2026-01-01T00:30:00Z")).is_none());
        l.max_ttl_seconds = Some(i64::MIN);
        let _ = lease_finding(&l, t("2026-01-01T00:30:00Z"));
        l.expire_time = Some(DateTime::<Utc>::MAX_UTC);
        l.issue_time = Some(DateTime::<Utc>::MIN_UTC);
        let _ = lease_finding(&l, t("2026-01-01T00:30:00Z"));
    }

    #[test]
    fn an_old_lease_running_out_after_a_rotation_is_only_info() {
        let now = t("2026-01-01T00:57:00Z");
        let old = lease(true, Some(86_400));
        let mut new = lease(true, Some(86_400));
        new.id = "database/creds/web/y".into();
        new.issue_time = Some(t("2026-01-01T00:40:00Z"));
        new.expire_time = Some(t("2026-01-01T01:40:00Z"));
        let f = path_findings("database/creds/web", &[&old, &new], now);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info, "{}", f[0].message);
        // Alone, the same lease is a warning.
        let f = path_findings("database/creds/web", &[&old], now);
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
