//! The open pane's own state: which part has focus, where each part is
//! scrolled, and how the log is shown. Pure: sizes come from the last frame
//! ([`Geometry`]), so a key moves by what the user saw.

use crate::model::injector::Injector;
use crate::model::logs::LogBuffer;

/// The parts of a pane, in focus order. Findings come first: they are what
/// the pane is for, and they get the space first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    #[default]
    Findings,
    Pods,
    Secrets,
    Expiries,
    /// Each secret's rotation timeline: Vault's changes and the pods'
    /// renders (after the countdowns: they are shorter and read first).
    Rotations,
    Log,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Findings,
        Part::Pods,
        Part::Secrets,
        Part::Expiries,
        Part::Rotations,
        Part::Log,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Part::Findings => "Findings",
            Part::Pods => "Pods",
            Part::Secrets => "Secrets",
            Part::Rotations => "Rotations",
            Part::Expiries => "Leases, certificates and rotations",
            Part::Log => "Log",
        }
    }

    /// The short name the footer shows.
    pub fn short(self) -> &'static str {
        match self {
            Part::Findings => "findings",
            Part::Pods => "pods",
            Part::Secrets => "secrets",
            Part::Rotations => "rotations",
            Part::Expiries => "leases",
            Part::Log => "log",
        }
    }

    /// The section's index in [`Geometry::sections`] (the log has none).
    pub fn section(self) -> Option<usize> {
        match self {
            Part::Findings => Some(0),
            Part::Pods => Some(1),
            Part::Secrets => Some(2),
            Part::Expiries => Some(3),
            Part::Rotations => Some(4),
            Part::Log => None,
        }
    }
}

/// Which agent log the pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogChoice {
    Init,
    #[default]
    Sidecar,
    SidecarPrevious,
}

impl LogChoice {
    pub const ALL: [LogChoice; 3] = [
        LogChoice::Init,
        LogChoice::Sidecar,
        LogChoice::SidecarPrevious,
    ];

    /// The container this choice names in a pod of `injector`.
    pub fn container(self, injector: Injector) -> &'static str {
        match self {
            LogChoice::Init => injector.init_container(),
            LogChoice::Sidecar | LogChoice::SidecarPrevious => injector.sidecar(),
        }
    }

    pub fn previous(self) -> bool {
        self == LogChoice::SidecarPrevious
    }

    /// The choice that shows this container's log, for either injector.
    pub fn of(container: &str, previous: bool) -> Option<LogChoice> {
        match (Injector::of_container(container)?, previous) {
            ((_, true), _) => Some(LogChoice::Init),
            ((_, false), false) => Some(LogChoice::Sidecar),
            ((_, false), true) => Some(LogChoice::SidecarPrevious),
        }
    }
}

/// Sizes the last frame drew, handed back by drawing (zero before the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Geometry {
    /// Rows of the pane's upper part on screen, and rows it has in all.
    pub pane_rows: usize,
    pub pane_len: usize,
    /// The first row of each section ([`Part::section`]), if drawn.
    pub sections: [Option<usize>; 5],
    /// The first row of each finding, in the report's order (up to 32).
    pub findings: [Option<usize>; 32],
    /// Log rows on screen.
    pub log_rows: usize,
}

impl Geometry {
    pub fn pane_max_top(&self) -> usize {
        self.pane_len.saturating_sub(self.pane_rows)
    }
}

/// How the log is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogView {
    pub choice: LogChoice,
    /// `None` while following; when paused, the absolute number (lines
    /// dropped before it included) of the line just after the last one
    /// shown. New lines then arrive below and move nothing.
    pub end: Option<u64>,
    pub wrap: bool,
    /// Characters cut on the left when not wrapping.
    pub column: usize,
    /// The search text, and the absolute line of the current match.
    pub search: String,
    pub editing_search: bool,
    pub matched: Option<u64>,
    /// The search found nothing (the footer says so).
    pub no_match: bool,
}

/// How much of each line a search reads.
const SEARCHED_BYTES: usize = 4096;

/// How far one step sideways goes.
pub const SIDE_STEP: usize = 8;

impl LogView {
    pub fn paused(&self) -> bool {
        self.end.is_some()
    }

    /// The absolute end of the view in `b` (following: its newest line).
    fn end_in(&self, b: Option<&LogBuffer>) -> u64 {
        let total = b.map_or(0, |b| b.dropped() + b.len() as u64);
        self.end.unwrap_or(total).min(total)
    }

    /// The smallest end that still fills a screen of `rows`.
    fn min_end(b: Option<&LogBuffer>, rows: usize) -> u64 {
        b.map_or(0, |b| b.dropped() + (rows.max(1).min(b.len())) as u64)
    }

    /// Move the view `delta` lines (negative: older), pausing it.
    pub fn scroll(&mut self, b: Option<&LogBuffer>, rows: usize, delta: i64) {
        let end = self.end_in(b) as i64 + delta;
        let total = b.map_or(0, |b| b.dropped() + b.len() as u64) as i64;
        let lo = Self::min_end(b, rows) as i64;
        self.end = Some(end.clamp(lo.min(total), total) as u64);
    }

    pub fn top(&mut self, b: Option<&LogBuffer>, rows: usize) {
        self.end = Some(Self::min_end(b, rows));
    }

    pub fn follow(&mut self) {
        self.end = None;
    }

    pub fn toggle_follow(&mut self, b: Option<&LogBuffer>) {
        self.end = match self.end {
            Some(_) => None,
            None => Some(self.end_in(b)),
        };
    }

    /// Lines below the view (arrived since it was paused, or scrolled past).
    pub fn below(&self, b: Option<&LogBuffer>) -> u64 {
        let total = b.map_or(0, |b| b.dropped() + b.len() as u64);
        total - self.end_in(b)
    }

    /// The buffer indexes `[start, end)` to draw: `end` from the view, and
    /// at most `rows` lines before it.
    pub fn window(&self, b: &LogBuffer, rows: usize) -> (usize, usize) {
        let end = (self.end_in(Some(b)).saturating_sub(b.dropped()) as usize).min(b.len());
        (end.saturating_sub(rows), end)
    }

    /// Find `self.search` in `b`, from the line before `from` (absolute)
    /// backwards (`older`) or from the line after it forwards; the view
    /// moves so the match is its last line.
    pub fn find(&mut self, b: Option<&LogBuffer>, from: u64, older: bool) {
        self.no_match = false;
        let needle = self.search.to_lowercase();
        let Some(b) = b.filter(|_| !needle.is_empty()) else {
            return;
        };
        let first = b.dropped();
        // A line's head is searched: lines run to 64 KiB, and a search
        // must not cost the buffer's size in copies.
        let hit = |i: usize| {
            b.get(i).is_some_and(|l| {
                l[..l.floor_char_boundary(SEARCHED_BYTES)]
                    .to_lowercase()
                    .contains(&needle)
            })
        };
        let from = from.saturating_sub(first) as usize;
        let found = if older {
            (0..from.min(b.len())).rev().find(|i| hit(*i))
        } else {
            (from.saturating_add(1)..b.len()).find(|i| hit(*i))
        };
        match found {
            Some(i) => {
                let abs = first + i as u64;
                self.matched = Some(abs);
                self.end = Some(abs + 1);
            }
            None => self.no_match = true,
        }
    }
}

/// The pane: focus, the upper part's scroll, the log, full screen or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaneState {
    pub focus: Part,
    /// The first row of the upper part shown.
    pub top: usize,
    pub log: LogView,
    /// The log fills the body (`z`).
    pub full_log: bool,
    /// The finding `y` copies (index in the workload's findings).
    pub finding: usize,
    /// Newest events skipped, for a pod whose events take the log's place.
    pub events_skip: usize,
}

impl PaneState {
    /// Scroll the upper part by `delta` rows, within what it has.
    pub fn scroll(&mut self, g: &Geometry, delta: isize) {
        let max = g.pane_max_top() as isize;
        self.top = (self.top as isize + delta).clamp(0, max.max(0)) as usize;
    }

    /// Focus `part` and bring its section to the top of the upper part.
    pub fn focus(&mut self, part: Part, g: &Geometry) {
        self.focus = part;
        if let Some(row) = part.section().and_then(|i| g.sections[i]) {
            self.top = row.min(g.pane_max_top());
        }
    }

    /// Bring finding `i` to the top and make it the one `y` copies.
    pub fn show_finding(&mut self, i: usize, g: &Geometry) {
        self.finding = i;
        self.focus = Part::Findings;
        if let Some(row) = g.findings.get(i).copied().flatten() {
            self.top = row.min(g.pane_max_top());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(n: usize) -> LogBuffer {
        let mut b = LogBuffer::default();
        b.extend((0..n).map(|i| format!("line {i}")));
        b
    }

    #[test]
    fn a_paused_view_stays_put_while_lines_arrive() {
        let mut b = buffer(100);
        let mut v = LogView::default();
        v.scroll(Some(&b), 10, -5);
        assert_eq!(v.window(&b, 10), (85, 95));
        b.extend((100..120).map(|i| format!("line {i}")));
        assert_eq!(v.window(&b, 10), (85, 95));
        assert_eq!(v.below(Some(&b)), 25);
        v.toggle_follow(Some(&b));
        assert_eq!(v.window(&b, 10), (110, 120));
    }

    #[test]
    fn scrolling_stops_at_both_ends() {
        let b = buffer(30);
        let mut v = LogView::default();
        v.scroll(Some(&b), 10, -100);
        assert_eq!(v.window(&b, 10), (0, 10));
        v.scroll(Some(&b), 10, 100);
        assert_eq!(v.window(&b, 10), (20, 30));
        assert!(v.paused(), "scrolling to the end does not resume by itself");
        let short = buffer(3);
        let mut v = LogView::default();
        v.scroll(Some(&short), 10, -1);
        assert_eq!(v.window(&short, 10), (0, 3));
    }

    #[test]
    fn search_goes_older_then_newer() {
        let b = buffer(50);
        let mut v = LogView {
            search: "line 1".into(),
            ..LogView::default()
        };
        v.find(Some(&b), 50, true);
        assert_eq!(v.matched, Some(19));
        v.find(Some(&b), 19, true);
        assert_eq!(v.matched, Some(18));
        v.find(Some(&b), 18, false);
        assert_eq!(v.matched, Some(19));
        v.find(Some(&b), 19, false);
        assert!(v.no_match);
        assert_eq!(v.matched, Some(19));
    }
}
