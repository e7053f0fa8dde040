//! `kubectl cols -o go-template…` and `-o kyaml` against the cluster's own `kubectl get`: the
//! tutorials' one-liners, lists, missing keys, parse and execution errors, template files,
//! `--template`, `-f` and `--local` files, and a watch. Standard output byte for byte, the first
//! line of standard error, and the exit status: kubectl's, except that a usage error (a
//! template that does not parse, none given) exits 2 where kubectl exits 1, and that after an
//! execution error cols leaves out the object dump kubectl appends to its output.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use kubectl_kit_tests::{Cluster, Namespace, require_cluster, stderr, until};

/// Objects that do not change once created: a NodePort Service (the Kubernetes Basics
/// tutorial's `nodePort` one-liner), Secrets (the cheat sheets' `base64decode`), ConfigMaps.
const OBJECTS: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: db-pass, labels: {tier: db}}
data: {password: aHVudGVyMg==, user: YWRtaW4=}
---
apiVersion: v1
kind: Secret
metadata: {name: api-token, labels: {tier: web}}
stringData: {token: "t0k3n\nwith a line"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {tier: web}, annotations: {note: "a \"quoted\" note"}}
data: {mode: fast, count: "3", multi: "line one\nline two\n", empty: ""}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, labels: {tier: db}}
data: {max: "10"}
"#;

fn setup(c: &Cluster) -> Namespace {
    let ns = c.namespace("cols-templates");
    c.apply_fixture(&ns.name, "client-node-port");
    c.apply(&ns.name, OBJECTS);
    // The Service's nodePort is assigned when it is created; both commands read it then.
    c.wait_kubectl_ok(
        "the client-node-port Service with its nodePort",
        &["-n", &ns.name, "get", "svc", "client-node-port", "-o", "jsonpath={.spec.ports[0].nodePort}"],
    );
    ns
}

/// How cols' result relates to kubectl's.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// The same stdout, first stderr line and exit status.
    Same,
    /// A usage error: no output, the same first stderr line, exit 2 (kubectl exits 1).
    Usage,
    /// An execution error: kubectl's first stderr line and exit status 1; cols' stdout is
    /// kubectl's up to the object dump, which it leaves out.
    ExecError,
}

fn run_both(c: &Cluster, ns: &str, cache: &Path, args: &[&str]) -> (Output, Output) {
    let mut full = vec!["-n", ns];
    full.extend_from_slice(args);
    let theirs = c.kubectl_cmd().arg("get").args(&full).output().expect("kubectl runs");
    let ours = c.plugin("cols", cache).args(&full).output().expect("kubectl-cols runs");
    (theirs, ours)
}

/// Compares cols with kubectl on `args`; a line for the report when they differ.
fn check(c: &Cluster, ns: &str, cache: &Path, args: &[&str], expect: Expect) -> Option<String> {
    let (theirs, ours) = run_both(c, ns, cache, args);
    compare(&theirs, &ours, expect).map(|why| format!("{args:?}: {why}"))
}

fn compare(theirs: &Output, ours: &Output, expect: Expect) -> Option<String> {
    let (t, o) = (&theirs.stdout, &ours.stdout);
    let (te, oe) = (stderr(theirs), stderr(ours));
    let first = |s: &str| s.lines().next().unwrap_or("").to_string();
    let codes = (theirs.status.code(), ours.status.code());
    let want_codes = match expect {
        Expect::Same => (theirs.status.code(), theirs.status.code()),
        Expect::Usage => (Some(1), Some(2)),
        Expect::ExecError => (Some(1), Some(1)),
    };
    if codes != want_codes {
        return Some(format!(
            "exit {codes:?}, wanted {want_codes:?}\n  kubectl: {}\n  cols:    {}",
            first(&te),
            first(&oe)
        ));
    }
    if first(&te) != first(&oe) {
        return Some(format!("stderr differs\n  kubectl: {te:?}\n  cols:    {oe:?}"));
    }
    let stdout_ok = match expect {
        Expect::Same | Expect::Usage => t == o,
        // kubectl's debugging lines go on with the raw object and its Go form.
        Expect::ExecError => {
            t.starts_with(o)
                && t.get(o.len()..).is_some_and(|rest| rest.starts_with(b"\traw data was:\n"))
                && o.windows(26).any(|w| w == b"Error executing template: ")
        }
    };
    (!stdout_ok).then(|| {
        format!("stdout differs\n--- kubectl\n{}\n--- cols\n{}", String::from_utf8_lossy(t), String::from_utf8_lossy(o))
    })
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn go_templates_print_what_kubectl_prints() {
    let c = require_cluster!("cols go-templates");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let files = tempfile::tempdir().expect("tempdir");
    let file = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).expect("write template");
        path.display().to_string()
    };
    let names = file("names.tmpl", "{{range .items}}{{.kind}}/{{.metadata.name}}\n{{end}}");
    let broken = file("broken.tmpl", "{{range .items}}{{.metadata.name}");
    let missing = files.path().join("nope.tmpl").display().to_string();
    let o = |t: &str| format!("-o=go-template={t}");
    use Expect::*;
    let cases: Vec<(Vec<String>, Expect)> = vec![
        // The tutorials' and cheat sheets' one-liners.
        (vec!["svc".into(), "client-node-port".into(), o("{{(index .spec.ports 0).nodePort}}")], Same),
        (vec!["secret".into(), "db-pass".into(), o("{{.data.password | base64decode}}")], Same),
        (
            vec![
                "secret".into(),
                "db-pass".into(),
                o(r#"{{range $k, $v := .data}}{{$k}}={{$v | base64decode}}{{"\n"}}{{end}}"#),
            ],
            Same,
        ),
        (vec!["secrets".into(), "-l=tier".into(), o(r#"{{range .items}}{{.metadata.name}}{{"\n"}}{{end}}"#)], Same),
        (
            vec![
                "cm,svc,secrets".into(),
                o(r#"{{range .items}}{{.kind}} {{.metadata.name}} {{.metadata.labels}}{{"\n"}}{{end}}"#),
            ],
            Same,
        ),
        (
            vec![
                "cm".into(),
                "settings".into(),
                o("{{.data.multi}}|{{.metadata.annotations.note}}|{{printf \"%q\" .data.empty}}"),
            ],
            Same,
        ),
        (
            vec![
                "cm".into(),
                o(
                    r#"{{range .items}}{{if eq .metadata.name "limits"}}{{.data.max}}{{else}}{{.data.count}}{{end}},{{end}}"#,
                ),
            ],
            Same,
        ),
        (vec!["cm".into(), "-l=nothing".into(), o(r#"{{.kind}} {{len .items}} {{range .items}}x{{end}}"#)], Same),
        (vec!["svc".into(), "client-node-port".into(), o("{{.spec.ports}} {{.metadata.nope}} {{.spec}}")], Same),
        (
            vec![
                "secret".into(),
                "api-token".into(),
                o("{{.data.token | base64decode}}{{exists . \"data\" \"token\"}}"),
            ],
            Same,
        ),
        (
            vec!["cm".into(), "settings".into(), o("{{.metadata.labels.tier | printf \"%5s|%-5s|\" .metadata.name}}")],
            Same,
        ),
        // The aliases and --template.
        (vec!["cm".into(), "settings".into(), "-o=template={{.data.mode}}".into()], Same),
        (vec!["cm".into(), "settings".into(), "--template={{.data.mode}}".into()], Same),
        (vec!["cm".into(), "settings".into(), "-o=go-template".into(), "--template={{.data.mode}}".into()], Same),
        (vec!["cm".into(), "settings".into(), "-o=jsonpath".into(), "--template={.data.mode}".into()], Same),
        (vec!["cm".into(), format!("-o=go-template-file={names}")], Same),
        (vec!["cm,secret".into(), format!("-o=templatefile={names}")], Same),
        (vec!["cm".into(), "-o=go-template-file".into(), format!("--template={names}")], Same),
        // Missing keys.
        (
            vec!["cm".into(), "--allow-missing-template-keys=true".into(), o("{{range .items}}{{.data.max}},{{end}}")],
            Same,
        ),
        (
            vec!["cm".into(), "--allow-missing-template-keys=false".into(), o("{{range .items}}{{.data.max}},{{end}}")],
            ExecError,
        ),
        (
            vec![
                "cm".into(),
                "limits".into(),
                "--allow-missing-template-keys=false".into(),
                o("{{.data.max}} {{.metadata.nope}}"),
            ],
            ExecError,
        ),
        (vec!["cm".into(), "limits".into(), "--allow-missing-template-keys=false".into(), o("{{.data.max}}")], Same),
        // Execution errors: what was printed before them stays.
        (vec!["svc".into(), "client-node-port".into(), o("port {{index .spec.ports 5}}")], ExecError),
        (vec!["svc".into(), "nope".into(), o("{{.kind}}")], Same),
        (vec!["svc".into(), "nope".into(), "client-node-port".into(), o("{{.kind}}")], Same),
        (vec!["secret".into(), "db-pass".into(), o("{{.metadata.name}} {{.metadata.name | base64decode}}")], ExecError),
        (vec!["cm".into(), o("{{range .items}}{{.metadata.name}} {{template \"nope\"}}{{end}}")], ExecError),
        (vec!["cm".into(), "settings".into(), o("{{len .data.mode.x}}")], ExecError),
        // Parse errors and missing templates: usage errors for cols.
        (vec!["cm".into(), o("{{range .items}}{{.metadata.name}")], Usage),
        (vec!["cm".into(), o("{{if}}{{end}}")], Usage),
        (vec!["cm".into(), o("{{nosuchfunc .}}")], Usage),
        (vec!["cm".into(), format!("-o=go-template-file={broken}")], Usage),
        (vec!["cm".into(), "-o=go-template".into()], Usage),
        (vec!["cm".into(), "-o=go-template=".into()], Usage),
        // --sort-by orders a List's items before the template sees them.
        (
            vec![
                "cm,secrets".into(),
                "--sort-by=.metadata.uid".into(),
                o("{{range .items}}{{.metadata.name}} {{end}}"),
            ],
            Same,
        ),
        (
            vec![
                "cm,secrets".into(),
                "--sort-by={.metadata.labels.tier}".into(),
                "-o=jsonpath={.items[*].metadata.name}".into(),
            ],
            Same,
        ),
        (vec!["cm".into(), "--sort-by=.metadata.nope".into(), o("{{range .items}}{{.metadata.name}} {{end}}")], Same),
        (vec!["cm".into(), "settings".into(), "--sort-by=.metadata.uid".into(), o("{{.metadata.name}}")], Same),
        // The files' live objects.
        (
            vec![
                "-f".into(),
                kubectl_kit_tests::root().join("tests/fixtures/apps/client-node-port.yaml").display().to_string(),
                o("{{range .items}}{{.kind}}/{{.metadata.name}} {{end}}"),
            ],
            Same,
        ),
    ];
    let mut failures = vec![];
    for (args, expect) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        failures.extend(check(&c, &ns.name, cache.path(), &args, *expect));
    }
    // A template file that cannot be read: both fail before any output, naming the file.
    let (theirs, ours) = run_both(&c, &ns.name, cache.path(), &["cm", &format!("-o=go-template-file={missing}")]);
    let said = |o: &Output| stderr(o).lines().next().unwrap_or("").to_string();
    let prefix = format!("error: error reading --template {missing}, ");
    if theirs.status.code() != Some(1)
        || ours.status.code() != Some(2)
        || !said(&theirs).starts_with(&prefix)
        || !said(&ours).starts_with(&prefix)
        || !ours.stdout.is_empty()
    {
        failures.push(format!("unreadable template file:\n  kubectl: {}\n  cols:    {}", said(&theirs), said(&ours)));
    }
    eprintln!("go-template: {} commands, {} differ", cases.len() + 1, failures.len());
    assert!(failures.is_empty(), "{} of {} differ:\n\n{}", failures.len(), cases.len() + 1, failures.join("\n\n"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kyaml_prints_what_kubectl_prints() {
    let c = require_cluster!("cols kyaml");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let cases: [&[&str]; 9] = [
        &["cm", "settings", "-o=kyaml"],
        &["secret", "api-token", "-o", "kyaml"],
        &["svc", "client-node-port", "-o=kyaml"],
        &["cm", "-o=kyaml"],
        &["cm,secrets,svc", "-l=tier", "-o=kyaml"],
        &["cm", "-l=nothing", "-o=kyaml"],
        &["cm", "nope", "-o=kyaml"],
        &["cm", "nope", "settings", "-o=kyaml"],
        &["cm,secrets", "--sort-by=.metadata.uid", "-o=kyaml"],
    ];
    let mut failures = vec![];
    for args in cases {
        failures.extend(check(&c, &ns.name, cache.path(), args, Expect::Same));
    }
    eprintln!("kyaml: {} commands, {} differ", cases.len(), failures.len());
    assert!(failures.is_empty(), "{} of {} differ:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

/// `--local -f` prints a saved List as kubectl prints the live one it was saved from.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn local_files_print_as_the_live_objects_do() {
    let c = require_cluster!("cols go-template --local");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let saved = cache.path().join("saved.json");
    std::fs::write(&saved, c.kubectl_ok(&["-n", &ns.name, "get", "cm,secrets", "-l=tier", "-o=json"])).expect("save");
    let one = cache.path().join("one.json");
    std::fs::write(&one, c.kubectl_ok(&["-n", &ns.name, "get", "cm", "settings", "-o=json"])).expect("save");
    let mut failures = vec![];
    for (live, file, format) in [
        (
            &["cm,secrets", "-l=tier"][..],
            &saved,
            r#"-o=go-template={{range .items}}{{.metadata.name}}={{index .metadata.labels "tier"}} {{end}}"#,
        ),
        (&["cm,secrets", "-l=tier"][..], &saved, "-o=kyaml"),
        (&["cm", "settings"][..], &one, "-o=go-template={{.data.mode}} {{.kind}}"),
        (&["cm", "settings"][..], &one, "-o=kyaml"),
    ] {
        let mut args = vec!["-n", &ns.name, "get"];
        args.extend_from_slice(live);
        args.push(format);
        let theirs = c.kubectl(&args);
        let ours = c
            .plugin("cols", cache.path())
            .args(["--local", "-f", &file.display().to_string(), format])
            .output()
            .expect("kubectl-cols runs");
        if let Some(why) = compare(&theirs, &ours, Expect::Same) {
            failures.push(format!("{live:?} {format}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `-w -o go-template` and `-w -o kyaml`: the template on each object listed, then on each
/// change, as kubectl prints them.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_watch_prints_each_object_as_kubectl_does() {
    let c = require_cluster!("cols go-template watch");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    for format in [r#"-o=go-template={{.metadata.name}} {{.data.mode}}{{"\n"}}"#, "-o=kyaml"] {
        let args = ["-n", ns.name.as_str(), "cm", "settings", "-w", format];
        let spawn = |mut cmd: std::process::Command| {
            let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
            let out = kubectl_kit_tests::stdout_lines(&mut child);
            (child, out)
        };
        let mut kubectl = c.kubectl_cmd();
        kubectl.arg("get").args(args);
        let mut cols = c.plugin("cols", cache.path());
        cols.args(args);
        let (mut k, k_out) = spawn(kubectl);
        let (mut o, o_out) = spawn(cols);
        let (mut theirs, mut ours) = (vec![], vec![]);
        // Each prints the object as it is first, then the change.
        let listed = |l: &str| l.contains("fast");
        assert!(until(&k_out, &mut theirs, Duration::from_secs(30), listed), "kubectl printed {theirs:?}");
        assert!(until(&o_out, &mut ours, Duration::from_secs(30), listed), "cols printed {ours:?}");
        c.kubectl_ok(&["-n", &ns.name, "patch", "cm", "settings", "-p", r#"{"data":{"mode":"slow"}}"#]);
        let changed = |l: &str| l.contains("slow");
        let k_saw = until(&k_out, &mut theirs, Duration::from_secs(30), changed);
        let o_saw = until(&o_out, &mut ours, Duration::from_secs(30), changed);
        // kyaml prints lines after the changed value: read both to the end of that document.
        let end = |l: &str| l == "}";
        if format.ends_with("kyaml") {
            until(&k_out, &mut theirs, Duration::from_secs(10), end);
            until(&o_out, &mut ours, Duration::from_secs(10), end);
        }
        for child in [&mut k, &mut o] {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert!(k_saw && o_saw, "{format}: the change never came\nkubectl: {theirs:?}\ncols: {ours:?}");
        assert_eq!(ours, theirs, "{format}");
        c.kubectl_ok(&["-n", &ns.name, "patch", "cm", "settings", "-p", r#"{"data":{"mode":"fast"}}"#]);
    }
}
