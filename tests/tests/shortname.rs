//! `kubectl shortname` against the real cluster, checked against the cluster's own kubectl.

use kubectl_kit_tests::{Ran, WAIT, converge, require_cluster, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Tests that plant CRDs change discovery for everyone: they and the whole-table comparisons
/// take turns.
static DISCOVERY: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    DISCOVERY.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn listing_matches_kubectl_api_resources_byte_for_byte() {
    let c = require_cluster!("shortname listing");
    let _g = lock();
    let cache = tempfile::tempdir().expect("tempdir");
    for args in [
        vec![],
        vec!["-o", "wide"],
        vec!["-o", "name"],
        vec!["-o", "json"],
        vec!["--sort-by", "kind"],
        vec!["--api-group", "apps"],
        vec!["--namespaced=false"],
        vec!["--verbs", "list,watch"],
    ] {
        let mut ours_args = vec!["--all"];
        ours_args.extend(args.iter().copied());
        let ours = c.plugin("shortname", cache.path()).args(&ours_args).output().expect("runs");
        let mut theirs_args = vec!["api-resources"];
        theirs_args.extend(args.iter().copied());
        let theirs = c.kubectl(&theirs_args);
        assert!(ours.status.success(), "{}", stderr(&ours));
        assert_eq!(
            stdout(&ours),
            stdout(&theirs),
            "kubectl shortname --all {args:?} differs from kubectl api-resources"
        );
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_short_name_pair_matches_api_resources_and_a_crd_appears() {
    let c = require_cluster!("shortname pairs");
    let _g = lock();
    let cache = tempfile::tempdir().expect("tempdir");
    let pairs = |v: &Value| -> BTreeSet<(String, String, String)> {
        v["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| {
                let name = r["name"].as_str().unwrap_or_default().to_string();
                let group = r["group"].as_str().unwrap_or_default().to_string();
                r["shortNames"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |s| (s.as_str().unwrap_or_default().to_string(), name.clone(), group.clone()))
            })
            .collect()
    };
    let theirs: Value = serde_json::from_str(&c.kubectl_ok(&["api-resources", "-o", "json"])).expect("json");
    let out = c.plugin("shortname", cache.path()).args(["-o", "json"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let ours: Value = serde_json::from_slice(&out.stdout).expect("json");
    let (ours, theirs) = (pairs(&ours), pairs(&theirs));
    assert!(ours.len() >= 25, "expected the built-in short names, got {ours:?}");
    assert_eq!(ours, theirs);
    assert!(ours.contains(&("wd".into(), "widgets".into(), "kit.example.com".into())), "the demo CRD's short name");

    // Each short name resolves the way `kubectl get` resolves it.
    let out = c.plugin("shortname", cache.path()).args(["wd", "-o", "json"]).output().expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["winner"]["name"], "widgets");
    assert_eq!(v[0]["winner"]["group"], "kit.example.com");
    assert_eq!(v[0]["rule"], "short-name");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn discovery_is_two_requests_cold_and_none_warm_with_a_private_cache() {
    use std::os::unix::fs::PermissionsExt;
    let c = require_cluster!("shortname requests");
    let cache = tempfile::tempdir().expect("tempdir");
    let count =
        |out: &std::process::Output| stderr(out).lines().filter(|l| l.contains("\"Response\" verb=\"GET\"")).count();
    let cold = c.plugin("shortname", cache.path()).args(["-v=6", "po"]).output().expect("runs");
    assert!(cold.status.success(), "{}", stderr(&cold));
    assert_eq!(count(&cold), 2, "cold: {}", stderr(&cold));
    let warm = c.plugin("shortname", cache.path()).args(["-v=6", "po"]).output().expect("runs");
    assert!(warm.status.success());
    assert_eq!(count(&warm), 0, "warm: {}", stderr(&warm));

    let mut files = vec![];
    let mut dirs = vec![cache.path().join("discovery")];
    while let Some(d) = dirs.pop() {
        let mode = std::fs::metadata(&d).expect("dir").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            if e.path().is_dir() { dirs.push(e.path()) } else { files.push(e.path()) }
        }
    }
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::metadata(&files[0]).expect("file").permissions().mode() & 0o777, 0o600);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn unknown_words_exit_1_with_suggestions() {
    let c = require_cluster!("shortname unknown");
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c.plugin("shortname", cache.path()).arg("widgts").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error: the server doesn't have a resource type \"widgts\""), "{err}");
    assert!(err.contains("did you mean widgets.kit.example.com"), "{err}");
    // kubectl agrees that the word is unknown.
    let k = c.kubectl(&["get", "widgts"]);
    assert!(stderr(&k).contains("the server doesn't have a resource type \"widgts\""));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kubeconfig_list_context_and_flags_follow_kubectl() {
    let c = require_cluster!("shortname kubeconfig");
    let dir = tempfile::tempdir().expect("tempdir");
    // A first file that only names the context: KUBECONFIG files are merged, first wins.
    let first = dir.path().join("first");
    std::fs::write(&first, "apiVersion: v1\nkind: Config\ncurrent-context: kubectl-kit-user\n").expect("write");
    let list = std::env::join_paths([first.clone(), dir.path().join("missing"), c.kubeconfig.clone()]).expect("join");
    let out =
        c.plugin("shortname", dir.path()).env("KUBECONFIG", &list).args(["wd", "-o", "name"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "widgets.kit.example.com\n", "discovery as the plain user sees the CRD");

    let out = c.plugin("shortname", dir.path()).args(["--context", "nope", "po"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error: context \"nope\" does not exist"), "{}", stderr(&out));

    // --kubeconfig wins over KUBECONFIG.
    let out = c
        .plugin("shortname", dir.path())
        .env("KUBECONFIG", &first)
        .arg("--kubeconfig")
        .arg(&c.kubeconfig)
        .args(["wd", "-o", "name"])
        .output()
        .expect("runs");
    assert_eq!(stdout(&out), "widgets.kit.example.com\n", "{}", stderr(&out));
}

fn crd(group: &str, plural: &str, kind: &str, short: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: {plural}, singular: {singular}, kind: {kind}, shortNames: [{short}]}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
",
        singular = kind.to_lowercase()
    )
}

struct DeleteCrds<'a>(&'a kubectl_kit_tests::Cluster, Vec<String>);

impl Drop for DeleteCrds<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            let _ = self.0.kubectl(&["delete", "crd", name, "--wait=false"]);
        }
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn planted_collision_is_reported_and_explained_as_kubectl_resolves_it() {
    let c = require_cluster!("shortname collision");
    let _g = lock();
    let id = std::process::id();
    let short = format!("gd{id}");
    let (ga, gb) = (format!("alpha{id}.kit.example.com"), format!("beta{id}.kit.example.com"));
    let _cleanup = DeleteCrds(&c, vec![format!("gadgets.{ga}"), format!("gizmos.{gb}")]);
    let ns = c.namespace("shortname");
    c.apply(
        &ns.name,
        &format!("{}---\n{}", crd(&ga, "gadgets", "Gadget", &short), crd(&gb, "gizmos", "Gizmo", &short)),
    );
    c.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        &format!("crd/gadgets.{ga}"),
        &format!("crd/gizmos.{gb}"),
        "--timeout=60s",
    ]);
    converge(
        "both CRDs in discovery",
        WAIT,
        || Ran::from(&c.kubectl(&["api-resources"])),
        |r| r.stdout.contains("gadgets   ") && r.stdout.contains(&ga) && r.stdout.contains(&gb),
    );
    c.apply(&ns.name, &format!("apiVersion: {ga}/v1\nkind: Gadget\nmetadata: {{name: from-alpha}}\n---\napiVersion: {gb}/v1\nkind: Gizmo\nmetadata: {{name: from-beta}}\n"));

    // What kubectl does with the word: one resource wins, with a warning naming the other.
    let got = c.kubectl(&["get", &short, "-n", &ns.name, "-o", "name"]);
    assert!(got.status.success(), "{}", stderr(&got));
    let kubectl_pick = stdout(&got);
    let kubectl_warning = stderr(&got);

    let cache = tempfile::tempdir().expect("tempdir");
    let why = c.plugin("shortname", cache.path()).args(["why", &short, "-o", "json"]).output().expect("runs");
    assert!(why.status.success(), "{}", stderr(&why));
    let why: Value = serde_json::from_slice(&why.stdout).expect("json");
    let winner_group = why["winner"]["group"].as_str().expect("group").to_string();
    let winner_kind = why["winner"]["kind"].as_str().expect("kind").to_lowercase();
    assert_eq!(
        kubectl_pick.trim(),
        format!("{winner_kind}.{winner_group}/{}", if winner_group == ga { "from-alpha" } else { "from-beta" })
    );
    let loser = if winner_group == ga { format!("gizmos.{gb}") } else { format!("gadgets.{ga}") };
    let warnings: Vec<String> = why["kubectlWarnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(String::from))
        .collect();
    assert_eq!(warnings, vec![format!("short name \"{short}\" could also match lower priority resource {loser}")]);
    assert!(kubectl_warning.contains(&warnings[0]), "kubectl said: {kubectl_warning}");
    assert_eq!(why["shadowed"][0]["resource"]["group"].as_str().map(|g| loser.ends_with(g)), Some(true));

    // The safe spelling for the loser really reaches it in kubectl.
    let reach = why["shadowed"][0]["reachAs"][0].as_str().expect("reachAs").to_string();
    let got = c.kubectl_ok(&["get", &reach, "-n", &ns.name, "-o", "name"]);
    assert!(got.contains(if winner_group == ga { "from-beta" } else { "from-alpha" }), "{reach} → {got}");

    let conflicts = c.plugin("shortname", cache.path()).args(["conflicts", "-o", "json"]).output().expect("runs");
    let conflicts: Value = serde_json::from_slice(&conflicts.stdout).expect("json");
    let entry = conflicts
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["shortName"] == short.as_str())
        .expect("collision reported");
    let claimants: BTreeSet<String> = entry["claimants"]
        .as_array()
        .expect("claimants")
        .iter()
        .filter_map(|r| r["group"].as_str().map(String::from))
        .collect();
    assert_eq!(claimants, BTreeSet::from([ga.clone(), gb.clone()]));
    assert_eq!(entry["winner"]["group"], winner_group.as_str());
}
