//! kubectl's cache directory (`--cache-dir`, `KUBECACHEDIR`, `~/.kube/cache`) and how files are
//! written under it.

use std::path::{Path, PathBuf};

use crate::flags::GlobalFlags;

/// The cache directory kubectl would use.
pub fn cache_dir(flags: &GlobalFlags) -> PathBuf {
    if let Some(dir) = &flags.cache_dir {
        return dir.clone();
    }
    if let Some(dir) = std::env::var_os("KUBECACHEDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    super::kubeconfig::home_dir().join(".kube").join("cache")
}

/// Writes a file under the cache directory: private (0700 directories, 0600 file, as kubectl
/// keeps its cache) and whole, by renaming a complete temporary file over it.
pub fn write_cache_file(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut dirs = std::fs::DirBuilder::new();
    let mut open = std::fs::OpenOptions::new();
    // Windows has no mode bits: the profile directory's ACLs keep the cache private there.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        open.mode(0o600);
    }
    dirs.recursive(true).create(dir)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("cache");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = open.write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(bytes)?;
    }
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
