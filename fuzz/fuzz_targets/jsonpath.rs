//! JSONPath templates: parsing and evaluation never panic, whatever the template; and the
//! projection a template declares (`fields`) never changes what it prints: evaluating on the
//! document decoded through the projection gives the same output as on the whole document.
#![no_main]

use kubectl_kit_core::jsonpath::Template;
use kubectl_kit_core::projection::{Projection, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc = serde_json::json!({
        "kind": "List", "items": [
            {"metadata": {"name": "a", "labels": {"x": "1", "y.z": "2"}}, "spec": {"list": [1, 2.5, null, "s", {"k": [true]}], "m": {}, "empty": []}},
            {"metadata": {"name": "b"}, "spec": {"list": [], "n": null, "deep": {"a": {"b": {"c": 3}}}}}
        ],
        "metadata": {"resourceVersion": ""}
    });
    let _ = Template::error_offset(text);
    let Ok(t) = Template::parse(text) else { return };
    // Each range runs its body once per value it ranges over, and a range over `..` inside
    // another descends again from each item, as in client-go
    // (`jsonpath::tests::nested_ranges_over_descent_descend_from_each_item`): past two, one
    // input takes seconds and gigabytes without reaching new code.
    if text.matches("range").count() > 2 {
        return;
    }
    for allow in [true, false] {
        let whole = t.clone().allow_missing_keys(allow).execute(&doc);
        let projection = Projection::from_paths(&t.fields());
        let projected = decode(&doc.to_string(), &projection).expect("the document decodes");
        let seen = t.clone().allow_missing_keys(allow).execute(&projected);
        if let Ok(out) = &whole {
            assert_eq!(seen.as_ref().ok(), Some(out), "template {text:?} reads outside its projection {projection:?}");
        } else {
            assert!(seen.is_err(), "template {text:?} fails on the whole document but not on its projection");
        }
        let _ = t.clone().allow_missing_keys(allow).execute_as_json(&doc);
    }
});
