//! Renders the PNGs in screenshots/ from the real UI: the demo scenario at
//! fixed times, drawn by the dashboard's own code to a TestBackend, written
//! as SVG, and rasterized with resvg using a real monospace font.
//!
//! Usage: render-screenshots [OUT_DIR]   (default: screenshots)

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use resvg::{tiny_skia, usvg};
use vaultscope::app::{App, SourceKind};
use vaultscope::sources::demo;
use vaultscope::theme::Theme;
use vaultscope::ui::svg;

const COLS: u16 = 150;
const ROWS: u16 = 42;

struct Shot {
    file: &'static str,
    theme: &'static str,
    palette: svg::Palette,
    at_secs: i64,
    keys: &'static [KeyCode],
    filter: &'static str,
}

const SHOTS: &[Shot] = &[
    Shot {
        file: "overview.png",
        theme: "default",
        palette: svg::Palette::DARK,
        at_secs: 40,
        keys: &[],
        filter: "",
    },
    Shot {
        file: "failing-workload.png",
        theme: "default",
        palette: svg::Palette::DARK,
        at_secs: 40,
        keys: &[KeyCode::Enter],
        filter: "ledger",
    },
    Shot {
        file: "light.png",
        theme: "light",
        palette: svg::Palette::LIGHT,
        at_secs: 160,
        keys: &[],
        filter: "",
    },
    Shot {
        file: "projector.png",
        theme: "projector",
        palette: svg::Palette::BLACK,
        at_secs: 40,
        keys: &[KeyCode::Enter],
        filter: "billing",
    },
    // The Leases view, soonest expiry first: right after config-sync's KV
    // secret rotated (rotating) and with reporting's lease near its max TTL.
    Shot {
        file: "leases.png",
        theme: "default",
        palette: svg::Palette::DARK,
        at_secs: 140,
        keys: &[KeyCode::Char('L')],
        filter: "",
    },
    // billing-api's pane on its rotation timeline: the lease re-issued, two
    // renewals as a TTL sawtooth, and which pods rendered the new one.
    Shot {
        file: "rotation.png",
        theme: "default",
        palette: svg::Palette::DARK,
        at_secs: 420,
        keys: &[
            KeyCode::Enter,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
        ],
        filter: "billing",
    },
];

fn base() -> DateTime<Utc> {
    "2026-11-28T10:00:00Z".parse().expect("fixed time")
}

fn render(shot: &Shot) -> Result<String, String> {
    let now = base() + Duration::seconds(shot.at_secs);
    let theme = Theme::builtin(shot.theme).map_err(|e| e.to_string())?;
    let mut app = App::new(SourceKind::Demo, theme, now);
    for o in demo::snapshot(base(), Duration::seconds(shot.at_secs)) {
        app.apply(o);
    }
    app.refresh(now);
    app.ui.filter = shot.filter.to_string();
    let mut term = Terminal::new(TestBackend::new(COLS, ROWS)).map_err(|e| e.to_string())?;
    for k in shot.keys {
        app.on_key(KeyEvent::new(*k, KeyModifiers::NONE));
        // A frame after each key: focus and scrolling act on the sizes the
        // last frame drew, as they do on a terminal.
        term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
            .map_err(|e| e.to_string())?;
    }
    // The list screenshots show the whole list, not a filtered one.
    if shot.keys.is_empty() {
        app.ui.filter.clear();
    }
    term.draw(|f| vaultscope::dashboard::draw(f, &mut app))
        .map_err(|e| e.to_string())?;
    Ok(svg::to_svg(term.backend().buffer(), shot.palette))
}

fn rasterize(svg_text: &str, out: &Path, fonts: &usvg::Options) -> Result<(), String> {
    let tree = usvg::Tree::from_str(svg_text, fonts).map_err(|e| format!("svg: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty image")?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .save_png(out)
        .map_err(|e| format!("{}: {e}", out.display()))
}

fn main() -> ExitCode {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "screenshots".into()),
    );
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("render-screenshots: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let mut opts = usvg::Options::default();
    opts.fontdb_mut().load_system_fonts();
    if opts
        .fontdb
        .faces()
        .all(|f| !f.families.iter().any(|(n, _)| n == "DejaVu Sans Mono"))
    {
        eprintln!(
            "render-screenshots: the font DejaVu Sans Mono is not installed (Debian: fonts-dejavu-core)"
        );
        return ExitCode::from(2);
    }
    for shot in SHOTS {
        let out = dir.join(shot.file);
        match render(shot).and_then(|s| rasterize(&s, &out, &opts)) {
            Ok(()) => println!("{}", out.display()),
            Err(e) => {
                eprintln!("render-screenshots: {}: {e}", shot.file);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
