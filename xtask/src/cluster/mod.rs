//! `cargo xtask cluster up|down|status`: a real control plane on 127.0.0.1.
//!
//! etcd, kube-apiserver (TLS, client certificates, RBAC, default admission), kube-controller-manager,
//! kube-scheduler and kwok (three fake nodes in three zones) plus the CNCF distribution registry.
//! Each process is started in its own process group with its pid recorded in
//! `target/cluster/state.json`, its log in `target/cluster/logs/<name>.log`. The components are
//! started directly rather than through kwokctl so that every pid, port and log is ours to report.
//!
//! - this module: `state.json`, and the commands (`up`, `down`, `status`, `restart`).
//! - `process`: starting a component in its own process group, waiting for it, stopping it.
//! - `components`: each component's command line, in start order.
//! - `stages`: what is applied to the cluster: kwok's stages, the nodes, the registry's
//!   ConfigMap.
//! - `fleet`: `up --fleet N`, several clusters side by side and one kubeconfig for them all.

mod components;
pub mod fleet;
mod process;
mod stages;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use self::process::{is_ours, launch, stop, wait_ready};
use crate::{gobuild, paths, pki, util};

/// Where the cluster runs; the content of `state.json`.
#[derive(Debug, Clone)]
pub struct State {
    pub ports: BTreeMap<String, u16>,
    pub pids: Vec<(String, u32)>,
    /// Set once every component is up and the cluster is seeded; a state without it is a
    /// half-finished `up` whose processes the next `up` stops.
    pub complete: bool,
}

impl State {
    fn to_json(&self) -> Value {
        json!({
            "complete": self.complete,
            "ports": self.ports,
            "pids": self.pids.iter().map(|(n, p)| json!({"name": n, "pid": p})).collect::<Vec<_>>(),
        })
    }

    fn from_json(v: &Value) -> Option<Self> {
        let ports = v["ports"]
            .as_object()?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), u16::try_from(v.as_u64()?).ok()?)))
            .collect();
        let pids = v["pids"]
            .as_array()?
            .iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_string(), u32::try_from(p["pid"].as_u64()?).ok()?)))
            .collect();
        Some(State { ports, pids, complete: v["complete"].as_bool().unwrap_or(false) })
    }

    fn port(&self, name: &str) -> u16 {
        self.ports.get(name).copied().unwrap_or(0)
    }

    /// The API server's URL.
    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.port("kube-apiserver"))
    }

    /// The registry's host:port.
    pub fn registry(&self) -> String {
        format!("127.0.0.1:{}", self.port("registry"))
    }
}

fn state_file() -> PathBuf {
    paths::cluster().join("state.json")
}

fn load_state() -> Option<State> {
    let text = std::fs::read_to_string(state_file()).ok()?;
    State::from_json(&serde_json::from_str(&text).ok()?)
}

fn save_state(state: &State) -> Result<()> {
    std::fs::create_dir_all(paths::cluster())?;
    let tmp = state_file().with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&state.to_json())?)?;
    std::fs::rename(tmp, state_file())?;
    Ok(())
}

fn kubectl() -> Command {
    let mut c = Command::new(paths::kubectl());
    c.arg("--kubeconfig").arg(paths::kubeconfig());
    c
}

fn healthy(state: &State) -> bool {
    state.complete
        && state.pids.iter().all(|(_, p)| is_ours(*p))
        && kubectl()
            .args(["get", "--raw", "/readyz"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// The line that points a shell at the cluster.
pub fn export_line() -> String {
    format!("export KUBECONFIG={}", paths::kubeconfig().display())
}

/// Starts the cluster unless it already runs; returns where it runs.
pub fn up() -> Result<State> {
    if let Some(state) = load_state() {
        if healthy(&state) {
            util::say_err(&format!("cluster already running at {} (registry {})\n", state.server(), state.registry()));
            util::say(&format!("{}\n", export_line()));
            return Ok(state);
        }
        let stopped = stop(&state.pids);
        util::step(&format!(
            "found a stale or half-started cluster (state.json); stopped {} of its processes and starting afresh",
            stopped.len()
        ));
        let _ = std::fs::remove_file(state_file());
    }
    let started = Instant::now();
    gobuild::ensure_binaries()?;
    // Built from tests/cluster/go/registry with the rest, never taken from PATH.
    let registry_bin = paths::bin().join("registry");
    let kwok_dir = gobuild::kwok_module_dir()?;
    let gateway_crds = gobuild::gateway_api_crds()?;
    let advertise = advertise_address()?;

    let dir = paths::cluster();
    for d in ["etcd", "registry", "pki"] {
        let _ = std::fs::remove_dir_all(dir.join(d));
    }
    std::fs::create_dir_all(paths::logs())?;
    let pki_dir = dir.join("pki");
    let pki = pki::Pki::generate(&advertise)?;
    pki.write(&pki_dir)?;

    let mut ports = BTreeMap::new();
    ports.insert("kube-apiserver".to_string(), wanted_port("kube-apiserver", "KUBECTL_KIT_APISERVER_PORT")?);
    ports.insert("registry".to_string(), wanted_port("registry", "KUBECTL_KIT_REGISTRY_PORT")?);
    for name in ["etcd", "etcd-peer", "kube-controller-manager", "kube-scheduler", "kwok"] {
        ports.insert(name.to_string(), util::free_port()?);
    }
    let mut state = State { ports, pids: vec![], complete: false };
    let kubeconfig_text = pki::kubeconfig(&state.server(), &pki);
    pki::write_private(&paths::kubeconfig(), &kubeconfig_text)?;

    let mut children: Vec<(String, Child)> = vec![];
    let dirs = components::Dirs { pki: &pki_dir, kwok: &kwok_dir, gateway_crds: &gateway_crds };
    let result = components::start_all(&mut state, &mut children, &dirs, &advertise, &registry_bin);
    if let Err(e) = result {
        let pids: Vec<(String, u32)> = children.iter().map(|(n, c)| (n.clone(), c.id())).collect();
        stop(&pids);
        for (_, c) in &mut children {
            let _ = c.try_wait();
        }
        let _ = std::fs::remove_file(state_file());
        return Err(e);
    }
    state.complete = true;
    save_state(&state)?;
    util::step(&format!("cluster ready in {:.1}s", started.elapsed().as_secs_f64()));
    util::say_err(&format!(
        "  API server  {}\n  registry    {}\n  kubeconfig  {}\n  logs        {}\n",
        state.server(),
        state.registry(),
        paths::kubeconfig().display(),
        paths::logs().display()
    ));
    util::say(&format!("{}\n", export_line()));
    Ok(state)
}

fn wanted_port(name: &str, env: &str) -> Result<u16> {
    pick_port(name, env, std::env::var(env).ok())
}

fn pick_port(name: &str, env: &str, value: Option<String>) -> Result<u16> {
    match value {
        Some(v) => {
            let port: u16 = v.parse().with_context(|| format!("{env}={v:?} is not a port number"))?;
            if util::port_in_use(port) {
                bail!(
                    "port {port} on 127.0.0.1 is already in use, so {name} cannot listen there ({env}); free it or pick another port"
                );
            }
            Ok(port)
        }
        None => util::free_port(),
    }
}

/// kube-apiserver needs a non-loopback address to advertise (Endpoints reject loopback).
fn advertise_address() -> Result<String> {
    if let Ok(a) = std::env::var("KUBECTL_KIT_ADVERTISE_ADDRESS") {
        return Ok(a);
    }
    let out = Command::new("hostname").arg("-I").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    text.split_whitespace()
        .find(|a| a.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| !ip.is_loopback()))
        .map(str::to_string)
        .ok_or_else(|| {
            anyhow!(
                "this machine has no non-loopback IPv4 address for kube-apiserver to advertise; \
                 set KUBECTL_KIT_ADVERTISE_ADDRESS or add one (ip link add kit0 type dummy; ip addr add 10.200.0.1/32 dev kit0; ip link set kit0 up)"
            )
        })
}

/// Stops everything `up` started.
pub fn down() -> Result<()> {
    // The fleet's other clusters first; one that cannot be stopped leaves this one to stop.
    if let Err(e) = fleet::down() {
        util::say_err(&format!("warning: could not stop the fleet's other clusters: {e:#}\n"));
    }
    if !stop_recorded(&paths::cluster())? {
        util::say_err("no cluster is recorded in target/cluster/state.json; nothing to stop\n");
    }
    Ok(())
}

/// Stops the cluster recorded in `dir` (its `state.json`), in this process: the fleet's
/// members too, so that stopping never depends on this program's file still being there (a
/// build during the tests replaces it). False when nothing is recorded there.
pub(crate) fn stop_recorded(dir: &std::path::Path) -> Result<bool> {
    let file = dir.join("state.json");
    let Some(state) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .and_then(|v| State::from_json(&v))
    else {
        return Ok(false);
    };
    let stopped = process::stop_at(&state.pids, dir);
    let left: Vec<&String> = state.pids.iter().filter(|(_, p)| process::is_ours_at(*p, dir)).map(|(n, _)| n).collect();
    if !left.is_empty() {
        bail!("could not stop: {:?}", left);
    }
    let _ = std::fs::remove_file(&file);
    for d in ["etcd", "registry"] {
        let _ = std::fs::remove_dir_all(dir.join(d));
    }
    util::say_err(&format!(
        "stopped {} ({} processes); logs kept in {}\n",
        stopped.join(", "),
        stopped.len(),
        dir.join("logs").display()
    ));
    Ok(true)
}

/// `cargo xtask cluster restart NAME`: stops one component (SIGTERM, as a rolling restart
/// would) and starts it again with the same command line, appending to its log; waits until
/// the API server answers /readyz again. For fault tests: what was running against it sees
/// its connections close and the server gone for a few seconds.
///
/// After an API server restart the controller-manager, scheduler and kwok are restarted too:
/// the controller-manager of this release was seen to stop creating ServiceAccounts after one,
/// and the tests that follow need a control plane that works.
pub fn restart(name: &str) -> Result<()> {
    restart_one(name)?;
    if name == "kube-apiserver" {
        for dependant in ["kube-controller-manager", "kube-scheduler", "kwok"] {
            restart_one(dependant)?;
        }
    }
    Ok(())
}

fn restart_one(name: &str) -> Result<()> {
    let mut state = load_state().filter(healthy).context("the cluster is not running: cargo xtask cluster up")?;
    let (_, pid) = state
        .pids
        .iter()
        .find(|(n, _)| n == name)
        .cloned()
        .with_context(|| format!("no component {name:?} (see cargo xtask cluster status)"))?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))?;
    let exe = PathBuf::from(exe.to_string_lossy().replace(" (deleted)", ""));
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .skip(1)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into())
        .collect();
    stop(&[(name.to_string(), pid)]);
    let log = paths::logs().join(format!("{name}.log"));
    let out = std::fs::OpenOptions::new().append(true).create(true).open(&log)?;
    let child = launch(name, &exe, &args, out)?;
    for entry in state.pids.iter_mut().filter(|(n, _)| n == name) {
        entry.1 = child.id();
    }
    save_state(&state)?;
    let mut children = vec![(name.to_string(), child)];
    let check = || -> bool {
        name != "kube-apiserver"
            || kubectl()
                .args(["get", "--raw", "/readyz"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    };
    wait_ready(name, &mut children, Duration::from_secs(60), check)?;
    util::say(&format!("restarted {name} (pid {})\n", children[0].1.id()));
    Ok(())
}

/// Prints what runs where.
pub fn status() -> Result<()> {
    let Some(state) = load_state() else {
        util::say("cluster: not running (no target/cluster/state.json)\n");
        return Ok(());
    };
    let mut text = format!(
        "cluster: {}\nkubeconfig: {}\n",
        if healthy(&state) { "running" } else { "unhealthy" },
        paths::kubeconfig().display()
    );
    for (name, pid) in &state.pids {
        let port = state.ports.get(name).map(|p| format!("127.0.0.1:{p}")).unwrap_or_default();
        let alive = if is_ours(*pid) { "running" } else { "stopped" };
        text.push_str(&format!(
            "  {name:<24} pid {pid:<8} {alive:<8} {port:<16} {}\n",
            paths::logs().join(format!("{name}.log")).display()
        ));
    }
    util::say(&text);
    Ok(())
}

/// The cluster state for other tasks, starting the cluster if needed.
pub fn ensure_up() -> Result<(State, bool)> {
    let was_running = load_state().is_some_and(|s| healthy(&s));
    let state = up()?;
    Ok((state, !was_running))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips() {
        let mut ports = BTreeMap::new();
        ports.insert("kube-apiserver".to_string(), 6443);
        let s = State { ports, pids: vec![("etcd".into(), 42)], complete: true };
        let back = State::from_json(&s.to_json()).expect("parses");
        assert_eq!(back.server(), "https://127.0.0.1:6443");
        assert_eq!(back.pids, vec![("etcd".to_string(), 42)]);
        assert!(back.complete);
        let half = State::from_json(&json!({"ports": {}, "pids": []})).expect("parses");
        assert!(!half.complete, "a state without the mark is a half-finished up");
    }

    #[test]
    fn a_pinned_port_that_is_taken_is_a_clear_error() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = busy.local_addr().expect("addr").port();
        let e = pick_port("kube-apiserver", "KUBECTL_KIT_APISERVER_PORT", Some(port.to_string())).expect_err("taken");
        let text = e.to_string();
        assert!(
            text.contains(&format!("port {port}"))
                && text.contains("kube-apiserver")
                && text.contains("already in use"),
            "{text}"
        );
        assert!(pick_port("registry", "X", Some("http".into())).is_err());
        assert!(pick_port("registry", "X", None).is_ok_and(|p| p > 0));
    }
}
