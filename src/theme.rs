//! Themes: `themes/*.toml` compiled in, overridable by a file of the same
//! name in `$XDG_CONFIG_HOME/vaultscope/themes/` (or `~/.config/...`), or
//! loaded from a path. Colours are named by role, not by widget.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;
use serde::Deserialize;

use crate::bounded;

/// The built-in themes, in the order `vaultscope themes` lists them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../themes/colorblind.toml")),
    ("monochrome", include_str!("../themes/monochrome.toml")),
    ("projector", include_str!("../themes/projector.toml")),
];

/// The roles, listed once: the field of [`Theme`] and the key in
/// `[roles]`. The struct, the list of names and the parsing all come from it.
macro_rules! roles {
    ($($field:ident = $key:literal),* $(,)?) => {
        /// Every role a theme must define.
        pub const ROLES: &[&str] = &[$($key),*];

        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            pub description: String,
            pub border: BorderType,
            /// Painted under everything; `Color::Reset` leaves the
            /// terminal's own (only for a theme that sets no colour).
            pub background: Color,
            $(pub $field: Style,)*
        }

        impl Theme {
            fn from_roles(
                name: &str,
                description: String,
                border: BorderType,
                background: Color,
                mut take: impl FnMut(&str) -> Result<Style, ThemeError>,
            ) -> Result<Theme, ThemeError> {
                Ok(Theme {
                    name: name.to_string(),
                    description,
                    border,
                    background,
                    $($field: take($key)?,)*
                })
            }

            /// Every role with its key.
            pub fn roles(&self) -> Vec<(&'static str, Style)> {
                vec![$(($key, self.$field)),*]
            }

            fn styles_mut(&mut self) -> Vec<&mut Style> {
                vec![$(&mut self.$field),*]
            }
        }
    };
}

roles! {
    text = "text",
    muted = "muted",
    accent = "accent",
    title = "title",
    border_style = "border",
    header = "header",
    selected = "selected",
    key = "key",
    ok = "ok",
    warning = "warning",
    error = "error",
    info = "info",
    countdown_ok = "countdown_ok",
    countdown_soon = "countdown_soon",
    countdown_urgent = "countdown_urgent",
    countdown_expired = "countdown_expired",
    log_error = "log_error",
    log_warn = "log_warn",
    log_info = "log_info",
    evidence = "evidence",
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme \"{0}\" (built in: {list}; or pass a path to a .toml file)", list = builtin_names().join(", "))]
    Unknown(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: bounded::ReadError,
    },
    #[error("{origin}: {detail}")]
    Invalid { origin: String, detail: String },
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[serde(default)]
    description: String,
    #[serde(default)]
    border: Option<String>,
    /// The colour painted under everything (absent: the terminal's own).
    #[serde(default)]
    background: Option<toml::Value>,
    roles: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<toml::Value>,
    bg: Option<toml::Value>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

const COLOUR_FORMS: &str = "a colour is \"#rrggbb\", a name (black, red, green, yellow, blue, magenta, cyan, gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white), an index 0-255 (a number or a string), or \"reset\" (the terminal's own)";

/// A colour as a theme may write it: a string or an index 0-255. `what`
/// names the key in errors (`roles.ok`, `roles.ok.bg`, `background`).
fn colour(what: &str, raw: &toml::Value) -> Result<Color, String> {
    match raw {
        toml::Value::String(c) => Color::from_str(c.trim())
            .map_err(|_| format!("{what}: \"{c}\" is not a colour; {COLOUR_FORMS}")),
        toml::Value::Integer(i) => u8::try_from(*i)
            .map(Color::Indexed)
            .map_err(|_| format!("{what}: {i} is not a colour index (0-255); {COLOUR_FORMS}")),
        other => Err(format!(
            "{what}: a {} is not a colour; {COLOUR_FORMS}",
            other.type_str()
        )),
    }
}

/// A role is a colour (a string, or an index 0-255) or a table of
/// `fg`, `bg` and modifiers.
fn style(key: &str, raw: toml::Value) -> Result<Style, String> {
    let what = format!("roles.{key}");
    let raw = match raw {
        c @ (toml::Value::String(_) | toml::Value::Integer(_)) => {
            return Ok(Style::default().fg(colour(&what, &c)?));
        }
        toml::Value::Table(t) => RawStyle::deserialize(toml::Value::Table(t)).map_err(|e| {
            format!(
                "{what}: {} (a style table takes fg, bg, bold, dim, italic, underline, reversed)",
                e.to_string().trim()
            )
        })?,
        other => {
            return Err(format!(
                "{what}: a {} is not a colour or a style table; {COLOUR_FORMS}; or a table such as {{ fg = \"#f38ba8\", bold = true }}",
                other.type_str()
            ));
        }
    };
    let mut st = Style::default();
    if let Some(fg) = &raw.fg {
        st = st.fg(colour(&format!("{what}.fg"), fg)?);
    }
    if let Some(bg) = &raw.bg {
        st = st.bg(colour(&format!("{what}.bg"), bg)?);
    }
    for (on, m) in [
        (raw.bold, Modifier::BOLD),
        (raw.dim, Modifier::DIM),
        (raw.italic, Modifier::ITALIC),
        (raw.underline, Modifier::UNDERLINED),
        (raw.reversed, Modifier::REVERSED),
    ] {
        if on {
            st = st.add_modifier(m);
        }
    }
    Ok(st)
}

impl Theme {
    /// Parse a theme; `origin` names the file in error messages.
    pub fn parse(name: &str, origin: &str, text: &str) -> Result<Theme, ThemeError> {
        let invalid = |detail: String| ThemeError::Invalid {
            origin: origin.to_string(),
            detail,
        };
        let de = toml::Deserializer::parse(text)
            .map_err(|e| invalid(e.to_string().trim().to_string()))?;
        let raw: RawTheme = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let msg = msg.trim();
            if path == "." {
                invalid(msg.to_string())
            } else {
                invalid(format!("{path}: {msg}"))
            }
        })?;
        let mut roles = raw.roles;
        if let Some(unknown) = roles.keys().find(|k| !ROLES.contains(&k.as_str())) {
            return Err(invalid(format!(
                "roles.{unknown}: unknown role (roles are: {})",
                ROLES.join(", ")
            )));
        }
        let take = |key: &str| -> Result<Style, ThemeError> {
            let r = roles.remove(key).ok_or_else(|| {
                invalid(format!(
                    "roles.{key}: missing (every theme defines {})",
                    ROLES.join(", ")
                ))
            })?;
            style(key, r).map_err(invalid)
        };
        let border = match raw.border.as_deref().unwrap_or("rounded") {
            "plain" => BorderType::Plain,
            "rounded" => BorderType::Rounded,
            "double" => BorderType::Double,
            "thick" => BorderType::Thick,
            other => {
                return Err(invalid(format!(
                    "border: \"{other}\" is not a border type (plain, rounded, double, thick)"
                )));
            }
        };
        let background = match &raw.background {
            Some(v) => colour("background", v).map_err(invalid)?,
            None => Color::Reset,
        };
        Theme::from_roles(name, raw.description, border, background, take)
    }

    /// The style under everything: the text colour on the background.
    pub fn base(&self) -> Style {
        Style::default()
            .fg(self.text.fg.unwrap_or(Color::Reset))
            .bg(self.background)
    }

    /// Paint the background and the text colour into every cell a widget
    /// left at the terminal's own colours (`Color::Reset`): on a theme's
    /// dark background, a light terminal profile's black text would not
    /// show. A theme without a background leaves the buffer alone.
    pub fn paint_background(&self, buf: &mut ratatui::buffer::Buffer) {
        if self.background == Color::Reset {
            return;
        }
        let fg = self.text.fg.unwrap_or(Color::Reset);
        for cell in buf.content.iter_mut() {
            if cell.bg == Color::Reset {
                cell.bg = self.background;
            }
            if cell.fg == Color::Reset {
                cell.fg = fg;
            }
        }
    }

    /// The same theme in the 256-colour palette: every `#rrggbb` becomes
    /// the nearest colour of the xterm cube or grey ramp, for terminals that
    /// do not announce 24-bit colour.
    pub fn to_256_colours(mut self) -> Theme {
        fn map(c: Color) -> Color {
            match c {
                Color::Rgb(r, g, b) => Color::Indexed(nearest_256(r, g, b)),
                other => other,
            }
        }
        self.background = map(self.background);
        for st in self.styles_mut() {
            st.fg = st.fg.map(map);
            st.bg = st.bg.map(map);
            st.underline_color = st.underline_color.map(map);
        }
        self
    }

    /// A built-in theme, ignoring user overrides (for tests and screenshots).
    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        let (n, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        Theme::parse(n, &format!("built-in theme {n}"), text)
    }
}

/// Whether the terminal announced 24-bit colour (`COLORTERM=truecolor` or
/// `24bit`, the convention terminals and tmux follow). Without it, 24-bit
/// escapes come out wrong (Terminal.app, some tmux set-ups).
pub fn truecolor_announced(colorterm: Option<&str>) -> bool {
    colorterm.is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit")
    })
}

/// The levels of the xterm 6x6x6 colour cube (indices 16-231).
const CUBE: [u8; 6] = [0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff];

/// The nearest xterm 256-colour index to an RGB colour, from the colour
/// cube (16-231) or the grey ramp (232-255); the 16 system colours are
/// left out because every terminal profile sets them differently. The cube
/// level is found as tmux does (colour.c, `colour_find_rgb`), then the
/// nearer of it and the nearest grey wins.
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> usize {
        match v {
            0..48 => 0,
            48..115 => 1,
            _ => usize::from((v - 35) / 40),
        }
    };
    let (qr, qg, qb) = (level(r), level(g), level(b));
    let cube = 16 + 36 * qr + 6 * qg + qb;
    let (cr, cg, cb) = (CUBE[qr], CUBE[qg], CUBE[qb]);
    if (cr, cg, cb) == (r, g, b) {
        return cube as u8;
    }
    let average = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_step = if average > 238 {
        23
    } else {
        average.saturating_sub(3) / 10
    };
    let grey = (8 + 10 * grey_step) as u8;
    let dist = |x: (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(x.0, r) + d(x.1, g) + d(x.2, b)
    };
    if dist((grey, grey, grey)) < dist((cr, cg, cb)) {
        232 + grey_step as u8
    } else {
        cube as u8
    }
}

/// xterm's default values of the 16 system colours.
const SYSTEM: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// What a colour looks like (the system colours as xterm draws them by
/// default); `None` for `Reset`, which is the terminal's to decide.
pub fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    let index = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(match index {
        0..16 => SYSTEM[usize::from(index)],
        16..232 => {
            let i = usize::from(index - 16);
            (CUBE[i / 36], CUBE[(i / 6) % 6], CUBE[i % 6])
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            (v, v, v)
        }
    })
}

/// WCAG 2 relative luminance of an sRGB colour.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white).
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// `$XDG_CONFIG_HOME/vaultscope/themes`, else `~/.config/vaultscope/themes`.
pub fn user_theme_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("vaultscope").join("themes"))
}

/// A theme is a few KB; the cap leaves room for comments, and refuses
/// `--theme /dev/zero` before it fills the memory.
const THEME_CAP: u64 = 1 << 20;

fn load_file(name: &str, path: &Path) -> Result<Theme, ThemeError> {
    let read = |source| ThemeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = bounded::read_capped(path, THEME_CAP).map_err(read)?;
    let text = bounded::decode_text(&bytes).map_err(read)?;
    Theme::parse(name, &path.display().to_string(), &text)
}

/// Resolve `--theme NAME|PATH`: a path to a .toml file, a user override of a
/// built-in name, a user theme, or a built-in theme.
pub fn load(spec: &str) -> Result<Theme, ThemeError> {
    let as_path = Path::new(spec);
    if spec.ends_with(".toml") || spec.contains('/') {
        let name = as_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return load_file(&name, as_path);
    }
    if let Some(dir) = user_theme_dir() {
        let p = dir.join(format!("{spec}.toml"));
        if p.is_file() {
            return load_file(spec, &p);
        }
    }
    Theme::builtin(spec)
}

/// The theme to use when none is asked for: monochrome under `NO_COLOR`.
pub fn default_name(no_color: bool) -> &'static str {
    if no_color { "monochrome" } else { "default" }
}

/// Every theme available: built-ins (marked when overridden) and user themes.
pub fn list() -> Vec<(String, String, &'static str)> {
    let user_dir = user_theme_dir();
    let user_file = |n: &str| {
        user_dir
            .as_ref()
            .map(|d| d.join(format!("{n}.toml")))
            .filter(|p| p.is_file())
    };
    let mut out = Vec::new();
    for (n, _) in BUILTIN {
        let origin = if user_file(n).is_some() {
            "built-in, overridden"
        } else {
            "built-in"
        };
        let desc = load(n)
            .map(|t| t.description)
            .unwrap_or_else(|e| format!("error: {e}"));
        out.push((n.to_string(), desc, origin));
    }
    if let Some(dir) = &user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|f| f.strip_suffix(".toml"))
                    .map(String::from)
            })
            .filter(|n| !BUILTIN.iter().any(|(b, _)| b == n))
            .collect();
        names.sort();
        for n in names {
            let desc = load(&n)
                .map(|t| t.description)
                .unwrap_or_else(|e| format!("error: {e}"));
            out.push((n, desc, "user"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        for (n, _) in BUILTIN {
            let t = Theme::builtin(n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(!t.description.is_empty(), "{n}");
        }
    }

    #[test]
    fn errors_name_the_key_and_what_is_wrong() {
        let base = include_str!("../themes/default.toml");
        let bad = base.replace("\nok = \"#a6e3a1\"", "\nok = \"greenish\"");
        let e = Theme::parse("x", "my.toml", &bad).unwrap_err().to_string();
        assert!(
            e.starts_with("my.toml: roles.ok: \"greenish\" is not a colour"),
            "{e}"
        );
        let missing = base.replace("\nok = \"#a6e3a1\"\n", "\n");
        let e = Theme::parse("x", "my.toml", &missing)
            .unwrap_err()
            .to_string();
        assert!(e.contains("roles.ok: missing"), "{e}");
        let unknown = format!("{base}\nsparkle = \"red\"\n");
        let e = Theme::parse("x", "my.toml", &unknown)
            .unwrap_err()
            .to_string();
        assert!(e.contains("roles.sparkle: unknown role"), "{e}");
        let e = Theme::parse("x", "my.toml", "roles = [")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.toml: "), "{e}");
        let e = Theme::parse(
            "x",
            "my.toml",
            &base.replace("border = \"rounded\"", "border = \"wavy\""),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("border: \"wavy\""), "{e}");
        let e = Theme::parse(
            "x",
            "my.toml",
            &base.replace(
                "error = { fg = \"#f38ba8\", bold = true }",
                "error = { fg = \"#f38ba8\", blink = true }",
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("roles.error") || e.contains("blink"), "{e}");
        let e = Theme::parse(
            "x",
            "my.toml",
            &base.replace("\nok = \"#a6e3a1\"", "\nok = 300"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("roles.ok: 300 is not a colour index (0-255)"),
            "{e}"
        );
        let e = Theme::parse(
            "x",
            "my.toml",
            &base.replace("\nok = \"#a6e3a1\"", "\nok = [1, 2]"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("roles.ok: a array is not a colour"), "{e}");
        let idx = Theme::parse(
            "x",
            "my.toml",
            &base.replace("\nok = \"#a6e3a1\"", "\nok = 108"),
        )
        .unwrap();
        assert_eq!(idx.ok.fg, Some(Color::Indexed(108)));
        // In a style table and as the background, the same forms and the
        // same explanation.
        for (from, to, want) in [
            (
                "error = { fg = \"#f38ba8\", bold = true }",
                "error = { fg = 300, bold = true }",
                "roles.error.fg: 300 is not a colour index (0-255); a colour is \"#rrggbb\"",
            ),
            (
                "error = { fg = \"#f38ba8\", bold = true }",
                "error = { fg = \"#f38ba8\", bg = \"pinkish\" }",
                "roles.error.bg: \"pinkish\" is not a colour; a colour is",
            ),
            (
                "background = \"#1e1e2e\"",
                "background = true",
                "background: a boolean is not a colour; a colour is",
            ),
        ] {
            let e = Theme::parse("x", "my.toml", &base.replace(from, to))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("my.toml: ") && e.contains(want), "{e}");
        }
        let t = Theme::parse(
            "x",
            "my.toml",
            &base.replace(
                "error = { fg = \"#f38ba8\", bold = true }",
                "error = { fg = 9, bg = \"17\" }",
            ),
        )
        .unwrap();
        assert_eq!(
            (t.error.fg, t.error.bg),
            (Some(Color::Indexed(9)), Some(Color::Indexed(17)))
        );
    }

    #[test]
    fn unknown_names_list_the_builtins() {
        let e = load("nope").unwrap_err().to_string();
        assert!(e.contains("projector") && e.contains("monochrome"), "{e}");
    }

    /// A text role as it is drawn: its colours, or the text colour and the
    /// background it falls back to, swapped when reversed.
    fn drawn(t: &Theme, st: Style, surface: Color) -> ((u8, u8, u8), (u8, u8, u8)) {
        let fg = st.fg.filter(|c| *c != Color::Reset).or(t.text.fg);
        let bg = st.bg.filter(|c| *c != Color::Reset).unwrap_or(surface);
        let (fg, bg) = if st.add_modifier.contains(Modifier::REVERSED) {
            (Some(bg), fg.unwrap_or(Color::Reset))
        } else {
            (fg, bg)
        };
        let rgb = |c: Option<Color>, what: &str| {
            c.and_then(rgb_of)
                .unwrap_or_else(|| panic!("{}: the {what} is the terminal's own", t.name))
        };
        (rgb(fg, "text colour"), rgb(Some(bg), "background"))
    }

    /// WCAG 2 (1.4.3): 4.5:1 for text; 3:1 for large text, which in a
    /// terminal means the bold header line. Borders are not text.
    fn contrast_failures(t: &Theme) -> Vec<String> {
        let mut failures = Vec::new();
        // A theme that paints no background must set no colour at all (the
        // terminal's own pair is the user's business: monochrome).
        if t.background == Color::Reset {
            for (key, st) in t.roles() {
                let coloured = |c: Option<Color>| c.is_some_and(|c| c != Color::Reset);
                if coloured(st.fg) || coloured(st.bg) {
                    failures.push(format!("{key}: a colour on the terminal's own background"));
                }
            }
            return failures;
        }
        // Roles are drawn on the background, and in the header on its colour.
        let mut surfaces = vec![("background", t.background)];
        if let Some(bg) = t.header.bg {
            surfaces.push(("header", bg));
        }
        for (key, st) in t.roles() {
            if key == "border" {
                continue;
            }
            if st.add_modifier.contains(Modifier::DIM) {
                failures.push(format!("{key}: dim text has no known contrast"));
            }
            let large = key == "header" && st.add_modifier.contains(Modifier::BOLD);
            let need = if large { 3.0 } else { 4.5 };
            for (surface, bg) in &surfaces {
                if st.bg.is_some() && *surface != "background" {
                    continue;
                }
                let (fg, bg) = drawn(t, st, *bg);
                let ratio = contrast(fg, bg);
                if ratio < need {
                    failures.push(format!(
                        "{key} on {surface}: {ratio:.2}:1 < {need}:1 ({fg:02x?} on {bg:02x?})"
                    ));
                }
            }
        }
        failures
    }

    /// Every theme in themes/ is built in, and every one reads: each text
    /// role against its background, in 24-bit colour and in the 256-colour
    /// fallback.
    #[test]
    fn every_theme_meets_wcag_contrast() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".toml"))
            .collect();
        files.sort();
        assert_eq!(files.len(), BUILTIN.len(), "{files:?}");
        let mut failures = Vec::new();
        for f in &files {
            let name = f.trim_end_matches(".toml");
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            let (_, builtin) = BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{f} is not built in"));
            assert_eq!(text, *builtin, "{f}");
            let t = Theme::parse(name, f, &text).unwrap();
            for (form, t) in [("24-bit", t.clone()), ("256", t.to_256_colours())] {
                for e in contrast_failures(&t) {
                    failures.push(format!("{name} ({form}): {e}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn contrast_is_the_wcag_ratio() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((10, 20, 30), (10, 20, 30)) - 1.0).abs() < 1e-9);
        // Known values (WebAIM's contrast checker): #777777 on white 4.48:1,
        // the light theme's old warning #df8e1d on #eff1f5 2.2:1.
        assert!((contrast((0x77, 0x77, 0x77), (255, 255, 255)) - 4.48).abs() < 0.01);
        let old_warning = contrast((0xdf, 0x8e, 0x1d), (0xef, 0xf1, 0xf5));
        assert!(old_warning < 3.0, "{old_warning}");
    }

    #[test]
    fn nearest_256_picks_the_cube_or_the_grey_ramp() {
        // Exact cube and grey colours map to themselves.
        for i in 16..=255u8 {
            let (r, g, b) = rgb_of(Color::Indexed(i)).unwrap();
            assert_eq!(nearest_256(r, g, b), i, "#{r:02x}{g:02x}{b:02x}");
        }
        assert_eq!(nearest_256(0, 0, 0), 16);
        assert_eq!(nearest_256(255, 255, 255), 231);
        // Near greys go to the ramp, colours to the cube.
        assert_eq!(nearest_256(0x80, 0x80, 0x80), 244);
        assert_eq!(nearest_256(0x1e, 0x1e, 0x2e), 235);
        assert_eq!(nearest_256(0xf3, 0x8b, 0xa8), 211);
        // Never a system colour (0-15): profiles redefine them.
        for (r, g, b) in [(1, 2, 3), (250, 0, 0), (0x7f, 0x7f, 0x7f), (0, 0, 0xee)] {
            assert!(nearest_256(r, g, b) >= 16);
        }
        // The pick is the nearest of all 240 candidates (squared RGB distance).
        let d = |a: (u8, u8, u8), b: (u8, u8, u8)| {
            let s = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
            s(a.0, b.0) + s(a.1, b.1) + s(a.2, b.2)
        };
        for rgb in [
            (0x89, 0xb4, 0xfa),
            (0xdf, 0x8e, 0x1d),
            (0x40, 0xa0, 0x2b),
            (0x7f, 0x84, 0x9c),
        ] {
            let got = rgb_of(Color::Indexed(nearest_256(rgb.0, rgb.1, rgb.2))).unwrap();
            let best = (16..=255u8)
                .map(|i| d(rgb_of(Color::Indexed(i)).unwrap(), rgb))
                .min()
                .unwrap();
            // tmux's cube rounding may miss the exact nearest by a little.
            assert!(d(got, rgb) <= best + 3 * 20 * 20, "{rgb:?}: {got:?}");
        }
    }

    #[test]
    fn truecolor_only_when_announced() {
        for yes in ["truecolor", "24bit", "TrueColor", " 24bit "] {
            assert!(truecolor_announced(Some(yes)), "{yes}");
        }
        for no in [None, Some(""), Some("yes"), Some("256"), Some("1")] {
            assert!(!truecolor_announced(no), "{no:?}");
        }
        let t = Theme::builtin("default").unwrap().to_256_colours();
        for (key, st) in t.roles() {
            for c in [st.fg, st.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..)), "{key}: {c:?}");
            }
        }
        assert_eq!(t.background, Color::Indexed(235));
    }

    #[test]
    fn themes_paint_their_background_under_unpainted_cells() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        for (n, _) in BUILTIN {
            let t = Theme::builtin(n).unwrap();
            let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
            buf.set_string(0, 0, "ab", t.error);
            buf.set_string(2, 0, "c", t.selected);
            t.paint_background(&mut buf);
            if *n == "monochrome" {
                assert!(buf.content.iter().all(|c| c.bg == Color::Reset), "{n}");
                continue;
            }
            assert_ne!(t.background, Color::Reset, "{n} paints no background");
            for (x, want) in [
                (0, t.background),
                (1, t.background),
                (2, t.selected.bg.unwrap_or(t.background)),
                (3, t.background),
            ] {
                assert_eq!(buf[(x, 0)].bg, want, "{n} cell {x}");
                assert_ne!(buf[(x, 0)].fg, Color::Reset, "{n} cell {x}");
            }
        }
    }
}
