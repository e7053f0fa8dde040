//! Named column sets: the built-ins, and the user's own in `~/.config/kubectl-cols/presets.yaml`
//! (or `$KUBECTL_COLS_CONFIG`), which override built-ins of the same name for the same resource.
//!
//! The file maps a resource (plural, `plural.group`, short name or `"*"` for every resource) to
//! preset names and column specs:
//!
//! ```yaml
//! pods:
//!   net: "NODE:.spec.nodeName,IP:.status.podIP"
//! "*":
//!   team: "label:team"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubectl_kit_core::discovery::Resource;
use kubectl_kit_core::{Error, Result};

/// A preset: a name, the resources it fits, and its column spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// The word typed after the resource.
    pub name: String,
    /// Resource keys it fits (`pods`, `deployments.apps`, `*`).
    pub resources: Vec<String>,
    /// Column spec (`HEADER:PATH,…`, with `label:KEY`, `annotation:KEY` and `|age`).
    pub spec: String,
    /// True when it comes from the user's file.
    pub user: bool,
}

const WORKLOADS: &[&str] = &[
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "jobs.batch",
    "replicationcontrollers",
];

fn builtin(name: &str, resources: &[&str], spec: &str) -> Preset {
    Preset {
        name: name.into(),
        resources: resources.iter().map(|s| s.to_string()).collect(),
        spec: spec.into(),
        user: false,
    }
}

/// The built-in presets.
pub fn builtins() -> Vec<Preset> {
    let template = "IMAGES:.spec.template.spec.containers[*].image";
    vec![
        builtin("ip", &["pods"], "NODE_IP:.status.hostIP,POD_IP:.status.podIP"),
        builtin(
            "ip",
            &["services"],
            "TYPE:.spec.type,CLUSTER_IP:.spec.clusterIP,EXTERNAL_IP:.status.loadBalancer.ingress[*].ip",
        ),
        builtin(
            "ip",
            &["nodes"],
            "INTERNAL_IP:.status.addresses[?(@.type==\"InternalIP\")].address,POD_CIDR:.spec.podCIDR",
        ),
        builtin("images", &["pods"], "IMAGES:.spec.containers[*].image"),
        builtin("images", WORKLOADS, template),
        builtin("images", &["cronjobs.batch"], "IMAGES:.spec.jobTemplate.spec.template.spec.containers[*].image"),
        builtin(
            "owners",
            &["*"],
            "OWNER_KIND:.metadata.ownerReferences[?(@.controller)].kind,OWNER:.metadata.ownerReferences[?(@.controller)].name",
        ),
        builtin(
            "restarts",
            &["pods"],
            "RESTARTS:.status.containerStatuses[*].restartCount,LAST_EXIT:.status.containerStatuses[*].lastState.terminated.exitCode",
        ),
        builtin("ready", &["pods"], "READY:.status.conditions[?(@.type==\"Ready\")].status,PHASE:.status.phase"),
        // Why pods do not serve, per container. kubectl's STATUS column (printPod: init
        // progress, the first waiting or terminated reason, Terminating…) and its RESTARTS (a
        // sum with the last restart's age) are computed, not fields, so no JSONPath spec can
        // print them; WAITING shows the reason kubectl's STATUS shows for a waiting container,
        // and NODE is kubectl's own -o wide column.
        builtin(
            "health",
            &["pods"],
            "WAITING:.status.containerStatuses[*].state.waiting.reason,INIT_WAITING:.status.initContainerStatuses[*].state.waiting.reason,RESTART_COUNTS:.status.containerStatuses[*].restartCount,LAST_REASON:.status.containerStatuses[*].lastState.terminated.reason,LAST_EXIT:.status.containerStatuses[*].lastState.terminated.exitCode,NODE:.spec.nodeName",
        ),
        builtin("ready", &["nodes"], "READY:.status.conditions[?(@.type==\"Ready\")].status"),
        builtin(
            "ready",
            &["deployments.apps", "replicasets.apps", "statefulsets.apps"],
            "DESIRED:.spec.replicas,READY:.status.readyReplicas,AVAILABLE:.status.availableReplicas",
        ),
        builtin(
            "resources",
            &["pods"],
            "CPU_REQ:.spec.containers[*].resources.requests.cpu,CPU_LIM:.spec.containers[*].resources.limits.cpu,MEM_REQ:.spec.containers[*].resources.requests.memory,MEM_LIM:.spec.containers[*].resources.limits.memory",
        ),
        builtin(
            "resources",
            WORKLOADS,
            "CPU_REQ:.spec.template.spec.containers[*].resources.requests.cpu,CPU_LIM:.spec.template.spec.containers[*].resources.limits.cpu,MEM_REQ:.spec.template.spec.containers[*].resources.requests.memory,MEM_LIM:.spec.template.spec.containers[*].resources.limits.memory",
        ),
        builtin(
            "resources",
            &["nodes"],
            "CPU:.status.allocatable.cpu,MEMORY:.status.allocatable.memory,PODS:.status.allocatable.pods",
        ),
        builtin("qos", &["pods"], "QOS:.status.qosClass"),
        builtin(
            "nodes",
            &["nodes"],
            "ZONE:label:topology.kubernetes.io/zone,INSTANCE_TYPE:label:node.kubernetes.io/instance-type,KUBELET:.status.nodeInfo.kubeletVersion,INTERNAL_IP:.status.addresses[?(@.type==\"InternalIP\")].address",
        ),
        builtin("nodes", &["pods"], "NODE:.spec.nodeName,NODE_IP:.status.hostIP"),
        builtin(
            "ports",
            &["pods"],
            "PORTS:.spec.containers[*].ports[*].containerPort,PORT_NAMES:.spec.containers[*].ports[*].name",
        ),
        builtin(
            "ports",
            &["services"],
            "PORTS:.spec.ports[*].port,TARGETS:.spec.ports[*].targetPort,NODE_PORTS:.spec.ports[*].nodePort",
        ),
        builtin("labels", &["*"], "LABELS:.metadata.labels"),
        builtin("age", &["*"], "AGE:.metadata.creationTimestamp|age"),
    ]
}

/// True when a preset key names this resource.
pub fn fits(key: &str, r: &Resource) -> bool {
    key == "*"
        || key == r.name
        || key == r.qualified()
        || key == r.singular_name
        || r.short_names.iter().any(|s| s == key)
        || (r.group.is_empty() && key == format!("{}.", r.name))
}

/// Where user presets live.
pub fn config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECTL_COLS_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".config"));
    base.join("kubectl-cols").join("presets.yaml")
}

type UserFile = BTreeMap<String, BTreeMap<String, String>>;

/// Reads the user's presets; a missing file is no presets, a malformed one an error naming the
/// line and column.
pub fn load_user(path: &Path) -> Result<Vec<Preset>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::runtime(format!("could not read presets file {}", path.display())).caused_by(e)),
    };
    let parsed = parse_user(&text).map_err(|e| {
        Error::runtime(format!("invalid presets file {}: {e}", path.display()))
            .hint("the file maps a resource to preset names and column specs, e.g.\n  pods:\n    net: \"NODE:.spec.nodeName,IP:.status.podIP\"")
    })?;
    Ok(parsed
        .into_iter()
        .flat_map(|(resource, presets)| {
            presets.into_iter().map(move |(name, spec)| Preset {
                name,
                resources: vec![resource.clone()],
                spec,
                user: true,
            })
        })
        .collect())
}

/// Parses the file's text; the error says where (`line L column C`).
pub fn parse_user(text: &str) -> std::result::Result<UserFile, String> {
    if text.trim().is_empty() {
        return Ok(UserFile::new());
    }
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| yaml_error(&e))?;
    if value.is_null() {
        return Ok(UserFile::new());
    }
    serde_yaml::from_value::<UserFile>(value)
        .map_err(|e| format!("{e} (expected a map of resource → preset name → column spec string)"))
}

fn yaml_error(e: &serde_yaml::Error) -> String {
    match e.location() {
        Some(l) => format!(
            "line {} column {}: {}",
            l.line(),
            l.column(),
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
        None => e.to_string(),
    }
}

/// Adds (or replaces) one preset in the file, keeping everything else in it (comments too when
/// the edit is a plain insertion), and writes atomically. A malformed file is left untouched.
pub fn add_user(path: &Path, resource: &str, name: &str, spec: &str) -> Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::runtime(format!("could not read presets file {}", path.display())).caused_by(e)),
    };
    let mut expected = parse_user(&old).map_err(|e| {
        Error::runtime(format!("invalid presets file {}: {e}", path.display()))
            .hint("fix or remove the file; it was not changed")
    })?;
    expected.entry(resource.to_string()).or_default().insert(name.to_string(), spec.to_string());
    let edited = textual_edit(&old, resource, name, spec);
    let text = match edited {
        Some(t) if parse_user(&t).ok().as_ref() == Some(&expected) => t,
        _ => serde_yaml::to_string(&expected).map_err(|e| Error::runtime("could not write presets").caused_by(e))?,
    };
    write_atomic(path, &text)
}

/// Inserts `name: spec` under `resource:` (appending the section if missing) without touching
/// other lines. Returns `None` when the layout is not one it can edit safely.
fn textual_edit(old: &str, resource: &str, name: &str, spec: &str) -> Option<String> {
    let entry = format!("{}: {}", yaml_key(name), yaml_scalar(spec));
    let header = format!("{}:", yaml_key(resource));
    let lines: Vec<&str> = old.lines().collect();
    let Some(at) = lines.iter().position(|l| l.trim_end() == header) else {
        let mut s = old.to_string();
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&format!("{header}\n  {entry}\n"));
        return Some(s);
    };
    // Replace an existing one-line entry, or insert at the top of the section.
    let mut out: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let body = lines.iter().skip(at + 1).take_while(|l| l.starts_with(' ') || l.trim().is_empty()).count();
    let indent = lines.get(at + 1).map(|l| l.len() - l.trim_start().len()).filter(|n| *n > 0).unwrap_or(2);
    let line = format!("{}{entry}", " ".repeat(indent));
    let key = format!("{}:", yaml_key(name));
    match out.iter_mut().skip(at + 1).take(body).find(|l| l.trim_start().starts_with(&key)) {
        Some(existing) => *existing = line,
        // `at` is a line of the file: `at + 1` is at most its end.
        None => out.insert(at + 1, line),
    }
    Some(out.join("\n") + "\n")
}

fn yaml_key(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) && !k.is_empty() {
        k.to_string()
    } else {
        yaml_scalar(k)
    }
}

fn yaml_scalar(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes a file by renaming a complete temporary file over it.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::runtime(format!("could not create {}", dir.display())).caused_by(e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("presets"),
        std::process::id()
    ));
    std::fs::write(&tmp, text)
        .map_err(|e| Error::runtime(format!("could not write {}", tmp.display())).caused_by(e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::runtime(format!("could not replace {}", path.display())).caused_by(e)
    })
}

/// The presets that fit a resource: user presets first (they override built-ins by name).
pub fn for_resource<'a>(all: &'a [Preset], r: &Resource) -> Vec<&'a Preset> {
    let mut out: Vec<&Preset> = Vec::new();
    for p in all.iter().filter(|p| p.user).chain(all.iter().filter(|p| !p.user)) {
        if p.resources.iter().any(|k| fits(k, r)) && !out.iter().any(|o| o.name == p.name) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_say_where() {
        let e = parse_user("pods:\n  ip: [unclosed\n").expect_err("malformed");
        assert!(e.starts_with("line "), "{e}");
        assert!(e.contains("column"), "{e}");
        let e = parse_user("pods: 3\n").expect_err("wrong shape");
        assert!(e.contains("expected a map"), "{e}");
        assert_eq!(parse_user("").map(|m| m.len()), Ok(0));
    }

    #[test]
    fn add_keeps_comments_and_other_presets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("presets.yaml");
        std::fs::write(&path, "# my presets\npods:\n  net: 'IP:.status.podIP'\n").expect("write");
        add_user(&path, "pods", "img", "IMG:.spec.containers[*].image").expect("add");
        add_user(&path, "deployments.apps", "r", "R:.spec.replicas").expect("add");
        add_user(&path, "pods", "net", "NODE:.spec.nodeName").expect("replace");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# my presets\n"), "{text}");
        let m = parse_user(&text).expect("valid");
        assert_eq!(m["pods"]["img"], "IMG:.spec.containers[*].image");
        assert_eq!(m["pods"]["net"], "NODE:.spec.nodeName");
        assert_eq!(m["deployments.apps"]["r"], "R:.spec.replicas");
    }

    #[test]
    fn a_malformed_file_is_never_rewritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("presets.yaml");
        std::fs::write(&path, "pods: [\n").expect("write");
        assert!(add_user(&path, "pods", "x", "X:.x").is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "pods: [\n");
    }
}
