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
        (vec!["x", "-o", "xml"], "allowed formats are: dot,json,mermaid,wide,yaml"),
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

/// The binary under the name kubectl runs for completion, linked by `completion install`.
fn completer(dir: &std::path::Path) -> Command {
    let out = trace().args(["completion", "install", "--dir"]).arg(dir).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let link = dir.join("kubectl_complete-trace_svc");
    assert_eq!(
        std::fs::read_link(&link).ok().as_deref(),
        Some(std::path::Path::new(env!("CARGO_BIN_EXE_kubectl-trace_svc")))
    );
    let mut c = Command::new(link);
    c.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    c
}

#[test]
fn completion_without_a_cluster_offers_nothing_and_stays_silent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = completer(dir.path()).arg("").output().expect("runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), ":4\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "kubectl shows the completer's stderr at the prompt");
    let out = completer(dir.path()).args(["x", "-o", ""]).output().expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dot\njson\nmermaid\nwide\nyaml\n:4\n");
    let out = completer(dir.path()).args(["x", "--fr"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("--from\tEvaluate NetworkPolicies"));
}
