//! The event loop: observations from sources, keys from the terminal, and a
//! one-second tick for countdowns. Draws when something changed, never in a
//! busy loop; keys redraw at once, bursts of observations at most every 50 ms.

use std::io;
use std::path::Path;
use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::terminal::TerminalGuard;
use crate::app::App;
use crate::app::keys::Action;
use crate::app::state::DemoInfo;
use crate::clock::{Clock, DemoClock};
use crate::model::Observation;
use crate::sources::Inbox;
use crate::sources::demo::Control;

/// A diagnosis slower than this (a very big cluster) is not repeated for
/// every burst of data: the next one waits eight times as long as it took,
/// so keys stay responsive (input under 50 ms) while logs stream. Countdowns
/// still tick every second; they are drawn from the clock.
const SLOW_DIAGNOSIS: Duration = Duration::from_millis(25);

fn gap_after(took: Duration) -> Duration {
    if took > SLOW_DIAGNOSIS {
        (took * 8).min(Duration::from_secs(5))
    } else {
        Duration::ZERO
    }
}

/// Observations applied in one go before the loop looks at keys again.
const MAX_BURST: usize = 2_000;

/// How long a burst of observations may wait before it is drawn.
const DATA_FRAME: Duration = Duration::from_millis(50);

/// A batch this small is a trickle (a busy cluster's watch events, one at
/// a time): the next are taken a frame later, together, rather than each
/// waking the loop (a wake-up costs more than applying an event). A flood
/// (a first list) is taken as fast as it comes.
const TRICKLE: usize = 32;

/// The demo's trainer controls: its clock (for the header) and the way to
/// the player.
pub struct Trainer {
    pub clock: DemoClock,
    pub controls: mpsc::UnboundedSender<Control>,
}

impl Trainer {
    /// `t+2m30s ×10`, and what comes next in the story.
    fn info(&self) -> DemoInfo {
        let secs = self.clock.elapsed().num_seconds();
        let speed = self.clock.speed();
        let speed = if speed.fract() == 0.0 {
            format!("{speed:.0}")
        } else {
            format!("{speed}")
        };
        let mut clock = format!(
            "t+{} ×{speed}",
            crate::model::vault::countdown(chrono::Duration::seconds(secs))
        );
        if self.clock.paused() {
            clock.push_str(" paused");
        }
        DemoInfo {
            clock,
            cue: crate::sources::demo::cue(secs),
        }
    }
}

pub async fn run(
    mut app: App,
    mut rx: mpsc::Receiver<Observation>,
    inbox: Inbox,
    clock: Clock,
    mouse: bool,
    stop_when_sources_end: bool,
    trainer: Option<Trainer>,
) -> io::Result<()> {
    let mut guard = TerminalGuard::enter(mouse)?;
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut draw_now = true;
    let mut redraw_only = false;
    let mut diagnosis_gap = Duration::ZERO;
    let mut last_diagnosis = std::time::Instant::now();
    let mut data_deadline: Option<Instant> = None;
    let mut trickle_pause: Option<Instant> = None;
    let mut sources_open = true;
    // Test hook: prove the terminal is restored when the loop panics or fails.
    let fault = std::env::var("VAULTSCOPE_TEST_FAULT").ok();
    loop {
        if draw_now || redraw_only {
            // A key redraws at once with the current diagnosis; data and the
            // clock re-diagnose (less often when a diagnosis is slow).
            if draw_now {
                if last_diagnosis.elapsed() >= diagnosis_gap {
                    let started = std::time::Instant::now();
                    app.refresh(clock.now_seconds());
                    diagnosis_gap = gap_after(started.elapsed());
                    last_diagnosis = std::time::Instant::now();
                } else {
                    app.set_now(clock.now_seconds());
                }
            }
            redraw_only = false;
            if let Some(t) = &trainer {
                app.ui.demo = Some(t.info());
                app.ui.demo_paused = t.clock.paused();
            }
            guard.terminal.draw(|f| super::draw(f, &mut app))?;
            draw_now = false;
            data_deadline = None;
            match fault.as_deref() {
                Some("panic") => panic!("VAULTSCOPE_TEST_FAULT=panic"),
                Some("error") => return Err(io::Error::other("VAULTSCOPE_TEST_FAULT=error")),
                _ => {}
            }
        }
        // The way back to the sources: what the screen needs now.
        for request in app.take_requests() {
            inbox.send(request);
        }
        // What keys asked of the terminal and the files; the notice that
        // says how it went is drawn at once.
        if app.has_effects() {
            for c in super::effects::run(&mut app, guard.terminal.backend_mut(), Path::new(".")) {
                if let Some(t) = &trainer {
                    // The player is gone only when the demo failed, which
                    // the caller reports.
                    let _ = t.controls.send(c);
                }
            }
            // A control moves the clock: re-diagnose at the new time.
            draw_now = true;
            continue;
        }
        if app.ui.quit {
            break;
        }
        if super::terminal::PANICKED.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(io::Error::other(
                "a background task panicked (its message is above)",
            ));
        }
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    redraw_only = app.on_key(k);
                    // Start the log streams of a pane that just opened now
                    // (sent at the top of the loop, before the next wait).
                    app.publish_targets();
                }
                Some(Ok(Event::Resize(..))) => draw_now = true,
                Some(Ok(Event::Mouse(m))) => {
                    let action = match m.kind {
                        MouseEventKind::ScrollUp => Some(Action::Up),
                        MouseEventKind::ScrollDown => Some(Action::Down),
                        _ => None,
                    };
                    if let Some(a) = action {
                        app.perform(a);
                        draw_now = true;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            },
            obs = rx.recv(), if sources_open && trickle_pause.is_none() => match obs {
                Some(o) => {
                    let mut changed = app.apply(o);
                    let mut taken = 1;
                    // Take a burst before drawing, but not forever: keys and
                    // frames must get a turn while a big first list streams in.
                    while taken < MAX_BURST {
                        let Ok(o) = rx.try_recv() else { break };
                        changed |= app.apply(o);
                        taken += 1;
                    }
                    // Watch events that repeat what is shown (most, in a
                    // busy cluster) cost no diagnosis and no frame.
                    if changed {
                        data_deadline.get_or_insert_with(|| Instant::now() + DATA_FRAME);
                    }
                    if taken < TRICKLE {
                        trickle_pause = Some(Instant::now() + DATA_FRAME);
                    }
                }
                // A source that stops while the dashboard runs has failed: the
                // caller reports why once the terminal is restored.
                None if stop_when_sources_end => break,
                None => sources_open = false,
            },
            _ = async { sleep_until(data_deadline.expect("guarded")).await }, if data_deadline.is_some() => draw_now = true,
            _ = async { sleep_until(trickle_pause.expect("guarded")).await }, if trickle_pause.is_some() => trickle_pause = None,
            _ = tick.tick() => draw_now = true,
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
            _ = sighup.recv() => break,
        }
    }
    drop(guard);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trainer_sees_time_speed_and_what_comes_next() {
        let start = "2026-11-28T10:00:00Z".parse().unwrap();
        let clock = DemoClock::new(start, 10.0, chrono::Duration::seconds(150));
        clock.pause();
        let (controls, _rx) = mpsc::unbounded_channel();
        let info = Trainer { clock, controls }.info();
        assert_eq!(info.clock, "t+2m30s ×10 paused");
        assert_eq!(info.cue, "next, in 40s: Vault is unsealed: agents recover");
    }
}
