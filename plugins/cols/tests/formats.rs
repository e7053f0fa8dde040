//! cols' `-o` formats: the lists it declares (help, completion, the usage error) and the
//! formats it prints are the same. Every listed format prints saved objects with `--local`, and
//! every format of `kubectl cols presets` prints the presets; every other known format is a
//! usage error naming the list.

use std::process::{Command, Stdio};

use kubectl_cols::cli::Output;
use kubectl_kit_core::flags::{binary_format_mismatches, format_mismatches, unlisted_formats};
use kubectl_kit_core::output::Report;

const SAVED: &str = r#"{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop"},"status":{"podIP":"10.244.0.5"}},
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-2","namespace":"shop"},"status":{"podIP":"10.244.0.6"}}]}"#;

/// Runs cols with `args` and `-o format`: exit code, standard output and standard error.
fn cols(dir: &std::path::Path, args: &[&str], format: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-cols"))
        .env_remove("KUBECONFIG")
        .env("KUBECTL_COLS_CONFIG", dir.join("no-presets.yaml"))
        .env("HOME", dir)
        .args(args)
        .args(["-o", format])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_listed_formats_are_the_picked_formats() {
    assert_eq!(format_mismatches::<Output>(), Vec::<String>::new());
    assert_eq!(format_mismatches::<Report>(), Vec::<String>::new());
}

#[test]
fn every_listed_format_prints_and_every_other_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("pods.json");
    std::fs::write(&saved, SAVED).expect("write");
    let columns = dir.path().join("columns.txt");
    std::fs::write(&columns, "NAME\n.metadata.name\n").expect("write");
    let template = dir.path().join("template.txt");
    std::fs::write(&template, "{.items[*].metadata.name}").expect("write");
    let go_template = dir.path().join("template.tmpl");
    std::fs::write(&go_template, "{{range .items}}{{.metadata.name}} {{end}}").expect("write");
    let saved = saved.to_str().expect("utf-8 path");
    let value = |name: &str| match name {
        "custom-columns=" => "custom-columns=NAME:.metadata.name".to_string(),
        "custom-columns-file=" => format!("custom-columns-file={}", columns.display()),
        "jsonpath=" | "jsonpath-as-json=" => format!("{name}{{.items[*].metadata.name}}"),
        "jsonpath-file=" => format!("jsonpath-file={}", template.display()),
        "go-template=" | "template=" => format!("{name}{{{{range .items}}}}{{{{.metadata.name}}}} {{{{end}}}}"),
        "go-template-file=" | "templatefile=" => format!("{name}{}", go_template.display()),
        other => {
            assert!(!other.ends_with('='), "{other}: a format with an argument needs one here");
            other.to_string()
        }
    };
    let wrong = binary_format_mismatches::<Output>(value, |format| {
        let (code, out, err) = cols(dir.path(), &["--local", "-f", saved], format);
        if !unlisted_formats::<Output>().contains(&format) {
            assert_eq!(code, Some(0), "-o {format}: {err}");
            assert!(out.contains("web-1") && out.contains("web-2"), "-o {format}:\n{out}");
        }
        (code, err)
    });
    assert_eq!(wrong, Vec::<String>::new());
}

#[test]
fn every_presets_format_prints_and_every_other_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = binary_format_mismatches::<Report>(str::to_string, |format| {
        let (code, out, err) = cols(dir.path(), &["presets"], format);
        if !unlisted_formats::<Report>().contains(&format) {
            assert_eq!(code, Some(0), "presets -o {format}: {err}");
            assert!(out.contains("NODE_IP:.status.hostIP"), "presets -o {format}:\n{out}");
        }
        (code, err)
    });
    assert_eq!(wrong, Vec::<String>::new());
}
