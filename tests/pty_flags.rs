//! The dashboard's flags as a real terminal sees them. Colours: the theme's
//! background is painted under every cell, and 24-bit colour is sent only
//! when the terminal announces it (COLORTERM=truecolor or 24bit), otherwise
//! the nearest of the 256 indexed colours. A bundle's dashboard takes
//! `--as-of` and `-n` as `check` does.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 30;
const COLS: u16 = 120;

/// What the dashboard on a bundle sent, and the screen it made, up to the
/// first frame that shows `until`; then Ctrl-C.
fn run(theme: &str, colorterm: Option<&str>, until: &str) -> (String, vt100::Parser) {
    run_with(
        &["--from", "examples/broken-auth", "--theme", theme],
        colorterm,
        until,
    )
}

fn run_with(args: &[&str], colorterm: Option<&str>, until: &str) -> (String, vt100::Parser) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_vaultscope"));
    cmd.args(args);
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("COLORTERM");
    if let Some(v) = colorterm {
        cmd.env("COLORTERM", v);
    }
    let mut child = pty.slave.spawn_command(cmd).expect("spawn vaultscope");
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            o.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let screen = |bytes: &[u8]| {
        let mut p = vt100::Parser::new(
            std::num::NonZero::new(ROWS).unwrap(),
            std::num::NonZero::new(COLS).unwrap(),
            0,
        );
        p.process(bytes);
        p
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let bytes = out.lock().unwrap().clone();
        let p = screen(&bytes);
        if p.screen().contents().contains(until) {
            // Let the rest of the frame arrive.
            thread::sleep(Duration::from_millis(300));
            break screen(&out.lock().unwrap());
        }
        assert!(
            Instant::now() < deadline,
            "never showed {until:?}:\n{}",
            p.screen().contents()
        );
        thread::sleep(Duration::from_millis(50));
    };
    writer.write_all(b"\x03").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("vaultscope did not exit on Ctrl-C");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let sent = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    (sent, shown)
}

/// Cells left at the terminal's own background colour.
fn unpainted(p: &vt100::Parser) -> Vec<(u16, u16)> {
    let mut cells = Vec::new();
    for row in 0..ROWS {
        for col in 0..COLS {
            let cell = p.screen().cell(row, col).unwrap();
            if cell.bgcolor() == vt100::Color::Default || cell.fgcolor() == vt100::Color::Default {
                cells.push((row, col));
            }
        }
    }
    cells
}

#[test]
fn without_truecolor_the_nearest_256_colours_are_sent() {
    // light: background #eff1f5, nearest 255 (#eeeeee); text #4c4f69 → 240.
    for colorterm in [None, Some("256color"), Some("yes")] {
        let (sent, screen) = run("light", colorterm, "Workloads");
        assert!(
            !sent.contains("38;2;") && !sent.contains("48;2;"),
            "{colorterm:?}: 24-bit sent"
        );
        assert!(
            sent.contains("48;5;255"),
            "{colorterm:?}: no indexed background"
        );
        assert_eq!(unpainted(&screen), vec![], "{colorterm:?}");
        assert_eq!(
            screen.screen().cell(ROWS - 2, COLS - 2).unwrap().bgcolor(),
            vt100::Color::Idx(255)
        );
    }
}

#[test]
fn with_truecolor_the_themes_own_colours_are_sent_and_painted_everywhere() {
    for colorterm in ["truecolor", "24bit"] {
        for (theme, bg) in [
            ("light", (0xef, 0xf1, 0xf5)),
            ("projector", (0, 0, 0)),
            ("high-contrast", (0, 0, 0)),
            ("default", (0x1e, 0x1e, 0x2e)),
        ] {
            let (sent, screen) = run(theme, Some(colorterm), "Workloads");
            assert!(
                sent.contains(&format!("48;2;{};{};{}", bg.0, bg.1, bg.2)),
                "{theme}: background not sent"
            );
            assert_eq!(unpainted(&screen), vec![], "{theme} under {colorterm}");
            assert_eq!(
                screen.screen().cell(ROWS - 2, COLS - 2).unwrap().bgcolor(),
                vt100::Color::Rgb(bg.0, bg.1, bg.2),
                "{theme}"
            );
        }
    }
}

/// `--as-of` moves a bundle's clock (the header shows it, the countdowns
/// follow); `-n` shows one namespace and says so.
#[test]
fn a_bundle_dashboard_takes_as_of_and_a_namespace() {
    let (_, screen) = run_with(
        &[
            "--from",
            "examples/healthy-mixed",
            "--as-of",
            "2027-01-01T00:00:00Z",
        ],
        None,
        "Workloads",
    );
    let text = screen.screen().contents();
    // The header's clock is the bundle's moved clock; its second line says
    // where the time comes from (cut to the terminal's width).
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().contains("2027-01-01 00:00:00 UTC"),
        "{text}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .contains("bundle examples/healthy-mixed"),
        "{text}"
    );
    assert!(text.contains("lease.expired"), "{text}");
    let (_, screen) = run_with(
        &["--from", "examples/broken-auth", "-n", "shop"],
        None,
        "Workloads",
    );
    let text = screen.screen().contents();
    assert!(text.contains("namespace shop (-n)"), "{text}");
    assert!(
        text.contains("orders") && !text.contains("ledger"),
        "{text}"
    );
}
