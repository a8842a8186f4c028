//! What the app asks of the outside world, done here at the edge: the
//! clipboard through OSC 52, and Markdown written to a new file.

use std::io::Write;
use std::path::Path;

use crate::app::App;
use crate::app::state::Effect;

/// Standard base64 (RFC 4648), for OSC 52.
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that sets the clipboard to `text`. The text was made
/// safe by the app; base64 keeps any byte of it from being read as a
/// control by the terminal.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Terminals cap OSC 52 (xterm: 100,000 bytes of base64 by default).
const MAX_COPY: usize = 74_000;

fn copy(out: &mut impl Write, text: &str) -> Result<usize, String> {
    if text.len() > MAX_COPY {
        return Err(format!(
            "{} bytes is more than a terminal takes through OSC 52",
            text.len()
        ));
    }
    out.write_all(osc52(text).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())?;
    Ok(text.chars().count())
}

/// Do the app's effects; `out` is the terminal, `dir` where exports go (the
/// current directory). Demo controls are left to the caller (returned),
/// which owns the scenario.
pub fn run(app: &mut App, out: &mut impl Write, dir: &Path) -> Vec<crate::app::state::DemoControl> {
    let mut demo = Vec::new();
    for e in app.take_effects() {
        match e {
            Effect::Copy(text) => match copy(out, &text) {
                Ok(n) => app.notice(format!(
                    "sent {n} characters to the clipboard (OSC 52); the text is shown in case your terminal ignores it"
                )),
                Err(e) => app.notice(format!("not copied: {e}; select the text shown instead")),
            },
            Effect::Export { file, text } => {
                let path = dir.join(&file);
                // A new file only: an export never overwrites anything.
                let written = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .and_then(|mut f| f.write_all(text.as_bytes()));
                match written {
                    Ok(()) => {
                        let shown = std::path::absolute(&path).unwrap_or(path);
                        app.notice(crate::safe::terminal(&format!(
                            "exported the findings as Markdown to {}",
                            shown.display()
                        )))
                    }
                    Err(e) => {
                        let why = e.to_string();
                        match copy(out, &text) {
                            Ok(_) => app.notice(format!(
                                "could not write ./{file} ({why}): the Markdown went to the clipboard (OSC 52) instead"
                            )),
                            Err(c) => app.notice(format!(
                                "could not write ./{file} ({why}), nor copy it ({c})"
                            )),
                        }
                    }
                }
            }
            Effect::Demo(c) => demo.push(c),
        }
    }
    demo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    fn demo_app() -> App {
        let base = "2026-11-28T10:00:00Z".parse().unwrap();
        let now = base + chrono::Duration::seconds(30);
        let theme = crate::theme::Theme::builtin("default").unwrap();
        let mut app = App::new(crate::app::SourceKind::Demo, theme, now);
        for o in crate::sources::demo::snapshot(base, chrono::Duration::seconds(30)) {
            app.apply(o);
        }
        app.refresh(now);
        app
    }

    fn press(app: &mut App, c: char) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }

    /// `y` sends OSC 52; `e` writes a new file, says where, and never
    /// overwrites: the second export of the same second goes to the
    /// clipboard instead.
    #[test]
    fn copy_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = demo_app();
        let mut term: Vec<u8> = Vec::new();
        press(&mut app, 'y');
        run(&mut app, &mut term, dir.path());
        let sent = String::from_utf8(term.clone()).unwrap();
        assert!(
            sent.starts_with("\x1b]52;c;") && sent.ends_with('\x07'),
            "{sent:?}"
        );
        assert!(
            app.ui
                .notice
                .as_deref()
                .unwrap()
                .contains("to the clipboard (OSC 52)")
        );
        press(&mut app, 'q');
        press(&mut app, 'e');
        run(&mut app, &mut term, dir.path());
        let notice = app.ui.notice.clone().unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let file = files[0].as_ref().unwrap().path();
        assert!(
            notice.contains(&file.file_name().unwrap().to_string_lossy().to_string()),
            "{notice}"
        );
        let md = std::fs::read_to_string(&file).unwrap();
        assert!(md.starts_with("### ERROR payments/invoices"), "{md}");
        term.clear();
        press(&mut app, 'e');
        run(&mut app, &mut term, dir.path());
        assert!(
            app.ui
                .notice
                .as_deref()
                .unwrap()
                .contains("went to the clipboard"),
            "{:?}",
            app.ui.notice
        );
        assert!(!term.is_empty());
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            md,
            "not overwritten"
        );
    }
}
