//! Which kubeconfig files are read, and how they are merged, as kubectl's loading rules do:
//! `--kubeconfig FILE` alone; else every file `KUBECONFIG` lists, merged first-wins (missing
//! files are skipped); else `~/.kube/config`; else nothing (the in-cluster service account).
//! The files are read as kube reads them (several YAML documents in one file are merged,
//! relative paths resolved against the file's directory); merging several files is done here.

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
    /// Human description: the file list, "the command line" (flags without a kubeconfig) or
    /// "in-cluster service account".
    pub fn describe(&self) -> String {
        match self {
            Source::Files(files) if files.is_empty() => "the command line".into(),
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
    let list = std::env::var_os("KUBECONFIG");
    load_files(flags.kubeconfig.as_deref(), list.as_deref(), &home_dir())
}

/// client-go's loading rules, given `--kubeconfig`, `KUBECONFIG` and the home directory: the
/// one file `--kubeconfig` names (an error if it is missing); else the files `KUBECONFIG`
/// lists, each read once, missing ones skipped, merged by [`merge`]; else `~/.kube/config`
/// if it exists. Relative paths in a file are resolved against that file's directory.
pub(crate) fn load_files(
    explicit: Option<&Path>,
    list: Option<&std::ffi::OsStr>,
    home: &Path,
) -> Result<Option<(Kubeconfig, Vec<PathBuf>)>> {
    let read = |path: &Path| -> Result<Kubeconfig> {
        Kubeconfig::read_from(path).map_err(|e| {
            Error::runtime(format!("could not load kubeconfig {}", path.display())).caused_by(kubeconfig_error_text(&e))
        })
    };
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        if !path.exists() {
            return Err(Error::runtime(format!("kubeconfig {} does not exist", path.display()))
                .hint("--kubeconfig names one file; KUBECONFIG may list several"));
        }
        return Ok(Some((read(path)?, vec![path.to_path_buf()])));
    }
    if let Some(list) = list.filter(|v| !v.is_empty()) {
        let mut merged: Option<Kubeconfig> = None;
        let mut files = Vec::new();
        for path in std::env::split_paths(list) {
            if path.as_os_str().is_empty() || files.contains(&path) || !path.exists() {
                continue;
            }
            let kc = read(&path)?;
            merged = Some(match merged {
                None => kc,
                Some(m) => merge(m, kc),
            });
            files.push(path);
        }
        return Ok(merged.map(|m| (m, files)));
    }
    let default = home.join(".kube").join("config");
    if default.exists() {
        return Ok(Some((read(&default)?, vec![default])));
    }
    Ok(None)
}

/// Merges a later file's kubeconfig into the earlier ones', by client-go's rules: a cluster,
/// user or context is taken whole from the first file that names it; `current-context` and
/// `preferences` from the first file that sets them (an empty `current-context: ""`, as
/// `kubectl config` writes, does not). `kind` and `apiVersion` are not compared (kube's own
/// merge refuses files that differ in them; client-go ignores them).
pub(crate) fn merge(mut base: Kubeconfig, next: Kubeconfig) -> Kubeconfig {
    fn add_new<T>(base: &mut Vec<T>, next: Vec<T>, name: impl Fn(&T) -> &str) {
        for entry in next {
            if !base.iter().any(|b| name(b) == name(&entry)) {
                base.push(entry);
            }
        }
    }
    add_new(&mut base.clusters, next.clusters, |c| &c.name);
    add_new(&mut base.auth_infos, next.auth_infos, |u| &u.name);
    add_new(&mut base.contexts, next.contexts, |c| &c.name);
    base.current_context = base.current_context.filter(|c| !c.is_empty()).or(next.current_context);
    base.preferences = base.preferences.or(next.preferences);
    base.extensions = base.extensions.or(next.extensions);
    base
}

/// kube's YAML errors say where; keep that, drop the rest of the chain's noise.
pub(crate) fn kubeconfig_error_text(e: &kube::config::KubeconfigError) -> String {
    // The YAML parser appends a drawing of the input after the position; the file may hold
    // secrets, so only the first line (what and where) is kept.
    let text = e.to_string();
    crate::error::redact(text.lines().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;
    use crate::client::fixture::write;

    fn list(paths: &[&Path]) -> OsString {
        std::env::join_paths(paths).expect("a list")
    }

    fn token(kc: &Kubeconfig, user: &str) -> Option<String> {
        use kube::config::AuthInfo;
        let info: Option<&AuthInfo> = kc.auth_infos.iter().find(|u| u.name == user).and_then(|u| u.auth_info.as_ref());
        info.and_then(|i| serde_json::to_value(i).ok()).and_then(|v| v["token"].as_str().map(str::to_string))
    }

    #[test]
    fn kubeconfig_list_merges_first_file_wins_per_entry_and_skips_missing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        // `kubectl config` writes `current-context: ""` in files that only add entries.
        let first = write(
            dir.path(),
            "first",
            "apiVersion: v1\nkind: Config\ncurrent-context: \"\"\nclusters:\n- name: shared\n  cluster:\n    server: https://first:6443\nusers:\n- name: me\n  user:\n    token: first-token\n",
        );
        let second = write(
            dir.path(),
            "second",
            "kind: Other\ncurrent-context: from-second\nclusters:\n- name: shared\n  cluster:\n    server: https://second:6443\n- name: only-second\n  cluster:\n    server: https://only:6443\nusers:\n- name: me\n  user:\n    username: not-merged\ncontexts:\n- name: from-second\n  context: {cluster: shared, user: me}\n",
        );
        let third = write(dir.path(), "third", "current-context: from-third\n");
        let missing = dir.path().join("missing");
        let home = dir.path().join("home");
        let kubeconfig = list(&[&first, &missing, &second, &first, &third]);
        let (kc, files) = load_files(None, Some(&kubeconfig), &home).expect("loads").expect("some");
        assert_eq!(files, [first.clone(), second.clone(), third], "each file once, the missing one skipped");
        let server =
            |name: &str| kc.clusters.iter().find(|c| c.name == name).and_then(|c| c.cluster.as_ref()?.server.clone());
        assert_eq!(server("shared").as_deref(), Some("https://first:6443"), "the first file's entry wins");
        assert_eq!(server("only-second").as_deref(), Some("https://only:6443"), "new entries are added");
        assert_eq!(kc.auth_infos.iter().filter(|u| u.name == "me").count(), 1);
        let me = kc.auth_infos.iter().find(|u| u.name == "me").and_then(|u| u.auth_info.clone()).expect("me");
        assert_eq!(me.username, None, "an entry is taken whole from one file, never field by field");
        assert_eq!(token(&kc, "me").as_deref(), Some("first-token"));
        assert_eq!(kc.current_context.as_deref(), Some("from-second"), "the first file that sets it (\"\" does not)");
        // Nothing there at all: no kubeconfig (the in-cluster configuration is tried next).
        assert!(load_files(None, Some(&list(&[&missing])), &home).expect("loads").is_none());
    }

    #[test]
    fn kubeconfig_flag_wins_and_must_exist_and_home_is_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let listed = write(dir.path(), "listed", "current-context: listed\n");
        let named = write(dir.path(), "named", "current-context: named\n");
        let kubeconfig = list(&[&listed]);
        let home = dir.path().join("home");
        let (kc, files) = load_files(Some(&named), Some(&kubeconfig), &home).expect("loads").expect("some");
        assert_eq!((kc.current_context.as_deref(), files), (Some("named"), vec![named.clone()]));
        let e = load_files(Some(&dir.path().join("nope")), Some(&kubeconfig), &home).expect_err("missing");
        assert_eq!(e.message, format!("kubeconfig {} does not exist", dir.path().join("nope").display()));
        // `--kubeconfig ""` and `KUBECONFIG=` are not set.
        let (kc, _) = load_files(Some(Path::new("")), Some(&kubeconfig), &home).expect("loads").expect("some");
        assert_eq!(kc.current_context.as_deref(), Some("listed"));
        assert!(load_files(None, Some(&OsString::new()), &home).expect("loads").is_none(), "no ~/.kube/config");
        std::fs::create_dir_all(home.join(".kube")).expect("mkdir");
        write(&home.join(".kube"), "config", "current-context: home\n");
        let (kc, files) = load_files(None, None, &home).expect("loads").expect("some");
        assert_eq!((kc.current_context.as_deref(), files), (Some("home"), vec![home.join(".kube").join("config")]));
    }

    #[test]
    fn relative_paths_are_read_against_the_file_that_holds_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).and_then(|()| std::fs::create_dir_all(&b)).expect("mkdir");
        let first = write(
            &a,
            "config",
            "clusters:\n- name: c\n  cluster:\n    server: https://c\n    certificate-authority: ca.crt\n",
        );
        let second = write(
            &b,
            "config",
            "users:\n- name: u\n  user:\n    client-certificate: certs/u.crt\n    client-key: /abs/u.key\n    tokenFile: token\n",
        );
        let (kc, _) = load_files(None, Some(&list(&[&first, &second])), dir.path()).expect("loads").expect("some");
        let cluster = kc.clusters[0].cluster.clone().expect("cluster");
        assert_eq!(cluster.certificate_authority.map(PathBuf::from), Some(a.join("ca.crt")));
        let user = kc.auth_infos[0].auth_info.clone().expect("user");
        assert_eq!(user.client_certificate.map(PathBuf::from), Some(b.join("certs/u.crt")));
        assert_eq!(user.client_key.as_deref(), Some("/abs/u.key"));
        assert_eq!(user.token_file.map(PathBuf::from), Some(b.join("token")));
    }

    #[test]
    fn a_file_that_does_not_parse_is_named_without_its_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = write(dir.path(), "bad", "users:\n- name: u\n  user:\n    token: s3cret-in-the-file\n  [\n");
        let e = load_files(Some(&bad), None, dir.path()).expect_err("does not parse");
        assert_eq!(e.message, format!("could not load kubeconfig {}", bad.display()));
        assert!(!e.render().contains("s3cret-in-the-file"), "{}", e.render());
    }
}
