//! push-image's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Every listed format gets past the plan to reading the
//! source (a missing one: exit 1); every other known format is a usage error naming the list
//! (exit 2), before the source is read.

use std::process::Command;

use kubectl_kit_core::flags::{Formats, format_mismatches, unlisted_formats};
use kubectl_push_image::Format;

fn push(format: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-push_image"))
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
        .env("PATH", "/nonexistent")
        .args(["./missing.tar", "app:1", "-o", format])
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
        let (code, err) = push(name);
        assert_eq!(code, Some(1), "-o {name}: {err}");
        assert!(err.contains("cannot read ./missing.tar"), "-o {name}: {err}");
    }
    let mut listed: Vec<&str> = Format::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
    listed.sort_unstable();
    for name in unlisted_formats::<Format>() {
        let (code, err) = push(name);
        assert_eq!(code, Some(2), "-o {name}: {err}");
        let want = format!(
            "unable to match a printer suitable for the output format \"{name}\", allowed formats are: {}",
            listed.join(",")
        );
        assert!(err.contains(&want), "-o {name}: {err}");
    }
}
