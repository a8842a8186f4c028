//! The report in four forms: a table for people, JSON for scripts (its
//! shape is documented in README.md), SARIF 2.1.0 for code scanning, and
//! GitHub Actions workflow commands. Every string in a finding is redacted
//! already; each form escapes what its reader would otherwise interpret.

mod github;
mod sarif;
mod table;

use super::finding::Report;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Github,
}

/// The report as `format`; `color` only for the table on a terminal.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(report, color),
        Format::Json => {
            let mut s = crate::safe::to_json_pretty(report);
            s.push('\n');
            s
        }
        Format::Sarif => {
            let mut s = crate::safe::to_json_pretty(&sarif::log(report));
            s.push('\n');
            s
        }
        Format::Github => github::render(report),
    }
}
