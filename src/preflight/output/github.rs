//! GitHub Actions workflow commands: one `::error file=…,line=…,title=…::…`
//! line per finding, which the runner shows as an annotation on the line.
//!
//! A command is one line, and the runner reads `::` and newlines in it as
//! syntax: the data part escapes `%`, CR and LF, property values also `:`
//! and `,` (the escaping of actions/toolkit `command.ts`). A finding can
//! therefore not start a command of its own (`::add-mask::`, `::stop-commands::`).

use std::fmt::Write as _;

use crate::diagnose::Severity;
use crate::safe::escape_controls;

use super::super::finding::Report;

fn data(s: &str) -> String {
    // Controls other than CR/LF are made visible first, as for a terminal.
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape_controls(&s).into_owned()
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut text = format!("{}: {}\nFix: {}", f.object, f.message, f.fix);
        if let Some(e) = &f.evidence {
            let _ = write!(text, "\nEvidence: {e}");
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},title={}::{}",
            property(&f.file),
            f.line,
            property(&format!("{} ({})", f.code, f.object)),
            data(&text)
        );
    }
    let rings: Vec<String> = r
        .rings
        .iter()
        .map(|g| {
            format!(
                "{} {}",
                g.ring.as_str(),
                if g.ran { "ran" } else { "skipped" }
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "::notice title=vaultscope preflight::{}",
        data(&format!(
            "{} errors, {} warnings in {} objects; rings: {}",
            r.count(Severity::Error),
            r.count(Severity::Warning),
            r.objects,
            rings.join(", ")
        ))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_can_start_a_command_of_its_own() {
        let s = data("50% done\n::add-mask::x\r\x1b[31m");
        assert_eq!(s, "50%25 done%0A::add-mask::x%0D\\x1b[31m");
        assert!(!s.contains('\n'));
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
