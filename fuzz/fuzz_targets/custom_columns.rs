//! custom-columns specs and files: parsing and rendering never panic.
#![no_main]

use kubectl_kit_core::printers::columns;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let obj = serde_json::json!({"metadata": {"name": "a"}, "spec": {"containers": [{"image": "i"}]}});
    if let Ok(cols) = columns::parse_spec(text) {
        for c in cols {
            let _ = c.cell(&obj);
        }
    }
    let _ = columns::parse_file(text);
    let _ = columns::relaxed(text);
});
