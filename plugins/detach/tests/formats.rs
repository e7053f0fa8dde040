//! detach's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Without a cluster, every listed format gets past the plan
//! to the missing kubeconfig (exit 1), in every command; every other known format is a usage
//! error naming the list (exit 2).

use std::process::Command;

use kubectl_kit_core::flags::{OutputFlags, binary_format_mismatches, format_mismatches, unlisted_formats};
use kubectl_kit_core::output::Report;

/// detach's `-o` is the shared report format.
const _: fn() -> kubectl_detach::cli::Output = OutputFlags::<Report>::default;

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Report>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_is_accepted_and_every_other_is_a_usage_error() {
    for command in [&["pod", "a"][..], &["list"], &["reattach", "pod/a"], &["cleanup", "--older-than", "1h"]] {
        let wrong = binary_format_mismatches::<Report>(str::to_string, |format| {
            let out = Command::new(env!("CARGO_BIN_EXE_kubectl-detach"))
                .env_remove("KUBECONFIG")
                .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
                .args(command)
                .args(["-o", format])
                .output()
                .expect("runs");
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            let listed = !unlisted_formats::<Report>().contains(&format);
            if listed {
                assert_eq!(out.status.code(), Some(1), "{command:?} -o {format}: {err}");
                assert!(err.contains("no kubeconfig found"), "{command:?} -o {format}: {err}");
            }
            (out.status.code(), err)
        });
        assert_eq!(wrong, Vec::<String>::new(), "{command:?}");
    }
}
