//! `kubectl trace-svc` without a cluster: help, usage errors, no cluster.

use std::process::Command;

fn trace() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-trace_svc"));
    c.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    c
}

#[test]
fn help_and_usage_errors() {
    let out = trace().arg("--help").output().expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: kubectl trace-svc"));
    for (args, want) in [
        (vec!["a.b.c"], "not a Service name"),
        (vec!["x:70000"], "out of range"),
        (vec!["x", "-o", "xml"], "allowed formats are: dot,json,mermaid,yaml"),
    ] {
        let out = trace().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(want),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = trace().output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "a target is required");
}

#[test]
fn no_cluster_is_a_runtime_error() {
    let out = trace().arg("numbers-api").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no kubeconfig found"));
}
