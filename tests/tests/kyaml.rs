//! `-o kyaml` (`kubectl_kit_core::kyaml`) against kubectl's own encoder: the Go encoder itself
//! on the values its own tests use, on every code point and on hostile generated values; and
//! `kubectl get -o kyaml` on every object of the demo apps and on lists.
//!
//! One known difference, kept on purpose: kubectl cannot print a string holding DEL, a C1
//! control other than U+0085, U+FFFE or U+FFFF (the YAML parser between its JSON and its
//! encoder refuses them: "control characters are not allowed"), nor a key holding U+0085 (the
//! parser reads a line break in a key); we print them escaped.

use kubectl_kit_core::kyaml;
use kubectl_kit_tests::kyaml::{Printed, Recorded, encoder_test_values, kubectl_print};
use kubectl_kit_tests::{Cluster, require_cluster, stderr};
use serde_json::{Map, Value, json};

/// A document for kubectl's printer: it needs an object with a kind.
fn object(fields: Value) -> Value {
    let mut o = json!({"apiVersion": "v1", "kind": "Case"});
    if let (Some(o), Value::Object(fields)) = (o.as_object_mut(), fields) {
        o.extend(fields);
    }
    o
}

/// The characters the YAML parser in kubectl's path refuses.
fn refused_by_kubectl(c: char) -> bool {
    matches!(c as u32, 0x7f..=0x84 | 0x86..=0x9f | 0xfffe | 0xffff)
}

fn mentions_refused(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().any(refused_by_kubectl),
        Value::Array(items) => items.iter().any(mentions_refused),
        Value::Object(map) => {
            map.iter().any(|(k, v)| k.chars().any(|c| refused_by_kubectl(c) || c == '\u{85}') || mentions_refused(v))
        }
        _ => false,
    }
}

/// At most `n` characters of `text`, for failure messages.
fn clip(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// kubectl's error for a key past YAML's 1024-character limit.
const LONG_KEY_ERROR: &str = "error decoding: yaml: did not find expected ',' or '}'";

/// Compares our document with the Go encoder's for each object; returns the failures.
fn compare(objects: &[Value]) -> Vec<String> {
    let theirs = kubectl_print(objects);
    let mut failures = vec![];
    for (o, Printed { output, error }) in objects.iter().zip(theirs) {
        let ours = kyaml::document(o);
        match error {
            Some(e) if mentions_refused(o) => {
                assert!(
                    e.contains("control characters are not allowed") || e.contains("did not find expected"),
                    "kubectl's parser refuses {} with {e}",
                    clip(&o.to_string(), 200)
                );
            }
            // A key past YAML's limit: kubectl fails the document, and cols with it.
            Some(e) if kyaml::long_key(o).is_some() && e == LONG_KEY_ERROR => {}
            Some(e) if kyaml::long_key(o).is_some() => failures.push(format!("Go failed on a long key with {e}")),
            Some(e) => failures.push(format!("Go failed on {}: {e}", clip(&o.to_string(), 400))),
            None if kyaml::long_key(o).is_some() => {
                failures.push(format!("Go printed {} where cols refuses a long key", clip(&o.to_string(), 400)))
            }
            None if output != ours => failures.push(format!(
                "{}\n--- Go\n{}\n--- ours\n{}",
                clip(&o.to_string(), 400),
                clip(&output, 1500),
                clip(&ours, 1500)
            )),
            None => {}
        }
    }
    failures
}

fn assert_none(failures: &[String], of: usize) {
    assert!(
        failures.is_empty(),
        "{} of {of} documents differ from the Go encoder's; the first ones:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n\n")
    );
}

#[test]
#[ignore = "needs Go and sigs.k8s.io/yaml in the module cache (cargo xtask test runs it)"]
fn the_encoders_own_test_values_print_the_same() {
    let recorded = encoder_test_values();
    let mut objects = vec![];
    let (mut values, mut strings) = (0, 0);
    for r in recorded {
        match r {
            Recorded::Json(v) => {
                values += 1;
                objects.push(object(json!({"value": v})));
            }
            Recorded::String(s) => {
                strings += 1;
                let mut keys = Map::new();
                keys.insert(s.clone(), json!(1));
                keys.insert(format!("a{s}a"), json!(2));
                objects.push(object(json!({"value": s, "keys": keys})));
            }
        }
    }
    assert!(values > 1000 && strings > 50, "too few recorded values: {values} objects, {strings} strings");
    assert_none(&compare(&objects), objects.len());
}

#[test]
#[ignore = "needs Go and sigs.k8s.io/yaml in the module cache (cargo xtask test runs it)"]
fn every_code_point_is_escaped_and_quoted_the_same() {
    let chars: Vec<char> = (0..=0x10ffffu32).filter_map(char::from_u32).collect();
    let mut objects = vec![];
    for chunk in chars.chunks(4096) {
        let usable: Vec<char> = chunk.iter().copied().filter(|&c| !refused_by_kubectl(c)).collect();
        let mut keys = Map::new();
        for &c in usable.iter().filter(|&&c| c != '\u{85}') {
            keys.insert(c.to_string(), json!(0));
            keys.insert(format!("x{c}y"), json!(1));
        }
        let text: String = usable.iter().collect();
        objects.push(object(json!({"value": text, "keys": keys})));
    }
    // Each refused character alone: kubectl fails, we escape it.
    objects.push(object(json!({"keys": {"\u{85}": 0}})));
    for c in chars.iter().copied().filter(|&c| refused_by_kubectl(c)) {
        objects.push(object(json!({"value": c.to_string()})));
        let ours = kyaml::document(&json!(c.to_string()));
        assert!(ours.contains("\\x7f") || ours.contains("\\u"), "{c:?} is escaped: {ours}");
    }
    // A key a fuzz campaign found YAML parsers misread: a hex integer past 64 bits, which
    // kubectl's encoder leaves bare.
    objects.push(object(json!({"keys": {"0x0ddddddddddddddddddddddddd": 0}})));
    assert_none(&compare(&objects), objects.len());
}

/// Keys on either side of YAML's 1024-character limit, measured as kubectl's JSON writes them:
/// kubectl fails exactly where `kyaml::long_key` says it does, and prints the same otherwise.
#[test]
#[ignore = "needs Go and sigs.k8s.io/yaml in the module cache (cargo xtask test runs it)"]
fn keys_past_yamls_limit_fail_where_kubectl_fails() {
    let mut objects = vec![];
    let (mut long, mut short) = (0, 0);
    for (piece, width) in [
        ("k", 1),
        ("é", 1),
        ("😀", 1),
        ("\"", 2),
        ("\n", 2),
        ("\u{8}", 2),
        ("\u{1}", 6),
        ("<", 6),
        ("&", 6),
        ("\u{2028}", 6),
        ("a\nb", 4),
        ("\u{85}", 1),
    ] {
        let fits = (1024 - 2) / width;
        for n in [fits - 1, fits, fits + 1, fits + 7] {
            let key = piece.repeat(n);
            let o = object(json!({"spec": {"list": [{ key: 1 }], "value": "v"}}));
            if kyaml::long_key(&o).is_some() {
                long += 1;
            } else {
                short += 1;
            }
            objects.push(o);
        }
    }
    assert!(long > 10 && short > 10, "both sides of the limit: {long} long, {short} short");
    assert_none(&compare(&objects), objects.len());
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "",
            " ",
            "  ",
            "\n",
            "\n ",
            " \n",
            "\n\n",
            "\t",
            "\r\n",
            "\"",
            "\\",
            "\\n",
            "'",
            "#",
            ": ",
            "- ",
            "---",
            "{",
            "}",
            "[",
            "]",
            ",",
            "&a",
            "*a",
            "!tag",
            "%",
            "@",
            "`",
            "|",
            ">",
            "\u{0}",
            "\u{1b}[31m",
            "\u{7}",
            "\u{85}",
            "\u{a0}",
            "\u{2028}",
            "\u{2029}",
            "\u{202e}",
            "\u{200b}",
            "\u{feff}",
            "\u{fdd0}",
            "é",
            "😀",
            "\u{10ffff}",
            "\u{e000}",
            "ǅ",
            "٣",
            "null",
            "yes",
            "No",
            "~",
            "1e3",
            "0x1F",
            "0o17",
            "2024-1-2",
            "12:30",
            "1_000",
            ".inf",
            "NaN",
            "true",
            "web-7d4b9c",
            "a/b",
            "a.b",
            "_",
            "-",
            ".",
            "/",
            "9",
            "ab",
            "Z",
            "\u{130}",
            "\u{212a}",
        ];
        let n = self.below(6);
        (0..n).map(|_| self.pick(PIECES)).collect()
    }

    fn number(&mut self) -> Value {
        match self.below(6) {
            0 => json!(self.next() as i64),
            1 => json!(self.next()),
            2 => json!((self.below(2000) as i64) - 1000),
            3 => {
                let f = f64::from_bits(self.next());
                if f.is_finite() && f != 0.0 { json!(f) } else { json!(0.5) }
            }
            4 => {
                let text = format!("{}e{}", self.below(100_000), self.below(60) as i64 - 30);
                serde_json::from_str(&text).unwrap_or(json!(1))
            }
            _ => json!((self.below(1000) as f64) / 8.0),
        }
    }

    fn value(&mut self, depth: usize) -> Value {
        let kind = if depth > 3 { self.below(4) } else { self.below(7) };
        match kind {
            0 => Value::String(self.string()),
            1 => self.number(),
            2 => json!(self.below(2) == 0),
            3 => Value::Null,
            4 | 5 => {
                let n = self.below(4);
                // Lists of collections only, of scalars only, and mixed.
                let style = self.below(3);
                Value::Array(
                    (0..n)
                        .map(|_| match style {
                            0 => {
                                let mut m = Map::new();
                                m.insert(self.string(), self.value(depth + 1));
                                Value::Object(m)
                            }
                            1 => Value::String(self.string()),
                            _ => self.value(depth + 1),
                        })
                        .collect(),
                )
            }
            _ => {
                let n = self.below(5);
                Value::Object((0..n).map(|_| (self.string(), self.value(depth + 1))).collect())
            }
        }
    }
}

#[test]
#[ignore = "needs Go and sigs.k8s.io/yaml in the module cache (cargo xtask test runs it)"]
fn hostile_generated_values_print_the_same() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let objects: Vec<Value> = (0..3000).map(|_| object(json!({"value": g.value(0), "spec": g.value(1)}))).collect();
    assert_none(&compare(&objects), objects.len());
}

#[test]
fn output_reads_back_as_the_same_value() {
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    for _ in 0..2000 {
        let v = g.value(0);
        let text = kyaml::document(&v);
        if beyond_yaml_integers(&v) {
            continue;
        }
        let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        if !lossy(&v) {
            assert!(same_value(&v, &back), "{v}\n{text}\nread back as {back}");
        }
    }
}

/// Holds a number kubectl prints as an integer literal (a double below 1e21 in size) of 2^64 or
/// more, or below -2^63, which the YAML parser here cannot hold (it reads an `i64` or a `u64`).
fn beyond_yaml_integers(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_i64().is_none()
                && n.as_f64().is_some_and(|f| {
                    (1.8446744073709552e19..1e21).contains(&f) || (-1e21..-9.223372036854776e18).contains(&f)
                })
        }
        Value::Array(items) => items.iter().any(beyond_yaml_integers),
        Value::Object(map) => map.values().any(beyond_yaml_integers),
        _ => false,
    }
}

/// Holds a string kubectl's encoder does not print faithfully: a NEL (folded, or read as a
/// line break), or a line of a multi-line string that starts with white space other than a
/// space or a tab (the encoder escapes its escape: `\\r`).
fn lossy(v: &Value) -> bool {
    let string = |s: &str| {
        let mut after_break = s.contains('\n');
        s.contains('\u{85}')
            || s.chars().any(|c| {
                let bad = after_break && c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n');
                after_break = c == '\n';
                bad
            })
    };
    match v {
        Value::String(s) => string(s),
        Value::Array(items) => items.iter().any(lossy),
        Value::Object(map) => map.iter().any(|(k, v)| string(k) || lossy(v)),
        _ => false,
    }
}

/// Equal, numbers compared as doubles (printing them as kubectl does may turn an integer beyond
/// int64 into a double).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Runs `kubectl get ARGS -o kyaml` and `-o json` until two kyaml reads agree around the json
/// one (the objects did not change in between); returns both.
fn stable_read(c: &Cluster, args: &[&str]) -> (String, Value) {
    for _ in 0..20 {
        let read = |format: &str| {
            let mut full: Vec<&str> = vec!["get"];
            full.extend_from_slice(args);
            full.extend_from_slice(&["-o", format]);
            let out = c.kubectl(&full);
            assert!(out.status.success(), "kubectl {full:?} failed: {}", stderr(&out));
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        let before = read("kyaml");
        let json = read("json");
        if read("kyaml") == before {
            return (before, serde_json::from_str(&json).expect("kubectl's JSON"));
        }
    }
    panic!("the objects of `kubectl get {}` never held still for three reads", args.join(" "));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kubectl_get_o_kyaml_matches_on_the_demo_apps() {
    let c = require_cluster!("kyaml differential");
    let ns = c.namespace("kyaml");
    for app in ["numbers-api", "hello-kiamol", "example-replica-set", "legacy-db"] {
        c.apply_fixture(&ns.name, app);
    }
    c.apply(
        &ns.name,
        r##"
apiVersion: v1
kind: ConfigMap
metadata:
  name: hostile
  labels: {app.kubernetes.io/name: kyaml, "no": "yes"}
  annotations: {note: "line one\n  line two\n", "1e3": "0x1F", empty: ""}
data:
  script: "#!/bin/sh\necho \"hi\"\tthere\n"
  escape: "\e[31mred\u202e\u0000"
  unicode: "é😀\u00a0\u2028"
  "2024-01-02": "date-like key"
  "null": "~"
"##,
    );
    // Both reads see the same objects once the controllers are done with them.
    kubectl_kit_tests::differ::wait_fixtures(&c, &ns.name);

    let mut failures = vec![];
    let mut compared = 0;
    let types = "pods,deployments,replicasets,services,endpointslices,configmaps,serviceaccounts,secrets";
    let names = c.kubectl_ok(&["-n", &ns.name, "get", types, "-o", "name"]);
    let mut reads: Vec<Vec<String>> = names.lines().map(|n| vec!["-n".into(), ns.name.clone(), n.into()]).collect();
    for list in types.split(',').chain([types, "nodes", "namespaces"]) {
        reads.push(vec!["-n".into(), ns.name.clone(), list.into()]);
    }
    assert!(reads.len() > 20, "the demo apps have objects: {names}");
    for args in &reads {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (theirs, json) = stable_read(&c, &args);
        let ours = kyaml::document(&json);
        compared += 1;
        if ours != theirs {
            failures.push(format!("kubectl get {}\n--- kubectl\n{theirs}\n--- ours\n{ours}", args.join(" ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} reads differ from kubectl get -o kyaml:\n{}",
        failures.len(),
        failures.join("\n\n")
    );

    // The difference kept on purpose: kubectl refuses DEL, we escape it.
    c.apply(&ns.name, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: refused}\ndata: {del: \"a\\x7fb\"}\n");
    let theirs = c.kubectl(&["-n", &ns.name, "get", "configmap", "refused", "-o", "kyaml"]);
    assert!(!theirs.status.success(), "kubectl printed DEL: {}", String::from_utf8_lossy(&theirs.stdout));
    assert!(stderr(&theirs).contains("control characters are not allowed"), "{}", stderr(&theirs));
    let json = c.kubectl_ok(&["-n", &ns.name, "get", "configmap", "refused", "-o", "json"]);
    let ours = kyaml::document(&serde_json::from_str(&json).expect("kubectl's JSON"));
    assert!(ours.contains("  del: \"a\\x7fb\",\n"), "{ours}");
}
