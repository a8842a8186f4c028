//! Text that others control, made fit to show.
//!
//! Anyone who may create a pod writes its names and annotations, the agent
//! writes its log, controllers write events, and whatever answers on Vault's
//! address writes the responses. Such text reaches a terminal, a JSON
//! document or a capture only through this module:
//!
//! - [`redact`] removes secrets that people paste into logs and configs:
//!   Vault and OpenBao tokens, JWTs, `Bearer` and `X-Vault-Token` values,
//!   passwords in URLs and `password=`-style parameters. Paths, roles, finding
//!   codes and lease ids are kept: a diagnosis needs them.
//! - [`terminal`] redacts and then shows every control character as a
//!   visible escape (`\x1b`, `\u{202e}`): C0 (newlines too: only the layout
//!   writes those), DEL, C1 and the bidirectional overrides. This is the class
//!   of CVE-2021-25743, which kubectl fixed the same way.
//! - [`display_address`] shows a URL without its userinfo, query and
//!   fragment, where passwords and tokens hide.
//! - [`to_json_pretty`] writes JSON whose strings escape the same characters
//!   as `\u` escapes (serde escapes only C0).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Characters that must never reach a terminal raw: C0 controls, DEL, C1
/// controls (U+0080–U+009F: U+009B is a one-character CSI), the bidi marks
/// and overrides that make text read differently from its bytes, the line
/// and paragraph separators, and the zero-width no-break space (BOM).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Control characters shown as visible escapes; a tab becomes two spaces
/// (agents indent multi-error lists with tabs).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("  "),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Redacted, then with controls escaped: one line, fit for a terminal.
pub fn terminal(s: &str) -> Cow<'_, str> {
    match redact(s) {
        Cow::Borrowed(b) => escape_controls(b),
        Cow::Owned(o) => Cow::Owned(escape_controls(&o).into_owned()),
    }
}

/// Multi-line text (evidence, a multi-error) as safe lines: the newlines are
/// the layout's to write, so the text is split on them first (a trailing
/// `\r` of a CRLF file goes too).
pub fn terminal_lines(s: &str) -> impl Iterator<Item = Cow<'_, str>> {
    s.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .map(terminal)
}

/// An address (Vault's, the API server's) as shown to people: without
/// userinfo (a password), query (`?token=...`) or fragment, and without a
/// trailing `/`. What does not parse as a URL is cut at `?` or `#` and
/// redacted.
pub fn display_address(address: &str) -> String {
    match reqwest::Url::parse(address.trim()) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.as_str().trim_end_matches('/').to_string()
        }
        _ => {
            let cut = address.split(['?', '#']).next().unwrap_or_default();
            redact(cut).into_owned()
        }
    }
}

/// Names that hold a secret when written `name=value`. Matched as whole words,
/// case-insensitively; `token` alone is here because hclog and query strings
/// write `token=hvs...`.
const SECRET_KEYS: &str = r"password|passwd|pwd|secret|client_secret|secret_key|secret_id|token|access_token|refresh_token|id_token|api_key|apikey|private_key|credentials?";

/// Where a secret may start: a word boundary, or right after an escape
/// (`\n`, `\t`, `\u001b`, `\x1b`) that Go's `%q`, hclog, serde or Rust's
/// `{:?}` wrote in place of a control character: `...\nX-Vault-Token: ...`
/// has no word boundary before `X`, but a reader sees a new line there.
/// A URL's percent escape (`%20hvs...` in an address) starts one too.
const START: &str =
    r"(?:\\(?:[nrtfvb0]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]{1,6}\})|%[0-9a-fA-F]{2}|\b)";

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives = [
        // https://user:pass@host: the whole userinfo goes.
        format!(r#"(?P<url>{START}[A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@"'<>\\]+@"#),
        // X-Vault-Token: hvs..., Authorization: Bearer eyJ..., and the same
        // written as JSON or hclog (`"X-Vault-Token": "..."`, `token="..."`).
        // Tokens hold no backslash: one ends the value (hclog's `\nCode: 403`).
        format!(
            r#"(?P<header>(?i:{START}(?:x-vault-token|authorization)"?\s*[:=]\s*"?(?:bearer\s+|basic\s+)?))[^\s"',;\\]+"#
        ),
        format!(r"(?P<bearer>(?i:{START}bearer\s+))[A-Za-z0-9\-._~+/]{{8,}}=*"),
        // JSON web tokens (service account tokens among them): header.payload.signature.
        format!(r"(?P<jwt>{START})eyJ[A-Za-z0-9_\-]{{4,}}\.[A-Za-z0-9_\-]{{4,}}\.[A-Za-z0-9_\-]*"),
        // Vault 1.10+ tokens (service, batch, recovery) and the legacy ones
        // OpenBao still issues: s./b./r. followed by 24 characters.
        format!(r"(?P<token>{START}hv[sbr]\.)[A-Za-z0-9_\-]{{20,}}"),
        format!(r"(?P<legacy>{START}[sbr]\.)[A-Za-z0-9]{{24}}\b"),
        // "password": "..." in JSON.
        // A value cut before its closing quote (a quoted answer shortened) is
        // redacted to the end of the text.
        format!(r#"(?P<json>"(?i:{SECRET_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)"#),
        // The same inside a quoted string, its quotes escaped: hclog's
        // `error="{\"password\": \"...\"}"`, or JSON read and written again.
        format!(r#"(?P<ejson>\\"(?i:{SECRET_KEYS})\\"\s*:\s*)\\"(?:\\\\\\"|[^"\\]|\\[^"])*\\""#),
        // password=..., token="...", ?token=...&
        format!(
            r#"(?P<kv>(?i:{START}(?:{SECRET_KEYS}))\s*=\s*)(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s&,;"'\])}}]+)"#
        ),
        // password: ... in YAML and prose (not `token:`, which agents write
        // before an error: "failed to renew token: ...").
        format!(
            r"(?P<colon>(?i:{START}(?:password|passwd|client_secret|secret_key|api_key)):[ \t]*)\S+"
        ),
    ];
    Regex::new(&alternatives.join("|")).expect("redaction pattern compiles")
});

/// The key of another secret inside a matched value.
static NESTED_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i:{SECRET_KEYS})\s*[:=]")).expect("nested key pattern compiles")
});

/// Secrets removed: see the module documentation for what is and is not.
pub fn redact(s: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // Up to here `s` is copied or replaced into `out`.
    let mut done = 0;
    let mut at = 0;
    while let Some(c) = PATTERN.captures_at(s, at) {
        let whole = c.get(0).expect("a match has group 0");
        let (replacement, resume) = replace(&c, whole.as_str());
        out.push_str(&s[done..whole.start()]);
        out.push_str(&replacement);
        // A glued second secret resumes inside this match; never stall.
        let next = whole.start() + resume;
        done = next;
        at = if next > whole.start() {
            next
        } else {
            whole.end().max(at + 1)
        };
        if at > s.len() {
            break;
        }
    }
    if done == 0 && out.is_empty() {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[done.min(s.len())..]);
    Cow::Owned(out)
}

/// What replaces one match, and where (relative to its start) scanning
/// goes on: its end, or the key of a second secret glued to its value.
fn replace(c: &Captures, whole: &str) -> (String, usize) {
    let keep = |name: &str| c.name(name).map(|m| m.as_str());
    let done = whole.len();
    if let Some(k) = keep("url") {
        (format!("{k}{REDACTED}@"), done)
    } else if let Some(k) = keep("jwt") {
        (format!("{k}{REDACTED}"), done)
    } else if let Some(k) = keep("json") {
        (format!("{k}\"{REDACTED}\""), done)
    } else if let Some(k) = keep("ejson") {
        (format!("{k}\\\"{REDACTED}\\\""), done)
    } else if let Some(k) = ["header", "bearer", "token", "legacy", "kv", "colon"]
        .into_iter()
        .find_map(keep)
    {
        // A value runs to the next white space, so a second secret glued to
        // it (`auth/password=X/role/api_key: Y`, text built from two
        // annotations) would hide its key inside this one: redact up to
        // that key, and scan again from it.
        let value = &whole[k.len()..];
        match NESTED_KEY.find(value).filter(|m| m.start() > 0) {
            Some(m) => (format!("{k}{REDACTED}"), k.len() + m.start()),
            None => (format!("{k}{REDACTED}"), done),
        }
    } else {
        (REDACTED.to_string(), done)
    }
}

/// serde_json's pretty printer, with the characters serde leaves raw (C1,
/// bidi, separators) written as `\u` escapes too.
struct SafeFormatter(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                // Every unsafe character is in the Basic Multilingual Plane.
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Pretty JSON with every unsafe character escaped. Strings are written as
/// given: redact them before, where they come from others.
pub fn to_json_pretty<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        SafeFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser).expect("serializing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_becomes_visible() {
        let attack =
            "a\x1b]0;pwned\x07b\x1b]52;c;Y3VybA==\x07\x1b[2J\u{9b}31m\u{202e}gnp.exe\x7f\r\n";
        let safe = terminal(attack);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert_eq!(
            safe,
            "a\\x1b]0;pwned\\x07b\\x1b]52;c;Y3VybA==\\x07\\x1b[2J\\x9b31m\\u{202e}gnp.exe\\x7f\\r\\n"
        );
        assert_eq!(terminal("a\tb"), "a  b");
        assert!(matches!(terminal("plain / path"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_are_split_before_escaping() {
        let lines: Vec<_> = terminal_lines("one\r\ntwo\x1b\n\tthree").collect();
        assert_eq!(lines, ["one", "two\\x1b", "  three"]);
    }

    #[test]
    fn addresses_are_shown_without_userinfo_query_or_fragment() {
        for (address, shown) in [
            (
                "https://admin:hunter2@vault.example:8200/?token=abc#frag",
                "https://vault.example:8200",
            ),
            ("http://127.0.0.1:8200", "http://127.0.0.1:8200"),
            (
                "https://u@vault.example/prefix/?x=1",
                "https://vault.example/prefix",
            ),
            ("https://[::1]:8200/", "https://[::1]:8200"),
            ("https://10.0.0.1:6443/", "https://10.0.0.1:6443"),
            // Not URLs: cut and redacted all the same.
            ("http://u:pw@[::1?token=x", "http://<redacted>@[::1"),
            ("not a url#x", "not a url"),
            ("(captured)", "(captured)"),
        ] {
            assert_eq!(display_address(address), shown, "{address}");
        }
    }

    #[test]
    fn json_escapes_what_serde_leaves() {
        let s = to_json_pretty(&serde_json::json!({"m": "a\u{9b}b\u{202e}c\x1bd\u{2028}"}));
        assert_eq!(s, "{\n  \"m\": \"a\\u009bb\\u202ec\\u001bd\\u2028\"\n}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["m"], "a\u{9b}b\u{202e}c\x1bd\u{2028}");
    }

    #[test]
    fn redacts_each_form() {
        let cases = [
            (
                "GET https://admin:hunter2@vault.example:8200/v1/sys/health",
                "GET https://<redacted>@vault.example:8200/v1/sys/health",
            ),
            (
                "postgresql://vault:s3cr3t@db:5432/app?sslmode=disable",
                "postgresql://<redacted>@db:5432/app?sslmode=disable",
            ),
            (
                "token hvs.CAESIJlU9J7Pi6kX2lkqpDtVtD7SpVuhmvUjnDzA3kgrqcHnGh4KHGh2cy5WUzFJb2FOaWY5VmlpdlFObjBKYU5lbk0 leaked",
                "token hvs.<redacted> leaked",
            ),
            (
                "batch hvb.AAAAAQJ4cUKNbM0Fy9yBs3_l0Ymd",
                "batch hvb.<redacted>",
            ),
            (
                "legacy s.Xd3Q7tFMBfOiVr2HBphEIGsN and more",
                "legacy s.<redacted> and more",
            ),
            ("X-Vault-Token: hvs.abc", "X-Vault-Token: <redacted>"),
            // A percent escape before a token, as a URL writes a space.
            (
                "https://vault.example:8200/v1/sys/health%20hvs.Qq7ZkAAAAAAAAAAAAAAAAAAA",
                "https://vault.example:8200/v1/sys/health%20hvs.<redacted>",
            ),
            (
                r#"{"X-Vault-Token": "abcdef"}"#,
                r#"{"X-Vault-Token": "<redacted>"}"#,
            ),
            (
                "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                "Authorization: Bearer <redacted>",
            ),
            (
                "curl -H 'authorization: basic dXNlcjpwdw=='",
                "curl -H 'authorization: basic <redacted>'",
            ),
            (
                "jwt=eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJpc3MiOiJrdWJlcm5ldGVzIn0.sig-nature_",
                "jwt=<redacted>",
            ),
            (
                "url?role=web&token=abc123&x=1",
                "url?role=web&token=<redacted>&x=1",
            ),
            (
                r#"password="p a s s" user=bob"#,
                r#"password=<redacted> user=bob"#,
            ),
            (
                "--docker-password=Pa55w0rd!",
                "--docker-password=<redacted>",
            ),
            (
                "auth/password=pw1/role/api_key: k2 x",
                "auth/password=<redacted>api_key: <redacted> x",
            ),
            (
                r#"answer: {"password": "hunter2 cut he"#,
                r#"answer: {"password": "<redacted>""#,
            ),
            (
                r#"{"password":"x\"y","role":"web"}"#,
                r#"{"password":"<redacted>","role":"web"}"#,
            ),
            ("  password: hunter2", "  password: <redacted>"),
            (
                r#"error="{\"password\": \"hun\\\"ter2\", \"role\": \"web\"}""#,
                r#"error="{\"password\": \"<redacted>\", \"role\": \"web\"}""#,
            ),
            ("SECRET_KEY=abc", "SECRET_KEY=<redacted>"),
            // Escaped control characters before a secret, as Go's %q, hclog
            // and serde write them.
            (
                r#"msg="PUT x\nX-Vault-Token: abc" err="\thvs.CAESIJlU9J7Pi6kX2lkqpDtV" q="\npassword=x""#,
                r#"msg="PUT x\nX-Vault-Token: <redacted>" err="\thvs.<redacted>" q="\npassword=<redacted>""#,
            ),
            (
                r#"URL: PUT x\nX-Vault-Token: hvs.abc\nCode: 403"#,
                r#"URL: PUT x\nX-Vault-Token: <redacted>\nCode: 403"#,
            ),
            (
                r#"invalid type: string "\u001bs.Xd3Q7tFMBfOiVr2HBphEIGsN", \x1beyJhbGciOi.eyJzdWIi.c2ln"#,
                r#"invalid type: string "\u001bs.<redacted>", \x1b<redacted>"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn keeps_what_a_diagnosis_needs() {
        let keep = [
            "database/creds/readonly/IQKUMCTg3M5QTRZ0abV22xPm",
            "auth/kubernetes/role/ledger",
            r#"error="permission denied" path=secret/data/payments/ledger"#,
            "auth.service_account_not_authorized",
            "failed to renew token: Error making API request.",
            "[ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT http://vault.vault.svc:8200/v1/auth/kubernetes/login\\nCode: 403\"",
            r#"{{ with secret "database/creds/web" }}{{ .Data.password }}{{ end }}"#,
            "vault.hashicorp.com/agent-inject-secret-db: database/creds/web",
            "https://vault.example:8200/v1/sys/health",
            "pods.abcdefghijklmnopqrstuvwx",
        ];
        for s in keep {
            assert_eq!(redact(s), s);
        }
    }
}
