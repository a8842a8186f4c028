//! Reading vault-agent logs: splitting them into records, finding the causes
//! they show, and dropping causes the agent has since recovered from.

use chrono::{DateTime, Utc};

use super::finding::Code;
use super::text::{self, Cause, Renders};
use crate::model::log_line::{line_timestamp, strip_kubectl_prefix};

/// Whether a line begins a new log record, as opposed to continuing a value
/// that the agent spread over several lines. `open` says whether the record
/// so far still has a quoted value open (a value with literal newlines);
/// `api_error` whether it holds a Vault API error still being printed.
fn starts_record(line: &str, open: bool, api_error: bool) -> bool {
    let raw = strip_kubectl_prefix(line);
    let l = raw.trim_start();
    if l.is_empty() {
        return false;
    }
    if line_timestamp(line).is_some() || l.starts_with("==>") || (l.starts_with('{') && !open) {
        return true;
    }
    // consul-template's warnings print Vault's API error unquoted, its lines
    // flush left: `URL: GET …`, `Code: 403. Errors:`, `* permission denied
    // (retry attempt 1 after "250ms")` (seen from OpenBao 2.7's agent).
    if api_error && ["URL: ", "Code: ", "* "].iter().any(|p| raw.starts_with(p)) {
        return false;
    }
    // hclog indents the lines of a multi-line value; an open quote means the
    // value runs on. Anything else is a line of its own, such as the agent's
    // closing "Error encountered during run, refer to logs for more details."
    let indented = raw.starts_with(' ') || raw.starts_with('\t') || l.starts_with('|');
    !(open || indented)
}

/// Whether the record has an unterminated quoted value.
fn quote_open(text: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => open = !open,
            _ => escaped = false,
        }
    }
    open
}

/// One log record: a line, plus the continuation lines that belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub text: String,
    pub at: Option<DateTime<Utc>>,
}

pub fn records<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    for line in lines {
        let clean = strip_kubectl_prefix(line.trim_end_matches('\r'));
        let open = out.last().is_some_and(|r| quote_open(&r.text));
        let api_error = out
            .last()
            .is_some_and(|r| r.text.contains("Error making API request."));
        match out.last_mut() {
            Some(last) if !starts_record(line, open, api_error) => {
                if !clean.trim().is_empty() {
                    last.text.push('\n');
                    last.text.push_str(clean);
                }
            }
            _ => {
                if clean.trim().is_empty() {
                    continue;
                }
                out.push(Record {
                    text: clean.to_string(),
                    at: line_timestamp(line),
                })
            }
        }
    }
    out
}

/// A cause the log shows, still current (not followed by a recovery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSignal {
    pub cause: Cause,
    /// The record that shows it best: the latest that carries Vault's
    /// answer, not a later line that only repeats or guesses.
    pub evidence: String,
    /// When the evidence was logged.
    pub at: Option<DateTime<Utc>>,
    /// When the cause was first logged, since the last success.
    pub first_at: Option<DateTime<Utc>>,
    /// Attempts that failed this way; lines that only repeat an earlier
    /// error do not count.
    pub occurrences: usize,
    /// The Vault auth mount the failing login went to, if the record names it.
    pub login_mount: Option<String>,
    /// When the cause was last logged.
    pub last_at: Option<DateTime<Utc>>,
    /// The wait before the next attempt that the last record announced
    /// (consul-template's `(retry attempt N after "D")`).
    pub retry_after: Option<chrono::Duration>,
}

/// How long a read may take on top of its announced back-off before its
/// silence means success: the agent's Vault client times out after 60 s.
const RETRY_GRACE_SECONDS: i64 = 75;

impl LogSignal {
    /// consul-template logs each failed read with the wait before its next
    /// attempt, and nothing when an attempt succeeds and the rendered file is
    /// unchanged (a sealed Vault unsealed, a short outage over). So a running
    /// sidecar whose last such failure announced an attempt long past, and no
    /// failure since, got its read.
    pub fn retried_quietly(&self, now: DateTime<Utc>) -> bool {
        self.quiet_since().is_some_and(|t| now > t)
    }

    /// The instant after which [`LogSignal::retried_quietly`] holds, if it
    /// ever can.
    pub fn quiet_since(&self) -> Option<DateTime<Utc>> {
        let wait = self.retry_after? + chrono::Duration::seconds(RETRY_GRACE_SECONDS);
        self.last_at?.checked_add_signed(wait)
    }
}

/// The longest evidence kept, so one runaway line cannot flood the output.
const MAX_EVIDENCE: usize = 1200;

fn clip(s: &str) -> String {
    if s.len() <= MAX_EVIDENCE {
        return s.to_string();
    }
    // Redacted before the cut: a secret cut in half is no longer
    // recognisable, and half of it would be shown.
    let s = crate::safe::redact(s);
    let cut = s.floor_char_boundary(MAX_EVIDENCE);
    format!("{}…", &s[..cut])
}

/// Only warning and error records can carry a cause; an `[INFO]` line that
/// quotes an error string (say, a rendered template) must not.
fn is_problem_level(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(80)
        .collect::<String>()
        .to_ascii_uppercase();
    if head.contains("[INFO]") || head.contains("[DEBUG]") || head.contains("[TRACE]") {
        return false;
    }
    if head.contains("\"@LEVEL\":\"INFO\"") || head.contains("\"@LEVEL\":\"DEBUG\"") {
        return false;
    }
    true
}

/// How much a record says about its cause: Vault's answer (a status code or
/// the reason a renewal failed) says most; a line that only repeats the
/// error, or a renewer that "maybe" expired, says least.
fn weight(rec: &str, cause: &Cause) -> u8 {
    if text::only_quotes(rec) {
        0
    } else if rec.contains("Code: ") || cause.why.is_some_and(|w| w != text::Why::MaxTtl) {
        2
    } else {
        1
    }
}

/// Analyse a container's log, oldest line first (previous instance first).
pub fn analyse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<LogSignal> {
    analyse_with(lines, &Renders::default())
}

/// [`analyse`], knowing which files the pod's templates render each Vault
/// path to, so a render proves only its own secrets.
pub fn analyse_with<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    renders: &Renders,
) -> Vec<LogSignal> {
    let mut active: Vec<LogSignal> = Vec::new();
    for rec in records(lines) {
        if let Some(ok) = text::success(&rec.text) {
            active.retain(|s| !text::clears(&ok, &s.cause, renders));
            continue;
        }
        if !is_problem_level(&rec.text) {
            continue;
        }
        let Some(cause) = text::classify(&rec.text) else {
            continue;
        };
        let login_mount = text::login_mount(&rec.text);
        // A line that repeats an error, or a renewer that stopped after its
        // renewals failed, is not another failed attempt.
        let repeat = |s: &LogSignal| {
            text::only_quotes(&rec.text)
                || (cause.why == Some(text::Why::MaxTtl) && s.cause.why != Some(text::Why::MaxTtl))
        };
        let same = active
            .iter_mut()
            .find(|s| s.cause.code == cause.code && s.cause.detail == cause.detail);
        match same {
            Some(s) => {
                if !repeat(s) {
                    s.occurrences += 1;
                }
                s.last_at = rec.at.or(s.last_at);
                s.retry_after = text::retry_after(&rec.text);
                if weight(&rec.text, &cause) >= weight(&s.evidence, &s.cause) {
                    s.evidence = clip(&rec.text);
                    s.at = rec.at.or(s.at);
                    s.cause = cause;
                }
                s.login_mount = login_mount.or(s.login_mount.take());
            }
            None => active.push(LogSignal {
                cause,
                evidence: clip(&rec.text),
                at: rec.at,
                first_at: rec.at,
                occurrences: 1,
                login_mount,
                last_at: rec.at,
                retry_after: text::retry_after(&rec.text),
            }),
        }
    }
    active
}

/// The last record at warning or error level, for evidence when no known
/// cause matched.
pub fn last_problem<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    records(lines)
        .into_iter()
        .rev()
        .find(|r| {
            let u = r.text.to_ascii_uppercase();
            u.contains("[ERROR]") || u.contains("[WARN]") || u.contains("\"@LEVEL\":\"ERROR\"")
        })
        .map(|r| clip(&r.text))
}

pub fn is_signal_code(code: Code) -> bool {
    !code.is_generic()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_values_are_one_record() {
        let log = "2024-05-01T10:00:00.000Z [ERROR] agent.auth.handler: error authenticating:\n  error=\n  | Error making API request.\n  |\n  | URL: PUT http://vault.vault.svc:8200/v1/auth/kubernetes/login\n  | Code: 403. Errors:\n  |\n  | * service account name not authorized\n   backoff=1s\n2024-05-01T10:00:01.000Z [INFO]  agent.auth.handler: authenticating";
        let r = records(log.lines());
        assert_eq!(r.len(), 2);
        assert!(r[0].text.contains("service account name not authorized"));
    }

    #[test]
    fn standalone_lines_and_old_runner_timestamps_start_records() {
        let log = "2026-11-28T09:00:00Z [ERROR] agent: runtime error encountered: error=\"boom\"\nError encountered during run, refer to logs for more details.\n2026/11/28 14:01:52.132412 [INFO] (runner) creating watcher";
        let r = records(log.lines());
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(
            r[2].at,
            Some("2026-11-28T14:01:52.132412Z".parse().unwrap())
        );
        // A quoted value with literal newlines stays one record.
        let log = "2026-11-28T09:00:00Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\n\nURL: PUT http://v:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* permission denied\" backoff=1s";
        assert_eq!(records(log.lines()).len(), 1);
    }

    /// A template read that fails, as OpenBao 2.7's agent logs it (the lab's
    /// real agents): Vault's error unquoted over several flush-left lines.
    const UNQUOTED_READ_ERROR: &str = "2026-11-29T18:58:54.649Z [WARN]  agent: (view) vault.read(secret/data/tutorial/ledger/config): vault.read(secret/data/tutorial/ledger/config): Error making API request.\n\nURL: GET http://127.0.0.1:21445/v1/secret/data/tutorial/ledger/config\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n (retry attempt 1 after \"250ms\")\n2026-11-29T19:03:44.966Z [WARN]  agent: vault.read(database/creds/orders): failed to renew: Error making API request.\n\nURL: PUT http://127.0.0.1:21445/v1/sys/leases/renew\nCode: 503. Errors:\n\n* Vault is sealed\n2026-11-29T19:03:44.966Z [WARN]  agent: vault.read(database/creds/orders): renewer done (maybe the lease expired)\nError encountered during run, refer to logs for more details.";

    #[test]
    fn unquoted_api_errors_are_one_record() {
        let r = records(UNQUOTED_READ_ERROR.lines());
        assert_eq!(r.len(), 4, "{r:#?}");
        assert!(
            r[0].text.contains("URL: GET")
                && r[0].text.ends_with("(retry attempt 1 after \"250ms\")")
        );
        assert!(r[1].text.ends_with("* Vault is sealed"));
        assert_eq!(
            r[3].text,
            "Error encountered during run, refer to logs for more details."
        );
        let sig = analyse(UNQUOTED_READ_ERROR.lines().take(9));
        assert_eq!(sig.len(), 1, "{sig:#?}");
        assert_eq!(sig[0].cause.code, Code::SecretPermissionDenied);
        assert_eq!(
            sig[0].cause.detail.as_deref(),
            Some("secret/data/tutorial/ledger/config")
        );
        // The sealed renewal is one cause, not also a bare `Code: 503` record.
        let sig = analyse(UNQUOTED_READ_ERROR.lines().skip(9).take(6));
        let codes: Vec<Code> = sig.iter().map(|s| s.cause.code).collect();
        assert_eq!(codes, vec![Code::VaultSealed], "{sig:#?}");
    }

    #[test]
    fn a_retry_that_went_quiet_succeeded() {
        let sig = analyse(UNQUOTED_READ_ERROR.lines().take(9));
        let s = &sig[0];
        assert_eq!(s.retry_after, Some(chrono::Duration::milliseconds(250)));
        let last: DateTime<Utc> = "2026-11-29T18:58:54.649Z".parse().unwrap();
        assert_eq!(s.last_at, Some(last));
        assert!(!s.retried_quietly(last + chrono::Duration::seconds(60)));
        assert!(s.retried_quietly(last + chrono::Duration::seconds(76)));
        // A renewal failure announces no retry: it stays until a success.
        let sig = analyse(UNQUOTED_READ_ERROR.lines().skip(9).take(6));
        assert_eq!(sig[0].retry_after, None);
        assert!(!sig[0].retried_quietly(last + chrono::Duration::days(1)));
    }

    #[test]
    fn recovery_clears_earlier_errors() {
        let log = [
            "2024-05-01T10:00:00Z [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT http://v:8200/v1/auth/kubernetes/login\\nCode: 503. Errors:\\n\\n* Vault is sealed\" backoff=1s",
            "2024-05-01T10:00:05Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
        ];
        assert!(analyse(log).is_empty());
        let sig = analyse(log[..1].iter().copied());
        assert_eq!(sig.len(), 1);
        assert_eq!(sig[0].cause.code, Code::VaultSealed);
        assert_eq!(sig[0].login_mount.as_deref(), Some("auth/kubernetes"));
    }

    #[test]
    fn info_lines_quoting_errors_are_ignored() {
        let log = ["2024-05-01T10:00:00Z [INFO]  agent: (runner) template says: permission denied"];
        assert!(analyse(log).is_empty());
    }
}
