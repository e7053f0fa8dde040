//! `kubectl detach` without a cluster: help, usage errors, no cluster.

use std::process::Command;

fn detach() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-detach"));
    c.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    c
}

#[test]
fn help_and_usage_errors() {
    let out = detach().arg("--help").output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl detach"), "{help}");
    for cmd in ["list", "reattach", "cleanup"] {
        assert!(help.contains(cmd), "{cmd} missing from help");
    }
    for (args, want) in [
        (vec!["deployment", "web"], "only pods can be detached"),
        (vec!["pod", "a", "-l", "app=x"], "name cannot be provided when a selector is specified"),
        (vec!["pod"], "no name or label selector"),
        (vec!["pod", "pods/a"], "resource/name form"),
        (vec!["pod", "a", "-o", "wide-ish"], "allowed formats are: json,wide,yaml"),
        (vec!["pod", "a", "--from=everything"], "invalid value 'everything'"),
        (vec!["pod", "a", "--dry-run=maybe"], "invalid value 'maybe'"),
        (vec!["cleanup", "--older-than", "soon"], "invalid value 'soon'"),
        (vec!["cleanup"], "--older-than"),
        (vec!["reattach", "svc/a"], "only pods"),
    ] {
        let out = detach().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(want),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn no_cluster_is_a_runtime_error() {
    // Flags may come before a subcommand, as kubectl allows (`-n x list`).
    for args in
        [vec!["pod", "a"], vec!["list"], vec!["-n", "x", "list"], vec!["-n", "x", "cleanup", "--older-than", "1h"]]
    {
        let out = detach().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("no kubeconfig found"), "{args:?}");
    }
}
