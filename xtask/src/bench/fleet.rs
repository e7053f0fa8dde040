//! Reads across contexts (issue: fleet views) on three clusters side by side
//! (`cluster up --fleet 3`), 1 000 pods each:
//! - `cols pods ip --contexts kit-1,kit-2,kit-3` against the slowest context read alone (wall
//!   ≤ 1.3×), against kubectl run once per context in a loop (≤ 0.5×), and its peak RSS against
//!   one context's (≤ 1.2×);
//! - `trace-svc --contexts` on the three against the slowest single trace (≤ 1.3×);
//! - the three and one context whose server never answers, with `--request-timeout=2s`: the
//!   others' rows come after that timeout, not later (≤ 1.2× the timeout), against kubectl in a
//!   loop over the four.
//!
//! Beside the wall-time ratios it prints their floor on this machine: the CPU time the whole
//! machine spent while the contexts were read (API servers, etcd and the plugin together)
//! divided by its CPUs is the least wall time any schedule of that work can take. Where three
//! clusters share the machine, that floor alone can exceed a goal written for clusters that do
//! not.

use std::process::Command;

use anyhow::Result;

use super::{Env, measure, measure_command};
use crate::cluster::fleet;
use crate::{paths, seed, util};

const NS: &str = "bench-1k";
const CONTEXTS: [&str; 3] = ["kit-1", "kit-2", "kit-3"];
const RUNS: usize = 5;
/// The Service the traces follow, selecting the bench pods.
const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata: {name: bench}\nspec: {selector: {app: bench}, ports: [{port: 80}]}\n";

/// The median of `RUNS` measurements of `f` (wall seconds, peak KiB), the peak the highest.
fn median_of(f: impl FnMut() -> Result<(f64, u64)>) -> Result<(f64, u64)> {
    median_busy(f).map(|(w, m, _)| (w, m))
}

/// As `median_of`, with the median of the CPU seconds the machine spent busy during each run.
fn median_busy(mut f: impl FnMut() -> Result<(f64, u64)>) -> Result<(f64, u64, f64)> {
    let (mut walls, mut busy, mut peak) = (vec![], vec![], 0);
    for _ in 0..RUNS {
        let before = busy_seconds()?;
        let (w, m) = f()?;
        busy.push(busy_seconds()? - before);
        walls.push(w);
        peak = peak.max(m);
    }
    walls.sort_by(f64::total_cmp);
    busy.sort_by(f64::total_cmp);
    Ok((walls[walls.len() / 2], peak, busy[busy.len() / 2]))
}

/// The CPU seconds every CPU of the machine has spent busy since boot: `/proc/stat`'s first
/// line, every field but idle and iowait, in the kernel's USER_HZ ticks (100 a second on Linux
/// whatever the kernel's own tick rate).
fn busy_seconds() -> Result<f64> {
    const USER_HZ: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().unwrap_or_default();
    let ticks: Vec<u64> = line.split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
    anyhow::ensure!(ticks.len() >= 8, "/proc/stat: no cpu line with 8 fields: {line}");
    let busy: u64 = ticks.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, t)| t).sum();
    Ok(busy as f64 / USER_HZ)
}

/// The floor of a wall-time ratio on this machine: `busy` CPU seconds spread over every CPU,
/// against `alone` (the slowest single context's wall time), printed and written to the report.
fn floor(report: &mut String, what: &str, busy: f64, alone: f64) {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let least = busy / cpus;
    let text = format!(
        "{what}: the machine was busy {busy:.3} CPU s per run (API servers, etcd, controllers, kwok and the \
         plugin); on {cpus} CPUs no schedule takes less than {least:.3} s, {:.3}× the slowest context alone",
        least / alone
    );
    util::say(&format!("  floor: {text}\n"));
    report.push_str(&format!("\nFloor on this machine, {text}.\n"));
}

fn line(report: &mut String, name: &str, ours: f64, peer: f64, unit: &str, goal: f64) -> usize {
    let ratio = ours / peer;
    let verdict = if ratio <= goal { "meets goal" } else { "MISSES goal" };
    util::say(&format!(
        "{name}\n  ours {ours:.3} {unit}   peer {peer:.3} {unit}   ratio {ratio:.3}   goal ≤ {goal:.2}   {verdict}\n"
    ));
    report.push_str(&format!("| {name} | {ours:.3} {unit} | {peer:.3} {unit} | {ratio:.3} | ≤ {goal:.2} |\n"));
    usize::from(ratio > goal)
}

pub(super) fn bench_fleet(env: &Env, report: &mut String) -> Result<usize> {
    if fleet::running().is_none_or(|n| n < 3) {
        fleet::up(3)?;
    }
    for i in 1..=3 {
        seed::pods_in(&fleet::member_kubeconfig(i), NS, 1000)?;
    }
    let merged = Env { kubeconfig: fleet::kubeconfig(), ..env.clone() };
    let cols = |contexts: &str| -> Vec<String> {
        ["kubectl-cols", "pods", "ip", "-n", NS, "--contexts", contexts].map(String::from).to_vec()
    };
    let mut missed = 0;
    let (all, all_rss, all_busy) =
        median_busy(|| measure(&merged, &cols("kit-1,kit-2,kit-3")).map(|(w, m, _)| (w, m)))?;
    let mut slowest: (f64, u64) = (0.0, 0);
    for c in CONTEXTS {
        let (w, m) = median_of(|| {
            let argv: Vec<String> = ["kubectl-cols", "pods", "ip", "-n", NS, "--context", c].map(String::from).to_vec();
            measure(&merged, &argv).map(|(w, m, _)| (w, m))
        })?;
        slowest = (slowest.0.max(w), slowest.1.max(m));
    }
    let (looped, _) = median_of(|| {
        let sh = kubectl_loop(env, &fleet::kubeconfig(), &CONTEXTS.join(" "), "|| exit 1");
        measure_command(sh).map(|(w, m, _)| (w.as_secs_f64(), m))
    })?;
    missed += line(
        report,
        "cols: 3 contexts × 1 000 pods, preset, vs the slowest context alone, wall",
        all,
        slowest.0,
        "s",
        1.3,
    );
    floor(report, "cols across the 3 contexts", all_busy, slowest.0);
    missed += line(
        report,
        "cols: 3 contexts × 1 000 pods, preset, vs kubectl get in a loop over the contexts, wall",
        all,
        looped,
        "s",
        0.5,
    );
    missed += line(
        report,
        "cols: 3 contexts × 1 000 pods, preset, vs one context alone, peak RSS",
        all_rss as f64 / 1024.0,
        slowest.1 as f64 / 1024.0,
        "MB",
        1.2,
    );
    // trace-svc: the same Service in each cluster, selecting the 1 000 pods.
    for i in 1..=3 {
        let mut apply = Command::new(paths::kubectl());
        apply
            .arg("--kubeconfig")
            .arg(fleet::member_kubeconfig(i))
            .args(["-n", NS, "apply", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        let mut child = apply.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(SERVICE.as_bytes())?;
        }
        child.wait()?;
    }
    let trace = |flag: &str, value: &str| -> Vec<String> {
        ["kubectl-trace_svc", "bench", "-n", NS, flag, value].map(String::from).to_vec()
    };
    // A trace's verdict is its exit status: whatever it is, the time is what counts here.
    let timed = |argv: Vec<String>| median_busy(|| wall(merged.command(&argv)));
    let (all_traces, _, traces_busy) = timed(trace("--contexts", "kit-1,kit-2,kit-3"))?;
    let mut slowest_trace: f64 = 0.0;
    for c in CONTEXTS {
        slowest_trace = slowest_trace.max(timed(trace("--context", c))?.0);
    }
    missed +=
        line(report, "trace-svc: 3 contexts vs the slowest single trace, wall", all_traces, slowest_trace, "s", 1.3);
    floor(report, "trace-svc across the 3 contexts", traces_busy, slowest_trace);
    missed += slow_context(env, report, &cols)?;
    Ok(missed)
}

/// The custom columns of the `ip` preset, for kubectl.
const IP_COLUMNS: &str = "custom-columns=NAME:.metadata.name,NODE_IP:.status.hostIP,POD_IP:.status.podIP";

/// What people run today: `kubectl get` of the bench pods with the `ip` columns once per context
/// of `contexts` (space-separated), one after another, each command ending with `then`.
fn kubectl_loop(env: &Env, kubeconfig: &std::path::Path, contexts: &str, then: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "for c in {contexts}; do \"$KUBECTL\" get pods -n {NS} -o {IP_COLUMNS} --context \"$c\" {then}; done"
        ))
        .env("KUBECTL", &env.kubectl)
        .env("KUBECONFIG", kubeconfig)
        .env("KUBECACHEDIR", &env.cache);
    sh
}

/// The wall seconds of one run of `c` whatever its exit status, its output discarded (peak RSS
/// not measured: 0).
fn wall(mut c: Command) -> Result<(f64, u64)> {
    c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let started = std::time::Instant::now();
    c.status()?;
    Ok((started.elapsed().as_secs_f64(), 0))
}

/// How long the timeout of a context that never answers is given.
const SLOW_TIMEOUT: f64 = 2.0;

/// A server that accepts connections and never answers (a TLS handshake left hanging, as a
/// server behind a stalled proxy or a half-dead load balancer does), as the context `slow` of a
/// copy of the fleet's kubeconfig; returns that copy. The connections stay open while the
/// program runs.
fn with_slow_context() -> Result<std::path::PathBuf> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let copy = paths::root().join("target").join("bench").join("slow-kubeconfig");
    std::fs::copy(fleet::kubeconfig(), &copy)?;
    let user = Command::new(paths::kubectl())
        .arg("--kubeconfig")
        .arg(&copy)
        .args(["config", "view", "-o", "jsonpath={.contexts[?(@.name==\"kit-1\")].context.user}"])
        .output()?;
    let user = String::from_utf8_lossy(&user.stdout).trim().to_string();
    for args in [
        vec![
            "config".to_string(),
            "set-cluster".into(),
            "slow".into(),
            format!("--server=https://127.0.0.1:{port}"),
            "--insecure-skip-tls-verify=true".into(),
        ],
        vec!["config".into(), "set-context".into(), "slow".into(), "--cluster=slow".into(), format!("--user={user}")],
    ] {
        let status = Command::new(paths::kubectl()).arg("--kubeconfig").arg(&copy).args(&args).status()?;
        anyhow::ensure!(status.success(), "kubectl {} failed", args.join(" "));
    }
    Ok(copy)
}

/// The three contexts and `slow`: ours against the timeout (the others' rows are not held past
/// it), kubectl's loop over the four beside it.
fn slow_context(env: &Env, report: &mut String, cols: &dyn Fn(&str) -> Vec<String>) -> Result<usize> {
    let kubeconfig = with_slow_context()?;
    let slow = Env { kubeconfig: kubeconfig.clone(), ..env.clone() };
    let timeout = format!("--request-timeout={SLOW_TIMEOUT}s");
    let mut argv = cols("kit-1,kit-2,kit-3,slow");
    argv.push(timeout.clone());
    // The exit status is 1 (a context failed); the time is what counts.
    let (ours, _) = median_of(|| wall(slow.command(&argv)))?;
    let contexts = format!("{} slow", CONTEXTS.join(" "));
    let (looped, _) = median_of(|| wall(kubectl_loop(env, &kubeconfig, &contexts, &timeout)))?;
    util::say(&format!("kubectl get in a loop over the same four contexts: {looped:.3} s\n"));
    let missed = line(
        report,
        "cols: 3 contexts and one that never answers (--request-timeout=2s), vs that timeout, wall",
        ours,
        SLOW_TIMEOUT,
        "s",
        1.2,
    );
    report.push_str(&format!(
        "\nWith the context that never answers, `kubectl get` in a loop over the four took {looped:.3} s.\n"
    ));
    Ok(missed)
}
