//! The failures real clusters have, on the real cluster: each state is driven by the kwok
//! stages of `tests/fixtures/cluster/stages` (or by the real scheduler and controller manager)
//! from an ordinary annotated Deployment, never by patching status from a test. For each,
//! `kubectl trace-svc` exits 1 (or 0 where traffic still flows) and names the root cause, its
//! evidence and the next command, in text and in `-o json`; the text is a snapshot
//! (`tests/tests/snapshots/`, with names, IPs, UIDs and times filtered) so that a reader sees
//! what users see; and Graphviz renders the `-o dot` picture.

use std::collections::BTreeSet;
use std::sync::RwLock;
use std::time::Duration;

use kubectl_kit_tests::converge::{Endpoints, Pod};
use kubectl_kit_tests::{Cluster, Counts, Ran, WAIT, converge_ok, require_cluster, stderr, stdout, steady};
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

/// Waits until `count` of the app's pods satisfy `check`; returns them all, by name.
fn wait_pods(c: &Cluster, ns: &str, app: &str, count: usize, what: &str, check: impl Fn(&Pod) -> bool) -> Vec<Pod> {
    c.wait_pods(ns, &format!("app={app}"), count, what, check)
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

/// What a trace of an app reads and its snapshot shows: the app's pods (their states; not
/// their annotations, which the probe stages count up), its Service's EndpointSlices, and the
/// reasons of the events about its pods.
#[derive(Debug, PartialEq)]
struct Scene {
    pods: Vec<Pod>,
    endpoints: Endpoints,
    /// (pod, reason) of each event about one of the pods.
    events: BTreeSet<(String, String)>,
}

impl Scene {
    /// There are pods, and every one satisfies `check`.
    fn all(&self, check: impl Fn(&Pod) -> bool) -> bool {
        !self.pods.is_empty() && self.pods.iter().all(check)
    }

    /// The Service's EndpointSlices count `want`.
    fn slices(&self, want: Counts) -> bool {
        self.endpoints.counts() == want
    }

    /// Every pod has an event of `reason` about it.
    fn events_on_all(&self, reason: &str) -> bool {
        self.pods.iter().all(|p| self.events.contains(&(p.name.clone(), reason.to_string())))
    }
}

/// The [`Scene`] of `app` (its pods are labelled app=APP; its Service is APP).
fn scene(c: &Cluster, ns: &str, app: &str) -> Result<Scene, String> {
    let mut pods = c.pods(ns, &format!("app={app}"))?;
    for p in &mut pods {
        p.annotations.clear();
    }
    let endpoints = c.endpoints(ns, app)?;
    let events = c
        .events(ns, None)?
        .into_iter()
        .filter_map(|e| Some((e.object.strip_prefix("Pod/")?.to_string(), e.reason)))
        .filter(|(pod, _)| pods.iter().any(|p| &p.name == pod))
        .collect();
    Ok(Scene { pods, endpoints, events })
}

/// Traces `app` (`-o json`, then the text) once its [`Scene`] is what `want` asks for (`what`
/// says how), and again until the scene held still across both runs: the trace describes a
/// state the cluster settled into (a crash loop backing off, the EndpointSlices caught up with
/// the pods), as a user who traces it again sees it, not a passing moment.
fn settled_trace(c: &Cluster, ns: &str, app: &str, what: &str, want: impl Fn(&Scene) -> bool) -> (i32, Value, String) {
    let ok = |s: &Result<Scene, String>| s.as_ref().is_ok_and(&want);
    // Built (if need be) before the state is waited for.
    kubectl_kit_tests::plugin_path("trace_svc");
    let (_, (code, v, text_code, out)) = steady(
        &format!("the scene of {app} in {ns}: {what}"),
        WAIT,
        || scene(c, ns, app),
        ok,
        |_| {
            let (code, v) = trace_json(c, ns, app);
            let (text_code, out, _) = trace(c, ns, app, &[]);
            (code, v, text_code, out)
        },
    );
    assert_eq!(code, text_code, "the JSON and the text of one state exit alike:\n{v}\n{out}");
    (code, v, out)
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

/// [`snapshot`] with more filters.
fn snapshot_with(name: &str, ns: &str, text: &str, more: impl FnOnce(&mut insta::Settings)) {
    kubectl_kit_tests::snapshot::trace(name, ns, text, more);
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
    let backing_off = |p: &Pod| p.waiting() == "CrashLoopBackOff" && p.restarts() >= 1;
    let pods = wait_pods(&c, n, "api", 3, "CrashLoopBackOff after a restart", backing_off);
    let last = pods[0].containers[0].last_exit.clone();
    assert_eq!(last, Some((3, "Error".to_string())), "{:?}", pods[0]);

    // All three backing off, none a ready endpoint, each with its BackOff event.
    let (code, v, out) = settled_trace(&c, n, "api", "3 pods backing off, 0 of 3 endpoints ready", |s| {
        s.all(backing_off) && s.slices(Counts::listing(3, 0)) && s.events_on_all("BackOff")
    });
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
    // Backing off: the logs of the container that exited.
    assert_eq!(k["command"], format!("kubectl logs {pod} -c app --previous -n {n}"), "{k}");
    assert_eq!(hop(&v, "endpoints")["status"], "fail");
    assert!(
        out.contains(
            "3 pods: CrashLoopBackOff, container app exited with 3 (Error): \"FATAL: DATABASE_URL is not set\""
        ),
        "{out}"
    );
    assert!(out.contains(&format!("next: kubectl logs {pod} -c app --previous -n {n}")), "{out}");
    assert!(evidence(k).contains("event BackOff"), "{k}");
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
    let oom = |p: &Pod| p.waiting() == "CrashLoopBackOff" && p.last_exit() == "OOMKilled";
    wait_pods(&c, n, "api", 1, "OOMKilled and backing off", oom);
    let (code, v, out) = settled_trace(&c, n, "api", "OOMKilled and backing off, not a ready endpoint", |s| {
        s.all(oom) && s.slices(Counts::listing(1, 0)) && s.events_on_all("BackOff")
    });
    assert_eq!(code, 1);
    assert!(out.contains("--previous"), "{out}");
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
    let done = |p: &Pod| p.waiting() == "CrashLoopBackOff" && p.last_exit() == "Completed";
    wait_pods(&c, n, "job-like", 1, "Completed and backing off", done);
    let (code, v, _) = settled_trace(&c, n, "job-like", "Completed and backing off, not a ready endpoint", |s| {
        s.all(done) && s.slices(Counts::listing(1, 0))
    });
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
    let pulls = |p: &Pod| matches!(p.waiting(), "ErrImagePull" | "ImagePullBackOff");
    for (name, _) in &cases {
        wait_pods(&c, n, name, 1, "a failed pull", pulls);
    }
    // Each pull fails again every 20 s (ErrImagePull, then ImagePullBackOff): the same cause.
    let failed_pull = |s: &Scene| s.all(pulls) && s.slices(Counts::listing(1, 0));
    let pull_trace = |name: &str| settled_trace(&c, n, name, "a failed pull, not a ready endpoint", failed_pull);

    let (code, v, out) = pull_trace("missing");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "ImagePullBackOff");
    assert_eq!((text(&k["container"]), text(&k["image"])), ("app", cases[0].1.as_str()));
    assert!(text(&k["message"]).contains("not found"), "the pull error: {k}");
    assert_eq!(k["registry"]["presence"], "notPushed", "{k}");
    assert_eq!(k["command"], format!("kubectl push-image SOURCE {repo}-missing:v1"));
    assert!(out.contains(&format!("has no repository {repo}-missing: the image was never pushed there")), "{out}");
    snapshot("image_not_pushed", n, &out);
    pictures_render(&c, n, "missing");

    let (_, v, out) = pull_trace("other-host");
    let k = cause(&v);
    assert_eq!(k["registry"]["presence"], "otherHost", "{k}");
    assert_eq!(k["registry"]["pullReference"], format!("{pull}/{repo}:v1"));
    assert_eq!(k["command"], format!("kubectl set image deployment/other-host app={pull}/{repo}:v1 -n {n}"));
    assert!(out.contains(&format!("but the nodes pull it from {pull}")), "{out}");
    snapshot("image_under_another_host", n, &out);

    let (_, v, _) = pull_trace("present");
    let k = cause(&v);
    assert_eq!(k["registry"]["presence"], "present", "{k}");
    assert!(evidence(k).contains(&format!("has {repo}:v1: the image exists")), "{k}");

    let (_, v, _) = pull_trace("no-tag");
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
    let invalid = |p: &Pod| p.waiting() == "InvalidImageName";
    wait_pods(&c, n, "api", 1, "InvalidImageName", invalid);
    let (code, v, out) = settled_trace(&c, n, "api", "InvalidImageName, not a ready endpoint", |s| {
        s.all(invalid) && s.slices(Counts::listing(1, 0))
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "InvalidImageName");
    assert!(text(&k["message"]).starts_with("Failed to apply default image tag \"Numbers_API:v1\""), "{k}");
    assert_eq!(k["command"], format!("kubectl set image deployment/api app=REPOSITORY:TAG -n {n}"));
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
    let unhealthy = |p: &Pod| p.annotations.get("kit.example.com/unhealthy-count").is_some_and(|n| n != "1");
    wait_pods(&c, n, "ready", 2, "two failed readiness probes", unhealthy);
    wait_pods(&c, n, "startup", 1, "two failed startup probes", unhealthy);
    let failing = |pods: usize| {
        move |s: &Scene| {
            s.pods.len() == pods
                && s.all(|p| !p.ready)
                && s.slices(Counts::listing(pods, 0))
                && s.events_on_all("Unhealthy")
        }
    };

    let (code, v, out) = settled_trace(&c, n, "ready", "2 pods failing their probe, not ready endpoints", failing(2));
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), k["pods"].as_i64()), ("ReadinessProbeFailed", Some(2)));
    assert_eq!(k["message"], "Readiness probe failed: HTTP probe failed with statuscode: 503");
    assert!(evidence(k).contains("event Unhealthy ×"), "a count of failed probes: {k}");
    assert!(
        out.contains("2 pods: ReadinessProbeFailed, container app: readiness probe httpGet http://:http/healthz fails"),
        "{out}"
    );
    snapshot("readiness_probe", n, &out);

    let (code, v, out) = settled_trace(&c, n, "startup", "a pod failing its probe, not a ready endpoint", failing(1));
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "StartupProbeFailed");
    assert!(text(&k["message"]).starts_with("Startup probe failed: dial tcp "), "{k}");
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
    let gated = |p: &Pod| p.unmet("ReadinessGatesNotReady");
    wait_pods(&c, n, "api", 1, "ReadinessGatesNotReady", gated);
    let (code, v, out) = settled_trace(&c, n, "api", "ReadinessGatesNotReady, not a ready endpoint", |s| {
        s.all(gated) && s.slices(Counts::listing(1, 0))
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "ReadinessGatesNotReady");
    assert_eq!(
        k["message"],
        "corresponding condition of pod readiness gate \"example.com/load-balancer-attached\" does not exist."
    );
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
    let init_backing_off = |p: &Pod| p.init().is_some_and(|i| i.waiting == "CrashLoopBackOff");
    let init_running = |p: &Pod| p.init().is_some_and(|i| i.running);
    wait_pods(&c, n, "migrate", 1, "Init:CrashLoopBackOff", init_backing_off);
    wait_pods(&c, n, "wait", 1, "an init container running", init_running);

    let (code, v, out) = settled_trace(&c, n, "migrate", "Init:CrashLoopBackOff, not a ready endpoint", |s| {
        s.all(init_backing_off) && s.slices(Counts::listing(1, 0)) && s.events_on_all("BackOff")
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(
        (text(&k["cause"]), text(&k["container"]), k["exitCode"].as_i64()),
        ("Init:CrashLoopBackOff", "migrate", Some(2))
    );
    assert_eq!(k["message"], "migration failed: relation \"users\" does not exist");
    assert!(text(&k["command"]).ends_with(&format!("-c migrate --previous -n {n}")), "{k}");
    snapshot("init_crash_loop", n, &out);

    let (code, v, out) = settled_trace(&c, n, "wait", "an init container running, not a ready endpoint", |s| {
        s.all(init_running) && s.slices(Counts::listing(1, 0))
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), text(&k["container"])), ("Init:Running", "wait-for-db"));
    assert!(text(&k["command"]).contains("-c wait-for-db -n "), "{k}");
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
    let config_error = |p: &Pod| p.waiting() == "CreateContainerConfigError";
    wait_pods(&c, n, "api", 1, "CreateContainerConfigError", config_error);
    // Issue 26: traced before the EndpointSlice listed the pod, this snapshot once read "0 ready
    // of 0 address(es)".
    let (code, v, out) = settled_trace(&c, n, "api", "CreateContainerConfigError, not a ready endpoint", |s| {
        s.all(config_error) && s.slices(Counts::listing(1, 0))
    });
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "CreateContainerConfigError");
    assert_eq!(k["message"], format!("couldn't find key database-url in ConfigMap {n}/app-config"));
    assert_eq!(k["command"], format!("kubectl edit configmap app-config -n {n}"));
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
    let unschedulable = |p: &Pod| p.unmet("Unschedulable");
    for app in ["big", "ssd", "db"] {
        wait_pods(&c, n, app, 1, "Unschedulable", unschedulable);
    }
    // The EndpointSlice controller writes an empty slice for a Service whose pods have no IP.
    let refused = |app: &str| {
        settled_trace(&c, n, app, "Unschedulable, in an empty EndpointSlice", |s| {
            s.all(unschedulable) && s.slices(Counts::listing(0, 0))
        })
    };

    let (code, v, out) = refused("big");
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!(k["cause"], "Unschedulable");
    assert!(text(&k["message"]).starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{k}");
    assert_eq!(evidence(k), "requests cpu 2k, more than any node can allocate");
    snapshot("unschedulable_cpu", n, &out);
    pictures_render(&c, n, "big");

    let (_, v, out) = refused("ssd");
    let k = cause(&v);
    assert!(text(&k["message"]).contains("didn't match Pod's node affinity/selector"), "{k}");
    assert_eq!(evidence(k), "nodeSelector disktype=ssd: no node has the label disktype");
    assert_eq!(k["command"], "kubectl get nodes -l disktype=ssd --show-labels");
    snapshot("unschedulable_selector", n, &out);

    // The claim's own event, which the trace shows with it, comes from the volume controller.
    c.wait_event(n, "PersistentVolumeClaim/data", "ProvisioningFailed");
    let (_, v, out) = refused("db");
    let k = cause(&v);
    assert!(text(&k["message"]).contains("unbound immediate PersistentVolumeClaims"), "{k}");
    let ev = evidence(k);
    assert!(
        ev.starts_with("PersistentVolumeClaim data: Pending, storageClassName kit-none, which does not exist\n  event ProvisioningFailed ×"),
        "{k}"
    );
    assert!(ev.ends_with(": storageclass.storage.k8s.io \"kit-none\" not found"), "{k}");
    assert_eq!(k["command"], format!("kubectl describe pvc data -n {n}"));
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
        c.wait_node(&name, "Ready", |n| n.condition("Ready") == "True");
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
    let unschedulable = |p: &Pod| p.unmet("Unschedulable");
    wait_pods(&c, n, "api", 1, "Unschedulable", unschedulable);
    let (code, v, out) = settled_trace(&c, n, "api", "Unschedulable, in an empty EndpointSlice", |s| {
        s.all(unschedulable) && s.slices(Counts::listing(0, 0))
    });
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
    let evicted = |p: &Pod| p.reason == "Evicted";
    wait_pods(&c, n, "api", 1, "Evicted", evicted);
    // Each replacement runs for 20 s before it is evicted in turn: traced in that window, once
    // its endpoint is ready.
    let (code, v, _) = settled_trace(&c, n, "api", "evicted pods and a ready replacement", |s| {
        s.pods.iter().any(evicted)
            && s.pods.iter().filter(|p| !evicted(p)).map(|p| p.ready).eq([true])
            && s.slices(Counts::listing(1, 1))
    });
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
    c.wait_replicas(n, "deployment/api", 2);
    c.wait_endpoints(n, "api", Counts::listing(2, 2));
    c.kubectl_ok(&["-n", n, "scale", "deployment/api", "--replicas=0"]);
    let draining = Counts { slices: 1, addresses: 2, ready: 0, serving: 2, terminating: 2 };
    let (code, v, out) = settled_trace(&c, n, "api", "2 pods terminating, their endpoints serving", |s| {
        s.pods.len() == 2 && s.all(|p| p.terminating) && s.slices(draining)
    });
    assert_eq!(code, 1, "no pod takes new connections: {v}");
    assert_eq!(hop(&v, "pods")["reason"], "0 of 2 pod(s) Ready, 2 terminating");
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), k["pods"].as_i64()), ("Terminating", Some(2)));
    assert!(evidence(k).contains("its endpoint is terminating"), "{k}");
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
        c.wait_replicas(n, &format!("deployment/{app}"), 1);
        c.wait_endpoints(n, app, Counts::listing(1, 1));
    }
    c.kubectl_ok(&["annotate", "node", &sick.name, "kit.example.com/fail=not-ready"]);
    c.kubectl_ok(&["annotate", "node", &gone.name, "kit.example.com/fail=unreachable"]);
    // The kubelet posts NotReady at once, and the pods keep their status until they change (the
    // node lifecycle controller marks a node's pods not Ready itself only when the node's status
    // goes stale); an unreachable node is noticed after the node-monitor-grace-period (50s), and
    // then its pods are marked not Ready.
    c.wait_node(&sick.name, "Ready False", |n| n.condition("Ready") == "False");
    let serving = |s: &Scene| s.all(|p| p.ready) && s.slices(Counts::listing(1, 1));
    let (code, v, out) = settled_trace(&c, n, "sick", "a Ready pod on a NotReady node, a ready endpoint", serving);
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
    snapshot("node_not_ready", n, &out);

    c.wait_node(&gone.name, "Ready Unknown", |n| n.condition("Ready") == "Unknown");
    let marked = |s: &Scene| s.all(|p| !p.ready) && s.slices(Counts::listing(1, 0)) && s.events_on_all("NodeNotReady");
    let (code, v, out) = settled_trace(&c, n, "gone", "the pod marked not Ready, not a ready endpoint", marked);
    assert_eq!(code, 1);
    let k = cause(&v);
    assert_eq!((text(&k["cause"]), text(&k["node"])), ("NodeNotReady", gone.name.as_str()));
    assert_eq!(k["message"], "NodeStatusUnknown: Kubelet stopped posting node status.");
    assert_eq!(k["command"], format!("kubectl describe node {}", gone.name));
    assert_eq!(hop(&v, "endpoints")["status"], "fail");
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
    let crashed = |p: &Pod| !p.last_exit().is_empty() || p.waiting() == "CrashLoopBackOff";
    converge_ok(
        "200 pods of api that crashed at least once",
        Duration::from_secs(300),
        || c.pods(n, "app=api"),
        |p| p.iter().filter(|p| crashed(p)).count() == 200,
    );
    let (code, out, err) = trace(&c, n, "api", &["-o", "json", "-v=6"]);
    let requests = err.lines().filter(|l| l.contains("\"Response\" verb=")).count();
    // The Service; together: slices, Warning events, NetworkPolicies, nodes, webhook
    // configurations (2), APIServices; the pods; together: ReplicaSets, Deployments, Ingresses,
    // CoreDNS's ConfigMap. The crash group's follow-up (its previous log) only with --logs.
    assert!(requests <= 13, "{requests} requests for 200 pods:\n{err}");
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
    let backing_off = |p: &Pod| p.waiting() == "CrashLoopBackOff";
    let pull_backing_off = |p: &Pod| p.waiting() == "ImagePullBackOff";
    wait_pods(&c, n, "crash", 2, "CrashLoopBackOff", backing_off);
    wait_pods(&c, n, "pull", 1, "ImagePullBackOff", pull_backing_off);
    let cache = tempfile::tempdir().expect("tempdir");
    kubectl_kit_tests::plugin_path("cols");
    // Both tables of one state: every pod backing off, and none changed while they were printed.
    let (_, (out, theirs)) = steady(
        "3 pods backing off",
        WAIT,
        || Ok::<_, String>((c.pods(n, "app=crash")?, c.pods(n, "app=pull")?)),
        |p| p.as_ref().is_ok_and(|(crash, pull)| crash.iter().all(backing_off) && pull.iter().all(pull_backing_off)),
        |_| {
            let ours = c
                .plugin("cols", cache.path())
                .args(["-n", n, "pods", "health", "--sort-by", ".metadata.name"])
                .output()
                .expect("runs");
            (ours, c.kubectl_ok(&["-n", n, "get", "pods", "-o", "wide", "--sort-by", ".metadata.name"]))
        },
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let ours = stdout(&out);
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
    let backing_off = |p: &Pod| p.waiting() == "CrashLoopBackOff";
    let pod = wait_pods(&c, n, "api", 2, "CrashLoopBackOff", backing_off)[0].name.clone();
    let cache = tempfile::tempdir().expect("tempdir");
    kubectl_kit_tests::plugin_path("detach");
    // The impact table, asked with a server dry run while both pods back off and the
    // EndpointSlice lists both, not ready (between back-offs a pod runs, and is Ready, for a
    // moment; issue 26: the slice once still had the sibling ready).
    let (_, table) = steady(
        "both pods of api backing off, neither a ready endpoint",
        WAIT,
        || scene(&c, n, "api"),
        |s| s.as_ref().is_ok_and(|s| s.pods.len() == 2 && s.all(backing_off) && s.slices(Counts::listing(2, 0))),
        |_| Ran::run(c.plugin("detach", cache.path()).args(["-n", n, "pod", &pod, "--dry-run=server"])),
    );
    assert_eq!(table.code, 0, "{table:?}");
    for note in [
        "(0 ready replicas remain meanwhile)",
        "container app is in CrashLoopBackOff (last exit 3, Error) and the replacement has the same template: it will likely fail the same way",
        "no ready endpoint remains in this slice",
    ] {
        assert!(table.stdout.contains(note), "{note} in:\n{table:?}");
    }
    table_snapshot("detach_crash_loop", n, &table.stdout);
    // The tutorial's flow: take the pod out, let the ReplicaSet replace it, inspect it.
    let out = c.plugin("detach", cache.path()).args(["-n", n, "pod", &pod]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let detached = c.kubectl_ok(&["-n", n, "get", "pod", &pod, "-o", "jsonpath={.metadata.labels}"]);
    assert!(!detached.contains("\"app\""), "the detached pod left its ReplicaSet: {detached}");
    // Once a replacement is listed in its place, the trace no longer names the detached pod.
    let (_, _, out) = settled_trace(&c, n, "api", "a replacement, listed in the detached pod's place", |s| {
        s.pods.len() == 2
            && s.pods.iter().all(|p| p.name != pod)
            && s.endpoints.endpoints.len() == 2
            && s.endpoints.endpoints.iter().all(|e| e.pod != pod)
    });
    assert!(!out.contains(&pod), "the detached pod is no longer behind the Service:\n{out}");
}
