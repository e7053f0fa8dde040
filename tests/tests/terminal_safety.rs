//! Text written by other people (annotations, event messages) carries escape sequences, BEL,
//! backspace, CR, C1 controls and bidi overrides: table and tree output never shows them raw,
//! while JSON output keeps them exactly.

use std::time::Duration;

use kubectl_kit_tests::{require_cluster, stderr, stdout};

const HOSTILE: &str = "\u{1b}[31mred\u{7}bell\u{8}bs\rcr\u{9b}csi\u{202e}bidi";
const RAW: [char; 6] = ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{202e}'];

fn clean(text: &str) -> bool {
    !text.chars().any(|c| RAW.contains(&c))
}

#[test]
fn hostile_server_text_is_escaped_in_tables_and_exact_in_json() {
    let c = require_cluster!("terminal safety");
    let ns = c.namespace("hostile");
    let objects = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "stuck", "labels": {"app": "stuck"}, "annotations": {"note": HOSTILE}},
         "spec": {"nodeSelector": {"kit.example.com/no-such-node": "true"}, "containers": [{"name": "c", "image": "x"}]}},
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
    // JSON with every non-ASCII character escaped: YAML refuses C1 controls even in strings.
    let manifest: String = objects
        .to_string()
        .chars()
        .map(|ch| if ch.is_ascii() { ch.to_string() } else { format!("\\u{:04x}", ch as u32) })
        .collect();
    c.apply(&ns.name, &manifest);
    c.wait_for("the event", Duration::from_secs(30), || {
        c.kubectl(&["-n", &ns.name, "get", "event", "stuck.hostile"]).status.success()
    });
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

    let out = c.plugin("trace_svc", cache.path()).args(["-n", &ns.name, "stuck"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Hostile"), "{}", stdout(&out));
    assert!(clean(&stdout(&out)), "trace printed raw controls: {:?}", stdout(&out));
    let out = c.plugin("trace_svc", cache.path()).args(["-n", &ns.name, "stuck", "-o", "json"]).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let pods = v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == "pods")).cloned().unwrap_or_default();
    assert!(pods["details"][0].as_str().unwrap_or_default().contains(HOSTILE), "JSON keeps the exact text: {pods}");

    let out = c.plugin("detach", cache.path()).args(["-n", &ns.name, "list"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(clean(&stdout(&out)), "detach list printed raw controls: {:?}", stdout(&out));
    assert!(stdout(&out).contains("^[[31mred"), "{:?}", stdout(&out));
    let out = c.plugin("detach", cache.path()).args(["-n", &ns.name, "list", "-o", "json"]).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"][0]["detachedBy"], HOSTILE, "JSON keeps the exact text");
}
