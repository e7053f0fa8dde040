//! The cluster's processes: each started in its own process group in the cluster directory,
//! its output in its log, waited for while checking it has not exited, and stopped (SIGTERM,
//! then SIGKILL) only when the pid still runs one of our binaries.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{State, save_state};
use crate::{paths, util};

/// True when `pid` is alive and runs one of our binaries (a recycled pid is not ours).
pub(super) fn is_ours(pid: u32) -> bool {
    is_ours_at(pid, &paths::cluster())
}

/// [`is_ours`] for the cluster whose directory is `dir` (a member of the fleet).
pub(super) fn is_ours_at(pid: u32, dir: &Path) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let exe = exe.to_string_lossy().replace(" (deleted)", "");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = state.rsplit(')').next().is_some_and(|s| s.trim_start().starts_with('Z'));
    !zombie
        && (exe.starts_with(&dir.join("bin").to_string_lossy().to_string())
            || String::from_utf8_lossy(&cmdline).contains(&dir.to_string_lossy().to_string()))
}

/// Sends a signal through the shell's `kill` builtin (no procps needed, no unsafe code).
pub(super) fn signal(pid: u32, sig: &str) {
    let _ = Command::new("sh")
        .args(["-c", "kill -s \"$1\" \"$2\"", "sh", sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Stops the given processes: SIGTERM, then SIGKILL after 10 s. Returns the names stopped.
pub(super) fn stop(pids: &[(String, u32)]) -> Vec<String> {
    stop_at(pids, &paths::cluster())
}

/// [`stop`] for the cluster whose directory is `dir`.
pub(super) fn stop_at(pids: &[(String, u32)], dir: &Path) -> Vec<String> {
    let is_ours = |pid: u32| is_ours_at(pid, dir);
    let ours: Vec<&(String, u32)> = pids.iter().filter(|(_, p)| is_ours(*p)).collect();
    // Reverse start order: dependants first, etcd last.
    for (_, pid) in ours.iter().rev() {
        signal(*pid, "TERM");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && ours.iter().any(|(_, p)| is_ours(*p)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    for (_, pid) in &ours {
        if is_ours(*pid) {
            signal(*pid, "KILL");
        }
    }
    // SIGKILL is not instant either: wait for the processes to be gone before reporting.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && ours.iter().any(|(_, p)| is_ours(*p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    ours.iter().map(|(n, _)| n.clone()).collect()
}

pub(super) fn spawn(
    name: &str,
    bin: &Path,
    args: &[String],
    children: &mut Vec<(String, Child)>,
    state: &mut State,
) -> Result<()> {
    let log = paths::logs().join(format!("{name}.log"));
    let out = File::create(&log).with_context(|| format!("could not create {}", log.display()))?;
    let child = launch(name, bin, args, out)?;
    state.pids.push((name.to_string(), child.id()));
    children.push((name.to_string(), child));
    // Recorded at once, so that an interrupted `up` can be cleaned up by the next one.
    save_state(state)
}

/// Starts a component in its own process group in the cluster directory, both output streams
/// going to `log`.
pub(super) fn launch(name: &str, bin: &Path, args: &[String], log: File) -> Result<Child> {
    Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .current_dir(paths::cluster())
        .process_group(0)
        .spawn()
        .with_context(|| format!("could not start {name} ({})", bin.display()))
}

/// Waits for `ready` while checking that the component has not exited.
pub(super) fn wait_ready(
    name: &str,
    children: &mut [(String, Child)],
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let log = paths::logs().join(format!("{name}.log"));
    let deadline = Instant::now() + timeout;
    loop {
        if let Some((_, child)) = children.iter_mut().find(|(n, _)| n == name)
            && let Some(status) = child.try_wait()?
        {
            bail!("{name} exited during start-up ({status}); read {}\n{}", log.display(), util::log_tail(&log, 5));
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{name} did not become ready within {}s; read {}\n{}",
                timeout.as_secs(),
                log.display(),
                util::log_tail(&log, 5)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
