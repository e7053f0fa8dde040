//! `cargo xtask cluster up --fleet N`: N independent clusters side by side, for reads across
//! kubeconfig contexts. The first is the usual cluster (`target/cluster`); the others are the
//! same control plane started again by this program with `KUBECTL_KIT_CLUSTER_DIR` set to
//! `target/fleet/kit-I` (their own ports, data, certificates and registry). Then one merged
//! kubeconfig, `target/fleet/kubeconfig`, names them all:
//!
//! - `kit-1` … `kit-N`: each cluster as its admin (`kit-1` is current);
//! - `kit-1-user`: the first cluster as `kit-user`, who may do nothing until a test grants it;
//! - `dead`: a server nothing listens on (127.0.0.1:1), with real credentials.
//!
//! `cargo xtask cluster down` stops the others too. Each cluster costs about 1.5 GB of memory:
//! at most four.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_yaml::{Mapping, Value};

use crate::{paths, pki, util};

/// Most clusters a fleet may have on one machine.
const MOST: usize = 4;

/// The fleet's directory: `target/fleet`.
pub fn dir() -> PathBuf {
    paths::root().join("target").join("fleet")
}

/// The merged kubeconfig of every cluster of the fleet.
pub fn kubeconfig() -> PathBuf {
    dir().join("kubeconfig")
}

fn member_dir(i: usize) -> PathBuf {
    dir().join(format!("kit-{i}"))
}

/// Member `i`'s own kubeconfig (its context alone); the first member's is the usual cluster's.
pub fn member_kubeconfig(i: usize) -> PathBuf {
    if i == 1 { paths::kubeconfig() } else { member_dir(i).join("kubeconfig") }
}

/// True in the process that runs the first cluster (a member's own `up` and `down` run with
/// `KUBECTL_KIT_CLUSTER_DIR` set, and leave the fleet alone).
fn is_first() -> bool {
    std::env::var_os("KUBECTL_KIT_CLUSTER_DIR").is_none_or(|d| d.is_empty())
}

/// Parses `--fleet N` (the clusters in all, the first included).
pub fn parse(words: &[&str]) -> Result<usize> {
    let n = match words {
        ["--fleet", n] => *n,
        [flag] if flag.starts_with("--fleet=") => flag.trim_start_matches("--fleet="),
        _ => bail!("cluster up takes --fleet N (2 to {MOST}), or nothing"),
    };
    match n.parse::<usize>() {
        Ok(n) if (2..=MOST).contains(&n) => Ok(n),
        _ => bail!("--fleet takes the number of clusters, 2 to {MOST} (each costs about 1.5 GB), not {n:?}"),
    }
}

/// Starts the first cluster and `n - 1` more, and writes the merged kubeconfig.
pub fn up(n: usize) -> Result<()> {
    super::up()?;
    for i in 2..=n {
        member("up", i)?;
    }
    // Members beyond `n` from an earlier, larger fleet are stopped: their memory is wanted.
    for i in n + 1..=MOST {
        if member_dir(i).join("state.json").exists() {
            member("down", i)?;
        }
    }
    let mut configs = vec![read_yaml(&paths::kubeconfig())?];
    for i in 2..=n {
        configs.push(read_yaml(&member_dir(i).join("kubeconfig"))?);
    }
    let merged = merge(&configs)?;
    pki::write_private(&kubeconfig(), &serde_yaml::to_string(&merged)?)?;
    util::step(&format!("fleet of {n} clusters ready"));
    util::say_err(&format!("  kubeconfig  {} (contexts kit-1 … kit-{n}, kit-1-user, dead)\n", kubeconfig().display()));
    util::say(&format!("export KUBECONFIG={}\n", kubeconfig().display()));
    Ok(())
}

/// Stops the fleet's other clusters (the first is stopped by `cluster down` itself).
pub fn down() -> Result<()> {
    if !is_first() {
        return Ok(());
    }
    for i in 2..=MOST {
        if member_dir(i).join("state.json").exists() {
            util::step(&format!("cluster down: kit-{i} ({})", member_dir(i).display()));
            super::stop_recorded(&member_dir(i))?;
        }
    }
    let _ = std::fs::remove_file(kubeconfig());
    Ok(())
}

/// The running fleet's size, when the merged kubeconfig and every member are there.
pub fn running() -> Option<usize> {
    if !kubeconfig().exists() {
        return None;
    }
    let n = (2..=MOST).take_while(|i| member_dir(*i).join("state.json").exists()).count() + 1;
    (n >= 2).then_some(n)
}

/// Runs this program's `cluster VERB` for member `i`.
fn member(verb: &str, i: usize) -> Result<()> {
    // A build while the fleet starts (a test run's) may replace the program on disk; Linux
    // still runs this process's own image through /proc/self/exe.
    let own = Path::new("/proc/self/exe");
    let exe = if own.exists() {
        own.to_path_buf()
    } else {
        std::env::current_exe().context("could not find the xtask program")?
    };
    let dir = member_dir(i);
    std::fs::create_dir_all(&dir)?;
    util::step(&format!("cluster {verb}: kit-{i} ({})", dir.display()));
    let status = Command::new(exe)
        .args(["cluster", verb])
        .env("KUBECTL_KIT_CLUSTER_DIR", &dir)
        // A member picks its own ports: the first cluster's pins are the first's.
        .env_remove("KUBECTL_KIT_APISERVER_PORT")
        .env_remove("KUBECTL_KIT_REGISTRY_PORT")
        .stdout(Stdio::null())
        .status()
        .context("could not run the xtask program")?;
    if !status.success() {
        bail!("cluster {verb} of kit-{i} failed (logs in {})", dir.join("logs").display());
    }
    Ok(())
}

fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| format!("{} is not a kubeconfig", path.display()))
}

/// The entry named `name` in the kubeconfig list `key` (`clusters`, `users`), without its name.
fn entry<'a>(config: &'a Value, key: &str, name: &str, field: &str) -> Result<&'a Value> {
    config[key]
        .as_sequence()
        .and_then(|list| list.iter().find(|e| e["name"].as_str() == Some(name)))
        .map(|e| &e[field])
        .with_context(|| format!("the cluster's kubeconfig has no {key} entry {name:?}"))
}

fn named(name: &str, field: &str, value: Value) -> Value {
    let mut m = Mapping::new();
    m.insert("name".into(), name.into());
    m.insert(field.into(), value);
    Value::Mapping(m)
}

fn context(name: &str, cluster: &str, user: &str) -> Value {
    let mut c = Mapping::new();
    c.insert("cluster".into(), cluster.into());
    c.insert("user".into(), user.into());
    named(name, "context", Value::Mapping(c))
}

/// One kubeconfig for the clusters' own (`configs[i]` is `kit-{i+1}`'s, as `pki::kubeconfig`
/// writes it), with the permission-less user's context and the dead server's.
fn merge(configs: &[Value]) -> Result<Value> {
    let (mut clusters, mut users, mut contexts) = (vec![], vec![], vec![]);
    for (i, config) in configs.iter().enumerate() {
        let name = format!("kit-{}", i + 1);
        clusters.push(named(&name, "cluster", entry(config, "clusters", "kubectl-kit", "cluster")?.clone()));
        let admin = format!("{name}-admin");
        users.push(named(&admin, "user", entry(config, "users", pki::ADMIN_USER, "user")?.clone()));
        contexts.push(context(&name, &name, &admin));
        if i == 0 {
            let user = format!("{name}-user");
            users.push(named(&user, "user", entry(config, "users", pki::PLAIN_USER, "user")?.clone()));
            contexts.push(context(&user, &name, &user));
            // The first cluster's authority and admin, at an address nothing listens on.
            let mut dead = entry(config, "clusters", "kubectl-kit", "cluster")?.clone();
            if let Some(m) = dead.as_mapping_mut() {
                m.insert("server".into(), "https://127.0.0.1:1".into());
            }
            clusters.push(named("dead", "cluster", dead));
            contexts.push(context("dead", "dead", &admin));
        }
    }
    let mut m = Mapping::new();
    m.insert("apiVersion".into(), "v1".into());
    m.insert("kind".into(), "Config".into());
    m.insert("clusters".into(), Value::Sequence(clusters));
    m.insert("users".into(), Value::Sequence(users));
    m.insert("contexts".into(), Value::Sequence(contexts));
    m.insert("current-context".into(), "kit-1".into());
    Ok(Value::Mapping(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member_config(port: u16) -> Value {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubectl-kit\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority-data: CA{port}\nusers:\n- name: kit-admin\n  user:\n    client-certificate-data: A{port}\n- name: kit-user\n  user:\n    client-certificate-data: U{port}\ncontexts: []\ncurrent-context: kubectl-kit\n"
        );
        serde_yaml::from_str(&text).expect("yaml")
    }

    #[test]
    fn the_merged_kubeconfig_names_every_cluster_the_plain_user_and_a_dead_server() {
        let merged = merge(&[member_config(6001), member_config(6002), member_config(6003)]).expect("merges");
        let names = |key: &str| -> Vec<String> {
            merged[key]
                .as_sequence()
                .expect("list")
                .iter()
                .filter_map(|e| e["name"].as_str().map(String::from))
                .collect()
        };
        assert_eq!(names("contexts"), ["kit-1", "kit-1-user", "dead", "kit-2", "kit-3"]);
        assert_eq!(names("clusters"), ["kit-1", "dead", "kit-2", "kit-3"]);
        assert_eq!(names("users"), ["kit-1-admin", "kit-1-user", "kit-2-admin", "kit-3-admin"]);
        let cluster = |name: &str| {
            merged["clusters"].as_sequence().expect("list").iter().find(|c| c["name"] == name).expect("cluster").clone()
        };
        assert_eq!(cluster("kit-2")["cluster"]["server"], "https://127.0.0.1:6002");
        assert_eq!(cluster("dead")["cluster"]["server"], "https://127.0.0.1:1");
        assert_eq!(cluster("dead")["cluster"]["certificate-authority-data"], "CA6001");
        assert_eq!(merged["current-context"], "kit-1");
        assert!(merge(&[Value::Null]).is_err(), "a kubeconfig without the cluster is an error");
    }

    #[test]
    fn fleet_sizes_are_bounded() {
        assert_eq!(parse(&["--fleet", "3"]).expect("3"), 3);
        assert_eq!(parse(&["--fleet=2"]).expect("2"), 2);
        for bad in [&["--fleet", "1"][..], &["--fleet", "9"], &["--fleet", "x"], &["--fleets"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
