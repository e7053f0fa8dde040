//! `cargo xtask test --stress N`: the cluster tests N times in a row on a machine kept busy, to
//! shake out tests that pass only when the machine has time to spare.
//!
//! The tests are built once; then one busy loop per core spins in this process (threads, so
//! that they end with it, whatever way it ends: success, failure, panic or Ctrl-C) for as long
//! as the runs last, and are stopped and joined before the verdict.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::summary;
use crate::util;

/// The test files of the cluster tests crate that `--stress` leaves out unless named with
/// `--test`: they check the release archives in `target/dist` (`cargo xtask dist
/// --all-targets`, 20 minutes), which stress does not rebuild.
pub const NEEDS_RELEASE: &[&str] = &["krew", "platforms"];

/// Busy loops on every core, stopped and joined when dropped.
pub struct Busy {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
}

impl Busy {
    /// Starts `n` spinning threads.
    pub fn start(n: usize) -> Result<Busy> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut busy = Busy { stop: Arc::clone(&stop), threads: vec![] };
        for i in 0..n {
            let stop = Arc::clone(&stop);
            // On an error `busy` is dropped, which stops the threads already started.
            let thread = std::thread::Builder::new().name(format!("busy-{i}")).spawn(move || spin(&stop))?;
            busy.threads.push(thread);
        }
        Ok(busy)
    }

    pub fn running(&self) -> usize {
        self.threads.iter().filter(|t| !t.is_finished()).count()
    }

    /// Stops and joins the threads; returns how many rounds of about a millisecond they spun.
    pub fn stop(mut self) -> u64 {
        self.halt()
    }

    fn halt(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.threads.drain(..).map(|t| t.join().unwrap_or(0)).sum()
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Keeps one core busy until `stop`: integer arithmetic the optimiser cannot drop, the flag read
/// between rounds of about a millisecond. Returns the rounds spun.
fn spin(stop: &AtomicBool) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rounds = 0;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407));
        }
        rounds += 1;
    }
    rounds
}

/// The `cargo test` arguments that select the cluster tests: every file in `tests/tests` but
/// those of [`NEEDS_RELEASE`].
pub fn selection(tests_dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(tests_dir)
        .with_context(|| format!("reading {}", tests_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .filter(|n| !NEEDS_RELEASE.contains(&n.as_str()))
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no test files in {}", tests_dir.display());
    }
    let mut args = vec!["-p".to_string(), "kubectl-kit-tests".to_string()];
    for n in names {
        args.extend(["--test".to_string(), n]);
    }
    Ok(args)
}

/// One run's outcome.
struct Run {
    took: Duration,
    green: bool,
    summary: summary::Summary,
}

/// Runs `test` (a fresh `cargo test` command each time) `n` times under busy loops; returns
/// true when every run was green.
pub fn runs(n: u32, test: impl Fn() -> Command) -> Result<bool> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let busy = Busy::start(cores)?;
    util::step(&format!("{} busy loops spinning (one per core) until the last run ends", busy.running()));
    let mut results: Vec<Run> = vec![];
    for i in 1..=n {
        util::step(&format!("stress run {i}/{n}"));
        let started = Instant::now();
        let (status, summary) = summary::run(test())?;
        let run = Run { took: started.elapsed(), green: status.success() && summary.red().is_empty(), summary };
        util::say_err(&format!("{}\n", line(i, n, &run)));
        results.push(run);
    }
    let spinning = busy.running();
    let rounds = busy.stop();
    util::step(&format!("stopped the {spinning} busy loops ({rounds} rounds of spinning)"));
    let red: Vec<String> =
        results.iter().enumerate().filter(|(_, r)| !r.green).map(|(i, _)| (i + 1).to_string()).collect();
    util::say_err("==> stress summary:\n");
    for (i, run) in results.iter().enumerate() {
        util::say_err(&format!("  {}\n", line(i as u32 + 1, n, run)));
    }
    if red.is_empty() {
        util::say_err(&format!("==> all {n} runs green under load\n"));
    } else {
        util::say_err(&format!("==> {} of {n} runs failed under load (run {})\n", red.len(), red.join(", ")));
    }
    Ok(red.is_empty())
}

/// `run 2/5: 3m12s, 140 passed, 1 failed, 3 ignored: FAILED (kubectl-kit-tests tests/faults.rs)`.
fn line(i: u32, n: u32, run: &Run) -> String {
    let secs = run.took.as_secs();
    let t = run.summary.total();
    let verdict = if run.green {
        "green".to_string()
    } else {
        let red: Vec<&str> = run.summary.red().iter().map(|f| f.label.as_str()).collect();
        if red.is_empty() { "FAILED".to_string() } else { format!("FAILED ({})", red.join(", ")) }
    };
    format!(
        "run {i}/{n}: {}m{:02}s, {} passed, {} failed, {} ignored: {verdict}",
        secs / 60,
        secs % 60,
        t.passed,
        t.failed,
        t.ignored
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_loops_spin_until_stopped() {
        let busy = Busy::start(2).expect("threads");
        assert_eq!(busy.running(), 2);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(busy.running(), 2, "still spinning");
        assert!(busy.stop() > 0, "the loops spun");
    }

    #[test]
    fn dropping_the_busy_loops_ends_them() {
        let busy = Busy::start(1).expect("threads");
        let stop = Arc::clone(&busy.stop);
        drop(busy);
        assert!(stop.load(Ordering::Relaxed), "told to stop");
        // Joined in drop: a thread still spinning would have kept drop from returning.
    }

    #[test]
    fn the_selection_leaves_out_the_release_tests() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["smoke.rs", "krew.rs", "platforms.rs", "cols.rs", "notes.md"] {
            std::fs::write(dir.path().join(f), "").expect("write");
        }
        assert_eq!(
            selection(dir.path()).expect("files"),
            ["-p", "kubectl-kit-tests", "--test", "cols", "--test", "smoke"]
        );
        assert!(selection(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_real_tests_directory_has_the_release_tests_it_leaves_out() {
        let dir = crate::paths::root().join("tests").join("tests");
        for name in NEEDS_RELEASE {
            assert!(dir.join(format!("{name}.rs")).is_file(), "{name}.rs is gone: update NEEDS_RELEASE");
        }
    }

    #[test]
    fn a_run_line_names_the_red_files() {
        let mut summary = summary::Summary::default();
        summary.feed(b"     Running tests/faults.rs (target/debug/deps/faults-0123456789abcdef)\ntest result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.00s\n");
        let run = Run { took: Duration::from_secs(192), green: false, summary };
        assert_eq!(line(2, 5, &run), "run 2/5: 3m12s, 3 passed, 1 failed, 0 ignored: FAILED (tests/faults.rs)");
    }
}
