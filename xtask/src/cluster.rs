//! `cargo xtask cluster up|down|status`: a real control plane on 127.0.0.1.
//!
//! etcd, kube-apiserver (TLS, client certificates, RBAC, default admission), kube-controller-manager,
//! kube-scheduler and kwok (three fake nodes in three zones) plus the CNCF distribution registry.
//! Each process is started in its own process group with its pid recorded in
//! `target/cluster/state.json`, its log in `target/cluster/logs/<name>.log`. The components are
//! started directly rather than through kwokctl so that every pid, port and log is ours to report.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

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

/// True when `pid` is alive and runs one of our binaries (a recycled pid is not ours).
fn is_ours(pid: u32) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let exe = exe.to_string_lossy().replace(" (deleted)", "");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = state.rsplit(')').next().is_some_and(|s| s.trim_start().starts_with('Z'));
    !zombie
        && (exe.starts_with(&paths::bin().to_string_lossy().to_string())
            || String::from_utf8_lossy(&cmdline).contains(&paths::cluster().to_string_lossy().to_string()))
}

/// Sends a signal through the shell's `kill` builtin (no procps needed, no unsafe code).
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("sh")
        .args(["-c", "kill -s \"$1\" \"$2\"", "sh", sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Stops the given processes: SIGTERM, then SIGKILL after 10 s. Returns the names stopped.
fn stop(pids: &[(String, u32)]) -> Vec<String> {
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
    let result = start_all(&mut state, &mut children, &pki_dir, &advertise, &registry_bin, &kwok_dir);
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

fn spawn(
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
fn launch(name: &str, bin: &Path, args: &[String], log: File) -> Result<Child> {
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
fn wait_ready(
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

fn s(v: impl Into<String>) -> String {
    v.into()
}

fn start_all(
    state: &mut State,
    children: &mut Vec<(String, Child)>,
    pki: &Path,
    advertise: &str,
    registry_bin: &Path,
    kwok_dir: &Path,
) -> Result<()> {
    let dir = paths::cluster();
    let p = |n: &str| pki.join(n).display().to_string();
    let kubeconfig = paths::kubeconfig().display().to_string();
    let bin = paths::bin();
    let etcd_port = state.port("etcd");
    let api_port = state.port("kube-apiserver");

    util::step("starting etcd");
    spawn(
        "etcd",
        &bin.join("etcd"),
        &[
            format!("--data-dir={}", dir.join("etcd").display()),
            s("--name=kubectl-kit"),
            format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--listen-peer-urls=http://127.0.0.1:{}", state.port("etcd-peer")),
            format!("--initial-advertise-peer-urls=http://127.0.0.1:{}", state.port("etcd-peer")),
            format!("--initial-cluster=kubectl-kit=http://127.0.0.1:{}", state.port("etcd-peer")),
            s("--listen-metrics-urls="),
            // A throwaway test cluster: durability is not worth the fsync latency.
            s("--unsafe-no-fsync"),
            s("--quota-backend-bytes=8589934592"),
        ],
        children,
        state,
    )?;
    wait_ready("etcd", children, Duration::from_secs(30), || {
        util::http_get(etcd_port, "/health").is_ok_and(|(code, body)| code == 200 && body.contains("true"))
    })?;

    util::step("starting kube-apiserver");
    spawn(
        "kube-apiserver",
        &bin.join("kube-apiserver"),
        &[
            format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={api_port}"),
            format!("--advertise-address={advertise}"),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            s("--authorization-mode=Node,RBAC"),
            s("--enable-admission-plugins=NodeRestriction"),
            // port-forward (and logs, exec) reach kwok's kubelet endpoint through the nodes'
            // InternalDNS address `localhost`; the TEST-NET-3 InternalIPs are never dialled.
            s("--kubelet-preferred-address-types=InternalDNS,InternalIP,Hostname,ExternalDNS,ExternalIP"),
            s("--allow-privileged=true"),
            s("--service-account-issuer=https://kubernetes.default.svc.cluster.local"),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            s("--service-cluster-ip-range=10.96.0.0/16"),
            s("--profiling=false"),
            s("--event-ttl=1h"),
        ],
        children,
        state,
    )?;
    wait_ready("kube-apiserver", children, Duration::from_secs(60), || {
        kubectl()
            .args(["get", "--raw", "/readyz"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;

    util::step("starting kube-controller-manager, kube-scheduler, kwok and the registry");
    spawn(
        "kube-controller-manager",
        &bin.join("kube-controller-manager"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            format!("--authentication-kubeconfig={kubeconfig}"),
            format!("--authorization-kubeconfig={kubeconfig}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={}", state.port("kube-controller-manager")),
            format!("--service-account-private-key-file={}", p("sa.key")),
            format!("--root-ca-file={}", p("ca.crt")),
            format!("--cluster-signing-cert-file={}", p("ca.crt")),
            format!("--cluster-signing-key-file={}", p("ca.key")),
            s("--service-cluster-ip-range=10.96.0.0/16"),
            s("--allocate-node-cidrs=true"),
            s("--cluster-cidr=10.244.0.0/16"),
            s("--node-cidr-mask-size=24"),
            s("--leader-elect=false"),
            s("--controllers=*"),
            s("--profiling=false"),
        ],
        children,
        state,
    )?;
    spawn(
        "kube-scheduler",
        &bin.join("kube-scheduler"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            format!("--authentication-kubeconfig={kubeconfig}"),
            format!("--authorization-kubeconfig={kubeconfig}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={}", state.port("kube-scheduler")),
            s("--leader-elect=false"),
            s("--profiling=false"),
        ],
        children,
        state,
    )?;
    let stages = stage_configs(kwok_dir)?;
    let kwok_port = state.port("kwok");
    // kwok's PortForward rules (pod port → a local address) are objects it watches: its CRD
    // must exist before kwok starts.
    let crd = kwok_dir.join("kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml");
    apply(&std::fs::read_to_string(&crd).with_context(|| format!("reading {}", crd.display()))?)?;
    spawn(
        "kwok",
        &bin.join("kwok"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            s("--manage-all-nodes=true"),
            format!("--server-address=127.0.0.1:{kwok_port}"),
            format!("--node-port={kwok_port}"),
            s("--node-lease-duration-seconds=40"),
            s("--enable-crds=PortForward"),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
        ]
        .into_iter()
        .chain(stages.iter().map(|f| format!("--config={}", f.display())))
        .collect::<Vec<_>>(),
        children,
        state,
    )?;
    let reg_port = state.port("registry");
    let reg_config = dir.join("registry.yml");
    std::fs::write(
        &reg_config,
        format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{reg_port}\n  headers:\n    X-Content-Type-Options: [nosniff]\n",
            dir.join("registry").display()
        ),
    )?;
    spawn("registry", registry_bin, &[s("serve"), reg_config.display().to_string()], children, state)?;
    wait_ready("registry", children, Duration::from_secs(30), || {
        util::http_get(reg_port, "/v2/").is_ok_and(|(code, _)| code == 200)
    })?;

    util::step("creating 3 kwok nodes, the local-registry-hosting ConfigMap and the demo CRD");
    apply(&nodes_manifest())?;
    apply(&registry_configmap(reg_port))?;
    util::run(kubectl().arg("apply").arg("-f").arg(paths::fixtures().join("cluster")))?;
    for name in ["kube-controller-manager", "kube-scheduler", "kwok"] {
        wait_ready(name, children, Duration::from_millis(1), || true)?;
    }
    wait_ready("kwok", children, Duration::from_secs(60), || {
        kubectl()
            .args(["wait", "--for=condition=Ready", "node", "--all", "--timeout=1s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    wait_ready("kube-controller-manager", children, Duration::from_secs(60), || {
        kubectl()
            .args(["-n", "default", "get", "serviceaccount", "default"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    wait_ready("kube-apiserver", children, Duration::from_secs(30), || {
        kubectl()
            .args(["wait", "--for=condition=Established", "crd", "--all", "--timeout=1s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    Ok(())
}

/// The annotation that puts a pod or node into a failure state (`kit.example.com/fail: crashloop`),
/// driven by the stages in `tests/fixtures/cluster/stages`.
const FAIL: &str = "kit.example.com/fail";

/// kwok's own stages, each with an extra selector expression so that it leaves alone what the
/// project's failure stages drive: without it kwok picks at random between two stages that
/// match (kwok's `lifecycle.Match`), and a crash-looping pod would as often turn Ready.
const KWOK_STAGES: &[(&str, &str)] = &[
    ("node/fast/node-initialize.yaml", "fail-absent"),
    ("node/heartbeat-with-lease/node-heartbeat-with-lease.yaml", "fail-absent"),
    ("pod/fast/pod-ready.yaml", "fail-absent"),
    ("pod/fast/pod-complete.yaml", "fail-absent"),
    // A pod whose app ignores SIGTERM is deleted at the end of its grace period by
    // kit-sigterm-ignored, not at once.
    ("pod/fast/pod-delete.yaml", "sigterm-honoured"),
];

/// The `--config` files of kwok: its shipped stages, read from its module and written to
/// `target/cluster/stages` with the exclusions of [`KWOK_STAGES`], then the project's own from
/// `tests/fixtures/cluster/stages` (see the README's failure states).
fn stage_configs(kwok_dir: &Path) -> Result<Vec<PathBuf>> {
    let shipped = kwok_dir.join("kustomize/stage");
    let out = paths::cluster().join("stages");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let mut files = vec![];
    for (rel, rule) in KWOK_STAGES {
        let from = shipped.join(rel);
        let text = std::fs::read_to_string(&from).with_context(|| format!("reading {}", from.display()))?;
        let patched = exclude_from_stage(&text, rule).with_context(|| format!("kwok stage {}", from.display()))?;
        let to = out.join(Path::new(rel).file_name().unwrap_or_default());
        std::fs::write(&to, patched)?;
        files.push(to);
    }
    let own = paths::fixtures().join("cluster").join("stages");
    let mut ours: Vec<PathBuf> = std::fs::read_dir(&own)
        .with_context(|| format!("reading {}", own.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    ours.sort();
    files.extend(ours);
    Ok(files)
}

/// Adds one selector expression to a kwok Stage document.
fn exclude_from_stage(text: &str, rule: &str) -> Result<String> {
    let expression = match rule {
        "fail-absent" => json!({"key": format!(".metadata.annotations[\"{FAIL}\"]"), "operator": "DoesNotExist"}),
        "sigterm-honoured" => json!({
            "key": ".metadata.annotations[\"kit.example.com/sigterm\"]",
            "operator": "NotIn",
            "values": ["ignored"],
        }),
        other => bail!("unknown stage rule {other}"),
    };
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text)?;
    if doc["kind"].as_str() != Some("Stage") {
        bail!("not a Stage");
    }
    let exprs = doc
        .get_mut("spec")
        .and_then(|s| s.get_mut("selector"))
        .and_then(|s| s.get_mut("matchExpressions"))
        .and_then(serde_yaml::Value::as_sequence_mut)
        .context("no spec.selector.matchExpressions")?;
    exprs.push(serde_yaml::to_value(expression)?);
    Ok(serde_yaml::to_string(&doc)?)
}

fn apply(manifest: &str) -> Result<()> {
    use std::io::Write;
    let mut child = kubectl()
        .args(["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().context("kubectl stdin")?.write_all(manifest.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("kubectl apply failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Three kwok nodes in three zones. Their InternalIPs come from TEST-NET-3 (RFC 5737): they are
/// never dialled, only reported. Capacity is kwok's own default (1k CPU), so that the benchmark
/// namespaces never starve the tests' pods.
fn nodes_manifest() -> String {
    let mut out = String::new();
    for (i, zone) in ["a", "b", "c"].iter().enumerate() {
        out.push_str(&format!(
            "---
apiVersion: v1
kind: Node
metadata:
  name: kit-node-{zone}
  annotations:
    node.alpha.kubernetes.io/ttl: \"0\"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kit-node-{zone}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok.standard-{size}
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: zone-{zone}
    type: kwok
status:
  addresses:
  - type: InternalIP
    address: 203.0.113.{ip}
  - type: Hostname
    address: kit-node-{zone}
  - type: InternalDNS
    address: localhost
  allocatable: {{cpu: 1k, memory: 4Ti, pods: \"20000\"}}
  capacity: {{cpu: 1k, memory: 4Ti, pods: \"20000\"}}
",
            size = ["2", "4", "8"][i],
            ip = 11 + i,
        ));
    }
    out
}

/// KEP-1755: where the cluster's local registry is.
fn registry_configmap(port: u16) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: \"127.0.0.1:{port}\"
    hostFromContainerRuntime: \"localhost:{port}\"
    help: \"https://github.com/kubernetes/enhancements/tree/master/keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry\"
"
    )
}

/// Stops everything `up` started.
pub fn down() -> Result<()> {
    let Some(state) = load_state() else {
        util::say_err("no cluster is recorded in target/cluster/state.json; nothing to stop\n");
        return Ok(());
    };
    let stopped = stop(&state.pids);
    let left: Vec<&String> = state.pids.iter().filter(|(_, p)| is_ours(*p)).map(|(n, _)| n).collect();
    if !left.is_empty() {
        bail!("could not stop: {:?}", left);
    }
    let _ = std::fs::remove_file(state_file());
    for d in ["etcd", "registry"] {
        let _ = std::fs::remove_dir_all(paths::cluster().join(d));
    }
    util::say_err(&format!(
        "stopped {} ({} processes); logs kept in {}\n",
        stopped.join(", "),
        stopped.len(),
        paths::logs().display()
    ));
    Ok(())
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

    #[test]
    fn kwok_stages_leave_the_failure_states_alone() {
        let stage = "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-ready}\nspec:\n  resourceRef: {kind: Pod}\n  selector:\n    matchExpressions:\n    - {key: .status.phase, operator: In, values: [Pending]}\n  next: {statusTemplate: 'phase: Running'}\n";
        let out: serde_yaml::Value =
            serde_yaml::from_str(&exclude_from_stage(stage, "fail-absent").expect("patched")).expect("yaml");
        let exprs = out["spec"]["selector"]["matchExpressions"].as_sequence().expect("list");
        assert_eq!(exprs.len(), 2);
        assert_eq!(exprs[1]["key"], ".metadata.annotations[\"kit.example.com/fail\"]");
        assert_eq!(exprs[1]["operator"], "DoesNotExist");
        assert_eq!(out["spec"]["next"]["statusTemplate"], "phase: Running", "the rest is kept");
        let out = exclude_from_stage(stage, "sigterm-honoured").expect("patched");
        assert!(out.contains("kit.example.com/sigterm") && out.contains("NotIn"), "{out}");
        assert!(exclude_from_stage("kind: Pod", "fail-absent").is_err());
    }

    #[test]
    fn the_projects_stages_are_stages() {
        let dir = paths::fixtures().join("cluster").join("stages");
        let mut names = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("stages directory") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            for doc in text.split("\n---\n") {
                let v: serde_yaml::Value = serde_yaml::from_str(doc).expect("yaml");
                assert_eq!(v["kind"], "Stage", "{}", path.display());
                let name = v["metadata"]["name"].as_str().expect("name").to_string();
                assert!(name.starts_with("kit-"), "{name}");
                assert!(names.insert(name.clone()), "{name} twice");
                let exprs = v["spec"]["selector"]["matchExpressions"].as_sequence().expect("selector");
                assert!(
                    exprs.iter().any(|e| e["key"].as_str().is_some_and(|k| k.contains("kit.example.com/"))),
                    "{name} must select by a kit.example.com annotation"
                );
            }
        }
        assert!(names.len() >= 15, "{names:?}");
    }

    #[test]
    fn nodes_have_zones_and_addresses() {
        let m = nodes_manifest();
        assert_eq!(m.matches("kind: Node").count(), 3);
        for z in ["zone-a", "zone-b", "zone-c"] {
            assert!(m.contains(z));
        }
    }
}
