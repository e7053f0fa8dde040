//! The go-templates users copy: every go-template example of the Kubernetes documentation's
//! tutorials, tasks and kubectl references, and of a public go-template workshop
//! (`tests/fixtures/gotemplate-corpus.yaml`, each with its source), run on the objects recorded
//! there by kubectl's own go-template printer and by our engine, with and without
//! `--allow-missing-template-keys`, compared byte for byte: output, parse errors, execution
//! errors and kubectl's wording of them.

use kubectl_kit_tests::root;
use kubectl_kit_tests::upstream;
use serde_json::{Value, json};

/// What `kubectl get RESOURCE` hands the printer: a list as it is, one object by kind/name,
/// `all` as the pods and services in one list.
fn object(objects: &Value, resource: &str) -> Value {
    if let Some((kind, name)) = resource.split_once('/') {
        let list = format!("{kind}s");
        let items = objects[&list]["items"].as_array().unwrap_or_else(|| panic!("no {list} in the corpus"));
        return items
            .iter()
            .find(|o| o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {resource} in the corpus"))
            .clone();
    }
    if resource == "all" {
        let mut items = vec![];
        for list in ["pods", "services"] {
            items.extend(objects[list]["items"].as_array().cloned().unwrap_or_default());
        }
        return json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    }
    objects[resource].clone()
}

#[test]
#[ignore = "needs Go and cli-runtime in the module cache (cargo xtask test runs it)"]
fn the_docs_go_templates_print_what_kubectl_prints() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/gotemplate-corpus.yaml")).expect("corpus");
    let corpus: Value = serde_yaml::from_str(&text).expect("corpus is YAML");
    let entries = corpus["templates"].as_array().expect("templates");
    assert!(entries.len() >= 25, "the corpus has {} templates", entries.len());
    let mut evals = vec![];
    for entry in entries {
        let source = entry["source"].as_str().unwrap_or_default();
        assert!(source.starts_with("https://"), "every template names its source: {entry}");
        let template = entry["template"].as_str().expect("template").to_string();
        let data = object(&corpus["objects"], entry["resource"].as_str().expect("resource"));
        assert!(data.is_object(), "{} is an object", entry["resource"]);
        for allow in [true, false] {
            evals.push((template.clone(), data.clone(), allow));
        }
    }
    let go = upstream::go_template(&evals);
    let mut failures = vec![];
    let mut errors = 0;
    for ((template, data, allow), go) in evals.iter().zip(&go) {
        if go.error.is_some() || go.parse_error.is_some() {
            errors += 1;
        }
        let mine = upstream::go_template_ours(template, data, *allow);
        if let Some(why) = upstream::go_template_difference(go, &mine) {
            failures.push(format!("{template:?} (allow missing keys: {allow})\n  {why}"));
        }
    }
    eprintln!(
        "the docs' go-templates: {} evaluations, {} identical ({errors} of them errors in kubectl too), {} different",
        evals.len(),
        evals.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} evaluations differ from kubectl:\n{}",
        failures.len(),
        evals.len(),
        failures.join("\n")
    );
}
