//! Reading files that someone else may have made: a bundle, a theme, a CA
//! file. Only regular files are read (a FIFO would hang, `/dev/zero` never
//! ends), and never more than a cap, so a hostile file costs at most the cap.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("is a {0}, not a regular file")]
    NotAFile(&'static str),
    #[error("is larger than {} (the limit for this file)", human_bytes(*.0))]
    TooLarge(u64),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Encoding(String),
    #[error("is a link to {}, outside the bundle", .0.display())]
    Outside(PathBuf),
    #[error("is a link to {}, which does not exist", .0.display())]
    Dangling(PathBuf),
}

/// `1.0 MiB`, `64 KiB`, `12 bytes`.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    if n >= GIB {
        format!("{:.1} GiB", n as f64 / GIB as f64)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// What a file that is not a regular file is: "directory", "FIFO"...
pub fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
        if ft.is_socket() {
            return "socket";
        }
    }
    if ft.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Opens `path` only if it is a regular file (following symlinks). The open
/// itself cannot block: a FIFO swapped in after a check would otherwise wait
/// for a writer forever, so the type is checked on the opened handle.
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(meta.file_type())));
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(meta.file_type())));
    }
    Ok(file)
}

/// Where `path` really is, when that is inside `root` (canonical already). A
/// bundle may link between its own files, but a link out of it would let a
/// bundle someone sent read the rest of the machine into the report.
pub fn inside(root: &Path, path: &Path) -> Result<PathBuf, ReadError> {
    match std::fs::canonicalize(path) {
        Ok(real) if real.starts_with(root) => Ok(real),
        Ok(real) => Err(ReadError::Outside(real)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::read_link(path) {
            Ok(target) => Err(ReadError::Dangling(target)),
            Err(_) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The whole file, refused when it is larger than `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    // The size on disk can lie (a file still growing, /proc): read at most
    // one byte past the limit to know it was exceeded.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// At most the last `limit` bytes of the file, and how many bytes before them
/// were skipped. For logs, whose newest lines matter most.
pub fn read_tail(path: &Path, limit: u64) -> Result<(Vec<u8>, u64), ReadError> {
    let mut file = open_regular(path)?;
    let len = file.metadata()?.len();
    let skipped = len.saturating_sub(limit);
    if skipped > 0 {
        file.seek(SeekFrom::Start(skipped))?;
    }
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok((bytes, skipped))
}

/// Text from bytes as people's tools write it: UTF-8 with or without a byte
/// order mark, or UTF-16 with one (what a PowerShell `>` redirect writes).
/// Invalid UTF-8 is replaced, not refused: logs can hold anything.
pub fn decode_text(bytes: &[u8]) -> Result<String, ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        if !rest.len().is_multiple_of(2) {
            return Err(ReadError::Encoding(
                "UTF-16 text with an odd number of bytes".into(),
            ));
        }
        let units = rest.chunks_exact(2).map(|c| from([c[0], c[1]]));
        Ok(char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect())
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    // UTF-16 without a byte order mark: ASCII text then has a NUL in every
    // other byte. Say so instead of parsing NULs as text.
    let sample = &bytes[..bytes.len().min(512)];
    let nuls = sample.iter().filter(|b| **b == 0).count();
    if sample.len() >= 4 && nuls * 3 >= sample.len() {
        return Err(ReadError::Encoding(
            "looks like UTF-16 without a byte order mark; save it as UTF-8 (PowerShell: `| Out-File -Encoding utf8`)".into(),
        ));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Where `text` nests deeper than `limit` (the 1-based line), counting `[`
/// and `{`. Parsers pay for depth: serde's recursion limit fails only after
/// libyaml has scanned the whole text, and libyaml's scan costs the depth for
/// every token, so 200 KB of brackets took seconds and 600 KB over a minute.
/// This pass is linear, and refuses such text before any parser sees it.
///
/// For JSON the count is exact. For YAML it follows the tokens closely
/// enough: a bracket counts where a node may start (or anywhere inside a
/// flow collection), not inside quoted, plain or block scalars or comments.
pub fn nesting_over(text: &str, limit: usize) -> Option<usize> {
    let json = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '[']);
    if json {
        json_nesting_over(text.as_bytes(), limit)
    } else {
        yaml_nesting_over(text.as_bytes(), limit)
    }
}

fn json_nesting_over(b: &[u8], limit: usize) -> Option<usize> {
    let (mut depth, mut line, mut in_str, mut esc) = (0usize, 1, false, false);
    for &c in b {
        if c == b'\n' {
            line += 1;
        }
        if in_str {
            match c {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn yaml_nesting_over(b: &[u8], limit: usize) -> Option<usize> {
    let blank = |c: Option<&u8>| matches!(c, None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    let (mut depth, mut line, mut i) = (0usize, 1, 0);
    // A node may start here (line start, after an indicator, in a flow collection).
    let mut node = true;
    // The column a block scalar's content must pass, while in one.
    let mut block: Option<usize> = None;
    // The column of the current line's first key or node, past any `- `,
    // and of its last `-`.
    let (mut indent, mut dash) = (0, None);
    let (mut line_start, mut line_begin) = (true, 0);
    while i < b.len() {
        let c = b[i];
        if line_start {
            line_start = false;
            line_begin = i;
            let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
            let rest = b.get(i + spaces);
            if let Some(n) = block {
                if spaces > n || blank(rest) {
                    // Block scalar content: skip the line whatever it holds.
                    match b[i..].iter().position(|&c| c == b'\n') {
                        Some(p) => {
                            i += p + 1;
                            line += 1;
                            line_start = true;
                            continue;
                        }
                        None => break,
                    }
                }
                block = None;
            }
            indent = spaces;
            dash = None;
            let mut j = i + spaces;
            while b.get(j) == Some(&b'-') && blank(b.get(j + 1)) {
                dash = Some(j - i);
                j += 1;
                j += b[j..].iter().take_while(|&&c| c == b' ').count();
                indent = j - i;
            }
            if depth == 0 {
                node = true;
            }
        }
        match c {
            b'\n' => {
                line += 1;
                line_start = true;
            }
            b' ' | b'\t' | b'\r' => {}
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                i += b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .unwrap_or(b.len() - i);
                continue;
            }
            b'[' | b'{' if node || depth > 0 => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
                node = true;
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                node = false;
            }
            b',' if depth > 0 => node = true,
            b':' if depth > 0 || blank(b.get(i + 1)) => node = true,
            b'-' | b'?' if node && blank(b.get(i + 1)) => {}
            b'"' | b'\'' if node => {
                // A quoted scalar, perhaps over several lines.
                let mut j = i + 1;
                while j < b.len() {
                    match b[j] {
                        b'\\' if c == b'"' => j += 1,
                        b'\'' if c == b'\'' && b.get(j + 1) == Some(&b'\'') => j += 1,
                        q if q == c => break,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    j += 1;
                }
                i = j + 1;
                node = false;
                continue;
            }
            b'|' | b'>' if node && depth == 0 => {
                // Its content is the following lines indented past its
                // parent: the key on this line, or the `-` it follows.
                block = Some(match dash {
                    Some(d) if i - line_begin == indent => d,
                    _ => indent,
                });
                i += b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .unwrap_or(b.len() - i);
                continue;
            }
            b'&' | b'!' if node => {
                // An anchor or a tag: the node comes after it.
                i += b[i..].iter().take_while(|&&c| !blank(Some(&c))).count();
                continue;
            }
            _ => node = false,
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_capped(dir.path(), 10),
            Err(ReadError::NotAFile("directory"))
        ));
        assert!(matches!(
            read_capped(Path::new("/dev/zero"), 10),
            Err(ReadError::NotAFile("character device"))
        ));
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(matches!(
            read_capped(&fifo, 10),
            Err(ReadError::NotAFile("FIFO"))
        ));
    }

    #[test]
    fn caps_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::File::create(&p)
            .unwrap()
            .write_all(b"0123456789")
            .unwrap();
        assert_eq!(read_capped(&p, 10).unwrap(), b"0123456789");
        let err = read_capped(&p, 9).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge(9)));
        assert_eq!(
            err.to_string(),
            "is larger than 9 bytes (the limit for this file)"
        );
        assert_eq!(read_tail(&p, 4).unwrap(), (b"6789".to_vec(), 6));
        assert_eq!(read_tail(&p, 40).unwrap(), (b"0123456789".to_vec(), 0));
    }

    #[test]
    fn decodes_bom_and_utf16() {
        assert_eq!(
            decode_text(b"\xEF\xBB\xBFkind: List").unwrap(),
            "kind: List"
        );
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("kind: ü".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&le).unwrap(), "kind: ü");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("kind".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be).unwrap(), "kind");
        let no_bom: Vec<u8> = "kind: List"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let err = decode_text(&no_bom).unwrap_err().to_string();
        assert!(err.contains("UTF-16"), "{err}");
        assert_eq!(decode_text(b"plain \xff").unwrap(), "plain \u{fffd}");
    }

    #[test]
    fn nesting_is_measured_where_parsers_nest() {
        assert_eq!(nesting_over(r#"{"a": [[{"b": "[[[[[["}]]}"#, 4), None);
        assert_eq!(nesting_over(r#"{"a": [[{"b": "\"[[[["}]]}"#, 4), None);
        assert_eq!(nesting_over(r#"{"a": [[{"b": 1}]]}"#, 3), Some(1));
        assert_eq!(nesting_over("[\n[[[[", 4), Some(2));
        // kubectl's YAML: block style, brackets inside scalars.
        let yaml = "items:\n- kind: Pod\n  metadata: {name: a, labels: {x: y}}\n  message: back-off [[[[ x\n  quoted: \"[[[[\"\n  single: '[[['' [['\n  note: a # [[[[\n  template: |\n    {{{{ [[[[\n      [[[[\n\n    {{{{\n  next: [a, [b]]\n- |\n  [[[[\n";
        assert_eq!(nesting_over(yaml, 2), None);
        assert_eq!(nesting_over("a: 1\nb: &x !!seq [[[[", 3), Some(2));
        assert_eq!(nesting_over("- - [{a: [", 3), None);
        assert_eq!(nesting_over("- - [{a: [[", 3), Some(1));
    }
}
