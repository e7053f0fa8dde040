//! kubectl's own test material, read when the tests run: the cases of client-go's
//! `util/jsonpath` tests and of kubectl's custom-columns printer and sorter tests, as
//! `tests/cluster/go/kubectl-cases` records them from the upstream tests themselves (nothing of
//! their text is kept here), and client-go's own evaluation of any template on any input.
//! Likewise for go-templates: the cases of Go's text/template tests and cli-runtime's
//! template tests, and kubectl's go-template printer evaluating any template on any input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use kubectl_kit_core::gotemplate::Template;

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

/// Every case Go's own text/template suites (`exec_test.go`, `multi_test.go`, the parser's and
/// lexer's tests, the examples) and cli-runtime's `template_test.go` hand to the code under
/// test, as `kubectl-cases gotemplate-extract` records them from the Go toolchain's source and
/// the module cache: a `suite`, a `kind` (`execute`: a template run on data, with the data as
/// the JSON kubectl would hand over; `lex`: a text given to the lexer; `number`: a number
/// literal given to the parser), the upstream `test`, and `leftOut` when kubectl could not run
/// the case as the test does (with the reason). Extracted once per test process.
pub fn go_template_cases() -> &'static [Value] {
    static CASES: OnceLock<Vec<Value>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("cases.jsonl");
        let run = go().args(["run", ".", "gotemplate-extract"]).arg(&out).output().expect("go runs");
        assert!(
            run.status.success(),
            "extracting Go's text/template test cases failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(&out).expect("cases written");
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON case")).collect()
    })
}

/// One go-template evaluation as `kubectl get -o go-template` makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTemplateResult {
    /// What the template wrote, up to an execution error.
    pub output: Vec<u8>,
    /// text/template's execution error.
    pub error: Option<String>,
    /// The parse error (text/template's, as NewGoTemplatePrinter returns it).
    pub parse_error: Option<String>,
    /// For an object: what PrintObj wrote (the output, then the debug dump on an error).
    pub printer_output: Option<Vec<u8>>,
    /// For an object: PrintObj's error (`error executing template "…": …`).
    pub printer_error: Option<String>,
}

/// Evaluates templates with kubectl's own go-template printer (cli-runtime and Go's
/// text/template): `(template, input, allow_missing_keys)`.
pub fn go_template(evals: &[(String, Value, bool)]) -> Vec<GoTemplateResult> {
    let mut child = go()
        .args(["run", ".", "gotemplate-eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go runs");
    let mut input = String::new();
    for (template, data, allow) in evals {
        input.push_str(&json!({"template": template, "input": data, "allowMissingKeys": allow}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("go finishes");
    writer.join().expect("writer").expect("cases written");
    assert!(out.status.success(), "kubectl's go-template printer failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = |v: &Value| v.as_str().map(String::from);
    let bytes = |v: &Value| {
        use base64::Engine;
        v.as_str().map(|b| base64::engine::general_purpose::STANDARD.decode(b).expect("base64 output"))
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON result");
            assert!(v["inputError"].is_null(), "kubectl cannot read an input: {}", v["inputError"]);
            GoTemplateResult {
                output: bytes(&v["output"]).unwrap_or_default(),
                error: text(&v["error"]),
                parse_error: text(&v["parseError"]),
                printer_output: bytes(&v["printerOutput"]),
                printer_error: text(&v["printerError"]),
            }
        })
        .collect()
}

/// The Go runtime's facts the go-template engine models (`kubectl-cases gotemplate-facts`):
/// `letter`, `digit`, `print`, `strconvPrint` as rune ranges, and `jsonArrayCaps`, the capacity
/// kubectl's decoder gives a JSON array of each length.
pub fn go_runtime_facts() -> Value {
    let out = go().args(["run", ".", "gotemplate-facts"]).output().expect("go runs");
    assert!(out.status.success(), "reading Go's facts failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("facts are JSON")
}

/// Our go-template engine on one case, in the printer's terms.
pub fn go_template_ours(template: &str, data: &Value, allow: bool) -> GoTemplateResult {
    match Template::parse(template) {
        Err(e) => GoTemplateResult {
            output: vec![],
            error: None,
            parse_error: Some(e.0),
            printer_output: None,
            printer_error: None,
        },
        Ok(t) => {
            let t = t.allow_missing_keys(allow);
            let mut output = vec![];
            let error = t.execute(&mut output, data).err();
            let object = data.is_object();
            GoTemplateResult {
                printer_output: object.then(|| output.clone()),
                printer_error: error.as_ref().filter(|_| object).map(|e| e.kubectl_message(template)),
                error: error.map(|e| e.to_string()),
                output,
                parse_error: None,
            }
        }
    }
}

/// How ours differs from kubectl's (`go_template`), if it does. kubectl's printer writes a debug dump after an
/// error's partial output; ours stops at the partial output.
pub fn go_template_difference(go: &GoTemplateResult, mine: &GoTemplateResult) -> Option<String> {
    let mut why = vec![];
    if go.parse_error != mine.parse_error {
        why.push(format!("parse error: kubectl {:?}, ours {:?}", go.parse_error, mine.parse_error));
    }
    if go.output != mine.output {
        why.push(format!(
            "output: kubectl {:?}, ours {:?}",
            String::from_utf8_lossy(&go.output),
            String::from_utf8_lossy(&mine.output)
        ));
    }
    if go.error != mine.error {
        why.push(format!("error: kubectl {:?}, ours {:?}", go.error, mine.error));
    }
    if go.printer_error != mine.printer_error {
        why.push(format!("printer error: kubectl {:?}, ours {:?}", go.printer_error, mine.printer_error));
    }
    let printed_prefix = match (&go.printer_output, &mine.printer_output) {
        (Some(g), Some(m)) => g.starts_with(m) && (go.printer_error.is_some() || g == m),
        (g, m) => g.is_none() && m.is_none(),
    };
    if !printed_prefix {
        why.push("PrintObj's output does not begin with the output".to_string());
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// Every command kubectl's `get` command tests (`k8s.io/kubectl/pkg/cmd/get/get_test.go`) run,
/// as `kubectl-cases get-extract` records them from the module cache: the `test`, its `args`,
/// the `flags` it set, what the fake server `served` (`path`, `status`, `body`) and what
/// kubectl printed (`out`, `errOut`). Extracted once per test process.
pub fn get_cases() -> &'static [Value] {
    static CASES: OnceLock<Vec<Value>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("cases.jsonl");
        let run = go().args(["run", ".", "get-extract"]).arg(&out).output().expect("go runs");
        assert!(
            run.status.success(),
            "recording kubectl's get command tests failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(&out).expect("cases written");
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON case")).collect()
    })
}
