//! What users type: trace-svc and detach targets, cols specs, `--set-image` targets,
//! durations (`--older-than`, `--timeout`). One argument per line. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let words: Vec<String> = text.split('\n').map(str::to_string).collect();
    for w in &words {
        let _ = kubectl_trace_svc::target::parse(w);
        let _ = kubectl_cols::spec::parse(w);
        let _ = kubectl_push_image::setimage::parse(w);
        let _ = kubectl_kit_core::flags::parse_duration(w);
    }
    let (selector, rest) = match words.split_first() {
        Some((first, rest)) if first.starts_with("-l") => (Some(first.trim_start_matches("-l")), rest),
        _ => (None, &words[..]),
    };
    for verb in [kubectl_detach::target::Verb::Detach, kubectl_detach::target::Verb::Reattach] {
        let _ = kubectl_detach::target::parse(rest, selector, verb);
    }
});
