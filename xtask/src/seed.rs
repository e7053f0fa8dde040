//! Realistic objects for the benchmarks: pods of about 6 KB each (two containers with env,
//! probes, mounts and resources; labels; a last-applied annotation), created in parallel
//! batches with the cluster's kubectl, bound straight to the kwok nodes so the scheduler is not
//! the bottleneck. Idempotent: a namespace that already holds the pods is left alone.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Result, bail};

use crate::{paths, util};

fn kubectl(kubeconfig: &Path) -> Command {
    let mut c = Command::new(paths::kubectl());
    c.arg("--kubeconfig").arg(kubeconfig);
    c
}

fn pod(ns: &str, i: usize) -> String {
    let node = ["kit-node-a", "kit-node-b", "kit-node-c"][i % 3];
    let env: String = (0..20)
        .map(|e| format!("{{\"name\":\"SETTING_{e}\",\"value\":\"value-{e}-for-pod-{i}-with-some-padding\"}},"))
        .collect::<String>()
        .trim_end_matches(',')
        .to_string();
    let container = |name: &str, image: &str, port: u32| {
        format!(
            "{{\"name\":\"{name}\",\"image\":\"{image}\",\"ports\":[{{\"name\":\"http\",\"containerPort\":{port}}}],\
\"env\":[{env}],\"resources\":{{\"requests\":{{\"cpu\":\"50m\",\"memory\":\"64Mi\"}},\"limits\":{{\"cpu\":\"500m\",\"memory\":\"256Mi\"}}}},\
\"readinessProbe\":{{\"httpGet\":{{\"path\":\"/healthz\",\"port\":{port}}},\"periodSeconds\":10}},\
\"livenessProbe\":{{\"httpGet\":{{\"path\":\"/livez\",\"port\":{port}}},\"periodSeconds\":20}},\
\"volumeMounts\":[{{\"name\":\"config\",\"mountPath\":\"/etc/app\"}},{{\"name\":\"cache\",\"mountPath\":\"/var/cache/app\"}}]}}"
        )
    };
    let applied = "x".repeat(1500);
    format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"bench-{i:06}\",\"namespace\":\"{ns}\",\
\"labels\":{{\"app\":\"bench\",\"tier\":\"web\",\"shard\":\"s{s}\",\"app.kubernetes.io/name\":\"bench\",\"app.kubernetes.io/version\":\"1.2.3\"}},\
\"annotations\":{{\"example.com/notes\":\"{applied}\"}}}},\
\"spec\":{{\"nodeName\":\"{node}\",\"containers\":[{c1},{c2}],\
\"volumes\":[{{\"name\":\"config\",\"configMap\":{{\"name\":\"bench-config\"}}}},{{\"name\":\"cache\",\"emptyDir\":{{}}}}]}}}}",
        s = i % 16,
        c1 = container("app", "registry.example.com/shop/app:1.2.3", 8080),
        c2 = container("sidecar", "registry.example.com/shop/proxy:2.0.1", 9090),
    )
}

/// How many pods match, from a one-item page (`limit=1` plus `remainingItemCount`): listing
/// tens of thousands of pods just to count them would cost gigabytes in kubectl and the API server.
fn count_pods(at: &Path, ns: &str, field_selector: Option<&str>) -> Option<usize> {
    let mut path = format!("/api/v1/namespaces/{ns}/pods?limit=1");
    if let Some(f) = field_selector {
        path.push_str("&fieldSelector=");
        path.push_str(&f.replace('!', "%21").replace('=', "%3D"));
    }
    let out = util::run(kubectl(at).args(["get", "--raw", &path])).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let items = v["items"].as_array().map_or(0, Vec::len);
    let rest = v["metadata"]["remainingItemCount"].as_u64().unwrap_or(0) as usize;
    Some(items + rest)
}

/// Makes sure namespace `ns` holds `count` bench pods.
pub fn pods(ns: &str, count: usize) -> Result<()> {
    pods_in(&paths::kubeconfig(), ns, count)
}

/// [`pods`] in the cluster of another kubeconfig (a member of the fleet).
pub fn pods_in(at: &Path, ns: &str, count: usize) -> Result<()> {
    let have = count_pods(at, ns, None).unwrap_or(0);
    if have >= count {
        return Ok(());
    }
    util::step(&format!("creating {} bench pods in namespace {ns} (once; they stay for later runs)", count - have));
    let _ = kubectl(at).args(["create", "namespace", ns]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    let dir = paths::root().join("target").join("bench").join("seed");
    std::fs::create_dir_all(&dir)?;
    let batch = 500;
    let mut children = vec![];
    for (b, start) in (have..count).step_by(batch).enumerate() {
        let end = (start + batch).min(count);
        let items: Vec<String> = (start..end).map(|i| pod(ns, i)).collect();
        let file = dir.join(format!("{ns}-{b}.json"));
        std::fs::write(&file, format!("{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{}]}}", items.join(",")))?;
        children
            .push(kubectl(at).arg("create").arg("-f").arg(&file).stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?);
        // Eight kubectl processes at a time.
        if children.len() >= 8 {
            wait_all(&mut children)?;
        }
    }
    wait_all(&mut children)?;
    // kwok fills in status (Running, pod IP) a little after creation: measure settled objects.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let pending = util::run(kubectl(at).args([
            "get",
            "pods",
            "-n",
            ns,
            "--field-selector=status.phase!=Running",
            "-o",
            "name",
            "--chunk-size=5000",
        ]))
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(usize::MAX);
        if pending == 0 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("{pending} bench pods in {ns} are still not Running after 10 minutes");
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
}

fn wait_all(children: &mut Vec<std::process::Child>) -> Result<()> {
    for c in children.drain(..) {
        let out = c.wait_with_output()?;
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && !err.contains("AlreadyExists") {
            bail!("seeding pods failed: {}", err.lines().next().unwrap_or_default());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pods_are_realistic_json_of_about_6_kb() {
        let p = super::pod("ns", 7);
        let v: serde_json::Value = serde_json::from_str(&p).expect("valid JSON");
        assert_eq!(v["metadata"]["name"], "bench-000007");
        assert!((5000..8000).contains(&p.len()), "{} bytes", p.len());
    }
}
