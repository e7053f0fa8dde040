//! kubectl's go-template output (`-o go-template=…`, `go-template-file=`, `template=`,
//! `templatefile=`, `--template`): a model of Go's `text/template` as cli-runtime's
//! `GoTemplatePrinter` sets it up, evaluated on borrowed JSON.
//!
//! kubectl parses the text as a template named `output` with two functions of its own
//! (`exists`, `base64decode`), sets `missingkey=error` unless `--allow-missing-template-keys`
//! (the default) allows them, prints each object through JSON (so integers are `int64`, other
//! numbers `float64`, objects `map[string]interface {}` visited in key order), and on an
//! execution error keeps the output written so far. This module reproduces that, text for
//! text: output, parse errors and execution errors are Go's.
//!
//! - [`lex`](self) and `parse`: the lexer and parser, token for token (trim markers, comments,
//!   `define`/`template`/`block`, `else if`/`else with`, `break`/`continue`, variables,
//!   assignment, the literals Go reads).
//! - `exec` and `funcs`: the evaluator and the builtins, with Go's notion of when a value is an
//!   `interface {}` and where an error is reported.
//! - `fmt` and `strconv`: Go's printing (`print`, `printf`, `println`, every `{{value}}`) and
//!   quoting, float formatting and number parsing; Go's character classes are `crate::unicode`.
//!
//! Recursion runs on a growing stack: Go's own limits (10 000 nested parentheses, templates
//! 100 000 deep) are reached and reported as Go reports them, never by overflowing ours.
//!
//! Deliberate differences: `%p` of a map or slice prints no address; the debug dump kubectl
//! writes after an execution error (the template, the raw object and its Go form, which can hold
//! secrets) is left to the caller, which should not print it.

#![deny(clippy::string_slice, clippy::indexing_slicing)]

mod exec;
mod fields;
mod fmt;
mod funcs;
mod lex;
mod node;
mod parse;
mod strconv;
pub use crate::unicode;
mod value;

use std::collections::HashMap;
use std::io::Write;

use serde_json::Value;

use node::{At, ListNode};

/// A parsed template, ready to run on any number of objects.
#[derive(Debug)]
pub struct Template {
    source: String,
    trees: HashMap<String, ListNode>,
    allow_missing_keys: bool,
}

/// A template that does not parse; the text is Go's (`template: output:1: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The error as kubectl reports it: `error parsing template {text}, {error}`.
    pub fn kubectl_message(&self, template: &str) -> String {
        format!("error parsing template {template}, {}", self.0)
    }
}

/// Why an execution stopped.
#[derive(Debug)]
pub enum ExecError {
    /// The template failed on this object; the text is Go's
    /// (`template: output:1:2: executing "output" at <.x>: map has no entry for key "x"`).
    Template(String),
    /// The output could not be written.
    Write(std::io::Error),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Template(e) => f.write_str(e),
            ExecError::Write(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExecError {}

impl ExecError {
    /// The error as kubectl reports it: `error executing template "{text}": {error}`.
    pub fn kubectl_message(&self, template: &str) -> String {
        format!("error executing template {}: {self}", strconv::quote(template.as_bytes()))
    }
}

impl Template {
    /// Parses a template as kubectl does. Missing keys print `<no value>` until
    /// [`Template::allow_missing_keys`] says otherwise.
    pub fn parse(text: &str) -> Result<Template, ParseError> {
        let trees = node::grow(|| parse::Parser::parse(text)).map_err(|e| ParseError(e.0))?;
        Ok(Template { source: text.to_string(), trees, allow_missing_keys: true })
    }

    /// `--allow-missing-template-keys`: when false, a missing map key is an error
    /// (`missingkey=error`).
    pub fn allow_missing_keys(mut self, allow: bool) -> Self {
        self.allow_missing_keys = allow;
        self
    }

    /// The fields the template reads, as paths from its data's root (`[]`: all of it), so
    /// that the data can be decoded only as far as that.
    pub fn fields(&self) -> Vec<Vec<String>> {
        fields::fields(&self.trees)
    }

    /// The template's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the template on one object, writing to `out`; on an error, what was written stays
    /// written, as kubectl's does.
    pub fn execute(&self, out: &mut dyn Write, data: &Value) -> Result<(), ExecError> {
        self.execute_with_fuel(out, data, u64::MAX)
    }

    /// [`Template::execute`] that stops after `fuel` steps (a range iteration, a node, a
    /// command), for the fuzzer: Go has no such limit, and neither has `execute`.
    #[doc(hidden)]
    pub fn execute_with_fuel(&self, out: &mut dyn Write, data: &Value, fuel: u64) -> Result<(), ExecError> {
        let mut exec = exec::Exec {
            trees: &self.trees,
            text: &self.source,
            missing_error: !self.allow_missing_keys,
            out,
            node: At::None,
            vars: Vec::new(),
            depth: 0,
            name: parse::NAME,
            fuel,
        };
        match node::grow(|| exec.run(data)) {
            Ok(()) => Ok(()),
            Err(exec::Flow::Error(e)) => Err(ExecError::Template(e)),
            Err(exec::Flow::Write(e)) => Err(ExecError::Write(e)),
            // The parser keeps break and continue inside range.
            Err(exec::Flow::Break | exec::Flow::Continue) => Ok(()),
        }
    }

    /// Runs the template on one object into a buffer: the output, and the error if any.
    pub fn render(&self, data: &Value) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let err = match self.execute(&mut out, data) {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        };
        (out, err)
    }
}

/// The capacity Go gives a decoded JSON array of `len` elements (how far `slice` reaches), for
/// the test that compares it with Go's.
#[doc(hidden)]
pub fn json_array_capacity(len: usize) -> usize {
    value::decoded_cap(len)
}

#[cfg(test)]
mod tests;
