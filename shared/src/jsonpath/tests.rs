//! Cases of our own for the evaluation; kubectl's and client-go's own suites run against
//! kubectl itself in the cluster tests (`tests/tests/cols_upstream.rs`).

use serde_json::{Value, json};

use super::Template;

fn run(template: &str, data: &Value) -> Result<String, String> {
    Template::parse(template).map_err(|e| e.0)?.allow_missing_keys(true).execute(data).map_err(|e| e.0)
}

fn strict(template: &str, data: &Value) -> Result<String, String> {
    Template::parse(template).map_err(|e| e.0)?.execute(data).map_err(|e| e.0)
}

fn pods() -> Value {
    json!({"kind": "List", "items": [
        {"metadata": {"name": "a", "annotations": {"color": "blue"}}, "status": {"phase": "Running", "podIP": "10.0.0.1",
          "addresses": [{"type": "Hostname", "address": "h-a"}, {"type": "InternalIP", "address": "192.168.0.1"}]},
         "spec": {"containers": [{"name": "c1", "ports": [{"containerPort": 80}]}, {"name": "c2", "ports": []},
                                 {"name": "c3", "ports": [{"containerPort": 90}]}]}},
        {"metadata": {"name": "b"}, "status": {"phase": "Pending"}, "spec": {"containers": [{"name": "c1"}]}},
        {"metadata": {"name": "c"}, "status": {"phase": "Running", "podIP": "10.0.0.3", "ready": true,
          "addresses": [{"type": "InternalIP", "address": "192.168.0.3"}]}}
    ]})
}

#[test]
fn a_range_over_a_filter_binds_each_item() {
    let t = r#"{range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\t"}{.status.podIP}{"\n"}{end}"#;
    assert_eq!(run(t, &pods()).unwrap(), "a\t10.0.0.1\nc\t10.0.0.3\n");
    let nested =
        "{range .items[*]}{.metadata.name}:{range @.status.addresses[?(@.type == 'InternalIP')]}{@.address}{end};{end}";
    assert_eq!(run(nested, &pods()).unwrap(), "a:192.168.0.1;b:;c:192.168.0.3;");
}

#[test]
fn filters_skip_items_without_the_field_unless_keys_are_required() {
    let t = r#"{.items[?(@.metadata.annotations.color=="blue")].metadata.name}"#;
    assert_eq!(run(t, &pods()).unwrap(), "a");
    assert_eq!(strict(t, &pods()).unwrap_err(), "annotations is not found");
    assert_eq!(run(r#"{.items[?(@.metadata.annotations.color=="red")].metadata.name}"#, &pods()).unwrap(), "");
}

#[test]
fn literals_compare_with_gos_rules() {
    assert_eq!(run("{.items[?(@.status.ready==true)].metadata.name}", &pods()).unwrap(), "c");
    assert_eq!(run("{.items[?(@..ready==true)].metadata.name}", &pods()).unwrap(), "c");
    assert_eq!(run("{.items[?(.status.phase=='Pending')].metadata.name}", &pods()).unwrap(), "b");
    let n = json!({"a": [{"x": 1}, {"x": 2.5}, {"x": "s"}]});
    assert_eq!(run("{.a[?(@.x==1.0)]}", &n).unwrap_err(), "incompatible types for comparison");
    assert_eq!(run("{.a[?(@.x>2)].x}", &json!({"a": [{"x": 1}, {"x": 3}]})).unwrap(), "3");
    assert_eq!(run("{.a[?(@.x<>2)].x}", &json!({"a": [{"x": 1}]})).unwrap_err(), "unrecognized filter operator <>");
    assert_eq!(
        run("{.a[?(@.x<>2)].x}", &json!({"a": [{"y": 1}]})).unwrap(),
        "",
        "the operator is only checked on a match"
    );
    assert_eq!(run("{.a[?(@.x==true)]}", &json!({"a": [{"x": null}]})).unwrap_err(), "invalid type for comparison");
}

#[test]
fn ranges_behave_as_client_gos_state_machine() {
    // Without {end}: the body once per item, then once more on the outer object.
    assert_eq!(run(r#"{range .a[*]}{@}{","}"#, &json!({"a": [1, 2]})).unwrap(), r#"1,2,{"a":[1,2]},"#);
    // An inner list that is missing: the outer loop carries on.
    let t = r#"{range .items[*]}{.metadata.name}[{range .spec.containers[*]}{.name} {end}]{end}"#;
    assert_eq!(run(t, &pods()).unwrap(), "a[c1 c2 c3 ]b[c1 ]c[]");
    // A null item is Go's zero value inside the body.
    assert_eq!(run(r#"{range .a[*]}{@}{" "}{end}"#, &json!({"a": [1, null, "x"]})).unwrap(), "1 <no value> x ");
    assert_eq!(run("{.a[1]}", &json!({"a": [1, null]})).unwrap(), "null");
    assert_eq!(strict("{range .a[*]}{@}{end}{end}", &json!({"a": [1]})).unwrap_err(), "not in range, nothing to end");
    // client-go keeps where the last body started: a second run of the same template starts
    // there, and its {end} is then outside any range.
    let t = Template::parse("{range .a[*]}{@}{end}").unwrap().allow_missing_keys(true);
    let data = json!({"a": [1, 2]});
    assert_eq!(t.execute(&data).unwrap(), "12");
    assert_eq!(t.execute(&data).unwrap_err().0, "not in range, nothing to end");
    assert_eq!(t.clone().execute(&data).unwrap(), "12", "a clone is a fresh parse");
}

#[test]
fn slices_follow_client_go() {
    let d = json!({"a": [0, 1, 2, 3, 4, 5]});
    assert_eq!(run("{.a[0:4:2]}", &d).unwrap(), "0 2");
    assert_eq!(run("{.a[:4:2]}", &d).unwrap(), "0 2");
    assert_eq!(run("{.a[::2]}", &d).unwrap(), "0 2 4");
    assert_eq!(run("{.a[-2:]}", &d).unwrap(), "4 5");
    assert_eq!(run("{.a[9:9]}", &d).unwrap(), "");
    assert_eq!(run("{.a[-9:-9]}", &d).unwrap(), "");
    assert_eq!(run("{.a[]}", &d).unwrap(), "0");
    assert_eq!(run("{.a[6]}", &d).unwrap_err(), "array index out of bounds: index 6, length 6");
    assert_eq!(run("{.a[2:9]}", &d).unwrap_err(), "array index out of bounds: index 8, length 6");
    assert_eq!(run("{.a[3:1]}", &d).unwrap_err(), "starting index 3 is greater than ending index 1");
    assert_eq!(run("{.a[0:2:0]}", &d).unwrap_err(), "step must be > 0");
    assert_eq!(run("{.a[-1]}", &json!({"a": []})).unwrap_err(), "array index out of bounds: index -1, length 0");
    assert_eq!(run("{.m[0]}", &json!({"m": {}})).unwrap_err(), "map[string]interface {} is not array or slice");
}

#[test]
fn an_empty_list_stops_a_star_like_kubectl() {
    // kubectl 1.35 stops at the first `ports: []` and prints only the ports before it.
    assert_eq!(run("{.items[0].spec.containers[*].ports[*].containerPort}", &pods()).unwrap(), "80");
}

#[test]
fn values_print_as_kubectl_prints_them() {
    let d = json!({"m": {"b": 1, "a": [true, 2.5, 1e6]}, "s": "x<y", "n": null, "f": 1e6, "e": {}, "l": []});
    assert_eq!(run("{.m}", &d).unwrap(), r#"{"a":[true,2.5,1000000],"b":1}"#);
    assert_eq!(run("{.f} {.n} {.s}", &d).unwrap(), "1e+06 null x<y");
    assert_eq!(run("{.m.*}", &d).unwrap(), "[true,2.5,1000000] 1");
    assert_eq!(run("{.s.*}", &d).unwrap(), "120 60 121");
    assert_eq!(run("{.e}{.l}", &d).unwrap(), "{}[]");
    assert_eq!(run(r#"{"\u00e9"}{1}{2.50}{false}"#, &d).unwrap(), "é12.5false");
    let as_json = Template::parse("{.m.a}{.nothing}").unwrap().allow_missing_keys(true).execute_as_json(&d);
    assert_eq!(as_json.unwrap(), "[\n    [\n        true,\n        2.5,\n        1000000\n    ]\n]\n[]\n");
}

#[test]
fn descent_unions_and_keys() {
    let d = json!({"b": {"name": "x", "c": [{"name": "y"}]}, "a": {"name": "z"}});
    assert_eq!(run("{..name}", &d).unwrap(), "z x y");
    assert_eq!(run("{.b.c[0,0].name}", &d).unwrap(), "y y");
    assert_eq!(run("{['a']['name']}", &d).unwrap(), "z");
    let dotted = json!({"m": {"a.b": 1, "a": {"b": 2}}});
    assert_eq!(run("{.m['a.b']}", &dotted).unwrap(), "2", "kubernetes/kubectl#1535");
    assert_eq!(run(r"{.m.a\.b}", &dotted).unwrap(), "1");
    assert_eq!(strict("{hello}", &d).unwrap_err(), "unrecognized identifier hello");
    assert_eq!(
        run("{.n[?(@.x)]}", &json!({"n": null})).unwrap_err(),
        "<nil> is not array or slice and cannot be filtered"
    );
    // An exists filter keeps an element whose left side failed but yielded values.
    assert_eq!(run("{.a[?(@.l[5])].k}", &json!({"a": [{"l": [1], "k": "kept"}]})).unwrap(), "kept");
}

#[test]
fn projections_cover_what_templates_read() {
    let f = |t: &str| Template::parse(t).unwrap().fields();
    assert_eq!(f("{.metadata.name}"), vec![vec!["metadata".to_string(), "name".into()]]);
    let ranged = f(r#"{range .items[*]}{.metadata.name}{"\n"}{end}"#);
    assert!(ranged.contains(&vec!["items".into(), "[]".into(), "metadata".into(), "name".into()]), "{ranged:?}");
    assert_eq!(f("{range .items[*]}{.x}"), vec![Vec::<String>::new()], "an unclosed range reads everything");
    assert_eq!(f("{@}"), vec![Vec::<String>::new()]);
    assert!(f(r#"{.a[?(@.b=="x")].c}"#).contains(&vec!["a".into(), "[]".into(), "b".into()]));
}

/// A fuzz campaign's out-of-memory input nested many ranges over `..`. A range over `..` runs
/// its body once for the current value and each map and list under it, and a range inside it
/// descends again from each of those, so the work grows with the nesting and the document's
/// depth together, in client-go as here: the language's cost, not a defect. The fuzz target
/// bounds the nesting; this pins the count for one to three levels.
#[test]
fn nested_ranges_over_descent_descend_from_each_item() {
    fn containers(v: &Value) -> Vec<&Value> {
        let children: Vec<&Value> = match v {
            Value::Object(m) => m.values().collect(),
            Value::Array(a) => a.iter().collect(),
            _ => return vec![],
        };
        std::iter::once(v).chain(children.into_iter().flat_map(containers)).collect()
    }
    fn count(v: &Value, depth: usize) -> usize {
        if depth == 0 { 1 } else { containers(v).into_iter().map(|u| count(u, depth - 1)).sum() }
    }
    let d = json!({"a": {"b": 1, "e": {"f": [true]}}, "c": [2, [3, {"g": null}]]});
    for depth in 1..=3 {
        let template = format!("{}x{}", "{range ..}".repeat(depth), "{end}".repeat(depth));
        assert_eq!(run(&template, &d).unwrap().len(), count(&d, depth), "{template}");
    }
}
