//! `kubectl cols --where EXPR` on the cluster: a table of CEL expressions over objects of
//! several kinds (strings, ints, bools, lists, maps, label keys with dots, timestamps, quantities,
//! missing fields), each with the objects it keeps. Every view prints the kept objects exactly
//! as kubectl prints the same objects named (`kubectl get KIND NAME… -o FORMAT`, which makes
//! the same table of them); `-f`, `--local` and a watch filter the same way; bad expressions
//! are usage errors before any request.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use kubectl_kit_tests::{Cluster, Namespace, differ, require_cluster, stderr, stdout, until};

const OBJECTS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: alpha, labels: {tier: web, app.kubernetes.io/name: shop}}
data: {mode: fast, replicas: "3"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: beta, labels: {tier: db}}
data: {max: "10"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: gamma}
---
apiVersion: v1
kind: Secret
metadata: {name: delta, labels: {tier: web}}
type: kubernetes.io/basic-auth
stringData: {username: u, password: p}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: small, labels: {tier: web}}
spec: {hard: {requests.memory: 512Mi, pods: "4"}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: large}
spec: {hard: {requests.memory: 2Gi, pods: "40"}}
"#;

/// Expressions on ConfigMaps and Secrets, and the names each keeps (`kubectl get cm,secrets`
/// order: ConfigMaps first, by name; every namespace has the ConfigMap `kube-root-ca.crt`).
const CASES: &[(&str, &[&str])] = &[
    // Strings and map fields.
    (r#"self.metadata.name == "alpha""#, &["alpha"]),
    (r#"self.metadata.name.matches("^(a|b)")"#, &["alpha", "beta"]),
    (r#"self.metadata.name.startsWith("g") || self.kind == "Secret""#, &["gamma", "delta"]),
    // A missing field without has(): those objects are left out, the others kept.
    (r#"self.metadata.labels.tier == "web""#, &["alpha", "delta"]),
    (r#"has(self.metadata.labels) && self.metadata.labels.tier != "web""#, &["beta"]),
    (r#"!has(self.metadata.labels)"#, &["gamma", "kube-root-ca.crt"]),
    // A label key with dots and a slash, by index.
    (r#"self.metadata.labels[?"app.kubernetes.io/name"].orValue("") == "shop""#, &["alpha"]),
    (r#"has(self.data) && "mode" in self.data"#, &["alpha"]),
    // Ints from strings, sizes of maps.
    (r#"has(self.data) && size(self.data) >= 2"#, &["alpha", "delta"]),
    (r#"has(self.data.max) && int(self.data.max) > 5"#, &["beta"]),
    // Lists and comprehensions.
    (r#"self.metadata.managedFields.exists(f, f.manager == "kube-controller-manager")"#, &["kube-root-ca.crt"]),
    (r#"self.metadata.managedFields.all(f, f.manager.startsWith("kubectl"))"#, &["alpha", "beta", "gamma", "delta"]),
    // Timestamps from RFC 3339 strings.
    (r#"timestamp(self.metadata.creationTimestamp) <= now"#, &["alpha", "beta", "gamma", "kube-root-ca.crt", "delta"]),
    (r#"timestamp(self.metadata.creationTimestamp) > now + duration("1h")"#, &[]),
    // Bools and the type field of Secrets.
    (r#"self.kind == "Secret" && self.type.endsWith("basic-auth")"#, &["delta"]),
];

/// Quantities as strings, on ResourceQuotas.
const QUOTAS: &[(&str, &[&str])] = &[
    (r#"quantity(self.spec.hard["requests.memory"]).isGreaterThan(quantity("1Gi"))"#, &["large"]),
    (r#"quantity(self.spec.hard["requests.memory"]).compareTo(quantity("512Mi")) == 0"#, &["small"]),
    (r#"int(self.spec.hard.pods) < 10"#, &["small"]),
];

fn setup(c: &Cluster) -> Namespace {
    let ns = c.namespace("cols-where");
    c.apply(&ns.name, OBJECTS);
    ns
}

fn cols(c: &Cluster, ns: &str, cache: &Path, args: &[&str]) -> std::process::Output {
    c.plugin("cols", cache).args(["-n", ns]).args(args).output().expect("kubectl-cols runs")
}

/// The formats compared with kubectl's, on the objects named.
const FORMATS: &[&str] = &[
    "-o=name",
    "-o=custom-columns=NAME:.metadata.name,KIND:.kind,TIER:.metadata.labels.tier",
    "-o=jsonpath={range .items[*]}{.kind}/{.metadata.name}{\"\\n\"}{end}",
    "-o=go-template={{range .items}}{{.kind}}/{{.metadata.name}} {{end}}",
    "",
    "-o=wide",
];

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_view_prints_the_kept_objects_as_kubectl_prints_them() {
    let c = require_cluster!("cols --where");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut failures = vec![];
    let mut compared = 0;
    let all: Vec<(&str, &str, &[&str])> = CASES
        .iter()
        .map(|(e, keep)| ("cm,secrets", *e, *keep))
        .chain(QUOTAS.iter().map(|(e, keep)| ("resourcequotas", *e, *keep)))
        .collect();
    for (kinds, expr, keep) in all {
        // The names kept, from -o name.
        let out = cols(&c, &ns.name, cache.path(), &[kinds, "--where", expr, "-o", "name", "-v=2"]);
        assert!(out.status.success(), "{expr}: {}", stderr(&out));
        let names: Vec<String> =
            stdout(&out).lines().map(|l| l.rsplit('/').next().unwrap_or_default().to_string()).collect();
        if names != keep.iter().map(|s| s.to_string()).collect::<Vec<_>>() {
            failures.push(format!("{expr}: kept {names:?}, wanted {keep:?}\n{}", stderr(&out)));
            continue;
        }
        if keep.is_empty() {
            continue;
        }
        // The same objects named, in kubectl's output, by kind (kubectl names one kind at a time).
        let mut named: Vec<String> = vec![];
        for line in stdout(&out).lines() {
            named.push(line.to_string());
        }
        let kinds_kept = {
            let mut k: Vec<&str> = named.iter().filter_map(|n| n.split('/').next()).collect();
            k.dedup();
            k.len()
        };
        for format in FORMATS {
            // One object named is printed as itself, not in a List: no items to range over.
            if keep.len() == 1 && (format.contains("items") || format.contains(".items")) {
                continue;
            }
            // kubectl prefixes kinds in a table of several types, which a listing of two
            // types is even when one is left empty; names of one kind are not.
            let table = format.is_empty() || *format == "-o=wide";
            if table && kinds == "cm,secrets" && kinds_kept == 1 {
                continue;
            }
            let mut theirs_args: Vec<&str> = vec!["get", "-n", &ns.name];
            theirs_args.extend(named.iter().map(String::as_str));
            let mut ours_args: Vec<&str> = vec!["-n", &ns.name, kinds, "--where", expr];
            if !format.is_empty() {
                theirs_args.push(format);
                ours_args.push(format);
            }
            // kubectl names several objects as a List, as a listing does; the default view of
            // names of one kind is the table of a list of that kind.
            let theirs = c.kubectl_cmd().args(&theirs_args).output().expect("kubectl runs");
            let ours = c.plugin("cols", cache.path()).args(&ours_args).output().expect("cols runs");
            compared += 1;
            let (t, o) = (stdout(&theirs), stdout(&ours));
            if t != o && differ::masked(&t) != differ::masked(&o) {
                failures.push(format!("{expr} {format}:\n--- kubectl get {named:?}\n{t}--- cols\n{o}"));
            }
        }
    }
    eprintln!("--where: {} expressions, {compared} outputs compared with kubectl", CASES.len() + QUOTAS.len());
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn objects_the_expression_fails_on_are_counted_at_v2_and_bad_expressions_are_usage_errors() {
    let c = require_cluster!("cols --where errors");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    // Two of the five have no labels (gamma, and the namespace's kube-root-ca.crt): left out,
    // and said at -v=2 (not without it).
    let expr = r#"self.metadata.labels.tier == "web""#;
    let quiet = cols(&c, &ns.name, cache.path(), &["cm,secrets", "--where", expr, "-o", "name"]);
    assert!(quiet.status.success() && stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    let said = cols(&c, &ns.name, cache.path(), &["cm,secrets", "--where", expr, "-o", "name", "-v=2"]);
    assert!(
        stderr(&said).contains("--where left out 2 objects it could not evaluate: 2 × no such key: labels"),
        "{}",
        stderr(&said)
    );
    // A syntax error, a type error found before any object, a result that is not a bool: exit
    // 2 with the position; the first two before any request (-v=6 logs none).
    for (expr, want) in [
        ("self.metadata.name ==", "<input>:1:"),
        ("size(self.data)", "<input>:1:5: the expression gives int, not bool"),
    ] {
        let out = cols(&c, &ns.name, cache.path(), &["cm", "--where", expr, "-v=6"]);
        assert_eq!(out.status.code(), Some(2), "{expr}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(want), "{expr}: {err}");
        assert!(!err.contains("GET https://"), "{expr}: a request was made: {err}");
    }
    let out = cols(&c, &ns.name, cache.path(), &["cm", "--where", "self.metadata.name", "-o", "name"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--where must give a bool, but gave string"), "{}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn files_local_files_and_watches_are_filtered() {
    let c = require_cluster!("cols --where -f -w");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("objects.yaml");
    std::fs::write(&file, OBJECTS).expect("write");
    let file = file.display().to_string();
    let expr = r#"has(self.metadata.labels) && self.metadata.labels.tier == "web""#;
    // -f: the live objects the file names; --local: the file's own.
    let live = cols(&c, &ns.name, cache.path(), &["-f", &file, "--where", expr, "-o", "name"]);
    assert_eq!(stdout(&live), "configmap/alpha\nsecret/delta\nresourcequota/small\n", "{}", stderr(&live));
    let local = cols(&c, &ns.name, cache.path(), &["-f", &file, "--local", "--where", expr, "-o", "name"]);
    assert_eq!(stdout(&local), "configmap/alpha\nsecret/delta\nresourcequota/small\n", "{}", stderr(&local));
    // A watch prints the objects kept, then the changes of those it keeps.
    for format in [&["-o", "name"][..], &[]] {
        let mut cmd: Command = c.plugin("cols", cache.path());
        cmd.args(["-n", &ns.name, "cm", "-w", "--where", expr]).args(format);
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
        let lines = kubectl_kit_tests::stdout_lines(&mut child);
        let mut seen = vec![];
        let listed = until(&lines, &mut seen, Duration::from_secs(30), |l| l.contains("alpha"));
        // beta is relabelled into the selection, gamma changes outside it.
        c.kubectl_ok(&["-n", &ns.name, "label", "cm", "gamma", "--overwrite", "x=1"]);
        c.kubectl_ok(&["-n", &ns.name, "label", "cm", "beta", "--overwrite", "tier=web"]);
        let changed = until(&lines, &mut seen, Duration::from_secs(30), |l| l.contains("beta"));
        until(&lines, &mut seen, Duration::from_secs(1), |_| false);
        let _ = child.kill();
        let _ = child.wait();
        c.kubectl_ok(&["-n", &ns.name, "label", "cm", "beta", "--overwrite", "tier=db"]);
        assert!(listed && changed, "{format:?}: printed {seen:?}");
        assert!(!seen.iter().any(|l| l.contains("gamma")), "{format:?}: gamma is not kept: {seen:?}");
    }
}
