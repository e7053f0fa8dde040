//! detach's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Without a cluster, every listed format gets past the plan
//! to the missing kubeconfig (exit 1), in every command; every other known format is a usage
//! error naming the list (exit 2).

use std::process::Command;

use kubectl_kit_core::flags::{Formats, OutputFlags, format_mismatches, unlisted_formats};
use kubectl_kit_core::output::Report;

/// detach's `-o` is the shared report format.
const _: fn() -> kubectl_detach::detach::Output = OutputFlags::<Report>::default;

const COMMANDS: [&[&str]; 4] = [&["pod", "a"], &["list"], &["reattach", "pod/a"], &["cleanup", "--older-than", "1h"]];

fn detach(args: &[&str], format: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-detach"))
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
        .args(args)
        .args(["-o", format])
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Report>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_is_accepted_and_every_other_is_a_usage_error() {
    let mut listed: Vec<&str> = Report::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
    listed.sort_unstable();
    for args in COMMANDS {
        for name in Report::NAMES {
            let (code, err) = detach(args, name);
            assert_eq!(code, Some(1), "{args:?} -o {name}: {err}");
            assert!(err.contains("no kubeconfig found"), "{args:?} -o {name}: {err}");
        }
        for name in unlisted_formats::<Report>() {
            let (code, err) = detach(args, name);
            assert_eq!(code, Some(2), "{args:?} -o {name}: {err}");
            let want = format!(
                "unable to match a printer suitable for the output format \"{name}\", allowed formats are: {}",
                listed.join(",")
            );
            assert!(err.contains(&want), "{args:?} -o {name}: {err}");
        }
    }
}
