//! Files that are not what they seem: FIFOs, devices and directories where a
//! file belongs, symlinks out of the bundle, byte order marks and UTF-16, and
//! nesting deep enough to make a parser slow. Each is a warning or a clear
//! error, never a hang, and never memory without end.
//!
//! Each test runs its body in a child process (this binary, running only that
//! test) under a memory limit and a deadline, so a regression that blocks on a
//! FIFO or reads /dev/zero fails the test instead of hanging the suite or
//! exhausting the machine.

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vaultscope::sources::bundle;
use vaultscope::theme;

const CHILD: &str = "VAULTSCOPE_HOSTILE_CHILD";
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `body` in a child process limited to 2 GiB of address space, failing
/// when it fails or outlives the deadline.
fn guarded(test: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some() {
        body();
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let log = |n: &str| fs::File::create(out.path().join(n)).unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 2097152 && exec "$0" "$@""#)
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .stdout(log("stdout"))
        .stderr(log("stderr"))
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let said = |n: &str| fs::read_to_string(out.path().join(n)).unwrap_or_default();
    let output = format!("{}{}", said("stdout"), said("stderr"));
    match status {
        None => panic!("{test}: still running after {DEADLINE:?}\n{output}"),
        Some(s) => assert!(s.success(), "{test}: {s}\n{output}"),
    }
}

use common::POD;

fn bundle_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("pods.yaml"), POD).unwrap();
    fs::create_dir_all(d.path().join("logs/shop/web-1")).unwrap();
    d
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

fn warnings(b: &bundle::Bundle) -> String {
    b.warnings.join("\n")
}

/// The bundle loads, and one warning names `file` and says `what`.
fn loads_with_warning(d: &Path, file: &str, what: &str) -> bundle::Bundle {
    let b = bundle::load(d).unwrap_or_else(|e| panic!("the rest should load: {e}"));
    let w = warnings(&b);
    assert!(
        b.warnings
            .iter()
            .any(|w| w.contains(file) && w.contains(what)),
        "no warning naming {file} with {what:?}:\n{w}"
    );
    b
}

fn log_of(b: bundle::Bundle, container: &str) -> Option<Vec<String>> {
    let (world, _) = b.into_world();
    world
        .log("shop", "web-1", container, false)
        .map(|l| l.lines().map(String::from).collect())
}

#[test]
fn a_log_linked_to_dev_zero_is_left_out() {
    guarded("a_log_linked_to_dev_zero_is_left_out", || {
        let d = bundle_dir();
        fs::write(d.path().join("logs/shop/web-1/ok.log"), "fine\n").unwrap();
        symlink("/dev/zero", d.path().join("logs/shop/web-1/app.log")).unwrap();
        symlink("/dev/urandom", d.path().join("logs/shop/web-1/b.log")).unwrap();
        let b = loads_with_warning(d.path(), "app.log", "");
        assert!(warnings(&b).contains("b.log"), "{}", warnings(&b));
        assert_eq!(log_of(b, "ok").unwrap(), ["fine"]);
    });
}

#[test]
fn a_fifo_log_is_left_out_without_waiting() {
    guarded("a_fifo_log_is_left_out_without_waiting", || {
        let d = bundle_dir();
        mkfifo(&d.path().join("logs/shop/web-1/app.log"));
        loads_with_warning(d.path(), "app.log", "FIFO");
    });
}

#[test]
fn a_directory_named_like_a_log_is_left_out() {
    guarded("a_directory_named_like_a_log_is_left_out", || {
        let d = bundle_dir();
        fs::create_dir_all(d.path().join("logs/shop/web-1/x.log")).unwrap();
        fs::write(d.path().join("logs/shop/web-1/app.log"), "fine\n").unwrap();
        let b = loads_with_warning(d.path(), "x.log", "directory");
        assert_eq!(log_of(b, "app").unwrap(), ["fine"]);
    });
}

#[test]
fn a_dangling_log_link_is_left_out() {
    guarded("a_dangling_log_link_is_left_out", || {
        let d = bundle_dir();
        symlink("/nonexistent/x", d.path().join("logs/shop/web-1/app.log")).unwrap();
        loads_with_warning(d.path(), "app.log", "");
    });
}

#[test]
fn links_out_of_the_bundle_are_refused() {
    guarded("links_out_of_the_bundle_are_refused", || {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.txt");
        fs::write(&secret, "not for a bundle\n").unwrap();
        let d = bundle_dir();
        symlink(&secret, d.path().join("logs/shop/web-1/app.log")).unwrap();
        let b = loads_with_warning(d.path(), "app.log", "outside the bundle");
        assert_eq!(log_of(b, "app"), None);

        // A link that stays inside is fine.
        let d = bundle_dir();
        fs::write(d.path().join("real.log"), "inside\n").unwrap();
        symlink(
            d.path().join("real.log"),
            d.path().join("logs/shop/web-1/app.log"),
        )
        .unwrap();
        let b = bundle::load(d.path()).unwrap();
        assert!(b.warnings.is_empty(), "{}", warnings(&b));
        assert_eq!(log_of(b, "app").unwrap(), ["inside"]);

        // The required file linked out is an error, not a warning.
        let d = tempfile::tempdir().unwrap();
        let pods = outside.path().join("pods.yaml");
        fs::write(&pods, POD).unwrap();
        symlink(&pods, d.path().join("pods.yaml")).unwrap();
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("pods.yaml") && e.contains("outside the bundle"),
            "{e}"
        );
    });
}

#[test]
fn a_huge_log_is_read_from_its_tail() {
    guarded("a_huge_log_is_read_from_its_tail", || {
        let d = bundle_dir();
        // 64 MiB of lines: more than any log is read, fewer than make a slow test.
        let line = format!("{:>99}\n", "x");
        let mut text = String::with_capacity(64 << 20);
        while text.len() < (64 << 20) - 32 {
            text.push_str(&line);
        }
        text.push_str("the last line\n");
        fs::write(d.path().join("logs/shop/web-1/app.log"), &text).unwrap();
        let b = loads_with_warning(d.path(), "app.log", "skipped");
        let lines = log_of(b, "app").unwrap();
        assert_eq!(lines.len(), vaultscope::model::logs::MAX_LOG_LINES);
        assert_eq!(lines.last().unwrap(), "the last line");
        // The line cut by the byte limit is dropped, not shown half.
        assert!(
            lines
                .iter()
                .all(|l| l == line.trim_end() || l == "the last line")
        );
    });
}

#[test]
fn a_required_file_that_is_not_a_file_says_what_it_is() {
    guarded("a_required_file_that_is_not_a_file_says_what_it_is", || {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("pods.yaml")).unwrap();
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("pods.yaml") && e.contains("directory") && !e.contains("missing"),
            "{e}"
        );
        let d = tempfile::tempdir().unwrap();
        mkfifo(&d.path().join("pods.json"));
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("pods.json") && e.contains("FIFO") && !e.contains("missing"),
            "{e}"
        );
        let d = tempfile::tempdir().unwrap();
        symlink("/dev/zero", d.path().join("pods.yaml")).unwrap();
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("pods.yaml") && !e.contains("missing"), "{e}");
    });
}

#[test]
fn optional_files_that_are_not_files_are_warnings() {
    guarded("optional_files_that_are_not_files_are_warnings", || {
        let d = bundle_dir();
        mkfifo(&d.path().join("vault.json"));
        fs::create_dir(d.path().join("events.yaml")).unwrap();
        mkfifo(&d.path().join("replicasets.yaml"));
        symlink("/dev/zero", d.path().join("bundle.json")).unwrap();
        let b = loads_with_warning(d.path(), "vault.json", "FIFO");
        let w = warnings(&b);
        assert!(w.contains("events.yaml") && w.contains("directory"), "{w}");
        assert!(w.contains("replicasets.yaml"), "{w}");
        assert!(w.contains("bundle.json"), "{w}");
        let (world, _) = b.into_world();
        assert_eq!(world.pod_count(), 1);
    });
}

#[test]
fn a_byte_order_mark_is_accepted() {
    guarded("a_byte_order_mark_is_accepted", || {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("pods.yaml"), format!("\u{feff}{POD}")).unwrap();
        fs::write(
            d.path().join("bundle.json"),
            "\u{feff}{\"captured_at\": \"2026-11-28T10:00:00Z\"}",
        )
        .unwrap();
        let b = bundle::load(d.path()).unwrap();
        assert!(b.captured_at.is_some());
        assert_eq!(b.into_world().0.pod_count(), 1);
        // JSON with a mark, as PowerShell's Out-File -Encoding utf8 writes it.
        let d = tempfile::tempdir().unwrap();
        fs::write(
            d.path().join("pods.json"),
            "\u{feff}{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}]}",
        )
        .unwrap();
        assert_eq!(
            bundle::load(d.path()).unwrap().into_world().0.pod_count(),
            1
        );
    });
}

#[test]
fn utf16_is_decoded_or_named() {
    guarded("utf16_is_decoded_or_named", || {
        let d = tempfile::tempdir().unwrap();
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(POD.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        fs::write(d.path().join("pods.yaml"), le).unwrap();
        assert_eq!(
            bundle::load(d.path()).unwrap().into_world().0.pod_count(),
            1
        );

        let d = tempfile::tempdir().unwrap();
        let no_bom: Vec<u8> = POD.encode_utf16().flat_map(u16::to_le_bytes).collect();
        fs::write(d.path().join("pods.yaml"), no_bom).unwrap();
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("pods.yaml") && e.contains("UTF-16"), "{e}");
    });
}

/// Loads `text` as `file` and expects a quick error that names the file and
/// the nesting.
fn deep_fails_fast(file: &str, text: &str) {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(file), text).unwrap();
    let start = Instant::now();
    let e = bundle::load(d.path()).unwrap_err().to_string();
    let took = start.elapsed();
    assert!(e.contains(file) && e.contains("nested"), "{e}");
    // Generous, so a slow CI machine cannot flake it: the quadratic parse
    // took minutes.
    assert!(took < Duration::from_secs(5), "{file}: took {took:?}");
}

#[test]
fn deep_nesting_fails_fast() {
    guarded("deep_nesting_fails_fast", || {
        let n = 100_000;
        deep_fails_fast(
            "pods.json",
            &format!("{{\"items\": {}{}}}", "[".repeat(n), "]".repeat(n)),
        );
        deep_fails_fast(
            "pods.yaml",
            &format!("items: {}{}\n", "[".repeat(n), "]".repeat(n)),
        );
        deep_fails_fast(
            "pods.yaml",
            &format!("items:\n- {}x: 1{}\n", "{a: ".repeat(n), "}".repeat(n)),
        );
        // Optional files are held to the same limit.
        let d = bundle_dir();
        fs::write(
            d.path().join("vault.json"),
            format!("{{\"leases\": {}{}}}", "[".repeat(n), "]".repeat(n)),
        )
        .unwrap();
        let start = Instant::now();
        let e = bundle::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("vault.json"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn a_file_is_not_a_bundle_directory() {
    guarded("a_file_is_not_a_bundle_directory", || {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a-file.txt");
        fs::write(&f, "hello\n").unwrap();
        let e = bundle::load(&f).unwrap_err().to_string();
        assert!(
            e.contains("a-file.txt") && e.contains("is a file, not a bundle directory"),
            "{e}"
        );
        let e = bundle::load(&d.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such directory"), "{e}");
    });
}

#[test]
fn a_theme_that_is_not_a_small_file_is_refused() {
    guarded("a_theme_that_is_not_a_small_file_is_refused", || {
        let e = theme::load("/dev/zero").unwrap_err().to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("not a regular file"),
            "{e}"
        );
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.toml");
        fs::write(&p, format!("# {}\n", "x".repeat(2 << 20))).unwrap();
        let e = theme::load(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("big.toml") && e.contains("larger than"), "{e}");
        let p = d.path().join("fifo.toml");
        mkfifo(&p);
        let e = theme::load(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("FIFO"), "{e}");
    });
}
