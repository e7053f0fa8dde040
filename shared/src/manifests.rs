//! kubectl's `-f`: files, directories (all of a directory's `.json`, `.yaml` and `.yml` files,
//! subdirectories too with `-R`), glob patterns and `-` for standard input, read into the
//! objects they hold (YAML documents or a JSON stream; Lists flattened into their items).
//!
//! The messages are kubectl's (`the path "x" does not exist`, `error reading [dir]: recognized
//! file extensions are [.json .yaml .yml]`), with the file and the line of a decoding error.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Error, Result};

/// The extensions kubectl reads in a directory.
const EXTENSIONS: [&str; 3] = [".json", ".yaml", ".yml"];

/// One object of a manifest, and where it came from.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The object.
    pub object: Value,
    /// The file (or `STDIN`) it was read from.
    pub source: String,
}

/// What `-f` named.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// Every object, in the order kubectl visits them.
    pub objects: Vec<Manifest>,
    /// kubectl's "single item implied": one file (not a directory, not standard input), so one
    /// object prints as itself rather than in a List.
    pub single_implied: bool,
}

/// Reads every path given with `-f`.
pub fn read(filenames: &[String], recursive: bool) -> Result<Manifests> {
    let mut out = Manifests::default();
    let mut files: Vec<(PathBuf, bool)> = vec![];
    let mut stdin = false;
    let mut dir = false;
    let mut single = false;
    for name in filenames {
        if name == "-" {
            stdin = true;
            files.push((PathBuf::from("-"), true));
            continue;
        }
        if name.starts_with("http://") || name.starts_with("https://") {
            return Err(Error::usage(format!("-f {name}: reading manifests from URLs is not supported"))
                .hint("download the file first (curl -LO …) and pass its path"));
        }
        let matches = expand(name)?;
        if !recursive && matches.len() == 1 {
            single = true;
        }
        for m in matches {
            let found = walk(&m, recursive)?;
            if found.len() > 1 {
                dir = true;
            }
            if found.is_empty() {
                return Err(Error::runtime(format!(
                    "error reading [{}]: recognized file extensions are [{}]",
                    m.display(),
                    EXTENSIONS.join(" ")
                )));
            }
            files.extend(found.into_iter().map(|f| (f, false)));
        }
    }
    for (file, from_stdin) in &files {
        let (text, source) = if *from_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::runtime("could not read standard input").caused_by(e))?;
            (text, "STDIN".to_string())
        } else {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::runtime(format!("the path {:?} cannot be read", file.display())).caused_by(e))?;
            (text, file.display().to_string())
        };
        for object in decode(&text, &source)? {
            out.objects.push(Manifest { object, source: source.clone() });
        }
    }
    out.single_implied = single && !dir && !stdin && files.len() == 1;
    Ok(out)
}

/// A path, or the files a glob pattern matches when no such path exists.
fn expand(pattern: &str) -> Result<Vec<PathBuf>> {
    if Path::new(pattern).exists() {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let not_found = || Error::runtime(format!("the path \"{pattern}\" does not exist"));
    if !pattern.contains(['*', '?', '[']) {
        return Err(not_found());
    }
    let mut matches = glob(pattern);
    matches.sort();
    if matches.is_empty() {
        return Err(not_found());
    }
    Ok(matches)
}

/// The files of a glob pattern (`*`, `?` and `[…]` within one path segment).
fn glob(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let mut found = vec![if path.is_absolute() { PathBuf::from("/") } else { PathBuf::new() }];
    for part in path.iter() {
        let part = part.to_string_lossy();
        if part == "/" {
            continue;
        }
        let mut next = vec![];
        for base in &found {
            if !part.contains(['*', '?', '[']) {
                let p = base.join(part.as_ref());
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base.as_path() };
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if glob_match(part.as_bytes(), name.as_bytes()) {
                    next.push(base.join(name));
                }
            }
        }
        found = next;
    }
    found
}

/// Go's `filepath.Match` on one segment: `*`, `?`, `[…]` with ranges and `^` negation.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob_match(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob_match(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().skip(1).position(|c| *c == b']').map(|i| i + 1) else { return false };
            let Some(&c) = s.first() else { return false };
            let mut class = &p[1..close];
            let negate = class.first() == Some(&b'^');
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && glob_match(&p[close + 1..], &s[1..])
        }
        Some(&c) => s.first() == Some(&c) && glob_match(&p[1..], &s[1..]),
    }
}

/// The files under a path: the path itself when it is a file (whatever its extension), else
/// the directory's files with a known extension, in name order, descending only with `-R`.
fn walk(path: &Path, recursive: bool) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::runtime(format!("the path {:?} cannot be accessed", path.display())).caused_by(e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = vec![];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::runtime(format!("error reading {:?}", path.display())).caused_by(e))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            if recursive {
                out.extend(walk(&e, true)?);
            }
        } else if EXTENSIONS.iter().any(|ext| e.to_string_lossy().ends_with(ext)) {
            out.push(e);
        }
    }
    Ok(out)
}

/// `-k DIR`: the objects a kustomization builds, as `kubectl get -k` reads them. kubectl builds
/// in-process with kustomize's defaults; here `kubectl kustomize DIR` does the same build (the
/// plugin runs under kubectl, so it is on PATH), else `kustomize build DIR`. One kustomization
/// is kubectl's "single item implied": one object prints as itself.
pub fn kustomize(dir: &str) -> Result<Manifests> {
    let (program, args): (std::path::PathBuf, Vec<&str>) = match which::which("kubectl") {
        Ok(kubectl) => (kubectl, vec!["kustomize", dir]),
        Err(_) => match which::which("kustomize") {
            Ok(kustomize) => (kustomize, vec!["build", dir]),
            Err(_) => {
                return Err(Error::usage(format!("-k {dir}: building a kustomization needs kubectl or kustomize"))
                    .hint("install kubectl (it builds kustomizations itself), or kustomize, on PATH; or run kustomize build DIR > out.yaml and use -f out.yaml"));
            }
        },
    };
    let out = std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::runtime(format!("could not run {}", program.display())).caused_by(e))?;
    if !out.status.success() {
        return Err(Error::runtime(build_error(&String::from_utf8_lossy(&out.stderr))));
    }
    let text =
        String::from_utf8(out.stdout).map_err(|_| Error::runtime(format!("the build of {dir} is not UTF-8 text")))?;
    let objects = decode(&text, dir)?.into_iter().map(|object| Manifest { object, source: dir.to_string() }).collect();
    Ok(Manifests { objects, single_implied: true })
}

/// kustomize's own words from a failed build's stderr: `error: …`, or the `err="…"` of the
/// log line some kubectl versions write instead.
fn build_error(stderr: &str) -> String {
    let last = stderr.trim().lines().last().unwrap_or_default().trim();
    if let Some((_, quoted)) = last.split_once(" err=\"")
        && let Some(inner) = quoted.strip_suffix('"')
    {
        return inner.replace("\\\"", "\"");
    }
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

/// The objects in a file's text: a JSON stream when it starts with `{` or `[`, else YAML
/// documents; empty documents are skipped and Lists (anything with `items`) flattened.
pub fn decode(text: &str, source: &str) -> Result<Vec<Value>> {
    let mut docs: Vec<Value> = vec![];
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        for d in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            docs.push(d.map_err(|e| {
                Error::runtime(format!(
                    "error parsing {source}: invalid JSON at line {} column {}",
                    e.line(),
                    e.column()
                ))
                .caused_by(e)
            })?);
        }
    } else {
        for doc in serde_yaml::Deserializer::from_str(text) {
            let v = <Value as serde::Deserialize>::deserialize(doc).map_err(|e| {
                let at =
                    e.location().map(|l| format!(" at line {} column {}", l.line(), l.column())).unwrap_or_default();
                Error::runtime(format!("error parsing {source}: invalid YAML{at}")).caused_by(e)
            })?;
            if !v.is_null() {
                docs.push(v);
            }
        }
    }
    let mut out = vec![];
    for d in docs {
        match d {
            Value::Array(items) => out.extend(items),
            Value::Object(mut m) if m.get("items").is_some_and(Value::is_array) => {
                if let Some(Value::Array(items)) = m.remove("items") {
                    out.extend(items);
                }
            }
            other => out.push(other),
        }
    }
    if let Some(bad) = out.iter().find(|o| !o.is_object()) {
        let what = match bad {
            Value::Array(_) => "a list",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(Error::runtime(format!("unable to decode \"{source}\": {what} is not a Kubernetes object")));
    }
    Ok(out)
}

#[cfg(test)]
mod kustomize_tests {
    use super::build_error;

    #[test]
    fn a_failed_build_says_kustomizes_words() {
        let logged = "E1207 16:43:56.399053    1579 run.go:72] \"command failed\" err=\"must build at directory: not a valid directory: lstat /tmp/nope: \\\"x\\\"\"\n";
        assert_eq!(build_error(logged), "must build at directory: not a valid directory: lstat /tmp/nope: \"x\"");
        assert_eq!(build_error("error: accumulating resources: boom\n"), "accumulating resources: boom");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_files_and_patterns_read_like_kubectl() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).expect("mkdir");
        std::fs::write(d.join("a.yaml"), "kind: Pod\nmetadata: {name: a}\n---\n---\nkind: Pod\nmetadata: {name: b}\n")
            .expect("write");
        std::fs::write(
            d.join("b.json"),
            r#"{"kind": "List", "items": [{"kind": "Service", "metadata": {"name": "c"}}]}"#,
        )
        .expect("write");
        std::fs::write(d.join("notes.txt"), "not a manifest").expect("write");
        std::fs::write(d.join("sub/c.yml"), "kind: Pod\nmetadata: {name: d}\n").expect("write");
        let names = |m: &Manifests| -> Vec<String> {
            m.objects.iter().map(|o| o.object["metadata"]["name"].as_str().unwrap_or_default().to_string()).collect()
        };
        let flat = read(&[d.display().to_string()], false).expect("reads");
        assert_eq!(names(&flat), ["a", "b", "c"]);
        assert!(!flat.single_implied, "a directory is never a single item");
        let deep = read(&[d.display().to_string()], true).expect("reads");
        assert_eq!(names(&deep), ["a", "b", "c", "d"]);
        let one = read(&[d.join("sub/c.yml").display().to_string()], false).expect("reads");
        assert!(one.single_implied);
        let pattern = read(&[format!("{}/*.json", d.display())], false).expect("reads");
        assert_eq!(names(&pattern), ["c"]);
        let text = read(&[d.join("notes.txt").display().to_string()], false);
        assert!(text.is_err(), "a file named on its own is read whatever its extension");
        let missing = read(&[d.join("nope.yaml").display().to_string()], false).expect_err("missing");
        assert!(missing.render().contains("does not exist"), "{}", missing.render());
        std::fs::create_dir(d.join("empty")).expect("mkdir");
        let empty = read(&[d.join("empty").display().to_string()], false).expect_err("empty");
        assert!(empty.render().contains("recognized file extensions are [.json .yaml .yml]"), "{}", empty.render());
    }

    #[test]
    fn globs_match_like_filepath_match() {
        assert!(glob_match(b"*.yaml", b"a.yaml"));
        assert!(!glob_match(b"*.yaml", b"a.yml"));
        assert!(glob_match(b"p?d-[a-c]", b"pod-b"));
        assert!(!glob_match(b"p?d-[^a-c]", b"pod-b"));
    }
}
