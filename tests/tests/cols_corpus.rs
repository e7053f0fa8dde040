//! The templates users copy: every `-o jsonpath`, `-o custom-columns` and `--sort-by` example
//! of the Kubernetes documentation's JSONPath page, kubectl quick reference and "list all
//! container images" task (`tests/fixtures/jsonpath-corpus.yaml`, each with its source), run
//! on the demo apps through `kubectl cols` and the cluster's `kubectl get`, compared byte for
//! byte.
//!
//! The docs' placeholders are filled in: `my_namespace` is the test's namespace, `my_pod` one
//! of its pods, `myconfig` the `kube-root-ca.crt` ConfigMap every namespace has. Commands that
//! name no namespace run in the test's.

use kubectl_kit_tests::differ::{Tally, compare_masking_ages};
use kubectl_kit_tests::{require_cluster, root, stdout};

/// The values printed, in any order.
fn values(s: &str) -> Vec<&str> {
    let mut w: Vec<&str> =
        s.split([' ', '\t', '\n', '{', '}', '[', ']', ',', ':', '"']).filter(|w| !w.is_empty()).collect();
    w.sort_unstable();
    w
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn the_docs_templates_print_the_same_through_cols_as_through_kubectl() {
    let c = require_cluster!("the_docs_templates_print_the_same_through_cols_as_through_kubectl");
    let ns = c.namespace("cols-corpus");
    for app in ["numbers-api", "hello-kiamol", "example-replica-set", "legacy-db", "widget"] {
        c.apply_fixture(&ns.name, app);
    }
    // Both commands print the same objects only once their controllers are done with them.
    kubectl_kit_tests::differ::wait_fixtures(&c, &ns.name);
    let pod = c.kubectl_ok(&["-n", &ns.name, "get", "pod", "hello-kiamol", "-o", "name"]);
    let text = std::fs::read_to_string(root().join("tests/fixtures/jsonpath-corpus.yaml")).expect("corpus");
    let corpus: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("corpus is YAML");
    assert!(corpus.len() >= 40, "the corpus has {} entries", corpus.len());
    let cache = tempfile::tempdir().expect("cache dir");
    let mut tally = Tally::default();
    let mut deliberate = 0;
    for entry in &corpus {
        let source = entry["source"].as_str().unwrap_or_default();
        let resource = entry["resource"].as_str().expect("resource").replace("pod/my_pod", pod.trim());
        let mut args: Vec<String> = vec![resource];
        for a in entry["args"].as_sequence().expect("args") {
            let a = a.as_str().expect("string arg");
            args.push(match a {
                "my_namespace" => ns.name.clone(),
                "myconfig" => "kube-root-ca.crt".into(),
                other => other.to_string(),
            });
        }
        let names_namespace = args.iter().any(|a| {
            a == "-n" || a == "--namespace" || a == "-A" || a == "--all-namespaces" || a.starts_with("--namespace=")
        });
        if !names_namespace {
            args.splice(0..0, ["-n".to_string(), ns.name.clone()]);
        }
        let what = format!("kubectl get {} ({source})", args.join(" "));
        if entry["deliberate"].as_str().is_some() {
            // The one difference allowed is the escaping of control characters.
            let theirs = c.kubectl_cmd().arg("get").args(&args).output().expect("kubectl runs");
            let ours = c.plugin("cols", cache.path()).args(&args).output().expect("kubectl-cols runs");
            let unescaped = stdout(&ours).replace("\\n", "\n");
            assert_ne!(stdout(&theirs), stdout(&ours), "{what}: marked deliberate, yet identical");
            assert_eq!(values(&stdout(&theirs)), values(&unescaped), "{what}: differs beyond the escaping");
            deliberate += 1;
            continue;
        }
        let default_view = !args.iter().any(|a| a.starts_with("-o") || a.starts_with("--output"));
        let outcome = compare_masking_ages(&c, cache.path(), &args, default_view);
        tally.add(&what, outcome);
    }
    eprintln!(
        "the docs' templates: {} commands, {} identical, {} identical up to Go's map order, {deliberate} deliberate differences, {} different",
        tally.total() + deliberate,
        tally.same,
        tally.map_order,
        tally.failures.len()
    );
    assert!(tally.failures.is_empty(), "{} commands differ:\n{}", tally.failures.len(), tally.failures.join("\n"));
}
