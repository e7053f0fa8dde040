//! Behaviour pinned by hand; the upstream suites (tests/tests/gotemplate_upstream.rs) compare
//! every case with Go itself.

use serde_json::json;

use super::Template;

fn run(template: &str, data: serde_json::Value) -> (String, Option<String>) {
    match Template::parse(template) {
        Err(e) => (String::new(), Some(e.0)),
        Ok(t) => {
            let (out, err) = t.render(&data);
            (String::from_utf8_lossy(&out).into_owned(), err)
        }
    }
}

#[test]
fn kubernetes_basics_templates_print_what_kubectl_prints() {
    let svc = json!({"spec": {"ports": [{"nodePort": 30080, "port": 8080}]}});
    assert_eq!(run("{{(index .spec.ports 0).nodePort}}", svc).0, "30080");
    let list = json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]});
    assert_eq!(run("{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}", list).0, "a\nb\n");
    let secret = json!({"data": {"password": "aHVudGVy"}});
    assert_eq!(run("{{.data.password | base64decode}}", secret).0, "hunter");
}

#[test]
fn maps_print_in_key_order_and_missing_keys_as_no_value() {
    let obj = json!({"m": {"b": 1, "a": [1, 2.5, "x", null]}, "f": 0.5});
    assert_eq!(run("{{.m}} {{.f}} {{.missing}}", obj).0, "map[a:[1 2.5 x <nil>] b:1] 0.5 <no value>");
}

#[test]
fn errors_keep_partial_output_and_name_the_node() {
    let (out, err) = run("a{{.x.y}}b", json!({"x": "s"}));
    assert_eq!(out, "a");
    assert_eq!(
        err.as_deref(),
        Some("template: output:1:5: executing \"output\" at <.x.y>: can't evaluate field y in type interface {}")
    );
    let t = Template::parse("{{.nope}}").map(|t| t.allow_missing_keys(false));
    let (_, err) = t.map(|t| t.render(&json!({}))).unwrap_or_default();
    assert_eq!(
        err.as_deref(),
        Some("template: output:1:2: executing \"output\" at <.nope>: map has no entry for key \"nope\"")
    );
}

#[test]
fn parse_errors_are_gos() {
    assert_eq!(run("{{foo}}", json!({})).1.as_deref(), Some("template: output:1: function \"foo\" not defined"));
    assert_eq!(run("{{if}}", json!({})).1.as_deref(), Some("template: output:1: missing value for if"));
    assert_eq!(run("{{range .x}}", json!({})).1.as_deref(), Some("template: output:1: unexpected EOF"));
}

#[test]
fn deep_recursion_is_reported_not_overflowed() {
    let (_, err) = run("{{define \"t\"}}{{template \"t\" .}}{{end}}{{template \"t\" .}}", json!({}));
    assert!(err.is_some_and(|e| e.ends_with("exceeded maximum template depth (100000)")));
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(run(&deep, json!({})).0, "1");
    let deeper = format!("{{{{{}1{}}}}}", "(".repeat(10_001), ")".repeat(10_001));
    assert_eq!(run(&deeper, json!({})).1.as_deref(), Some("template: output:1: max expression depth exceeded"));
}
