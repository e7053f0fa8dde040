//! Image names and registry hosts: parsed or rejected with a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = kubectl_kit_registry::reference::parse(text);
    let _ = kubectl_kit_registry::reference::check_host(text);
    let _ = kubectl_kit_registry::reference::is_loopback(text);
    let _ = kubectl_kit_registry::oci::Platform::parse(text);
    let _ = kubectl_push_image::setimage::parse(text);
});
