//! Go's own text/template suites and cli-runtime's template tests, evaluated by our go-template
//! engine and by kubectl's go-template printer itself, which must agree byte for byte: output,
//! parse errors and execution errors.
//!
//! The cases are what the upstream tests hand to the code under test, recorded from the Go
//! toolchain's source and the module cache as they run (see `kubectl_kit_tests::upstream`):
//! every template `exec_test.go`, `multi_test.go` and the examples execute, with its data as
//! the JSON kubectl would hand over (fields JSON cannot hold, such as functions and channels,
//! are dropped and methods do not exist, exactly as in the object kubectl prints), every text
//! the lexer and parser tests parse, and every number literal the parser tests read. Each runs
//! as kubectl runs it: named `output`, with kubectl's functions. A case kubectl cannot run the
//! way the test does (custom delimiters, several parsed texts, executing another template) is
//! left out and listed with its reason.
//!
//! Beyond the suites: every printf verb and flag on every kind of value, and a list of
//! templates aimed at the corners where Go's rules are subtle (interface values, missing keys,
//! mixed-kind comparisons, capacity, error positions), compared the same way.

use std::collections::{BTreeMap, HashSet};

use kubectl_kit_core::gotemplate::{json_array_capacity, unicode};
use kubectl_kit_tests::upstream;
use serde_json::{Value, json};

/// Runs every case through kubectl and ours; returns (identical, failures).
fn compare(evals: &[Eval]) -> (usize, Vec<String>) {
    let go = upstream::go_template(evals);
    assert_eq!(go.len(), evals.len(), "kubectl's printer answered every case");
    let mut same = 0;
    let mut failures = vec![];
    for ((template, data, allow), go) in evals.iter().zip(&go) {
        let mine = upstream::go_template_ours(template, data, *allow);
        match upstream::go_template_difference(go, &mine) {
            None => same += 1,
            Some(why) => {
                let shown = data.to_string();
                let shown = if shown.len() > 300 {
                    format!("{}…", shown.chars().take(300).collect::<String>())
                } else {
                    shown
                };
                failures.push(format!("{template:?} on {shown} (allow missing keys: {allow})\n  {why}"))
            }
        }
    }
    (same, failures)
}

fn check(evals: usize, failures: &[String]) {
    assert!(failures.is_empty(), "{} of {evals} cases differ from kubectl:\n{}", failures.len(), failures.join("\n"));
}

/// `(template, input, allow missing keys)`.
type Eval = (String, Value, bool);

/// The evaluations a suite's recorded cases make, and the cases left out by reason.
fn suite_evals(suite: &str) -> (Vec<Eval>, BTreeMap<String, Vec<String>>) {
    let cases: Vec<&Value> = upstream::go_template_cases().iter().filter(|c| c["suite"] == suite).collect();
    // The parser's and lexer's texts run on the data of text/template's own exec tests.
    let t_val = upstream::go_template_cases()
        .iter()
        .find(|c| c["kind"] == "execute" && c["dataType"] == "*template.T" && c["leftOut"].is_null())
        .map(|c| c["input"].clone())
        .expect("text/template's exec tests run on their T value");
    let mut evals = vec![];
    let mut seen = HashSet::new();
    let mut left_out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut push = |e: (String, Value, bool)| {
        if seen.insert(format!("{}\u{0}{}\u{0}{}", e.0, e.1, e.2)) {
            evals.push(e);
        }
    };
    for c in cases {
        let test = c["test"].as_str().unwrap_or("?").to_string();
        if let Some(reason) = c["leftOut"].as_str() {
            left_out.entry(reason.to_string()).or_default().push(test);
            continue;
        }
        let template = c["template"].as_str().unwrap_or_default().to_string();
        match c["kind"].as_str() {
            Some("execute") => push((template, c["input"].clone(), c["allowMissingKeys"].as_bool().unwrap_or(true))),
            Some("lex") => {
                let default = |d: &Value| matches!(d.as_str(), None | Some("" | "{{" | "}}"));
                if !default(&c["leftDelim"]) || !default(&c["rightDelim"]) {
                    left_out
                        .entry("lexed with custom delimiters (kubectl has none)".to_string())
                        .or_default()
                        .push(test);
                    continue;
                }
                push((template, t_val.clone(), true));
            }
            Some("number") => {
                let text = c["text"].as_str().unwrap_or_default();
                push((format!("{{{{{text}}}}}"), t_val.clone(), true));
                push((format!("{{{{printf \"%T %v\" {text} {text}}}}}"), t_val.clone(), true));
            }
            other => panic!("unknown kind of case {other:?}"),
        }
    }
    (evals, left_out)
}

/// The cases left out, counted by reason, with the upstream tests they come from.
fn left_out_lines(suite: &str, left_out: &BTreeMap<String, Vec<String>>) -> String {
    let total: usize = left_out.values().map(Vec::len).sum();
    let mut lines = vec![format!("{suite}: {total} cases left out:")];
    for (reason, tests) in left_out {
        let mut names: Vec<&str> = tests.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        lines.push(format!("  {} × {reason} ({})", tests.len(), names.join(", ")));
    }
    lines.join("\n")
}

#[test]
#[ignore = "needs Go and the Go toolchain's source (cargo xtask test runs it)"]
fn go_text_template_suites_evaluate_as_kubectl_does() {
    let (evals, left_out) = suite_evals("text/template");
    assert!(evals.len() > 1000, "Go's suites give {} cases: has extraction broken?", evals.len());
    let (same, failures) = compare(&evals);
    eprintln!("{}", left_out_lines("text/template", &left_out));
    eprintln!("Go's text/template cases: {} evaluated, {same} identical, {} different", evals.len(), failures.len());
    check(evals.len(), &failures);
}

#[test]
#[ignore = "needs Go and cli-runtime in the module cache (cargo xtask test runs it)"]
fn cli_runtime_template_tests_evaluate_as_kubectl_does() {
    let (evals, left_out) = suite_evals("cli-runtime");
    assert!(evals.len() >= 8, "cli-runtime's template tests give {} cases: has extraction broken?", evals.len());
    let (same, failures) = compare(&evals);
    eprintln!("{}", left_out_lines("cli-runtime", &left_out));
    eprintln!(
        "cli-runtime's template cases: {} evaluated, {same} identical, {} different",
        evals.len(),
        failures.len()
    );
    check(evals.len(), &failures);
}

#[test]
#[ignore = "needs Go (cargo xtask test runs it)"]
fn the_go_runtime_facts_the_engine_models_are_gos() {
    let facts = upstream::go_runtime_facts();
    for (name, ours) in unicode::tables() {
        let go: Vec<(u32, u32)> = facts[name]
            .as_array()
            .expect("rune ranges")
            .iter()
            .map(|r| (r[0].as_u64().unwrap_or(0) as u32, r[1].as_u64().unwrap_or(0) as u32))
            .collect();
        assert_eq!(ours, go.as_slice(), "unicode.Is{name} differs from Go's");
    }
    assert_eq!(facts["print"], facts["strconvPrint"], "unicode.IsPrint and strconv.IsPrint agree");
    let caps = facts["jsonArrayCaps"].as_array().expect("capacities");
    for (len, cap) in caps.iter().enumerate() {
        assert_eq!(Some(json_array_capacity(len) as u64), cap.as_u64(), "capacity of a decoded array of {len}");
    }
}

/// A document with a value of every kind a template meets.
fn doc() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-0",
            "namespace": "default",
            "labels": {"app": "web", "tier": "front", "a.b/c": "dotted"},
            "annotations": {},
            "creationTimestamp": "2024-01-02T03:04:05Z"
        },
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                 "resources": {"limits": {"cpu": "500m"}}},
                {"name": "side", "image": "busybox", "args": ["-c", "sleep 1"]}
            ],
            "nodeName": null,
            "priority": 0,
            "ratio": 0.25,
            "whole": 2.0,
            "big": 1e21,
            "huge": 18446744073709551615u64,
            "tiny": 1.5e-7,
            "neg": -3,
            "flag": false,
            "yes": true,
            "emptyList": [],
            "emptyMap": {},
            "emptyString": "",
            "three": [1, 2, 3],
            "uni": "héllo ☺",
            "html": "<a href='x'>&\"</a>",
            "ctl": "tab\there\u{1}\u{7f}"
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.1",
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "Scheduled", "status": "False"}],
            "containerStatuses": [
                {"name": "app", "ready": true, "restartCount": 2, "state": {"running": {"startedAt": "2024-01-02T03:04:06Z"}}},
                {"name": "side", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ]
        },
        "data": {"password": "aHVudGVy", "bad": "not base64!", "nl": "aHVu\ndGVy", "pad": "QQ", "num": 5}
    })
}

/// Values of every kind, as template arguments.
const VALUES: &[&str] = &[
    "0",
    "42",
    "-7",
    "255",
    "3.5",
    "-0.0",
    "1e6",
    "1e21",
    "1.5e-7",
    "'x'",
    "'☺'",
    "1+2i",
    "\"str\"",
    "\"\"",
    "\"héllo\"",
    "true",
    "nil",
    ".metadata.name",
    ".spec.priority",
    ".spec.neg",
    ".spec.ratio",
    ".spec.big",
    ".spec.huge",
    ".spec.tiny",
    ".spec.yes",
    ".spec.three",
    ".spec.emptyList",
    ".metadata.labels",
    ".spec.emptyMap",
    ".spec.nodeName",
    ".missing",
    "(index \"abc\" 1)",
    ".spec.ctl",
    ".spec.whole",
];

#[test]
#[ignore = "needs Go and cli-runtime in the module cache (cargo xtask test runs it)"]
fn printf_verbs_and_flags_print_as_go_prints_them() {
    let data = doc();
    let mut evals = vec![];
    let verbs =
        ["v", "d", "s", "q", "x", "X", "o", "O", "b", "e", "E", "f", "F", "g", "G", "c", "U", "t", "T", "w", "z"];
    let flags = ["", "+", "-", "#", " ", "0", "6", "-6", "06", ".2", "8.3", "+.3", "#6", "# ", "-08.1", ".0", "+#"];
    for verb in verbs {
        for flag in flags {
            for value in VALUES {
                evals.push((format!("{{{{printf \"%{flag}{verb}\" {value}}}}}"), data.clone(), true));
            }
        }
    }
    // %p prints an address for maps and slices, which no two programs share.
    for value in VALUES.iter().filter(|v| !v.starts_with(".spec.three") && !v.contains("emptyList")) {
        if !matches!(*value, ".metadata.labels" | ".spec.emptyMap") {
            evals.push((format!("{{{{printf \"%p\" {value}}}}}"), data.clone(), true));
        }
    }
    for format in [
        "%d %d",
        "%d",
        "%[2]d %[1]d",
        "%[3]d",
        "%[0]d",
        "%[x]d",
        "%[2]*d",
        "%*d",
        "%-*d",
        "%.*f",
        "%*.*f",
        "%[1]*d",
        "%.[2]d",
        "%!",
        "%",
        "%é",
        "%%",
        "%5%",
        "%[1]d %d %[1]d",
        "%v %[1]T",
        "%3.[2]d",
        "%.*d",
        "%10000000d",
        "%.10000000d",
        "%[99]d",
        "%d%!(EXTRA",
        "abc",
        "%-+ #0d",
    ] {
        for args in ["", " 1", " 1 2", " 1 2 3", " \"a\" 2.5", " -3 7", " 1000001 1", " .spec.three .metadata"] {
            evals.push((format!("{{{{printf {:?}{args}}}}}", format), data.clone(), true));
        }
    }
    for func in ["print", "println", "html", "js", "urlquery"] {
        for args in [
            "",
            " 1",
            " 1 2",
            " \"a\" \"b\"",
            " 1 \"a\" 2",
            " nil",
            " nil nil",
            " 1 nil \"x\"",
            " .missing",
            " .spec.nodeName",
            " .metadata.labels",
            " .spec.three",
            " .spec.html",
            " .spec.uni",
            " .spec.ctl",
            " .spec.ratio .spec.big",
            " 1+2i 'x'",
            " (index \"é\" 0)",
            " (slice \"é\" 0 1)",
            " true false",
        ] {
            evals.push((format!("{{{{{func}{args}}}}}"), data.clone(), true));
        }
    }
    let (same, failures) = compare(&evals);
    eprintln!(
        "printf, print and the escapers: {} evaluated, {same} identical, {} different",
        evals.len(),
        failures.len()
    );
    check(evals.len(), &failures);
}

/// Templates aimed at the corners of Go's rules, each run with and without
/// `--allow-missing-template-keys`.
const CORNERS: &[&str] = &[
    // Printing values of every kind.
    "{{.}}",
    "{{.metadata}}",
    "{{.spec.containers}}",
    "{{.spec.nodeName}}|{{.missing}}|{{.spec.emptyList}}|{{.spec.emptyMap}}|{{.spec.emptyString}}",
    "{{.spec.ratio}} {{.spec.whole}} {{.spec.big}} {{.spec.huge}} {{.spec.tiny}} {{.spec.neg}} {{.spec.yes}}",
    "{{.metadata.labels.app}} {{index .metadata.labels \"a.b/c\"}}",
    "{{.missing.deeper.still}}",
    "{{.spec.nodeName.x}}",
    "{{.metadata.name.x}}",
    "{{(.metadata.name).x}}",
    "{{$x := .metadata.name}}{{$x.y}}",
    "{{.spec.three.x}}",
    "{{$.metadata.name}} {{$}}",
    "{{with $x := .spec}}{{$x.priority}}{{end}}",
    "{{.metadata.name 1}}",
    "{{1 | .metadata.name}}",
    "{{nil}}",
    "{{. 1}}",
    "{{(1) 2}}",
    "{{$ 1}}",
    "{{\"a\" | printf \"%s-%s\" \"b\"}}",
    "{{\"x\" | printf}}",
    "{{1 | printf \"%d\"}}",
    "{{.metadata | len}}",
    // Truth, if/else, with, range.
    "{{if .spec.priority}}y{{else}}n{{end}} {{if .spec.emptyList}}y{{else}}n{{end}} {{if .spec.nodeName}}y{{else}}n{{end}}",
    "{{if .missing}}y{{else if .spec.yes}}yes{{else}}n{{end}}",
    "{{with .missing}}y{{else with .spec.priority}}p{{else}}none{{end}}",
    "{{with .spec.containers}}{{len .}}{{end}}",
    "{{range .spec.containers}}{{.name}}:{{.image}} {{end}}",
    "{{range $i, $c := .spec.containers}}{{$i}}={{$c.name}} {{end}}",
    "{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}",
    "{{range .metadata.labels}}{{.}},{{end}}",
    "{{range .spec.emptyList}}x{{else}}empty{{end}}",
    "{{range .missing}}x{{else}}none{{end}}",
    "{{range .spec.nodeName}}x{{else}}nil{{end}}",
    "{{range 3}}{{.}}{{end}} {{range .spec.priority}}x{{else}}zero{{end}} {{range .data.num}}{{.}}{{end}}",
    "{{range $i, $e := 3}}{{end}}",
    "{{range .spec.ratio}}{{end}}",
    "{{range .metadata.name}}{{end}}",
    "{{range .spec.yes}}{{end}}",
    "{{range .spec.three}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}",
    "{{range $i, $e := .spec.three}}{{range $e}}{{.}}{{end}};{{end}}",
    "{{$i := 0}}{{range $i = .spec.three}}{{end}}{{$i}}",
    "{{$k := 0}}{{$v := 0}}{{range $k, $v = .metadata.labels}}{{end}}{{$k}}{{$v}}",
    "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}",
    "{{$x := 1}}{{range .spec.three}}{{$x := .}}{{end}}{{$x}}",
    "{{$x := $x}}",
    "{{range $x := .spec.three}}{{end}}{{$x}}",
    "{{if $x := .spec.three}}{{$x}}{{end}}",
    // Comparisons.
    "{{eq .spec.priority 0}} {{eq .spec.neg -3}} {{eq .spec.ratio 0.25}} {{eq .metadata.name \"web-0\"}}",
    "{{eq .spec.ratio 1}}",
    "{{eq .spec.priority 0.0}}",
    "{{eq 1 1.0}}",
    "{{eq .metadata.name 1}}",
    "{{eq .missing nil}} {{eq .missing .alsoMissing}} {{eq .spec.nodeName nil}}",
    "{{eq .missing 1}}",
    "{{eq .metadata .metadata}}",
    "{{eq .metadata .spec.three}}",
    "{{eq .spec.three nil}}",
    "{{eq .spec.yes true}} {{eq .spec.yes 1}}",
    "{{eq 1 2 3 1}} {{eq \"a\" \"b\" \"c\"}}",
    "{{eq 1}}",
    "{{eq (index \"abc\" 0) 97}} {{eq 97 (index \"abc\" 0)}} {{lt (index \"abc\" 0) 98}} {{lt -1 (index \"abc\" 0)}}",
    "{{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge .spec.ratio 0.5}}",
    "{{lt .missing 1}}",
    "{{lt .metadata .metadata}}",
    "{{lt true false}}",
    "{{lt 1+2i 1+2i}}",
    "{{lt .spec.ratio 1}}",
    "{{le 1 \"a\"}}",
    "{{gt .spec.nodeName 1}}",
    "{{ne .spec.three .spec.three}}",
    "{{eq 1+2i 1+2i}} {{eq 'a' 97}} {{eq 0x61 'a'}}",
    // and, or, not.
    "{{and 1 0 .missing.x}} {{or 0 \"\" .spec.three}} {{and .spec.yes .metadata.name}} {{or .missing}}",
    "{{and}}",
    "{{not .spec.emptyMap}} {{not .missing}} {{not 1 2}}",
    "{{.spec.yes | and true}} {{0 | or false}}",
    "{{and .spec.nodeName 1}}",
    "{{if and .metadata (index .metadata.labels \"app\")}}y{{end}}",
    // index, slice, len.
    "{{index .spec.containers 0 \"name\"}} {{index .spec.three 2}} {{index .metadata.labels \"nope\"}}",
    "{{index .spec.three 3}}",
    "{{index .spec.three 4}}",
    "{{index .spec.three -1}}",
    "{{index .spec.three \"a\"}}",
    "{{index .spec.three nil}}",
    "{{index .spec.three .spec.priority}} {{index .spec.three (index \"\\x01\" 0)}}",
    "{{index .metadata 1}}",
    "{{index .metadata nil}}",
    "{{index .missing 1}}",
    "{{index .spec.nodeName 1}}",
    "{{index .metadata.labels.missing 1}}",
    "{{index \"abc\" 1}} {{index \"abc\" 3}}",
    "{{index .spec.ratio 0}}",
    "{{index .}}",
    "{{index .spec.containers 0 \"ports\" 0 \"containerPort\"}}",
    "{{slice .spec.three 1}} {{slice .spec.three 1 2}} {{slice .spec.three 0 3 3}} {{slice .spec.three}}",
    "{{slice .spec.three 0 4}}",
    "{{slice .spec.three 0 5}}",
    "{{slice .spec.three 2 1}}",
    "{{slice .spec.three 0 2 1}}",
    "{{slice .spec.three 1 2 3 4}}",
    "{{slice .metadata.name 1 3}} {{slice .metadata.name 2}}",
    "{{slice .metadata.name 0 1 2}}",
    "{{slice .metadata 0}}",
    "{{slice .missing 0}}",
    "{{slice .spec.three .spec.priority}}",
    "{{slice .spec.containers 1 2}}",
    "{{len .spec.three}} {{len .metadata}} {{len .metadata.name}} {{len \"héllo\"}}",
    "{{len .missing}}",
    "{{len .spec.nodeName}}",
    "{{len .spec.priority}}",
    "{{len 3}}",
    "{{len}}",
    "{{len 1 2}}",
    // exists, base64decode, call, escapers.
    "{{exists . \"status\" \"containerStatuses\"}} {{exists . \"nope\"}} {{exists .spec.three 2}} {{exists .spec.three 3}}",
    "{{exists .missing}} {{exists . \"spec\" \"nodeName\"}} {{exists .metadata.name 0}} {{exists . 1}} {{exists .spec.three \"a\"}}",
    "{{exists . nil}} {{exists .spec.three -1}} {{exists . \"metadata\" \"labels\" \"app\"}}",
    "{{.data.password | base64decode}} {{base64decode .data.nl}}",
    "{{base64decode .data.bad}}",
    "{{base64decode .data.pad}}",
    "{{base64decode .data.num}}",
    "{{base64decode .missing}}",
    "{{base64decode nil}}",
    "{{base64decode 1}}",
    "{{base64decode .spec.nodeName}}",
    "{{call .metadata.name}}",
    "{{call .missing}}",
    "{{call .spec.nodeName}}",
    "{{call}}",
    "{{.spec.priority | call}}",
    "{{.metadata.name | call}}",
    "{{call .metadata 1 .missing.x}}",
    "{{html .spec.html}} {{js .spec.html}} {{urlquery .spec.html}} {{js .spec.uni}} {{js .spec.ctl}}",
    "{{.spec.html | html}} {{.missing | html}} {{html}}",
    // print and printf corners.
    // Precisions past what Rust's formatter takes (u16::MAX), up to Go's limit (found by the
    // gotemplate fuzz target).
    "{{printf \"%.70000f|%.70000e|%.70000g|%#.70000g|%.70000x\" 1.5 0.1 0.1 0.1 0.1}}",
    "{{printf \"%-[10s|%5.2111111(f|\" 1.5 255}}",
    "{{printf \"%.66000f|%.66000e|%.66000G\" -5e-324 1.7976931348623157e308 -123.456}}",
    "{{print}} {{print .spec.three .metadata.labels}} {{println 1 2}}",
    "{{printf}}",
    "{{printf 1}}",
    "{{printf nil}}",
    "{{printf .missing}}",
    "{{printf .metadata}}",
    "{{printf .spec.nodeName}}",
    "{{printf \"%s\" .spec.containers}}",
    "{{printf \"%d\" .metadata.labels}}",
    "{{printf \"%5.1f|%-8s|%08.3f\" .spec.ratio .metadata.name .spec.neg}}",
    "{{printf \"%v %+v %#v\" .metadata.labels .spec.three .spec.containers}}",
    "{{printf \"%#v\" .spec.nodeName}} {{printf \"%#v %#v\" .metadata.name 1.0}}",
    "{{printf \"%x %X % x %#x\" .metadata.name .metadata.name .metadata.name .metadata.name}}",
    "{{printf \"%T %T %T %T %T\" .spec.three .metadata .spec.ratio .spec.priority .missing}}",
    // Literals.
    "{{1}} {{-1}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{1.5}} {{1e3}} {{0x1p4}} {{'a'}} {{'\\n'}} {{1i}} {{-2+3i}}",
    "{{9223372036854775807}} {{-9223372036854775808}}",
    "{{9223372036854775808}}",
    "{{18446744073709551615}}",
    "{{18446744073709551616}}",
    "{{089}}",
    "{{1e400}}",
    "{{0x}}",
    "{{1_}}",
    "{{'ab'}}",
    "{{''}}",
    "{{'\\z'}}",
    "{{\"\\z\"}}",
    "{{\"\\xff\"}}",
    "{{`raw\\n`}}",
    "{{\"a\\u263Ab\"}}",
    "{{1+2}}",
    "{{0x1.8p1+1i}}",
    "{{1e3+2i}}",
    "{{true}} {{false}}",
    "{{.true}}",
    // Whitespace, comments, text.
    "a  {{- .metadata.name -}}  b\n\n{{- /* c */ -}}\n\tc",
    "{{/* comment */}}x{{- /* trim */ -}} y",
    "{{-3}}{{- 3}}{{3 -}}",
    "{{/* unclosed",
    "{{/* a */ x}}",
    "{{ }}",
    "{{",
    "}}",
    "x }} y",
    "{{.metadata.name}",
    "{{.metadata.name}}}",
    "{{{.metadata.name}}}",
    // define, template, block.
    "{{define \"x\"}}[{{.}}]{{end}}{{template \"x\" .metadata.name}}{{template \"x\"}}",
    "{{template \"nope\"}}",
    "{{define \"x\"}}{{template \"x\" .}}{{end}}{{template \"x\" .}}",
    "{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}",
    "{{define \"x\"}} {{end}}{{define \"x\"}}b{{end}}{{template \"x\"}}",
    "{{define \"output\"}}inner{{end}}",
    "outer{{define \"output\"}}inner{{end}}",
    "{{block \"b\" .metadata}}{{.name}}{{end}} {{template \"b\" .status}}",
    "{{block \"b\" .}}{{else}}{{end}}",
    "{{define \"t\"}}{{$}}{{end}}{{$x := 1}}{{template \"t\" .spec.priority}}",
    "{{define \"t\"}}{{.missing}}{{end}}{{template \"t\" .}}",
    "{{define \"t\"}}\n\n  {{.x.y.z}}{{end}}line1\n{{template \"t\" .metadata}}",
    "{{template \"t\" 1 2}}",
    "{{define 1}}{{end}}",
    "{{define \"a\" 1}}{{end}}",
    "{{template .x}}",
    // Parse errors.
    "{{if}}{{end}}",
    "{{range}}",
    "{{else}}",
    "{{end}}",
    "{{if 1}}{{else}}{{else}}{{end}}",
    "{{if 1}}",
    "{{with 1}}{{else if 2}}{{end}}",
    "{{range 1}}{{else with 2}}{{end}}",
    "{{break}}",
    "{{range .x}}{{break 1}}{{end}}",
    "{{range .x}}{{define \"y\"}}{{break}}{{end}}{{end}}",
    "{{$x}}",
    "{{$x := 1}}{{$y}}",
    "{{$x, $y := 1}}",
    "{{range $x, $y, $z := .}}{{end}}",
    "{{range $x, 1 := .}}{{end}}",
    "{{$x = 1}}",
    "{{foo}}",
    "{{.a | 1}}",
    "{{.a | .}}",
    "{{1 | nil}}",
    "{{(.a}}",
    "{{.a)}}",
    "{{()}}",
    "{{.a .}}",
    "{{\"x\".y}}",
    "{{1.x}}",
    "{{nil.x}}",
    "{{..x}}",
    "{{.x..y}}",
    "{{$.}}",
    "{{.x:=1}}",
    "{{:}}",
    "{{a:=1}}",
    "{{\"unterminated}}",
    "{{`unterminated}}",
    "{{'\\n}}",
    "{{@}}",
    "{{.x#}}",
    "{{é}}",
    "{{.é}}",
    "line1\nline2 {{.x\n.y}}",
    "{{if 1}}\n{{else}}\n{{.x.y}}\n{{end}}",
    "{{printf \"%d\" (\n1\n)}}",
    "{{ if\n1\n}}",
    "a\n{{\"\n\"}}",
    "{{define \"a\"}}\n{{end}}\n{{define \"a\"}}\nx{{end}}\n{{define \"a\"}}y\n{{end}}",
    "{{template \"a\" | printf}}",
    "{{with}}{{end}}",
    "{{1 2}}",
    "{{print (1 2)}}",
    "{{(print 1).x}}",
    "{{(index .metadata \"labels\").app}}",
    "{{(.spec.three).x}}",
    "{{print.x}}",
    "{{len.x}}",
];

#[test]
#[ignore = "needs Go and cli-runtime in the module cache (cargo xtask test runs it)"]
fn corner_cases_evaluate_as_kubectl_does() {
    let data = doc();
    let mut evals = vec![];
    for template in CORNERS {
        for allow in [true, false] {
            evals.push((template.to_string(), data.clone(), allow));
        }
    }
    // Inputs other than an object: what text/template does with them, as a model of the data
    // kubectl never hands over but the engine accepts.
    for input in [json!(null), json!([1, "a", null]), json!("str"), json!(5), json!(2.5), json!(true), json!({})] {
        for template in ["{{.}}", "{{.x}}", "{{range .}}({{.}}){{else}}none{{end}}", "{{len .}}", "{{index . 0}}"] {
            for allow in [true, false] {
                evals.push((template.to_string(), input.clone(), allow));
            }
        }
    }
    let (same, failures) = compare(&evals);
    eprintln!("corner cases: {} evaluated, {same} identical, {} different", evals.len(), failures.len());
    check(evals.len(), &failures);
}
