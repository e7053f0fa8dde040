//! shortname's `-o` formats: the list it declares (help, completion, the usage error) and the
//! formats it prints are the same. Without a cluster shortname prints kubectl's built-in
//! resources, so every listed format prints, in every command; every other known format is a
//! usage error naming the list (exit 2).

use std::process::Command;

use kubectl_kit_core::flags::{OutputFlags, binary_format_mismatches, format_mismatches, unlisted_formats};
use kubectl_kit_core::output::Format;

/// shortname's `-o` is the shared listing format.
fn _declared(cli: kubectl_shortname::Cli) -> OutputFlags<Format> {
    cli.output
}

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Format>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_prints_and_every_other_is_a_usage_error() {
    for command in [&[][..], &["po"], &["why", "po"], &["conflicts"]] {
        let wrong = binary_format_mismatches::<Format>(str::to_string, |format| {
            let out = Command::new(env!("CARGO_BIN_EXE_kubectl-shortname"))
                .env_remove("KUBECONFIG")
                .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
                .args(command)
                .args(["-o", format])
                .output()
                .expect("runs");
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            let listed = !unlisted_formats::<Format>().contains(&format);
            if listed {
                assert!(out.status.success(), "{command:?} -o {format}: {err}");
                assert!(!out.stdout.is_empty(), "{command:?} -o {format}: nothing printed");
            } else {
                assert!(out.stdout.is_empty(), "{command:?} -o {format}: printed despite the usage error");
            }
            (out.status.code(), err)
        });
        assert_eq!(wrong, Vec::<String>::new(), "{command:?}");
    }
}
