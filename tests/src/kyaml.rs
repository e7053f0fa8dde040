//! kubectl's own KYAML encoder, run when the tests run: `tests/cluster/go/kyaml` prints JSON
//! objects the way `kubectl get -o kyaml` does (unstructured decoding, then cli-runtime's
//! printer), and records the values sigs.k8s.io/yaml's kyaml tests hand the encoder (nothing of
//! the encoder or its tests is kept here).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::root;

fn go() -> Command {
    let mut c = Command::new("go");
    c.current_dir(root().join("tests/cluster/go/kyaml")).env("GOFLAGS", "-mod=readonly").env("GOTOOLCHAIN", "local");
    c
}

/// What kubectl's printer made of one object: its output, or its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    pub output: String,
    pub error: Option<String>,
}

/// Prints each object (a JSON object with `apiVersion` and `kind`) with kubectl's KYAML
/// printer, in one Go process.
pub fn kubectl_print(objects: &[Value]) -> Vec<Printed> {
    let binary = wrapper();
    let mut child = Command::new(binary)
        .arg("print")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kyaml wrapper runs");
    let mut input = String::new();
    for o in objects {
        input.push_str(&o.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the kyaml wrapper finishes");
    writer.join().expect("writer").expect("objects written");
    assert!(out.status.success(), "the kyaml wrapper failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let printed: Vec<Printed> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON result");
            Printed {
                output: v["output"].as_str().unwrap_or_default().to_string(),
                error: v["error"].as_str().map(String::from),
            }
        })
        .collect();
    assert_eq!(printed.len(), objects.len(), "one result per object");
    printed
}

/// The wrapper, built once per test process.
fn wrapper() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("kubectl-kit-kyaml-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch directory");
            let binary = dir.join("kyaml");
            let out = go().arg("build").arg("-o").arg(&binary).arg(".").output().expect("go runs");
            assert!(
                out.status.success(),
                "building the kyaml wrapper failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            binary
        })
        .clone()
}

/// A value the encoder's own tests hand it.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// An object or YAML document, as JSON.
    Json(Value),
    /// A string given to the quoting functions.
    String(String),
}

/// Every value sigs.k8s.io/yaml's kyaml tests hand the encoder, recorded while they run.
pub fn encoder_test_values() -> Vec<Recorded> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cases.jsonl");
    let run = Command::new(wrapper())
        .arg("extract")
        .arg(&out)
        .current_dir(root().join("tests/cluster/go/kyaml"))
        .env("GOFLAGS", "-mod=readonly")
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("the kyaml wrapper runs");
    assert!(run.status.success(), "recording the kyaml tests failed:\n{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&out).expect("cases written");
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON case");
            match (v["kind"].as_str(), &v["value"]) {
                (Some("string"), Value::String(s)) => Recorded::String(s.clone()),
                (_, value) => Recorded::Json(value.clone()),
            }
        })
        .collect()
}
