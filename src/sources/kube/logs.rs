//! vault-agent logs: followed for the pods the dashboard shows, and read once
//! for `check` / `capture`.
//!
//! A followed stream asks for `timestamps=true`; after a cut it resumes with
//! `sinceTime` (whole seconds, so rounded down) from the last line's
//! timestamp and drops the lines it already has: those older than that
//! timestamp and the first N at it, N being how many it had seen at it.
//! Nothing is lost, nothing repeated. Lines go to the model without the
//! timestamp prefix, exactly as `kubectl logs` prints them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::watch::{Ctx, ErrorKind, client_error_kind};
use crate::model::logs::{LogKey, LogTarget, MAX_LOG_LINES};
use crate::model::pod::{ContainerState, PodInfo};
use crate::model::world::AccessDenied;
use crate::model::{Observation, World};

/// Where a followed log is: the newest timestamp and how many lines had it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub last: Option<DateTime<Utc>>,
    pub at_last: usize,
}

impl Cursor {
    /// Whether a line stamped `ts` is new. `skip` counts down the lines at
    /// `last` that a resumed stream sends again.
    pub fn accept(&mut self, ts: DateTime<Utc>, skip: &mut usize) -> bool {
        match self.last {
            Some(last) if ts < last => false,
            Some(last) if ts == last => {
                if *skip > 0 {
                    *skip -= 1;
                    false
                } else {
                    self.at_last += 1;
                    true
                }
            }
            _ => {
                self.last = Some(ts);
                self.at_last = 1;
                *skip = 0;
                true
            }
        }
    }

    /// `sinceTime` for a resumed stream: the last timestamp rounded down to
    /// the second (the API takes whole seconds).
    pub fn since(&self) -> Option<k8s_openapi::jiff::Timestamp> {
        let last = self.last?;
        k8s_openapi::jiff::Timestamp::from_second(last.timestamp()).ok()
    }
}

/// Split `2026-11-28T10:00:00.123456789Z text` into its time and text.
pub fn split_timestamp(line: &str) -> (Option<DateTime<Utc>>, &str) {
    match line.split_once(' ') {
        Some((ts, rest)) => match DateTime::parse_from_rfc3339(ts) {
            Ok(t) => (Some(t.to_utc()), rest),
            Err(_) => (None, line),
        },
        None => match DateTime::parse_from_rfc3339(line) {
            Ok(t) => (Some(t.to_utc()), ""),
            Err(_) => (None, line),
        },
    }
}

fn log_denied(key: &LogKey) -> Observation {
    Observation::AccessDenied(AccessDenied {
        resource: "pods/log".into(),
        namespace: Some(key.namespace.clone()),
        verb: "get".into(),
    })
}

/// Lines of a log stream, invalid UTF-8 replaced rather than failing: one
/// bad byte must not cut the stream (a resume would hit it again forever).
fn lossy_lines<R: futures::AsyncBufRead + Unpin>(
    reader: R,
) -> impl futures::Stream<Item = std::io::Result<String>> {
    futures::stream::unfold(reader, |mut r| async move {
        let mut buf = Vec::new();
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) => None,
            Ok(_) => {
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                Some((Ok(String::from_utf8_lossy(&buf).into_owned()), r))
            }
            Err(e) => Some((Err(e), r)),
        }
    })
}

/// How long a followed stream may stay silent before it is re-opened.
const LOG_IDLE_RECONNECT: Duration = Duration::from_secs(300);

/// Follow one container log until aborted (`follow`), or read what it has
/// once; either way from the cursor on, so a later stream resumes after it.
async fn follow_one(
    ctx: Ctx,
    api: Api<Pod>,
    key: LogKey,
    cursor: Arc<Mutex<Cursor>>,
    fresh: bool,
    follow: bool,
) {
    if fresh
        && !ctx
            .send(vec![Observation::LogReset { key: key.clone() }])
            .await
    {
        return;
    }
    let mut quiet_rounds: u32 = 0;
    let mut failures: u32 = 0;
    loop {
        let (since, mut skip) = {
            let c = cursor.lock().unwrap_or_else(|p| p.into_inner());
            (c.since(), c.at_last)
        };
        let lp = LogParams {
            container: Some(key.container.clone()),
            follow: follow && !key.previous,
            previous: key.previous,
            timestamps: true,
            tail_lines: since.is_none().then_some(MAX_LOG_LINES as i64),
            since_time: since,
            ..LogParams::default()
        };
        let mut new_lines = 0usize;
        let mut unreachable = false;
        let mut idle = false;
        match api.log_stream(&key.pod, &lp).await {
            Ok(reader) => {
                ctx.reachable(true).await;
                failures = 0;
                let mut chunks = Box::pin(lossy_lines(reader).ready_chunks(512));
                loop {
                    // A stream quiet for this long may be a half-open
                    // connection: reconnect; the cursor makes it seamless.
                    let Ok(next) = tokio::time::timeout(LOG_IDLE_RECONNECT, chunks.next()).await
                    else {
                        idle = true;
                        break;
                    };
                    let Some(chunk) = next else {
                        break;
                    };
                    let mut out = Vec::with_capacity(chunk.len());
                    let mut cut = false;
                    {
                        let mut c = cursor.lock().unwrap_or_else(|p| p.into_inner());
                        for line in chunk {
                            let Ok(line) = line else {
                                cut = true;
                                break;
                            };
                            let (ts, text) = split_timestamp(&line);
                            if ts.is_none_or(|ts| c.accept(ts, &mut skip)) {
                                out.push(text.to_string());
                            }
                        }
                    }
                    new_lines += out.len();
                    if !out.is_empty()
                        && !ctx
                            .send(vec![Observation::LogLines {
                                key: key.clone(),
                                lines: out,
                            }])
                            .await
                    {
                        return;
                    }
                    if cut {
                        break;
                    }
                }
                if key.previous || !follow {
                    // A previous instance's log is complete once read.
                    return;
                }
            }
            Err(e) => match client_error_kind(&e) {
                ErrorKind::Denied { .. } => {
                    if !ctx.send(vec![log_denied(&key)]).await {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    continue;
                }
                ErrorKind::Unreachable => {
                    ctx.reachable(false).await;
                    unreachable = true;
                }
                // 400: container not started yet, 404: pod gone (the pod
                // watcher reports that): try again a little later.
                _ => {}
            },
        }
        // The stream ended: the container stopped, or the connection was cut.
        // Resume soon; wait longer while nothing new arrives (a finished
        // init container's stream ends at once).
        if new_lines > 0 {
            quiet_rounds = 0;
        } else if !unreachable {
            quiet_rounds = quiet_rounds.saturating_add(1);
        }
        let wait = if idle {
            Duration::ZERO
        } else if unreachable {
            // Back as soon as the server is: 250 ms doubling to 4 s.
            failures = failures.saturating_add(1);
            Duration::from_millis(250 * 2u64.pow(failures.min(5) - 1))
        } else {
            Duration::from_millis(250 * 2u64.pow(quiet_rounds.min(7))).min(Duration::from_secs(30))
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.tx.closed() => return,
        }
    }
}

/// Which agent logs of a pod are worth reading once without being asked:
/// those of agent containers in trouble (init not completed, sidecar not
/// running, restarts), so the list shows the cause before a pane is opened.
/// `seen` remembers each container's state so each state is read once.
/// An agent container whose state says nothing is wrong: an init container
/// that exited 0, a running sidecar, or one not started yet; never restarted.
fn agent_looks_fine(c: &crate::model::pod::ContainerInfo) -> bool {
    let init = crate::model::injector::is_agent_init(&c.name);
    c.restart_count == 0
        && match &c.state {
            ContainerState::Terminated(t) => init && t.exit_code == 0,
            ContainerState::Running { .. } => !init,
            ContainerState::Unknown => true,
            ContainerState::Waiting { reason, .. } => reason.as_deref() == Some("PodInitializing"),
        }
}

pub fn probe_keys(pod: &PodInfo, seen: &mut HashMap<LogKey, String>) -> Vec<LogKey> {
    let mut out = Vec::new();
    for c in pod.agent_containers() {
        let fine = agent_looks_fine(c);
        let key = LogKey {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            container: c.name.clone(),
            previous: false,
        };
        let state = format!("{} {}", c.describe(), c.restart_count);
        if fine || seen.get(&key) == Some(&state) {
            continue;
        }
        seen.insert(key.clone(), state);
        if c.restart_count > 0 {
            out.push(LogKey {
                previous: true,
                ..key.clone()
            });
        }
        out.push(key);
    }
    out
}

/// The streams being followed; stopped when the manager stops.
struct Running(HashMap<LogKey, (i32, JoinHandle<()>)>);

impl Drop for Running {
    fn drop(&mut self) {
        for (_, h) in self.0.values() {
            h.abort();
        }
    }
}

/// One-shot reads under way; stopped when the manager stops.
struct Probes(HashMap<LogKey, JoinHandle<()>>);

impl Drop for Probes {
    fn drop(&mut self) {
        for h in self.0.values() {
            h.abort();
        }
    }
}

/// The resume point for a log, and whether its buffer must start over: a
/// previous instance's log is read whole each time, a current one resumes
/// where it got unless nothing was delivered yet.
fn cursor_for(
    cursors: &mut HashMap<LogKey, Arc<Mutex<Cursor>>>,
    key: &LogKey,
) -> (Arc<Mutex<Cursor>>, bool) {
    let c = match cursors.get(key) {
        Some(c) if !key.previous => c.clone(),
        _ => {
            let c = Arc::new(Mutex::new(Cursor::default()));
            cursors.insert(key.clone(), c.clone());
            c
        }
    };
    let fresh = c
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .since()
        .is_none();
    (c, fresh)
}

/// Follow the logs `targets` names: start streams for new ones, stop those
/// no longer shown, re-read a `previous` log when the restart count changes.
/// Logs named on `probes` are read once (at most 4 at a time) unless followed.
pub async fn follow(
    ctx: Ctx,
    conn: Connection,
    mut targets: watch::Receiver<Vec<LogTarget>>,
    mut probes: mpsc::UnboundedReceiver<LogKey>,
) {
    let probe_slots = Arc::new(tokio::sync::Semaphore::new(4));
    /// Resume points are kept for this many logs after their stream stops.
    const KEEP_CURSORS: usize = 256;
    let mut running = Running(HashMap::new());
    let mut cursors: HashMap<LogKey, Arc<Mutex<Cursor>>> = HashMap::new();
    let mut probing = Probes(HashMap::new());
    loop {
        let want = targets.borrow_and_update().clone();
        running.0.retain(|k, (restarts, h)| {
            let keep = !h.is_finished()
                && want
                    .iter()
                    .any(|t| &t.key == k && (!k.previous || t.restarts == *restarts));
            if !keep {
                h.abort();
            }
            keep
        });
        if cursors.len() > KEEP_CURSORS {
            cursors.retain(|k, _| running.0.contains_key(k));
        }
        for t in &want {
            if running.0.contains_key(&t.key) {
                continue;
            }
            // A one-shot read of the same log would race the stream on the
            // shared cursor: the stream takes over from where it got.
            if let Some(h) = probing.0.remove(&t.key) {
                h.abort();
            }
            let (cursor, fresh) = cursor_for(&mut cursors, &t.key);
            let api: Api<Pod> = Api::namespaced(conn.client.clone(), &t.key.namespace);
            let h = tokio::spawn(follow_one(
                ctx.clone(),
                api,
                t.key.clone(),
                cursor,
                fresh,
                true,
            ));
            running.0.insert(t.key.clone(), (t.restarts, h));
        }
        loop {
            tokio::select! {
                changed = targets.changed() => if changed.is_err() { return } else { break },
                Some(key) = probes.recv() => {
                    probing.0.retain(|_, h| !h.is_finished());
                    if running.0.contains_key(&key) || probing.0.contains_key(&key) {
                        continue;
                    }
                    let (cursor, fresh) = cursor_for(&mut cursors, &key);
                    let api: Api<Pod> = Api::namespaced(conn.client.clone(), &key.namespace);
                    let slots = probe_slots.clone();
                    let ctx = ctx.clone();
                    let probe_key = key.clone();
                    probing.0.insert(probe_key, tokio::spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else { return };
                        // A log that is not there yet is not waited for.
                        let _ = tokio::time::timeout(
                            Duration::from_secs(20),
                            follow_one(ctx, api, key, cursor, fresh, false),
                        )
                        .await;
                    }));
                }
                _ = ctx.tx.closed() => return,
            }
        }
    }
}

/// The agent logs of every injected pod in `world`, read once (current, and
/// previous after restarts), at most `MAX_LOG_LINES` each. Forbidden reads
/// come back as `AccessDenied`; logs that do not exist yet are skipped.
pub async fn read_agent_logs(conn: &Connection, world: &World) -> Vec<Observation> {
    // A healthy agent's recent lines are enough to see a renewal problem;
    // agents in trouble get the full tail. Thousands of injected pods must
    // not mean millions of lines in memory.
    const HEALTHY_TAIL: i64 = 200;
    let mut keys = Vec::new();
    for p in world.pods.values() {
        for (key, c) in crate::model::logs::agent_logs(p) {
            let tail = if agent_looks_fine(c) && !key.previous {
                HEALTHY_TAIL
            } else {
                MAX_LOG_LINES as i64
            };
            keys.push((key, tail));
        }
    }
    let results: Vec<Observation> = futures::stream::iter(keys)
        .map(|(key, tail)| async move {
            let api: Api<Pod> = Api::namespaced(conn.client.clone(), &key.namespace);
            let lp = LogParams {
                container: Some(key.container.clone()),
                previous: key.previous,
                tail_lines: Some(tail),
                ..LogParams::default()
            };
            match api.logs(&key.pod, &lp).await {
                Ok(text) => Some(Observation::LogLines {
                    lines: text.lines().map(str::to_string).collect(),
                    key,
                }),
                Err(e) => match client_error_kind(&e) {
                    ErrorKind::Denied { .. } => Some(log_denied(&key)),
                    _ => None,
                },
            }
        })
        .buffer_unordered(8)
        .filter_map(|o| async move { o })
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|o| match o {
        Observation::LogLines { key, .. } => Some(key.clone()),
        _ => None,
    });
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn resumed_stream_drops_what_was_seen() {
        let mut c = Cursor::default();
        let mut skip = 0;
        for ts in [
            "2026-01-01T00:00:00.1Z",
            "2026-01-01T00:00:00.5Z",
            "2026-01-01T00:00:00.5Z",
        ] {
            assert!(c.accept(t(ts), &mut skip));
        }
        assert_eq!(c.at_last, 2);
        assert_eq!(
            c.since().unwrap().as_second(),
            t("2026-01-01T00:00:00Z").timestamp()
        );
        // The server sends the whole second again, then a new line at the
        // same instant, then a later one.
        let mut skip = c.at_last;
        let again = [
            ("2026-01-01T00:00:00.1Z", false),
            ("2026-01-01T00:00:00.5Z", false),
            ("2026-01-01T00:00:00.5Z", false),
            ("2026-01-01T00:00:00.5Z", true),
            ("2026-01-01T00:00:01Z", true),
        ];
        for (ts, new) in again {
            assert_eq!(c.accept(t(ts), &mut skip), new, "{ts}");
        }
    }

    #[test]
    fn timestamp_prefix() {
        let (ts, text) =
            split_timestamp("2026-11-28T10:00:00.123456789Z 2026-11-28T10:00:00.123Z [INFO] x");
        assert!(ts.is_some());
        assert_eq!(text, "2026-11-28T10:00:00.123Z [INFO] x");
        assert_eq!(split_timestamp("plain line").1, "plain line");
    }
}
