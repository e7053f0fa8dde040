//! text/template's evaluator (`text/template/exec.go`) over borrowed JSON: the same walk, the
//! same places where a value is an `interface {}` and where it is dug out, the same node an
//! error is reported at (Go moves it as it evaluates, and errors quote the last node reached),
//! the same variable scopes, and the same error texts.
//!
//! The evaluator's state, errors and variables are here; `control` walks the tree, `eval`
//! evaluates pipelines, fields and calls.

mod control;
mod eval;

use std::collections::HashMap;
use std::io::Write;

use serde_json::Value;

use super::fmt::{sprint_one, sprint_s};
use super::node::{At, ListNode};
use super::strconv::quote;
use super::value::{Slice, Val, concrete};

/// `maxExecDepth`: templates invoked within templates.
pub(crate) const MAX_EXEC_DEPTH: usize = 100_000;

/// Why a walk stopped.
pub(crate) enum Flow {
    /// An execution error, with Go's text.
    Error(String),
    /// Writing the output failed.
    Write(std::io::Error),
    Break,
    Continue,
}

type R<T> = Result<T, Flow>;

pub(crate) struct Exec<'a, 'w> {
    pub(crate) trees: &'a HashMap<String, ListNode>,
    pub(crate) text: &'a str,
    pub(crate) missing_error: bool,
    pub(crate) out: &'w mut dyn Write,
    pub(crate) node: At<'a>,
    pub(crate) vars: Vec<(&'a str, Val<'a>)>,
    pub(crate) depth: usize,
    pub(crate) name: &'a str,
    /// Steps left: unbounded (`u64::MAX`) as in Go, except where a caller such as the fuzzer
    /// must stop a template that loops for long.
    pub(crate) fuel: u64,
}

impl<'a> Exec<'a, '_> {
    /// Runs the template `name` on `data`, as `Template.Execute` does.
    pub(crate) fn run(&mut self, data: &'a Value) -> R<()> {
        let Some(root) = self.trees.get(self.name) else {
            return Err(Flow::Error(format!(
                "template: {}: {} is an incomplete or empty template",
                self.name,
                quote(self.name.as_bytes())
            )));
        };
        let dot = concrete(data);
        self.vars = vec![("$", dot.clone())];
        self.walk_list(&dot, root)
    }

    fn at(&mut self, node: At<'a>) {
        self.node = node;
    }

    /// `state.errorf`: the message, located at the current node.
    pub(crate) fn errorf(&self, msg: impl std::fmt::Display) -> Flow {
        let Some(pos) = self.node.pos() else {
            return Flow::Error(format!("template: {}: {}", self.name, msg));
        };
        let before = self.text.as_bytes().get(..pos).unwrap_or_default();
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let col = match before.iter().rposition(|&c| c == b'\n') {
            Some(nl) => pos - nl - 1,
            None => pos,
        };
        Flow::Error(format!(
            "template: {}:{}:{}: executing {} at <{}>: {}",
            super::parse::NAME,
            line,
            col,
            quote(self.name.as_bytes()),
            self.node.render(),
            msg
        ))
    }

    fn write(&mut self, bytes: &[u8]) -> R<()> {
        self.out.write_all(bytes).map_err(Flow::Write)
    }

    // ---- variables ----

    fn var_value(&self, name: &str) -> R<Val<'a>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.errorf(format_args!("undefined variable: {name}"))),
        }
    }

    fn set_var(&mut self, name: &str, value: Val<'a>) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.errorf(format_args!("undefined variable: {name}"))),
        }
    }

    fn set_top_var(&mut self, n: usize, value: Val<'a>) {
        let len = self.vars.len();
        if let Some(slot) = len.checked_sub(n).and_then(|i| self.vars.get_mut(i)) {
            slot.1 = value;
        }
    }
}

/// `reflect.Value.String()`: a string's text, or `<T Value>`.
fn reflect_string(v: &Val) -> String {
    match v {
        Val::Str(s) => String::from_utf8_lossy(s.bytes()).into_owned(),
        Val::Invalid => "<invalid Value>".to_string(),
        other => format!("<{} Value>", other.type_name().unwrap_or("invalid")),
    }
}

/// `%s` of a value, as `fmt.Errorf` prints a `reflect.Value` argument.
pub(crate) fn value_s(v: &Val) -> String {
    String::from_utf8_lossy(&sprint_s(v)).into_owned()
}

/// `%v` of a value.
pub(crate) fn value_v(v: &Val) -> String {
    String::from_utf8_lossy(&sprint_one(v)).into_owned()
}

impl<'a> Slice<'a> {
    /// `reflect.Value.Slice3(i, j, k)` (`k` is the capacity end).
    pub(crate) fn window(&self, i: usize, j: usize, k: usize) -> Slice<'a> {
        Slice { items: self.items, off: self.off + i, len: j - i, cap: k - i }
    }
}
