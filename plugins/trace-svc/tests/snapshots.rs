//! What users see, recorded: the trace of cluster states recorded from the test cluster's kwok
//! failure stages (`tests/fixtures/*.json`, made by `tests/fixtures/record.sh`), as the tree,
//! `-o json`, `-o dot` and `-o mermaid`, with no cluster. The recorded objects are fixed, so the
//! output is too: nothing is filtered. A change to any rule or rendering shows up in review as a
//! change to a snapshot file under `tests/snapshots/`.

use clap::Parser;
use kubectl_trace_svc::gather::{self, Recorded};
use kubectl_trace_svc::model::Status;
use kubectl_trace_svc::{Cli, plan, show, trace};

/// `kubectl trace-svc ARGS` on the state recorded in `tests/fixtures/STATE.json`: the output and
/// the trace's status.
fn traced(state: &str, args: &[&str]) -> (String, Status) {
    let path = format!("{}/tests/fixtures/{state}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let recorded: Recorded = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cli = Cli::try_parse_from(std::iter::once("kubectl-trace_svc").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (target, format) = plan(&cli).unwrap_or_else(|e| panic!("{args:?}: {}", e.message));
    let world = gather::recorded(recorded, &target);
    let t = trace::diagnose(&world, target.port.as_ref());
    let out = show(&t, format).unwrap_or_else(|e| panic!("{args:?}: {}", e.message));
    (out, t.status)
}

/// Snapshots the trace of SERVICE in every format, and returns its status.
fn every_format(state: &str, service: &str) -> Status {
    let (tree, status) = traced(state, &[service]);
    insta::assert_snapshot!(format!("{state}_tree"), tree);
    for format in ["json", "dot", "mermaid"] {
        let (out, same) = traced(state, &[service, "-o", format]);
        assert_eq!(same, status, "-o {format}");
        insta::assert_snapshot!(format!("{state}_{format}"), out);
    }
    status
}

#[test]
fn a_healthy_service() {
    assert_eq!(every_format("healthy", "numbers-api"), Status::Ok);
}

#[test]
fn a_crash_loop() {
    assert_eq!(every_format("crash_loop", "api"), Status::Fail);
}

#[test]
fn unschedulable_pods() {
    assert_eq!(every_format("unschedulable", "api"), Status::Fail);
}

#[test]
fn not_ready_endpoints() {
    assert_eq!(every_format("not_ready", "api"), Status::Fail);
}

#[test]
fn a_selector_that_matches_nothing() {
    assert_eq!(every_format("no_match", "typo"), Status::Fail);
}

#[test]
fn a_named_target_port_missing_on_the_pods() {
    assert_eq!(every_format("missing_port", "wrong-port"), Status::Fail);
}

/// A `--port` the Service does not have is said in a sentence, not after an empty verdict.
#[test]
fn a_port_the_service_does_not_have() {
    let (tree, status) = traced("healthy", &["numbers-api", "--port", "9999"]);
    assert_eq!(status, Status::Fail);
    insta::assert_snapshot!("healthy_port_9999_tree", tree);
}
