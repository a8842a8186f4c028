//! Reading files that someone else may have made: a bundle, a theme, a CA
//! file. Only regular files are read (a FIFO would hang, `/dev/zero` never
//! ends), and never more than a cap, so a hostile file costs at most the cap.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

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

fn kind_of(ft: std::fs::FileType) -> &'static str {
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
}
