//! What users see, recorded: cols' tables and data formats for the same saved pods (read with
//! `--local`, so no cluster is needed). A change to any of them shows up in review as a change
//! to a snapshot file under `tests/snapshots/`.

use std::process::{Command, Stdio};

fn cols(args: &[&str]) -> String {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/demo-pods.json");
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-cols"))
        .env_remove("KUBECONFIG")
        .env("KUBECTL_COLS_CONFIG", std::env::temp_dir().join("kubectl-kit-no-presets.yaml"))
        .args(["--local", "-f", fixture])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl-cols runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn preset_tables() {
    insta::assert_snapshot!("ip", cols(&["ip"]));
    insta::assert_snapshot!("ip_qos_all_namespaces", cols(&["ip", "qos", "-A"]));
    insta::assert_snapshot!("images_sorted_by_node", cols(&["images", "--sort-by=.spec.nodeName"]));
    insta::assert_snapshot!("kinds", cols(&[]));
}

#[test]
fn kubectl_formats() {
    insta::assert_snapshot!(
        "custom_columns",
        cols(&[
            "-o",
            "custom-columns=NAME:.metadata.name,PORTS:.spec.containers[*].ports[*].containerPort,REQ:.spec.containers[0].resources.requests"
        ])
    );
    insta::assert_snapshot!(
        "jsonpath_range",
        cols(&[
            "-o",
            r#"jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\t"}{.status.podIP}{"\n"}{end}"#
        ])
    );
    insta::assert_snapshot!("jsonpath_as_json", cols(&["-o", "jsonpath-as-json={.items[*].status.qosClass}"]));
    insta::assert_snapshot!("name", cols(&["-o", "name"]));
}

#[test]
fn data_formats() {
    insta::assert_snapshot!("csv", cols(&["ip", "-o", "csv"]));
    insta::assert_snapshot!("markdown", cols(&["ip", "-o", "markdown"]));
    insta::assert_snapshot!("json", cols(&["ip", "-o", "json"]));
    insta::assert_snapshot!("yaml", cols(&["ip", "-o", "yaml"]));
}
