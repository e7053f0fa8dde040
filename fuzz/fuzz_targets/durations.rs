//! Durations and times as users and the cluster give them: `--request-timeout`, `--older-than`
//! and `--timeout` values (kubectl's duration syntax), RFC 3339 timestamps, and the ages and
//! durations printed from them. Never a panic; a duration that parses prints again.
#![no_main]

use std::time::Duration;

use kubectl_kit_core::{flags, time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(d) = flags::parse_duration(text) {
        let _ = time::human_duration(d);
        let _ = time::humanize(d);
        // Whole seconds read back as themselves (while a float holds them exactly).
        let secs = d.as_secs();
        if secs < 1 << 53 {
            assert_eq!(flags::parse_duration(&format!("{secs}s")), Ok(Duration::from_secs(secs)), "{text:?}");
        }
    }
    if let Some(t) = time::parse_rfc3339(text) {
        let _ = time::age(text);
        assert_eq!(time::parse_rfc3339(&time::format_rfc3339(t)), Some(t), "{text:?}");
    }
    let secs = data.iter().take(8).fold(0i64, |n, b| (n << 8) | i64::from(*b));
    let _ = time::human_duration_secs(secs);
    let _ = time::format_rfc3339(secs);
});
