//! `cargo xtask bench [FILTER]`: every performance goal of the suite as a benchmark against its
//! peer, measured in the same run on the local cluster, printed as ours / peer / ratio.
//!
//! Wall times are medians over interleaved runs (ours, peer, ours, …) so that drift on a noisy
//! machine hits both sides alike. Results are also written to `target/bench/latest.md`.
//!
//! - this module: the table of start-up and request benchmarks, timing and memory helpers,
//!   `run`.
//! - `cols`, `trace`, `detach`, `push`: one plugin's benchmarks at scale each.
//! - `fleet`: reads across three clusters' contexts.

mod cols;
mod detach;
mod fleet;
mod push;
mod trace;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{cluster, paths, util};

/// One comparison.
struct Bench {
    name: &'static str,
    goal: f64,
    ours: Vec<String>,
    peer: Vec<String>,
    /// Run before each timed run of ours (e.g. to clear a cache).
    before_ours: Option<fn(&Env)>,
}

/// What the benchmarks run against.
#[derive(Clone)]
pub struct Env {
    pub release: PathBuf,
    pub kubectl: PathBuf,
    pub kubeconfig: PathBuf,
    pub cache: PathBuf,
}

impl Env {
    /// The cluster's kubectl, quiet, for setting up a benchmark.
    fn kubectl(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.kubectl);
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args).stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    fn command(&self, argv: &[String]) -> Command {
        let program = if argv[0] == "kubectl" { self.kubectl.clone() } else { self.release.join(&argv[0]) };
        let mut c = Command::new(program);
        c.args(&argv[1..])
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", &self.cache)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }
}

fn argv(words: &str) -> Vec<String> {
    words.split_whitespace().map(str::to_string).collect()
}

fn clear_cache(env: &Env) {
    let _ = std::fs::remove_dir_all(&env.cache);
}

fn benches() -> Vec<Bench> {
    vec![
        Bench {
            name: "start-up: shortname --help vs kubectl version --client",
            goal: 0.25,
            ours: argv("kubectl-shortname --help"),
            peer: argv("kubectl version --client"),
            before_ours: None,
        },
        Bench {
            name: "first requests over TLS: shortname, cold cache (GET /api + /apis) vs kubectl get --raw /version",
            goal: 0.30,
            ours: argv("kubectl-shortname po"),
            peer: argv("kubectl get --raw /version"),
            before_ours: Some(clear_cache),
        },
        Bench {
            name: "listing: shortname --all, warm cache vs kubectl api-resources",
            goal: 0.20,
            ours: argv("kubectl-shortname --all"),
            peer: argv("kubectl api-resources"),
            before_ours: None,
        },
    ]
}

fn time_once(env: &Env, argv: &[String]) -> Result<Duration> {
    let started = Instant::now();
    let status = env.command(argv).status().with_context(|| format!("could not run {}", argv.join(" ")))?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("`{}` failed ({status})", argv.join(" "));
    }
    Ok(elapsed)
}

/// Median wall times of ours and the peer, after a warm-up of each, run interleaved so that drift
/// on a noisy machine hits both alike. `before_ours` runs before each timed run of ours.
fn interleaved(
    env: &Env,
    ours: &[String],
    peer: &[String],
    runs: usize,
    before_ours: Option<fn(&Env)>,
) -> Result<(Duration, Duration)> {
    time_once(env, ours)?;
    time_once(env, peer)?;
    let (mut o, mut p) = (vec![], vec![]);
    for _ in 0..runs {
        if let Some(f) = before_ours {
            f(env);
        }
        o.push(time_once(env, ours)?);
        p.push(time_once(env, peer)?);
    }
    Ok((median(o), median(p)))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Prints one wall-time comparison, adds its row to the report, and returns 1 if it misses
/// its goal (0 otherwise).
fn record(report: &mut String, name: &str, ours: Duration, peer: Duration, goal: f64) -> usize {
    let ratio = ours.as_secs_f64() / peer.as_secs_f64();
    let verdict = if ratio <= goal { "meets goal" } else { "MISSES goal" };
    util::say(&format!(
        "{name}\n  ours {:>10}   peer {:>10}   ratio {ratio:.3}   goal ≤ {goal:.2}   {verdict}\n",
        ms(ours),
        ms(peer)
    ));
    report.push_str(&format!("| {name} | {} | {} | {ratio:.3} | ≤ {goal:.2} |\n", ms(ours), ms(peer)));
    usize::from(ratio > goal)
}

/// Counts the requests a command sends (`-v=6` lines).
fn requests(env: &Env, argv: &[String]) -> Result<usize> {
    let mut c = env.command(argv);
    c.arg("-v=6").stderr(Stdio::piped());
    let out = c.output()?;
    // Both log each response as kubectl's round-tripper does: `"Response" verb="GET" url=…`.
    Ok(String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains("\"Response\" verb=")).count())
}

/// Builds the plugins in release mode; returns the directory of the binaries.
pub fn build_release() -> Result<PathBuf> {
    util::step("building the plugins (release)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status =
        Command::new(cargo).current_dir(paths::root()).args(["build", "--release", "--quiet", "--bins"]).status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(paths::root().join("target").join("release"))
}

/// Wall time (s) and peak RSS (KiB) of one run of a plugin or kubectl, through GNU time; stdout
/// kept for comparison.
fn measure(env: &Env, argv: &[String]) -> Result<(f64, u64, Vec<u8>)> {
    let (wall, kib, stdout) = measure_command(env.command(argv))?;
    Ok((wall.as_secs_f64(), kib, stdout))
}

/// Wall time, peak RSS (KiB, through GNU time) and stdout of one run of any command; stderr is
/// kept for the message when it fails.
fn measure_command(c: Command) -> Result<(Duration, u64, Vec<u8>)> {
    let time = which::which("time")
        .or_else(|_| which::which("/usr/bin/time"))
        .map_err(|_| anyhow::anyhow!("GNU time is needed to measure peak memory: apt-get install time"))?;
    let report = paths::root().join("target").join("bench").join("time.txt");
    let mut t = Command::new(time);
    t.arg("-f").arg("%M").arg("-o").arg(&report).arg(c.get_program()).args(c.get_args());
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            t.env(k, v);
        }
    }
    t.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let out = t.output()?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        bail!("`{:?}` failed ({}): {}", c.get_program(), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    let kib = std::fs::read_to_string(&report)?.trim().parse().unwrap_or(0);
    Ok((elapsed, kib, out.stdout))
}

pub fn run(args: &[&str]) -> Result<()> {
    let large = args.contains(&"--large");
    let filter = args.iter().copied().find(|a| !a.starts_with("--")).unwrap_or("");
    let release = build_release()?;
    cluster::ensure_up()?;
    let cache = paths::root().join("target").join("bench").join("kube-cache");
    let env = Env { release, kubectl: paths::kubectl(), kubeconfig: paths::kubeconfig(), cache };
    let iterations = 21;
    let mut report = String::from("| benchmark | ours | peer | ratio | goal |\n|---|---|---|---|---|\n");
    let mut failed = 0;
    for b in benches().into_iter().filter(|b| b.name.contains(filter)) {
        let (o, p) = interleaved(&env, &b.ours, &b.peer, iterations, b.before_ours)?;
        failed += record(&mut report, b.name, o, p, b.goal);
    }
    if "requests".contains(filter) || filter.is_empty() {
        clear_cache(&env);
        let cold = requests(&env, &argv("kubectl-shortname --all"))?;
        let warm = requests(&env, &argv("kubectl-shortname --all"))?;
        let peer = requests(&env, &argv("kubectl api-resources"))?;
        util::say(&format!(
            "requests: shortname cold {cold} (goal ≤ 2), warm {warm} (goal 0); kubectl api-resources {peer}\n"
        ));
        report.push_str(&format!(
            "\nRequests: `kubectl shortname` cold {cold} (goal ≤ 2), warm {warm} (goal 0); `kubectl api-resources` {peer}.\n"
        ));
        if cold > 2 || warm > 0 {
            failed += 1;
        }
    }
    if filter.is_empty() || "trace-svc".contains(filter) {
        failed += trace::bench_trace(&env, &mut report)?;
        failed += trace::bench_trace_entry(&env, &mut report)?;
        failed += trace::bench_trace_load(&env, &mut report)?;
    }
    if filter.is_empty() || "detach".contains(filter) {
        failed += detach::bench_detach(&env, &mut report)?;
    }
    if filter.is_empty() || "push-image".contains(filter) {
        failed += push::bench_push(&env, &mut report)?;
    }
    if filter.is_empty() || filter.starts_with("cols") {
        failed += cols::bench_cols(&env, &mut report, large, filter)?;
    }
    if filter.is_empty() || "fleet".contains(filter) {
        failed += fleet::bench_fleet(&env, &mut report)?;
    }
    let out = paths::root().join("target").join("bench");
    std::fs::create_dir_all(&out)?;
    write(&out.join("latest.md"), &report)?;
    util::say(&format!("results: {}\n", out.join("latest.md").display()));
    if failed > 0 {
        util::say_err(&format!("{failed} benchmark(s) missed their goal\n"));
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("could not write {}", path.display()))
}
