//! The real binary in a pseudo-terminal: the demo starts, shows workloads,
//! opens a pane, filters and quits; and the terminal is restored on quit,
//! error, panic, SIGINT and SIGTERM.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 140;

struct Session {
    master: Box<dyn MasterPty + Send>,
    slave: Box<dyn portable_pty::SlavePty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Session {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Session {
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
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env("RUST_BACKTRACE", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn vaultscope");
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(ROWS).unwrap(),
            std::num::NonZero::new(COLS).unwrap(),
            0,
        )));
        let (o, s) = (output.clone(), screen.clone());
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o.lock().unwrap().extend_from_slice(&buf[..n]);
                s.lock().unwrap().process(&buf[..n]);
            }
        });
        Session {
            master: pty.master,
            slave: pty.slave,
            child,
            writer,
            output,
            screen,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(what) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "screen never showed {what:?}; it shows:\n{}",
            self.contents()
        );
    }

    fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Let the reader drain what the process wrote last.
                thread::sleep(Duration::from_millis(200));
                return st;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("vaultscope did not exit; screen:\n{}", self.contents());
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.process_id().expect("pid");
        let ok = std::process::Command::new("kill")
            .args([format!("-{sig}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// The terminal is back to normal: alternate screen left after it was
    /// entered, cursor shown, and the line discipline cooked again.
    fn assert_restored(&mut self) {
        let out = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        let entered = out
            .rfind("\x1b[?1049h")
            .expect("entered the alternate screen");
        let left = out.rfind("\x1b[?1049l").expect("left the alternate screen");
        assert!(left > entered, "left the alternate screen last");
        assert!(out[entered..].contains("\x1b[?25h"), "cursor shown again");
        // Ask the same terminal for its settings: raw mode is off.
        let mut cmd = CommandBuilder::new("stty");
        cmd.arg("-a");
        let before = self.output.lock().unwrap().len();
        let mut stty = self.slave.spawn_command(cmd).expect("run stty");
        stty.wait().unwrap();
        thread::sleep(Duration::from_millis(200));
        let settings = String::from_utf8_lossy(&self.output.lock().unwrap()[before..]).into_owned();
        assert!(
            settings.contains(" icanon"),
            "canonical mode restored: {settings}"
        );
        assert!(settings.contains(" echo "), "echo restored: {settings}");
        let _ = &self.master;
    }
}

#[test]
fn demo_end_to_end_then_quit() {
    let mut s = Session::start(&["demo", "--speed", "3"], &[]);
    s.wait_for("DEMO");
    s.wait_for("Workloads (13)");
    for w in ["billing-api", "ledger", "cart", "legacy-web", "catalog"] {
        s.wait_for(w);
    }
    // Open the selected (worst) workload's pane, then go back.
    s.keys("\r");
    s.wait_for("Findings");
    s.wait_for(" Log ");
    s.keys("\x1b");
    s.wait_for("WORST FINDING");
    // Filter.
    s.keys("/catalog\r");
    s.wait_for("Workloads (1 of 13)");
    s.keys("?");
    s.wait_for("Keys");
    // q closes the help (a sub-view), then quits from the list.
    s.keys("q");
    s.wait_for("Workloads (1 of 13)");
    s.keys("q");
    let st = s.wait_exit();
    assert!(st.success(), "{st:?}");
    s.assert_restored();
}

/// A trainer starts the story at a point (`--at`): the header says where.
#[test]
fn demo_starts_at_a_point_of_the_story() {
    let mut s = Session::start(&["demo", "--at", "2m30s"], &[]);
    s.wait_for("t+2m3");
    s.keys("q");
    let st = s.wait_exit();
    assert!(st.success(), "{st:?}");
    s.assert_restored();
}

/// The config file's `sort` and `theme` are the dashboard's first order and theme.
#[test]
fn the_config_file_sets_the_first_sort_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vaultscope")).unwrap();
    std::fs::write(
        dir.path().join("vaultscope/config.toml"),
        "sort = \"name\"\ntheme = \"light\"\n",
    )
    .unwrap();
    let xdg = dir.path().to_str().unwrap();
    let mut s = Session::start(&["demo"], &[("XDG_CONFIG_HOME", xdg)]);
    s.wait_for("sorted by name");
    s.keys("q");
    let st = s.wait_exit();
    assert!(st.success(), "{st:?}");
    s.assert_restored();
    let mut s = Session::start(&["demo"], &[]);
    s.wait_for("sorted by severity");
    s.keys("q");
    assert!(s.wait_exit().success());
}

#[test]
fn restored_after_ctrl_c() {
    let mut s = Session::start(&["demo"], &[]);
    s.wait_for("Workloads (13)");
    s.keys("\x03");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

#[test]
fn restored_after_sigterm_and_sigint() {
    for sig in ["TERM", "INT"] {
        let mut s = Session::start(&["demo"], &[]);
        s.wait_for("Workloads (13)");
        s.signal(sig);
        s.wait_exit();
        s.assert_restored();
    }
}

#[test]
fn restored_after_a_panic() {
    let mut s = Session::start(&["demo"], &[("VAULTSCOPE_TEST_FAULT", "panic")]);
    let st = s.wait_exit();
    assert!(!st.success());
    s.assert_restored();
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).into_owned();
    assert!(
        out.contains("VAULTSCOPE_TEST_FAULT=panic"),
        "the panic message is shown after restoring"
    );
}

#[test]
fn restored_after_an_error() {
    let mut s = Session::start(&["demo"], &[("VAULTSCOPE_TEST_FAULT", "error")]);
    let st = s.wait_exit();
    assert_eq!(st.exit_code(), 2);
    s.assert_restored();
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).into_owned();
    let left = out.rfind("\x1b[?1049l").unwrap();
    assert!(
        out[left..].contains("vaultscope: error: terminal: VAULTSCOPE_TEST_FAULT=error"),
        "the error is printed on the restored screen"
    );
}

#[test]
fn no_color_means_monochrome() {
    let mut s = Session::start(&["demo"], &[("NO_COLOR", "1")]);
    s.wait_for("Workloads (13)");
    s.keys("q");
    assert!(s.wait_exit().success());
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).into_owned();
    // No foreground or background colour in any SGR sequence: only weight,
    // underline and reverse.
    let mut rest = out.as_str();
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            for p in rest[..end].split(';').filter_map(|p| p.parse::<u32>().ok()) {
                let colour = matches!(p, 30..=37 | 38 | 40..=47 | 48 | 90..=97 | 100..=107);
                assert!(
                    !colour,
                    "colour parameter {p} in \\e[{}m under NO_COLOR",
                    &rest[..end]
                );
            }
        }
    }
    assert!(
        out.contains("\x1b[1m") || out.contains("\x1b[7m"),
        "severity still stands out"
    );
}
