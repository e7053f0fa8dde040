//! Support for the fleet tests: several real clusters side by side, from
//! `cargo xtask cluster up --fleet 3`, and the merged kubeconfig that names them (`kit-1` …
//! `kit-N` as admin, `kit-1-user` with no rights, `dead` on a closed port).
//!
//! The fleet is `KUBECTL_KIT_TEST_FLEET_KUBECONFIG`, else `target/fleet/kubeconfig`. A test
//! that asks for it fails, naming what is missing, when there is none.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::{Cluster, plugin_path, root};

/// The fleet: the merged kubeconfig, and each member as a [`Cluster`] of its own.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The merged kubeconfig.
    pub kubeconfig: PathBuf,
    /// `kit-1` … `kit-N`, each with a kubeconfig of its context alone.
    pub members: Vec<(String, Cluster)>,
    /// Where the members' own kubeconfigs are written.
    _dir: std::sync::Arc<tempfile::TempDir>,
}

/// The test fleet; fails the test when there is none (`cargo xtask cluster up --fleet 3`).
pub fn fleet(test: &str) -> Fleet {
    static FOUND: OnceLock<Result<Fleet, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(f) => f.clone(),
        Err(why) => panic!(
            "fleet test {test} needs the test fleet, but {why} (run `cargo xtask test`, or `cargo xtask cluster up --fleet 3` first)"
        ),
    }
}

fn find() -> Result<Fleet, String> {
    let kubeconfig = std::env::var_os("KUBECTL_KIT_TEST_FLEET_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/fleet/kubeconfig"));
    if !kubeconfig.exists() {
        return Err(format!("no fleet kubeconfig at {}", kubeconfig.display()));
    }
    let kubectl = crate::cluster("fleet").kubectl;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let contexts = Command::new(&kubectl)
        .args(["config", "get-contexts", "-o", "name", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .map_err(|e| e.to_string())?;
    let mut members = vec![];
    for name in String::from_utf8_lossy(&contexts.stdout).lines().filter(|n| is_member(n)) {
        let view = Command::new(&kubectl)
            .args(["config", "view", "--minify", "--flatten", "--context", name, "--kubeconfig"])
            .arg(&kubeconfig)
            .output()
            .map_err(|e| e.to_string())?;
        let own = dir.path().join(name);
        std::fs::write(&own, &view.stdout).map_err(|e| e.to_string())?;
        let cluster = Cluster { kubeconfig: own, kubectl: kubectl.clone() };
        let ready = cluster.kubectl(&["get", "--raw", "/readyz", "--request-timeout=5s"]);
        if !ready.status.success() {
            return Err(format!("context {name} does not answer: {}", String::from_utf8_lossy(&ready.stderr).trim()));
        }
        members.push((name.to_string(), cluster));
    }
    members.sort_by_key(|(n, _)| n.trim_start_matches("kit-").parse::<u32>().unwrap_or(0));
    if members.len() < 3 {
        return Err(format!("{} has {} clusters; the fleet tests need 3", kubeconfig.display(), members.len()));
    }
    Ok(Fleet { kubeconfig, members, _dir: std::sync::Arc::new(dir) })
}

/// `kit-N`: a member's admin context.
fn is_member(name: &str) -> bool {
    name.strip_prefix("kit-").is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

impl Fleet {
    /// A plugin pointed at the merged kubeconfig, with its own discovery cache directory.
    pub fn plugin(&self, name: &str, cache: &Path) -> Command {
        self.plugin_with(name, cache, &self.kubeconfig)
    }

    /// A plugin pointed at another kubeconfig (the merged one with more contexts).
    pub fn plugin_with(&self, name: &str, cache: &Path, kubeconfig: &Path) -> Command {
        let mut c = Command::new(plugin_path(name));
        c.env("KUBECONFIG", kubeconfig).env("KUBECACHEDIR", cache).stdin(Stdio::null());
        c
    }

    /// The member named `kit-N`.
    pub fn member(&self, name: &str) -> &Cluster {
        self.members.iter().find(|(n, _)| n == name).map(|(_, c)| c).unwrap_or_else(|| panic!("no member {name}"))
    }

    /// The merged kubeconfig with one more context, `name`, whose cluster is `member`'s at
    /// `server` (a delaying proxy in front of it), as admin; written under `dir`.
    pub fn with_context_at(&self, dir: &Path, name: &str, member: &str, server: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.kubeconfig).expect("the fleet kubeconfig");
        let mut doc: serde_json::Value = serde_yaml::from_str(&text).expect("a kubeconfig");
        let cluster = doc["clusters"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == member))
            .map(|c| c["cluster"].clone())
            .expect("the member's cluster");
        let mut cluster = cluster;
        cluster["server"] = format!("https://{server}").into();
        if let Some(list) = doc["clusters"].as_array_mut() {
            list.push(serde_json::json!({"name": name, "cluster": cluster}));
        }
        if let Some(list) = doc["contexts"].as_array_mut() {
            list.push(
                serde_json::json!({"name": name, "context": {"cluster": name, "user": format!("{member}-admin")}}),
            );
        }
        let path = dir.join(format!("kubeconfig-{name}"));
        std::fs::write(&path, serde_yaml::to_string(&doc).expect("yaml")).expect("write");
        path
    }
}
