//! `-o` is declared once per plugin: `--help`, kubectl's completion of `-o` and the usage error
//! for an unknown format list the same formats, for every plugin and subcommand. No cluster:
//! none of these may contact one.

use std::process::{Command, Output};

use kubectl_kit_tests::{plugin_path, scrubbed, stderr, stdout};

/// Each plugin, with the words before `-o` (a subcommand, or a positional argument it needs)
/// and the formats it prints.
const CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "cols",
        &["pods"],
        &[
            "csv",
            "custom-columns",
            "custom-columns-file",
            "go-template",
            "go-template-file",
            "json",
            "jsonpath",
            "jsonpath-as-json",
            "jsonpath-file",
            "kyaml",
            "markdown",
            "md",
            "name",
            "template",
            "templatefile",
            "wide",
            "yaml",
        ],
    ),
    ("cols", &["presets"], &["json", "wide", "yaml"]),
    ("trace_svc", &["svc"], &["dot", "json", "mermaid", "wide", "yaml"]),
    ("detach", &["pod", "x"], &["json", "wide", "yaml"]),
    ("detach", &["list"], &["json", "wide", "yaml"]),
    ("detach", &["reattach", "pod", "x"], &["json", "wide", "yaml"]),
    ("push_image", &["x.tar"], &["json", "yaml"]),
    ("shortname", &["po"], &["json", "name", "wide", "yaml"]),
    ("shortname", &["conflicts"], &["json", "name", "wide", "yaml"]),
];

/// A plugin with no kubeconfig to find: an attempt to connect would fail loudly.
fn plugin(name: &str, argv0: Option<&std::path::Path>) -> Command {
    let program = argv0.map(std::path::Path::to_path_buf).unwrap_or_else(|| plugin_path(name));
    let mut c = scrubbed(program, std::path::Path::new("/nonexistent"));
    c.env("KUBECONFIG", "/nonexistent/kubeconfig");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("the plugin runs")
}

#[test]
fn help_completion_and_usage_error_list_the_same_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, words, formats) in CASES {
        let want = formats.join(", ");
        // --help: clap's possible values line under -o.
        let help = run(plugin(name, None).args(*words).arg("--help"));
        assert!(help.status.success(), "{name} {words:?} --help: {}", stderr(&help));
        let text = stdout(&help);
        let after = text.split_once("--output <FORMAT>").map(|(_, a)| a).unwrap_or_else(|| panic!("{name}: no -o"));
        // Up to the next flag, lines joined (clap wraps to the terminal's width).
        let said = after
            .lines()
            .enumerate()
            .take_while(|(i, l)| *i == 0 || !l.trim_start().starts_with('-'))
            .map(|(_, l)| l)
            .flat_map(str::split_whitespace)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(said.ends_with(&format!("[possible values: {want}]")), "{name} {words:?} --help:\n{text}");
        // Completion, as kubectl asks a kubectl_complete-PLUGIN for it.
        let completer = dir.path().join(format!("kubectl_complete-{name}"));
        if !completer.exists() {
            std::os::unix::fs::symlink(plugin_path(name), &completer).expect("symlink");
        }
        let done = run(plugin(name, Some(&completer)).args(*words).args(["-o", ""]));
        let lines = stdout(&done);
        let offered: Vec<&str> = lines.lines().filter(|l| !l.starts_with(':')).collect();
        assert_eq!(offered, *formats, "{name} {words:?}: completion of -o");
        // The usage error: kubectl's words, the same list, exit 2, before any connection.
        let bad = run(plugin(name, None).args(*words).args(["-o", "xml"]));
        assert_eq!(bad.status.code(), Some(2), "{name} {words:?} -o xml: {}", stderr(&bad));
        assert_eq!(
            stderr(&bad).lines().next().unwrap_or_default(),
            format!(
                "error: unable to match a printer suitable for the output format \"xml\", allowed formats are: {}",
                formats.join(",")
            ),
            "{name} {words:?}"
        );
    }
}

#[test]
fn no_headers_only_where_a_table_honours_it() {
    for (name, words) in [("trace_svc", &["svc"][..]), ("push_image", &["x.tar"]), ("detach", &["pod", "x"])] {
        let out = run(plugin(name, None).args(words).arg("--no-headers"));
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("unexpected argument '--no-headers'"), "{name}: {}", stderr(&out));
    }
    for (name, words) in [("cols", &["pods"][..]), ("shortname", &["po"]), ("detach", &["list"])] {
        let help = stdout(&run(plugin(name, None).args(words).arg("--help")));
        assert!(help.contains("--no-headers"), "{name} {words:?}:\n{help}");
    }
}
