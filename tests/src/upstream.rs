//! kubectl's own test material, read when the tests run: the cases of client-go's
//! `util/jsonpath` tests and of kubectl's custom-columns printer and sorter tests, as
//! `tests/cluster/go/kubectl-cases` records them from the upstream tests themselves (nothing of
//! their text is kept here), and client-go's own evaluation of any template on any input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::root;

/// The wrapper module that extracts and evaluates.
fn module() -> PathBuf {
    root().join("tests/cluster/go/kubectl-cases")
}

fn go() -> Command {
    let mut c = Command::new("go");
    c.current_dir(module()).env("GOFLAGS", "-mod=readonly").env("GOTOOLCHAIN", "local");
    c
}

/// Every case the upstream tests hand to the code under test, one JSON object each, with a
/// `suite` (`jsonpath`, `customcolumns`, `sort`) and a `kind` (`execute`, `parse`, `spec`,
/// `template`, `print`, `sort`). Extracted once per test process.
pub fn cases() -> &'static [Value] {
    static CASES: OnceLock<Vec<Value>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("cases.jsonl");
        let run = go().arg("run").arg(".").arg("extract").arg(&out).output().expect("go runs");
        assert!(
            run.status.success(),
            "extracting kubectl's test cases failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(&out).expect("cases written");
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON case")).collect()
    })
}

/// One template evaluation by client-go, as kubectl's jsonpath printer sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoResult {
    pub output: String,
    pub error: Option<String>,
    pub parse_error: Option<String>,
}

/// Evaluates templates with client-go itself: `(template, input, allow_missing_keys, as_json)`.
pub fn client_go(evals: &[(String, Value, bool, bool)]) -> Vec<GoResult> {
    let mut child = go()
        .args(["run", ".", "eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go runs");
    let mut input = String::new();
    for (template, data, allow, as_json) in evals {
        let line = json!({"template": template, "input": data, "allowMissingKeys": allow, "outputJSON": as_json});
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("go finishes");
    writer.join().expect("writer").expect("cases written");
    assert!(out.status.success(), "client-go evaluation failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON result");
            GoResult {
                output: v["output"].as_str().unwrap_or_default().to_string(),
                error: v["error"].as_str().map(String::from),
                parse_error: v["parseError"].as_str().map(String::from),
            }
        })
        .collect()
}
