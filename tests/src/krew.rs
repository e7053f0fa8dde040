//! Support for the krew tests: the krew and validate-krew-manifest that `cargo xtask cluster up`
//! builds into `target/cluster/bin`, the release that `cargo xtask dist` writes to
//! `target/dist`, and a private `KREW_ROOT` per test with a `PATH` that holds nothing but krew's
//! bin directory and git.
//!
//! The tests that need them are `#[ignore]`d; `cargo xtask test` builds both and runs them, and
//! a missing piece fails the test that asked for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{Cluster, root};

/// The release under test and the tools to install it.
#[derive(Debug, Clone)]
pub struct Release {
    /// `target/dist`.
    pub dist: PathBuf,
    /// krew, run as `kubectl krew` through a `kubectl-krew` link.
    pub krew: PathBuf,
    /// krew-index CI's manifest validator.
    pub validate: PathBuf,
    /// Plugin (= manifest) names, from the templates in `krew/`.
    pub plugins: Vec<String>,
}

/// The release and krew; a test that asks for them fails, naming what is missing, without them.
pub fn release(test: &str) -> Release {
    find_release().unwrap_or_else(|why| {
        panic!(
            "krew test {test} needs the release and krew, but {why} (run `cargo xtask test`, or `cargo xtask cluster up` and `cargo xtask dist --all-targets`)"
        )
    })
}

/// Gets the release, or fails the test.
#[macro_export]
macro_rules! require_release {
    ($name:expr) => {
        $crate::krew::release($name)
    };
}

fn find_release() -> Result<Release, String> {
    let bin = root().join("target/cluster/bin");
    let krew = bin.join("krew");
    let validate = bin.join("validate-krew-manifest");
    for tool in [&krew, &validate] {
        if !tool.is_file() {
            return Err(format!("{} was not built", tool.display()));
        }
    }
    let mut plugins: Vec<String> = std::fs::read_dir(root().join("krew"))
        .map_err(|e| format!("no krew/ templates: {e}"))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".yaml").map(str::to_string))
        .collect();
    plugins.sort();
    let dist = root().join("target/dist");
    for p in &plugins {
        let manifest = dist.join("krew").join(format!("{p}.yaml"));
        if !manifest.is_file() {
            return Err(format!("{} was not generated", manifest.display()));
        }
    }
    Ok(Release { dist, krew, validate, plugins })
}

impl Release {
    /// The generated manifest of a plugin.
    pub fn manifest(&self, plugin: &str) -> PathBuf {
        self.dist.join("krew").join(format!("{plugin}.yaml"))
    }

    /// The archive the manifest names for this machine (linux/amd64 here), and its sha256.
    pub fn archive(&self, plugin: &str) -> (PathBuf, String) {
        let (os, arch) = host_platform();
        self.platform_archive(plugin, os, arch).unwrap_or_else(|| panic!("{plugin}.yaml has no {os}/{arch} platform"))
    }

    /// The archive the manifest names for `os/arch`, and its sha256, if it has that platform.
    pub fn platform_archive(&self, plugin: &str, os: &str, arch: &str) -> Option<(PathBuf, String)> {
        let text = std::fs::read_to_string(self.manifest(plugin)).expect("manifest");
        let m: serde_yaml::Value = serde_yaml::from_str(&text).expect("manifest is YAML");
        let entry = m["spec"]["platforms"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|p| p["selector"]["matchLabels"]["os"] == os && p["selector"]["matchLabels"]["arch"] == arch)?;
        let uri = entry["uri"].as_str().expect("uri");
        let name = uri.rsplit('/').next().expect("file name");
        Some((self.dist.join(name), entry["sha256"].as_str().expect("sha256").to_string()))
    }
}

/// krew's os/arch for this machine.
pub fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

/// A private krew installation: `KREW_ROOT`, a `PATH` of its bin directory and a directory with
/// `kubectl-krew` and `git`, and the cluster's kubectl.
pub struct KrewHome {
    /// Removed on drop.
    pub dir: tempfile::TempDir,
    /// `KREW_ROOT`.
    pub root: PathBuf,
    kubectl: PathBuf,
    kubeconfig: Option<PathBuf>,
    path: std::ffi::OsString,
}

impl KrewHome {
    /// A fresh `KREW_ROOT`; kubectl talks to `cluster` when given.
    pub fn new(release: &Release, cluster: Option<&Cluster>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("krew");
        let tools = dir.path().join("tools");
        std::fs::create_dir_all(&tools).expect("mkdir");
        symlink(&release.krew, &tools.join("kubectl-krew"));
        // krew clones indexes with git; nothing else from the caller's PATH may leak in (an
        // installed kubectl-cols would answer instead of krew's).
        let git = std::env::var_os("PATH")
            .and_then(|p| std::env::split_paths(&p).map(|d| d.join("git")).find(|g| g.is_file()))
            .expect("git on PATH");
        symlink(&git, &tools.join("git"));
        let path = std::env::join_paths([root.join("bin"), tools]).expect("PATH");
        let kubectl = cluster.map_or_else(root_kubectl, |c| c.kubectl.clone());
        Self { dir, root, kubectl, kubeconfig: cluster.map(|c| c.kubeconfig.clone()), path }
    }

    /// kubectl with this krew home, [`crate::scrubbed`], nothing else on PATH.
    pub fn kubectl_cmd(&self) -> Command {
        let mut c = crate::scrubbed(&self.kubectl, self.dir.path());
        c.env("PATH", &self.path)
            .env("KREW_ROOT", &self.root)
            .env("KREW_NO_UPGRADE_CHECK", "1")
            .env("KUBECACHEDIR", self.dir.path().join("cache"));
        if let Some(kc) = &self.kubeconfig {
            c.env("KUBECONFIG", kc);
        }
        c
    }

    /// Runs kubectl.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd().args(args).output().expect("kubectl runs")
    }

    /// Runs kubectl and panics with its output unless it succeeds; returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed ({}):\n{}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// `kubectl krew index add NAME file://…/target/dist/index`: the release's own index.
    pub fn add_index(&self, release: &Release, name: &str) {
        let url = format!("file://{}", release.dist.join("index").display());
        self.kubectl_ok(&["krew", "index", "add", name, &url]);
    }

    /// `kubectl krew install --manifest=… --archive=…` of a plugin of the release.
    pub fn install(&self, release: &Release, plugin: &str) {
        let (archive, _) = release.archive(plugin);
        self.kubectl_ok(&[
            "krew",
            "install",
            &format!("--manifest={}", release.manifest(plugin).display()),
            &format!("--archive={}", archive.display()),
        ]);
    }
}

fn root_kubectl() -> PathBuf {
    let own = root().join("target/cluster/bin/kubectl");
    if own.exists() { own } else { PathBuf::from("kubectl") }
}

fn symlink(target: &Path, link: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, link).expect("symlink");
    #[cfg(not(unix))]
    std::fs::copy(target, link).map(|_| ()).expect("copy");
}
