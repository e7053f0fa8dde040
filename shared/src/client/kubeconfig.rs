//! Which kubeconfig files are read, and how they are merged, as kubectl's loading rules do:
//! `--kubeconfig FILE` alone; else every file `KUBECONFIG` lists, merged first-wins (missing
//! files are skipped); else `~/.kube/config`; else nothing (the in-cluster service account).

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use crate::error::{Error, Result};
use crate::flags::GlobalFlags;

/// Where the configuration came from, for error messages.
#[derive(Debug, Clone)]
pub enum Source {
    /// One or more kubeconfig files, merged in this order.
    Files(Vec<PathBuf>),
    /// The pod's service account.
    InCluster,
}

impl Source {
    /// Human description: the file list or "in-cluster configuration".
    pub fn describe(&self) -> String {
        match self {
            Source::Files(files) => files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            Source::InCluster => "in-cluster service account".into(),
        }
    }
}

pub(crate) fn home_dir() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Reads the kubeconfig files kubectl would read, merged. `None` means there is none at all.
pub fn load_kubeconfig(flags: &GlobalFlags) -> Result<Option<(Kubeconfig, Vec<PathBuf>)>> {
    let read = |path: &Path| -> Result<Kubeconfig> {
        Kubeconfig::read_from(path).map_err(|e| {
            Error::runtime(format!("could not load kubeconfig {}", path.display())).caused_by(kubeconfig_error_text(&e))
        })
    };
    if let Some(path) = &flags.kubeconfig {
        if !path.exists() {
            return Err(Error::runtime(format!("kubeconfig {} does not exist", path.display()))
                .hint("--kubeconfig names one file; KUBECONFIG may list several"));
        }
        return Ok(Some((read(path)?, vec![path.clone()])));
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let mut merged: Option<Kubeconfig> = None;
        let mut files = Vec::new();
        for path in std::env::split_paths(&list) {
            if path.as_os_str().is_empty() || files.contains(&path) || !path.exists() {
                continue;
            }
            let kc = read(&path)?;
            merged = Some(match merged {
                None => kc,
                Some(m) => m.merge(kc).map_err(|e| {
                    Error::runtime(format!("could not merge kubeconfig {}", path.display())).caused_by(e)
                })?,
            });
            files.push(path);
        }
        return Ok(merged.map(|m| (m, files)));
    }
    let default = home_dir().join(".kube").join("config");
    if default.exists() {
        return Ok(Some((read(&default)?, vec![default])));
    }
    Ok(None)
}

/// kube's YAML errors say where; keep that, drop the rest of the chain's noise.
pub(crate) fn kubeconfig_error_text(e: &kube::config::KubeconfigError) -> String {
    // The YAML parser appends a drawing of the input after the position; the file may hold
    // secrets, so only the first line (what and where) is kept.
    let text = e.to_string();
    crate::error::redact(text.lines().next().unwrap_or_default())
}
