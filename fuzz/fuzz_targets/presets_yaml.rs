//! The presets file: any text is parsed or rejected with a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = kubectl_cols::presets::parse_user(text);
    let _ = kubectl_cols::spec::parse(text);
});
