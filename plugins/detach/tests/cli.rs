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

/// Issue 26: `kubectl detach reattach nosuch` said "only pods can be detached". Each command's
/// target errors name the command, say what it takes and what to type instead, and come before
/// any request: with no kubeconfig at all, reaching the cluster would be exit 1.
#[test]
fn target_errors_say_what_each_command_takes() {
    for (args, error, hint) in [
        (
            vec!["reattach", "nosuch"],
            "error: \"nosuch\" is not a pod (only pods can be reattached): reattach takes pod NAME…, pods/NAME… or pod -l SELECTOR\n",
            Some("hint: kubectl detach reattach pod nosuch\n"),
        ),
        (
            vec!["nosuch"],
            "error: \"nosuch\" is not a pod (only pods can be detached): detach takes pod NAME…, pods/NAME… or pod -l SELECTOR\n",
            Some("hint: kubectl detach pod nosuch\n"),
        ),
        (
            vec!["deployment", "web"],
            "error: \"deployment\" is not a pod (only pods can be detached): detach takes",
            Some(
                "hint: kubectl describe deployment web shows its Selector; kubectl detach pod -l SELECTOR takes its pods\n",
            ),
        ),
        (
            vec!["reattach", "svc/a"],
            "error: \"svc/a\" is not a pod (only pods can be reattached): reattach takes",
            Some("hint: kubectl detach list shows the detached pods\n"),
        ),
        (
            vec!["reattach", "deploy", "-l", "app=x"],
            "error: \"deploy\" is not a pod (only pods can be reattached): reattach takes",
            Some("hint: kubectl detach reattach pod -l app=x\n"),
        ),
        (
            vec!["reattach", "pods/a", "b"],
            "resource/name form (e.g. 'kubectl detach reattach pods/b' instead of 'kubectl detach reattach pods b'): reattach takes",
            Some("hint: kubectl detach reattach pods/a pods/b\n"),
        ),
        (vec!["reattach", "pod"], "no name or label selector was specified: reattach takes", None),
        (vec!["reattach", "pod", "a", "-l", "app=x"], "selector is specified: reattach takes", None),
        // list and cleanup take no targets: clap says so, with their usage.
        (
            vec!["list", "nosuch"],
            "error: unexpected argument 'nosuch' found",
            Some("Usage: kubectl detach list [OPTIONS]"),
        ),
        (
            vec!["cleanup", "--older-than", "1h", "pod", "x"],
            "error: unexpected argument 'pod' found",
            Some("Usage: kubectl detach cleanup [OPTIONS] --older-than <DURATION>"),
        ),
    ] {
        let out = detach().args(&args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(error), "{args:?}: {stderr}");
        if let Some(hint) = hint {
            assert!(stderr.contains(hint), "{args:?}: {stderr}");
        }
        if args[0] == "reattach" {
            assert!(!stderr.contains("can be detached"), "{args:?}: {stderr}");
        }
    }
}
