//! What is applied to a new cluster: kwok's shipped stages (made to leave the failure states
//! alone) with the project's own, the three nodes, and the local registry's ConfigMap.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::kubectl;
use crate::paths;

/// The annotation that puts a pod or node into a failure state (`kit.example.com/fail: crashloop`),
/// driven by the stages in `tests/fixtures/cluster/stages`.
const FAIL: &str = "kit.example.com/fail";

/// kwok's own stages, each with an extra selector expression so that it leaves alone what the
/// project's failure stages drive: without it kwok picks at random between two stages that
/// match (kwok's `lifecycle.Match`), and a crash-looping pod would as often turn Ready.
const KWOK_STAGES: &[(&str, &str)] = &[
    ("node/fast/node-initialize.yaml", "fail-absent"),
    ("node/heartbeat-with-lease/node-heartbeat-with-lease.yaml", "fail-absent"),
    ("pod/fast/pod-ready.yaml", "fail-absent"),
    ("pod/fast/pod-complete.yaml", "fail-absent"),
    // A pod whose app ignores SIGTERM is deleted at the end of its grace period by
    // kit-sigterm-ignored, not at once.
    ("pod/fast/pod-delete.yaml", "sigterm-honoured"),
];

/// The `--config` files of kwok: its shipped stages, read from its module and written to
/// `target/cluster/stages` with the exclusions of [`KWOK_STAGES`], then the project's own from
/// `tests/fixtures/cluster/stages` (see docs/development/test-cluster.md, failure states).
pub(super) fn stage_configs(kwok_dir: &Path) -> Result<Vec<PathBuf>> {
    let shipped = kwok_dir.join("kustomize/stage");
    let out = paths::cluster().join("stages");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let mut files = vec![];
    for (rel, rule) in KWOK_STAGES {
        let from = shipped.join(rel);
        let text = std::fs::read_to_string(&from).with_context(|| format!("reading {}", from.display()))?;
        let patched = exclude_from_stage(&text, rule).with_context(|| format!("kwok stage {}", from.display()))?;
        let to = out.join(Path::new(rel).file_name().unwrap_or_default());
        std::fs::write(&to, patched)?;
        files.push(to);
    }
    let own = paths::fixtures().join("cluster").join("stages");
    let mut ours: Vec<PathBuf> = std::fs::read_dir(&own)
        .with_context(|| format!("reading {}", own.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    ours.sort();
    files.extend(ours);
    Ok(files)
}

/// Adds one selector expression to a kwok Stage document.
fn exclude_from_stage(text: &str, rule: &str) -> Result<String> {
    let expression = match rule {
        "fail-absent" => json!({"key": format!(".metadata.annotations[\"{FAIL}\"]"), "operator": "DoesNotExist"}),
        "sigterm-honoured" => json!({
            "key": ".metadata.annotations[\"kit.example.com/sigterm\"]",
            "operator": "NotIn",
            "values": ["ignored"],
        }),
        other => bail!("unknown stage rule {other}"),
    };
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text)?;
    if doc["kind"].as_str() != Some("Stage") {
        bail!("not a Stage");
    }
    let exprs = doc
        .get_mut("spec")
        .and_then(|s| s.get_mut("selector"))
        .and_then(|s| s.get_mut("matchExpressions"))
        .and_then(serde_yaml::Value::as_sequence_mut)
        .context("no spec.selector.matchExpressions")?;
    exprs.push(serde_yaml::to_value(expression)?);
    Ok(serde_yaml::to_string(&doc)?)
}

pub(super) fn apply(manifest: &str) -> Result<()> {
    use std::io::Write;
    let mut child = kubectl()
        .args(["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().context("kubectl stdin")?.write_all(manifest.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("kubectl apply failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Three kwok nodes in three zones. Their InternalIPs come from TEST-NET-3 (RFC 5737): they are
/// never dialled, only reported. Capacity is kwok's own default (1k CPU), so that the benchmark
/// namespaces never starve the tests' pods.
pub(super) fn nodes_manifest() -> String {
    let mut out = String::new();
    for (i, zone) in ["a", "b", "c"].iter().enumerate() {
        out.push_str(&format!(
            "---
apiVersion: v1
kind: Node
metadata:
  name: kit-node-{zone}
  annotations:
    node.alpha.kubernetes.io/ttl: \"0\"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kit-node-{zone}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok.standard-{size}
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: zone-{zone}
    type: kwok
status:
  addresses:
  - type: InternalIP
    address: 203.0.113.{ip}
  - type: Hostname
    address: kit-node-{zone}
  - type: InternalDNS
    address: localhost
  allocatable: {{cpu: 1k, memory: 4Ti, pods: \"20000\"}}
  capacity: {{cpu: 1k, memory: 4Ti, pods: \"20000\"}}
",
            size = ["2", "4", "8"][i],
            ip = 11 + i,
        ));
    }
    out
}

/// KEP-1755: where the cluster's local registry is.
pub(super) fn registry_configmap(port: u16) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: \"127.0.0.1:{port}\"
    hostFromContainerRuntime: \"localhost:{port}\"
    help: \"https://github.com/kubernetes/enhancements/tree/master/keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry\"
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwok_stages_leave_the_failure_states_alone() {
        let stage = "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-ready}\nspec:\n  resourceRef: {kind: Pod}\n  selector:\n    matchExpressions:\n    - {key: .status.phase, operator: In, values: [Pending]}\n  next: {statusTemplate: 'phase: Running'}\n";
        let out: serde_yaml::Value =
            serde_yaml::from_str(&exclude_from_stage(stage, "fail-absent").expect("patched")).expect("yaml");
        let exprs = out["spec"]["selector"]["matchExpressions"].as_sequence().expect("list");
        assert_eq!(exprs.len(), 2);
        assert_eq!(exprs[1]["key"], ".metadata.annotations[\"kit.example.com/fail\"]");
        assert_eq!(exprs[1]["operator"], "DoesNotExist");
        assert_eq!(out["spec"]["next"]["statusTemplate"], "phase: Running", "the rest is kept");
        let out = exclude_from_stage(stage, "sigterm-honoured").expect("patched");
        assert!(out.contains("kit.example.com/sigterm") && out.contains("NotIn"), "{out}");
        assert!(exclude_from_stage("kind: Pod", "fail-absent").is_err());
    }

    #[test]
    fn the_projects_stages_are_stages() {
        let dir = paths::fixtures().join("cluster").join("stages");
        let mut names = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("stages directory") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            for doc in text.split("\n---\n") {
                let v: serde_yaml::Value = serde_yaml::from_str(doc).expect("yaml");
                assert_eq!(v["kind"], "Stage", "{}", path.display());
                let name = v["metadata"]["name"].as_str().expect("name").to_string();
                assert!(name.starts_with("kit-"), "{name}");
                assert!(names.insert(name.clone()), "{name} twice");
                let exprs = v["spec"]["selector"]["matchExpressions"].as_sequence().expect("selector");
                assert!(
                    exprs.iter().any(|e| e["key"].as_str().is_some_and(|k| k.contains("kit.example.com/"))),
                    "{name} must select by a kit.example.com annotation"
                );
            }
        }
        assert!(names.len() >= 15, "{names:?}");
    }

    #[test]
    fn nodes_have_zones_and_addresses() {
        let m = nodes_manifest();
        assert_eq!(m.matches("kind: Node").count(), 3);
        for z in ["zone-a", "zone-b", "zone-c"] {
            assert!(m.contains(z));
        }
    }
}
