//! kubectl's own test suites, run through `kubectl cols` and checked against kubectl itself.
//!
//! The cases are what client-go's `util/jsonpath` tests (every table: types, structs, JSON,
//! Kubernetes lists, nested and empty ranges, negative indexes, filters, steps, and the
//! parser's own cases) and kubectl's `customcolumn_test.go` and `sorter_test.go` hand to the
//! code under test, recorded from those tests as they run (see `kubectl_kit_tests::upstream`).
//!
//! - Every JSONPath case, whatever its input, is evaluated by client-go itself and by our
//!   engine: same text, same error message.
//! - Every case whose input is an object becomes an object on the cluster (a custom object whose
//!   schema keeps any field at its top level), and `kubectl cols` is compared with the cluster's
//!   `kubectl get`, for the object by name and as a List, byte for byte, success and failure.
//!   Custom-columns specs, files and printed objects, and sorted lists (also in kubectl's
//!   default view) the same way.
//!
//! Where Go's map order is random, kubectl's output varies and ours is in key order; those
//! cases pass when ours is one of kubectl's orders (see `differ`). The counts are printed.

use std::collections::BTreeMap;
use std::path::Path;

use kubectl_kit_core::jsonpath::Template;
use kubectl_kit_tests::differ::{Outcome, Tally, compare};
use kubectl_kit_tests::upstream::{self, GoResult};
use kubectl_kit_tests::{Cluster, require_cluster};
use serde_json::{Value, json};

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: kubectlcases.kit.example.com}
spec:
  group: kit.example.com
  scope: Namespaced
  names: {plural: kubectlcases, singular: kubectlcase, kind: KubectlCase}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

/// The input of a case, when there is one.
fn input(case: &Value) -> Value {
    case["input"].clone()
}

/// Our engine on one case, in client-go's terms.
fn ours(template: &str, data: &Value, allow: bool, as_json: bool) -> GoResult {
    match Template::parse(template) {
        Err(e) => GoResult { output: String::new(), error: None, parse_error: Some(e.0) },
        Ok(t) => {
            let t = t.allow_missing_keys(allow);
            let out = if as_json { t.execute_as_json(data) } else { t.execute(data) };
            match out {
                Ok(output) => GoResult { output, error: None, parse_error: None },
                // Where client-go panics, kubectl crashes; we say so instead.
                Err(e) => GoResult {
                    output: String::new(),
                    error: Some(e.0.replace(" (kubectl panics here)", "").replace("reflect:", "panic: reflect:")),
                    parse_error: None,
                },
            }
        }
    }
}

/// The values printed, in any order: what Go's map order can change.
fn words(s: &str) -> Vec<&str> {
    let mut w: Vec<&str> =
        s.split([' ', '\t', '\n', '{', '}', '[', ']', ',', ':', '"']).filter(|w| !w.is_empty()).collect();
    w.sort_unstable();
    w
}

#[test]
#[ignore = "needs Go and client-go in the module cache (cargo xtask test runs it)"]
fn client_gos_jsonpath_suite_evaluates_as_client_go_does() {
    let cases = upstream::cases();
    let mut evals: Vec<(String, Value, bool, bool)> = vec![];
    let mut seen = std::collections::HashSet::new();
    // A document for templates the parser tests only parse.
    let doc = cases.iter().find(|c| c["name"] == "range item").map(input).expect("client-go's Kubernetes list case");
    for c in cases.iter().filter(|c| c["suite"] == "jsonpath") {
        let template = c["template"].as_str().unwrap_or_default().to_string();
        let e = match c["kind"].as_str() {
            Some("execute") => (
                template,
                input(c),
                c["allowMissingKeys"].as_bool().unwrap_or(false),
                c["outputJSON"].as_bool().unwrap_or(false),
            ),
            _ => (template, doc.clone(), true, false),
        };
        if seen.insert(e.clone().0 + &e.1.to_string() + &e.2.to_string()) {
            evals.push(e);
        }
    }
    assert!(evals.len() > 150, "client-go's suites give {} cases: has extraction broken?", evals.len());
    // Three runs of client-go: the cases whose output changes are the ones in Go's map order.
    let runs: Vec<Vec<GoResult>> = (0..3).map(|_| upstream::client_go(&evals)).collect();
    let (mut same, mut map_order, mut failures) = (0, 0, vec![]);
    for (i, (template, data, allow, as_json)) in evals.iter().enumerate() {
        let mine = ours(template, data, *allow, *as_json);
        let go = &runs[0][i];
        if runs.iter().any(|r| r[i] == mine) {
            if &mine == go {
                same += 1
            } else {
                map_order += 1
            }
            continue;
        }
        // `*` and `..` are where Go visits maps, in an order of its own.
        let map_iteration = template.contains("..") || template.contains('*') || runs.iter().any(|r| r[i] != *go);
        if map_iteration && mine.error == go.error && words(&mine.output) == words(&go.output) {
            map_order += 1;
            continue;
        }
        failures.push(format!(
            "{template:?} on {data} (allow missing keys: {allow})\n  client-go: {go:?}\n  ours:      {mine:?}"
        ));
    }
    eprintln!(
        "client-go's jsonpath cases: {} evaluated, {same} identical, {map_order} identical up to Go's map order, {} different",
        evals.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from client-go:\n{}",
        failures.len(),
        evals.len(),
        failures.join("\n")
    );
}

/// Objects on the cluster for the cases, and the commands comparing them.
struct Plan {
    /// (namespace, object)
    objects: Vec<(String, Value)>,
    /// The namespace objects go to.
    namespace: String,
    /// (what, arguments after `get`)
    commands: Vec<(String, Vec<String>)>,
    /// Files the commands read (custom-columns files).
    files: Vec<tempfile::NamedTempFile>,
}

impl Plan {
    /// A case's input as a KubectlCase named `name` (its own name when `name` is empty and it
    /// has a valid one) with label `case=<label>`: its top-level fields kept, apiVersion and
    /// kind ours (the API server owns them), its labels kept when valid.
    fn object(&mut self, name: &str, label: &str, input: &Value) {
        let Value::Object(m) = input else { return };
        let mut obj = m.clone();
        obj.remove("apiVersion");
        obj.remove("kind");
        let meta = obj.remove("metadata").unwrap_or(Value::Null);
        let name = if name.is_empty() { meta["name"].as_str().unwrap_or_default() } else { name };
        let mut labels = serde_json::Map::new();
        if let Some(own) = meta["labels"].as_object() {
            for (k, v) in own {
                if v.as_str().is_some_and(valid_label) && k.split('/').all(|p| valid_label(p) && !p.is_empty()) {
                    labels.insert(k.clone(), v.clone());
                }
            }
        }
        labels.insert("case".into(), json!(label));
        obj.insert("apiVersion".into(), json!("kit.example.com/v1"));
        obj.insert("kind".into(), json!("KubectlCase"));
        obj.insert("metadata".into(), json!({"name": name, "labels": labels}));
        self.objects.push((self.namespace.clone(), Value::Object(obj)));
    }

    fn command(&mut self, what: String, args: Vec<String>) {
        self.commands.push((what, args));
    }
}

fn valid_label(v: &str) -> bool {
    v.len() < 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A name the API server takes and that sorts like the original.
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 50
        && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn s(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kubectls_own_cases_print_the_same_through_cols_as_through_kubectl() {
    let c = require_cluster!("kubectls_own_cases_print_the_same_through_cols_as_through_kubectl");
    c.apply("default", CRD);
    c.kubectl_ok(&["wait", "--for=condition=Established", "crd/kubectlcases.kit.example.com", "--timeout=60s"]);
    let ns = c.namespace("cols-upstream");
    let cases = upstream::cases();
    let mut plan = Plan { objects: vec![], namespace: ns.name.clone(), commands: vec![], files: vec![] };
    // Inputs that are Lists keep their items' own names, each in a namespace of its own.
    let mut list_namespaces = vec![];
    let n = |args: Vec<String>| {
        let mut a = s(&["-n", &ns.name]);
        a.extend(args);
        a
    };

    // JSONPath: one object per distinct input, each template by name and as a List; an input
    // that is itself a List (a top-level `items`, which the API server would not take on an
    // object) becomes its items, and each template runs on the List kubectl makes of them.
    let mut by_input: BTreeMap<String, (String, bool, String)> = BTreeMap::new();
    let mut templates: Vec<(String, bool, bool, String, bool, String)> = vec![];
    for case in cases.iter().filter(|c| c["suite"] == "jsonpath" && c["kind"] == "execute") {
        let data = input(case);
        if !data.is_object() {
            continue; // only objects can be Kubernetes objects; client-go checks the rest above
        }
        let key = data.to_string();
        let (name, is_list, namespace) = match by_input.get(&key) {
            Some(n) => n.clone(),
            None => {
                let name = format!("jp-{}", by_input.len());
                let is_list = data["items"].as_array().is_some_and(|i| i.iter().all(Value::is_object));
                if is_list {
                    let items = data["items"].as_array().cloned().unwrap_or_default();
                    let own_ns = c.namespace("cols-upstream-list");
                    plan.namespace = own_ns.name.clone();
                    let mut seen = std::collections::HashSet::new();
                    for (k, item) in items.iter().enumerate() {
                        let own =
                            item["metadata"]["name"].as_str().filter(|n| valid_name(n) && seen.insert(n.to_string()));
                        plan.object(&own.map(String::from).unwrap_or_else(|| format!("{name}-{k:03}")), &name, item);
                    }
                    plan.namespace = ns.name.clone();
                    list_namespaces.push(own_ns);
                } else if data.get("items").is_none() {
                    plan.object(&name, "jsonpath", &data);
                } else {
                    continue;
                }
                let namespace = if is_list {
                    list_namespaces.last().map(|n: &kubectl_kit_tests::Namespace| n.name.clone()).unwrap_or_default()
                } else {
                    ns.name.clone()
                };
                by_input.insert(key, (name.clone(), is_list, namespace.clone()));
                (name, is_list, namespace)
            }
        };
        let t = case["template"].as_str().unwrap_or_default().to_string();
        templates.push((
            t,
            case["allowMissingKeys"].as_bool().unwrap_or(false),
            case["outputJSON"].as_bool().unwrap_or(false),
            name,
            is_list,
            namespace,
        ));
    }
    // Templates the parser tests only parse: on the first object.
    let first = by_input
        .values()
        .find(|(_, list, _)| !list)
        .map(|(n, _, _)| n.clone())
        .expect("objects among client-go's inputs");
    for case in cases.iter().filter(|c| c["suite"] == "jsonpath" && c["kind"] == "parse") {
        let t = case["template"].as_str().unwrap_or_default().to_string();
        if !templates.iter().any(|x| x.0 == t) && !t.is_empty() {
            templates.push((t, true, false, first.clone(), false, ns.name.clone()));
        }
    }
    templates.dedup();
    for (t, allow, as_json, name, is_list, namespace) in &templates {
        let n = |args: Vec<String>| {
            let mut a = s(&["-n", namespace]);
            a.extend(args);
            a
        };
        let format = if *as_json { "jsonpath-as-json" } else { "jsonpath" };
        let mut flags = vec![format!("-o={format}={t}")];
        if !allow {
            flags.push("--allow-missing-template-keys=false".into());
        }
        if *is_list {
            let mut list = s(&["kubectlcases", &format!("-l=case={name}")]);
            list.extend(flags);
            plan.command(format!("jsonpath {t:?} on the List of {name}"), n(list));
            continue;
        }
        let mut one = s(&["kubectlcases", name]);
        one.extend(flags.clone());
        plan.command(format!("jsonpath {t:?} on {name}"), n(one));
        let mut list = s(&["kubectlcases", &format!("--field-selector=metadata.name={name}")]);
        list.extend(flags);
        plan.command(format!("jsonpath {t:?} on a List of {name}"), n(list));
    }

    // Custom columns: specs and files on the first object; printed objects by name and as a List.
    for case in cases.iter().filter(|c| c["suite"] == "customcolumns") {
        match case["kind"].as_str() {
            Some("spec") => {
                let spec = case["spec"].as_str().unwrap_or_default();
                let mut a = s(&["kubectlcases", &first, &format!("-o=custom-columns={spec}")]);
                if case["noHeaders"].as_bool() == Some(true) {
                    a.push("--no-headers".into());
                }
                plan.command(format!("custom-columns spec {spec:?}"), n(a));
            }
            Some("template") => {
                let mut f = tempfile::NamedTempFile::new().expect("temp file");
                std::io::Write::write_all(&mut f, case["template"].as_str().unwrap_or_default().as_bytes())
                    .expect("write template");
                let path = f.path().display().to_string();
                plan.files.push(f);
                plan.command(
                    format!("custom-columns-file {:?}", case["template"]),
                    n(s(&["kubectlcases", &first, &format!("-o=custom-columns-file={path}")])),
                );
            }
            Some("print") => {
                let spec: Vec<String> = case["columns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|col| {
                        format!("{}:{}", col["Header"].as_str().unwrap_or(""), col["FieldSpec"].as_str().unwrap_or(""))
                    })
                    .collect();
                let spec = spec.join(",");
                let label = format!("cc-{}", plan.commands.len());
                let obj = input(case);
                let items: Vec<Value> = match obj["items"].as_array() {
                    Some(items) => items.clone(),
                    None => vec![obj.clone()],
                };
                for (k, item) in items.iter().enumerate() {
                    plan.object(&format!("{label}-{k:03}"), &label, item);
                }
                let headers =
                    if case["noHeaders"].as_bool() == Some(true) { vec!["--no-headers".to_string()] } else { vec![] };
                let mut a = s(&["kubectlcases", &format!("-l=case={label}"), &format!("-o=custom-columns={spec}")]);
                a.extend(headers.clone());
                plan.command(format!("custom-columns {spec:?} on {}", obj), n(a));
                if items.len() == 1 {
                    let mut a = s(&["kubectlcases", &format!("{label}-000"), &format!("-o=custom-columns={spec}")]);
                    a.extend(headers);
                    plan.command(format!("custom-columns {spec:?} on one object"), n(a));
                }
            }
            _ => {}
        }
    }

    // Sorting: each case's objects under one label, sorted by the case's field.
    let mut sorted_sets = std::collections::HashSet::new();
    for case in cases.iter().filter(|c| c["suite"] == "sort") {
        let field = case["field"].as_str().unwrap_or_default();
        let objects: Vec<Value> = case["objects"].as_array().cloned().unwrap_or_default();
        if objects.is_empty() || !sorted_sets.insert(format!("{field}{objects:?}")) {
            continue;
        }
        let label = format!("sort-{}", sorted_sets.len());
        let mut names = std::collections::HashSet::new();
        for (k, o) in objects.iter().enumerate() {
            // The object's own name when it makes a valid, unique one (the sort may be by name).
            let own = o["metadata"]["name"].as_str().filter(|n| valid_name(n));
            let name = match own {
                Some(n) if names.insert(n.to_string()) => format!("{label}-{n}"),
                _ => format!("{label}-x{k:03}"),
            };
            plan.object(&name, &label, o);
        }
        let sel = format!("-l=case={label}");
        let by = format!("--sort-by={field}");
        plan.command(
            format!("sort by {field:?} ({label})"),
            n(s(&["kubectlcases", &sel, &by, &format!("-o=custom-columns=NAME:.metadata.name,KEY:{field}")])),
        );
        plan.command(format!("sort by {field:?} ({label}), -o name"), n(s(&["kubectlcases", &sel, &by, "-o=name"])));
        plan.command(
            format!("sort by {field:?} ({label}), default view"),
            n(s(&["kubectlcases", &sel, &by, "--no-headers", "-o=wide"])),
        );
    }

    // Create everything in one apply.
    // POSTed as they are: kubectl's decoder would take an object with a top-level `items` for a
    // list, and its client-side validation refuses the nulls the API server keeps.
    let dir = tempfile::tempdir().expect("tempdir");
    for (namespace, obj) in &plan.objects {
        let file = dir.path().join("object.json");
        std::fs::write(&file, obj.to_string()).expect("write object");
        let uri = format!("/apis/kit.example.com/v1/namespaces/{namespace}/kubectlcases");
        c.kubectl_ok(&["create", "--raw", &uri, "-f", &file.display().to_string()]);
    }

    let cache = tempfile::tempdir().expect("cache dir");
    let tally = run_all(&c, cache.path(), &plan.commands);
    eprintln!(
        "kubectl's own cases through the cluster: {} commands, {} identical, {} identical up to Go's map order, {} different ({} objects)",
        tally.total(),
        tally.same,
        tally.map_order,
        tally.failures.len(),
        plan.objects.len()
    );
    assert!(tally.failures.is_empty(), "{} commands differ:\n{}", tally.failures.len(), tally.failures.join("\n"));
    assert!(tally.total() > 400, "only {} comparisons: has extraction broken?", tally.total());
}

/// Compares every command, four at a time.
fn run_all(c: &Cluster, cache: &Path, commands: &[(String, Vec<String>)]) -> Tally {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut tally = Tally::default();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((what, args)) = commands.get(i) else { break };
                        let outcome = compare(c, cache, args);
                        if let Outcome::Differs(_) = &outcome {
                            tally.add(&format!("{what}: kubectl get {}", args.join(" ")), outcome);
                        } else {
                            tally.add(what, outcome);
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut total = Tally::default();
        for w in workers {
            total.merge(w.join().expect("worker"));
        }
        total
    })
}
