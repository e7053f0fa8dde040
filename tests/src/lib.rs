//! Support for the cluster tests: find the cluster, run its kubectl and our plugins, give each
//! test its own namespace and clean it up.
//!
//! The cluster is `KUBECTL_KIT_TEST_KUBECONFIG` or the one `cargo xtask cluster up` wrote to
//! `target/cluster/kubeconfig`. Cluster tests are `#[ignore]`d, so that `cargo test` reports
//! them as not run rather than passed; `cargo xtask test` runs them (`--include-ignored`), and a
//! test that runs without a reachable cluster fails.
//!
//! Every command a test runs (kubectl, the plugins) starts from [`scrubbed`]: none of the
//! machine's environment but `PATH` and a few variables, so that a developer's kubeconfig,
//! credentials, presets or proxy never reach a test. A test waits for the state it asserts
//! through [`converge`] (see its module), never for time.

pub mod converge;
pub mod delay;
pub mod differ;
pub mod fleet;
pub mod images;
pub mod krew;
pub mod kyaml;
pub mod proxy;
pub mod registry;
pub mod snapshot;
pub mod token;
pub mod upstream;
pub mod webhook;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use converge::{Counts, Ran, WAIT, converge, converge_ok, steady};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else the workspace's `target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// What a scrubbed command keeps of the test's own environment: where programs are, where
/// temporary files go, and what makes a panic or a coverage run of a plugin useful.
const KEPT: [&str; 4] = ["PATH", "TMPDIR", "RUST_BACKTRACE", "LLVM_PROFILE_FILE"];

/// `program` with none of the machine's environment but [`KEPT`], `HOME` set to `home`, and
/// stdin closed: it reads no kubeconfig, Docker credentials, presets, certificates or proxy
/// settings of the machine's, only what the test gives it.
pub fn scrubbed(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear().env("HOME", home).stdin(Stdio::null());
    for var in KEPT {
        if let Some(v) = std::env::var_os(var) {
            c.env(var, v);
        }
    }
    c
}

/// A reachable cluster and the kubectl to talk to it with.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Admin kubeconfig.
    pub kubeconfig: PathBuf,
    /// The cluster's own kubectl.
    pub kubectl: PathBuf,
}

/// The test cluster; a test that asks for it fails, naming what is missing, when there is none.
pub fn cluster(test: &str) -> Cluster {
    static FOUND: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match FOUND.get_or_init(find_cluster) {
        Ok(c) => c.clone(),
        Err(why) => panic!(
            "cluster test {test} needs the test cluster, but {why} (run `cargo xtask test`, or `cargo xtask cluster up` first)"
        ),
    }
}

/// Gets the cluster, or fails the test.
#[macro_export]
macro_rules! require_cluster {
    ($name:expr) => {
        $crate::cluster($name)
    };
}

fn find_cluster() -> Result<Cluster, String> {
    let kubeconfig = std::env::var_os("KUBECTL_KIT_TEST_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/cluster/kubeconfig"));
    if !kubeconfig.exists() {
        return Err(format!("no kubeconfig at {}", kubeconfig.display()));
    }
    let kubectl = std::env::var_os("KUBECTL_KIT_TEST_KUBECTL").map(PathBuf::from).unwrap_or_else(|| {
        let own = root().join("target/cluster/bin/kubectl");
        if own.exists() { own } else { PathBuf::from("kubectl") }
    });
    let c = Cluster { kubeconfig, kubectl };
    let out = c.kubectl(&["get", "--raw", "/readyz", "--request-timeout=5s"]);
    if !out.status.success() {
        return Err(format!(
            "the cluster in {} does not answer: {}",
            c.kubeconfig.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(c)
}

/// Path of a plugin binary, built (once per test process) so that it is never stale.
pub fn plugin_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Every binary at once: built one package at a time, features unify differently for
        // each, so shared dependencies rebuild and the binaries overwrite each other in turn.
        let status = Command::new(cargo)
            .current_dir(root())
            .args(["build", "--quiet", "--workspace", "--bins"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the plugins failed");
    });
    // Binaries use `_` where the command has `-` (kubectl-trace_svc of kubectl-trace-svc).
    target_dir().join("debug").join(format!("kubectl-{name}"))
}

impl Cluster {
    /// A kubectl command for this cluster, [`scrubbed`], with a home of the tests' own (under
    /// the target directory, where its discovery cache lasts from run to run).
    pub fn kubectl_cmd(&self) -> Command {
        static HOME: OnceLock<PathBuf> = OnceLock::new();
        let home = HOME.get_or_init(|| {
            let home = target_dir().join("test-home");
            std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("{}: {e}", home.display()));
            home
        });
        let mut c = scrubbed(&self.kubectl, home);
        c.env("KUBECONFIG", &self.kubeconfig);
        c
    }

    /// Runs kubectl and returns what it did.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd().args(args).output().expect("kubectl runs")
    }

    /// Runs kubectl, panicking with its stderr if it fails; returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.status.success(), "kubectl {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// The cluster's KEP-1755 document (`localRegistryHosting.v1` of
    /// kube-public/local-registry-hosting), as a user would read it.
    pub fn registry_hosting(&self) -> String {
        self.kubectl_ok(&[
            "-n",
            "kube-public",
            "get",
            "configmap",
            "local-registry-hosting",
            "-o",
            "jsonpath={.data.localRegistryHosting\\.v1}",
        ])
    }

    /// The registry's push host and pull host (`hostFromContainerRuntime`, else `host`) from
    /// [`Cluster::registry_hosting`].
    pub fn registry_hosts(&self) -> (String, String) {
        let v: serde_yaml::Value = serde_yaml::from_str(&self.registry_hosting()).expect("KEP-1755 document");
        let host = v["host"].as_str().expect("host in localRegistryHosting.v1").to_string();
        let pull = v["hostFromContainerRuntime"].as_str().unwrap_or(&host).to_string();
        (host, pull)
    }

    /// `kubectl apply -f -` of a manifest in a namespace.
    pub fn apply(&self, namespace: &str, manifest: &str) {
        use std::io::Write;
        let mut child = self
            .kubectl_cmd()
            .args(["apply", "-n", namespace, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        child.stdin.take().expect("stdin").write_all(manifest.as_bytes()).expect("write manifest");
        let out = child.wait_with_output().expect("kubectl finishes");
        assert!(out.status.success(), "kubectl apply failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Applies a fixture app from `tests/fixtures/apps/NAME.yaml` into a namespace. Fixed node
    /// ports are dropped so that several namespaces can hold the same app.
    pub fn apply_fixture(&self, namespace: &str, name: &str) {
        let path = root().join("tests/fixtures/apps").join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text: String =
            text.lines().filter(|l| !l.trim_start().starts_with("nodePort:")).collect::<Vec<_>>().join("\n");
        self.apply(namespace, &text);
    }

    /// A fresh namespace for one test, deleted when the guard drops.
    pub fn namespace(&self, prefix: &str) -> Namespace {
        let name = format!("{prefix}-{}-{}", std::process::id(), unique());
        self.kubectl_ok(&["create", "namespace", &name]);
        // Admission refuses pods until the namespace's default ServiceAccount exists.
        converge_ok(
            &format!("the default ServiceAccount of namespace {name}"),
            WAIT,
            || self.get_json(&["-n", &name, "serviceaccount", "default"]),
            |_| true,
        );
        Namespace { name, cluster: self.clone() }
    }

    /// Waits until `kubectl ARGS` succeeds (a new permission in force, an object served);
    /// returns its stdout.
    pub fn wait_kubectl_ok(&self, what: &str, args: &[&str]) -> String {
        converge(what, WAIT, || Ran::from(&self.kubectl(args)), |r| r.code == 0).stdout
    }

    /// Gives the plain test user `kit-user` (context `kubectl-kit-user`) a Role in `namespace`
    /// with these rules (a YAML flow list per line, `- {apiGroups: …}`), bound to it.
    pub fn grant_kit_user(&self, namespace: &str, role: &str, rules: &str) {
        self.apply(
            namespace,
            &format!(
                "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: {role}}}
rules:
{rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {role}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {role}}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: kit-user}}]
"
            ),
        );
    }

    /// `program` pointed at this cluster (`KUBECONFIG`), [`scrubbed`], with `cache` as its home
    /// and its discovery cache directory.
    pub fn command(&self, program: impl AsRef<OsStr>, cache: &Path) -> Command {
        let mut c = scrubbed(program, cache);
        c.env("KUBECONFIG", &self.kubeconfig).env("KUBECACHEDIR", cache);
        c
    }

    /// A plugin command pointed at this cluster: [`Cluster::command`] of the plugin's binary.
    pub fn plugin(&self, name: &str, cache: &Path) -> Command {
        self.command(plugin_path(name), cache)
    }
}

fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    (nanos % 100_000) * 10 + N.fetch_add(1, Ordering::Relaxed) % 10
}

/// A test's namespace; deleted (without waiting) on drop.
pub struct Namespace {
    /// The namespace's name.
    pub name: String,
    cluster: Cluster,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.cluster.kubectl(&["delete", "namespace", &self.name, "--wait=false"]);
    }
}

/// stdout of a finished command as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// stderr of a finished command as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The lines a child prints on stdout, through a channel, so that a test can wait for them with
/// a timeout (watch commands never end by themselves).
pub fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    lines(child.stdout.take().expect("spawned with stdout piped"))
}

/// The lines of a stream (a child's stdout or stderr), read on a thread as they come.
pub fn lines(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects lines from `rx` into `seen` until one satisfies `want` (true) or `timeout` passes
/// (false): how a test waits for what a command says it did (a `-v=6` request line, a row).
pub fn until(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    timeout: Duration,
    want: impl Fn(&str) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Ok(l) = rx.recv_timeout(left.min(Duration::from_millis(200))) {
            let hit = want(&l);
            seen.push(l);
            if hit {
                return true;
            }
        }
    }
    false
}

/// True for the `-v=6` line of a successful GET of `path` (`/api/v1/namespaces/NS/pods/NAME`).
pub fn got(line: &str, path: &str) -> bool {
    line.contains("verb=\"GET\"") && line.contains(&format!("{path}\"")) && line.contains("status=\"200")
}
