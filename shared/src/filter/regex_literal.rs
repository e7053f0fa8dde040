//! `matches()` with a pattern written in the expression, compiled once: CEL's own `matches`
//! compiles its pattern on every call, which costs more than the rest of a filter on an object.
//! A literal pattern that is not a regular expression is a usage error, found before any
//! request; a pattern computed from the object still goes through CEL's `matches`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use cel::common::types::{self, CelBool, CelString};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, IdedExpr};
use regex::Regex;

use super::check::Problem;

/// What `matches` with a literal pattern is rewritten to call.
const FUNCTION: &str = "@matches_literal";

/// The patterns compiled so far (a process compiles the few of its one expression).
static COMPILED: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Compiles the literal patterns of `matches` calls and points those calls at [`FUNCTION`].
pub(super) fn compile_literals(expr: &mut IdedExpr) -> Result<(), Problem> {
    match &mut expr.expr {
        Expr::Call(call) => {
            if let Some(target) = &mut call.target {
                compile_literals(target)?;
            }
            for arg in &mut call.args {
                compile_literals(arg)?;
            }
            let pattern = match (call.func_name.as_str(), &call.target, call.args.as_slice()) {
                ("matches", Some(_), [p]) | ("matches", None, [_, p]) => match &p.expr {
                    Expr::Literal(LiteralValue::String(s)) => Some((p.id, s.inner().to_string())),
                    _ => None,
                },
                _ => None,
            };
            if let Some((id, pattern)) = pattern {
                let compiled = Regex::new(&pattern)
                    .map_err(|e| Problem { id, message: format!("invalid regular expression {pattern:?}: {e}") })?;
                COMPILED.lock().unwrap_or_else(|e| e.into_inner()).insert(pattern, compiled);
                call.func_name = FUNCTION.to_string();
            }
        }
        Expr::Select(s) => compile_literals(&mut s.operand)?,
        Expr::Comprehension(c) => {
            for e in [&mut c.iter_range, &mut c.accu_init, &mut c.loop_cond, &mut c.loop_step, &mut c.result] {
                compile_literals(e)?;
            }
        }
        Expr::List(list) => {
            for e in &mut list.elements {
                compile_literals(e)?;
            }
        }
        Expr::Map(map) => {
            for entry in &mut map.entries {
                if let EntryExpr::MapEntry(e) = &mut entry.expr {
                    compile_literals(&mut e.key)?;
                    compile_literals(&mut e.value)?;
                }
            }
        }
        Expr::Struct(_) | Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
    Ok(())
}

/// Declares [`FUNCTION`], as a method and as a function like `matches`.
pub(super) fn declare(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(FUNCTION, "matches_literal_member", types::STRING_TYPE, vec![types::STRING_TYPE], run)?;
    env.add_overload(FUNCTION, "matches_literal", vec![types::STRING_TYPE, types::STRING_TYPE], run)
}

fn run<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let arg = |i: usize| {
        args.get(i)
            .and_then(|a| a.downcast_ref::<CelString>())
            .map(|s| s.inner())
            .ok_or_else(|| ExecutionError::function_error("matches", "takes a string and a pattern"))
    };
    let (text, pattern) = (arg(0)?, arg(1)?);
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let regex = match compiled.get(pattern) {
        Some(r) => r,
        None => {
            let r = Regex::new(pattern).map_err(|e| ExecutionError::function_error("matches", e))?;
            compiled.entry(pattern.to_string()).or_insert(r)
        }
    };
    Ok(CowVal::owned(CelBool::from(regex.is_match(text))))
}
