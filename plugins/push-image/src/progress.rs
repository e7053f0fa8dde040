//! Progress on stderr while blobs upload: one bar with bytes, throughput and blobs done, and a
//! line per finished blob above it. Drawn by indicatif only when stderr is a terminal (there is
//! no colour, so `NO_COLOR` has no say); hidden otherwise, so logs and pipes stay clean. While
//! the bar is up, every other stderr write (retry warnings, `-v=6` lines) goes through the
//! bar's `suspend`, so it prints above the bar instead of over it.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kubectl_kit_core::output;

use kubectl_kit_registry::registry::Action;

/// Progress of the blobs of one push.
pub struct Progress {
    terminal: bool,
    state: Mutex<State>,
    ticking: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    bar: Option<ProgressBar>,
    counters: HashMap<String, (Arc<AtomicU64>, u64)>,
    done: usize,
}

impl Progress {
    /// Progress that draws when stderr is a terminal.
    pub fn for_stderr() -> Arc<Self> {
        Self::new(std::io::stderr().is_terminal())
    }

    /// Progress that counts and never draws.
    pub fn hidden() -> Arc<Self> {
        Self::new(false)
    }

    fn new(terminal: bool) -> Arc<Self> {
        Arc::new(Progress { terminal, state: Mutex::default(), ticking: Arc::default() })
    }

    /// Starts a push of these blobs (digest, size) and, on a terminal, the bar.
    pub fn start(self: &Arc<Self>, repository: &str, tag: &str, blobs: Vec<(String, u64)>) {
        let Ok(mut s) = self.state.lock() else { return };
        let total = blobs.iter().map(|(_, n)| n).sum();
        s.counters = blobs.into_iter().map(|(d, n)| (d, (Arc::new(AtomicU64::new(0)), n))).collect();
        s.done = 0;
        let visible = self.terminal && !s.counters.is_empty();
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(total), target).with_prefix(format!("{repository}:{tag}"));
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix}  {decimal_bytes} / {decimal_total_bytes}  {decimal_bytes_per_sec}  {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(format!("0 of {} blobs", s.counters.len()));
        if visible {
            let shown = bar.clone();
            output::suspend_stderr_with(Some(Arc::new(move |write: &mut dyn FnMut()| shown.suspend(&mut *write))));
            self.ticking.store(true, Ordering::Relaxed);
            let me = Arc::clone(self);
            tokio::spawn(async move {
                while me.ticking.load(Ordering::Relaxed) {
                    me.tick();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
        s.bar = Some(bar);
    }

    /// The counter a blob's body adds its bytes to.
    pub fn counter(&self, digest: &str) -> Arc<AtomicU64> {
        self.state.lock().ok().and_then(|s| s.counters.get(digest).map(|(c, _)| Arc::clone(c))).unwrap_or_default()
    }

    /// Moves the bar to the bytes sent so far (a blob that starts again counts from zero).
    pub fn tick(&self) {
        let Ok(s) = self.state.lock() else { return };
        let sent: u64 = s.counters.values().map(|(c, n)| c.load(Ordering::Relaxed).min(*n)).sum();
        if let Some(bar) = &s.bar {
            bar.set_position(sent);
        }
    }

    /// A blob finished.
    pub fn done(&self, digest: &str, action: Action) {
        let Ok(mut s) = self.state.lock() else { return };
        s.done += 1;
        let size = s.counters.get(digest).map_or(0, |(_, n)| *n);
        let verb = match action {
            Action::Pushed => "pushed",
            Action::Mounted => "mounted",
            Action::Exists => "exists",
        };
        if let Some(bar) = &s.bar {
            bar.set_message(format!("{} of {} blobs", s.done, s.counters.len()));
            // Printed above the bar on a terminal; nothing when hidden.
            bar.println(format!("  {}  {:>10}  {verb}", short(digest), bytes(size)));
        }
    }

    /// Blobs finished so far in this push.
    pub fn blobs_done(&self) -> usize {
        self.state.lock().map_or(0, |s| s.done)
    }

    /// Bytes the bar shows as sent.
    pub fn position(&self) -> u64 {
        self.state.lock().ok().and_then(|s| s.bar.as_ref().map(ProgressBar::position)).unwrap_or(0)
    }

    /// Stops drawing and clears the bar.
    pub fn finish(&self) {
        self.ticking.store(false, Ordering::Relaxed);
        output::suspend_stderr_with(None);
        if let Some(bar) = self.state.lock().ok().and_then(|mut s| s.bar.take()) {
            bar.finish_and_clear();
        }
    }
}

fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

/// `524.3 MB`-style sizes (SI units, as registries and docker print them).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(524_288_000), "524.3 MB");
    }

    #[test]
    fn counts_bytes_and_blobs_without_a_terminal() {
        let p = Progress::hidden();
        p.start("app", "1", vec![("sha256:a".into(), 100), ("sha256:b".into(), 50)]);
        p.counter("sha256:a").fetch_add(60, Ordering::Relaxed);
        // A blob's counter never counts past its size (a retried body starts again).
        p.counter("sha256:b").fetch_add(80, Ordering::Relaxed);
        p.tick();
        assert_eq!(p.position(), 110);
        p.done("sha256:b", Action::Pushed);
        assert_eq!(p.blobs_done(), 1);
        assert_eq!(p.counter("sha256:unknown").load(Ordering::Relaxed), 0);
        p.finish();
        assert_eq!(p.position(), 0, "the bar is gone");
    }
}
