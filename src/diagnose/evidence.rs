//! Evidence in one readable form, whatever format the agent logged it in.
//!
//! Vault Agent logs through hclog, which writes an error value one of two
//! ways: quoted on one line with its newlines escaped
//! (`error="Error making API request.\n\nURL: PUT …" backoff=1.6s`), or, in
//! older releases, spread over several lines (`error=` then `  | …` lines,
//! then `   backoff=233.367580501`). Both become the message, then the
//! error's lines unescaped and indented, then the other values on one line
//! with durations rounded (`backoff=3m53s`). Pure: the dashboard and `check`
//! show the same text.

/// How continuation lines are indented under the message.
pub const INDENT: &str = "  ";

/// Keys whose value is the error itself: its lines are shown without a label.
const ERROR_KEYS: &[&str] = &["error", "err"];

/// The evidence as lines: the first unindented, the rest indented by
/// [`INDENT`] (deeper where the error nests). Never empty for non-empty input.
pub fn readable(evidence: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut values: Vec<String> = Vec::new();
    // An old-format multi-line value being collected: its key and lines.
    let mut open: Option<(String, Vec<String>)> = None;
    for (n, line) in evidence.lines().enumerate() {
        let trimmed = line.trim();
        if n > 0 && (trimmed == "|" || trimmed.starts_with("| ")) {
            let text = trimmed.strip_prefix('|').unwrap_or("");
            let text = text.strip_prefix(' ').unwrap_or(text);
            match open.as_mut() {
                Some((_, lines)) => lines.push(text.to_string()),
                None => push_value_lines(&mut out, "", &unescape(text)),
            }
            continue;
        }
        if let Some((key, lines)) = open.take() {
            push_value_lines(&mut out, &key, &lines.join("\n"));
        }
        if trimmed.is_empty() {
            continue;
        }
        let (message, pairs) = split_pairs(if n == 0 { line } else { trimmed });
        let message = message.trim_end();
        if !message.is_empty() {
            if n == 0 {
                out.push(message.to_string());
            } else {
                out.push(format!("{INDENT}{message}"));
            }
        }
        for (key, value) in pairs {
            match value {
                // `key=` at the end of a line: an old-format value follows.
                None => open = Some((key, Vec::new())),
                Some(v) if ERROR_KEYS.contains(&key.as_str()) || v.contains('\n') => {
                    push_value_lines(&mut out, &key, &v)
                }
                Some(v) => values.push(format!("{key}={}", shown_value(&v))),
            }
        }
    }
    if let Some((key, lines)) = open.take() {
        push_value_lines(&mut out, &key, &lines.join("\n"));
    }
    if !values.is_empty() {
        out.push(format!("{INDENT}{}", values.join(" ")));
    }
    if out.is_empty() && !evidence.trim().is_empty() {
        out.push(evidence.trim().to_string());
    }
    out
}

/// The readable form as one text (lines joined with newlines).
pub fn readable_text(evidence: &str) -> String {
    readable(evidence).join("\n")
}

/// A value's lines, indented; a label first unless it is the error itself.
fn push_value_lines(out: &mut Vec<String>, key: &str, value: &str) {
    let labelled = !key.is_empty() && !ERROR_KEYS.contains(&key);
    if labelled {
        out.push(format!("{INDENT}{key}:"));
    }
    let base = if labelled { "    " } else { INDENT };
    for l in value.lines() {
        let l = l.trim_end();
        if l.trim().is_empty() {
            continue;
        }
        // Tabs nest a multi-error's items: keep the nesting, as spaces.
        let tabs = l.chars().take_while(|c| *c == '\t').count();
        let rest = &l[tabs..];
        out.push(format!("{base}{}{rest}", "  ".repeat(tabs)));
    }
}

/// A value as shown: a quoted one unquoted, a duration rounded.
fn shown_value(v: &str) -> String {
    round_duration(v).unwrap_or_else(|| {
        if v.contains(' ') {
            format!("\"{v}\"")
        } else {
            v.to_string()
        }
    })
}

/// Split an hclog line into its message and its `key=value` pairs. A value
/// is `None` when the key ends the line with nothing after `=` (an
/// old-format multi-line value follows on the next lines).
fn split_pairs(line: &str) -> (&str, Vec<(String, Option<String>)>) {
    let Some(start) = first_pair(line) else {
        return (line, Vec::new());
    };
    let message = &line[..start];
    let mut pairs = Vec::new();
    let mut rest = &line[start..];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some(eq) = key_len(rest) else {
            // Not pairs after all: the whole line is text.
            return (line, Vec::new());
        };
        let key = rest[..eq].to_string();
        let after = &rest[eq + 1..];
        if after.is_empty() {
            pairs.push((key, None));
            break;
        }
        if let Some(quoted) = after.strip_prefix('"') {
            let (value, used) = quoted_value(quoted);
            pairs.push((key, Some(value)));
            rest = &quoted[used..];
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            pairs.push((key, Some(after[..end].to_string())));
            rest = &after[end..];
        }
    }
    (message, pairs)
}

/// Where the first ` key=` of a line starts (after a space, a key of word
/// characters, `=` not followed by `>` or `=`).
fn first_pair(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if (i == 0 || b[i - 1] == b' ') && key_len(&line[i..]).is_some() {
            return Some(i);
        }
        i += 1;
        while i < b.len() && !line.is_char_boundary(i) {
            i += 1;
        }
    }
    None
}

/// The length of a `key` when `s` starts with `key=`.
fn key_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'@') {
        return None;
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'@'))
        .count();
    if b.get(n) != Some(&b'=') || matches!(b.get(n + 1), Some(b'=' | b'>')) {
        return None;
    }
    Some(n)
}

/// A quoted value (after its opening quote), unescaped, and the bytes it
/// used with its closing quote. An unterminated value runs to the end (a
/// clipped evidence).
fn quoted_value(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => {}
                Some((_, other)) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    (out, s.len())
}

/// Escapes in an old-format line (`\t` from a nested multi-error).
fn unescape(s: &str) -> String {
    quoted_value(&s.replace('"', "\\\"")).0
}

/// `233.367580501` (seconds) or `3m53.3675s` rounded to whole seconds in
/// Go's form (`3m53s`); `None` for anything that is not a duration, or one
/// already whole.
pub fn round_duration(v: &str) -> Option<String> {
    let secs = if let Ok(n) = v.parse::<f64>() {
        if !v.contains('.') {
            return None;
        }
        n
    } else {
        let s = go_duration_secs(v)?;
        if !v.contains('.') {
            return None;
        }
        s
    };
    if !(0.0..1e12).contains(&secs) {
        return None;
    }
    if secs < 1.0 {
        return Some(format!("{}ms", (secs * 1000.0).round() as u64));
    }
    let total = secs.round() as u64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    Some(match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    })
}

/// A Go duration (`1h2m3.5s`, `250ms`) in seconds.
fn go_duration_secs(v: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = v;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|n| *n > 0)?;
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let (unit, scale) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("ms", 1e-3),
            ("h", 3600.0),
            ("m", 60.0),
            ("s", 1.0),
        ]
        .into_iter()
        .find(|(u, _)| rest.starts_with(u))?;
        total += num * scale;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = r#"2026-11-28T10:00:30.000Z [ERROR] agent.auth.handler: error authenticating: error="Error making API request.\n\nURL: PUT https://vault.vault.svc:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* service account name not authorized" backoff=233.367580501"#;
    const OLD: &str = "2026-11-28T10:00:30.000Z [ERROR] agent.auth.handler: error authenticating:\n  error=\n  | Error making API request.\n  | \n  | URL: PUT https://vault.vault.svc:8200/v1/auth/kubernetes/login\n  | Code: 403. Errors:\n  | \n  | * service account name not authorized\n   backoff=233.367580501";

    #[test]
    fn old_and_new_formats_read_the_same() {
        let want = vec![
            "2026-11-28T10:00:30.000Z [ERROR] agent.auth.handler: error authenticating:",
            "  Error making API request.",
            "  URL: PUT https://vault.vault.svc:8200/v1/auth/kubernetes/login",
            "  Code: 403. Errors:",
            "  * service account name not authorized",
            "  backoff=3m53s",
        ];
        assert_eq!(readable(NEW), want);
        assert_eq!(readable(OLD), want);
    }

    #[test]
    fn a_multi_error_keeps_its_nesting_and_nothing_is_cut() {
        let e = r#"2026-11-28T10:00:40.060Z [ERROR] agent: runtime error encountered: error="template server: (dynamic): vault.read(secret/data/payments/invoices): Error making API request.\n\nURL: GET https://v:8200/v1/secret/data/payments/invoices\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n""#;
        let r = readable(e);
        assert_eq!(r.last().unwrap(), "    * permission denied", "{r:#?}");
        assert_eq!(r[4], "  * 1 error occurred:");
        assert!(r.iter().all(|l| !l.contains("\\n")), "{r:#?}");
    }

    #[test]
    fn plain_lines_and_events_pass_through() {
        let health = "sys/health: sealed=true, version 1.17.3";
        assert_eq!(
            readable(health),
            [health],
            "text that is not all pairs stays"
        );
        let event = "MountVolume.SetUp failed for volume \"x\" : rpc error: code = Unknown desc = failed\n\nURL: POST https://v/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* service account name not authorized";
        let r = readable(event);
        assert_eq!(
            r[0],
            "MountVolume.SetUp failed for volume \"x\" : rpc error: code = Unknown desc = failed"
        );
        assert_eq!(r[1], "  URL: POST https://v/v1/auth/kubernetes/login");
        assert_eq!(r.len(), 4);
        let rendered = r#"2026-11-28T10:00:01.212Z [INFO]  agent: (runner) rendered "(dynamic)" => "/vault/secrets/db-creds""#;
        assert_eq!(readable(rendered), [rendered]);
    }

    #[test]
    fn durations_round_to_whole_seconds() {
        assert_eq!(round_duration("233.367580501").as_deref(), Some("3m53s"));
        assert_eq!(round_duration("2.41s").as_deref(), Some("2s"));
        assert_eq!(round_duration("1h0m3.6s").as_deref(), Some("1h0m4s"));
        assert_eq!(round_duration("0.25").as_deref(), Some("250ms"));
        assert_eq!(round_duration("30s"), None, "already whole");
        assert_eq!(round_duration("1.17.3"), None);
        assert_eq!(round_duration("abc"), None);
    }

    #[test]
    fn a_clipped_quoted_value_is_kept() {
        let e = r#"2026-11-28T10:00:30.000Z [ERROR] agent: error="Error making API request.\n\nURL: GET https://v/v1/x\nCode: 4…"#;
        let r = readable(e);
        assert_eq!(r.last().unwrap(), "  Code: 4…");
    }
}
