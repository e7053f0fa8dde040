//! shortname's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Without a cluster shortname prints kubectl's built-in
//! resources, so every listed format is printed, in every command; every other known format
//! is a usage error naming the list (exit 2).

use std::process::Command;

use kubectl_kit_core::flags::{Formats, OutputFlags, format_mismatches, unlisted_formats};
use kubectl_kit_core::output::Format;

/// shortname's `-o` is the shared listing format.
fn _declared(cli: kubectl_shortname::Cli) -> OutputFlags<Format> {
    cli.output
}

const COMMANDS: [&[&str]; 4] = [&[], &["po"], &["why", "po"], &["conflicts"]];

fn shortname(args: &[&str], format: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-shortname"))
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
        .args(args)
        .args(["-o", format])
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Format>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_prints_and_every_other_is_a_usage_error() {
    let mut listed: Vec<&str> = Format::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
    listed.sort_unstable();
    for args in COMMANDS {
        for name in Format::NAMES {
            let (code, out, err) = shortname(args, name);
            assert_eq!(code, Some(0), "{args:?} -o {name}: {err}");
            assert!(!out.is_empty(), "{args:?} -o {name}: nothing printed");
        }
        for name in unlisted_formats::<Format>() {
            let (code, out, err) = shortname(args, name);
            assert_eq!(code, Some(2), "{args:?} -o {name}: {err}");
            assert_eq!(out, "", "{args:?} -o {name}");
            let want = format!(
                "unable to match a printer suitable for the output format \"{name}\", allowed formats are: {}",
                listed.join(",")
            );
            assert!(err.contains(&want), "{args:?} -o {name}: {err}");
        }
    }
}
