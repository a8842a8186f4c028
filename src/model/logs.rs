//! Bounded per-container log buffers.

use std::collections::VecDeque;
use std::fmt::Write as _;

use serde::Serialize;

/// How many lines a container's buffer keeps; older lines are dropped first.
pub const MAX_LOG_LINES: usize = 10_000;

/// The longest line a buffer keeps, in bytes. Agent lines are a few hundred
/// bytes; a longer one is a dump (a rendered template, a binary read as
/// text) whose tail tells a diagnosis nothing, while every pass over the
/// buffer (the diagnosis once a second, a redraw) would pay for all of it.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

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
    lines: VecDeque<String>,
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
        self.lines.push_back(cap(line));
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.push(l);
        }
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines.iter().map(String::as_str)
    }

    /// Line `i`, oldest first.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.lines.get(i).map(String::as_str)
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
}
