//! SARIF 2.1.0 (OASIS), the format GitHub code scanning and GitLab read:
//! one run, one rule per code that occurs, one result per finding with its
//! file (a relative URI), line, and the object as a logical location.
//! tests/preflight.rs validates the output against the SARIF 2.1.0 schema.

use serde_json::{Value, json};

use crate::diagnose::Severity;

use super::super::finding::{Code, Report};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a URI reference: `/` separators, and every byte that is not
/// unreserved (RFC 3986) or `/` percent-encoded (`<stdin>` → `%3Cstdin%3E`).
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn log(r: &Report) -> Value {
    let mut codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.title() },
            })
        })
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let index = codes.iter().position(|c| *c == f.code).unwrap_or(0);
            let mut text = format!("{} Fix: {}", f.message, f.fix);
            if let Some(e) = &f.evidence {
                text.push_str(&format!(" (evidence: {e})"));
            }
            json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.file) },
                        "region": { "startLine": f.line.max(1) },
                    },
                    "logicalLocations": [{
                        "fullyQualifiedName": f.object,
                        "kind": "object",
                    }],
                }],
                "properties": {
                    "ring": f.ring.as_str(),
                    "object": f.object,
                    "fix": f.fix,
                },
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vaultscope",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "properties": { "rings": r.rings },
            }],
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("examples/manifests/good/web.yaml"),
            "examples/manifests/good/web.yaml"
        );
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("my dir\\a#b.yaml"), "my%20dir/a%23b.yaml");
    }
}
