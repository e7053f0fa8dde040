//! Go templates: parsing and evaluation never panic and never overflow the stack, whatever the
//! template, with or without `--allow-missing-template-keys`; and a run is deterministic: the
//! same template on the same object writes the same bytes and fails the same way (Go visits
//! maps in key order).
//!
//! Go bounds neither a template's running time nor its output (`{{range 1000000000}}`), and
//! neither does the engine; the fuzzer gives each run a step budget and a 1 MiB output sink.
#![no_main]

use std::io::Write;

use kubectl_kit_core::gotemplate::Template;
use libfuzzer_sys::fuzz_target;

/// Output that fails once it holds more than a mebibyte.
struct Sink(Vec<u8>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > 1 << 20 {
            return Err(std::io::Error::other("sink full"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc = serde_json::json!({
        "kind": "List", "apiVersion": "v1",
        "items": [
            {"metadata": {"name": "a", "labels": {"x": "1", "y.z": "2"}, "annotations": {}},
             "spec": {"list": [1, 2.5, null, "s", {"k": [true]}], "m": {}, "empty": [], "n": -3, "f": 0.25},
             "data": {"password": "aHVudGVy", "bad": "!!"}},
            {"metadata": {"name": "b"}, "spec": {"list": [], "n": null, "deep": {"a": {"b": {"c": 3}}}, "u": "héllo ☺"}}
        ],
        "metadata": {"resourceVersion": ""}
    });
    let Ok(t) = Template::parse(text) else { return };
    assert_eq!(t.source(), text);
    let mut t = t;
    for allow in [true, false] {
        t = t.allow_missing_keys(allow);
        for data in [&doc, &doc["items"][0], &serde_json::Value::Null] {
            let run = || {
                let mut sink = Sink(vec![]);
                let err = t.execute_with_fuel(&mut sink, data, 20_000).err().map(|e| e.to_string());
                (sink.0, err)
            };
            assert_eq!(run(), run(), "template {text:?} is not deterministic");
        }
    }
});
