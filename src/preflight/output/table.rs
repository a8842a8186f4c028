//! The report for people: which rings ran, then each finding as
//! `file:line  severity  code  object`, its message, evidence and fix.

use std::fmt::Write as _;

use crate::diagnose::Severity;
use crate::safe::terminal;

use super::super::finding::Report;

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn severity(color: bool, s: Severity) -> String {
    match s {
        Severity::Error => paint(color, "31;1", "error  "),
        Severity::Warning => paint(color, "33;1", "warning"),
        Severity::Info => paint(color, "36", "info   "),
    }
}

pub fn render(r: &Report, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vaultscope preflight: {}",
        super::super::read_summary(r.objects, r.documents, r.files.len())
    );
    for ring in &r.rings {
        let mark = if ring.ran {
            paint(color, "32", "ran    ")
        } else {
            paint(color, "2", "skipped")
        };
        let _ = writeln!(
            out,
            "  ring {:<9} {mark}  {}",
            ring.ring.as_str(),
            terminal(&ring.detail)
        );
    }
    for f in &r.findings {
        let _ = writeln!(
            out,
            "\n{}:{}  {}  {}  {}",
            terminal(&f.file),
            f.line,
            severity(color, f.severity),
            paint(color, "1", f.code.as_str()),
            terminal(&f.object)
        );
        let _ = writeln!(out, "  {}", terminal(&f.message));
        if let Some(e) = &f.evidence {
            let _ = writeln!(out, "  {} {}", paint(color, "2", "evidence:"), terminal(e));
        }
        let _ = writeln!(out, "  {} {}", paint(color, "2", "fix:"), terminal(&f.fix));
    }
    let (e, w, i) = (
        r.count(Severity::Error),
        r.count(Severity::Warning),
        r.count(Severity::Info),
    );
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let _ = writeln!(
        out,
        "\n{}, {}, {}",
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings"),
        plural(i, "note", "notes")
    );
    out
}
