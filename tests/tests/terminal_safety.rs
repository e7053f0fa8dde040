//! Text written by other people (annotations, event messages) carries escape sequences, BEL,
//! backspace, CR, C1 controls and bidi overrides: table and tree output never shows them raw,
//! while JSON output keeps them exactly.

use std::time::Duration;

use kubectl_kit_tests::{Ran, require_cluster, stderr, stdout, steady};

const HOSTILE: &str = "\u{1b}[31mred\u{7}bell\u{8}bs\rcr\u{9b}csi\u{202e}bidi";
const RAW: [char; 6] = ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{202e}'];

fn clean(text: &str) -> bool {
    !text.chars().any(|c| RAW.contains(&c))
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn hostile_server_text_is_escaped_in_tables_and_exact_in_json() {
    let c = require_cluster!("terminal safety");
    let ns = c.namespace("hostile");
    let objects = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "stuck", "labels": {"app": "stuck"}, "annotations": {"note": HOSTILE}},
         "spec": {"nodeSelector": {"kit.example.com/no-such-node": "true"}, "containers": [{"name": "c", "image": "x"}]}},
        // A crash loop (kwok's stage; its YAML patches refuse control characters, so the
        // hostile text cannot be the termination message) whose latest BackOff event, written
        // by anyone who may create events, is hostile: trace-svc shows it as evidence. Its
        // timestamp makes it the latest beside the BackOff events kwok writes as the kubelet.
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "crashy", "labels": {"app": "stuck"}, "annotations": {"kit.example.com/fail": "crashloop"}},
         "spec": {"containers": [{"name": "c", "image": "x"}]}},
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "crashy.zz-hostile"},
         "involvedObject": {"kind": "Pod", "name": "crashy", "namespace": ns.name},
         "reason": "BackOff", "message": HOSTILE, "type": "Warning", "count": 1,
         "firstTimestamp": "2099-01-01T00:00:00Z", "lastTimestamp": "2099-01-01T00:00:00Z"},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "planted", "labels": {"kubectl-kit/detached": "true"},
                      "annotations": {"kubectl-kit/detached-by": HOSTILE, "kubectl-kit/detached-from": HOSTILE,
                                      "kubectl-kit/detached-at": "2026-01-01T00:00:00Z"}},
         "spec": {"nodeSelector": {"kit.example.com/no-such-node": "true"}, "containers": [{"name": "c", "image": "x"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stuck"},
         "spec": {"selector": {"app": "stuck"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "stuck.hostile"},
         "involvedObject": {"kind": "Pod", "name": "stuck", "namespace": ns.name},
         "reason": "Hostile", "message": HOSTILE, "type": "Warning"}]});
    c.apply(&ns.name, &ascii_json(&objects));
    c.wait_event(&ns.name, "Pod/stuck", "Hostile");
    let cache = tempfile::tempdir().expect("tempdir");

    for args in [
        vec!["pods", "--add", "NOTE:annotation:note"],
        vec!["pods", "stuck", "-o", "custom-columns=N:.metadata.name,NOTE:.metadata.annotations.note"],
        vec!["pods", "age", "--add", "annotation:note"],
    ] {
        let out = c.plugin("cols", cache.path()).args(["-n", &ns.name]).args(&args).output().expect("runs");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(clean(&stdout(&out)), "{args:?} printed raw controls: {:?}", stdout(&out));
        assert!(stdout(&out).contains("^[[31mred"), "{args:?}: ESC is shown as kubectl shows it: {:?}", stdout(&out));
    }
    let out = c
        .plugin("cols", cache.path())
        .args(["-n", &ns.name, "pods", "age", "--add", "NOTE:annotation:note", "-o", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let stuck = rows.as_array().and_then(|r| r.iter().find(|r| r["NAME"] == "stuck")).cloned().unwrap_or_default();
    assert_eq!(stuck["NOTE"], HOSTILE, "JSON keeps the exact text");
    let out = c
        .plugin("cols", cache.path())
        .args(["-n", &ns.name, "pods", "stuck", "-o", "jsonpath={.metadata.annotations.note}"])
        .output()
        .expect("runs");
    assert_eq!(
        stdout(&out),
        c.kubectl_ok(&["-n", &ns.name, "get", "pod", "stuck", "-o", "jsonpath={.metadata.annotations.note}"]),
        "jsonpath output stays kubectl's"
    );

    // The crash's evidence carries the event's message exactly in JSON, while the container
    // backs off (the stage runs it for a second between back-offs) and the hostile BackOff event
    // (named to list last: the latest) is there. Both traces are of that one state.
    kubectl_kit_tests::plugin_path("trace_svc");
    let trace =
        |args: &[&str]| Ran::run(c.plugin("trace_svc", cache.path()).args(["-n", &ns.name, "stuck"]).args(args));
    let (_, (json, text)) = steady(
        "crashy backing off",
        Duration::from_secs(90),
        || c.pods(&ns.name, "app=stuck"),
        |p| p.as_ref().is_ok_and(|p| p.iter().any(|p| p.name == "crashy" && p.waiting() == "CrashLoopBackOff")),
        |_| (trace(&["-o", "json"]), trace(&[])),
    );
    let v = json.json();
    let pods = v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == "pods")).cloned().unwrap_or_default();
    let causes = pods["causes"].as_array().cloned().unwrap_or_default();
    let crash = causes.iter().find(|c| c["cause"] == "CrashLoopBackOff").unwrap_or_else(|| panic!("{json:?}"));
    let evidence =
        crash["evidence"].as_array().into_iter().flatten().find_map(|e| e.as_str()?.strip_prefix("event BackOff ×1: "));
    assert_eq!(evidence, Some(HOSTILE), "JSON keeps the exact text: {crash}");
    assert_eq!(text.code, 1, "{text:?}");
    assert!(text.stdout.contains("bell"), "{text:?}");
    assert!(clean(&text.stdout), "trace printed raw controls: {:?}", text.stdout);

    let out = c.plugin("detach", cache.path()).args(["-n", &ns.name, "list"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(clean(&stdout(&out)), "detach list printed raw controls: {:?}", stdout(&out));
    assert!(stdout(&out).contains("^[[31mred"), "{:?}", stdout(&out));
    let out = c.plugin("detach", cache.path()).args(["-n", &ns.name, "list", "-o", "json"]).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"][0]["detachedBy"], HOSTILE, "JSON keeps the exact text");
}

/// JSON (which YAML reads too) with every non-ASCII character escaped: YAML refuses C1
/// controls even in strings.
fn ascii_json(v: &serde_json::Value) -> String {
    v.to_string()
        .chars()
        .map(|ch| if ch.is_ascii() { ch.to_string() } else { format!("\\u{:04x}", ch as u32) })
        .collect()
}

/// Puts the cluster's KEP-1755 ConfigMap back however the test ends.
struct Restore<'c> {
    cluster: &'c kubectl_kit_tests::Cluster,
    data: String,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let patch = serde_json::json!({"data": {"localRegistryHosting.v1": self.data}}).to_string();
        self.cluster.kubectl_ok(&["-n", "kube-public", "patch", "configmap", "local-registry-hosting", "-p", &patch]);
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_hostile_registry_configmap_is_refused_and_never_printed_raw() {
    let c = require_cluster!("terminal safety: registry ConfigMap");
    let work = tempfile::tempdir().expect("tempdir");
    let img = kubectl_kit_tests::images::image(&work.path().join("layers"), &[4096], 7, true, "amd64");
    let layout = work.path().join("layout");
    kubectl_kit_tests::images::write_oci_layout(&layout, &img, None);
    let layout = layout.to_str().expect("utf-8 path");
    let data = c.registry_hosting();
    let (host, _) = c.registry_hosts();
    let _restore = Restore { cluster: &c, data: data.clone() };
    let cache = tempfile::tempdir().expect("tempdir");
    // The registry pushed to is the real one; only the host the nodes pull from is hostile, so
    // nothing but the check stands between it and the printed reference.
    for (field, value) in [("hostFromContainerRuntime", HOSTILE.to_string()), ("host", format!("{host}{HOSTILE}"))] {
        let (push_to, pull_from) = if field == "host" { (&value, &host) } else { (&host, &value) };
        let doc = format!(
            "host: {}\nhostFromContainerRuntime: {}\n",
            ascii_json(&push_to.as_str().into()),
            ascii_json(&pull_from.as_str().into())
        );
        let patch = serde_json::json!({"data": {"localRegistryHosting.v1": doc}}).to_string();
        c.kubectl_ok(&["-n", "kube-public", "patch", "configmap", "local-registry-hosting", "-p", &patch]);
        let out = c.plugin("push_image", cache.path()).args([layout, "kit/hostile:v1"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{field}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{field}: nothing is pushed or printed: {:?}", stdout(&out));
        assert!(clean(&stderr(&out)), "{field}: raw controls in {:?}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("local-registry-hosting: {field}:")),
            "{field}: the error names the field: {}",
            stderr(&out)
        );
    }
}
