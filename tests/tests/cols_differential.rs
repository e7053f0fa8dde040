//! `kubectl cols -o custom-columns|jsonpath` against the cluster's own kubectl: the same objects,
//! many specs and templates, byte-identical stdout and the same success or failure.
//!
//! Specs avoid `*` and `..` over maps with several keys: Go visits those in random order, so
//! kubectl itself is not repeatable there.

use kubectl_kit_tests::{Cluster, Namespace, require_cluster, stderr, stdout};

const WIDGETS: &str = r#"
apiVersion: kit.example.com/v1
kind: Widget
metadata:
  name: sprocket
  labels: {app.kubernetes.io/name: shop, tier: web}
spec:
  size: large
  big: 1e21
  half: 0.5
  million: 1e6
  int: 42
  neg: -3
  tiny: 1e-7
  huge: 12345678901234567890
  nested: {a: {b: c}}
  list: [1, "two", 3.5, null, {x: y}]
  nothing: null
  empty: []
  emptymap: {}
  flag: true
  text: "has space"
  ports: [{name: http, port: 80}, {name: admin, port: 9000}]
---
apiVersion: kit.example.com/v1
kind: Widget
metadata:
  name: gear
  labels: {tier: db}
spec:
  size: small
  int: 7
  half: 2.25
  ports: [{name: http, port: 8080}]
"#;

fn setup(c: &Cluster) -> Namespace {
    let ns = c.namespace("cols-diff");
    for app in ["numbers-api", "hello-kiamol", "example-replica-set", "legacy-db"] {
        c.apply_fixture(&ns.name, app);
    }
    c.apply(&ns.name, WIDGETS);
    // Both commands print the same objects only once their controllers are done with them.
    kubectl_kit_tests::differ::wait_fixtures(c, &ns.name);
    ns
}

/// Runs kubectl and kubectl-cols with the same arguments and compares.
fn same(c: &Cluster, ns: &str, cache: &std::path::Path, args: &[&str], failures: &mut Vec<String>) {
    let mut full = vec!["-n", ns];
    full.extend_from_slice(args);
    let mut kargs = vec!["get"];
    kargs.extend_from_slice(&full);
    let theirs = c.kubectl(&kargs);
    let ours = c.plugin("cols", cache).args(&full).output().expect("kubectl-cols runs");
    let (t, o) = (stdout(&theirs), stdout(&ours));
    if theirs.status.success() != ours.status.success() {
        failures.push(format!(
            "{args:?}: kubectl {} / ours {}\n  kubectl stderr: {}\n  our stderr: {}",
            theirs.status,
            ours.status,
            stderr(&theirs).lines().next().unwrap_or(""),
            stderr(&ours).lines().next().unwrap_or("")
        ));
        return;
    }
    if t != o {
        failures.push(format!("{args:?}: stdout differs\n--- kubectl\n{t}\n--- ours\n{o}"));
    }
    if !theirs.status.success() {
        let (te, oe) = (stderr(&theirs), stderr(&ours));
        if te.lines().next() != oe.lines().next() {
            failures.push(format!(
                "{args:?}: error differs\n  kubectl: {}\n  ours:    {}",
                te.trim_end(),
                oe.trim_end()
            ));
        }
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn custom_columns_and_jsonpath_match_kubectl_byte_for_byte() {
    let c = require_cluster!("cols differential");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut failures = vec![];

    let pod_specs = [
        "NAME:.metadata.name,NODE_IP:.status.hostIP,POD_IP:.status.podIP",
        "NAME:metadata.name,IMAGES:.spec.containers[*].image",
        "N:{.metadata.name},LBL:.metadata.labels",
        "N:.metadata.name,READY:.status.conditions[?(@.type==\"Ready\")].status",
        "N:.metadata.name,NOT_READY:.status.conditions[?(@.status!=\"True\")].type",
        "N:.metadata.name,MISSING:.nope.nothing",
        "N:.metadata.name,PORTS:..containerPort",
        "N:.metadata.name,FIRST:.spec.containers[0].name,LAST:.spec.containers[-1].name",
        "N:.metadata.name,OWNER:.metadata.ownerReferences[0].kind,CTRL:.metadata.ownerReferences[?(@.controller)].name",
        "KIND:.kind,V:.apiVersion,NS:.metadata.namespace",
        "N:.metadata.name,SLICE:.spec.containers[0:1].image",
        "N:.metadata.name,REQ:.spec.containers[*].resources.requests",
        "N:.metadata.name,COND:.status.conditions[*].type",
        "N:.metadata.name,RESTARTS:.status.containerStatuses[*].restartCount,READY:.status.containerStatuses[0].ready",
        "N:.metadata.name,PORTNAME:.spec.containers[*].ports[?(@.containerPort==80)].name",
        " SPACED HEADER :.metadata.name",
        "N:.metadata.name,X:.spec.containers[3].name",
        "NAME",
        "N:.metadata.name,B:{.a}{.b}",
        "N:.metadata.name,U:.spec.containers[0].name,V:.status.phase",
    ];
    for spec in pod_specs {
        let o = format!("custom-columns={spec}");
        same(&c, &ns.name, cache.path(), &["pods", "-o", &o], &mut failures);
    }
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "--no-headers", "-o", "custom-columns=N:.metadata.name,IP:.status.podIP"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "-l", "app=example", "-o", "custom-columns=N:.metadata.name"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "--chunk-size=2", "-o", "custom-columns=N:.metadata.name,H:.status.hostIP"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "hello-kiamol", "-o", "custom-columns=N:.metadata.name,I:.spec.containers[0].image"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "-l", "app=nothing-matches", "-o", "custom-columns=N:.metadata.name"],
        &mut failures,
    );

    let widget_specs = [
        "N:.metadata.name,SIZE:.spec.size,BIG:.spec.big,HALF:.spec.half,MILLION:.spec.million",
        "N:.metadata.name,INT:.spec.int,NEG:.spec.neg,TINY:.spec.tiny,HUGE:.spec.huge",
        "N:.metadata.name,NESTED:.spec.nested,LIST:.spec.list",
        "N:.metadata.name,NOTHING:.spec.nothing,EMPTY:.spec.empty,EMPTYMAP:.spec.emptymap,FLAG:.spec.flag",
        "N:.metadata.name,TEXT:.spec.text,ITEMS:.spec.list[*]",
        "N:.metadata.name,SLICE:.spec.list[1:3],EMPTYSTAR:.spec.empty[*]",
        "N:.metadata.name,SHOP:.metadata.labels.app\\.kubernetes\\.io/name",
        "N:.metadata.name,HTTP:.spec.ports[?(@.name==\"http\")].port,BIGPORTS:.spec.ports[?(@.port>1000)].name",
        "N:.metadata.name,DEEP:.spec.nested.a.b,ALLPORTS:.spec.ports[*].port",
    ];
    for spec in widget_specs {
        let o = format!("custom-columns={spec}");
        same(&c, &ns.name, cache.path(), &["widgets", "-o", &o], &mut failures);
        same(&c, &ns.name, cache.path(), &["widget", "sprocket", "-o", &o], &mut failures);
    }

    let templates = [
        "{.items[*].metadata.name}",
        "{range .items[*]}{.metadata.name}{\"\\t\"}{.spec.size}{\"\\n\"}{end}",
        "{.items[0].spec}",
        "{.items[*].spec.list}",
        "{.kind} {.apiVersion}",
        "{.items[?(@.spec.size==\"large\")].metadata.name}",
        "{.items[*].spec.big} {.items[*].spec.million} {.items[*].spec.half}",
        "{.items[*].metadata.labels}",
        "{range .items[*]}[{.metadata.name}:{range .spec.ports[*]}{.name}={.port};{end}]{end}",
        "{.items[*].spec.nothing}",
        "{.metadata}",
        "{.items[5].metadata.name}",
        "{.items[*].spec.ports[0,1].port}",
        "{.metadata.name",
        "{.items[*].spec.list[9]}",
        "plain text {.kind}",
    ];
    for t in templates {
        let o = format!("jsonpath={t}");
        same(&c, &ns.name, cache.path(), &["widgets", "-o", &o], &mut failures);
    }
    for t in ["{.spec.million}", "{.spec}", "{.metadata.name}{\"\\n\"}", "{.spec.list[*]}", "{..port}"] {
        let o = format!("jsonpath={t}");
        same(&c, &ns.name, cache.path(), &["widget", "sprocket", "-o", &o], &mut failures);
    }
    for t in [
        "{.items[*].status.podIP}",
        "{range .items[*]}{.metadata.name} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}",
    ] {
        let o = format!("jsonpath={t}");
        same(&c, &ns.name, cache.path(), &["pods", "-o", &o], &mut failures);
    }
    same(
        &c,
        &ns.name,
        cache.path(),
        &["pods", "--sort-by=.metadata.name", "-o", "custom-columns=N:.metadata.name"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["widgets", "--sort-by=.spec.int", "-o", "custom-columns=N:.metadata.name,I:.spec.int"],
        &mut failures,
    );
    same(
        &c,
        &ns.name,
        cache.path(),
        &["widgets", "--sort-by=.spec.nope", "-o", "custom-columns=N:.metadata.name"],
        &mut failures,
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cols.txt");
    std::fs::write(&file, "NAME        IP\n.metadata.name   {.status.podIP}\n").expect("write");
    let o = format!("custom-columns-file={}", file.display());
    same(&c, &ns.name, cache.path(), &["pods", "-o", &o], &mut failures);

    assert!(failures.is_empty(), "{} mismatches:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// A pod whose second container declares `ports: []`, for kubectl's stop at an empty list.
const PORTS_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: three-containers, labels: {app: three}}
spec:
  containers:
  - {name: a, image: kiamol/ch02-hello-kiamol, ports: [{containerPort: 80}]}
  - {name: b, image: kiamol/ch02-hello-kiamol, ports: []}
  - {name: c, image: kiamol/ch02-hello-kiamol, ports: [{containerPort: 90}]}
"#;

/// The templates the issue reported and the behaviours found while modelling kubectl, each
/// against the cluster's kubectl.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn the_reported_templates_and_kubectls_quirks_match_kubectl() {
    use kubectl_kit_tests::differ::{Outcome, compare_masking_ages};
    let c = require_cluster!("cols regressions");
    let ns = setup(&c);
    c.apply(&ns.name, PORTS_POD);
    c.wait_pods(&ns.name, "", 7, "Ready", |p| p.ready);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut failures = vec![];
    let mut check = |args: &[&str], default_view: bool| {
        let mut full = vec!["-n".to_string(), ns.name.clone()];
        full.extend(args.iter().map(|a| a.to_string()));
        match compare_masking_ages(&c, cache.path(), &full, default_view) {
            Outcome::Same | Outcome::SameUpToMapOrder => {}
            Outcome::Differs(why) => failures.push(format!("{args:?}: {why}")),
        }
    };
    for t in [
        // A range over a filtered list binds each item; a filter nested in a range too.
        r#"{range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\t"}{.status.podIP}{"\n"}{end}"#,
        r#"{range .items[*]}{.metadata.name}:{range @.status.conditions[?(@.type == 'Ready')]}{@.status}{end};{end}"#,
        // Filters on a field some or all items lack: nothing, exit 0.
        r#"{.items[?(@.metadata.annotations.color=="blue")].metadata.name}"#,
        r#"{.items[*].spec.containers[?(@.name=="http2")].image}"#,
        // Boolean and other literals.
        "{.items[*].status.containerStatuses[?(@.ready==true)].name}",
        "{.items[?(@..ready==true)].metadata.name}",
        "{.items[?(@.status.conditions.ready==true)].metadata.name}",
        // A filter without @, a range without {end}, an inner list that is missing.
        "{.items[?(.metadata.name=='hello-kiamol')].status.phase}",
        "{range .items[*]}{.metadata.name},",
        "{range .items[*]}{.metadata.name}[{range .spec.volumes[*]}{.name}{end}]{end}",
        // Slices with a step, empty slices past the end.
        "{.items[0:4:2].metadata.name}",
        "{.items[:4:2].metadata.name}",
        "{.items[::2].metadata.name}",
        "{.items[40:40].metadata.name}",
        "{.items[-40:-40].metadata.name}",
        // kubectl stops at the first `ports: []` of a `[*]`.
        "{.items[*].spec.containers[*].ports[*].containerPort}",
    ] {
        check(&["pods", &format!("-o=jsonpath={t}")], false);
    }
    check(&["pod", "three-containers", "-o=jsonpath={.spec.containers[*].ports[*].containerPort}"], false);
    check(&["pods", "--allow-missing-template-keys=false", "-o=jsonpath={.items[*].metadata.nope}"], false);
    check(&["pods", "-o=name", "--sort-by=.status.podIP"], false);
    check(&["all", "-o=name"], false);
    // The default view: separate tables with kind-prefixed names, NAMESPACE once a namespaced
    // type printed with -A, kubectl's --sort-by on several tables, a field no row has.
    check(&["pods,svc,deploy"], true);
    check(&["svc,nodes", "-A", "-l=app"], true);
    check(&["all"], true);
    check(&["pods,svc", "--sort-by=.metadata.name"], true);
    check(&["pods", "--sort-by=.metadata.nope"], true);
    check(&["pods", "--sort-by=.status.podIP", "-o=wide"], true);
    // -f names the live objects: a file, a directory, -R.
    let apps = kubectl_kit_tests::root().join("tests/fixtures/apps");
    let one = apps.join("numbers-api.yaml").display().to_string();
    let dir = apps.display().to_string();
    check(&["-f", &one], true);
    check(&["-f", &one, "-o=jsonpath={.metadata.name}"], false);
    check(&["-f", &dir, "-o=custom-columns=K:.kind,N:.metadata.name"], false);
    check(&["-R", "-f", &dir, "-o=name"], false);
    assert!(failures.is_empty(), "{} mismatches:\n\n{}", failures.len(), failures.join("\n\n"));
}
