//! Progress on stderr while blobs upload: one line redrawn with bytes, throughput and blobs
//! done, and a line per finished blob. Only when stderr is a terminal (and `NO_COLOR` has no
//! say: there is no colour); silent otherwise, so logs and pipes stay clean.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubectl_kit_core::output;

use crate::registry::Action;

/// Progress of the blobs of one push.
#[derive(Default)]
pub struct Progress {
    enabled: bool,
    state: Mutex<State>,
    drawing: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    label: String,
    counters: HashMap<String, (Arc<AtomicU64>, u64)>,
    total: u64,
    done: usize,
    started: Option<Instant>,
}

impl Progress {
    /// Progress that draws when stderr is a terminal.
    pub fn for_stderr() -> Arc<Self> {
        Arc::new(Progress { enabled: std::io::stderr().is_terminal(), ..Default::default() })
    }

    /// Starts a push of these blobs (digest, size) and, on a terminal, the redraw task.
    pub fn start(self: &Arc<Self>, repository: &str, tag: &str, blobs: Vec<(String, u64)>) {
        let Ok(mut s) = self.state.lock() else { return };
        s.label = format!("{repository}:{tag}");
        s.total = blobs.iter().map(|(_, n)| n).sum();
        s.counters = blobs.into_iter().map(|(d, n)| (d, (Arc::new(AtomicU64::new(0)), n))).collect();
        s.done = 0;
        s.started = Some(Instant::now());
        if self.enabled && !s.counters.is_empty() {
            self.drawing.store(true, Ordering::Relaxed);
            let me = Arc::clone(self);
            tokio::spawn(async move {
                while me.drawing.load(Ordering::Relaxed) {
                    me.draw();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
    }

    /// The counter a blob's body adds its bytes to.
    pub fn counter(&self, digest: &str) -> Arc<AtomicU64> {
        self.state.lock().ok().and_then(|s| s.counters.get(digest).map(|(c, _)| Arc::clone(c))).unwrap_or_default()
    }

    /// A blob finished.
    pub fn done(&self, digest: &str, action: Action) {
        let Ok(mut s) = self.state.lock() else { return };
        s.done += 1;
        if self.enabled {
            let size = s.counters.get(digest).map_or(0, |(_, n)| *n);
            let verb = match action {
                Action::Pushed => "pushed",
                Action::Mounted => "mounted",
                Action::Exists => "exists",
            };
            output::err(&format!("\r\x1b[2K  {}  {:>10}  {verb}\n", short(digest), bytes(size)));
        }
    }

    /// Stops drawing and clears the line.
    pub fn finish(&self) {
        if self.drawing.swap(false, Ordering::Relaxed) {
            output::err("\r\x1b[2K");
        }
    }

    fn draw(&self) {
        let Ok(s) = self.state.lock() else { return };
        let sent: u64 = s.counters.values().map(|(c, n)| c.load(Ordering::Relaxed).min(*n)).sum();
        let secs = s.started.map_or(0.0, |t| t.elapsed().as_secs_f64()).max(0.001);
        let rate = sent as f64 / secs;
        output::err(&format!(
            "\r\x1b[2K{}  {} / {}  {}/s  {} of {} blobs",
            s.label,
            bytes(sent),
            bytes(s.total),
            bytes(rate as u64),
            s.done,
            s.counters.len()
        ));
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
    #[test]
    fn sizes() {
        assert_eq!(super::bytes(999), "999 B");
        assert_eq!(super::bytes(524_288_000), "524.3 MB");
    }
}
