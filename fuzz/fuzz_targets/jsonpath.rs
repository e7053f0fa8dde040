//! JSONPath templates: parsing and evaluation never panic, whatever the template.
#![no_main]

use kubectl_kit_core::jsonpath::Template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc = serde_json::json!({
        "kind": "List", "items": [{"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"list": [1, 2.5, null, "s"], "m": {}}}],
        "metadata": {"resourceVersion": ""}
    });
    let _ = Template::error_offset(text);
    if let Ok(t) = Template::parse(text) {
        let _ = t.fields();
        let _ = t.clone().allow_missing_keys(true).execute(&doc);
        let _ = t.execute(&doc);
    }
});
