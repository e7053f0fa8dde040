//! The documentation as a reader follows it.
//!
//! - Links: every relative link and `#anchor` in README.md, CONTRIBUTING.md, SECURITY.md,
//!   CHANGELOG.md and `docs/**/*.md` names a file (or folder) of the repository and, for an
//!   anchor, a heading of that file, with the anchors GitHub makes. No cluster needed.
//! - The trace-svc picture of the README (`docs/images/trace-svc.svg`, rendered by Graphviz from
//!   `docs/images/trace-svc.dot`) is what `kubectl trace-svc numbers-worker -o dot` draws for
//!   the demo's failing app on the test cluster, once what varies from run to run (the
//!   namespace, pod, EndpointSlice and node names, IPs) is replaced by fixed values.
//!   `KUBECTL_KIT_UPDATE_DOCS=1` rewrites both files.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use kubectl_kit_tests::{require_cluster, root, stderr, stdout};

// --- Markdown, as far as links and headings go -------------------------------------------------

/// A link found in a Markdown file: its line (1-based) and its destination as written.
#[derive(Debug, PartialEq)]
struct Link {
    line: usize,
    target: String,
}

/// The lines of a Markdown text that are not inside a fenced code block, with their numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<(char, usize)> = None;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let run = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        match fence {
            Some((c, n)) => {
                // A closing fence: the same character, at least as long, nothing after it.
                if indent < 4 && run(c) >= n && trimmed.trim_start_matches(c).trim().is_empty() {
                    fence = None;
                }
            }
            None => {
                let opening = ['`', '~'].into_iter().map(|c| (c, run(c))).find(|&(_, n)| n >= 3);
                match opening {
                    Some(open) if indent < 4 => fence = Some(open),
                    _ => out.push((i + 1, line)),
                }
            }
        }
    }
    out
}

/// A line with its code spans removed (`` `[not](a link)` ``), so that what they show is not
/// read as Markdown.
fn without_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|&&c| c == '`').count();
        // The span ends at the next run of exactly as many backticks.
        let mut j = i + n;
        let mut end = None;
        while j < chars.len() {
            let m = chars[j..].iter().take_while(|&&c| c == '`').count();
            if m == n {
                end = Some(j + m);
                break;
            }
            j += m.max(1);
        }
        match end {
            Some(e) => {
                out.push(' ');
                i = e;
            }
            // No closing run: the backticks are text.
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// The destination of an inline link, read from just after its `](`: `<…>`, or up to the
/// first space or the `)` that balances the parentheses.
fn destination(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    if let Some(angled) = rest.strip_prefix('<') {
        return angled.split_once('>').map(|(dest, _)| dest.to_string());
    }
    let mut depth = 0usize;
    let mut out = String::new();
    for c in rest.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(out),
            ')' => depth -= 1,
            c if c.is_whitespace() => return Some(out),
            _ => {}
        }
        out.push(c);
    }
    None
}

/// Every link of a Markdown text: inline links and images (`[text](dest)`, `![alt](dest)`) and
/// reference definitions (`[label]: dest`), outside code blocks and code spans.
fn links(text: &str) -> Vec<Link> {
    let mut found = vec![];
    for (line, raw) in prose_lines(text) {
        let prose = without_code_spans(raw);
        // A reference definition: `[label]: destination` at the start of the line.
        let trimmed = prose.trim_start();
        if let Some(rest) = trimmed.strip_prefix('[')
            && let Some(close) = rest.find("]:")
            && !rest[..close].contains('[')
        {
            if let Some(target) = rest[close + 2..].split_whitespace().next() {
                let target = target.trim_start_matches('<').trim_end_matches('>');
                found.push(Link { line, target: target.to_string() });
            }
            continue;
        }
        let mut from = 0;
        while let Some(at) = prose[from..].find("](") {
            let start = from + at + 2;
            if let Some(target) = destination(&prose[start..]) {
                found.push(Link { line, target });
            }
            from = start;
        }
    }
    found
}

/// A heading's text as GitHub renders it for its anchor: links give their text, code spans
/// their content, HTML tags nothing.
fn heading_text(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `[text](dest)` and `![alt](dest)` give their text.
            '!' if chars.peek() == Some(&'[') => {}
            '[' | '`' => {}
            ']' if chars.peek() == Some(&'(') => {
                let mut depth = 0;
                for d in chars.by_ref() {
                    match d {
                        '(' => depth += 1,
                        ')' if depth == 1 => break,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            ']' => {}
            '<' => {
                for d in chars.by_ref() {
                    if d == '>' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// GitHub's anchor for a heading (as its github-slugger makes them): lower case; letters,
/// digits, `-` and `_` kept; every space a `-`; everything else (punctuation, symbols, emoji)
/// dropped.
fn slug(heading: &str) -> String {
    heading_text(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text's ATX headings (`# …` to `###### …`), in order; a repeated
/// heading gets `-1`, `-2`… as on GitHub.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let level = trimmed.chars().take_while(|&c| c == '#').count();
        let rest = &trimmed[level..];
        if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with(' ')) {
            continue;
        }
        // An optional closing sequence of `#`s after a space.
        let mut title = rest.trim();
        let unclosed = title.trim_end_matches('#');
        if unclosed.is_empty() || unclosed.ends_with(' ') {
            title = unclosed.trim_end();
        }
        let base = slug(title);
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// `%20` and the like in a link's path, decoded.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True for a destination with a scheme (`https:`, `mailto:`): not a file of the repository.
fn is_external(target: &str) -> bool {
    let scheme: String = target.chars().take_while(|c| c.is_ascii_alphanumeric() || "+.-".contains(*c)).collect();
    !scheme.is_empty() && target[scheme.len()..].starts_with(':')
}

/// `dir/../x` and `./x` folded away, without touching the file system; `None` when the path
/// climbs out of the repository.
fn normalised(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

/// What is wrong with the links of `files` (paths relative to `repo`), one line each:
/// `FILE:LINE: TARGET: why`.
fn broken_links(repo: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut problems = vec![];
    for file in files {
        let text = match std::fs::read_to_string(repo.join(file)) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{}: cannot be read: {e}", file.display()));
                continue;
            }
        };
        for link in links(&text) {
            if is_external(&link.target) {
                continue;
            }
            let mut why =
                |msg: String| problems.push(format!("{}:{}: {}: {msg}", file.display(), link.line, link.target));
            let (path, anchor) = match link.target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (link.target.as_str(), None),
            };
            let path = percent_decoded(path.split('?').next().unwrap_or_default());
            // `/x` is the repository's root on GitHub; anything else is relative to the file.
            let joined = match path.strip_prefix('/') {
                Some(from_root) => PathBuf::from(from_root),
                None if path.is_empty() => file.clone(),
                None => file.parent().unwrap_or(Path::new("")).join(&path),
            };
            let Some(target) = normalised(&joined) else {
                why("climbs out of the repository".into());
                continue;
            };
            let on_disk = repo.join(&target);
            if !on_disk.exists() {
                why(format!("no such file or folder {}", target.display()));
                continue;
            }
            let Some(anchor) = anchor.filter(|a| !a.is_empty()) else { continue };
            let is_markdown = target.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"));
            if !is_markdown {
                // GitHub's line anchors in source files: `#L12`, `#L12-L20`.
                let line_anchor = anchor.split('-').all(|l| {
                    l.strip_prefix('L').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                });
                if !line_anchor {
                    why(format!("#{anchor} in {}, which has no headings", target.display()));
                }
                continue;
            }
            let have = std::fs::read_to_string(&on_disk).map(|t| anchors(&t)).unwrap_or_default();
            if !have.contains(&percent_decoded(anchor)) {
                let near: Vec<&String> =
                    have.iter().filter(|h| h.contains(anchor) || anchor.contains(h.as_str())).take(3).collect();
                why(format!(
                    "no heading with anchor #{anchor} in {}{}",
                    target.display(),
                    if near.is_empty() { String::new() } else { format!(" (nearest: {near:?})") }
                ));
            }
        }
    }
    problems
}

/// The Markdown files whose links are checked, relative to `repo`: the four at the top and
/// everything under `docs/`.
fn documentation(repo: &Path) -> Vec<PathBuf> {
    fn walk(repo: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(repo.join(dir)) else { return };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.file_name()).collect();
        entries.sort();
        for name in entries {
            let rel = dir.join(name);
            if repo.join(&rel).is_dir() {
                walk(repo, &rel, out);
            } else if rel.extension().is_some_and(|e| e == "md") {
                out.push(rel);
            }
        }
    }
    let mut files: Vec<PathBuf> =
        ["README.md", "CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md"].iter().map(PathBuf::from).collect();
    walk(repo, Path::new("docs"), &mut files);
    files
}

#[test]
fn every_relative_link_and_anchor_in_the_documentation_resolves() {
    let repo = root();
    let files = documentation(&repo);
    assert!(files.iter().any(|f| f.starts_with("docs")), "no Markdown under docs/ (found {files:?})");
    let problems = broken_links(&repo, &files);
    assert!(problems.is_empty(), "broken links in the documentation:\n{}", problems.join("\n"));
}

#[test]
fn a_missing_file_a_missing_heading_and_a_climb_out_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("docs/sub")).expect("mkdir");
    std::fs::write(repo.join("docs/sub/page.md"), "# A page\n\n## Compatibility with `kubectl get`\n").expect("write");
    std::fs::write(repo.join("code.rs"), "fn main() {}\n").expect("write");
    let readme = [
        "# Top",
        "",
        "[ok](docs/sub/page.md#compatibility-with-kubectl-get) [ok](#top) [ok](docs/sub/)",
        "[ok](code.rs#L1-L2) [ok](https://example.com/missing.md) ![ok](docs/sub/page.md)",
        "[gone](docs/missing.md) [no heading](docs/sub/page.md#compatibility)",
        "[out](../outside.md) [no headings](code.rs#main)",
        "[defined]: docs/sub/nowhere.md",
        "```",
        "[in a block](nowhere.md)",
        "```",
        "`[in a span](nowhere.md)`",
    ];
    std::fs::write(repo.join("README.md"), readme.join("\n")).expect("write");
    std::fs::write(repo.join("docs/sub/back.md"), "[up](../../README.md#top) [up](/README.md#nope)\n").expect("write");
    let problems = broken_links(repo, &[PathBuf::from("README.md"), PathBuf::from("docs/sub/back.md")]);
    let targets: Vec<&str> = problems.iter().filter_map(|p| p.split(": ").next()).collect();
    assert_eq!(
        targets,
        ["README.md:5", "README.md:5", "README.md:6", "README.md:6", "README.md:7", "docs/sub/back.md:1"],
        "{problems:#?}"
    );
    for (problem, why) in problems.iter().zip([
        "docs/missing.md: no such file",
        "docs/sub/page.md#compatibility: no heading with anchor #compatibility in docs/sub/page.md (nearest: [\"compatibility-with-kubectl-get\"])",
        "../outside.md: climbs out",
        "code.rs#main: #main in code.rs, which has no headings",
        "docs/sub/nowhere.md: no such file",
        "/README.md#nope: no heading with anchor #nope",
    ]) {
        assert!(problem.contains(why), "{problem:?} should say {why:?}");
    }
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let text = [
        "# kubectl-kit",
        "## `kubectl cols`",
        "### Compatibility with `kubectl get`",
        "## Shared behaviour of every plugin ##",
        "## trace-svc with 2 000 endpoints",
        "## What's new? (v0.1, [notes](x.md))",
        "## Install",
        "## Install",
        "    # indented four spaces: code, not a heading",
        "#not a heading",
        "```sh",
        "# a shell comment",
        "```",
    ]
    .join("\n");
    let want: BTreeSet<String> = [
        "kubectl-kit",
        "kubectl-cols",
        "compatibility-with-kubectl-get",
        "shared-behaviour-of-every-plugin",
        "trace-svc-with-2-000-endpoints",
        "whats-new-v01-notes",
        "install",
        "install-1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(anchors(&text), want);
}

// --- The trace-svc picture ----------------------------------------------------------------------

/// The command that rewrites the picture, printed when it is stale.
const UPDATE: &str = "KUBECTL_KIT_UPDATE_DOCS=1 cargo test -p kubectl-kit-tests --test docs -- --include-ignored";

/// The state the picture shows, read from the cluster: each numbers-worker pod's node, waiting
/// reason and restart count, and the EndpointSlice's addresses with their readiness.
#[derive(Debug, PartialEq)]
struct CrashLoop {
    pods: Vec<WorkerPod>,
    endpoints: Vec<(String, bool)>,
}

#[derive(Debug, PartialEq)]
struct WorkerPod {
    name: String,
    node: String,
    waiting: String,
    restarts: u64,
}

impl CrashLoop {
    fn read(c: &kubectl_kit_tests::Cluster, ns: &str) -> CrashLoop {
        let items = |what: &[&str]| -> Vec<serde_json::Value> {
            let text = c.kubectl_ok(&[&["-n", ns, "get"], what, &["-o", "json"]].concat());
            let list: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            list["items"].as_array().cloned().unwrap_or_default()
        };
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let pods = items(&["pods", "-l", "app=numbers-worker"])
            .iter()
            .map(|p| {
                let container = &p["status"]["containerStatuses"][0];
                WorkerPod {
                    name: text(&p["metadata"]["name"]),
                    node: text(&p["spec"]["nodeName"]),
                    waiting: text(&container["state"]["waiting"]["reason"]),
                    restarts: container["restartCount"].as_u64().unwrap_or(0),
                }
            })
            .collect();
        let endpoints = items(&["endpointslices", "-l", "kubernetes.io/service-name=numbers-worker"])
            .iter()
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .map(|e| (text(&e["addresses"][0]), e["conditions"]["ready"].as_bool().unwrap_or(false)))
            .collect();
        CrashLoop { pods, endpoints }
    }

    /// Both replicas waiting in back-off after a restart, on two nodes, and listed as two
    /// endpoints, neither ready: what `cargo xtask demo` waits for before it shows the trace.
    fn as_pictured(&self) -> bool {
        self.pods.len() == 2
            && self.pods.iter().all(|p| p.waiting == "CrashLoopBackOff" && p.restarts > 0)
            && self.pods[0].node != self.pods[1].node
            && self.endpoints.len() == 2
            && self.endpoints.iter().all(|(_, ready)| !ready)
    }

    /// The node both pods were scheduled on, if the scheduler put them together: a state the
    /// picture (one pod on each of two nodes) never reaches.
    fn on_one_node(&self) -> Option<&str> {
        match self.pods.as_slice() {
            [a, b] if !a.node.is_empty() && a.node == b.node => Some(&a.node),
            _ => None,
        }
    }
}

/// A word of the picture that differs from one run to the next.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Varying {
    /// `numbers-worker-HASH-XXXXX`.
    Pod,
    /// `numbers-worker-XXXXX`.
    Slice,
    /// The name in a node's box: the scheduler picks the nodes.
    Node,
    /// A Service's cluster IP (10.96.0.0/12, the test cluster's Service range).
    ServiceIp,
    /// Any other IPv4 address (pods').
    Ip,
}

impl Varying {
    /// What a word is, when it is one that varies; `nodes` are the names in the nodes' boxes.
    fn of(word: &str, nodes: &[String]) -> Option<Varying> {
        let id = |s: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if nodes.iter().any(|n| n == word) {
            return Some(Varying::Node);
        }
        if let Some(rest) = word.strip_prefix("numbers-worker-") {
            return match rest.split('-').collect::<Vec<_>>().as_slice() {
                [hash, suffix] if id(hash, 6..=10) && id(suffix, 5..=5) => Some(Varying::Pod),
                [suffix] if id(suffix, 5..=5) => Some(Varying::Slice),
                _ => None,
            };
        }
        let octets: Vec<&str> = word.split('.').collect();
        let ip = octets.len() == 4 && octets.iter().all(|o| id(o, 1..=3) && o.bytes().all(|b| b.is_ascii_digit()));
        match (ip, word.starts_with("10.96.")) {
            (true, true) => Some(Varying::ServiceIp),
            (true, false) => Some(Varying::Ip),
            (false, _) => None,
        }
    }

    /// The fixed value of the `n`th distinct word of this kind: those of the demo run the
    /// README's text examples come from, so that the picture and the text agree.
    fn stand_in(self, n: usize) -> String {
        let names: &[&str] = match self {
            Varying::Pod => &["numbers-worker-7fb574dfdd-j4q6h", "numbers-worker-7fb574dfdd-j8dkh"],
            Varying::Slice => &["numbers-worker-qlpxl"],
            Varying::Node => &["kit-node-a", "kit-node-b", "kit-node-c"],
            Varying::ServiceIp => &["10.96.128.200"],
            Varying::Ip => &["10.244.1.4", "10.244.0.5"],
        };
        names.get(n).map_or_else(|| format!("{}-{n}", names.first().copied().unwrap_or("varying")), |s| s.to_string())
    }
}

/// The names in the nodes' boxes of a dot picture (`node0 [label="✓ kit-node-a\nReady", …]`).
fn node_names(dot: &str) -> Vec<String> {
    dot.lines()
        .filter_map(|l| {
            let (id, label) = l.trim_start().split_once(" [label=\"")?;
            let is_node =
                id.strip_prefix("node").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            // After the status mark, up to the label's line break or end.
            let name = label.split_once(' ')?.1.split(['\\', '"']).next()?;
            is_node.then(|| name.to_string())
        })
        .collect()
}

/// `kubectl trace-svc -o dot` text with what differs from one run to the next replaced by fixed
/// values: the namespace by `default` (the demo's), and each distinct [`Varying`] word by the
/// next stand-in of its kind, in order of appearance.
fn normalised_dot(dot: &str, namespace: &str) -> String {
    use std::collections::BTreeMap;
    let dot = dot.replace(namespace, "default");
    let nodes = node_names(&dot);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: BTreeMap<Varying, usize> = BTreeMap::new();
    let mut out = String::new();
    let mut word = String::new();
    // Words are runs of letters, digits, `-` and `.`; a full stop after one is not part of it.
    let mut end_word = |word: &mut String, out: &mut String| {
        let bare = word.trim_end_matches('.');
        let stops = &word[bare.len()..];
        match Varying::of(bare, &nodes) {
            Some(kind) => {
                let stand_in = seen.entry(bare.to_string()).or_insert_with(|| {
                    let n = counts.entry(kind).or_insert(0);
                    *n += 1;
                    kind.stand_in(*n - 1)
                });
                out.push_str(stand_in);
            }
            None => out.push_str(bare),
        }
        out.push_str(stops);
        word.clear();
    };
    let mut escaped = false;
    for c in dot.chars() {
        // `\n` in a label is a line break, not the start of a word.
        if !escaped && (c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            word.push(c);
        } else {
            end_word(&mut word, &mut out);
            out.push(c);
        }
        escaped = !escaped && c == '\\';
    }
    end_word(&mut word, &mut out);
    out
}

/// Graphviz's SVG of a dot picture.
fn svg_of(dot: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz's dot runs (apt-get install graphviz)");
    child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write to dot");
    let out = child.wait_with_output().expect("dot finishes");
    assert!(out.status.success() && out.stderr.is_empty(), "dot failed: {}\n{dot}", stderr(&out));
    stdout(&out)
}

/// The texts an SVG shows, in order: what a reader sees, whatever Graphviz's version lays out.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")).map(|(text, _)| text.to_string())
        })
        .collect()
}

/// The lines of `want` and `got` that differ, `-` for the committed one and `+` for the new one.
fn line_diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut out = String::new();
    for line in w.iter().filter(|l| !g.contains(l)) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in g.iter().filter(|l| !w.contains(l)) {
        out.push_str(&format!("+ {line}\n"));
    }
    if out.is_empty() {
        out.push_str("(the same lines in another order)\n");
    }
    out
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn the_readme_picture_is_what_trace_svc_draws_for_the_demos_failing_app() {
    use std::time::{Duration, Instant};
    let c = require_cluster!("docs trace-svc picture");
    // Built before the clock starts: a first build takes minutes.
    kubectl_kit_tests::plugin_path("trace_svc");
    let cache = tempfile::tempdir().expect("tempdir");
    let ns = c.namespace("docs-picture");
    c.apply_fixture(&ns.name, "numbers-worker");
    // The pods crash, back off for 10 s and crash again; the trace is taken between two reads
    // of the same crash-looping state, so that no restart happened while it was drawn.
    let timeout = Duration::from_secs(180);
    let deadline = Instant::now() + timeout;
    let dot = loop {
        let before = CrashLoop::read(&c, &ns.name);
        if let Some(node) = before.on_one_node() {
            panic!(
                "the scheduler put both numbers-worker pods on {node}; the picture shows them on two nodes \
                 (with its default spreading it puts them apart: is another node cordoned or tainted?)"
            );
        }
        if before.as_pictured() {
            let out = c
                .plugin("trace_svc", cache.path())
                .args(["-n", &ns.name, "numbers-worker", "-o", "dot"])
                .output()
                .expect("trace-svc runs");
            if CrashLoop::read(&c, &ns.name) == before {
                assert_eq!(out.status.code(), Some(1), "a failing trace exits 1: {}", stderr(&out));
                break stdout(&out);
            }
        }
        assert!(
            Instant::now() < deadline,
            "numbers-worker never reached the state the picture shows within {timeout:?}: both pods waiting in \
             CrashLoopBackOff after a restart, on two nodes, and two endpoints, neither ready; last seen {before:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    assert!(dot.starts_with("digraph trace {"), "not a dot picture:\n{dot}");
    let dot = normalised_dot(&dot, &ns.name);
    let (dot_file, svg_file) = (root().join("docs/images/trace-svc.dot"), root().join("docs/images/trace-svc.svg"));
    if std::env::var_os("KUBECTL_KIT_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&dot_file, &dot).expect("write the dot picture");
        std::fs::write(&svg_file, svg_of(&dot)).expect("write the SVG picture");
        return;
    }
    let committed = std::fs::read_to_string(&dot_file).unwrap_or_default();
    assert!(
        committed == dot,
        "{} is not what trace-svc draws now:\n{}\nregenerate it and its SVG with:\n  {UPDATE}",
        dot_file.display(),
        line_diff(&committed, &dot)
    );
    let svg = std::fs::read_to_string(&svg_file).unwrap_or_default();
    assert_eq!(
        svg_texts(&svg),
        svg_texts(&svg_of(&committed)),
        "{} is not rendered from {}; regenerate both with:\n  {UPDATE}",
        svg_file.display(),
        dot_file.display()
    );
}

#[test]
fn the_picture_is_compared_with_names_and_addresses_fixed_and_nothing_else() {
    let drawn = |ns: &str, pods: [&str; 2], slice: &str, nodes: [&str; 2], ips: [&str; 3], ready: usize| {
        format!(
            "digraph trace {{\n  graph [label=\"✗ traffic to numbers-worker:80 would reach {ready} of 2 pod(s)\"];\n  \
             service [label=\"✗ Service {ns}/numbers-worker\\nClusterIP {}\"];\n  \
             slice0 [label=\"✗ {slice}\\n{ready} ready\"];\n  \
             pods0 [label=\"✗ 2 pods: CrashLoopBackOff\\n{} at {}, {} at {}.\"];\n  \
             node0 [label=\"✓ {}\"];\n  node1 [label=\"✓ {}\"];\n  \
             client -> service [label=\"numbers-worker.{ns}.svc\"];\n}}\n",
            ips[0], pods[0], ips[1], pods[1], ips[2], nodes[0], nodes[1]
        )
    };
    let one = drawn(
        "docs-picture-1-2",
        ["numbers-worker-6d4cf56db6-x7k2p", "numbers-worker-6d4cf56db6-q9zzt"],
        "numbers-worker-h2x8f",
        ["kit-node-c", "kit-node-b"],
        ["10.96.112.7", "10.244.2.17", "10.244.1.9"],
        0,
    );
    let other = drawn(
        "docs-picture-3-4",
        ["numbers-worker-59b7c8d4f-abcde", "numbers-worker-59b7c8d4f-fghij"],
        "numbers-worker-zzzzz",
        ["kit-node-a", "kit-test-spare-4242"],
        ["10.96.0.77", "10.244.0.3", "10.244.2.200"],
        0,
    );
    let one_normalised = normalised_dot(&one, "docs-picture-1-2");
    assert_eq!(one_normalised, normalised_dot(&other, "docs-picture-3-4"));
    for varying in ["docs-picture", "x7k2p", "h2x8f", "kit-node-c", "10.96.112.7", "10.244.2.17"] {
        assert!(!one_normalised.contains(varying), "{varying} left in:\n{one_normalised}");
    }
    for kept in ["Service default/numbers-worker", "numbers-worker.default.svc", "CrashLoopBackOff", "reach 0 of 2"] {
        assert!(one_normalised.contains(kept), "{kept} lost from:\n{one_normalised}");
    }
    // A picture that shows something else stays different.
    let ready = drawn(
        "docs-picture-1-2",
        ["numbers-worker-6d4cf56db6-x7k2p", "numbers-worker-6d4cf56db6-q9zzt"],
        "numbers-worker-h2x8f",
        ["kit-node-c", "kit-node-b"],
        ["10.96.112.7", "10.244.2.17", "10.244.1.9"],
        1,
    );
    assert_ne!(normalised_dot(&ready, "docs-picture-1-2"), one_normalised);
}
