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
            $(pub $field: Style,)*
        }

        impl Theme {
            fn from_roles(
                name: &str,
                description: String,
                border: BorderType,
                mut take: impl FnMut(&str) -> Result<Style, ThemeError>,
            ) -> Result<Theme, ThemeError> {
                Ok(Theme {
                    name: name.to_string(),
                    description,
                    border,
                    $($field: take($key)?,)*
                })
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
    roles: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
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

const COLOUR_FORMS: &str =
    "use \"#rrggbb\", a name such as \"lightred\", an index 0-255, or \"reset\"";

fn color(key: &str, raw: &str) -> Result<Color, String> {
    Color::from_str(raw.trim())
        .map_err(|_| format!("roles.{key}: \"{raw}\" is not a colour ({COLOUR_FORMS})"))
}

/// A role is a colour (a string, or an index 0-255) or a table of
/// `fg`, `bg` and modifiers.
fn style(key: &str, raw: toml::Value) -> Result<Style, String> {
    let raw = match raw {
        toml::Value::String(c) => RawStyle {
            fg: Some(c),
            ..Default::default()
        },
        toml::Value::Integer(i) if (0..=255).contains(&i) => RawStyle {
            fg: Some(i.to_string()),
            ..Default::default()
        },
        toml::Value::Integer(i) => {
            return Err(format!(
                "roles.{key}: {i} is not a colour index (0-255); {COLOUR_FORMS}"
            ));
        }
        toml::Value::Table(t) => {
            RawStyle::deserialize(toml::Value::Table(t)).map_err(|e| {
                format!("roles.{key}: {} (a style table takes fg, bg, bold, dim, italic, underline, reversed)", e.to_string().trim())
            })?
        }
        other => {
            return Err(format!(
                "roles.{key}: a {} is not a colour or a style table; {COLOUR_FORMS}, or {{ fg = \"...\", bold = true }}",
                other.type_str()
            ));
        }
    };
    let mut st = Style::default();
    if let Some(fg) = &raw.fg {
        st = st.fg(color(key, fg)?);
    }
    if let Some(bg) = &raw.bg {
        st = st.bg(color(key, bg)?);
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
        Theme::from_roles(name, raw.description, border, take)
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
    }

    #[test]
    fn unknown_names_list_the_builtins() {
        let e = load("nope").unwrap_err().to_string();
        assert!(e.contains("projector") && e.contains("monochrome"), "{e}");
    }
}
