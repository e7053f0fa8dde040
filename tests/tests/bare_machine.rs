//! The cluster needs nothing from the machine beyond the Rust and Go toolchains and `hostname`:
//! `cargo xtask cluster up` starts a second, complete cluster with a `PATH` stripped of
//! Debian's `docker-registry` and of `skopeo` (its registry is built from the Go module proxy
//! like the rest), and `cargo xtask cluster down` stops it.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubectl_kit_tests::{Cluster, require_cluster, root, stderr, stdout};

/// Stops the second cluster however the test ends.
struct Down {
    xtask: PathBuf,
    path: PathBuf,
    dir: PathBuf,
}

impl Drop for Down {
    fn drop(&mut self) {
        let _ = xtask(&self.xtask, &self.path, &self.dir).args(["cluster", "down"]).output();
    }
}

fn xtask(bin: &Path, path: &Path, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env("PATH", path)
        .env("KUBECTL_KIT_CLUSTER_DIR", dir)
        .env_remove("KUBECTL_KIT_APISERVER_PORT")
        .env_remove("KUBECTL_KIT_REGISTRY_PORT")
        .current_dir(root());
    c
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn cluster_up_works_without_docker_registry_and_skopeo() {
    // A cluster test: it relies on the Go builds the first cluster made (cached, keyed by the
    // wrapper modules), so that it starts in seconds.
    let _ = require_cluster!("bare machine");
    let work = tempfile::tempdir().expect("tempdir");
    // A PATH of one directory holding a link to every program of the caller's PATH but these.
    let stripped = ["docker-registry", "skopeo", "registry"];
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if stripped.iter().any(|s| name == *s) || link.exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(entry.path(), link);
        }
    }
    for s in stripped {
        assert!(!bin.join(s).exists(), "{s} left on PATH");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo).current_dir(root()).args(["build", "--quiet", "-p", "xtask"]).status();
    assert!(built.is_ok_and(|s| s.success()), "cargo build -p xtask failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let down = Down { xtask: target.join("debug/xtask"), path: bin.clone(), dir: work.path().join("cluster") };

    let out = xtask(&down.xtask, &down.path, &down.dir).args(["cluster", "up"]).output().expect("xtask runs");
    assert!(out.status.success(), "cluster up failed:\n{}{}", stdout(&out), stderr(&out));
    let kubeconfig = down.dir.join("kubeconfig");
    assert_eq!(stdout(&out).trim(), format!("export KUBECONFIG={}", kubeconfig.display()));

    // A working control plane: three Ready nodes.
    let second = Cluster { kubeconfig, kubectl: down.dir.join("bin/kubectl") };
    let ready = second.kubectl_ok(&[
        "get",
        "nodes",
        "-o",
        "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}",
    ]);
    assert_eq!(ready, "True True True");
    // The registry it advertises answers, and is the one built from the Go module.
    let (host, _) = second.registry_hosts();
    let catalog =
        kubectl_kit_tests::registry::crane(None).args(["catalog", "--insecure", &host]).output().expect("crane runs");
    assert!(catalog.status.success(), "the registry at {host} does not answer: {}", stderr(&catalog));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(down.dir.join("state.json")).expect("state.json")).expect("JSON");
    let pid = state["pids"]
        .as_array()
        .expect("pids")
        .iter()
        .find(|p| p["name"] == "registry")
        .and_then(|p| p["pid"].as_u64())
        .expect("a registry pid");
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("the registry runs");
    assert_eq!(exe, down.dir.join("bin/registry"));

    let out = xtask(&down.xtask, &down.path, &down.dir).args(["cluster", "down"]).output().expect("xtask runs");
    assert!(out.status.success(), "cluster down failed: {}", stderr(&out));
    // Gone (a zombie not yet reaped has no executable either).
    assert!(std::fs::read_link(format!("/proc/{pid}/exe")).is_err(), "the registry still runs");
}
