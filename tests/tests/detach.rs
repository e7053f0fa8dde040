//! `kubectl detach` on the real cluster: the ReplicaSet really replaces the pod, the
//! EndpointSlices really drop it, reattach really brings the owner back to its count, and the
//! guards, the conflict retry and RBAC behave as promised.

use std::process::Output;
use std::time::Duration;

use kubectl_kit_tests::{
    Cluster, Counts, WAIT, converge, converge_ok, got, lines, require_cluster, stderr, stdout, until,
};
use serde_json::Value;

fn deployment(name: &str, replicas: u32, labels: &str) -> String {
    let pairs: Vec<(&str, &str)> = labels.split(',').filter_map(|p| p.split_once('=')).collect();
    let sel: String = pairs.iter().map(|(k, v)| format!("      {k}: {v}\n")).collect();
    let tpl: String = pairs.iter().map(|(k, v)| format!("        {k}: {v}\n")).collect();
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
{sel}  template:
    metadata:
      labels:
{tpl}    spec:
      containers:
      - name: app
        image: registry.local/{name}:1
        ports:
        - containerPort: 80
          name: http
"
    )
}

fn service(name: &str, selector: &str) -> String {
    let sel: String =
        selector.split(',').filter_map(|p| p.split_once('=')).map(|(k, v)| format!("    {k}: {v}\n")).collect();
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
{sel}  ports:
  - port: 80
    targetPort: http
"
    )
}

fn detach(c: &Cluster, ns: &str, args: &[&str]) -> Output {
    let cache = tempfile::tempdir().expect("tempdir");
    c.plugin("detach", cache.path()).args(["-n", ns]).args(args).output().expect("kubectl-detach runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn pods(c: &Cluster, ns: &str, selector: &str) -> Vec<Value> {
    let text = c.kubectl_ok(&["-n", ns, "get", "pods", "-l", selector, "-o", "json"]);
    let v: Value = serde_json::from_str(&text).expect("pod list");
    v["items"].as_array().cloned().unwrap_or_default()
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

fn controller(p: &Value) -> Option<String> {
    p["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["controller"] == true))
        .and_then(|o| o["name"].as_str().map(str::to_string))
}

fn slice_ips(c: &Cluster, ns: &str, svc: &str) -> Vec<String> {
    let text = c.kubectl_ok(&[
        "-n",
        ns,
        "get",
        "endpointslices",
        "-l",
        &format!("kubernetes.io/service-name={svc}"),
        "-o",
        "jsonpath={.items[*].endpoints[*].addresses[*]}",
    ]);
    text.split_whitespace().map(str::to_string).collect()
}

/// Applies a Deployment (and Services) and waits until every replica is Ready and a ready
/// endpoint of each Service.
fn app(c: &Cluster, ns: &str, name: &str, replicas: u32, labels: &str, services: &[(&str, &str)]) {
    let mut m = deployment(name, replicas, labels);
    for (s, sel) in services {
        m.push_str("---\n");
        m.push_str(&service(s, sel));
    }
    c.apply(ns, &m);
    c.wait_replicas(ns, &format!("deployment/{name}"), i64::from(replicas));
    for (s, _) in services {
        c.wait_endpoints(ns, s, Counts::listing(replicas as usize, replicas as usize));
    }
}

fn pod_named(c: &Cluster, ns: &str, name: &str) -> Value {
    serde_json::from_str(&c.kubectl_ok(&["-n", ns, "get", "pod", name, "-o", "json"])).expect("pod")
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn detach_one_of_three_then_reattach() {
    let c = require_cluster!("detach and reattach");
    let ns = c.namespace("detach-three");
    let n = &ns.name;
    app(&c, n, "web", 3, "app=web", &[("web", "app=web")]);
    let before = pods(&c, n, "app=web");
    let victim = before[0]["metadata"]["name"].as_str().expect("name").to_string();
    let ip = before[0]["status"]["podIP"].as_str().expect("ip").to_string();
    let rs = controller(&before[0]).expect("owned by a ReplicaSet");

    let out = detach(&c, n, &["pod", &victim, "--wait", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let p = &report["pods"][0];
    assert_eq!(p["name"], victim.as_str());
    assert_eq!(p["removedLabels"]["app"], "web");
    assert_eq!(p["owner"], format!("ReplicaSet/{rs}"));
    let replacement = p["replacements"][0].as_str().expect("a replacement is named").to_string();
    assert_ne!(replacement, victim);

    // The ReplicaSet let go and made up the count; the Service dropped the IP; the pod lives.
    let detached = pod_named(&c, n, &victim);
    assert_eq!(controller(&detached), None, "the detached pod still has a controller");
    assert_eq!(detached["status"]["phase"], "Running");
    assert_eq!(detached["metadata"]["labels"]["kubectl-kit/detached"], "true");
    let owned: Vec<Value> =
        pods(&c, n, "app=web").into_iter().filter(|p| controller(p).as_deref() == Some(&rs)).collect();
    assert_eq!(owned.len(), 3, "the ReplicaSet owns 3 pods again");
    assert!(owned.iter().all(ready), "all 3 owned pods are Ready");
    assert!(owned.iter().any(|p| p["metadata"]["name"] == replacement.as_str()));
    assert!(!slice_ips(&c, n, "web").contains(&ip), "the EndpointSlice still lists {ip}");

    let listed = detach(&c, n, &["list", "-o", "json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let items = json(&listed)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["detachedFrom"], format!("ReplicaSet/{rs} Service/web"));

    // Reattach: labels back, the owner adopts it and scales the surplus away, keeping it.
    let out = detach(&c, n, &["reattach", "pod", &victim]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("pod/{victim} reattached (restored app=web)")), "{}", stdout(&out));
    // (name, owned by the ReplicaSet, being deleted) of each pod.
    let census = || -> Vec<(String, bool, bool)> {
        pods(&c, n, "app=web")
            .iter()
            .map(|p| {
                let name = p["metadata"]["name"].as_str().unwrap_or_default().to_string();
                (name, controller(p).as_deref() == Some(rs.as_str()), !p["metadata"]["deletionTimestamp"].is_null())
            })
            .collect()
    };
    converge("the ReplicaSet back to 3 pods, the reattached pod one of them", WAIT, census, |pods| {
        pods.iter().filter(|(_, owned, _)| *owned).count() == 3
            && pods.iter().any(|(name, owned, _)| *owned && name == &victim)
            && pods.iter().all(|(_, _, deleted)| !deleted)
    });
    let back = pod_named(&c, n, &victim);
    assert_eq!(back["metadata"]["labels"]["app"], "web");
    assert!(back["metadata"]["labels"]["kubectl-kit/detached"].is_null());
    assert!(back["metadata"]["annotations"]["kubectl-kit/original-labels"].is_null());
    assert_eq!(back["metadata"]["annotations"]["controller.kubernetes.io/pod-deletion-cost"], "1000");
    converge("the reattached pod's IP back in Service web", WAIT, || slice_ips(&c, n, "web"), |ips| ips.contains(&ip));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn from_owner_keeps_serving_and_from_services_keeps_the_owner() {
    let c = require_cluster!("detach --from");
    let ns = c.namespace("detach-from");
    let n = &ns.name;
    app(&c, n, "api", 2, "app=api", &[("api", "app=api")]);
    let all = pods(&c, n, "app=api");
    let (a, b) = (all[0]["metadata"]["name"].as_str().expect("a"), all[1]["metadata"]["name"].as_str().expect("b"));
    let ip_a = all[0]["status"]["podIP"].as_str().expect("ip").to_string();

    let out = detach(&c, n, &["pod", a, "--from=owner", "--wait", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["pods"][0]["removedLabels"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["pod-template-hash".to_string()])
    );
    assert_eq!(controller(&pod_named(&c, n, a)), None);
    assert!(slice_ips(&c, n, "api").contains(&ip_a), "--from=owner must keep the pod serving");

    let ip_b = all[1]["status"]["podIP"].as_str().expect("ip").to_string();
    // app is all the Service selects on, and the ReplicaSet selects on it too: impossible.
    let out = detach(&c, n, &["pod", b, "--from=services"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("Service/api selects the pod only through the label (app)"), "{}", stderr(&out));
    assert!(slice_ips(&c, n, "api").contains(&ip_b), "a refused detach changed something");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn two_services_with_overlapping_selectors_both_drop_the_pod() {
    let c = require_cluster!("detach two services");
    let ns = c.namespace("detach-two-svc");
    let n = &ns.name;
    app(
        &c,
        n,
        "shop",
        2,
        "app=shop,tier=front",
        &[("shop", "app=shop"), ("front", "tier=front"), ("shop-front", "app=shop,tier=front")],
    );
    let p = &pods(&c, n, "app=shop")[0];
    let name = p["metadata"]["name"].as_str().expect("name");
    let ip = p["status"]["podIP"].as_str().expect("ip").to_string();
    let out = detach(&c, n, &["pod", name, "--wait", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let impact = json(&out)["pods"][0]["impact"].as_array().cloned().unwrap_or_default();
    for svc in ["shop", "front", "shop-front"] {
        assert!(
            impact.iter().any(|r| r["kind"] == "Service" && r["name"] == svc && r["after"] == false),
            "{svc} missing from the impact: {impact:?}"
        );
        assert!(!slice_ips(&c, n, svc).contains(&ip), "Service {svc} still sends traffic to {ip}");
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn statefulset_daemonset_and_job_pods_are_refused_without_force() {
    let c = require_cluster!("detach guards");
    let ns = c.namespace("detach-guards");
    let n = &ns.name;
    c.apply(
        n,
        "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: registry.local/db:1}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.local/agent:1}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    metadata: {labels: {app: once}}
    spec:
      restartPolicy: Never
      containers: [{name: once, image: registry.local/once:1}]
",
    );
    for (app, kind, why) in
        [("db", "StatefulSet", "same name"), ("agent", "DaemonSet", "same node"), ("once", "Job", "completions")]
    {
        let found = c.wait_pods(n, &format!("app={app}"), 1, &format!("a pod of {kind}"), |_| true);
        let name = found[0].name.as_str();
        let out = detach(&c, n, &["pod", name]);
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("refusing to detach pod {name} from {kind}/")), "{}", stderr(&out));
        assert!(stderr(&out).contains(why), "{kind}: {}", stderr(&out));
        assert!(
            pod_named(&c, n, name)["metadata"]["labels"]["kubectl-kit/detached"].is_null(),
            "{kind} pod was changed"
        );
        let out = detach(&c, n, &["pod", name, "--force", "--all-replicas", "--dry-run=server"]);
        assert!(out.status.success(), "{kind} with --force: {}", stderr(&out));
        assert!(stdout(&out).contains(&format!("pod/{name} detached (server dry run)")), "{}", stdout(&out));
        assert!(
            pod_named(&c, n, name)["metadata"]["labels"]["kubectl-kit/detached"].is_null(),
            "server dry run persisted"
        );
    }
    let out = detach(&c, n, &["pod", "-l", "app=nothing-here"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no pods in namespace"), "{}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_ready_replica_needs_all_replicas() {
    let c = require_cluster!("detach all replicas");
    let ns = c.namespace("detach-all");
    let n = &ns.name;
    app(&c, n, "solo", 2, "app=solo", &[("solo", "app=solo")]);
    let out = detach(&c, n, &["pod", "-l", "app=solo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refusing to detach every ready replica"), "{}", stderr(&out));
    assert!(pods(&c, n, "kubectl-kit/detached").is_empty(), "a refused detach changed a pod");
    let out = detach(&c, n, &["pod", "-l", "app=solo", "--all-replicas"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(pods(&c, n, "kubectl-kit/detached").len(), 2);

    // cleanup: nothing is old enough for an hour, everything is for zero seconds.
    let out = detach(&c, n, &["cleanup", "--older-than", "1h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(pods(&c, n, "kubectl-kit/detached").len(), 2);
    let out = detach(&c, n, &["cleanup", "--older-than", "0s", "--dry-run=server"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("deleted (server dry run)").count(), 2, "{}", stdout(&out));
    assert_eq!(pods(&c, n, "kubectl-kit/detached").len(), 2);
    let out = detach(&c, n, &["cleanup", "--older-than", "0s"]);
    assert!(out.status.success(), "{}", stderr(&out));
    converge_ok("the detached pods deleted", WAIT, || c.pods(n, "kubectl-kit/detached"), Vec::is_empty);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_concurrent_label_change_is_not_lost() {
    let c = require_cluster!("detach conflict");
    let ns = c.namespace("detach-race");
    let n = &ns.name;
    app(&c, n, "race", 2, "app=race", &[("race", "app=race")]);
    let name = pods(&c, n, "app=race")[0]["metadata"]["name"].as_str().expect("name").to_string();
    let cache = tempfile::tempdir().expect("tempdir");
    // The plugin reads the pod, then waits before writing; meanwhile (once its -v=6 line says
    // the pod was read) another writer changes it.
    let mut child = c
        .plugin("detach", cache.path())
        .args(["-n", n, "pod", &name, "-o", "json", "-v=6"])
        .env("KUBECTL_DETACH_TEST_PAUSE_MS", "3000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let err_lines = lines(child.stderr.take().expect("stderr"));
    let mut seen = vec![];
    let read =
        until(&err_lines, &mut seen, Duration::from_secs(30), |l| got(l, &format!("/namespaces/{n}/pods/{name}")));
    assert!(read, "detach never read the pod: {seen:?}");
    c.kubectl_ok(&["-n", n, "label", "pod", &name, "owner-note=kept"]);
    let out = child.wait_with_output().expect("finishes");
    let err: String = seen.into_iter().chain(err_lines.iter()).map(|l| l + "\n").collect();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("changed while being detached"), "no retry happened: {err}");
    assert!(err.contains("verb=\"PATCH\""), "the write was never sent: {err}");
    let p = pod_named(&c, n, &name);
    assert_eq!(p["metadata"]["labels"]["owner-note"], "kept", "the concurrent change was lost");
    assert_eq!(p["metadata"]["labels"]["kubectl-kit/detached"], "true");
    let original: Value =
        serde_json::from_str(p["metadata"]["annotations"]["kubectl-kit/original-labels"].as_str().expect("annotation"))
            .expect("json");
    assert_eq!(original["owner-note"], "kept", "the recorded labels predate the concurrent change");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_user_who_may_read_but_not_patch_gets_forbidden_and_nothing_changes() {
    let c = require_cluster!("detach rbac");
    let ns = c.namespace("detach-rbac");
    let n = &ns.name;
    app(&c, n, "ro", 3, "app=ro", &[("ro", "app=ro")]);
    c.grant_kit_user(
        n,
        "read",
        "- apiGroups: ['', apps, discovery.k8s.io, policy, networking.k8s.io, autoscaling]
  resources: [pods, services, endpointslices, replicasets, poddisruptionbudgets, networkpolicies, horizontalpodautoscalers]
  verbs: [get, list, watch]",
    );
    let before = c.kubectl_ok(&[
        "-n",
        n,
        "get",
        "pods",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.metadata.labels}{\"\\n\"}{end}",
    ]);
    let name = pods(&c, n, "app=ro")[0]["metadata"]["name"].as_str().expect("name").to_string();
    c.wait_kubectl_ok("kit-user's Role in force", &["--context", "kubectl-kit-user", "-n", n, "get", "pods"]);
    for args in [vec!["pod", name.as_str()], vec!["pod", "-l", "app=ro", "--all-replicas"]] {
        let mut full = vec!["--context", "kubectl-kit-user"];
        full.extend(args.iter().copied());
        let out = detach(&c, n, &full);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let want = "Error from server (Forbidden): pods \"";
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(
                "is forbidden: User \"kit-user\" cannot patch resource \"pods\" in API group \"\" in the namespace"
            ),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let after = c.kubectl_ok(&[
        "-n",
        n,
        "get",
        "pods",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.metadata.labels}{\"\\n\"}{end}",
    ]);
    assert_eq!(before, after, "a forbidden detach changed pods");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn detaching_one_pod_takes_ten_requests() {
    let c = require_cluster!("detach requests");
    let ns = c.namespace("detach-req");
    let n = &ns.name;
    app(&c, n, "count", 2, "app=count", &[("count", "app=count")]);
    let name = pods(&c, n, "app=count")[0]["metadata"]["name"].as_str().expect("name").to_string();
    let out = detach(&c, n, &["pod", &name, "-v=6"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = stderr(&out).lines().filter(|l| l.contains("\"Response\" verb=")).count();
    assert_eq!(requests, 10, "{}", stderr(&out));
    assert!(stderr(&out).contains("verb=\"PATCH\""), "{}", stderr(&out));
}
