//! `kubectl detach pod -l` over 100 pods against `kubectl label pods -l --overwrite`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::{Env, argv, median, record, time_once, write};
use crate::{paths, util};

/// `kubectl detach pod -l` over 100 pods of a ReplicaSet against `kubectl label pods -l
/// --overwrite`, each run on a fresh set of 100 Ready pods (the detached or relabelled ones are
/// deleted and the ReplicaSet's replacements awaited between runs, untimed).
pub(super) fn bench_detach(env: &Env, report: &mut String) -> Result<usize> {
    const PODS: usize = 100;
    let ns = "bench-detach";
    let kubectl = |args: &[&str]| env.kubectl(args);
    let _ = kubectl(&["create", "namespace", ns]).status();
    let manifest = format!(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: bench}}\nspec:\n  replicas: {PODS}\n  selector: {{matchLabels: {{app: bench}}}}\n  template:\n    metadata: {{labels: {{app: bench}}}}\n    spec: {{containers: [{{name: app, image: registry.local/bench:1}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: bench}}\nspec:\n  selector: {{app: bench}}\n  ports: [{{port: 80}}]\n"
    );
    let path = paths::root().join("target").join("bench").join("detach.yaml");
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    write(&path, &manifest)?;
    util::run(kubectl(&["apply", "-n", ns, "-f"]).arg(&path))?;
    let fresh = || -> Result<()> {
        let _ = kubectl(&["delete", "pods", "-n", ns, "-l", "!app", "--wait=false"]).status();
        let _ = kubectl(&["delete", "pods", "-n", ns, "-l", "app=bench-debug", "--wait=false"]).status();
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let out =
                kubectl(&["get", "rs", "bench", "-n", ns, "-o", "jsonpath={.status.readyReplicas}/{.status.replicas}"])
                    .stdout(Stdio::piped())
                    .output()?;
            if String::from_utf8_lossy(&out.stdout) == format!("{PODS}/{PODS}") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("ReplicaSet bench never got {PODS} Ready pods back");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    let ours = argv(&format!("kubectl-detach -n {ns} pod -l app=bench --all-replicas"));
    let peer = argv(&format!("kubectl -n {ns} label pods -l app=bench --overwrite app=bench-debug"));
    let (mut o, mut p) = (vec![], vec![]);
    for round in 0..6 {
        fresh()?;
        let t = time_once(env, &ours)?;
        fresh()?;
        let u = time_once(env, &peer)?;
        // The first round warms caches on both sides.
        if round > 0 {
            o.push(t);
            p.push(u);
        }
    }
    fresh()?;
    let name = format!("detach pod -l over {PODS} pods vs kubectl label pods -l --overwrite");
    Ok(record(report, &name, median(o), median(p), 0.5))
}
