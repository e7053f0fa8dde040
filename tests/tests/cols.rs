//! `kubectl cols` behaviour on the real cluster: presets, -A, --add, paging, watch, errors.

use std::process::Stdio;
use std::time::{Duration, Instant};

use kubectl_kit_tests::{WAIT, converge_ok, require_cluster, stderr, stdout};

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn presets_print_what_kubectl_custom_columns_prints() {
    let c = require_cluster!("cols presets");
    let ns = c.namespace("cols");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply_fixture(&ns.name, "hello-kiamol");
    // `kubectl wait pod --all` would take the pods there are when it starts, maybe not the
    // Deployment's yet.
    c.wait_replicas(&ns.name, "deployment/numbers-api", 2);
    c.wait_pods(&ns.name, "app in (numbers-api, hello-kiamol)", 3, "Ready", |p| p.ready);
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
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn add_appends_columns_to_kubectls_default_view() {
    let c = require_cluster!("cols add");
    let ns = c.namespace("cols-add");
    c.apply_fixture(&ns.name, "numbers-api");
    // Available needs no more than the rollout's minimum; the row below shows 2/2.
    c.wait_replicas(&ns.name, "deployment/numbers-api", 2);
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
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn lists_are_one_request_per_page_and_errors_read_like_kubectl() {
    let c = require_cluster!("cols pages");
    let ns = c.namespace("cols-pages");
    c.apply_fixture(&ns.name, "example-replica-set");
    c.apply_fixture(&ns.name, "numbers-api");
    converge_ok("5 pods", WAIT, || c.pods(&ns.name, ""), |p| p.len() == 5);
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
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watch_prints_a_row_for_each_change() {
    let c = require_cluster!("cols watch");
    let ns = c.namespace("cols-watch");
    c.apply_fixture(&ns.name, "numbers-api");
    c.wait_replicas(&ns.name, "deployment/numbers-api", 2);
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
    let deadline = Instant::now() + Duration::from_secs(30);
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

/// `kubectl cols pods -w` (kubectl's default view) and `kubectl get pods -w` side by side, on
/// the same changes: the same lines, ages aside.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn the_default_view_watches_as_kubectl_watches() {
    let c = require_cluster!("cols default-view watch");
    let ns = c.namespace("cols-watch-table");
    let cache = tempfile::tempdir().expect("tempdir");
    let spawn = |mut cmd: std::process::Command| {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let out = kubectl_kit_tests::stdout_lines(&mut child);
        let err = kubectl_kit_tests::lines(child.stderr.take().expect("stderr"));
        (child, out, err)
    };
    let mut kubectl = c.kubectl_cmd();
    kubectl.args(["-n", &ns.name, "get", "pods", "-w", "-v=6"]);
    let mut cols = c.plugin("cols", cache.path());
    cols.args(["-n", &ns.name, "pods", "-w", "-v=6"]);
    let (mut k, k_out, k_err) = spawn(kubectl);
    let (mut o, o_out, o_err) = spawn(cols);
    // Both are watching once each has logged its watch request.
    for (err, who) in [(&k_err, "kubectl"), (&o_err, "cols")] {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(Instant::now() < deadline, "{who} never started its watch");
            if let Ok(l) = err.recv_timeout(Duration::from_millis(200))
                && l.contains("watch=")
            {
                break;
            }
        }
    }
    c.apply_fixture(&ns.name, "hello-kiamol");
    c.wait_pods(&ns.name, "app=hello-kiamol", 1, "Running", |p| p.phase == "Running");
    c.kubectl_ok(&["-n", &ns.name, "delete", "pod", "hello-kiamol", "--wait=true"]);
    // Both print a line per change, each when its watch delivers it: read until both have
    // printed as many lines and fell quiet (a slow reader is waited for, up to a minute).
    let (mut theirs, mut ours) = (vec![], vec![]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        let before = theirs.len() + ours.len();
        theirs.extend(k_out.try_iter());
        ours.extend(o_out.try_iter());
        if theirs.len() + ours.len() != before {
            quiet_since = Instant::now();
        } else if theirs.len() == ours.len() && theirs.len() >= 3 && quiet_since.elapsed() >= Duration::from_secs(3) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for child in [&mut k, &mut o] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let masked = |lines: &[String]| -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| {
                l.split_whitespace()
                    .map(|w| {
                        if w.trim_end_matches(char::is_alphabetic).parse::<u32>().is_ok()
                            && w.ends_with(['s', 'm', 'h'])
                        {
                            "AGE".into()
                        } else {
                            w.to_string()
                        }
                    })
                    .collect()
            })
            .collect()
    };
    assert!(theirs.len() >= 3, "kubectl printed a header and the pod's changes: {theirs:?}");
    assert_eq!(masked(&ours), masked(&theirs), "cols:\n{}\nkubectl:\n{}", ours.join("\n"), theirs.join("\n"));
    assert_eq!(ours[0], theirs[0], "the header, laid out the same");
}

/// Usage errors are found before any request: exit 2 and no request line at -v=6, against a
/// real cluster.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn usage_errors_never_touch_the_cluster() {
    let c = require_cluster!("cols usage errors");
    let cache = tempfile::tempdir().expect("tempdir");
    let presets = cache.path().join("presets.yaml");
    std::fs::write(&presets, "pods:\n  broken: 'X:{.a'\n").expect("write presets");
    let cases: [&[&str]; 9] = [
        &["pods,svc", "-w"],
        &["pods", "--add", "X:.x", "-o", "jsonpath={.a}"],
        &["pods", "-o", "custom-columns="],
        &["pods", "-o", "jsonpath={.a"],
        &["pods", "--sort-by={.a}{.b}", "-o", "name"],
        &["--local", "pods"],
        &["pods", "-o", "bogus"],
        &["pods", "-w", "-o", "csv", "ip"],
        &["pods", "ip"],
    ];
    for (i, args) in cases.iter().enumerate() {
        let mut cmd = c.plugin("cols", cache.path());
        if i == cases.len() - 1 {
            // A preset file with a spec that does not parse.
            cmd.env("KUBECTL_COLS_CONFIG", &presets);
        }
        let out = cmd.args(*args).arg("-v=6").output().expect("runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("https://"), "{args:?} sent a request:\n{err}");
    }
}
