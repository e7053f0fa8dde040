//! kubectl's JSONPath dialect: a model of client-go's `util/jsonpath` (v0.35), which
//! `kubectl get -o jsonpath`, `-o custom-columns` and `--sort-by` evaluate.
//!
//! - `parse`: the template grammar, node for node and error for error.
//! - `eval`: the evaluation, with client-go's `range`/`end` state machine and its quirks.
//! - [`text`]: how Go prints JSON documents (`fmt.Sprint`, `encoding/json`); `eval` prints
//!   its values through it, and it depends on nothing here.
//!
//! It is our own code rather than a JSONPath crate because kubectl's dialect is not JSONPath
//! as other tools read it: `range … end`, `{"\n"}` text, Go's value formatting, what a filter
//! does with a missing field, and the quirks listed in docs/cols.md are what users' templates
//! depend on, and they are only right if modelled on client-go itself.
//!
//! One deliberate difference: where Go visits map entries in random order (`*` and `..` over a
//! map), entries come in key order here, so output is stable.
//!
//! Templates are user input: the text is walked by `char` or by checked ranges, never sliced
//! at a byte offset that could fall inside a character (the lints below hold every file here to
//! it).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

mod eval;
mod parse;
pub mod text;

use std::sync::Mutex;

use serde_json::Value;

pub use eval::Val;
use parse::Node;

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
    allow_missing_keys: bool,
    /// client-go keeps the range bookkeeping on the template between runs; so does this.
    state: Mutex<eval::State>,
}

impl Clone for Template {
    /// A fresh template, as if parsed again.
    fn clone(&self) -> Self {
        Template {
            source: self.source.clone(),
            nodes: self.nodes.clone(),
            allow_missing_keys: self.allow_missing_keys,
            state: Mutex::default(),
        }
    }
}

/// A JSONPath error; the text is client-go's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPathError(pub String);

impl std::fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonPathError {}

type R<T> = Result<T, JsonPathError>;

impl Template {
    /// Parses a template (`{.metadata.name}`, `{range .items[*]}{.x}{"\n"}{end}`). Missing
    /// keys are errors until [`Template::allow_missing_keys`] says otherwise.
    pub fn parse(text: &str) -> R<Self> {
        Ok(Template {
            source: text.to_string(),
            nodes: parse::parse(text)?,
            allow_missing_keys: false,
            state: Mutex::default(),
        })
    }

    /// The template's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where parsing of a malformed template stopped (a character offset), for pointing at it.
    pub fn error_offset(text: &str) -> Option<usize> {
        parse::failure_offset(text).map(|at| text.get(..at).unwrap_or(text).chars().count())
    }

    /// Missing fields yield nothing instead of an error (kubectl's printers turn this on, and
    /// `--allow-missing-template-keys=false` off).
    #[must_use]
    pub fn allow_missing_keys(mut self, allow: bool) -> Self {
        self.allow_missing_keys = allow;
        self
    }

    /// Evaluates the template: one list of values per top-level part (client-go's
    /// `FindResults`). The template remembers what client-go's remembers between runs.
    pub fn find_results<'a>(&'a self, data: &'a Value) -> R<Vec<Vec<Val<'a>>>> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let root = if data.is_null() { Val::Invalid } else { Val::Doc(data) };
        self.run(&mut state, root).map_err(JsonPathError)
    }

    /// `kubectl -o jsonpath=…`: each part's values separated by spaces, maps and lists as JSON.
    pub fn execute(&self, data: &Value) -> R<String> {
        let mut out = String::new();
        for set in self.find_results(data)? {
            for (i, v) in set.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                eval::print_value(v, &mut out);
            }
        }
        Ok(out)
    }

    /// `kubectl -o jsonpath-as-json=…`: each part's values as an indented JSON array, with a
    /// newline after each.
    pub fn execute_as_json(&self, data: &Value) -> R<String> {
        let mut out = String::new();
        for set in self.find_results(data)? {
            let values: Option<Vec<Value>> = set.iter().map(eval::to_json).collect();
            let values = values.ok_or_else(|| {
                JsonPathError("reflect: call of reflect.Value.Interface on zero Value (kubectl panics here)".into())
            })?;
            text::go_json_indent(&Value::Array(values), &mut out);
            out.push('\n');
        }
        Ok(out)
    }

    /// The field paths the template can read, for decoding only those (see `projection`):
    /// `[]` stands for array elements, a trailing `*` for a whole subtree, an empty path for the
    /// whole document; a path's value is read whole. Inside `range … end` paths are prefixed
    /// with the range's path. A template whose ranges and ends do not pair up reads everything
    /// (client-go would evaluate its parts against more than one object).
    pub fn fields(&self) -> Vec<Vec<String>> {
        let everything = || vec![vec![]];
        let mut out = vec![];
        let mut bases: Vec<Vec<String>> = vec![vec![]];
        for node in &self.nodes {
            let Node::List(action) = node else { continue };
            let base = bases.last().cloned().unwrap_or_default();
            let has = |word: &str| contains_identifier(action, word);
            match action.as_slice() {
                [Node::Identifier(id)] if id == "end" => {
                    if bases.len() < 2 {
                        return everything();
                    }
                    bases.pop();
                }
                [Node::Identifier(id), rest @ ..] if id == "range" && !contains_identifier(rest, "range") => {
                    if has("end") {
                        return everything();
                    }
                    let mut prefix = base.clone();
                    // The body reads each value the range yields: only a plain path says where.
                    if !collect_plain(rest, &mut prefix) {
                        return everything();
                    }
                    out.push(prefix.clone());
                    bases.push(prefix);
                }
                _ if has("range") || has("end") => return everything(),
                _ => collect_paths(action, &mut base.clone(), &mut out),
            }
        }
        if bases.len() != 1 {
            return everything();
        }
        out
    }
}

fn contains_identifier(nodes: &[Node], word: &str) -> bool {
    nodes.iter().any(|n| match n {
        Node::Identifier(id) => id == word,
        Node::List(inner) => contains_identifier(inner, word),
        Node::Union(parts) => parts.iter().any(|p| contains_identifier(p, word)),
        Node::Filter(f) => contains_identifier(&f.left, word) || contains_identifier(&f.right, word),
        _ => false,
    })
}

/// Extends `prefix` with a path of fields, indexes and filters; false for anything else.
fn collect_plain(nodes: &[Node], prefix: &mut Vec<String>) -> bool {
    for n in nodes {
        match n {
            Node::Field(f) => prefix.push(f.clone()),
            Node::Array(_) | Node::Filter(_) => prefix.push("[]".into()),
            _ => return false,
        }
    }
    true
}

fn collect_paths(nodes: &[Node], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let start = prefix.len();
    for n in nodes {
        match n {
            Node::Field(f) => prefix.push(f.clone()),
            Node::Array(_) => prefix.push("[]".into()),
            Node::Filter(f) => {
                prefix.push("[]".into());
                let sides: &[&Vec<Node>] = if f.op == "exists" { &[&f.left] } else { &[&f.left, &f.right] };
                for side in sides {
                    // `@` alone compares the element itself.
                    collect_paths(side, &mut prefix.clone(), out);
                }
            }
            Node::Union(parts) => {
                for part in parts {
                    collect_paths(part, &mut prefix.clone(), out);
                }
                prefix.truncate(start);
                return;
            }
            Node::Wildcard | Node::Recursive => {
                prefix.push("*".into());
                out.push(prefix.clone());
                prefix.truncate(start);
                return;
            }
            Node::List(inner) => {
                collect_paths(inner, prefix, out);
                prefix.truncate(start);
                return;
            }
            // What follows a literal reads the literal, not the document.
            Node::Text(_) | Node::Int(_) | Node::Float(_) | Node::Bool(_) => {
                if prefix.len() > start {
                    out.push(prefix.clone());
                }
                prefix.truncate(start);
                return;
            }
            Node::Identifier(_) => {}
        }
    }
    out.push(prefix.clone());
    prefix.truncate(start);
}

#[cfg(test)]
mod tests;
