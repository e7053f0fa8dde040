//! The rest of `kubectl get`'s flags in `kubectl cols` against the cluster's own kubectl 1.35:
//! `-L`, `--show-labels`, `--show-kind`, `--ignore-not-found`, `--show-managed-fields`,
//! `--server-print=false`, `--subresource`, `-k`, and with a watch `--watch-only` and
//! `--output-watch-events`. Each flag runs with every output format they share (the default
//! view, `-o wide`, custom-columns, jsonpath, go-template, kyaml, name) on a list, a named
//! object, a missing one and several types; standard output byte for byte (ages masked where a
//! second may pass between the two commands), the first line of standard error and the exit
//! status: kubectl's, except that a usage error exits 2 where kubectl exits 1.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kubectl_kit_tests::{Cluster, Namespace, differ, require_cluster, stderr, stdout, until};

const OBJECTS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {tier: web, app.kubernetes.io/name: shop}}
data: {mode: fast}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, labels: {tier: db}}
data: {max: "10"}
---
apiVersion: v1
kind: Secret
metadata: {name: db-pass, labels: {tier: db}}
data: {password: aHVudGVyMg==}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
      tolerations: [{operator: Exists}]
"#;

fn setup(c: &Cluster) -> Namespace {
    let ns = c.namespace("cols-get-flags");
    c.apply(&ns.name, OBJECTS);
    // The Deployment's status (printed by --subresource) must hold still.
    c.wait_replicas(&ns.name, "deployment/web", 1);
    ns
}

/// How cols' result relates to kubectl's.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// The same stdout, first stderr line and exit status.
    Same,
    /// A usage error: no output, the same first stderr line, exit 2 (kubectl exits 1).
    Usage,
}

fn first(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// What differs between the two runs, if anything.
fn differs(theirs: &Output, ours: &Output, expect: Expect) -> Option<String> {
    let codes = (theirs.status.code(), ours.status.code());
    let want = match expect {
        Expect::Same => (theirs.status.code(), theirs.status.code()),
        Expect::Usage => (Some(1), Some(2)),
    };
    if codes != want {
        return Some(format!(
            "exit {codes:?}, wanted {want:?}\n  kubectl: {}\n  cols:    {}",
            first(&stderr(theirs)),
            first(&stderr(ours))
        ));
    }
    if first(&stderr(theirs)) != first(&stderr(ours)) {
        return Some(format!("stderr differs\n  kubectl: {:?}\n  cols:    {:?}", stderr(theirs), stderr(ours)));
    }
    let (t, o) = (stdout(theirs), stdout(ours));
    (t != o && differ::masked(&t) != differ::masked(&o))
        .then(|| format!("stdout differs\n--- kubectl\n{t}--- cols\n{o}"))
}

/// Runs `kubectl get ARGS` and `kubectl cols ARGS` (in the namespace), up to three times while
/// they differ (another test's change, a second passing); the last difference.
fn check(c: &Cluster, ns: &str, cache: &Path, args: &[&str], expect: Expect) -> Option<String> {
    check_with(c, ns, cache, args, expect, |_| {})
}

/// [`check`], with cols' command set up by `prepare` (its environment).
fn check_with(
    c: &Cluster,
    ns: &str,
    cache: &Path,
    args: &[&str],
    expect: Expect,
    prepare: impl Fn(&mut Command),
) -> Option<String> {
    let mut full = vec!["-n", ns];
    full.extend_from_slice(args);
    let mut last = String::new();
    for _ in 0..3 {
        let theirs = c.kubectl_cmd().arg("get").args(&full).output().expect("kubectl runs");
        let mut cols = c.plugin("cols", cache);
        prepare(&mut cols);
        let ours = cols.args(&full).output().expect("kubectl-cols runs");
        match differs(&theirs, &ours, expect) {
            None => return None,
            Some(why) => last = why,
        }
    }
    Some(format!("{args:?}: {last}"))
}

/// The output formats kubectl's flags meet.
const FORMATS: &[&str] = &[
    "",
    "-o=wide",
    "-o=custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier",
    "-o=jsonpath={range .items[*]}{.metadata.name} {.kind}{\"\\n\"}{end}{.metadata.name}",
    "-o=go-template={{if .items}}{{range .items}}{{.metadata.name}} {{end}}{{else}}{{.metadata.name}}{{end}}",
    "-o=kyaml",
    "-o=name",
];

/// What is read: a list, one name, a missing name beside a found one, a missing one alone, an
/// empty selection, several types.
const TARGETS: &[&[&str]] = &[
    &["cm"],
    &["cm", "settings"],
    &["cm", "nope", "settings"],
    &["cm", "nope"],
    &["cm", "-l", "tier=none"],
    &["cm,secrets", "-l", "tier"],
];

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_flag_with_every_format_prints_what_kubectl_prints() {
    let c = require_cluster!("cols get flags");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let flags: &[&[&str]] = &[
        &["-L", "tier,app.kubernetes.io/name"],
        &["-L", "tier", "-L", "missing"],
        &["--show-labels"],
        &["--show-labels", "-L", "tier"],
        &["--show-kind"],
        &["--ignore-not-found"],
        &["--show-managed-fields"],
        &["--server-print=false"],
        &["--server-print=false", "--show-labels", "--show-kind", "-L", "tier"],
    ];
    let mut failures = vec![];
    let mut cases = 0;
    for flag in flags {
        for format in FORMATS {
            for target in TARGETS {
                let mut args: Vec<&str> = target.to_vec();
                args.extend_from_slice(flag);
                if !format.is_empty() {
                    args.push(format);
                }
                // kubectl refuses LABELS beside its other printers.
                let labels_refused = flag.contains(&"--show-labels") && !format.is_empty() && *format != "-o=wide";
                let expect = if labels_refused { Expect::Usage } else { Expect::Same };
                cases += 1;
                failures.extend(check(&c, &ns.name, cache.path(), &args, expect));
            }
        }
    }
    // -A: the NAMESPACE column before the labels.
    for args in [&["cm", "-A", "-L", "tier", "--show-labels"][..], &["cm", "-A", "--server-print=false", "--show-kind"]]
    {
        cases += 1;
        failures.extend(check(&c, &ns.name, cache.path(), args, Expect::Same));
    }
    eprintln!("get flags: {cases} commands, {} differ", failures.len());
    assert!(failures.is_empty(), "{} of {cases} differ:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn subresources_print_what_kubectl_prints() {
    let c = require_cluster!("cols --subresource");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut failures = vec![];
    let mut cases = 0;
    for sub in ["--subresource=status", "--subresource=scale"] {
        for format in FORMATS {
            let mut args = vec!["deploy", "web", sub, "--show-kind"];
            if !format.is_empty() {
                args.push(format);
            }
            cases += 1;
            failures.extend(check(&c, &ns.name, cache.path(), &args, Expect::Same));
        }
    }
    let refused: &[(&[&str], Expect)] = &[
        // A subresource the resource lacks: the server's 404.
        (&["deploy", "web", "--subresource=nope"], Expect::Same),
        (&["cm", "settings", "--subresource=scale"], Expect::Same),
        (&["deploy", "nope", "--subresource=scale", "--ignore-not-found"], Expect::Same),
        // Only named objects have subresources.
        (&["deploy", "--subresource=status"], Expect::Usage),
        (&["deploy", "-l", "app=web", "--subresource=status"], Expect::Usage),
    ];
    for (args, expect) in refused {
        cases += 1;
        failures.extend(check(&c, &ns.name, cache.path(), args, *expect));
    }
    eprintln!("subresources: {cases} commands, {} differ", failures.len());
    assert!(failures.is_empty(), "{} of {cases} differ:\n{}", failures.len(), failures.join("\n\n"));
}

/// `-k DIR`: the live objects a kustomization builds. cols builds it with `kubectl kustomize`;
/// the cluster's kubectl is put first on PATH so that both use the same kustomize.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kustomizations_print_what_kubectl_prints() {
    let c = require_cluster!("cols -k");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    for d in [&one, &two] {
        std::fs::create_dir(d).expect("mkdir");
    }
    let write = |p: &Path, text: &str| std::fs::write(p, text).expect("write");
    write(&one.join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n");
    write(&one.join("kustomization.yaml"), "resources:\n- cm.yaml\n");
    write(&two.join("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n");
    write(&two.join("kustomization.yaml"), "resources:\n- ../one\n- deploy.yaml\n");
    let kubectl_dir = c.kubectl.parent().expect("kubectl's directory").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(kubectl_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let (one, two) = (one.display().to_string(), two.display().to_string());
    let missing = dir.path().join("missing").display().to_string();
    let cases: &[(Vec<&str>, Expect)] = &[
        (vec!["-k", &one], Expect::Same),
        (vec!["-k", &one, "-o", "jsonpath={.metadata.name}"], Expect::Same),
        (vec!["-k", &two], Expect::Same),
        (vec!["-k", &two, "-o", "name"], Expect::Same),
        (vec!["-k", &two, "-o", "kyaml"], Expect::Same),
        (vec!["-k", &two, "-L", "tier", "--show-kind"], Expect::Same),
        (vec!["-k", &one, "-f", &one], Expect::Usage),
        (vec!["-k", &one, "-R"], Expect::Usage),
        (vec!["-k", &one, "cm/settings"], Expect::Usage),
    ];
    let mut failures = vec![];
    for (args, expect) in cases {
        failures.extend(check_with(&c, &ns.name, cache.path(), args, *expect, |cols| {
            cols.env("PATH", &path);
        }));
    }
    // A directory that does not build: kustomize's words (kubectl writes them bare, cols after
    // "error: "), exit 1.
    let theirs = c.kubectl_cmd().args(["get", "-k", &missing]).output().expect("kubectl runs");
    let ours = c.plugin("cols", cache.path()).env("PATH", &path).args(["-k", &missing]).output().expect("cols runs");
    assert_eq!((theirs.status.code(), ours.status.code()), (Some(1), Some(1)), "{}", stderr(&ours));
    let said = first(&stderr(&theirs));
    assert!(said.contains("must build at directory"), "{said}");
    assert!(first(&stderr(&ours)).ends_with(said.trim_start_matches("error: ")), "{}\nvs {said}", stderr(&ours));
    // --local prints what the kustomization builds, without the cluster's objects.
    let local = c.plugin("cols", cache.path()).env("PATH", &path).args(["-k", &two, "--local"]).output().expect("runs");
    assert_eq!(stdout(&local), "NAME       KIND\nsettings   ConfigMap\nweb        Deployment\n", "{}", stderr(&local));
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

/// Watches with both, relabels `settings` until each has printed something after the listing
/// (a watch may start a moment after the other: the label changed is one no case prints, so
/// every change prints the same line), and returns the lines each printed, ages masked and
/// repeated lines folded.
fn watch_both(c: &Cluster, ns: &str, cache: &Path, args: &[&str], listed: &str) -> (Vec<String>, Vec<String>) {
    let mut full = vec!["-n", ns];
    full.extend_from_slice(args);
    let spawn = |mut cmd: Command| {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
        let out = kubectl_kit_tests::stdout_lines(&mut child);
        (child, out)
    };
    let mut kubectl = c.kubectl_cmd();
    kubectl.arg("get").args(&full);
    let mut cols = c.plugin("cols", cache);
    cols.args(&full);
    let (mut k, k_out) = spawn(kubectl);
    let (mut o, o_out) = spawn(cols);
    let (mut theirs, mut ours) = (vec![], vec![]);
    if !listed.is_empty() {
        let wait = Duration::from_secs(30);
        assert!(until(&k_out, &mut theirs, wait, |l| l.contains(listed)), "kubectl {args:?} printed {theirs:?}");
        assert!(until(&o_out, &mut ours, wait, |l| l.contains(listed)), "cols {args:?} printed {ours:?}");
        // The rest of the listing.
        until(&k_out, &mut theirs, Duration::from_secs(1), |_| false);
        until(&o_out, &mut ours, Duration::from_secs(1), |_| false);
    }
    let (k_listed, o_listed) = (theirs.len(), ours.len());
    let mut n = 0;
    while (theirs.len() == k_listed || ours.len() == o_listed) && n < 15 {
        n += 1;
        c.kubectl_ok(&["-n", ns, "label", "cm", "settings", "--overwrite", &format!("bump={n}")]);
        until(&k_out, &mut theirs, Duration::from_secs(2), |_| false);
        until(&o_out, &mut ours, Duration::from_secs(2), |_| false);
    }
    for child in [&mut k, &mut o] {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        theirs.len() > k_listed && ours.len() > o_listed,
        "{args:?}: no change printed after {n} relabels\nkubectl: {theirs:?}\ncols: {ours:?}"
    );
    let fold = |lines: Vec<String>| {
        let mut out: Vec<String> = vec![];
        for l in lines {
            let masked = differ::masked(&l).concat().join(" ");
            if out.last() != Some(&masked) {
                out.push(masked);
            }
        }
        out
    };
    (fold(theirs), fold(ours))
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watches_print_what_kubectl_prints() {
    let c = require_cluster!("cols --watch-only --output-watch-events");
    let ns = setup(&c);
    let cache = tempfile::tempdir().expect("tempdir");
    let events = "--output-watch-events";
    let cases: &[(&[&str], &str)] = &[
        (&["cm", "-w", events], "settings"),
        (&["cm", "-w", events, "--show-kind", "-L", "tier"], "settings"),
        (&["cm", "settings", "-w", events, "-o", "wide"], "settings"),
        (&["cm", "-w", events, "--server-print=false", "-L", "tier"], "settings"),
        (&["cm", "-w", events, "-o", "jsonpath={.type} {.object.metadata.name}{\"\\n\"}"], "settings"),
        (&["cm", "-w", events, "-o", "go-template={{.type}} {{.object.metadata.name}}{{\"\\n\"}}"], "settings"),
        (&["cm", "-w", events, "-o", "custom-columns=T:.type,N:.object.metadata.name"], "settings"),
        (&["cm", "-w", events, "-o", "name"], "settings"),
        (&["cm", "--watch-only"], ""),
        (&["cm", "--watch-only", "-o", "jsonpath={.metadata.name}{\"\\n\"}"], ""),
        (&["cm", "settings", "--watch-only"], ""),
        // kubectl drops the listed table whole here, its columns with it: EVENT alone.
        (&["cm", "settings", "--watch-only", events], ""),
        (&["cm", "--watch-only", events, "--server-print=false"], ""),
    ];
    let mut failures = vec![];
    for (args, listed) in cases {
        let (theirs, ours) = watch_both(&c, &ns.name, cache.path(), args, listed);
        if theirs != ours {
            failures.push(format!("{args:?}\n--- kubectl\n{}\n--- cols\n{}", theirs.join("\n"), ours.join("\n")));
        }
    }
    // What ends at once: a missing object (with and without --ignore-not-found), events that
    // kubectl's KYAML printer cannot print, events without a watch.
    let ended: &[(&[&str], Expect)] = &[
        (&["cm", "nope", "-w", "--ignore-not-found"], Expect::Same),
        (&["cm", "nope", "-w", "-o", "name"], Expect::Same),
        (&["cm", "-w", events, "-o", "kyaml"], Expect::Usage),
        (&["cm", events], Expect::Usage),
    ];
    for (args, expect) in ended {
        failures.extend(check(&c, &ns.name, cache.path(), args, *expect));
    }
    let total = cases.len() + ended.len();
    assert!(failures.is_empty(), "{} of {total} differ:\n{}", failures.len(), failures.join("\n\n"));
}
