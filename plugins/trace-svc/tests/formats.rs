//! trace-svc's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Without a cluster, every listed format gets past the plan
//! to the missing kubeconfig (exit 1); every other known format is a usage error naming the
//! list (exit 2).

use std::process::Command;

use kubectl_kit_core::flags::{Formats, format_mismatches, unlisted_formats};
use kubectl_trace_svc::Format;

fn trace(format: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-trace_svc"))
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
        .args(["numbers-api", "-o", format])
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Format>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_is_accepted_and_every_other_is_a_usage_error() {
    for name in Format::NAMES {
        let (code, err) = trace(name);
        assert_eq!(code, Some(1), "-o {name}: {err}");
        assert!(err.contains("no kubeconfig found"), "-o {name}: {err}");
    }
    let mut listed: Vec<&str> = Format::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
    listed.sort_unstable();
    for name in unlisted_formats::<Format>() {
        let (code, err) = trace(name);
        assert_eq!(code, Some(2), "-o {name}: {err}");
        let want = format!(
            "unable to match a printer suitable for the output format \"{name}\", allowed formats are: {}",
            listed.join(",")
        );
        assert!(err.contains(&want), "-o {name}: {err}");
    }
}
