//! Where manifests come from: files, directories (read recursively, as
//! `kubectl apply -R -f` does: `.yaml`, `.yml` and `.json` files) and stdin.
//! Everything is read within caps: one file, all of them together, and the
//! number of files, so `-f /` or a stray `/dev/zero` costs little.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bounded::{self, ReadError, human_bytes};

/// One file's largest size (a `helm template` of a big chart is a few MB).
pub const FILE_CAP: u64 = 64 << 20;
/// All inputs together.
pub const TOTAL_CAP: u64 = 256 << 20;
/// Files found in directories.
pub const MAX_FILES: usize = 10_000;
/// Directory levels below a directory given with -f.
const MAX_DIR_DEPTH: usize = 32;
/// As the bundle loader: nesting past this is refused before parsing.
pub const MAX_NESTING: usize = 100;

/// The name stdin is shown under.
pub const STDIN: &str = "<stdin>";

/// One input's text and the name findings show for it.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as given (or found under a given directory), or `<stdin>`.
    pub name: String,
    pub text: String,
}

fn manifest_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// The files under `dir`, sorted, without following links to directories
/// (a link loop would never end) and skipping hidden ones (`.git`).
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > MAX_DIR_DEPTH {
        return Err(format!(
            "{}: more than {MAX_DIR_DEPTH} directory levels",
            dir.display()
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    paths.sort();
    for p in paths {
        let meta = std::fs::symlink_metadata(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(&p, depth + 1, out)?;
        } else if manifest_file(&p) {
            if out.len() >= MAX_FILES {
                return Err(format!(
                    "{}: more than {MAX_FILES} manifest files; point -f at a smaller directory",
                    dir.display()
                ));
            }
            out.push(p);
        }
    }
    Ok(())
}

fn read_error(name: &str, e: ReadError) -> String {
    format!("{name}: {e}")
}

/// The text of one input, refused when it nests too deeply.
fn text_of(name: &str, bytes: &[u8]) -> Result<String, String> {
    let text = bounded::decode_text(bytes).map_err(|e| read_error(name, e))?;
    if let Some(line) = bounded::nesting_over(&text, MAX_NESTING) {
        return Err(format!(
            "{name}: line {line}: nested deeper than {MAX_NESTING} levels; not a manifest vaultscope reads"
        ));
    }
    Ok(text)
}

/// Read every `-f` argument (`-` is stdin, read from `stdin`), in order.
pub fn read_all(args: &[PathBuf], stdin: impl Read) -> Result<Vec<Input>, String> {
    if args.is_empty() {
        return Err("no input: give -f FILE, -f DIR or -f - (stdin)".into());
    }
    if args.iter().filter(|a| a.as_os_str() == "-").count() > 1 {
        return Err("-f - (stdin) can be given once".into());
    }
    let mut files: Vec<(String, Option<PathBuf>)> = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            files.push((STDIN.to_string(), None));
            continue;
        }
        let meta = std::fs::metadata(a).map_err(|e| format!("-f {}: {e}", a.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(a, 0, &mut found)?;
            if found.is_empty() {
                return Err(format!(
                    "-f {}: no .yaml, .yml or .json file in this directory",
                    a.display()
                ));
            }
            files.extend(
                found
                    .into_iter()
                    .map(|p| (p.display().to_string(), Some(p))),
            );
        } else {
            files.push((a.display().to_string(), Some(a.clone())));
        }
    }
    let mut stdin = Some(stdin);
    let mut total: u64 = 0;
    let mut out = Vec::with_capacity(files.len());
    for (name, path) in files {
        let bytes = match path {
            Some(p) => bounded::read_capped(&p, FILE_CAP).map_err(|e| read_error(&name, e))?,
            None => {
                let mut bytes = Vec::new();
                let Some(s) = stdin.take() else {
                    return Err("-f - (stdin) can be given once".into());
                };
                s.take(FILE_CAP + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("{STDIN}: {e}"))?;
                if bytes.len() as u64 > FILE_CAP {
                    return Err(format!(
                        "{STDIN}: more than {} (the limit for one input)",
                        human_bytes(FILE_CAP)
                    ));
                }
                bytes
            }
        };
        total += bytes.len() as u64;
        if total > TOTAL_CAP {
            return Err(format!(
                "{name}: the inputs together are larger than {}",
                human_bytes(TOTAL_CAP)
            ));
        }
        let text = text_of(&name, &bytes)?;
        out.push(Input { name, text });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_read_recursively_and_sorted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join("b/c/z.yml"), "kind: A\n").unwrap();
        std::fs::write(d.path().join("a.json"), "{}").unwrap();
        std::fs::write(d.path().join("README.md"), "no").unwrap();
        std::fs::write(d.path().join(".git/x.yaml"), "kind: Hidden\n").unwrap();
        let got = read_all(&[d.path().to_path_buf()], std::io::empty()).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|i| {
                Path::new(&i.name)
                    .strip_prefix(d.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, vec!["a.json", "b/c/z.yml"]);
    }

    #[test]
    fn stdin_once_and_errors_name_the_input() {
        let got = read_all(&[PathBuf::from("-")], &b"kind: Pod\n"[..]).unwrap();
        assert_eq!(got[0].name, STDIN);
        assert!(read_all(&[PathBuf::from("-"), PathBuf::from("-")], std::io::empty()).is_err());
        let e = read_all(&[PathBuf::from("/nonexistent/x.yaml")], std::io::empty()).unwrap_err();
        assert!(e.contains("/nonexistent/x.yaml"), "{e}");
        let deep = "[".repeat(200);
        let e = read_all(&[PathBuf::from("-")], deep.as_bytes()).unwrap_err();
        assert!(e.contains("<stdin>: line 1: nested deeper"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let e = read_all(&[d.path().to_path_buf()], std::io::empty()).unwrap_err();
        assert!(e.contains("no .yaml"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused() {
        let e = read_all(&[PathBuf::from("/dev/zero")], std::io::empty()).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
