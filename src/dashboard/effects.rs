//! What the app asks of the outside world, done here at the edge: the
//! clipboard through OSC 52, and Markdown written to a new file.

use std::io::Write;

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

/// Do the app's effects; `out` is the terminal. Demo controls are left to
/// the caller (returned), which owns the scenario.
pub fn run(app: &mut App, out: &mut impl Write) -> Vec<crate::app::state::DemoControl> {
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
                let written = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&file)
                    .and_then(|mut f| f.write_all(text.as_bytes()));
                match written {
                    Ok(()) => {
                        let dir = std::env::current_dir()
                            .map(|d| d.display().to_string())
                            .unwrap_or_else(|_| ".".into());
                        app.notice(crate::safe::terminal(&format!(
                            "exported the findings as Markdown to {dir}/{file}"
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
}
