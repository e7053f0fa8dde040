//! The documentation as a reader follows it: every relative link and `#anchor` in README.md,
//! CONTRIBUTING.md, SECURITY.md, CHANGELOG.md and `docs/**/*.md` names a file (or folder) of the
//! repository and, for an anchor, a heading of that file, with the anchors GitHub makes. No
//! cluster needed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use kubectl_kit_tests::root;

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
