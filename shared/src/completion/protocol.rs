//! What kubectl reads from a completer: one candidate per line (`value<TAB>description`),
//! then `:<directive>`. Candidates that could not be typed as they are never reach the shell.

use std::collections::HashSet;

use crate::output;

/// Cobra's `ShellCompDirective` bits, as kubectl reads them from the last line.
pub mod directive {
    /// Completion failed; the shell offers nothing.
    pub const ERROR: u32 = 1;
    /// No space after the completed word.
    pub const NO_SPACE: u32 = 2;
    /// No file-name completion when there are no candidates.
    pub const NO_FILE_COMP: u32 = 4;
    /// The candidates are file extensions to filter on.
    pub const FILTER_FILE_EXT: u32 = 8;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
    /// Keep the candidates in the given order.
    pub const KEEP_ORDER: u32 = 32;
}

/// One completion: the word, and a short description some shells show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What replaces the partial word.
    pub value: String,
    /// Shown by zsh and fish; may be empty.
    pub description: String,
}

impl Candidate {
    /// A candidate without description.
    pub fn new(value: impl Into<String>) -> Self {
        Self { value: value.into(), description: String::new() }
    }

    /// A candidate with a description.
    pub fn described(value: impl Into<String>, description: impl Into<String>) -> Self {
        Self { value: value.into(), description: description.into() }
    }
}

/// For `--flag=val`, Cobra completes `val` alone; otherwise the whole word.
pub(super) fn flag_value_partial(partial: &str) -> &str {
    if partial.starts_with('-') { partial.split_once('=').map_or(partial, |(_, v)| v) } else { partial }
}

/// Prints the candidates that start with the partial word and are safe to print, then the
/// directive.
pub(super) fn render(candidates: &[Candidate], partial: &str, directive: u32) -> String {
    let mut out = String::new();
    let mut seen = HashSet::new();
    for c in candidates {
        if !c.value.starts_with(partial) || !printable(&c.value) || !seen.insert(c.value.as_str()) {
            continue;
        }
        out.push_str(&c.value);
        let description = describe(&c.description);
        if !description.is_empty() {
            out.push('\t');
            out.push_str(&description);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    out
}

/// A candidate is a word to type: no controls, no bidi overrides, no whitespace.
fn printable(value: &str) -> bool {
    !value.is_empty() && output::escape(value) == value && !value.chars().any(char::is_whitespace)
}

/// The description's first line, escaped, without tabs (which would start another field).
fn describe(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    output::escape(first).replace('\t', " ")
}
