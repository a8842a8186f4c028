//! Bounded per-container log buffers.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;

/// How many lines a container's buffer keeps; older lines are dropped first.
pub const MAX_LOG_LINES: usize = 10_000;

/// The longest line a buffer keeps, in bytes. Agent lines are a few hundred
/// bytes; a longer one is a dump (a rendered template, a binary read as
/// text) whose tail tells a diagnosis nothing, while every pass over the
/// buffer (the diagnosis once a second, a redraw) would pay for all of it.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Characters of a line's terminal form kept: wider than any terminal, and
/// bounded, because escapes can make the form several times the line.
const SHOWN_CHARS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LogKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous (restarted) instance of the container.
    pub previous: bool,
}

/// A container log the dashboard shows, so the live source follows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogTarget {
    pub key: LogKey,
    /// The container's restart count: when it changes, a `previous` log is
    /// read again (it is another instance now).
    pub restarts: i32,
}

/// The agent logs a pod has: each agent container's current log, and its
/// previous one once it has restarted.
pub fn agent_logs(pod: &super::pod::PodInfo) -> Vec<(LogKey, &super::pod::ContainerInfo)> {
    let mut out = Vec::new();
    for c in pod.agent_containers() {
        let key = |previous| LogKey {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            container: c.name.clone(),
            previous,
        };
        out.push((key(false), c));
        if c.restart_count > 0 {
            out.push((key(true), c));
        }
    }
    out
}

/// What a one-shot read of agent logs (`check`) read, left unread and
/// could not read: a diagnosis without a log says less, so the output says
/// so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogReads {
    /// `all`, `trouble` or `none` (`--logs`).
    pub mode: String,
    /// Healthy-looking agents that may be read (`--log-budget`); `None`: all.
    pub budget: Option<usize>,
    /// Agents in trouble whose logs were asked for.
    pub read_trouble: usize,
    /// Healthy-looking agents whose logs were asked for.
    pub read_healthy: usize,
    /// Log requests made (an agent that restarted has two logs).
    pub requests: usize,
    /// Healthy-looking agents left unread by the budget or the mode.
    pub unread_healthy: usize,
    /// Agents in trouble left unread (`--logs none`).
    pub unread_trouble: usize,
    /// Agent containers never asked about: not started, or the pod has no node.
    pub not_started: usize,
    /// Reads that failed, by reason (`400 BadRequest`, `timed out`...).
    pub failed: std::collections::BTreeMap<String, usize>,
}

impl LogReads {
    /// Whether the output should mention the reads: something was left
    /// unread or could not be read.
    pub fn worth_saying(&self) -> bool {
        self.unread_healthy > 0 || self.unread_trouble > 0 || !self.failed.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
struct Line {
    text: String,
    /// The text as a terminal may show it, worked out when the line is first
    /// drawn (most lines never are); `None` when that is the text itself.
    shown: OnceLock<Option<Box<str>>>,
}

/// Two lines are the same when their text is: whether one was drawn yet does
/// not count.
impl PartialEq for Line {
    fn eq(&self, other: &Line) -> bool {
        self.text == other.text
    }
}

impl Eq for Line {}

/// A line longer than [`MAX_LINE_BYTES`]: its head, and how much went.
fn cap(mut line: String) -> String {
    if line.len() <= MAX_LINE_BYTES {
        return line;
    }
    let keep = line.floor_char_boundary(MAX_LINE_BYTES);
    let cut = line.len() - keep;
    line.truncate(keep);
    let _ = write!(line, "… {cut} bytes cut");
    // Give the rest back: the line may have been hundreds of megabytes.
    line.shrink_to_fit();
    line
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<Line>,
    /// Lines dropped from the front since the buffer was created.
    dropped: u64,
}

impl LogBuffer {
    /// Every source (live tails, bundles, the demo) adds lines here, so the
    /// cap holds whatever the line came from.
    pub fn push(&mut self, line: String) {
        if self.lines.len() == MAX_LOG_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(Line {
            text: cap(line),
            shown: OnceLock::new(),
        });
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.push(l);
        }
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines.iter().map(|l| l.text.as_str())
    }

    /// Line `i`, oldest first.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.lines.get(i).map(|l| l.text.as_str())
    }

    /// Line `i` as [`crate::safe::terminal`] makes it, to draw. Worked out
    /// once and kept (its first [`SHOWN_CHARS`] when it is not the text
    /// itself): redacting a 64 KiB line on every frame would make a redraw
    /// cost the line, not the screen. It can be as long as the line, so the
    /// caller cuts it to the width it draws.
    pub fn shown(&self, i: usize) -> Option<&str> {
        let l = self.lines.get(i)?;
        let shown = l
            .shown
            .get_or_init(|| match crate::safe::terminal(&l.text) {
                Cow::Borrowed(_) => None,
                Cow::Owned(mut s) => {
                    if let Some((end, _)) = s.char_indices().nth(SHOWN_CHARS) {
                        s.truncate(end);
                    }
                    Some(s.into_boxed_str())
                }
            });
        Some(shown.as_deref().unwrap_or(&l.text))
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn clear(&mut self) {
        self.lines.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines() {
        let mut b = LogBuffer::default();
        b.extend((0..MAX_LOG_LINES + 5).map(|i| i.to_string()));
        assert_eq!(b.len(), MAX_LOG_LINES);
        assert_eq!(b.dropped(), 5);
        assert_eq!(b.lines().next(), Some("5"));
        assert_eq!(
            b.lines().last(),
            Some((MAX_LOG_LINES + 4).to_string().as_str())
        );
    }

    #[test]
    fn a_huge_line_is_stored_capped_with_a_note() {
        let mut b = LogBuffer::default();
        // 3-byte characters: the cap falls inside one, so the cut must move
        // back to a character boundary.
        let line = "€".repeat(350_000);
        assert!(line.len() > 1_000_000);
        b.push(line);
        let kept = (MAX_LINE_BYTES / 3) * 3;
        let stored = b.lines().next().unwrap();
        assert_eq!(
            stored,
            format!("{}… {} bytes cut", "€".repeat(kept / 3), 1_050_000 - kept)
        );
        assert!(stored.len() < MAX_LINE_BYTES + 32);

        let exact = "x".repeat(MAX_LINE_BYTES);
        b.push(exact.clone());
        assert_eq!(
            b.lines().last(),
            Some(exact.as_str()),
            "a line at the cap is whole"
        );
    }

    #[test]
    fn the_terminal_form_is_safe_and_bounded() {
        let mut b = LogBuffer::default();
        b.push("plain line".into());
        b.push(format!("a\x1b]0;x\x07 \u{202e} hvs.{}", "x".repeat(30)));
        b.push("\u{202e}".repeat(MAX_LINE_BYTES / 3));
        assert_eq!(b.shown(0), Some("plain line"));
        assert_eq!(b.shown(1), Some(r"a\x1b]0;x\x07 \u{202e} hvs.<redacted>"));
        let long = b.shown(2).unwrap();
        assert_eq!(long.chars().count(), SHOWN_CHARS);
        assert!(long.starts_with(r"\u{202e}\u{202e}"));
        assert_eq!(
            b.get(1).map(|l| l.starts_with("a\x1b")),
            Some(true),
            "the text is kept as sent"
        );
        assert_eq!(b.shown(3), None);
    }
}
