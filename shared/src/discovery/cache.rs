//! Discovery from the server (two requests, `/api` and `/apis` as aggregated discovery) and
//! its disk cache, laid out as kubectl lays out its own: `<cache-dir>/discovery/<host>/`,
//! directories 0700 and files 0600, trusted for [`CACHE_TTL`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Catalog, Resolution};
use crate::client::Kube;
use crate::error::{Error, Result};

/// How long a cached discovery document is trusted (kubectl uses the same).
pub const CACHE_TTL: Duration = Duration::from_secs(6 * 3600);

/// kubectl's Accept header for aggregated discovery.
const ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

impl Catalog {
    /// Loads discovery from the cache or the server (two requests).
    pub async fn load(kube: &Kube) -> Result<Self> {
        let file = cache_file(&kube.cache_dir, &kube.server);
        if let Some(cat) = read_cache(&file) {
            return Ok(cat);
        }
        Self::fetch(kube).await
    }

    /// Fetches discovery from the server and refreshes the cache.
    pub async fn fetch(kube: &Kube) -> Result<Self> {
        let api = kube.get_raw("/api", ACCEPT).await?;
        let apis = kube.get_raw("/apis", ACCEPT).await?;
        for (path, text) in [("/api", &api), ("/apis", &apis)] {
            if !text.contains("\"APIGroupDiscoveryList\"") {
                return Err(Error::runtime(format!("the server did not answer {path} with aggregated discovery"))
                    .hint("kubectl-kit needs Kubernetes 1.27 or newer (aggregated discovery)"));
            }
        }
        let cat = Self::from_documents(&api, &apis)?;
        let file = cache_file(&kube.cache_dir, &kube.server);
        // A cache that cannot be written only costs speed next time.
        if let Err(e) = write_cache(&file, &api, &apis) {
            crate::output::warn(&format!("could not write the discovery cache {}: {e}", file.display()));
        }
        Ok(cat)
    }

    /// Resolves a word against the cache; if it does not resolve and the data came from the
    /// cache, fetches discovery once more and retries (kubectl does the same).
    pub async fn resolve_live(kube: &Kube, word: &str) -> Result<(Self, Resolution)> {
        let cat = Self::load(kube).await?;
        match cat.resolve(word) {
            Ok(r) => Ok((cat, r)),
            Err(_) if cat.from_cache => {
                let fresh = Self::fetch(kube).await?;
                let r = fresh.resolve(word)?;
                Ok((fresh, r))
            }
            Err(e) => Err(e),
        }
    }
}

/// kubectl's directory name for a server: scheme dropped, every rune but `[A-Za-z0-9_/.()]`
/// replaced by `_`.
pub fn safe_host(server: &str) -> String {
    let h = server.replacen("https://", "", 1).replacen("http://", "", 1);
    h.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '(' | ')') { c } else { '_' })
        .collect()
}

/// The cache file for a server.
pub fn cache_file(cache_dir: &Path, server: &str) -> PathBuf {
    cache_dir.join("discovery").join(safe_host(server)).join("kubectl-kit.aggregated.json")
}

fn read_cache(file: &Path) -> Option<Catalog> {
    let meta = std::fs::metadata(file).ok()?;
    let age = SystemTime::now().duration_since(meta.modified().ok()?).unwrap_or(Duration::MAX);
    if age > CACHE_TTL {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut cat = Catalog::from_documents(doc.get("api")?.as_str()?, doc.get("apis")?.as_str()?).ok()?;
    cat.from_cache = true;
    Some(cat)
}

fn write_cache(file: &Path, api: &str, apis: &str) -> std::io::Result<()> {
    let doc = serde_json::json!({ "api": api, "apis": apis });
    crate::client::write_cache_file(file, doc.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_host_matches_kubectl() {
        assert_eq!(safe_host("https://127.0.0.1:6443"), "127.0.0.1_6443");
        assert_eq!(safe_host("https://my-api.example.com"), "my_api.example.com");
        assert_eq!(safe_host("https://rancher.x/k8s/clusters/c-1"), "rancher.x/k8s/clusters/c_1");
    }

    #[test]
    fn cache_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = cache_file(dir.path(), "https://127.0.0.1:6443");
        write_cache(&file, "{}", "{}").expect("write");
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(file.parent().expect("dir")).expect("meta").permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
    }
}
