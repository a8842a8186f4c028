//! The shape of one container log line: an optional `kubectl logs --prefix`
//! prefix, then (usually) a timestamp. The world needs the timestamp to date
//! an offline bundle and the diagnosis needs it to split records, so it lives
//! here rather than with either.

use chrono::{DateTime, Utc};

/// Strip a `kubectl logs --prefix` prefix: `[pod/web-1/vault-agent] `.
pub fn strip_kubectl_prefix(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix("[pod/")
        && let Some(end) = rest.find("] ")
    {
        return &rest[end + 2..];
    }
    line
}

fn parse_rfc3339(token: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(token).ok().map(|t| t.to_utc())
}

/// The timestamp a log line starts with: RFC 3339 (agents, `kubectl logs
/// --timestamps`) or the `2021/03/02 11:04:05.001234` form of older
/// consul-template runner lines.
pub fn line_timestamp(line: &str) -> Option<DateTime<Utc>> {
    let line = strip_kubectl_prefix(line);
    let mut words = line.split_whitespace();
    let token = words.next()?;
    if !token.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    if let Some(t) = parse_rfc3339(token) {
        return Some(t);
    }
    if token.len() == 10 && token.as_bytes()[4] == b'/' {
        let time = words.next()?;
        let joined = format!("{} {time}", token.replace('/', "-"));
        return chrono::NaiveDateTime::parse_from_str(&joined, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_timestamps() {
        let l = "[pod/web-1/vault-agent] 2024-05-01T10:00:00.5Z [INFO]  agent: x";
        assert_eq!(
            strip_kubectl_prefix(l),
            "2024-05-01T10:00:00.5Z [INFO]  agent: x"
        );
        assert_eq!(
            line_timestamp(l),
            Some("2024-05-01T10:00:00.5Z".parse().unwrap())
        );
        assert_eq!(line_timestamp("==> Vault Agent started!"), None);
    }
}
