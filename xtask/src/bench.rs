//! `cargo xtask bench [FILTER]`: every performance goal of the suite as a benchmark against its
//! peer, measured in the same run on the local cluster, printed as ours / peer / ratio.
//!
//! Wall times are medians over interleaved runs (ours, peer, ours, …) so that drift on a noisy
//! machine hits both sides alike. Results are also written to `target/bench/latest.md`.

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
pub struct Env {
    pub release: PathBuf,
    pub kubectl: PathBuf,
    pub kubeconfig: PathBuf,
    pub cache: PathBuf,
}

impl Env {
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
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

pub fn run(args: &[&str]) -> Result<()> {
    let filter = args.first().copied().unwrap_or("");
    let release = build_release()?;
    cluster::ensure_up()?;
    let cache = paths::root().join("target").join("bench").join("kube-cache");
    let env = Env { release, kubectl: paths::kubectl(), kubeconfig: paths::kubeconfig(), cache };
    let iterations = 21;
    let mut report = String::from("| benchmark | ours | peer | ratio | goal |\n|---|---|---|---|---|\n");
    let mut failed = 0;
    for b in benches().into_iter().filter(|b| b.name.contains(filter)) {
        // Warm-up: fills caches, page cache and the server's watch caches for both sides.
        time_once(&env, &b.ours)?;
        time_once(&env, &b.peer)?;
        let (mut ours, mut peer) = (vec![], vec![]);
        for _ in 0..iterations {
            if let Some(f) = b.before_ours {
                f(&env);
            }
            ours.push(time_once(&env, &b.ours)?);
            peer.push(time_once(&env, &b.peer)?);
        }
        let (o, p) = (median(ours), median(peer));
        let ratio = o.as_secs_f64() / p.as_secs_f64();
        let verdict = if ratio <= b.goal { "meets goal" } else { "MISSES goal" };
        if ratio > b.goal {
            failed += 1;
        }
        util::say(&format!(
            "{}\n  ours {:>10}   peer {:>10}   ratio {:.3}   goal ≤ {:.2}   {verdict}\n",
            b.name,
            ms(o),
            ms(p),
            ratio,
            b.goal
        ));
        report.push_str(&format!("| {} | {} | {} | {:.3} | ≤ {:.2} |\n", b.name, ms(o), ms(p), ratio, b.goal));
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
