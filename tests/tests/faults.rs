//! The API server restarted in the middle of a command (`cargo xtask cluster restart
//! kube-apiserver`: SIGTERM, then the same command line again). Watches resume from their last
//! resourceVersion (re-listing on 410 Gone); a list either completes correctly or fails with a
//! clear message after the rows it had (as kubectl does); a patch is whole or absent.
//!
//! These tests restart the shared API server, so they take turns; cargo runs test binaries one
//! after another, so no other test binary sees the restarts.

use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use kubectl_kit_tests::{Cluster, converge, got, lines, require_cluster, root, stdout, until};
use serde_json::Value;

static TURNS: Mutex<()> = Mutex::new(());

fn restart_api_server() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["xtask", "cluster", "restart", "kube-apiserver"])
        .output()
        .expect("cargo xtask runs");
    assert!(out.status.success(), "restart failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn spawn_watch(
    c: &Cluster,
    plugin: &str,
    args: &[&str],
    cache: &std::path::Path,
) -> (Child, Receiver<String>, Receiver<String>) {
    let mut child =
        c.plugin(plugin, cache).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let out = lines(child.stdout.take().expect("stdout"));
    let err = lines(child.stderr.take().expect("stderr"));
    (child, out, err)
}

fn run_pod(c: &Cluster, ns: &str, name: &str) {
    c.kubectl_ok(&["-n", ns, "run", name, "--image=registry.local/app:1", "--restart=Never", "--labels=app=web"]);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watches_resume_after_an_api_server_restart() {
    let c = require_cluster!("watches_resume_after_an_api_server_restart");
    let _turn = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    let ns = c.namespace("fault-watch");
    let n = &ns.name;
    run_pod(&c, n, "before");
    c.kubectl_ok(&["-n", n, "create", "service", "clusterip", "web", "--tcp=80:8080"]);
    let cache = tempfile::tempdir().expect("cache");
    let (mut cols, cols_out, cols_err) = spawn_watch(&c, "cols", &["-n", n, "pods", "ip", "--watch"], cache.path());
    let (mut trace, trace_out, trace_err) = spawn_watch(&c, "trace_svc", &["-n", n, "web", "--watch"], cache.path());
    let mut seen = vec![];
    assert!(until(&cols_out, &mut seen, Duration::from_secs(20), |l| l.starts_with("before")), "{seen:?}");
    let mut traced = vec![];
    assert!(until(&trace_out, &mut traced, Duration::from_secs(20), |l| l.contains("endpoints")), "{traced:?}");

    restart_api_server();
    run_pod(&c, n, "after");

    // cols: the interruption is said, the watch resumes, and the pod created afterwards arrives.
    let mut seen = vec![];
    let arrived = until(&cols_out, &mut seen, Duration::from_secs(60), |l| l.starts_with("after"));
    let warnings: Vec<String> = cols_err.try_iter().collect();
    assert!(arrived, "cols did not print the new pod: {seen:?}\n{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("the watch was interrupted")), "{warnings:?}");
    assert!(cols.try_wait().expect("wait").is_none(), "cols --watch ended");

    // trace-svc: traces again once reconnected (a change may have been missed), and on the pod.
    let mut seen = vec![];
    let again = until(&trace_out, &mut seen, Duration::from_secs(60), |l| {
        l.contains("--- reconnected ---") || l.contains("--- changed ---")
    });
    let warnings: Vec<String> = trace_err.try_iter().collect();
    assert!(again, "trace-svc did not trace again: {seen:?}\n{warnings:?}");
    assert!(trace.try_wait().expect("wait").is_none(), "trace-svc --watch ended: {warnings:?}");
    let _ = cols.kill();
    let _ = trace.kill();
}

fn labels(c: &Cluster, ns: &str, pod: &str) -> Value {
    let v: Value = serde_json::from_str(&c.kubectl_ok(&["-n", ns, "get", "pod", pod, "-o", "json"])).expect("json");
    v["metadata"].clone()
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_patch_cut_off_by_a_restart_is_whole_or_absent() {
    let c = require_cluster!("a_patch_cut_off_by_a_restart_is_whole_or_absent");
    let _turn = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    let ns = c.namespace("fault-patch");
    let n = &ns.name;
    run_pod(&c, n, "web-1");
    c.kubectl_ok(&["-n", n, "create", "service", "clusterip", "web", "--tcp=80:8080"]);
    let before = labels(&c, n, "web-1");
    let cache = tempfile::tempdir().expect("cache");
    // detach reads the pod, waits 2 s (a test-only pause), then patches: into the restart,
    // which starts once its -v=6 line says the pod was read.
    let mut child = c
        .plugin("detach", cache.path())
        .args(["-n", n, "pod", "web-1", "-v=6"])
        .env("KUBECTL_DETACH_TEST_PAUSE_MS", "2000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let err_lines = lines(child.stderr.take().expect("stderr"));
    let mut seen = vec![];
    let read =
        until(&err_lines, &mut seen, Duration::from_secs(30), |l| got(l, &format!("/namespaces/{n}/pods/web-1")));
    assert!(read, "detach never read the pod: {seen:?}");
    restart_api_server();
    let out: Output = child.wait_with_output().expect("detach ends");
    let err_text: String = seen.into_iter().chain(err_lines.iter()).map(|l| l + "\n").collect();
    let after = labels(&c, n, "web-1");
    let marker = after["labels"]["kubectl-kit/detached"].as_str();
    let record = after["annotations"]["kubectl-kit/original-labels"].as_str();
    if out.status.success() {
        assert_eq!(marker, Some("true"), "{after}");
        assert!(record.is_some(), "detached without its record: {after}");
        assert!(after["labels"]["app"].is_null(), "{after}");
    } else {
        assert_eq!(out.status.code(), Some(1), "{err_text}");
        let err = &err_text;
        assert!(err.contains("could not reach the API server") || err.contains("Error from server"), "unclear: {err}");
        assert_eq!(after["labels"], before["labels"], "a failed detach changed labels");
        assert!(record.is_none(), "a failed detach left a record: {after}");
    }
    assert!(!err_text.contains("panicked"), "{err_text}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_list_cut_off_by_a_restart_is_whole_or_an_error() {
    let c = require_cluster!("a_list_cut_off_by_a_restart_is_whole_or_an_error");
    let _turn = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    let ns = c.namespace("fault-list");
    let n = &ns.name;
    // 400 ConfigMaps listed one per page: 400 requests, long enough to be cut by the restart.
    let mut manifest = String::new();
    for i in 0..400 {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i:03}}}\ndata: {{k: v{i}}}\n"
        ));
    }
    c.apply(n, &manifest);
    let cache = tempfile::tempdir().expect("cache");
    let spec = "custom-columns=NAME:.metadata.name,K:.data.k";
    let child = c
        .plugin("cols", cache.path())
        .args(["-n", n, "configmaps", "-o", spec, "--chunk-size=1", "-v=6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut child = child;
    let err_lines = lines(child.stderr.take().expect("stderr"));
    let mut seen = vec![];
    assert!(until(&err_lines, &mut seen, Duration::from_secs(20), |l| l.contains("Response")), "{seen:?}");
    restart_api_server();
    let out = child.wait_with_output().expect("cols ends");
    let err: Vec<String> = seen.into_iter().chain(err_lines.try_iter()).collect();
    let expected = c.kubectl_ok(&["-n", n, "get", "configmaps", "-o", spec]);
    if out.status.success() {
        assert_eq!(stdout(&out), expected, "a list that completed differs from kubectl's");
    } else {
        assert_eq!(out.status.code(), Some(1), "{err:?}");
        let text = err.join("\n");
        assert!(text.contains("error: could not reach the API server") || text.contains("error: "), "unclear: {text}");
        // As kubectl does, the rows listed before the failure are printed: whole rows, in order,
        // the beginning of what the complete list prints; never a broken row.
        // Column widths follow the rows printed, so rows are compared cell by cell.
        let partial = stdout(&out);
        assert!(partial.is_empty() || partial.ends_with('\n'), "a broken row:\n{partial}");
        let cells = |text: &str| -> Vec<Vec<String>> {
            text.lines().map(|l| l.split_whitespace().map(String::from).collect()).collect()
        };
        let (got, all) = (cells(&partial), cells(&expected));
        assert!(all.starts_with(&got), "rows that kubectl would not print:\n{partial}");
    }
}

/// Removes the API Priority and Fairness objects of the test, even when it fails.
struct Apf<'a>(&'a Cluster);

impl Drop for Apf<'_> {
    fn drop(&mut self) {
        self.0.kubectl(&["delete", "flowschema,prioritylevelconfiguration", "kit-starved", "--ignore-not-found"]);
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn throttling_by_api_priority_and_fairness_is_waited_out_with_a_message() {
    let c = require_cluster!("throttling_by_api_priority_and_fairness_is_waited_out_with_a_message");
    let _turn = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    let ns = c.namespace("fault-apf");
    let n = &ns.name;
    // A big list (24 ConfigMaps of 900 KiB) for slow readers to hold the seats with.
    let dir = tempfile::tempdir().expect("tempdir");
    let value = "x".repeat(900 * 1024);
    for i in 0..24 {
        let file = dir.path().join(format!("cm-{i}.yaml"));
        std::fs::write(
            &file,
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big-{i:02}}}\ndata: {{v: {value}}}\n"),
        )
        .expect("write");
        c.kubectl_ok(&["-n", n, "create", "-f", file.to_str().expect("utf-8")]);
    }
    c.grant_kit_user(n, "read", "- {apiGroups: [''], resources: [configmaps], verbs: [get, list]}");
    // kit-user's requests get a priority level with the fewest seats the server allows, and
    // are rejected (429) rather than queued when those are busy.
    let _apf = Apf(&c);
    c.apply(
        "default",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata: {name: kit-starved}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 0
    lendablePercent: 0
    borrowingLimitPercent: 0
    limitResponse: {type: Reject}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata: {name: kit-starved}
spec:
  priorityLevelConfiguration: {name: kit-starved}
  matchingPrecedence: 100
  distinguisherMethod: {type: ByUser}
  rules:
  - subjects: [{kind: User, user: {name: kit-user}}]
    resourceRules: [{verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true}]
    nonResourceRules: [{verbs: ['*'], nonResourceURLs: ['*']}]
",
    );
    // The level is in force once the server's dump lists it.
    let dump = || c.kubectl_ok(&["get", "--raw", "/debug/api_priority_and_fairness/dump_priority_levels"]);
    let level = |text: &str| -> Vec<u64> {
        text.lines()
            .find(|l| l.starts_with("kit-starved,"))
            .map(|l| l.split(',').skip(1).filter_map(|f| f.trim().parse().ok()).collect())
            .unwrap_or_default()
    };
    converge("the kit-starved priority level in the server's dump", Duration::from_secs(60), dump, |d| {
        !level(d).is_empty()
    });
    // Readers that take the big list at 1 KiB/s hold kit-user's seats; more are started until
    // the server rejects one, which shows every seat is taken.
    let pki = root().join("target/cluster/pki");
    let server = c.kubectl_ok(&["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]);
    let reader = || {
        Command::new("curl")
            .args(["-s", "-o", "/dev/null", "--limit-rate", "1K", "--cacert"])
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("user.crt"))
            .arg("--key")
            .arg(pki.join("user.key"))
            .arg(format!("{server}/api/v1/namespaces/{n}/configmaps"))
            .spawn()
            .expect("curl runs")
    };
    // Columns after the name: ActiveQueues, IsIdle, IsQuiescing, WaitingRequests,
    // ExecutingRequests, DispatchedRequests, RejectedRequests (booleans do not parse, so:
    // ActiveQueues, WaitingRequests, ExecutingRequests, DispatchedRequests, RejectedRequests…).
    let rejected = |text: &str| level(text).get(4).copied().unwrap_or(0);
    let before = rejected(&dump());
    let mut readers: Vec<Child> = vec![];
    let deadline = Instant::now() + Duration::from_secs(60);
    while rejected(&dump()) == before {
        assert!(Instant::now() < deadline, "the readers never filled kit-user's seats:\n{}", dump());
        readers.push(reader());
        std::thread::sleep(Duration::from_millis(700));
    }
    let cache = tempfile::tempdir().expect("cache");
    let spec = "custom-columns=NAME:.metadata.name";
    let mut cols = c
        .plugin("cols", cache.path())
        .args(["--context", "kubectl-kit-user", "-n", n, "configmaps", "-o", spec])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let err = lines(cols.stderr.take().expect("stderr"));
    let mut seen = vec![];
    let throttled = until(&err, &mut seen, Duration::from_secs(25), |l| l.contains("429"));
    for r in &mut readers {
        let _ = r.kill();
        let _ = r.wait();
    }
    assert!(throttled, "no 429 while the seats were held: {seen:?}");
    // The wait is said, with its bound.
    let warning = seen.iter().find(|l| l.contains("429")).expect("warning");
    assert!(warning.starts_with("Warning: the server answered 429"), "{warning}");
    assert!(warning.contains("retrying in") && warning.contains("of at most"), "{warning}");
    let out = cols.wait_with_output().expect("cols ends");
    let all: Vec<String> = seen.into_iter().chain(err.try_iter()).collect();
    assert!(out.status.success(), "cols did not complete once the seats were free: {all:?}");
    let expected = c.kubectl_ok(&["-n", n, "get", "configmaps", "-o", spec]);
    assert_eq!(stdout(&out), expected);
}
