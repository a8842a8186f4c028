//! The crate's layers, checked on every file under src/.
//!
//! `sources` observe, the pure `model` holds what they saw, `diagnose` judges
//! it and `report`/`ui` show the verdict. An import that points the other way
//! compiles fine and quietly makes a cycle (model → diagnose → model did), so
//! this test reads the source and fails on any path that crosses a layer
//! wrongly: `use crate::x`, `crate::x::y` inside code, grouped
//! `use crate::{x, y}` and `super::super::` climbing out of a module.
//!
//! Also the test tree's own wiring: each live test binary's count of the
//! tests that share its lab.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Pure helpers that anything may use; they use only each other.
const LEAVES: &[&str] = &["safe", "clock", "bounded"];

enum Allowed {
    /// Only these top-level modules (a new module is forbidden until a rule
    /// says otherwise).
    Only(&'static [&'static str]),
    /// Anything but these.
    Not(&'static [&'static str]),
}

struct Rule {
    layer: &'static str,
    allowed: Allowed,
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        layer: "model",
        allowed: Allowed::Only(&["model", "safe"]),
        why: "the model is the base: plain data and pure functions, it imports nothing of ours above it (and reads no clock, does no I/O)",
    },
    Rule {
        layer: "diagnose",
        allowed: Allowed::Only(&["diagnose", "model", "safe"]),
        why: "diagnosis is pure over the model: it imports the model only",
    },
    Rule {
        layer: "sources",
        allowed: Allowed::Not(&[
            "app",
            "ui",
            "diagnose",
            "report",
            "theme",
            "cli",
            "session",
            "dashboard",
        ]),
        why: "sources turn the outside world into model observations; they never reach up into diagnosis, the app or presentation",
    },
    Rule {
        layer: "preflight",
        allowed: Allowed::Not(&[
            "app",
            "ui",
            "dashboard",
            "session",
            "cli",
            "report",
            "theme",
        ]),
        why: "preflight reads manifests and asks the sources, and reuses the model and diagnosis; which sources run is session's to decide, and it draws nothing",
    },
    Rule {
        layer: "app",
        allowed: Allowed::Not(&["ui", "dashboard", "session", "report", "cli"]),
        why: "the app is state and key handling: drawing and the event loop sit above it, and it reaches the sources only through Request values",
    },
    Rule {
        layer: "ui",
        allowed: Allowed::Not(&["sources", "session", "dashboard"]),
        why: "the dashboard draws one frame's view (app::Ctx); it never talks to a source or runs the loop",
    },
    Rule {
        layer: "safe",
        allowed: Allowed::Only(LEAVES),
        why: "leaf utilities use only each other",
    },
    Rule {
        layer: "clock",
        allowed: Allowed::Only(LEAVES),
        why: "leaf utilities use only each other",
    },
    Rule {
        layer: "bounded",
        allowed: Allowed::Only(LEAVES),
        why: "leaf utilities use only each other",
    },
];

impl Rule {
    fn allows(&self, target: &str) -> bool {
        match self.allowed {
            Allowed::Only(list) => target != "*" && list.contains(&target),
            Allowed::Not(list) => target != "*" && !list.contains(&target),
        }
    }

    fn names(&self) -> impl Iterator<Item = &'static str> {
        let list = match self.allowed {
            Allowed::Only(l) | Allowed::Not(l) => l,
        };
        std::iter::once(self.layer).chain(list.iter().copied())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Rust source as tokens, without comments, strings and char literals (a
/// doc comment that mentions `crate::diagnose` is no import).
fn tokens(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += c[from..to.min(c.len())]
            .iter()
            .filter(|&&ch| ch == '\n')
            .count();
    };
    // The end of a quoted string starting after the opening quote at `i`.
    let string_end = |mut i: usize| {
        while i < c.len() {
            match c[i] {
                '\\' => i += 2,
                '"' => return i + 1,
                _ => i += 1,
            }
        }
        c.len()
    };
    // The end of a raw string whose `#`s (if any) start at `i`.
    let raw_string_end = |mut i: usize| {
        let mut hashes = 0;
        while i < c.len() && c[i] == '#' {
            hashes += 1;
            i += 1;
        }
        i += 1; // the opening quote
        while i < c.len() {
            if c[i] == '"'
                && c[i + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&h| h == '#')
                    .count()
                    == hashes
            {
                return i + 1 + hashes;
            }
            i += 1;
        }
        c.len()
    };
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let start = i;
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count_lines(start, i, &mut line);
        } else if ch == '"' {
            let end = string_end(i + 1);
            count_lines(i, end, &mut line);
            i = end;
        } else if ch == '\'' {
            if next == Some('\\') {
                // An escaped char literal: '\n', '\'', '\u{1F600}'.
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                // A lifetime or label; its name follows as an identifier.
                out.push(Token {
                    tok: Tok::Other('\''),
                    line,
                });
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let after = c.get(i).copied();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix
                && (after == Some('"')
                    || after == Some('#') && matches!(c.get(i + 1), Some('"' | '#')))
            {
                let end = raw_string_end(i);
                count_lines(i, end, &mut line);
                i = end;
            } else if matches!(word.as_str(), "b" | "c") && after == Some('"') {
                let end = string_end(i + 1);
                count_lines(i, end, &mut line);
                i = end;
            } else if word == "r" && after == Some('#') {
                // A raw identifier, `r#crate`: the name is what follows.
                i += 1;
            } else if word == "b" && after == Some('\'') {
                // A byte literal; the quote is handled next round.
            } else {
                out.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
            }
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
        } else {
            let tok = match ch {
                ':' if next == Some(':') => {
                    i += 1;
                    Tok::PathSep
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                other => Tok::Other(other),
            };
            out.push(Token { tok, line });
            i += 1;
        }
    }
    out
}

/// A top-level module of the crate that a path reaches, and where.
#[derive(Debug, Clone, PartialEq)]
struct Reach {
    line: usize,
    /// `*` for a glob of the crate root.
    target: String,
}

fn is_ident(t: Option<&Token>, name: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Ident(n), .. }) if n == name)
}

fn is(t: Option<&Token>, tok: &Tok) -> bool {
    t.is_some_and(|t| &t.tok == tok)
}

/// The top-level modules named right after a path that has reached the
/// crate root at `pos`: `x` in `crate::x::y`, `x` and `y` in
/// `crate::{x::a, y::{b, c}}`.
fn roots_at(t: &[Token], pos: usize, out: &mut Vec<Reach>) {
    let Some(first) = t.get(pos) else { return };
    match &first.tok {
        Tok::Ident(name) => out.push(Reach {
            line: first.line,
            target: name.clone(),
        }),
        Tok::Other('*') => out.push(Reach {
            line: first.line,
            target: "*".into(),
        }),
        Tok::Open => {
            let mut level = 0;
            let mut item_start = true;
            for tok in &t[pos..] {
                match &tok.tok {
                    Tok::Open => {
                        level += 1;
                        item_start = level == 1;
                        continue;
                    }
                    Tok::Close => {
                        level -= 1;
                        if level == 0 {
                            return;
                        }
                    }
                    Tok::Comma if level == 1 => {
                        item_start = true;
                        continue;
                    }
                    Tok::Ident(name) if item_start && level == 1 && name != "self" => {
                        out.push(Reach {
                            line: tok.line,
                            target: name.clone(),
                        })
                    }
                    Tok::Other('*') if item_start && level == 1 => out.push(Reach {
                        line: tok.line,
                        target: "*".into(),
                    }),
                    _ => {}
                }
                item_start = false;
            }
        }
        _ => {}
    }
}

/// Every top-level module that the code of one file reaches, for a file
/// whose module sits `depth` levels below the crate root
/// (`src/model/mod.rs` is 1, `src/model/pod.rs` is 2).
fn reaches(src: &str, depth: usize) -> Vec<Reach> {
    let t = tokens(src);
    let mut out = Vec::new();
    let mut braces = 0usize;
    // Brace levels at which inline `mod name { ... }` blocks were opened:
    // each puts the code inside one `super` further from the root.
    let mut inline_mods: Vec<usize> = Vec::new();
    for i in 0..t.len() {
        let prev = i.checked_sub(1).and_then(|p| t.get(p));
        match &t[i].tok {
            Tok::Open => {
                braces += 1;
                if i >= 2 && is_ident(t.get(i - 2), "mod") && matches!(t[i - 1].tok, Tok::Ident(_))
                {
                    inline_mods.push(braces);
                }
            }
            Tok::Close => {
                if inline_mods.last() == Some(&braces) {
                    inline_mods.pop();
                }
                braces = braces.saturating_sub(1);
            }
            Tok::Ident(w)
                if w == "crate"
                    && is(t.get(i + 1), &Tok::PathSep)
                    && !is(prev, &Tok::Other('$'))
                    && !is(prev, &Tok::PathSep) =>
            {
                roots_at(&t, i + 2, &mut out);
            }
            Tok::Ident(w) if w == "super" && !is(prev, &Tok::PathSep) => {
                let mut j = i;
                let mut supers = 0;
                while is_ident(t.get(j), "super") && is(t.get(j + 1), &Tok::PathSep) {
                    supers += 1;
                    j += 2;
                }
                if supers > 0 && supers == depth + inline_mods.len() {
                    roots_at(&t, j, &mut out);
                }
            }
            _ => {}
        }
    }
    out
}

/// The top-level module a file belongs to and its depth below the crate
/// root; `None` for the crate root and for binaries (their `crate` is
/// another crate).
fn module_of(rel: &Path) -> Option<(String, usize)> {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let file = parts.last()?;
    if parts.len() == 1 {
        let stem = file.strip_suffix(".rs")?;
        return (!matches!(stem, "lib" | "main")).then(|| (stem.to_string(), 1));
    }
    if parts[0] == "bin" {
        return None;
    }
    let depth = if file == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    };
    Some((parts[0].clone(), depth))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The crate's top-level modules, as src/lib.rs declares them.
fn top_level_modules(src: &Path) -> Vec<String> {
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let t = tokens(&lib);
    t.windows(3)
        .filter_map(|w| match (&w[0].tok, &w[1].tok, &w[2].tok) {
            (Tok::Ident(m), Tok::Ident(name), Tok::Other(';')) if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn violations(rel: &Path, src: &str) -> Vec<String> {
    let Some((layer, depth)) = module_of(rel) else {
        return Vec::new();
    };
    let Some(rule) = RULES.iter().find(|r| r.layer == layer) else {
        return Vec::new();
    };
    reaches(src, depth)
        .into_iter()
        .filter(|r| r.target != layer && !rule.allows(&r.target))
        .map(|r| {
            let what = if r.target == "*" {
                "a glob of the crate root".to_string()
            } else {
                format!("crate::{}", r.target)
            };
            format!(
                "src/{}:{}: {layer} uses {what}, which the {layer} layer may not: {}",
                rel.display(),
                r.line,
                rule.why
            )
        })
        .collect()
}

#[test]
fn no_file_crosses_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = top_level_modules(&src);
    // A renamed module would make its rule vacuous rather than failing.
    for rule in RULES {
        for name in rule.names() {
            assert!(
                modules.iter().any(|m| m == name),
                "the layer rules name `{name}`, which src/lib.rs no longer declares: update RULES"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut report = String::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let text = fs::read_to_string(path).unwrap();
        if module_of(rel).is_some() {
            checked += 1;
        }
        for v in violations(rel, &text) {
            let _ = writeln!(report, "{v}");
        }
    }
    assert!(checked > 20, "only {checked} files under src/ were checked");
    assert!(report.is_empty(), "layer rules broken:\n{report}");
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let src = r##"//! Mentions crate::diagnose in a doc comment: not an import.
use crate::model::World;
use crate::{
    safe,
    diagnose::{self, Report},
};
use super::super::ui::Thing;
fn f() {
    let s = "crate::app::App in a string";
    let r = r#"crate::report"#;
    let c = '{';
    /* crate::theme in a /* nested */ block comment */
    crate::sources::kube::go();
}
mod tests {
    use super::super::super::cli;
    use super::super::report;
}
"##;
    // The file is src/model/x.rs: two `super`s reach the root, three inside `mod tests`.
    let got: Vec<(usize, String)> = reaches(src, 2)
        .into_iter()
        .map(|r| (r.line, r.target))
        .collect();
    let want: Vec<(usize, String)> = [
        (2, "model"),
        (4, "safe"),
        (5, "diagnose"),
        (7, "ui"),
        (13, "sources"),
        (16, "cli"),
    ]
    .into_iter()
    .map(|(l, t)| (l, t.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn a_forbidden_import_is_reported_with_file_line_and_rule() {
    let v = violations(
        Path::new("model/interest.rs"),
        "use super::paths::normalize_path;\nfn f() { crate::diagnose::diagnose(); }\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("src/model/interest.rs:2: model uses crate::diagnose"),
        "{}",
        v[0]
    );
    assert!(
        v[0].contains("imports nothing of ours above it"),
        "{}",
        v[0]
    );
    // The same file at the crate root's level (`super` from src/model/mod.rs).
    let v = violations(Path::new("model/mod.rs"), "use super::app::App;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(violations(Path::new("ui/pane.rs"), "use crate::sources::demo;\n").len() == 1);
    assert!(
        violations(
            Path::new("sources/kube/logs.rs"),
            "use crate::{model, app::App};\n"
        )
        .len()
            == 1
    );
    assert!(
        violations(
            Path::new("diagnose/rules.rs"),
            "use crate::model::pod::PodInfo;\n"
        )
        .is_empty()
    );
    assert!(violations(Path::new("main.rs"), "use crate::anything;\n").is_empty());
}

/// A test binary that shares one lab stops it when its last lab test is
/// done, by a count written in the file: a test added without the count
/// would find the lab gone (or leave it running). Each count is the number
/// of tests that take the lab.
#[test]
fn each_shared_lab_counts_the_tests_that_use_it() {
    let cases = [
        ("kube_live.rs", "const TESTS: usize = ", "= lab();"),
        ("vault_live.rs", "const TESTS: usize = ", "= lab();"),
        ("real_lab.rs", "const TESTS: usize = ", "= lab();"),
        ("preflight_cluster.rs", "const TESTS: usize = ", "= lab();"),
        ("preflight.rs", "const LAB_TESTS: usize = ", "= lab();"),
        ("auth_backend_live.rs", "const TESTS: usize = ", "= labs();"),
    ];
    for (file, decl, user) in cases {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(file);
        let src = std::fs::read_to_string(&path).unwrap();
        let declared: usize = src
            .lines()
            .find_map(|l| l.strip_prefix(decl))
            .and_then(|rest| rest.trim_end_matches(';').parse().ok())
            .unwrap_or_else(|| panic!("{file}: no `{decl}N;`"));
        let users = src.matches(user).count();
        assert_eq!(
            declared, users,
            "{file}: {decl}{declared}; but {users} tests take the lab (`{user}`)"
        );
    }
}
