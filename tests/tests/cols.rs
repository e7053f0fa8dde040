//! `kubectl cols` behaviour on the real cluster: presets, -A, --add, paging, watch, errors.

use std::process::Stdio;
use std::time::{Duration, Instant};

use kubectl_kit_tests::{require_cluster, stderr, stdout};

#[test]
fn presets_print_what_kubectl_custom_columns_prints() {
    let c = require_cluster!("cols presets");
    let ns = c.namespace("cols");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply_fixture(&ns.name, "hello-kiamol");
    c.kubectl_ok(&["-n", &ns.name, "wait", "--for=condition=Ready", "pod", "--all", "--timeout=60s"]);
    let cache = tempfile::tempdir().expect("tempdir");
    let cfg = cache.path().join("no-presets.yaml");
    let cases = [
        ("ip", "NAME:.metadata.name,NODE_IP:.status.hostIP,POD_IP:.status.podIP"),
        ("images", "NAME:.metadata.name,IMAGES:.spec.containers[*].image"),
        ("qos", "NAME:.metadata.name,QOS:.status.qosClass"),
        ("ready", "NAME:.metadata.name,READY:.status.conditions[?(@.type==\"Ready\")].status,PHASE:.status.phase"),
    ];
    for (preset, spec) in cases {
        let ours = c
            .plugin("cols", cache.path())
            .env("KUBECTL_COLS_CONFIG", &cfg)
            .args(["-n", &ns.name, "pods", preset])
            .output()
            .expect("runs");
        assert!(ours.status.success(), "{}", stderr(&ours));
        let theirs = c.kubectl_ok(&["-n", &ns.name, "get", "pods", "-o", &format!("custom-columns={spec}")]);
        assert_eq!(stdout(&ours), theirs, "preset {preset}");
    }
    // -A puts the namespace first.
    let all = c
        .plugin("cols", cache.path())
        .env("KUBECTL_COLS_CONFIG", &cfg)
        .args(["pods", "ip", "-A", "-l", "app=numbers-api"])
        .output()
        .expect("runs");
    let text = stdout(&all);
    assert!(text.starts_with("NAMESPACE "), "{text}");
    // Other tests' namespaces may hold numbers-api too; ours must show its two pods.
    assert_eq!(text.lines().filter(|l| l.split_whitespace().next() == Some(ns.name.as_str())).count(), 2, "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.split_whitespace().nth(1).is_some_and(|n| n.starts_with("numbers-api-"))),
        "{text}"
    );
}

#[test]
fn add_appends_columns_to_kubectls_default_view() {
    let c = require_cluster!("cols add");
    let ns = c.namespace("cols-add");
    c.apply_fixture(&ns.name, "numbers-api");
    c.kubectl_ok(&["-n", &ns.name, "wait", "--for=condition=Available", "deployment/numbers-api", "--timeout=60s"]);
    let cache = tempfile::tempdir().expect("tempdir");
    let ours = c
        .plugin("cols", cache.path())
        .args(["-n", &ns.name, "deployments", "--add", "IMAGE:.spec.template.spec.containers[0].image"])
        .output()
        .expect("runs");
    assert!(ours.status.success(), "{}", stderr(&ours));
    let theirs = c.kubectl_ok(&["-n", &ns.name, "get", "deployments"]);
    let (o, t) = (stdout(&ours), theirs);
    let (oh, th) = (o.lines().next().unwrap_or_default(), t.lines().next().unwrap_or_default());
    assert!(oh.starts_with(th.trim_end()), "header {oh:?} extends kubectl's {th:?}");
    assert!(oh.ends_with("IMAGE"), "{oh}");
    let row = o.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with("numbers-api ") && row.ends_with("kiamol/ch03-numbers-api") && row.contains("2/2"),
        "{row}"
    );
    // Without presets or --add: kubectl's default view, same header.
    let plain = c.plugin("cols", cache.path()).args(["-n", &ns.name, "deployments"]).output().expect("runs");
    assert_eq!(stdout(&plain).lines().next(), Some(th), "default view");
}

#[test]
fn lists_are_one_request_per_page_and_errors_read_like_kubectl() {
    let c = require_cluster!("cols pages");
    let ns = c.namespace("cols-pages");
    c.apply_fixture(&ns.name, "example-replica-set");
    c.apply_fixture(&ns.name, "numbers-api");
    c.wait_for("5 pods", Duration::from_secs(60), || {
        c.kubectl_ok(&["-n", &ns.name, "get", "pods", "-o", "name"]).lines().count() == 5
    });
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("cols", cache.path())
        .args(["-n", &ns.name, "pods", "ip", "--chunk-size=2", "-v=6"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let lists = stderr(&out).lines().filter(|l| l.contains("verb=\"GET\"") && l.contains("/pods?")).count();
    assert_eq!(lists, 3, "5 pods in pages of 2: {}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 6, "header and 5 rows");

    let missing = c.plugin("cols", cache.path()).args(["-n", &ns.name, "pods", "nope", "ip"]).output().expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stderr(&missing).trim_end(), "Error from server (NotFound): pods \"nope\" not found");
    let typo = c.plugin("cols", cache.path()).args(["-n", &ns.name, "pods", "imagez"]).output().expect("runs");
    assert_eq!(typo.status.code(), Some(1));
    assert!(stderr(&typo).contains("did you mean images?"), "{}", stderr(&typo));
    let unknown = c.plugin("cols", cache.path()).args(["-n", &ns.name, "podz", "ip"]).output().expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("the server doesn't have a resource type \"podz\"")
            && stderr(&unknown).contains("did you mean pods"),
        "{}",
        stderr(&unknown)
    );
    // A list the user may not read: kubectl's error, after the header as kubectl prints it.
    let args =
        ["--context", "kubectl-kit-user", "-n", &ns.name, "get", "pods", "-o", "custom-columns=N:.metadata.name"];
    let kubectl = c.kubectl(&args);
    let ours = c
        .plugin("cols", cache.path())
        .args(&args[..4])
        .args(["pods", "-o", "custom-columns=N:.metadata.name"])
        .output()
        .expect("runs");
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(stdout(&ours), stdout(&kubectl), "stdout");
    assert_eq!(stderr(&ours), stderr(&kubectl), "stderr");
}

#[test]
fn watch_prints_a_row_for_each_change() {
    let c = require_cluster!("cols watch");
    let ns = c.namespace("cols-watch");
    c.apply_fixture(&ns.name, "numbers-api");
    c.kubectl_ok(&["-n", &ns.name, "wait", "--for=condition=Available", "deployment/numbers-api", "--timeout=60s"]);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut child = c
        .plugin("cols", cache.path())
        .args(["-n", &ns.name, "pods", "ip", "-w", "-l", "app=numbers-api"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let rx = kubectl_kit_tests::stdout_lines(&mut child);
    let mut seen: Vec<String> = vec![];
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 3 && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(l);
        }
    }
    assert_eq!(seen.len(), 3, "header and two pods: {seen:?}");
    c.kubectl_ok(&["-n", &ns.name, "scale", "deployment/numbers-api", "--replicas=3"]);
    let before: Vec<String> =
        seen.iter().skip(1).map(|l| l.split_whitespace().next().unwrap_or_default().to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut new_pod = None;
    while new_pod.is_none() && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            let name = l.split_whitespace().next().unwrap_or_default().to_string();
            if name.starts_with("numbers-api-") && !before.contains(&name) {
                new_pod = Some(l);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(new_pod.is_some(), "a row for the new pod");
}
