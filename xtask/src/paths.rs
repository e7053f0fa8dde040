//! Where things live: the work tree's `target/cluster`, and caches outside the work tree so that
//! a fresh checkout rebuilds nothing.

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// `target/cluster`: kubeconfig, binaries, logs, pids, data; or `$KUBECTL_KIT_CLUSTER_DIR`,
/// for a second cluster beside the first (the bare-machine test starts one).
pub fn cluster() -> PathBuf {
    match std::env::var_os("KUBECTL_KIT_CLUSTER_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target").join("cluster"),
    }
}

/// The admin kubeconfig of the local cluster.
pub fn kubeconfig() -> PathBuf {
    cluster().join("kubeconfig")
}

/// Binaries used by the cluster (copies of the cached builds).
pub fn bin() -> PathBuf {
    cluster().join("bin")
}

/// Component logs.
pub fn logs() -> PathBuf {
    cluster().join("logs")
}

/// The cluster's own kubectl.
pub fn kubectl() -> PathBuf {
    bin().join("kubectl")
}

/// Cache for built Go binaries, outside the work tree: `$KUBECTL_KIT_CACHE` or
/// `$XDG_CACHE_HOME/kubectl-kit` or `~/.cache/kubectl-kit`.
pub fn cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUBECTL_KIT_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("kubectl-kit");
    }
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from).join(".cache").join("kubectl-kit")
}

/// The Go wrapper modules that build the control plane and tools.
pub fn go_modules() -> PathBuf {
    root().join("tests").join("cluster").join("go")
}

/// Manifests of the demo and fixture apps.
pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}
