//! kubectl's own `get` command tests (`k8s.io/kubectl/pkg/cmd/get/get_test.go`), replayed on
//! the cluster. `kubectl-cases get-extract` runs them from the module cache and records each
//! command they run: its arguments, the flags set, what their fake server served, and what
//! kubectl printed. Each command then runs here against the real cluster, on objects made from
//! what the fake served (the same names, labels and kinds, made valid: a pod gets a container),
//! through kubectl 1.35 and cols:
//! - cols prints what the cluster's kubectl prints, byte for byte (ages masked where a second
//!   may pass between the two), with the same first line of standard error and exit status;
//! - cols prints what the upstream test says kubectl prints: the same tables (headers, names
//!   with their kinds, labels, event types, namespaces, one blank line between resource types,
//!   the sort order), the same names for `-o name`, the same "No resources found" line. The
//!   columns a real server fills from the pod's life (AGE, READY, STATUS, IPs, ports…) are left
//!   out of this comparison: the fake's objects never ran, and no real object can match them.
//!
//! Commands whose fake answers no server could give are left out, each with its reason, and the
//! test fails if a case it does not know of appears (a new kubectl's tests are read, not
//! ignored).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kubectl_kit_tests::{Cluster, differ, require_cluster, stderr, stdout, until, upstream};
use serde_json::{Value, json};

/// The columns whose cells a real server fills from the object's life or its own allocations.
const LIFE_COLUMNS: &[&str] = &[
    "AGE",
    "READY",
    "STATUS",
    "RESTARTS",
    "IP",
    "NODE",
    "NOMINATED NODE",
    "READINESS GATES",
    "CLUSTER-IP",
    "EXTERNAL-IP",
    "PORT(S)",
    "DESIRED",
    "CURRENT",
    "AVAILABLE",
    "CONTAINERS",
    "IMAGES",
    "SELECTOR",
];

/// The tests whose commands no real server can answer as their fake does, and why.
const LEFT_OUT: &[(&str, &str)] = &[
    ("TestGetUnknownSchemaObject", "the fake serves a kind (Type/foo) that no API server has"),
    ("TestGetObjectsIdentifiedByFile", "the fake answers the file's ReplicationController with a Pod"),
    ("TestGetTableObjectsIdentifiedByFile", "the fake answers the file's ReplicationController with a Pod"),
    ("TestWatchResourceIdentifiedByFile", "the fake answers the file's ReplicationController with a Pod"),
    ("TestGetListComponentStatus", "ComponentStatus objects are the server's own, not made by a client"),
    ("TestGetMixedGenericObjects", "the fake serves a Status object as a list item"),
    ("TestGetSortedObjectsUnstructuredTable", "the fake's pod table has a CUSTOM column no server prints for pods"),
    ("TestWatchResourceTable", "the fake's pod table has an ACTIVE column no server prints for pods"),
    (
        "TestGetMultipleTypeObjectsWithDirectReference",
        "the fake answers services/bar with service baz, and needs a Node",
    ),
    (
        "TestGetMultipleTypeTableObjectsWithDirectReference",
        "the fake answers services/bar with service baz, and needs a Node",
    ),
    ("TestGetMultipleTypeObjectsWithFieldSelector", "a real server refuses field selector a=b (pods have no field a)"),
    (
        "TestGetMultipleTypeTableObjectsWithFieldSelector",
        "a real server refuses field selector a=b (pods have no field a)",
    ),
    ("TestWatchFieldSelector", "a real server refuses field selector a=b (pods have no field a)"),
    ("TestWatchTableFieldSelector", "a real server refuses field selector a=b (pods have no field a)"),
    (
        "TestWatchStatus",
        "the fake's watch ends with a Status event, which a server sends only for an expired resourceVersion",
    ),
    (
        "TestNotFoundMessageForGetNonNamespacedResources",
        "PersistentVolumes are cluster-wide: other tests' volumes share the cluster",
    ),
    (
        "TestNoBlankLinesForGetMultipleTableResource",
        "the fake serves Deployments, Jobs and StatefulSets whose tables a real server prints with other columns",
    ),
];

/// Why the commands with `-o json` and `-o yaml` are not replayed.
const DATA_FORMATS: &str = "cols' -o json and -o yaml print the table as data, a deliberate difference (docs/cols.md)";

/// The objects the fake served: list items, table rows' objects, watch events' objects, single
/// objects, each with its kind; and whether any answer was a Table.
fn served_objects(case: &Value) -> (Vec<Value>, bool) {
    let mut objects = vec![];
    let mut table = false;
    for s in case["served"].as_array().into_iter().flatten() {
        if s["status"] != 200 {
            continue;
        }
        let body = s["body"].as_str().unwrap_or_default();
        for doc in serde_json::Deserializer::from_str(body).into_iter::<Value>() {
            let Ok(doc) = doc else { break };
            collect(doc, "", &mut objects, &mut table);
        }
    }
    (objects, table)
}

/// The objects in one served document; `kind` is the list's item kind (Go leaves it out of a
/// typed list's items).
fn collect(mut doc: Value, kind: &str, objects: &mut Vec<Value>, table: &mut bool) {
    let own = doc["kind"].as_str().unwrap_or(kind).to_string();
    if doc.get("type").is_some() && doc.get("object").is_some() {
        return collect(doc["object"].take(), kind, objects, table);
    }
    match own.as_str() {
        "Table" => {
            *table = true;
            for mut row in doc["rows"].as_array_mut().map(std::mem::take).unwrap_or_default() {
                collect(row["object"].take(), "", objects, table);
            }
        }
        // kubectl's look-up of the namespace after a NotFound.
        "Namespace" => {}
        list if list.ends_with("List") => {
            let item = list.trim_end_matches("List").to_string();
            for o in doc["items"].as_array_mut().map(std::mem::take).unwrap_or_default() {
                collect(o, &item, objects, table);
            }
        }
        _ => {
            doc["kind"] = Value::String(own);
            objects.push(doc);
        }
    }
}

/// The labels a selector `k=v,k2=v2` asks for.
fn selector_labels(selector: &str) -> BTreeMap<String, String> {
    selector
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A valid object with the fake's kind, name and labels (plus `extra` labels); None for a kind
/// the replay does not make.
fn fixture(object: &Value, extra: &BTreeMap<String, String>) -> Option<Value> {
    let name = object.pointer("/metadata/name")?.as_str()?;
    let mut labels: BTreeMap<String, String> =
        serde_json::from_value(object["metadata"]["labels"].clone()).unwrap_or_default();
    labels.extend(extra.clone());
    let metadata = json!({"name": name, "labels": labels});
    let pod_spec = json!({
        "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}],
        "tolerations": [{"operator": "Exists"}],
    });
    Some(match object["kind"].as_str()? {
        "Pod" => json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}),
        "Service" => {
            json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": {"ports": [{"port": 80}]}})
        }
        "ReplicationController" => json!({
            "apiVersion": "v1", "kind": "ReplicationController", "metadata": metadata,
            "spec": {"replicas": 0, "selector": {"rc": name}, "template": {"metadata": {"labels": {"rc": name}}, "spec": pod_spec}},
        }),
        _ => return None,
    })
}

/// A table's text as blocks (one per resource type), each its header and rows of cells, the
/// [`LIFE_COLUMNS`] left out; rows in name order unless `sorted` (the order is the test's).
fn shape(text: &str, sorted: bool) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let lines: Vec<&str> = block.lines().collect();
            let header = lines.first().copied().unwrap_or_default();
            // kubectl's tabwriter pads columns with at least three spaces; a header has single
            // spaces inside (NOMINATED NODE).
            let bytes = header.as_bytes();
            let starts: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i] != b' ' && (i == 0 || (i >= 2 && bytes[i - 1] == b' ' && bytes[i - 2] == b' ')))
                .collect();
            let cells = |line: &str| -> Vec<String> {
                starts
                    .iter()
                    .enumerate()
                    .map(|(n, &s)| {
                        let end = starts.get(n + 1).copied().unwrap_or(line.len()).min(line.len());
                        line.get(s.min(end)..end).unwrap_or_default().trim().to_string()
                    })
                    .collect()
            };
            let names = cells(header);
            let keep: Vec<usize> = (0..names.len()).filter(|&i| !LIFE_COLUMNS.contains(&names[i].as_str())).collect();
            let pick =
                |row: Vec<String>| keep.iter().map(|&i| row.get(i).cloned().unwrap_or_default()).collect::<Vec<_>>();
            let labels_at = names.iter().position(|n| n == "LABELS");
            let mut rows: Vec<Vec<String>> = lines
                .iter()
                .skip(1)
                .map(|l| {
                    let mut row = cells(l);
                    if let Some(cell) = labels_at.and_then(|i| row.get_mut(i)) {
                        *cell = without_topology(cell);
                    }
                    pick(row)
                })
                .collect();
            if !sorted {
                rows.sort();
            }
            (pick(names), rows)
        })
        .collect()
}

/// A LABELS cell without the topology labels a 1.35 API server copies from the node to the pod
/// it binds there (KEP-4742): the fake's pods were never bound.
fn without_topology(cell: &str) -> String {
    let kept: Vec<&str> = cell.split(',').filter(|l| !l.starts_with("topology.kubernetes.io/")).collect();
    if kept.is_empty() { "<none>".into() } else { kept.join(",") }
}

fn first(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// A replayed command: its arguments for both tools, and how to read its output.
struct Replay {
    args: Vec<String>,
    format: String,
    sorted: bool,
    watch: bool,
}

fn replay_args(case: &Value, ns: &str, table: bool, selector: Option<&str>) -> Replay {
    let mut args: Vec<String> =
        case["args"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(String::from)).collect();
    let flags: BTreeMap<String, String> = serde_json::from_value(case["flags"].clone()).unwrap_or_default();
    for (k, v) in &flags {
        if k == "selector" && selector.is_some() {
            continue;
        }
        args.push(format!("--{k}={v}"));
    }
    if let Some(s) = selector {
        args.push(format!("--selector={s}"));
    }
    if !flags.contains_key("all-namespaces") {
        args.extend(["-n".into(), ns.into()]);
    }
    if !table {
        args.push("--server-print=false".into());
    }
    Replay {
        args,
        format: flags.get("output").cloned().unwrap_or_default(),
        sorted: flags.contains_key("sort-by"),
        watch: flags.contains_key("watch") || flags.contains_key("watch-only"),
    }
}

/// What differs between kubectl's run and cols', if anything.
fn differs(theirs: &Output, ours: &Output) -> Option<String> {
    if theirs.status.code() != ours.status.code() {
        return Some(format!(
            "exit {:?} / {:?}\n  kubectl: {}\n  cols:    {}",
            theirs.status.code(),
            ours.status.code(),
            first(&stderr(theirs)),
            first(&stderr(ours))
        ));
    }
    if first(&stderr(theirs)) != first(&stderr(ours)) {
        return Some(format!("stderr differs\n  kubectl: {:?}\n  cols:    {:?}", stderr(theirs), stderr(ours)));
    }
    let (t, o) = (stdout(theirs), stdout(ours));
    (t != o && differ::masked(&t) != differ::masked(&o))
        .then(|| format!("stdout differs\n--- kubectl\n{t}--- cols\n{o}"))
}

/// What differs between cols' output and the upstream test's, if anything.
fn differs_from_upstream(case: &Value, r: &Replay, ours: &str, our_err: &str, ns: &str) -> Option<String> {
    let want = case["out"].as_str().unwrap_or_default();
    let want_err = case["errOut"].as_str().unwrap_or_default();
    if !want_err.is_empty() && first(&want_err.replace(" test ", &format!(" {ns} "))) != first(our_err) {
        return Some(format!("stderr: upstream {want_err:?}, cols {our_err:?}"));
    }
    let (a, b) = match r.format.as_str() {
        "" | "wide" => {
            let (a, b) = (shape(want, r.sorted), shape(ours, r.sorted));
            if r.watch {
                // A watch prints the listing, then events the cluster decides, each event laid
                // out on its own: the header, and every name the test prints.
                let head = |t: &str| shape(&first(t), false).first().map(|b| b.0.clone());
                let name_at = a.first().and_then(|b| b.0.iter().position(|h| h == "NAME"));
                let tokens: BTreeSet<&str> = ours.split_whitespace().collect();
                let names_printed = a
                    .iter()
                    .flat_map(|b| b.1.iter())
                    .filter_map(|row| name_at.and_then(|i| row.get(i)))
                    .all(|n| tokens.contains(n.as_str()));
                if head(want) == head(ours) && names_printed {
                    return None;
                }
            }
            (format!("{a:?}"), format!("{b:?}"))
        }
        "name" => {
            let set = |s: &str| s.lines().map(String::from).collect::<BTreeSet<_>>();
            (format!("{:?}", set(want)), format!("{:?}", set(ours)))
        }
        // Objects as data carry what the server set (uid, times, status): kubectl is the
        // reference for these.
        _ if want.is_empty() => (String::new(), ours.to_string()),
        _ => return None,
    };
    (a != b).then(|| format!("upstream printed\n{want}cols printed\n{ours}"))
}

/// Watches with both until each printed what the listing holds and then a change, relabelling
/// `pod` to make one; returns their lines, ages masked and repeats folded.
fn watch_both(c: &Cluster, ns: &str, cache: &Path, args: &[String], pod: &str) -> (Vec<String>, Vec<String>, String) {
    let spawn = |mut cmd: Command| {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
        let out = kubectl_kit_tests::stdout_lines(&mut child);
        (child, out)
    };
    let mut kubectl = c.kubectl_cmd();
    kubectl.arg("get").args(args);
    let mut cols = c.plugin("cols", cache);
    cols.args(args);
    let (mut k, k_out) = spawn(kubectl);
    let (mut o, o_out) = spawn(cols);
    let (mut theirs, mut ours) = (vec![], vec![]);
    // The listing, if any, comes whole before the first change.
    until(&k_out, &mut theirs, Duration::from_secs(3), |_| false);
    until(&o_out, &mut ours, Duration::from_secs(3), |_| false);
    let (k_listed, o_listed) = (theirs.len(), ours.len());
    let mut n = 0;
    while (theirs.len() == k_listed || ours.len() == o_listed) && n < 15 {
        n += 1;
        c.kubectl_ok(&["-n", ns, "label", "pod", pod, "--overwrite", &format!("bump={n}")]);
        until(&k_out, &mut theirs, Duration::from_secs(2), |_| false);
        until(&o_out, &mut ours, Duration::from_secs(2), |_| false);
    }
    for child in [&mut k, &mut o] {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        theirs.len() > k_listed && ours.len() > o_listed,
        "{args:?}: no change printed after {n} relabels\nkubectl: {theirs:?}\ncols: {ours:?}"
    );
    let fold = |lines: Vec<String>| {
        let mut out: Vec<String> = vec![];
        for l in lines {
            let masked = differ::masked(&l).concat().join(" ");
            if out.last() != Some(&masked) {
                out.push(masked);
            }
        }
        out
    };
    let raw: String = ours.iter().map(|l| format!("{l}\n")).collect();
    (fold(theirs), fold(ours), raw)
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kubectls_get_tests_replay_on_the_cluster() {
    let c = require_cluster!("kubectl's get_test.go");
    let cache = tempfile::tempdir().expect("tempdir");
    let cases = upstream::get_cases();
    let mut replayed = 0;
    let mut left: BTreeMap<&str, &str> = BTreeMap::new();
    let mut left_commands = 0;
    let mut failures = vec![];
    for case in cases {
        let test = case["test"].as_str().unwrap_or_default();
        if let Some((_, why)) = LEFT_OUT.iter().find(|(t, _)| *t == test) {
            left.insert(test, why);
            left_commands += 1;
            continue;
        }
        let flags: BTreeMap<String, String> = serde_json::from_value(case["flags"].clone()).unwrap_or_default();
        if matches!(flags.get("output").map(String::as_str), Some("json" | "yaml")) {
            left.insert(test, DATA_FORMATS);
            left_commands += 1;
            continue;
        }
        if flags.get("filename").is_some_and(|f| f != "-") {
            failures.push(format!("{test}: reads a file the replay does not know of: {flags:?}"));
            continue;
        }
        let (objects, table) = served_objects(case);
        let ns = c.namespace("get-upstream");
        // The fake pretends its objects match the selector; real ones must carry its labels.
        // With -A, a label of this namespace's own keeps other tests' pods out.
        let mut labels = flags.get("selector").map(|s| selector_labels(s)).unwrap_or_default();
        let mut selector = flags.get("selector").cloned();
        if flags.contains_key("all-namespaces") {
            labels.insert("replay".into(), ns.name.clone());
            let own = format!("replay={}", ns.name);
            selector = Some(selector.map_or(own.clone(), |s| format!("{s},{own}")));
        }
        let mut made: BTreeMap<(String, String), Value> = BTreeMap::new();
        let mut unknown = None;
        for o in &objects {
            let key = (
                o["kind"].as_str().unwrap_or_default().to_string(),
                o["metadata"]["name"].as_str().unwrap_or_default().to_string(),
            );
            match fixture(o, &labels) {
                Some(f) => {
                    made.entry(key).or_insert(f);
                }
                None => unknown = Some(key),
            }
        }
        if let Some((kind, name)) = unknown {
            failures.push(format!("{test}: serves {kind} {name}, which the replay does not make"));
            continue;
        }
        if !made.is_empty() {
            let manifest: Vec<String> = made.values().map(|v| v.to_string()).collect();
            c.apply(&ns.name, &manifest.join("\n---\n"));
        }
        let pods: Vec<&String> = made.keys().filter(|(k, _)| k == "Pod").map(|(_, n)| n).collect();
        if !pods.is_empty() {
            // Both tools read the pods once they stop changing.
            c.wait_pods(&ns.name, "", pods.len(), "Running", |p| p.phase == "Running");
        }
        let r = replay_args(case, &ns.name, table, selector.as_deref());
        let ends = case["served"].as_array().and_then(|s| s.first()).is_some_and(|s| s["status"] != 200);
        replayed += 1;
        if r.watch && !ends {
            let pod = pods.iter().find(|p| p.as_str() == "foo").or(pods.first()).map(|p| p.as_str()).unwrap_or("foo");
            let (theirs, ours, raw) = watch_both(&c, &ns.name, cache.path(), &r.args, pod);
            if theirs != ours {
                failures.push(format!("{test} {:?}: kubectl printed {theirs:#?}\ncols printed {ours:#?}", r.args));
                continue;
            }
            if let Some(why) = differs_from_upstream(case, &r, &raw, "", &ns.name) {
                failures.push(format!("{test} {:?}: {why}", r.args));
            }
            continue;
        }
        let mut last = None;
        for _ in 0..3 {
            let theirs = c.kubectl_cmd().arg("get").args(&r.args).output().expect("kubectl runs");
            let ours = c.plugin("cols", cache.path()).args(&r.args).output().expect("kubectl-cols runs");
            last = differs(&theirs, &ours)
                .or_else(|| differs_from_upstream(case, &r, &stdout(&ours), &stderr(&ours), &ns.name));
            if last.is_none() {
                break;
            }
        }
        if let Some(why) = last {
            failures.push(format!("{test} {:?}: {why}", r.args));
        }
    }
    for (test, why) in &left {
        eprintln!("left out: {test}: {why}");
    }
    eprintln!("replayed {replayed} commands of {} recorded; {} tests left out", cases.len(), left.len());
    assert!(failures.is_empty(), "{} of {replayed} differ:\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!(replayed + left_commands, cases.len(), "every recorded command is replayed or left out with its reason");
    // kubectl 1.35's tests run 63 commands, 38 of them replayable; far fewer means the
    // recording broke.
    assert!(replayed >= 35, "only {replayed} of kubectl's {} get commands were replayed", cases.len());
}
