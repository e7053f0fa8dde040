//! Reads across kubeconfig contexts and namespaces (`--contexts`, `--all-contexts`, `-n a,b`)
//! on three real clusters side by side (`cargo xtask cluster up --fleet 3`): merged tables,
//! each fault of one context beside the others' rows, and the exit status.

use std::process::Output;
use std::time::{Duration, Instant};

use kubectl_kit_tests::converge::converge;
use kubectl_kit_tests::delay::Delay;
use kubectl_kit_tests::fleet::{Fleet, fleet};
use kubectl_kit_tests::{Cluster, stderr, stdout};

const MEMBERS: &str = "kit-1,kit-2,kit-3";

/// A snapshot of what a plugin printed across the fleet: its namespaces are `[ns]`, `[ns2]`…,
/// addresses `[ip]`.
fn snapshot(name: &str, namespaces: &[&str], text: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    for (i, ns) in namespaces.iter().enumerate() {
        let to = if i == 0 { "[ns]".to_string() } else { format!("[ns{}]", i + 1) };
        s.add_filter(&kubectl_kit_tests::snapshot::regex_escape(ns), to);
    }
    s.add_filter(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "[ip]");
    // The NAMESPACE column's padding follows the namespaces' lengths, which change from run to
    // run; the other columns' does not.
    s.add_filter(r"(NAMESPACE|\[ns\d*\]) {2,}", "$1  ");
    s.bind(|| insta::assert_snapshot!(name, text));
}

/// A namespace of the same name in each of `members`, deleted on drop.
struct Spread {
    name: String,
    members: Vec<Cluster>,
}

impl Spread {
    fn new(f: &Fleet, prefix: &str, members: &[&str]) -> Spread {
        let name = format!("{prefix}-{}-{}", std::process::id(), nanos());
        let members: Vec<Cluster> = members.iter().map(|m| f.member(m).clone()).collect();
        for c in &members {
            c.kubectl_ok(&["create", "namespace", &name]);
            converge(
                "default service account",
                Duration::from_secs(60),
                || c.kubectl(&["-n", &name, "get", "serviceaccount", "default"]).status.success(),
                |ok| *ok,
            );
        }
        Spread { name, members }
    }
}

impl Drop for Spread {
    fn drop(&mut self) {
        for c in &self.members {
            let _ = c.kubectl(&["delete", "namespace", &self.name, "--wait=false"]);
        }
    }
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 1_000_000)
        .unwrap_or(0)
}

/// A pod as `kubectl detach` leaves it: the marker label and the record of its labels.
fn detached_pod(c: &Cluster, namespace: &str, name: &str) {
    c.apply(
        namespace,
        &format!(
            r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{kubectl-kit/detached: "true", role: debug}}
  annotations:
    kubectl-kit/original-labels: '{{"app":"web","role":"debug"}}'
    kubectl-kit/detached-at: "2020-01-01T00:00:00Z"
    kubectl-kit/detached-by: tester
    kubectl-kit/detached-from: ReplicaSet/web-1
spec:
  containers: [{{name: c, image: registry.invalid/none:1}}]
"#
        ),
    );
}

fn run(f: &Fleet, cache: &std::path::Path, args: &[&str]) -> Output {
    f.plugin("detach", cache).args(args).output().expect("runs")
}

/// The first column of each row after the header.
fn first_column(text: &str) -> Vec<String> {
    text.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(String::from)).collect()
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn detach_list_is_one_table_across_contexts() {
    let f = fleet("detach_list_is_one_table_across_contexts");
    let ns = Spread::new(&f, "fleet-list", &["kit-1", "kit-2", "kit-3"]);
    for (i, (_, c)) in f.members.iter().take(3).enumerate() {
        detached_pod(c, &ns.name, &format!("pod-{}", 3 - i));
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let out = run(&f, cache.path(), &["list", "--contexts", "kit-[0-9]", "-n", &ns.name]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header[..3], ["CONTEXT", "NAME", "STATUS"], "{text}");
    assert_eq!(first_column(&text), ["kit-1", "kit-2", "kit-3"], "{text}");
    assert_eq!(text.matches("CONTEXT").count(), 1, "one header: {text}");
    // The columns line up across contexts: every row's NAME starts where the header's does.
    let at = text.lines().next().and_then(|h| h.find("NAME")).expect("NAME");
    assert!(text.lines().skip(1).all(|l| l.get(at..).is_some_and(|r| r.starts_with("pod-"))), "{text}");
    let out = run(&f, cache.path(), &["list", "--contexts", MEMBERS, "-n", &ns.name, "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tagged: Vec<(String, String)> = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["context"].as_str().unwrap_or("").to_string(), i["name"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        tagged,
        [("kit-1".into(), "pod-3".into()), ("kit-2".into(), "pod-2".into()), ("kit-3".into(), "pod-1".into())]
    );
    let out = run(&f, cache.path(), &["list", "--contexts", MEMBERS, "-n", &ns.name, "--no-headers"]);
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
    // Without fleet flags: the one context, the table as before.
    let out = run(&f, cache.path(), &["list", "-n", &ns.name]);
    let text = stdout(&out);
    assert!(text.starts_with("NAME "), "{text}");
    assert_eq!(first_column(&text), ["pod-3"]);
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn a_dead_server_and_a_user_without_rights_never_hide_the_other_contexts() {
    let f = fleet("a_dead_server_and_a_user_without_rights_never_hide_the_other_contexts");
    let ns = Spread::new(&f, "fleet-faults", &["kit-1", "kit-2"]);
    detached_pod(f.member("kit-2"), &ns.name, "survivor");
    let cache = tempfile::tempdir().expect("tempdir");
    let out = run(&f, cache.path(), &["list", "--contexts", "dead,kit-1-user,kit-2,ghost-*", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(1), "partial failure: {}", stderr(&out));
    assert_eq!(first_column(&stdout(&out)), ["kit-2"], "{}", stdout(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], "error: no context matches \"ghost-*\"");
    assert_eq!(lines[1], "error: context dead: could not reach the API server https://127.0.0.1:1: connection refused");
    assert!(
        lines[2].starts_with("error: context kit-1-user: Error from server (Forbidden): pods is forbidden: User \"kit-user\" cannot list resource \"pods\""),
        "{err}"
    );
    assert!(err.contains("hint: did you specify the right host or port?"), "{err}");
    assert!(!err.contains("BEGIN") && !err.to_lowercase().contains("bearer"), "no credential: {err}");
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn namespaces_by_list_and_glob_with_the_forbidden_ones_named() {
    let f = fleet("namespaces_by_list_and_glob_with_the_forbidden_ones_named");
    let one = Spread::new(&f, "fleet-ns-a", &["kit-1", "kit-2"]);
    let two = Spread::new(&f, "fleet-ns-b", &["kit-1"]);
    let kit1 = f.member("kit-1");
    detached_pod(kit1, &one.name, "in-a");
    detached_pod(kit1, &two.name, "in-b");
    detached_pod(f.member("kit-2"), &one.name, "in-a-too");
    kit1.grant_kit_user(&one.name, "read-pods", "- {apiGroups: [\"\"], resources: [pods], verbs: [list, get]}");
    let cache = tempfile::tempdir().expect("tempdir");
    let both = format!("{},{}", one.name, two.name);
    // Two namespaces in two contexts: CONTEXT and NAMESPACE columns.
    let out = run(&f, cache.path(), &["list", "--contexts", "kit-1,kit-2", "-n", &both]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("CONTEXT "), "{text}");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split_whitespace().take(3).collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["kit-1", one.name.as_str(), "in-a"],
            vec!["kit-1", two.name.as_str(), "in-b"],
            vec!["kit-2", one.name.as_str(), "in-a-too"],
        ]
    );
    // A glob matches the namespaces the admin can list.
    let glob = format!("fleet-ns-?-{}-*", std::process::id());
    let out = run(&f, cache.path(), &["list", "--context", "kit-1", "--namespaces", &glob]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let names: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(names, ["in-a", "in-b"], "{text}");
    // The user with rights in one namespace: its rows, the other named, exit 1.
    converge(
        "kit-user's Role",
        Duration::from_secs(30),
        || kit1.kubectl(&["--as", "kit-user", "-n", &one.name, "get", "pods"]).status.success(),
        |ok| *ok,
    );
    let out = run(&f, cache.path(), &["list", "--context", "kit-1-user", "-n", &both]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect::<Vec<_>>(), ["in-a"]);
    let err = stderr(&out);
    assert!(
        err.starts_with("Error from server (Forbidden): pods is forbidden: User \"kit-user\"")
            && err.contains(&format!("in the namespace \"{}\"", two.name)),
        "{err}"
    );
    // It cannot list namespaces: a glob is named, an exact name still works.
    let out = run(&f, cache.path(), &["list", "--context", "kit-1-user", "-n", &format!("{},fleet-*", one.name)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot match namespaces \"fleet-*\": the namespaces cannot be listed"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("in-a"), "{}", stdout(&out));
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn a_slow_context_costs_its_timeout_and_ctrl_c_stops_every_context() {
    let f = fleet("a_slow_context_costs_its_timeout_and_ctrl_c_stops_every_context");
    let ns = Spread::new(&f, "fleet-slow", &["kit-1"]);
    detached_pod(f.member("kit-1"), &ns.name, "prompt");
    let kit2 = f.member("kit-2");
    let server = kit2.kubectl_ok(&["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]);
    let upstream = server.trim().trim_start_matches("https://").to_string();
    // The proxy never answers in the time of a test: only the context's timeout ends its read.
    let proxy = Delay::start(&upstream, Duration::from_secs(3600));
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = f.with_context_at(dir.path(), "slow", "kit-2", &proxy.address);
    let child = f
        .plugin_with("detach", dir.path(), &kubeconfig)
        .args(["list", "--contexts", "kit-1,slow", "-n", &ns.name, "--request-timeout", "3s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let out = finished_within(child, Duration::from_secs(120), "the slow context held the others up past its timeout");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(first_column(&stdout(&out)), ["kit-1"]);
    // Whichever gives up first, the request's own timeout or the context's, names it.
    let err = stderr(&out);
    assert!(
        err.starts_with("error: context slow:")
            && (err.contains("no answer within 3s (--request-timeout)") || err.contains("timed out")),
        "{err}"
    );
    assert!(proxy.accepted() >= 1, "the slow context went through the proxy");
    // Ctrl-C while a context hangs (no timeout at all): the process ends at once.
    let mut child = f
        .plugin_with("detach", dir.path(), &kubeconfig)
        .args(["list", "--contexts", "kit-1,slow", "-n", &ns.name, "--request-timeout", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let waiting = Instant::now();
    while proxy.accepted() < 2 {
        assert!(waiting.elapsed() < Duration::from_secs(30), "the read never reached the slow context");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("sh").args(["-c", "kill -s INT \"$1\"", "sh", &pid]).status().expect("kill");
    assert!(sent.success());
    let interrupted = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        // A liveness bound: without Ctrl-C working the read waits forever on the proxy.
        assert!(interrupted.elapsed() < Duration::from_secs(60), "Ctrl-C did not stop the read");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "interrupted: {status:?}");
}

/// Waits for `child` to end, at most `bound` (a liveness bound, not a measure: a read that
/// works ends long before it), and returns its output; kills it and fails naming `what` if not.
fn finished_within(mut child: std::process::Child, bound: Duration, what: &str) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > bound {
            let _ = child.kill();
            panic!("{what}: still running after {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("output")
}

/// A CRD (`widgets.GROUP`, short name `short`) in one cluster, deleted on drop.
struct Crd {
    name: String,
    cluster: Cluster,
}

impl Crd {
    fn new(c: &Cluster, group: &str, short: &str) -> Crd {
        c.apply(
            "default",
            &format!(
                "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, shortNames: [{short}]}}
  versions: [{{name: v1, served: true, storage: true, schema: {{openAPIV3Schema: {{type: object}}}}}}]
"
            ),
        );
        converge(
            &format!("widgets.{group} in discovery"),
            Duration::from_secs(60),
            || stdout(&c.kubectl(&["api-resources", "--api-group", group, "-o", "name"])).contains("widgets"),
            |ok| *ok,
        );
        Crd { name: format!("widgets.{group}"), cluster: c.clone() }
    }
}

impl Drop for Crd {
    fn drop(&mut self) {
        let _ = self.cluster.kubectl(&["delete", "crd", &self.name, "--wait=false"]);
    }
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn shortname_shows_where_clusters_differ() {
    let f = fleet("shortname_shows_where_clusters_differ");
    let tag = format!("{}{}", std::process::id(), nanos());
    let short = format!("fw{tag}");
    let (g2, g3) = (format!("a{tag}.fleet.test"), format!("b{tag}.fleet.test"));
    let _two = Crd::new(f.member("kit-2"), &g2, &short);
    let _three = Crd::new(f.member("kit-3"), &g3, &short);
    let cache = tempfile::tempdir().expect("tempdir");
    let shortname = |args: &[&str]| f.plugin("shortname", cache.path()).args(args).output().expect("runs");

    let out = shortname(&["--contexts", MEMBERS, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let served = |group: &str, name: &str| -> Vec<String> {
        doc["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["group"].as_str().unwrap_or("") == group && r["name"] == name)
            .flat_map(|r| r["contexts"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c.as_str().map(String::from))
            .collect()
    };
    assert_eq!(served(&g2, "widgets"), ["kit-2"]);
    assert_eq!(served(&g3, "widgets"), ["kit-3"]);
    assert_eq!(served("", "pods"), ["kit-1", "kit-2", "kit-3"], "the same everywhere: one entry");
    let table = stdout(&shortname(&["--contexts", MEMBERS]));
    let pods = table.lines().find(|l| l.starts_with("pods ")).expect("pods row");
    assert!(pods.trim_end().ends_with(" all"), "{pods}");

    let out = shortname(&["conflicts", "--contexts", MEMBERS]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Vec<String>> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with(&short))
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec![short.clone(), "<none>".into(), "kit-1".into()],
            vec![short.clone(), format!("widgets.{g2}"), "kit-2".into()],
            vec![short.clone(), format!("widgets.{g3}"), "kit-3".into()],
        ],
        "{}",
        stdout(&out)
    );

    let out = shortname(&[&short, "--contexts", MEMBERS]);
    assert_eq!(out.status.code(), Some(1), "unknown in kit-1");
    assert_eq!(first_column(&stdout(&out)), ["kit-2", "kit-3"], "{}", stdout(&out));
    assert!(stderr(&out).starts_with("error: context kit-1: "), "{}", stderr(&out));
}

/// A Deployment `web` with two pods and its Service, in `ns` of `c`: two ready endpoints with a
/// readiness probe, which trace-svc calls ok (one, or none without a probe, is a warning).
fn serve_web(c: &Cluster, ns: &str, selector: &str) {
    c.apply(
        ns,
        &format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{{containerPort: 80}}]
        readinessProbe: {{httpGet: {{path: /, port: 80}}}}
      tolerations: [{{operator: Exists}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: {selector}}}
  ports: [{{port: 80, targetPort: 80}}]
"#
        ),
    );
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn trace_svc_summarises_every_context_and_details_the_failing_ones() {
    let f = fleet("trace_svc_summarises_every_context_and_details_the_failing_ones");
    let ns = Spread::new(&f, "fleet-trace", &["kit-1", "kit-2", "kit-3"]);
    // kit-1 serves web; kit-2's Service selects no pod; kit-3 has no such Service.
    let (kit1, kit2) = (f.member("kit-1"), f.member("kit-2"));
    serve_web(kit1, &ns.name, "web");
    serve_web(kit2, &ns.name, "nothing");
    kit1.wait_endpoints(&ns.name, "web", kubectl_kit_tests::converge::Counts::listing(2, 2));
    kit2.wait_replicas(&ns.name, "deployment/web", 2);
    let cache = tempfile::tempdir().expect("tempdir");
    let trace = |extra: &[&str]| {
        let mut args = vec!["web", "-n", &ns.name, "--contexts", "kit-1,kit-2,kit-3,dead", "--request-timeout=5s"];
        args.extend_from_slice(extra);
        f.plugin("trace_svc", cache.path()).args(&args).output().expect("runs")
    };
    let out = trace(&[]);
    // The worst verdict is the exit status; the dead context is one line of its own.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.starts_with("error: context dead:")), "{err}");
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text.lines().take(4).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0][..3], ["CONTEXT", "VERDICT", "READY/TOTAL"], "{text}");
    assert_eq!(rows[1][..3], ["kit-1", "ok", "2/2"], "{text}");
    assert_eq!(rows[2][..2], ["kit-2", "fail"], "{text}");
    assert_eq!(rows[3][..3], ["kit-3", "not", "found"], "{text}");
    assert!(rows[3].join(" ").contains("no such Service in this context"), "{text}");
    // The full trace follows for the failing context only.
    assert!(text.contains("--- context kit-2 ---"), "{text}");
    assert!(!text.contains("--- context kit-1 ---") && !text.contains("--- context kit-3 ---"), "{text}");
    let summary: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    snapshot("fleet_trace_summary", &[&ns.name], &format!("{}\n--- stderr ---\n{err}", summary.join("\n")));
    // -o json: one trace per context that answered, in context order.
    let out = trace(&["-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let verdicts: Vec<(&str, &str)> = doc
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| (t["context"].as_str().unwrap_or(""), t["verdict"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(verdicts, [("kit-1", "ok"), ("kit-2", "fail"), ("kit-3", "not found")]);
    assert_eq!(doc[0]["trace"]["service"], format!("{}/web", ns.name), "{doc:#}");
    // One context that serves it: exit 0.
    let out = f
        .plugin("trace_svc", cache.path())
        .args(["web", "-n", &ns.name, "--contexts", "kit-1"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

/// A ConfigMap `name` in `ns` of `c`, labelled `tier`.
fn config_map(c: &Cluster, ns: &str, name: &str, tier: &str) {
    c.apply(
        ns,
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{tier: {tier}}}}}\ndata: {{a: b}}\n"
        ),
    );
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn cols_prints_one_table_across_contexts_and_namespaces() {
    let f = fleet("cols_prints_one_table_across_contexts_and_namespaces");
    let ns = Spread::new(&f, "fleet-cols", &["kit-1", "kit-2", "kit-3"]);
    let other = Spread::new(&f, "fleet-cols-b", &["kit-2"]);
    // Names that sort across clusters differently from the contexts' order.
    for (member, name) in [("kit-1", "zeta"), ("kit-2", "alpha"), ("kit-3", "a-much-longer-name")] {
        config_map(f.member(member), &ns.name, name, member);
    }
    config_map(f.member("kit-2"), &other.name, "beta", "b");
    let cache = tempfile::tempdir().expect("tempdir");
    let cols = |args: &[&str]| f.plugin("cols", cache.path()).args(args).output().expect("runs");
    let sel = ["-l", "tier"];
    let mut args = vec!["cm", "-n", &ns.name, "--contexts", MEMBERS];
    args.extend(sel);
    let out = cols(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["CONTEXT", "NAME", "AGE"], "{text}");
    assert_eq!(first_column(&text), ["kit-1", "kit-2", "kit-3"], "{text}");
    // One header, and every row's NAME where the header's is (widths across all contexts).
    assert_eq!(text.matches("CONTEXT").count(), 1, "{text}");
    let at = text.lines().next().and_then(|h| h.find("NAME")).expect("NAME");
    let names: Vec<&str> = text.lines().skip(1).filter_map(|l| l.get(at..)?.split_whitespace().next()).collect();
    assert_eq!(names, ["zeta", "alpha", "a-much-longer-name"], "{text}");
    // --sort-by orders every row, whatever its context.
    let mut sorted = args.clone();
    sorted.extend(["--sort-by", ".metadata.name", "--no-headers", "-o", "custom-columns=N:.metadata.name"]);
    let out = cols(&sorted);
    let rows: Vec<Vec<String>> =
        stdout(&out).lines().map(|l| l.split_whitespace().map(String::from).collect()).collect();
    let mut table = args.clone();
    table.extend([
        "--sort-by",
        ".metadata.name",
        "-o",
        "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier",
    ]);
    snapshot("fleet_cols_sorted", &[&ns.name], &stdout(&cols(&table)));
    assert_eq!(
        rows,
        [["kit-3", "a-much-longer-name"], ["kit-2", "alpha"], ["kit-1", "zeta"]].map(|r| r.map(String::from).to_vec()),
        "{}",
        stdout(&out)
    );
    // Data formats carry the context on every row; -o name is tagged too.
    let mut json = args.clone();
    json.extend(["-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&cols(&json).stdout).expect("json");
    let tagged: Vec<(&str, &str)> = doc
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["CONTEXT"].as_str().unwrap_or(""), r["NAME"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(tagged, [("kit-1", "zeta"), ("kit-2", "alpha"), ("kit-3", "a-much-longer-name")]);
    let mut name = args.clone();
    name.extend(["-o", "name"]);
    let named = stdout(&cols(&name));
    assert_eq!(
        named.lines().nth(1).map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["kit-2", "configmap/alpha"])
    );
    // -o jsonpath: each context's List, in the contexts' order.
    let mut template = args.clone();
    template.extend(["-o", "jsonpath={range .items[*]}{.metadata.name};{end}"]);
    assert_eq!(stdout(&cols(&template)), "zeta;alpha;a-much-longer-name;");
    // Several namespaces: NAMESPACE after CONTEXT.
    let both = format!("{},{}", ns.name, other.name);
    let out = cols(&["cm", "-n", &both, "--contexts", "kit-2", "-l", "tier"]);
    let text = stdout(&out);
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["CONTEXT", "NAMESPACE", "NAME", "AGE"], "{text}");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split_whitespace().take(3).collect()).collect();
    assert_eq!(
        rows,
        [vec!["kit-2", ns.name.as_str(), "alpha"], vec!["kit-2", other.name.as_str(), "beta"]],
        "each row's own namespace: {text}"
    );
    let out = cols(&[
        "cm",
        "-n",
        &both,
        "--contexts",
        MEMBERS,
        "-l",
        "tier",
        "-o",
        "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier",
    ]);
    snapshot("fleet_cols_namespaces", &[&ns.name, &other.name], &stdout(&out));
    // A dead context and one whose user may read nothing: the others' rows, their lines, exit 1.
    let out = cols(&["cm", "-n", &ns.name, "--contexts", "kit-1,kit-1-user,dead", "-l", "tier"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(first_column(&stdout(&out)), ["kit-1"], "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.starts_with("error: context dead: could not reach the API server")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("error: context kit-1-user: Error from server (Forbidden)")), "{err}");
    let out = cols(&[
        "cm",
        "-n",
        &ns.name,
        "--contexts",
        "kit-1,kit-1-user,dead",
        "-l",
        "tier",
        "-o",
        "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier",
    ]);
    snapshot("fleet_cols_faults", &[&ns.name], &format!("{}--- stderr ---\n{}", stdout(&out), stderr(&out)));
    // A named object missing from one context is that context's line; the others print.
    let out = cols(&["cm", "zeta", "-n", &ns.name, "--contexts", "kit-1,kit-2"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(first_column(&stdout(&out)), ["kit-1"]);
    assert!(
        stderr(&out).starts_with("error: context kit-2: Error from server (NotFound): configmaps \"zeta\" not found"),
        "{}",
        stderr(&out)
    );
    // A watch across contexts prints rows: the object formats, which cannot say which context
    // an object came from, are refused.
    let out = cols(&["cm", "-n", &ns.name, "--contexts", MEMBERS, "-w", "-o", "jsonpath={.metadata.name}"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A `cols … -w` across contexts, its stdout and stderr read line by line as they come.
struct Watching {
    child: std::process::Child,
    out: std::sync::mpsc::Receiver<String>,
    err: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
    said: Vec<String>,
}

impl Watching {
    fn start(f: &Fleet, cache: &std::path::Path, args: &[&str]) -> Watching {
        let mut child = f
            .plugin("cols", cache)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawns");
        let out = kubectl_kit_tests::stdout_lines(&mut child);
        let err = kubectl_kit_tests::lines(child.stderr.take().expect("stderr piped"));
        Watching { child, out, err, seen: vec![], said: vec![] }
    }

    /// Waits for a row whose words start with `words` (a liveness bound: a watch that works
    /// prints it within seconds), and returns it; fails naming the row that never came.
    fn row(&mut self, words: &[&str]) -> String {
        let hit = |l: &str| l.split_whitespace().zip(words).filter(|(a, b)| a == *b).count() == words.len();
        if !kubectl_kit_tests::until(&self.out, &mut self.seen, Duration::from_secs(60), hit) {
            panic!("no row {words:?} on stdout; it printed {:#?}; stderr {:#?}", self.seen, self.said);
        }
        self.seen.iter().rev().find(|l| hit(l)).cloned().unwrap_or_default()
    }

    /// Waits for a line on stderr that starts with `start`; fails naming it if it never came.
    fn error(&mut self, start: &str) {
        if !kubectl_kit_tests::until(&self.err, &mut self.said, Duration::from_secs(60), |l| l.starts_with(start)) {
            panic!("no line {start:?} on stderr; it printed {:#?}", self.said);
        }
    }
}

impl Watching {
    /// Ctrl-C: every context's watch ends with the process (a liveness bound, not a measure).
    fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("sh").args(["-c", "kill -s INT \"$1\"", "sh", &pid]).status();
        assert!(sent.expect("kill").success());
        let interrupted = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            assert!(interrupted.elapsed() < Duration::from_secs(60), "Ctrl-C did not stop the watches");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn cols_watches_every_context_at_once_and_tags_each_row_with_its_context() {
    let f = fleet("cols_watches_every_context_at_once_and_tags_each_row_with_its_context");
    let ns = Spread::new(&f, "fleet-watch", &["kit-1", "kit-2", "kit-3"]);
    for member in ["kit-1", "kit-2", "kit-3"] {
        config_map(f.member(member), &ns.name, "seed", member);
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let mut w =
        Watching::start(&f, cache.path(), &["cm", "-n", &ns.name, "-l", "tier", "--contexts", "kit-[0-9]", "-w"]);
    // First the merged table, as without -w: one header, CONTEXT first, the contexts' order.
    let header = w.row(&["CONTEXT", "NAME", "AGE"]);
    for member in ["kit-1", "kit-2", "kit-3"] {
        w.row(&[member, "seed"]);
    }
    assert_eq!(w.seen.iter().filter(|l| l.starts_with("CONTEXT")).count(), 1, "{:#?}", w.seen);
    // Then each change, in the context it happened in, as one row under the table's columns.
    config_map(f.member("kit-3"), &ns.name, "late-three", "x");
    config_map(f.member("kit-1"), &ns.name, "late-one", "x");
    let at = header.find("NAME").expect("NAME");
    for (member, name) in [("kit-3", "late-three"), ("kit-1", "late-one")] {
        let row = w.row(&[member, name]);
        assert!(row.get(at..).is_some_and(|r| r.starts_with(name)), "{row:?} under {header:?}");
    }
    f.member("kit-2").kubectl_ok(&["-n", &ns.name, "label", "configmap", "seed", "tier=changed", "--overwrite"]);
    w.row(&["kit-2", "seed"]);
    assert_eq!(w.seen.iter().filter(|l| l.starts_with("kit-2 ")).count(), 2, "{:#?}", w.seen);
    // Nothing on stderr so far: every context answered.
    let said: Vec<String> = w.err.try_iter().collect();
    assert!(said.is_empty(), "{said:#?}");
    assert!(!w.interrupt().success(), "interrupted");
    drop(w);
    // Several namespaces of one context: NAMESPACE from each change.
    let other = Spread::new(&f, "fleet-watch-b", &["kit-2"]);
    let both = format!("{},{}", ns.name, other.name);
    let mut w = Watching::start(&f, cache.path(), &["cm", "-n", &both, "-l", "tier", "--contexts", "kit-2", "-w"]);
    w.row(&["CONTEXT", "NAMESPACE", "NAME", "AGE"]);
    w.row(&["kit-2", &ns.name, "seed"]);
    config_map(f.member("kit-2"), &other.name, "elsewhere", "x");
    w.row(&["kit-2", &other.name, "elsewhere"]);
}

#[test]
#[ignore = "needs the test fleet (cargo xtask test)"]
fn a_context_whose_watch_fails_is_its_line_and_the_others_stream_on() {
    let f = fleet("a_context_whose_watch_fails_is_its_line_and_the_others_stream_on");
    let ns = Spread::new(&f, "fleet-watch-faults", &["kit-1", "kit-2"]);
    let kit1 = f.member("kit-1");
    // kit-user may list ConfigMaps in kit-1 but not watch them: its read works, its watch fails.
    kit1.grant_kit_user(&ns.name, "list-only", "- {apiGroups: [\"\"], resources: [configmaps], verbs: [list]}");
    converge(
        "kit-user's Role",
        Duration::from_secs(30),
        || kit1.kubectl(&["--as", "kit-user", "-n", &ns.name, "get", "configmaps"]).status.success(),
        |ok| *ok,
    );
    config_map(kit1, &ns.name, "listed", "kit-1");
    config_map(f.member("kit-2"), &ns.name, "seed", "kit-2");
    let cache = tempfile::tempdir().expect("tempdir");
    let args = ["cm", "-n", &ns.name, "-l", "tier", "--contexts", "dead,kit-1-user,kit-2", "-w"];
    let mut w = Watching::start(&f, cache.path(), &args);
    w.row(&["kit-1-user", "listed"]);
    w.row(&["kit-2", "seed"]);
    w.error("error: context dead: could not reach the API server https://127.0.0.1:1: connection refused");
    w.error("error: context kit-1-user: Error from server (Forbidden): configmaps is forbidden: User \"kit-user\" cannot watch");
    // kit-2 goes on.
    config_map(f.member("kit-2"), &ns.name, "after", "kit-2");
    w.row(&["kit-2", "after"]);
    drop(w);
    // Once every watch has ended, the exit status says one failed.
    let child = f
        .plugin("cols", cache.path())
        .args(["cm", "-n", &ns.name, "-l", "tier", "--contexts", "kit-1-user", "-w"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let out = finished_within(child, Duration::from_secs(120), "a watch that can only fail did not end");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(first_column(&stdout(&out)), ["kit-1-user"], "{}", stdout(&out));
    assert!(stderr(&out).starts_with("error: context kit-1-user: Error from server (Forbidden)"), "{}", stderr(&out));
}
