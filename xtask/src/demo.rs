//! `cargo xtask demo`: builds the plugins, starts the local cluster, applies the demo apps from
//! `tests/fixtures/apps` (the classic tutorial apps, and numbers-worker, which crash-loops) to
//! the `default` namespace, prints the shell line that puts the plugins on PATH, and tours every
//! plugin with real output.

use std::process::{Command, Stdio};

use anyhow::Result;

use crate::{bench, cluster, paths, util};

/// The tour: what a newcomer would type, plugin by plugin.
const TOUR: &[&str] = &[
    "kubectl cols pods ip",
    "kubectl cols nodes nodes ready",
    "kubectl cols deploy images ready",
    "kubectl cols pods --add NODE:.spec.nodeName,QOS:.status.qosClass",
    "kubectl cols wd -o custom-columns=NAME:.metadata.name,SIZE:.spec.size",
    "kubectl trace-svc numbers-api",
    "kubectl trace-svc numbers-web",
    "kubectl trace-svc legacy-db",
    "kubectl trace-svc external-api",
    "kubectl trace-svc numbers-worker",
    "kubectl cols pods health",
    "kubectl detach pod -l app=numbers-api --dry-run=server",
    "kubectl detach pod -l app=numbers-api --all-replicas --dry-run=server",
    "kubectl detach list -A",
    "kubectl shortname po deploy wd",
    "kubectl shortname --api-group=apps",
    "kubectl shortname why ev",
    "kubectl shortname conflicts",
];

/// Waits until the failing app has crashed, been restarted and crashed again (its pods in
/// CrashLoopBackOff with a restart), so that the tour shows the state people meet.
fn wait_for_crash_loop() -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        let out = util::run(Command::new(paths::kubectl()).arg("--kubeconfig").arg(paths::kubeconfig()).args([
            "-n",
            "default",
            "get",
            "pods",
            "-l",
            "app=numbers-worker",
            "-o",
            "jsonpath={range .items[*]}{.status.containerStatuses[0].state.waiting.reason}/{.status.containerStatuses[0].restartCount} {end}",
        ]))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let states: Vec<&str> = text.split_whitespace().collect();
        if !states.is_empty() && states.iter().all(|s| s.starts_with("CrashLoopBackOff/") && !s.ends_with("/0")) {
            return Ok(());
        }
        if started.elapsed() > std::time::Duration::from_secs(90) {
            anyhow::bail!(
                "numbers-worker's pods did not reach CrashLoopBackOff within 90s (they are: {text}); are the cluster's kwok stages loaded? (cargo xtask cluster down && cargo xtask cluster up)"
            );
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

pub fn run() -> Result<()> {
    let release = bench::build_release()?;
    cluster::ensure_up()?;
    util::step("applying the demo apps to the default namespace");
    util::run(
        Command::new(paths::kubectl())
            .arg("--kubeconfig")
            .arg(paths::kubeconfig())
            .args(["apply", "-n", "default", "-f"])
            .arg(paths::fixtures().join("apps")),
    )?;
    // The failing app (numbers-worker) never becomes Available; the others must.
    util::run(Command::new(paths::kubectl()).arg("--kubeconfig").arg(paths::kubeconfig()).args([
        "-n",
        "default",
        "wait",
        "--for=condition=Available",
        "deployment",
        "-l",
        "kit.example.com/demo!=failing",
        "--timeout=90s",
    ]))?;
    wait_for_crash_loop()?;
    let path = format!("{}:{}", release.display(), std::env::var("PATH").unwrap_or_default());
    util::say(&format!(
        "\nPut the plugins on your PATH, next to the cluster's kubectl:\n\n  export PATH={}:{}:$PATH KUBECONFIG={}\n\n",
        release.display(),
        paths::bin().display(),
        paths::kubeconfig().display()
    ));
    // An image to push, as `docker save numbers-api:dev -o numbers-api.tar` would write it.
    let demo = paths::root().join("target").join("demo");
    let _ = std::fs::remove_dir_all(&demo);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1);
    let img = kubectl_kit_tests::images::image(&demo.join("layers"), &[4 << 20, 1 << 20], seed, false, "amd64");
    let tarball = demo.join("numbers-api.tar");
    kubectl_kit_tests::images::write_docker_save(&tarball, &[(&img, &["numbers-api:dev"])]);
    let push = [
        format!("kubectl push-image {}", tarball.display()),
        format!("kubectl push-image {} --set-image deployment/numbers-api -o yaml", tarball.display()),
        "kubectl cols deploy images".to_string(),
    ];
    for line in TOUR.iter().map(|l| l.to_string()).chain(push) {
        util::say(&format!("$ {line}\n"));
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        // Through kubectl's own plugin mechanism, as a user would run it.
        let out = Command::new(paths::kubectl())
            .args(&words)
            .env("PATH", &path)
            .env("KUBECONFIG", paths::kubeconfig())
            .stdin(Stdio::null())
            .output()?;
        util::say(&String::from_utf8_lossy(&out.stdout));
        util::say(&String::from_utf8_lossy(&out.stderr));
        util::say("\n");
    }
    util::say("The cluster keeps running; stop it with `cargo xtask cluster down`.\n");
    Ok(())
}
