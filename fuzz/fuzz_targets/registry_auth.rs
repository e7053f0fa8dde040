//! What registries and clusters hand us about registries: WWW-Authenticate headers, Docker's
//! config.json and the KEP-1755 ConfigMap's document. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = kubectl_kit_registry::auth::parse_challenges(text);
    let _ = kubectl_kit_registry::auth::parse_config(text);
    let mut map = std::collections::BTreeMap::new();
    map.insert("localRegistryHosting.v1".to_string(), text.to_string());
    let _ = kubectl_kit_registry::discover::parse(&map);
});
