//! A drawn frame as SVG: one `<rect>` per background run and one `<text>`
//! per styled run, on a fixed monospace grid. Used to make the screenshots
//! from the real UI (see src/bin/render-screenshots.rs).

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// Cell size in pixels for a 14 px monospace font (DejaVu Sans Mono's advance is 0.602 em).
pub const CELL_W: f32 = 8.43;
pub const CELL_H: f32 = 18.0;
const FONT_SIZE: f32 = 14.0;

/// The terminal's own colours, for cells that use `Color::Reset`.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub fg: (u8, u8, u8),
    pub bg: (u8, u8, u8),
}

impl Palette {
    pub const DARK: Palette = Palette {
        fg: (0xcd, 0xd6, 0xf4),
        bg: (0x1e, 0x1e, 0x2e),
    };
    pub const LIGHT: Palette = Palette {
        fg: (0x4c, 0x4f, 0x69),
        bg: (0xef, 0xf1, 0xf5),
    };
    pub const BLACK: Palette = Palette {
        fg: (0xff, 0xff, 0xff),
        bg: (0, 0, 0),
    };
}

/// The xterm palette for named and indexed colours.
fn indexed(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let i = i - 16;
            let step = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (step(i / 36), step((i / 6) % 6), step(i % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

fn rgb(c: Color, default: (u8, u8, u8)) -> (u8, u8, u8) {
    match c {
        Color::Reset => default,
        Color::Black => indexed(0),
        Color::Red => indexed(1),
        Color::Green => indexed(2),
        Color::Yellow => indexed(3),
        Color::Blue => indexed(4),
        Color::Magenta => indexed(5),
        Color::Cyan => indexed(6),
        Color::Gray => indexed(7),
        Color::DarkGray => indexed(8),
        Color::LightRed => indexed(9),
        Color::LightGreen => indexed(10),
        Color::LightYellow => indexed(11),
        Color::LightBlue => indexed(12),
        Color::LightMagenta => indexed(13),
        Color::LightCyan => indexed(14),
        Color::White => indexed(15),
        Color::Indexed(i) => indexed(i),
        Color::Rgb(r, g, b) => (r, g, b),
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(PartialEq, Clone)]
struct CellLook {
    fg: String,
    bg: String,
    bold: bool,
    italic: bool,
    underline: bool,
    dim: bool,
}

fn look(buf: &Buffer, x: u16, y: u16, p: Palette) -> CellLook {
    let cell = &buf[(x, y)];
    let st = cell.style();
    let m = st.add_modifier;
    let mut fg = rgb(st.fg.unwrap_or(Color::Reset), p.fg);
    let mut bg = rgb(st.bg.unwrap_or(Color::Reset), p.bg);
    if m.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    CellLook {
        fg: hex(fg),
        bg: hex(bg),
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        underline: m.contains(Modifier::UNDERLINED),
        dim: m.contains(Modifier::DIM),
    }
}

pub fn to_svg(buf: &Buffer, p: Palette) -> String {
    let w = buf.area.width as f32 * CELL_W;
    let h = buf.area.height as f32 * CELL_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        hex(p.bg)
    );
    let _ = writeln!(
        out,
        r#"<g font-family="DejaVu Sans Mono, monospace" font-size="{FONT_SIZE}" xml:space="preserve">"#
    );
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let l = look(buf, x, y, p);
            let start = x;
            let mut text = String::new();
            while x < buf.area.width && look(buf, x, y, p) == l {
                text.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            let (px, py) = (start as f32 * CELL_W, y as f32 * CELL_H);
            let run_w = (x - start) as f32 * CELL_W;
            if l.bg != hex(p.bg) {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.2}" y="{py:.2}" width="{:.2}" height="{CELL_H}" fill="{}"/>"#,
                    run_w + 0.5,
                    l.bg
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#"fill="{}""#, l.fg);
            if l.bold {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if l.italic {
                attrs.push_str(r#" font-style="italic""#);
            }
            if l.underline {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            if l.dim {
                attrs.push_str(r#" fill-opacity="0.6""#);
            }
            // textLength pins each run to the grid whatever the font's metrics.
            let _ = writeln!(
                out,
                r#"<text x="{px:.2}" y="{:.2}" textLength="{run_w:.2}" lengthAdjust="spacingAndGlyphs" {attrs}>{}</text>"#,
                py + CELL_H * 0.76,
                escape(&text)
            );
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn runs_and_escaping() {
        let mut b = Buffer::empty(Rect::new(0, 0, 6, 1));
        b.set_string(
            0,
            0,
            "a<b",
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::BOLD),
        );
        b.set_string(3, 0, "ok", Style::default().bg(Color::Indexed(2)));
        let svg = to_svg(&b, Palette::DARK);
        assert!(
            svg.contains(r##"fill="#ff0000" font-weight="bold">a&lt;b</text>"##),
            "{svg}"
        );
        assert!(svg.contains(r##"fill="#00cd00""##), "{svg}");
        assert!(svg.contains(">ok</text>"), "{svg}");
    }
}
