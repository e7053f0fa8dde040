//! The failures real clusters have, on the real cluster: each state is driven by the kwok
//! stages of `tests/fixtures/cluster/stages` (or by the real scheduler and controller manager)
//! from an ordinary annotated Deployment, never by patching status from a test. For each,
//! `kubectl trace-svc` exits 1 (or 0 where traffic still flows) and names the root cause, its
//! evidence and the next command, in text and in `-o json`; the text is a snapshot
//! (`tests/tests/snapshots/`, with names, IPs, UIDs and times filtered) so that a reader sees
//! what users see; and Graphviz renders the `-o dot` picture.

use std::sync::RwLock;
use std::time::Duration;

use kubectl_kit_tests::{Cluster, require_cluster, stderr, stdout};
use serde_json::Value;

/// Tests that add a node take this for writing; tests that snapshot the scheduler's message
/// (which counts the nodes) take it for reading.
static NODES: RwLock<()> = RwLock::new(());

fn nodes_read() -> std::sync::RwLockReadGuard<'static, ()> {
    NODES.read().unwrap_or_else(|p| p.into_inner())
}

fn nodes_write() -> std::sync::RwLockWriteGuard<'static, ()> {
    NODES.write().unwrap_or_else(|p| p.into_inner())
}

/// A Deployment and its Service (port 80 → the container port named http).
struct App<'a> {
    name: &'a str,
    replicas: u32,
    /// Pod template annotations: the failure and its parameters.
    annotations: &'a [(&'a str, &'a str)],
    image: &'a str,
    /// More of the container (indented as its fields).
    container: &'a str,
    /// More of the pod spec (indented as its fields).
    pod: &'a str,
    /// The node the pods go to; `None` lets the scheduler choose (or refuse).
    node: Option<&'a str>,
}

impl Default for App<'_> {
    fn default() -> Self {
        App {
            name: "app",
            replicas: 1,
            annotations: &[],
            image: "numbers-api:v1",
            container: "",
            pod: "",
            node: Some("kit-node-a"),
        }
    }
}

fn deploy(c: &Cluster, ns: &str, app: &App) {
    let annotations: String =
        app.annotations.iter().map(|(k, v)| format!("        {k}: {}\n", serde_json::Value::from(*v))).collect();
    let node = app.node.map(|n| format!("      nodeSelector: {{kubernetes.io/hostname: {n}}}\n")).unwrap_or_default();
    let manifest = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}}}
      annotations:
{annotations}    spec:
{node}{pod}      containers:
      - name: app
        image: {image:?}
        ports: [{{name: http, containerPort: 80}}]
{container}---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: http}}]
",
        name = app.name,
        replicas = app.replicas,
        image = app.image,
        pod = app.pod,
        container = app.container,
    );
    c.apply(ns, &manifest);
}

/// The app's pods, as `kubectl get pods -o json` lists them.
fn pods(c: &Cluster, ns: &str, app: &str) -> Vec<Value> {
    let out = c.kubectl_ok(&["-n", ns, "get", "pods", "-l", &format!("app={app}"), "-o", "json"]);
    serde_json::from_str::<Value>(&out).expect("pod list")["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until `count` of the app's pods satisfy `check` (each pod as JSON).
fn wait_pods(c: &Cluster, ns: &str, app: &str, count: usize, what: &str, check: impl Fn(&Value) -> bool) {
    c.wait_for(&format!("{count} pod(s) of {app}: {what}"), Duration::from_secs(120), || {
        pods(c, ns, app).iter().filter(|p| check(p)).count() >= count
    });
}

fn container<'a>(pod: &'a Value, field: &str) -> &'a Value {
    &pod["status"][field][0]
}

fn waiting(pod: &Value) -> &str {
    container(pod, "containerStatuses")["state"]["waiting"]["reason"].as_str().unwrap_or_default()
}

/// `trace-svc -n NS SVC [ARGS]`: exit code, stdout, stderr. No Docker config of the machine's
/// is read (the registry is asked anonymously, as the nodes do).
fn trace(c: &Cluster, ns: &str, svc: &str, args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("trace_svc", cache.path())
        .env("DOCKER_CONFIG", cache.path())
        .args(["-n", ns, svc])
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

fn trace_json(c: &Cluster, ns: &str, svc: &str) -> (i32, Value) {
    let (code, out, err) = trace(c, ns, svc, &["-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v)
}

/// A crash loop is a cycle: between back-offs a container runs (and its pod may be Ready) for
/// a moment. Traces (`-o json`, then the text) until both show `when` of the JSON and `needle`
/// in the text, as a user who runs it again would; at most 60 s.
fn trace_during(c: &Cluster, ns: &str, svc: &str, needle: &str, when: impl Fn(&Value) -> bool) -> (i32, Value, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (code, v) = trace_json(c, ns, svc);
        let (text_code, out, _) = trace(c, ns, svc, &[]);
        if when(&v) && out.contains(needle) && code == text_code {
            return (code, v, out);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no trace of {svc} showed {needle:?} in 60 s; the last:\n{v}\n{out}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn hop<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == name)).unwrap_or(&Value::Null)
}

/// The first (largest) cause of the pods hop.
fn cause(v: &Value) -> &Value {
    &hop(v, "pods")["causes"][0]
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn evidence(c: &Value) -> String {
    c["evidence"].as_array().map(|e| e.iter().map(text).collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// The text of the trace, for a snapshot: names, addresses, ids, times and counts that change
/// from run to run filtered out.
fn snapshot(name: &str, ns: &str, text: &str) {
    snapshot_with(name, ns, text, |_| {});
}

/// A table's snapshot: as [`snapshot`], with the ReplicaSet and EndpointSlice names filtered
/// and the columns' padding (which follows the names' lengths) made one width.
fn table_snapshot(name: &str, ns: &str, text: &str) {
    snapshot_with(name, ns, text, |s| {
        s.add_filter(r"ReplicaSet/([a-z0-9-]+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}\b", "ReplicaSet/$1-[hash]");
        s.add_filter(r"EndpointSlice/([a-z0-9-]+)-[a-z0-9]{5}\b", "EndpointSlice/$1-[id]");
        s.add_filter(r"pod-template-hash=[a-z0-9]+", "pod-template-hash=[hash]");
        s.add_filter(r"(\S) {2,}", "$1  ");
    });
}

fn snapshot_with(name: &str, ns: &str, text: &str, more: impl FnOnce(&mut insta::Settings)) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(&regex_escape(ns), "[ns]");
    settings.add_filter(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uid]");
    settings.add_filter(
        r"-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}([^a-z0-9]|$)",
        "-[hash]-[id]$1",
    );
    settings.add_filter(r"\b(kit-test-[a-z]+)-[0-9]+\b", "$1-[n]");
    settings.add_filter(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "[ip]");
    settings.add_filter(r"(\[ip\]|localhost):\d{4,5}\b", "$1:[port]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]");
    settings.add_filter(r"restarts: (up to )?\d+", "restarts: $1[n]");
    settings.add_filter(r"×\d+", "×[n]");
    more(&mut settings);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\{c}") }).collect()
}

/// Graphviz renders the trace's `-o dot` picture without a complaint, and `-o mermaid` draws
/// the same groups of pods.
fn pictures_render(c: &Cluster, ns: &str, svc: &str) {
    let (_, dot, err) = trace(c, ns, svc, &["-o", "dot"]);
    assert!(dot.starts_with("digraph trace {"), "{dot}\n{err}");
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("Graphviz's dot runs (apt-get install graphviz)");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), dot.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("dot finishes");
    assert!(out.status.success() && out.stderr.is_empty(), "dot failed: {}\n{dot}", stderr(&out));
    assert!(stdout(&out).contains("<svg"), "no SVG");
    let (_, mermaid, _) = trace(c, ns, svc, &["-o", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    for part in ["subgraph pods", "service -->", "classDef fail"] {
        assert!(mermaid.contains(part), "{part} in:\n{mermaid}");
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_crash_loop_names_the_exit_the_message_and_the_previous_logs() {
    let c = require_cluster!("failures crash loop");
    let ns = c.namespace("fail-crash");
    let n = &ns.name;
    let ann = [
        ("kit.example.com/fail", "crashloop"),
        ("kit.example.com/exit-code", "3"),
        ("kit.example.com/message", "FATAL: DATABASE_URL is not set"),
    ];
    deploy(&c, n, &App { name: "api", replicas: 3, annotations: &ann, ..Default::default() });
    // Restarted once and backing off again: restartCount has risen.
    wait_pods(&c, n, "api", 3, "CrashLoopBackOff after a restart", |p| {
        waiting(p) == "CrashLoopBackOff" && container(p, "containerStatuses")["restartCount"].as_i64() >= Some(1)
    });
    let p = &pods(&c, n, "api")[0];
    let last = &container(p, "containerStatuses")["lastState"]["terminated"];
    assert_eq!((last["exitCode"].as_i64(), text(&last["reason"])), (Some(3), "Error"), "{p}");

    let (code, v, out) = trace_during(&c, n, "api", "3 pods: CrashLoopBackOff", |v| cause(v)["pods"] == 3);
    assert_eq!(code, 1, "{v}");
    let k = cause(&v);
    assert_eq!(k["cause"], "CrashLoopBackOff");
    assert_eq!(k["pods"], 3);
    assert_eq!(
        (&k["container"], &k["exitCode"], &k["reason"]),
        (&Value::from("app"), &Value::from(3), &Value::from("Error"))
    );
    assert_eq!(k["message"], "FATAL: DATABASE_URL is not set");
    assert!(k["restarts"].as_i64() >= Some(1), "{k}");
    let pod = text(&k["examplePods"][0]);
    // `--previous` while the container backs off; its own logs in the moment it has just exited.
    assert!(text(&k["command"]).starts_with(&format!("kubectl logs {pod} -c app ")), "{k}");
    assert!(text(&k["command"]).ends_with(&format!(" -n {n}")), "{k}");
    assert_eq!(hop(&v, "endpoints")["status"], "fail");
    assert!(
        out.contains(
            "3 pods: CrashLoopBackOff, container app exited with 3 (Error): \"FATAL: DATABASE_URL is not set\""
        ),
        "{out}"
    );
    assert!(out.contains(&format!("next: kubectl logs {pod} -c app")), "{out}");
    let (_, _, out) = trace_during(&c, n, "api", "--previous", |v| {
        cause(v)["pods"] == 3 && evidence(cause(v)).contains("event BackOff")
    });
    snapshot("crash_loop", n, &out);
    pictures_render(&c, n, "api");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn an_oom_kill_shows_the_memory_limit_and_request() {
    let c = require_cluster!("failures oom");
    let ns = c.namespace("fail-oom");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "api",
            annotations: &[("kit.example.com/fail", "oomkilled")],
            container: "        resources: {limits: {memory: 128Mi}, requests: {memory: 64Mi}}\n",
            ..Default::default()
        },
    );
    wait_pods(&c, n, "api", 1, "OOMKilled and backing off", |p| {
        waiting(p) == "CrashLoopBackOff"
            && container(p, "containerStatuses")["lastState"]["terminated"]["reason"] == "OOMKilled"
    });
    let (code, v, out) = trace_during(&c, n, "api", "--previous", |v| {
        cause(v)["cause"] == "OOMKilled" && evidence(cause(v)).contains("event BackOff")
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), k["exitCode"].as_i64()), ("OOMKilled", Some(137)), "{k}");
    assert!(evidence(k).contains("memory limit 128Mi, request 64Mi"), "{k}");
    snapshot("oom_killed", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_container_that_exits_zero_is_completed_and_restarted() {
    let c = require_cluster!("failures completed");
    let ns = c.namespace("fail-done");
    let n = &ns.name;
    let ann = [("kit.example.com/fail", "crashloop"), ("kit.example.com/exit-code", "0")];
    deploy(&c, n, &App { name: "job-like", annotations: &ann, ..Default::default() });
    wait_pods(&c, n, "job-like", 1, "Completed and backing off", |p| {
        waiting(p) == "CrashLoopBackOff"
            && container(p, "containerStatuses")["lastState"]["terminated"]["reason"] == "Completed"
    });
    let (code, v, _) = trace_during(&c, n, "job-like", "CrashLoopBackOff", |v| !cause(v).is_null());
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(
        (text(&k["cause"]), text(&k["reason"]), k["exitCode"].as_i64()),
        ("CrashLoopBackOff", "Completed", Some(0))
    );
}

/// The registry of the cluster's KEP-1755 ConfigMap: (host pushed to, host the nodes pull from).
fn registry(c: &Cluster) -> (String, String) {
    c.registry_hosts()
}

/// Pushes a small image as `name` with the suite's own push-image, to the cluster's registry.
fn push(c: &Cluster, name: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = kubectl_kit_tests::images::image(&dir.path().join("layers"), &[64 << 10], 17, false, "amd64");
    let tarball = dir.path().join("image.tar");
    kubectl_kit_tests::images::write_docker_save(&tarball, &[(&img, &[name])]);
    let out = c
        .plugin("push_image", dir.path())
        .env("DOCKER_CONFIG", dir.path())
        .arg(&tarball)
        .arg(name)
        .output()
        .expect("kubectl-push_image runs");
    assert!(out.status.success(), "push failed: {}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn image_pulls_are_checked_against_the_clusters_registry() {
    let c = require_cluster!("failures image pull");
    let ns = c.namespace("fail-pull");
    let n = &ns.name;
    let (host, pull) = registry(&c);
    assert_ne!(host, pull, "the test cluster's ConfigMap names two hosts for one registry");
    let repo = format!("trace-{n}");
    push(&c, &format!("{repo}:v1"));
    let ann = [("kit.example.com/fail", "image-pull")];
    let cases = [
        ("missing", format!("{pull}/{repo}-missing:v1")),
        ("other-host", format!("{host}/{repo}:v1")),
        ("present", format!("{pull}/{repo}:v1")),
        ("no-tag", format!("{pull}/{repo}:v2")),
    ];
    for (name, image) in &cases {
        deploy(&c, n, &App { name, image, annotations: &ann, ..Default::default() });
    }
    for (name, _) in &cases {
        wait_pods(&c, n, name, 1, "a failed pull", |p| matches!(waiting(p), "ErrImagePull" | "ImagePullBackOff"));
    }

    let (code, v) = trace_json(&c, n, "missing");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "ImagePullBackOff");
    assert_eq!((text(&k["container"]), text(&k["image"])), ("app", cases[0].1.as_str()));
    assert!(text(&k["message"]).contains("not found"), "the pull error: {k}");
    assert_eq!(k["registry"]["presence"], "notPushed", "{k}");
    assert_eq!(k["command"], format!("kubectl push-image SOURCE {repo}-missing:v1"));
    let (_, out, _) = trace(&c, n, "missing", &[]);
    assert!(out.contains(&format!("has no repository {repo}-missing: the image was never pushed there")), "{out}");
    snapshot("image_not_pushed", n, &out);
    pictures_render(&c, n, "missing");

    let (_, v) = trace_json(&c, n, "other-host");
    let k = cause(&v);
    assert_eq!(k["registry"]["presence"], "otherHost", "{k}");
    assert_eq!(k["registry"]["pullReference"], format!("{pull}/{repo}:v1"));
    assert_eq!(k["command"], format!("kubectl set image deployment/other-host app={pull}/{repo}:v1 -n {n}"));
    let (_, out, _) = trace(&c, n, "other-host", &[]);
    assert!(out.contains(&format!("but the nodes pull it from {pull}")), "{out}");
    snapshot("image_under_another_host", n, &out);

    let (_, v) = trace_json(&c, n, "present");
    let k = cause(&v);
    assert_eq!(k["registry"]["presence"], "present", "{k}");
    assert!(evidence(k).contains(&format!("has {repo}:v1: the image exists")), "{k}");

    let (_, v) = trace_json(&c, n, "no-tag");
    let k = cause(&v);
    assert_eq!(k["registry"]["presence"], "tagMissing", "{k}");
    assert_eq!(k["registry"]["tags"][0], "v1");
    assert_eq!(k["command"], format!("kubectl push-image SOURCE {repo}:v2"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn an_invalid_image_name_is_said_so() {
    let c = require_cluster!("failures invalid image");
    let ns = c.namespace("fail-name");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "api",
            image: "Numbers_API:v1",
            annotations: &[("kit.example.com/fail", "invalid-image-name")],
            ..Default::default()
        },
    );
    wait_pods(&c, n, "api", 1, "InvalidImageName", |p| waiting(p) == "InvalidImageName");
    let (code, v) = trace_json(&c, n, "api");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "InvalidImageName");
    assert!(text(&k["message"]).starts_with("Failed to apply default image tag \"Numbers_API:v1\""), "{k}");
    assert_eq!(k["command"], format!("kubectl set image deployment/api app=REPOSITORY:TAG -n {n}"));
    let (_, out, _) = trace(&c, n, "api", &[]);
    snapshot("invalid_image_name", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn failing_probes_are_named_with_their_target_and_events() {
    let c = require_cluster!("failures probes");
    let ns = c.namespace("fail-probe");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "ready",
            replicas: 2,
            annotations: &[("kit.example.com/fail", "readiness")],
            container: "        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 2}\n",
            ..Default::default()
        },
    );
    deploy(
        &c,
        n,
        &App {
            name: "startup",
            annotations: &[("kit.example.com/fail", "startup")],
            container: "        startupProbe: {tcpSocket: {port: 80}, periodSeconds: 2, failureThreshold: 30}\n",
            ..Default::default()
        },
    );
    let unhealthy =
        |p: &Value| p["metadata"]["annotations"]["kit.example.com/unhealthy-count"].as_str().is_some_and(|n| n != "1");
    wait_pods(&c, n, "ready", 2, "two failed readiness probes", unhealthy);
    wait_pods(&c, n, "startup", 1, "two failed startup probes", unhealthy);

    let (code, v) = trace_json(&c, n, "ready");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), k["pods"].as_i64()), ("ReadinessProbeFailed", Some(2)));
    assert_eq!(k["message"], "Readiness probe failed: HTTP probe failed with statuscode: 503");
    assert!(evidence(k).contains("event Unhealthy ×"), "a count of failed probes: {k}");
    let (_, out, _) = trace(&c, n, "ready", &[]);
    assert!(
        out.contains("2 pods: ReadinessProbeFailed, container app: readiness probe httpGet http://:http/healthz fails"),
        "{out}"
    );
    snapshot("readiness_probe", n, &out);

    let (code, v) = trace_json(&c, n, "startup");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "StartupProbeFailed");
    assert!(text(&k["message"]).starts_with("Startup probe failed: dial tcp "), "{k}");
    let (_, out, _) = trace(&c, n, "startup", &[]);
    assert!(out.contains("startup probe tcpSocket :80 fails"), "{out}");
    snapshot("startup_probe", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_readiness_gate_nobody_sets() {
    let c = require_cluster!("failures readiness gate");
    let ns = c.namespace("fail-gate");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "api",
            annotations: &[("kit.example.com/fail", "readiness-gate")],
            pod: "      readinessGates: [{conditionType: example.com/load-balancer-attached}]\n",
            ..Default::default()
        },
    );
    wait_pods(&c, n, "api", 1, "ReadinessGatesNotReady", |p| {
        p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["reason"] == "ReadinessGatesNotReady")
    });
    let (code, v) = trace_json(&c, n, "api");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "ReadinessGatesNotReady");
    assert_eq!(
        k["message"],
        "corresponding condition of pod readiness gate \"example.com/load-balancer-attached\" does not exist."
    );
    let (_, out, _) = trace(&c, n, "api", &[]);
    snapshot("readiness_gate", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn init_containers_that_fail_or_never_finish() {
    let c = require_cluster!("failures init");
    let ns = c.namespace("fail-init");
    let n = &ns.name;
    let crash = [
        ("kit.example.com/fail", "init-crashloop"),
        ("kit.example.com/exit-code", "2"),
        ("kit.example.com/message", "migration failed: relation \"users\" does not exist"),
    ];
    deploy(
        &c,
        n,
        &App {
            name: "migrate",
            annotations: &crash,
            pod: "      initContainers: [{name: migrate, image: numbers-api:v1}]\n",
            ..Default::default()
        },
    );
    deploy(
        &c,
        n,
        &App {
            name: "wait",
            annotations: &[("kit.example.com/fail", "init-running")],
            pod: "      initContainers: [{name: wait-for-db, image: busybox, command: [sh, -c, 'until nc -z db 5432; do sleep 1; done']}]\n",
            ..Default::default()
        },
    );
    wait_pods(&c, n, "migrate", 1, "Init:CrashLoopBackOff", |p| {
        container(p, "initContainerStatuses")["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    });
    wait_pods(&c, n, "wait", 1, "an init container running", |p| {
        container(p, "initContainerStatuses")["state"]["running"].is_object()
    });

    let (code, v, out) = trace_during(&c, n, "migrate", "--previous", |v| cause(v)["cause"] == "Init:CrashLoopBackOff");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(
        (text(&k["cause"]), text(&k["container"]), k["exitCode"].as_i64()),
        ("Init:CrashLoopBackOff", "migrate", Some(2))
    );
    assert_eq!(k["message"], "migration failed: relation \"users\" does not exist");
    assert!(text(&k["command"]).ends_with(&format!("-c migrate --previous -n {n}")), "{k}");
    snapshot("init_crash_loop", n, &out);

    let (code, v) = trace_json(&c, n, "wait");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), text(&k["container"])), ("Init:Running", "wait-for-db"));
    assert!(text(&k["command"]).contains("-c wait-for-db -n "), "{k}");
    let (_, out, _) = trace(&c, n, "wait", &[]);
    snapshot("init_running", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_missing_config_map_key_is_named() {
    let c = require_cluster!("failures config");
    let ns = c.namespace("fail-config");
    let n = &ns.name;
    c.apply(n, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {log-level: debug}\n");
    deploy(
        &c,
        n,
        &App {
            name: "api",
            annotations: &[("kit.example.com/fail", "config")],
            container: "        env: [{name: DATABASE_URL, valueFrom: {configMapKeyRef: {name: app-config, key: database-url}}}]\n",
            ..Default::default()
        },
    );
    wait_pods(&c, n, "api", 1, "CreateContainerConfigError", |p| waiting(p) == "CreateContainerConfigError");
    let (code, v) = trace_json(&c, n, "api");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "CreateContainerConfigError");
    assert_eq!(k["message"], format!("couldn't find key database-url in ConfigMap {n}/app-config"));
    assert_eq!(k["command"], format!("kubectl edit configmap app-config -n {n}"));
    let (_, out, _) = trace(&c, n, "api", &[]);
    assert!(
        out.contains("container app needs key database-url of ConfigMap app-config, which does not have it"),
        "{out}"
    );
    snapshot("config_error", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn unschedulable_pods_carry_the_schedulers_message() {
    let c = require_cluster!("failures scheduling");
    let _nodes = nodes_read();
    let ns = c.namespace("fail-sched");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App { name: "big", node: None, container: "        resources: {requests: {cpu: 2k}}\n", ..Default::default() },
    );
    deploy(&c, n, &App { name: "ssd", node: None, pod: "      nodeSelector: {disktype: ssd}\n", ..Default::default() });
    c.apply(
        n,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: kit-none\n  resources: {requests: {storage: 1Gi}}\n",
    );
    deploy(
        &c,
        n,
        &App {
            name: "db",
            node: None,
            pod: "      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n",
            ..Default::default()
        },
    );
    for app in ["big", "ssd", "db"] {
        wait_pods(&c, n, app, 1, "Unschedulable", |p| {
            p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["reason"] == "Unschedulable")
        });
    }

    let (code, v) = trace_json(&c, n, "big");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "Unschedulable");
    assert!(text(&k["message"]).starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{k}");
    assert_eq!(evidence(k), "requests cpu 2k, more than any node can allocate");
    let (_, out, _) = trace(&c, n, "big", &[]);
    snapshot("unschedulable_cpu", n, &out);
    pictures_render(&c, n, "big");

    let (_, v) = trace_json(&c, n, "ssd");
    let k = cause(&v);
    assert!(text(&k["message"]).contains("didn't match Pod's node affinity/selector"), "{k}");
    assert_eq!(evidence(k), "nodeSelector disktype=ssd: no node has the label disktype");
    assert_eq!(k["command"], "kubectl get nodes -l disktype=ssd --show-labels");
    let (_, out, _) = trace(&c, n, "ssd", &[]);
    snapshot("unschedulable_selector", n, &out);

    let (_, v) = trace_json(&c, n, "db");
    let k = cause(&v);
    assert!(text(&k["message"]).contains("unbound immediate PersistentVolumeClaims"), "{k}");
    assert_eq!(evidence(k), "PersistentVolumeClaim data: Pending, storageClassName kit-none, which does not exist");
    assert_eq!(k["command"], format!("kubectl describe pvc data -n {n}"));
    let (_, out, _) = trace(&c, n, "db", &[]);
    snapshot("unschedulable_claim", n, &out);
}

/// A node of the test's own (nodes are cluster-wide: other tests' pods stay off it by a
/// taint), deleted at the end.
struct TestNode<'a> {
    c: &'a Cluster,
    name: String,
}

impl<'a> TestNode<'a> {
    fn new(c: &'a Cluster, role: &str, taint: &str, labels: &str) -> Self {
        let name = format!("kit-test-{role}-{}", std::process::id());
        c.apply(
            "default",
            &format!(
                "apiVersion: v1
kind: Node
metadata:
  name: {name}
  annotations: {{kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: \"0\"}}
  labels: {{type: kwok, kubernetes.io/hostname: {name}, kubernetes.io/os: linux{labels}}}
spec:
  taints: [{taint}]
status:
  allocatable: {{cpu: \"32\", memory: 256Gi, pods: \"110\"}}
  capacity: {{cpu: \"32\", memory: 256Gi, pods: \"110\"}}
"
            ),
        );
        c.kubectl_ok(&["wait", "--for=condition=Ready", &format!("node/{name}"), "--timeout=60s"]);
        TestNode { c, name }
    }
}

impl Drop for TestNode<'_> {
    fn drop(&mut self) {
        // The pods bound to it are then removed by the pod garbage collector.
        let _ = self.c.kubectl(&["delete", "node", &self.name, "--wait=true", "--timeout=30s"]);
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_taint_nobody_tolerates() {
    let c = require_cluster!("failures taint");
    let _nodes = nodes_write();
    let node = TestNode::new(
        &c,
        "taint",
        "{key: kit.example.com/dedicated, value: db, effect: NoSchedule}",
        ", kit.example.com/pool: db",
    );
    let ns = c.namespace("fail-taint");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App { name: "api", node: None, pod: "      nodeSelector: {kit.example.com/pool: db}\n", ..Default::default() },
    );
    wait_pods(&c, n, "api", 1, "Unschedulable", |p| {
        p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["reason"] == "Unschedulable")
    });
    let (code, v) = trace_json(&c, n, "api");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert!(text(&k["message"]).contains("1 node(s) had untolerated taint(s)"), "{k}");
    assert_eq!(
        evidence(k),
        format!(
            "nodeSelector kit.example.com/pool=db: 1 of 4 node(s) match\ntaint kit.example.com/dedicated=db:NoSchedule (not tolerated) on {}",
            node.name
        )
    );
    assert_eq!(k["command"], "kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints");
    let (_, out, _) = trace(&c, n, "api", &[]);
    snapshot("unschedulable_taint", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn evicted_pods_are_counted_and_explained() {
    let c = require_cluster!("failures evicted");
    let ns = c.namespace("fail-evict");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "api",
            annotations: &[("kit.example.com/fail", "evicted")],
            container: "        resources: {requests: {memory: 64Mi}}\n",
            ..Default::default()
        },
    );
    wait_pods(&c, n, "api", 1, "Evicted", |p| p["status"]["reason"] == "Evicted");
    wait_pods(&c, n, "api", 1, "a running replacement", |p| p["status"]["phase"] == "Running");
    let (code, v) = trace_json(&c, n, "api");
    // The replacement serves until it is evicted in turn: traffic flows, so a warning.
    assert_eq!((code, text(&hop(&v, "pods")["status"])), (0, "warn"), "{v}");
    let k = cause(&v);
    assert_eq!(k["cause"], "Evicted");
    assert!(text(&k["message"]).starts_with("The node was low on resource: memory."), "{k}");
    assert!(text(&k["message"]).contains("Container app was using 412Mi, request is 64Mi"), "{k}");
    assert_eq!(k["command"], "kubectl describe node kit-node-a");
    assert!(evidence(k).contains(&format!("kubectl delete pods -n {n} --field-selector=status.phase=Failed")), "{k}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn terminating_pods_keep_serving_until_their_grace_period_ends() {
    let c = require_cluster!("failures terminating");
    let ns = c.namespace("fail-term");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "api",
            replicas: 2,
            annotations: &[("kit.example.com/sigterm", "ignored")],
            pod: "      terminationGracePeriodSeconds: 300\n",
            ..Default::default()
        },
    );
    c.kubectl_ok(&["-n", n, "wait", "--for=condition=Available", "deployment/api", "--timeout=60s"]);
    c.kubectl_ok(&["-n", n, "scale", "deployment/api", "--replicas=0"]);
    c.wait_for("both endpoints terminating and serving", Duration::from_secs(60), || {
        let s = c.kubectl_ok(&[
            "-n",
            n,
            "get",
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=api",
            "-o",
            "jsonpath={..conditions.terminating}/{..conditions.serving}",
        ]);
        s == "true true/true true"
    });
    let (code, v) = trace_json(&c, n, "api");
    assert_eq!(code, 1, "no pod takes new connections: {v}");
    assert_eq!(hop(&v, "pods")["reason"], "0 of 2 pod(s) Ready, 2 terminating");
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), k["pods"].as_i64()), ("Terminating", Some(2)));
    assert!(evidence(k).contains("its endpoint is terminating"), "{k}");
    let (_, out, _) = trace(&c, n, "api", &[]);
    assert!(out.contains(" terminating, serving pod "), "{out}");
    snapshot("terminating", n, &out);
    pictures_render(&c, n, "api");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn nodes_that_fail_take_their_pods_out_of_service() {
    let c = require_cluster!("failures nodes");
    let _nodes = nodes_write();
    let taint = "{key: kit.example.com/test-node, effect: NoSchedule}";
    let sick = TestNode::new(&c, "notready", taint, "");
    let gone = TestNode::new(&c, "unreachable", taint, "");
    let ns = c.namespace("fail-node");
    let n = &ns.name;
    let tolerate = "      tolerations: [{key: kit.example.com/test-node, operator: Exists}]\n";
    deploy(&c, n, &App { name: "sick", node: Some(&sick.name), pod: tolerate, ..Default::default() });
    deploy(&c, n, &App { name: "gone", node: Some(&gone.name), pod: tolerate, ..Default::default() });
    for app in ["sick", "gone"] {
        c.kubectl_ok(&["-n", n, "wait", "--for=condition=Available", &format!("deployment/{app}"), "--timeout=60s"]);
    }
    c.kubectl_ok(&["annotate", "node", &sick.name, "kit.example.com/fail=not-ready"]);
    c.kubectl_ok(&["annotate", "node", &gone.name, "kit.example.com/fail=unreachable"]);
    // The kubelet posts NotReady at once; an unreachable node is noticed by the controller
    // manager after its node-monitor-grace-period (50s), which then marks the pods not Ready.
    c.wait_for("the node NotReady", Duration::from_secs(30), || {
        c.kubectl_ok(&["get", "node", &sick.name, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"])
            == "False"
    });
    let (code, v) = trace_json(&c, n, "sick");
    assert_eq!(code, 1, "its only node is not Ready: {v}");
    let nodes = hop(&v, "nodes");
    assert_eq!(nodes["status"], "fail");
    assert_eq!(
        text(&nodes["details"][0]),
        format!(
            "{} NotReady zone - — KubeletNotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
            sick.name
        )
    );
    assert_eq!(nodes["fix"], format!("kubectl describe node {}", sick.name));
    let (_, out, _) = trace(&c, n, "sick", &[]);
    snapshot("node_not_ready", n, &out);

    c.wait_for("the pod's endpoint not ready", Duration::from_secs(120), || {
        c.kubectl_ok(&[
            "-n",
            n,
            "get",
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=gone",
            "-o",
            "jsonpath={..conditions.ready}",
        ]) == "false"
    });
    let (code, v) = trace_json(&c, n, "gone");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), text(&k["node"])), ("NodeNotReady", gone.name.as_str()));
    assert_eq!(k["message"], "NodeStatusUnknown: Kubelet stopped posting node status.");
    assert_eq!(k["command"], format!("kubectl describe node {}", gone.name));
    assert_eq!(hop(&v, "endpoints")["status"], "fail");
    let (_, out, _) = trace(&c, n, "gone", &[]);
    snapshot("node_unreachable", n, &out);
    pictures_render(&c, n, "gone");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn two_hundred_crash_looping_pods_are_one_group_within_the_request_budget() {
    let c = require_cluster!("failures 200 pods");
    let ns = c.namespace("fail-200");
    let n = &ns.name;
    let ann = [
        ("kit.example.com/fail", "crashloop"),
        ("kit.example.com/exit-code", "3"),
        ("kit.example.com/message", "FATAL: DATABASE_URL is not set"),
    ];
    deploy(&c, n, &App { name: "api", replicas: 200, annotations: &ann, ..Default::default() });
    wait_pods(&c, n, "api", 200, "crashed at least once", |p| {
        container(p, "containerStatuses")["lastState"]["terminated"].is_object() || waiting(p) == "CrashLoopBackOff"
    });
    let (code, out, err) = trace(&c, n, "api", &["-o", "json", "-v=6"]);
    let requests = err.lines().filter(|l| l.contains("\"Response\" verb=")).count();
    // The Service, slices, events, policies, nodes, pods, Ingresses and CoreDNS's ConfigMap.
    assert!(requests <= 9, "{requests} requests for 200 pods:\n{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let pods = hop(&v, "pods");
    let causes = pods["causes"].as_array().cloned().unwrap_or_default();
    // Backing off, or in the moment between an exit and the back-off: at most those two.
    assert!((1..=2).contains(&causes.len()), "{pods}");
    for k in &causes {
        assert!(matches!(text(&k["cause"]), "CrashLoopBackOff" | "Error"), "{k}");
        assert_eq!((&k["exitCode"], text(&k["message"])), (&Value::from(3), "FATAL: DATABASE_URL is not set"), "{k}");
    }
    let grouped: i64 = causes.iter().filter_map(|c| c["pods"].as_i64()).sum();
    let ready = text(&pods["reason"]).split(' ').next().and_then(|r| r.parse::<i64>().ok()).unwrap_or(-1);
    assert_eq!(grouped + ready, 200, "{pods}");
    // A crash-looping pod is up for a moment between back-offs: while some are, the pods hop
    // warns; when none is, it fails. The EndpointSlices may lag the pods by a moment, so the
    // exit status follows the worst hop, whichever it is.
    assert_eq!(text(&pods["status"]), if ready == 0 { "fail" } else { "warn" }, "{v}");
    assert_eq!(code, if v["status"] == "fail" { 1 } else { 0 }, "{v}");

    let (_, text_out, _) = trace(&c, n, "api", &[]);
    assert!(text_out.lines().count() < 40, "one line per cause, not per pod:\n{text_out}");
    pictures_render(&c, n, "api");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn cols_health_matches_kubectl_where_they_overlap() {
    let c = require_cluster!("failures cols health");
    let ns = c.namespace("fail-cols");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "crash",
            replicas: 2,
            annotations: &[("kit.example.com/fail", "crashloop"), ("kit.example.com/exit-code", "3")],
            ..Default::default()
        },
    );
    deploy(&c, n, &App { name: "pull", annotations: &[("kit.example.com/fail", "image-pull")], ..Default::default() });
    wait_pods(&c, n, "crash", 2, "CrashLoopBackOff", |p| waiting(p) == "CrashLoopBackOff");
    wait_pods(&c, n, "pull", 1, "ImagePullBackOff", |p| waiting(p) == "ImagePullBackOff");
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("cols", cache.path())
        .args(["-n", n, "pods", "health", "--sort-by", ".metadata.name"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let ours = stdout(&out);
    let theirs = c.kubectl_ok(&["-n", n, "get", "pods", "-o", "wide", "--sort-by", ".metadata.name"]);
    let col = |table: &str, header: &str| -> Vec<String> {
        let mut lines = table.lines();
        let head = lines.next().unwrap_or_default();
        let at = head.find(header).unwrap_or_else(|| panic!("no {header} in {head}"));
        lines
            .map(|l| l.get(at..).unwrap_or_default().split_whitespace().next().unwrap_or_default().to_string())
            .collect()
    };
    // A waiting container's reason is what kubectl's STATUS shows; NODE is kubectl's column.
    assert_eq!(col(&ours, "WAITING"), col(&theirs, "STATUS"), "{ours}\n{theirs}");
    assert_eq!(col(&ours, "NODE"), col(&theirs, "NODE"), "{ours}\n{theirs}");
    assert_eq!(col(&ours, "LAST_EXIT")[..2], ["3".to_string(), "3".to_string()], "{ours}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn detach_on_a_crash_looping_pod_warns_the_replacement_will_crash_too() {
    let c = require_cluster!("failures detach");
    let ns = c.namespace("fail-detach");
    let n = &ns.name;
    let ann = [("kit.example.com/fail", "crashloop"), ("kit.example.com/exit-code", "3")];
    deploy(&c, n, &App { name: "api", replicas: 2, annotations: &ann, ..Default::default() });
    wait_pods(&c, n, "api", 2, "CrashLoopBackOff", |p| waiting(p) == "CrashLoopBackOff");
    let pod = pods(&c, n, "api")[0]["metadata"]["name"].as_str().expect("name").to_string();
    let cache = tempfile::tempdir().expect("tempdir");
    let warning = "container app is in CrashLoopBackOff (last exit 3, Error) and the replacement has the same template: it will likely fail the same way";
    // The impact table, asked with a server dry run while the pod is backing off (between
    // back-offs it runs for a moment, and is not in CrashLoopBackOff then).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let table = loop {
        let out =
            c.plugin("detach", cache.path()).args(["-n", n, "pod", &pod, "--dry-run=server"]).output().expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        // Both replicas crash-loop: the sibling counted as no ready replica, as in most moments.
        if stdout(&out).contains(warning) && stdout(&out).contains("(0 ready replicas remain meanwhile)") {
            break stdout(&out);
        }
        assert!(std::time::Instant::now() < deadline, "no warning about the replacement:\n{}", stdout(&out));
        std::thread::sleep(Duration::from_millis(300));
    };
    table_snapshot("detach_crash_loop", n, &table);
    // The tutorial's flow: take the pod out, let the ReplicaSet replace it, inspect it.
    let out = c.plugin("detach", cache.path()).args(["-n", n, "pod", &pod]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    c.wait_for("a replacement", Duration::from_secs(60), || pods(&c, n, "api").len() == 2);
    let detached = c.kubectl_ok(&["-n", n, "get", "pod", &pod, "-o", "jsonpath={.metadata.labels}"]);
    assert!(!detached.contains("\"app\""), "the detached pod left its ReplicaSet: {detached}");
    let (_, out, _) = trace(&c, n, "api", &[]);
    assert!(!out.contains(&pod), "the detached pod is no longer behind the Service:\n{out}");
}
