//! Bounded per-container log buffers.

use std::collections::VecDeque;

use serde::Serialize;

/// How many lines a container's buffer keeps; older lines are dropped first.
pub const MAX_LOG_LINES: usize = 10_000;

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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<String>,
    /// Lines dropped from the front since the buffer was created.
    dropped: u64,
}

impl LogBuffer {
    pub fn push(&mut self, line: String) {
        if self.lines.len() == MAX_LOG_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.push(l);
        }
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines.iter().map(String::as_str)
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
}
