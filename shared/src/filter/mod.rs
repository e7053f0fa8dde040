//! `--where EXPR`: keep the objects for which a CEL expression is true (a filter kubectl does
//! not have, kubernetes/kubernetes#49387). CEL is the language of Kubernetes' CRD validation
//! rules and admission policies; the object is `self`, as there:
//!
//! ```text
//! --where 'self.status.phase != "Running"'
//! --where 'self.spec.containers.exists(c, c.image.endsWith(":latest"))'
//! --where 'self.metadata.name.matches("^web-")'
//! --where 'timestamp(self.metadata.creationTimestamp) < now - duration("1h")'
//! --where 'quantity(self.spec.containers[0].resources.requests.memory).isGreaterThan(quantity("1Gi"))'
//! ```
//!
//! [`Filter::compile`] parses and checks the expression once, before any request: a syntax
//! error or a mistake found without an object ([`check`]) is a usage error that points at the
//! expression (`<input>:1:5:` and a caret under it, as CEL reports errors). [`Filter::matches`]
//! evaluates it on one object, converting only the fields it reads ([`fields`]). An object on
//! which the expression fails (a field missing without `has()`, a comparison of a string with an
//! int) is left out, as CEL has `has()` for fields that may be missing; the listing goes on, and
//! [`Filter::skipped`] counts the objects left out by reason (`-v=2` prints them). A result that
//! is not a bool stops the listing: the expression is wrong, not the object.
//!
//! Available: CEL's standard library (`size`, `has`, `all`, `exists`, `exists_one`, `map`,
//! `filter`, `in`, `matches`, `startsWith`, `endsWith`, `contains`, conversions, `timestamp`,
//! `duration` and their accessors), the strings extension (`lowerAscii`, `upperAscii`, `trim`,
//! `replace`, `split`, `join`, `substring`, `charAt`, `indexOf`, `lastIndexOf`), the lists
//! extension (`distinct`, `flatten`, `reverse`, `sort`, `slice`, `lists.range`), the math
//! extension (`math.greatest`, `math.least`, `math.abs`…), Kubernetes' quantities
//! ([`quantity`]) and `now`, the time the command started, as a timestamp.

mod check;
mod fields;
mod quantity;
mod regex_literal;

use std::collections::BTreeMap;
use std::sync::Arc;

use cel::common::ast::SourceInfo;
use cel::common::value::Val;
use cel::{Context, Env, ExecutionError, IdedExpr};
use serde_json::Value;

use crate::projection::Projection;
use crate::{Error, Result};
use fields::Need;

/// A compiled `--where` expression, and what it left out so far.
pub struct Filter {
    source: String,
    expr: IdedExpr,
    env: Arc<Env>,
    need: Need,
    now: cel::Value,
    skipped: BTreeMap<String, u64>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter").field("source", &self.source).field("skipped", &self.skipped).finish()
    }
}

impl Filter {
    /// Parses and checks `source`; a usage error (exit 2) that points into it when it is not a
    /// CEL expression, or shows a mistake without meeting an object.
    pub fn compile(source: &str) -> Result<Filter> {
        let env = Arc::new(environment()?);
        let (mut expr, info) = env.parser().parse_with_source_info(source).map_err(|errors| {
            let lines: Vec<String> = errors
                .errors
                .iter()
                .map(|e| located(source, e.pos.0.max(1) as usize, e.pos.1.max(1) as usize, &e.msg))
                .collect();
            Error::usage(format!("invalid --where expression:\n{}", lines.join("\n")))
                .hint("--where takes a CEL expression on the object `self`, e.g. 'self.status.phase != \"Running\"'")
        })?;
        let problem = check::check(&expr).err().or_else(|| regex_literal::compile_literals(&mut expr).err());
        if let Some(problem) = problem {
            let (line, column) = position(&info, problem.id);
            return Err(Error::usage(format!(
                "invalid --where expression:\n{}",
                located(source, line, column, &problem.message)
            )));
        }
        let need = Need::of(&expr);
        let now = now_value(&env)?;
        Ok(Filter { source: source.to_string(), expr, env, need, now, skipped: BTreeMap::new() })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The fields the expression reads, as paths of field names from the object (an empty
    /// path: all of it); a listing that decodes only some fields must decode these too.
    pub fn fields(&self) -> Vec<Vec<String>> {
        self.need.paths()
    }

    /// What a listing must decode of each object for the expression: [`Filter::fields`], where
    /// only a field's presence is tested (`has(self.spec.containers)`) that alone, its value
    /// skipped.
    pub fn projection(&self) -> Projection {
        self.need.projection()
    }

    /// Whether the expression is true for `object`. False, and counted in
    /// [`Filter::skipped`], when it fails on it; an error when it gives something else than a
    /// bool.
    pub fn matches(&mut self, object: &Value) -> Result<bool> {
        let value = self.need.convert(object);
        self.answer(self.evaluate(value), object)
    }

    /// [`Filter::matches`], converting all of the object: what converting only the fields read
    /// must not change (the fuzz target and the tests compare the two).
    #[doc(hidden)]
    pub fn matches_converting_all(&mut self, object: &Value) -> Result<bool> {
        let value = fields::whole(object);
        self.answer(self.evaluate(value), object)
    }

    fn answer(&mut self, result: std::result::Result<cel::Value, ExecutionError>, object: &Value) -> Result<bool> {
        match result {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(Error::usage(format!(
                "--where must give a bool, but gave {} on {}",
                type_name(&other),
                describe(object)
            ))
            .hint("compare the value, e.g. 'self.metadata.labels.app == \"web\"'")),
            // Not the object's fault: a function that does not exist.
            Err(ExecutionError::UndeclaredReference(name)) => {
                Err(Error::usage(format!("invalid --where expression: undeclared reference to '{name}'")))
            }
            Err(e) => {
                *self.skipped.entry(reason(&e)).or_insert(0) += 1;
                Ok(false)
            }
        }
    }

    fn evaluate<'v>(&self, value: Box<dyn Val + 'v>) -> std::result::Result<cel::Value, ExecutionError> {
        let mut context = Context::with_env(Arc::clone(&self.env));
        context.add_variable_as_val("self", value);
        context.add_variable_from_value("now", self.now.clone());
        cel::Value::resolve(&self.expr, &context)
    }

    /// The objects left out because the expression failed on them, by reason.
    pub fn skipped(&self) -> &BTreeMap<String, u64> {
        &self.skipped
    }

    /// What `-v=2` says of the objects left out, when there were any.
    pub fn summary(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let total: u64 = self.skipped.values().sum();
        let reasons: Vec<String> = self.skipped.iter().map(|(r, n)| format!("{n} × {r}")).collect();
        Some(format!(
            "--where left out {total} object{} it could not evaluate: {}",
            if total == 1 { "" } else { "s" },
            reasons.join("; ")
        ))
    }
}

/// The standard library with the extensions Kubernetes has, and its quantities.
fn environment() -> Result<Env> {
    let setup = || -> std::result::Result<Env, cel::DeclarationError> {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)?;
        env.add_extension(cel::extensions::lists)?;
        env.add_extension(cel::extensions::math)?;
        quantity::declare(&mut env)?;
        regex_literal::declare(&mut env)?;
        Ok(env)
    };
    setup().map_err(|e| Error::runtime("could not set up the CEL environment").caused_by(e))
}

/// `now`, the time the filter was compiled, as a CEL timestamp.
fn now_value(env: &Arc<Env>) -> Result<cel::Value> {
    let now = jiff::Timestamp::now().to_string();
    let program = env.compile(&format!("timestamp({now:?})"));
    let value = program.ok().and_then(|p| p.execute(&Context::with_env(Arc::clone(env))).ok());
    match value {
        Some(v @ cel::Value::Timestamp(_)) => Ok(v),
        _ => Err(Error::runtime(format!("could not make a CEL timestamp of {now}"))),
    }
}

/// Line and column (counted in characters, from 1) where the node `id` was written.
fn position(info: &SourceInfo, id: u64) -> (usize, usize) {
    let offset = info.offset_for(id).map_or(0, |o| o.0 as usize);
    let (mut line, mut column) = (1, 1);
    for c in info.source.chars().take(offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// CEL's error format: `<input>:LINE:COLUMN: message`, the line, and a caret under the column.
fn located(source: &str, line: usize, column: usize, message: &str) -> String {
    let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let dots = ".".repeat(column.saturating_sub(1));
    format!("<input>:{line}:{column}: {message}\n | {text}\n | {dots}^")
}

/// A reason to count a failure under: the error without the values it carries (they are the
/// object's data, and would make every object its own reason).
fn reason(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(key) => format!("no such key: {key}"),
        ExecutionError::NoSuchOverload(o) => o.to_string(),
        ExecutionError::UnexpectedType { got, want } => format!("unexpected type: got {got}, want {want}"),
        ExecutionError::ValuesNotComparable(a, b) => {
            format!("{} cannot be compared to {}", type_name(a), type_name(b))
        }
        ExecutionError::UnsupportedBinaryOperator(op, a, b) => {
            format!("no operator '{op}' for {} and {}", type_name(a), type_name(b))
        }
        ExecutionError::FunctionError { function, .. } => format!("{function}() failed"),
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        ExecutionError::RemainderByZero(_) => "remainder by zero".into(),
        ExecutionError::Overflow(op, _, _) => format!("overflow in '{op}'"),
        ExecutionError::IndexOutOfBounds(_) => "index out of bounds".into(),
        ExecutionError::UnsupportedIndex(_, on) => format!("cannot index {}", type_name(on)),
        ExecutionError::UnsupportedKeyType(k) => format!("{} cannot be a map key", type_name(k)),
        other => {
            let text = other.to_string();
            text.split(':').next().unwrap_or(&text).to_string()
        }
    }
}

fn type_name(v: &cel::Value) -> String {
    format!("{:?}", v.type_of()).to_lowercase()
}

/// `kind/namespace/name` of an object, for messages.
fn describe(object: &Value) -> String {
    let meta = &object["metadata"];
    let kind = object["kind"].as_str().unwrap_or("object").to_lowercase();
    match (meta["namespace"].as_str(), meta["name"].as_str()) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        _ => kind,
    }
}

#[cfg(test)]
mod tests;
