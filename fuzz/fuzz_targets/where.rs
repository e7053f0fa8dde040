//! `--where`: any expression compiles or fails with a usage error, and evaluates on any object
//! without panicking. What the filter reads must be all it needs: evaluated on the object
//! converted whole, and on the object decoded through its projection (what it reads, and of
//! what `has()` tests only that it is there), the expression gives what it gives on the fields
//! it converts.
//!
//! Input: the expression, a line break, then a JSON object (a fixed pod when there is none).
#![no_main]

use kubectl_kit_core::filter::Filter;
use kubectl_kit_core::projection::decode;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (expr, object) = text.split_once('\n').unwrap_or((text, ""));
    let object: Value = serde_json::from_str(object).unwrap_or_else(|_| {
        json!({
            "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}, "creationTimestamp": "2026-01-01T10:00:00Z"},
            "spec": {"containers": [{"name": "a", "image": "x:latest", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "y:1"}]},
            "status": {"phase": "Running", "restartCount": 3, "ratio": 0.5, "ready": true, "nothing": null}
        })
    });
    let Ok(mut filter) = Filter::compile(expr) else { return };
    let pruned = filter.matches(&object);
    let whole = filter.matches_converting_all(&object);
    let projection = filter.projection();
    let Ok(projected) = decode(&object.to_string(), &projection) else { return };
    let through = filter.matches(&projected);
    // Iterating a map goes in no fixed order: comprehensions may differ from run to run.
    let ordered = !["all(", "exists", "map(", "filter(", "sort"].iter().any(|m| expr.contains(m));
    if ordered {
        assert_eq!(pruned.as_ref().ok(), whole.as_ref().ok(), "{expr}: converting the fields read changed the answer");
        assert_eq!(pruned.is_ok(), whole.is_ok(), "{expr}");
        assert_eq!(
            pruned.as_ref().ok(),
            through.as_ref().ok(),
            "{expr}: reads outside its fields {:?}",
            filter.fields()
        );
    }
    let _ = filter.summary();
});
