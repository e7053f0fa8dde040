//! `kubectl cols` without a cluster: presets, usage errors, reading saved objects with -f.

use std::process::{Command, Stdio};

fn cols(config: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-cols"));
    c.env_remove("KUBECONFIG")
        .env("KUBECTL_COLS_CONFIG", config)
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.stdin(Stdio::null()).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const SAVED: &str = r#"{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"},"creationTimestamp":"2020-01-01T00:00:00Z"},
  "spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx:1.27"}]},"status":{"hostIP":"10.0.0.1","podIP":"10.244.0.5","qosClass":"BestEffort"}},
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"=cmd|' /C calc'!A0","namespace":"shop"},
  "spec":{"containers":[{"name":"c","image":"redis"}]},"status":{"podIP":"10.244.0.6"}}]}"#;

#[test]
fn presets_are_listed_with_specs_and_resources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(cols(&dir.path().join("p.yaml")).arg("presets"));
    assert_eq!(code, 0, "{err}");
    for name in ["ip", "images", "owners", "restarts", "ready", "resources", "qos", "nodes", "ports", "labels"] {
        assert!(out.lines().any(|l| l.starts_with(&format!("{name} "))), "preset {name} missing:\n{out}");
    }
    assert!(out.contains("NODE_IP:.status.hostIP,POD_IP:.status.podIP"));
}

#[test]
fn user_presets_are_added_without_clobbering_and_override_builtins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("presets.yaml");
    std::fs::write(&cfg, "# keep me\npods:\n  mine: 'M:.metadata.name'\n").expect("write");
    let (code, _, err) = run(cols(&cfg).args(["presets", "add", "ip", "pods", "ONLY_IP:.status.podIP"]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&cfg).expect("read");
    assert!(text.starts_with("# keep me\n") && text.contains("mine:"), "{text}");
    let saved = dir.path().join("pods.json");
    std::fs::write(&saved, SAVED).expect("write");
    let (code, out, err) = run(cols(&cfg).arg("--local").arg("-f").arg(&saved).arg("ip"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().next(), Some("NAME                 ONLY_IP"), "{out}");
}

#[test]
fn a_malformed_presets_file_is_an_error_with_line_and_column_and_is_not_rewritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("presets.yaml");
    std::fs::write(&cfg, "pods:\n  ip: [oops\n").expect("write");
    let (code, _, err) = run(cols(&cfg).arg("presets"));
    assert_eq!(code, 1);
    assert!(err.contains(&cfg.display().to_string()) && err.contains("line ") && err.contains("column "), "{err}");
    let (code, _, _) = run(cols(&cfg).args(["presets", "add", "x", "pods", "X:.x"]));
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&cfg).expect("read"), "pods:\n  ip: [oops\n");
}

#[test]
fn saved_objects_are_reprojected_offline_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("none.yaml");
    let saved = dir.path().join("pods.json");
    std::fs::write(&saved, SAVED).expect("write");
    let (code, out, err) = run(cols(&cfg).arg("--local").arg("-f").arg(&saved).args(["ip", "qos"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "NAME                 NODE_IP    POD_IP       QOS\nweb-1                10.0.0.1   10.244.0.5   BestEffort\n=cmd|' /C calc'!A0   <none>     10.244.0.6   <none>\n"
    );
    let (_, csv, _) = run(cols(&cfg).arg("--local").arg("-f").arg(&saved).args(["ip", "-o", "csv"]));
    assert!(csv.contains("\n'=cmd|' /C calc'!A0,<none>,10.244.0.6\n"), "formula neutralised: {csv}");
    let (_, md, _) = run(cols(&cfg).arg("--local").arg("-f").arg(&saved).args(["ip", "-o", "markdown"]));
    assert!(md.starts_with("| NAME | NODE_IP | POD_IP |\n|---|---|---|\n| web-1 |"), "{md}");
    assert!(md.contains("=cmd\\|' /C calc'!A0"), "pipes escaped: {md}");
    let (_, json, _) = run(cols(&cfg).arg("--local").arg("-f").arg(&saved).args(["ip", "-o", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v[0]["POD_IP"], "10.244.0.5");
    let (_, cc, _) = run(cols(&cfg)
        .arg("--local")
        .arg("-f")
        .arg(&saved)
        .args(["-o", "custom-columns=N:.metadata.name,I:.spec.containers[*].image"]));
    assert_eq!(cc, "N                    I\nweb-1                nginx:1.27\n=cmd|' /C calc'!A0   redis\n");
    let (_, jp, _) =
        run(cols(&cfg).arg("--local").arg("-f").arg(&saved).args(["-o", "jsonpath={.items[*].metadata.name}"]));
    assert_eq!(jp, "web-1 =cmd|' /C calc'!A0");
    let (_, age, _) = run(cols(&cfg)
        .arg("--local")
        .arg("-f")
        .arg(&saved)
        .args(["--add", "AGE:.metadata.creationTimestamp|age,APP:label:app"]));
    assert!(age.lines().nth(1).is_some_and(|l| l.contains("y") && l.ends_with("web")), "{age}");
}

#[test]
fn yaml_documents_are_read_and_bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("none.yaml");
    let yaml = dir.path().join("objs.yaml");
    std::fs::write(&yaml, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n").expect("write");
    let (code, out, err) = run(cols(&cfg).arg("--local").arg("-f").arg(&yaml));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "NAME   KIND\na      ConfigMap\nb      ConfigMap\n");
    std::fs::write(&yaml, "a: [\n").expect("write");
    let (code, _, err) = run(cols(&cfg).arg("--local").arg("-f").arg(&yaml));
    assert_eq!(code, 1);
    assert!(err.contains("invalid YAML") && err.contains("line "), "{err}");
    let (code, _, err) = run(cols(&cfg).arg("--local").arg("-f").arg(dir.path().join("missing.json")));
    assert_eq!(code, 1);
    assert!(err.contains("missing.json\" does not exist"), "{err}");
}

#[test]
fn local_reads_directories_as_kubectl_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("none.yaml");
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(manifests.join("nested")).expect("mkdir");
    std::fs::write(manifests.join("a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").expect("write");
    std::fs::write(manifests.join("b.json"), r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}"#)
        .expect("write");
    std::fs::write(manifests.join("README.md"), "# not a manifest").expect("write");
    std::fs::write(manifests.join("nested/c.yml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
        .expect("write");
    let (code, out, err) = run(cols(&cfg).arg("--local").arg("-f").arg(&manifests));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "NAME   KIND\na      ConfigMap\nb      Secret\n");
    let (code, out, _) =
        run(cols(&cfg).args(["--local", "-R", "-o", "jsonpath={.items[*].metadata.name}", "-f"]).arg(&manifests));
    assert_eq!(code, 0);
    assert_eq!(out, "a b c", "-R reads subdirectories; a directory prints a List");
    let (code, out, _) =
        run(cols(&cfg).args(["--local", "-o", "jsonpath={.metadata.name}", "-f"]).arg(manifests.join("a.yaml")));
    assert_eq!((code, out.as_str()), (0, "a"), "one file with one object prints the object");
    // Without --local, -f names live objects: that needs a cluster.
    let (code, _, err) = run(cols(&cfg).arg("-f").arg(&manifests));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("kubeconfig"), "{err}");
    let (code, _, err) = run(cols(&cfg).arg("--local").arg("pods"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--local"), "{err}");
    let (code, _, err) = run(cols(&cfg).args(["--local", "-w", "-f"]).arg(&manifests));
    assert_eq!(code, 2, "{err}");
    // `-f -` reads standard input.
    let mut child = cols(&cfg)
        .args(["--local", "-f", "-", "-o", "jsonpath={.metadata.name}|{.items[*].metadata.name}"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-stdin}\n")
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    // kubectl wraps what standard input names in a List, even one object.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "|from-stdin");
}

#[test]
fn usage_errors_point_at_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("none.yaml");
    let cases: [(&[&str], &str); 6] = [
        (
            &["pods", "-o", "custom-columns=NAME"],
            "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>",
        ),
        (&["pods", "-o", "custom-columns=A:{.a}{.b}"], "unexpected path string"),
        (&["pods", "-o", "jsonpath={.a"], "error parsing jsonpath {.a, unclosed action"),
        (&["pods", "-o", "xml"], "unable to match a printer suitable for the output format \"xml\""),
        (&["pods", "--add", "NOPE"], "unexpected column \"NOPE\""),
        (&[], "you must specify the type of resource to get"),
    ];
    for (args, want) in cases {
        let (code, _, err) = run(cols(&cfg).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // The column and the character are pointed at.
    let (_, _, err) = run(cols(&cfg).args(["pods", "-o", "custom-columns=A:.a,B:.x[1"]));
    assert_eq!(
        err,
        "error: unterminated array\nhint: in column 2 (\"B\"), the template stops parsing at character 7:\n  {.x[1}\n        ^\n"
    );
}

/// Issue 25: a backslash before a non-ASCII character in a quoted string aborted the process
/// (exit 134). kubectl answers `unquote string "\é" error invalid syntax`; so does cols, as a
/// usage error, before any request.
#[test]
fn issue_25_a_backslash_before_a_non_ascii_character_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("none.yaml");
    let saved = dir.path().join("pods.json");
    std::fs::write(&saved, SAVED).expect("write");
    for template in [r#"{"\é"}"#, r#"{.items[?(@.metadata.name=="\é")]}"#] {
        let local = ["--local", "-f", saved.to_str().expect("utf-8 path")];
        for args in [&["pods"][..], &local[..]] {
            let (code, out, err) = run(cols(&cfg).args(args).arg(format!("-o=jsonpath={template}")));
            assert_eq!(code, 2, "{template} {args:?}: {err}");
            assert_eq!(out, "");
            let first = err.lines().next().unwrap_or_default();
            assert_eq!(
                first,
                format!(r#"error: error parsing jsonpath {template}, unquote string "\é" error invalid syntax"#)
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn completion_offers_presets_that_fit_the_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("presets.yaml");
    std::fs::write(&config, "pods:\n  mine: 'IP:.status.podIP'\n").expect("write");
    let link = dir.path().join("kubectl_complete-cols");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-cols"), &link).expect("link");
    let mut c = Command::new(&link);
    c.env_remove("KUBECONFIG")
        .env("KUBECTL_COLS_CONFIG", &config)
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    let (code, out, err) = run(c.args(["po", "i"]));
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "ip\tpreset: NODE_IP:.status.hostIP,POD_IP:.status.podIP\nimages\tpreset: IMAGES:.spec.containers[*].image\n:4\n"
    );
    assert_eq!(err, "");
    let mut c = Command::new(&link);
    c.env_remove("KUBECONFIG").env("KUBECTL_COLS_CONFIG", &config).env("HOME", dir.path());
    let (_, out, _) = run(c.args(["pods", "m"]));
    assert_eq!(out, "mine\tpreset: IP:.status.podIP\n:4\n", "the user's presets too");
}

/// kubectl's KYAML printer fails a document with a key past YAML's 1024-character limit on
/// keys; so does cols, with kubectl's first line and where the key is, printing nothing.
#[test]
fn kyaml_refuses_a_key_yaml_cannot_read_back_as_kubectl_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("cm.json");
    let long = "k".repeat(1023);
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "spec": {"a": {long: 1}}});
    std::fs::write(&saved, doc.to_string()).expect("write");
    let (code, out, err) =
        run(cols(&dir.path().join("p.yaml")).arg("--local").arg("-f").arg(&saved).args(["-o", "kyaml"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert_eq!(err.lines().next(), Some("error: error decoding: yaml: did not find expected ',' or '}'"), "{err}");
    assert!(err.contains(".spec.a[\"kkkk") && err.contains("1025 characters"), "{err}");
    // One character shorter prints.
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "spec": {"a": {"k".repeat(1022): 1}}});
    std::fs::write(&saved, doc.to_string()).expect("write");
    let (code, out, err) =
        run(cols(&dir.path().join("p.yaml")).arg("--local").arg("-f").arg(&saved).args(["-o", "kyaml"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("---\n{\n  apiVersion: \"v1\",") && out.contains(&"k".repeat(1022)), "{out}");
}

#[test]
fn boolean_flags_take_an_attached_value_as_kubectls_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("p.yaml");
    let saved = dir.path().join("pods.json");
    std::fs::write(&saved, SAVED).expect("write");
    let local = |extra: &[&str]| {
        let mut c = cols(&cfg);
        c.arg("--local").arg("-f").arg(&saved).args(["-o", "custom-columns=NAME:.metadata.name"]).args(extra);
        run(&mut c)
    };
    let (code, with, err) = local(&["--no-headers=true"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(with, local(&["--no-headers"]).1);
    assert!(!with.contains("NAME"), "{with}");
    let (code, without, err) = local(&["--no-headers=false"]);
    assert_eq!(code, 0, "{err}");
    assert!(without.starts_with("NAME"), "{without}");
    // --watch=false is no watch: --local with a watch is refused, without one it prints.
    assert_eq!(local(&["--watch=false"]).0, 0);
    assert_eq!(local(&["--watch=1"]).0, 2);
    let (code, _, err) = local(&["--watch=maybe"]);
    assert_eq!(code, 2);
    assert!(err.contains("strconv.ParseBool"), "{err}");
}

/// `-w` across contexts with an object format is refused before any request (the contexts'
/// servers are closed ports): its output could not say which context an object came from.
#[test]
fn a_watch_across_contexts_needs_a_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: a\n",
    )
    .expect("write");
    for format in ["jsonpath={.metadata.name}", "go-template={{.metadata.name}}", "kyaml"] {
        for fleet in [&["--contexts", "a,b"][..], &["-n", "x,y"]] {
            let mut c = cols(&dir.path().join("p.yaml"));
            c.env("KUBECONFIG", &kubeconfig).args(["pods", "-w", "-o", format]).args(fleet);
            let (code, out, err) = run(&mut c);
            assert_eq!((code, out.as_str()), (2, ""), "{format} {fleet:?}: {err}");
            assert!(
                err.starts_with("error: --watch across contexts or namespaces prints rows tagged with their context"),
                "{err}"
            );
            assert!(!err.contains("127.0.0.1"), "no request was made: {err}");
        }
    }
}
