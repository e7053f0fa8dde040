//! Projected decoding of server JSON: malformed input is an error, never a panic.
#![no_main]

use kubectl_kit_core::projection::{Projection, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let p = Projection::from_paths(&[
        vec!["metadata".into(), "name".into()],
        vec!["spec".into(), "containers".into(), "[]".into(), "image".into()],
        vec!["status".into(), "*".into()],
    ]);
    let _ = decode(text, &p);
    let _ = kubectl_kit_core::time::parse_rfc3339(text);
});
