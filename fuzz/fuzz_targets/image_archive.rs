//! Image tarballs (docker save, OCI archive): indexed and read, or refused, never a panic and
//! never an allocation sized by a header.
#![no_main]

use std::io::Write;

use kubectl_kit_registry::{image, store::Store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if file.write_all(data).is_err() {
        return;
    }
    let Ok(store) = Store::tar(file.path(), std::path::Path::new("fuzz.tar")) else { return };
    let _ = image::read_layout(&store, &|_| true);
    let _ = image::read_docker_save(&store);
});
