//! The mistakes an expression shows before it meets an object: a name that is neither `self`,
//! `now`, a macro's variable nor a type; an operator given literal types it has no overload for
//! (`1 + "a"`, `"a" < 2`, `!"x"`); a method of strings called on a number; and a result that
//! cannot be a bool (`self.metadata.name + "x"`). What depends on the object (`self…` is of any
//! type) is left to evaluation, where it skips that object.

use cel::IdedExpr;
use cel::common::ast::{CallExpr, Expr, LiteralValue, operators};

/// A mistake, and the node it is about.
pub(super) struct Problem {
    pub id: u64,
    pub message: String,
}

/// What an expression is known to give; `Dyn` when it depends on the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Null,
    List,
    Map,
    Timestamp,
    Duration,
    Type,
    Quantity,
    Dyn,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Uint => "uint",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::Bytes => "bytes",
            Ty::Null => "null",
            Ty::List => "list",
            Ty::Map => "map",
            Ty::Timestamp => "google.protobuf.Timestamp",
            Ty::Duration => "google.protobuf.Duration",
            Ty::Type => "type",
            Ty::Quantity => "kubernetes.Quantity",
            Ty::Dyn => "dyn",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }
}

/// Names an expression may use besides its macros' variables.
const TYPE_NAMES: &[&str] = &["bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type"];
/// Namespaces of functions (`math.greatest(…)`).
const NAMESPACES: &[&str] = &["math", "lists", "optional", "strings"];
/// Methods that take a string receiver.
const STRING_METHODS: &[&str] = &[
    "contains",
    "endsWith",
    "startsWith",
    "matches",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "substring",
    "charAt",
    "indexOf",
    "lastIndexOf",
];

/// Checks `expr`, the whole expression: its mistakes, and that it can give a bool.
pub(super) fn check(expr: &IdedExpr) -> Result<(), Problem> {
    let mut scope = vec![];
    match infer(expr, &mut scope)? {
        Ty::Bool | Ty::Dyn => Ok(()),
        other => Err(Problem {
            id: expr.id,
            message: format!(
                "the expression gives {}, not bool (--where keeps the objects it is true for)",
                other.name()
            ),
        }),
    }
}

fn infer(expr: &IdedExpr, scope: &mut Vec<(String, Ty)>) -> Result<Ty, Problem> {
    Ok(match &expr.expr {
        Expr::Literal(l) => match l {
            LiteralValue::Boolean(_) => Ty::Bool,
            LiteralValue::Bytes(_) => Ty::Bytes,
            LiteralValue::Double(_) => Ty::Double,
            LiteralValue::Int(_) => Ty::Int,
            LiteralValue::Null => Ty::Null,
            LiteralValue::String(_) => Ty::String,
            LiteralValue::UInt(_) => Ty::Uint,
        },
        Expr::Ident(name) => match scope.iter().rev().find(|(n, _)| n == name) {
            Some((_, ty)) => *ty,
            None if name == "self" => Ty::Dyn,
            None if name == "now" => Ty::Timestamp,
            None if TYPE_NAMES.contains(&name.as_str()) => Ty::Type,
            None => return Err(Problem { id: expr.id, message: format!("undeclared reference to '{name}'") }),
        },
        Expr::Select(s) => {
            let on = infer(&s.operand, scope)?;
            if !matches!(on, Ty::Dyn | Ty::Map) {
                return Err(Problem {
                    id: expr.id,
                    message: format!("type '{}' does not support field selection", on.name()),
                });
            }
            if s.test { Ty::Bool } else { Ty::Dyn }
        }
        Expr::List(list) => {
            for e in &list.elements {
                infer(e, scope)?;
            }
            Ty::List
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                    infer(&e.key, scope)?;
                    infer(&e.value, scope)?;
                }
            }
            Ty::Map
        }
        Expr::Struct(_) | Expr::Unspecified => Ty::Dyn,
        Expr::Comprehension(c) => {
            let range = infer(&c.iter_range, scope)?;
            if !matches!(range, Ty::List | Ty::Map | Ty::Dyn) {
                return Err(Problem { id: c.iter_range.id, message: format!("cannot iterate over {}", range.name()) });
            }
            let accu = infer(&c.accu_init, scope)?;
            let depth = scope.len();
            scope.push((c.iter_var.clone(), Ty::Dyn));
            if let Some(v) = &c.iter_var2 {
                scope.push((v.clone(), Ty::Dyn));
            }
            scope.push((c.accu_var.clone(), accu));
            let result = infer(&c.loop_cond, scope)
                .and_then(|_| infer(&c.loop_step, scope))
                .and_then(|_| infer(&c.result, scope));
            scope.truncate(depth);
            result?
        }
        Expr::Call(call) => call_type(expr.id, call, scope)?,
    })
}

fn mismatch(id: u64, function: &str, args: &[Ty]) -> Problem {
    let names: Vec<&str> = args.iter().map(|t| t.name()).collect();
    Problem { id, message: format!("found no matching overload for '{function}' applied to '({})'", names.join(", ")) }
}

fn call_type(id: u64, call: &CallExpr, scope: &mut Vec<(String, Ty)>) -> Result<Ty, Problem> {
    let name = call.func_name.as_str();
    let target = match &call.target {
        Some(t) => match &t.expr {
            Expr::Ident(ns) if NAMESPACES.contains(&ns.as_str()) && !scope.iter().any(|(n, _)| n == ns) => None,
            _ => Some(infer(t, scope)?),
        },
        None => None,
    };
    let mut args = Vec::with_capacity(call.args.len());
    for a in &call.args {
        args.push(infer(a, scope)?);
    }
    let known = |t: Ty| t != Ty::Dyn;
    let same_family = |a: Ty, b: Ty| a == b || (a.numeric() && b.numeric()) || a == Ty::Null || b == Ty::Null;
    Ok(match (name, args.as_slice()) {
        (operators::LOGICAL_AND | operators::LOGICAL_OR, _) | (operators::LOGICAL_NOT, _) => {
            if args.iter().any(|&t| !matches!(t, Ty::Bool | Ty::Dyn)) {
                return Err(mismatch(id, name, &args));
            }
            Ty::Bool
        }
        (operators::EQUALS | operators::NOT_EQUALS, &[a, b]) => {
            if known(a) && known(b) && !same_family(a, b) {
                return Err(mismatch(id, name, &args));
            }
            Ty::Bool
        }
        (operators::LESS | operators::LESS_EQUALS | operators::GREATER | operators::GREATER_EQUALS, &[a, b]) => {
            let orderable = |t: Ty| !matches!(t, Ty::List | Ty::Map | Ty::Null | Ty::Type);
            if (known(a) && !orderable(a))
                || (known(b) && !orderable(b))
                || (known(a) && known(b) && !(a == b || (a.numeric() && b.numeric())))
            {
                return Err(mismatch(id, name, &args));
            }
            Ty::Bool
        }
        (operators::IN, &[_, container]) => {
            if known(container) && !matches!(container, Ty::List | Ty::Map) {
                return Err(mismatch(id, name, &args));
            }
            Ty::Bool
        }
        (
            operators::ADD | operators::SUBSTRACT | operators::MULTIPLY | operators::DIVIDE | operators::MODULO,
            &[a, b],
        ) => {
            // With one side known, the overloads left decide the result: `+` on a string
            // gives a string, `*` on an int an int; a duration may still meet a timestamp.
            let (a, b) = match (known(a), known(b)) {
                (true, true) => (a, b),
                (false, false) => return Ok(Ty::Dyn),
                (true, false) | (false, true) => {
                    let t = if known(a) { a } else { b };
                    return Ok(match (name, t) {
                        (_, Ty::Duration) | (operators::SUBSTRACT, Ty::Timestamp) => Ty::Dyn,
                        (operators::ADD, Ty::Timestamp) => Ty::Timestamp,
                        (operators::ADD, Ty::String | Ty::Bytes | Ty::List) => t,
                        (_, t) if t.numeric() => t,
                        _ => return Err(mismatch(id, name, &args)),
                    });
                }
            };
            let result = match (name, a, b) {
                (_, x, y) if x == y && x.numeric() && (name != operators::MODULO || x != Ty::Double) => Some(x),
                (operators::ADD, x, y) if x == y && matches!(x, Ty::String | Ty::Bytes | Ty::List | Ty::Duration) => {
                    Some(x)
                }
                (operators::ADD, Ty::Timestamp, Ty::Duration) | (operators::ADD, Ty::Duration, Ty::Timestamp) => {
                    Some(Ty::Timestamp)
                }
                (operators::SUBSTRACT, Ty::Timestamp, Ty::Timestamp) => Some(Ty::Duration),
                (operators::SUBSTRACT, Ty::Timestamp, Ty::Duration) => Some(Ty::Timestamp),
                (operators::SUBSTRACT, Ty::Duration, Ty::Duration) => Some(Ty::Duration),
                _ => None,
            };
            return result.ok_or_else(|| mismatch(id, name, &args));
        }
        (operators::NEGATE, &[a]) => {
            if known(a) && !matches!(a, Ty::Int | Ty::Double | Ty::Duration) {
                return Err(mismatch(id, name, &args));
            }
            a
        }
        (operators::CONDITIONAL, &[c, a, b]) => {
            if known(c) && c != Ty::Bool {
                return Err(mismatch(id, name, &args));
            }
            if a == b { a } else { Ty::Dyn }
        }
        (operators::INDEX, &[on, _]) => {
            if known(on) && !matches!(on, Ty::List | Ty::Map) {
                return Err(mismatch(id, name, &args));
            }
            Ty::Dyn
        }
        (operators::NOT_STRICTLY_FALSE, _) => Ty::Bool,
        _ => {
            if let Some(t) = target
                && known(t)
                && t != Ty::String
                && STRING_METHODS.contains(&name)
            {
                let mut all = vec![t];
                all.extend(&args);
                return Err(Problem {
                    id,
                    message: format!(
                        "found no matching overload for '{name}' applied to '{}.({})'",
                        t.name(),
                        args.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            function_type(name)
        }
    })
}

/// What a function gives, whatever it is given.
fn function_type(name: &str) -> Ty {
    match name {
        "size" | "int" | "compareTo" | "sign" | "indexOf" | "lastIndexOf" | "getFullYear" | "getMonth"
        | "getDayOfYear" | "getDayOfMonth" | "getDate" | "getDayOfWeek" | "getHours" | "getMinutes" | "getSeconds"
        | "getMilliseconds" => Ty::Int,
        "uint" => Ty::Uint,
        "double" | "asApproximateFloat" => Ty::Double,
        "string" | "lowerAscii" | "upperAscii" | "trim" | "replace" | "substring" | "charAt" | "join" => Ty::String,
        "bytes" => Ty::Bytes,
        "bool" | "matches" | "contains" | "startsWith" | "endsWith" | "isQuantity" | "isLessThan" | "isGreaterThan" => {
            Ty::Bool
        }
        "split" | "distinct" | "flatten" | "reverse" | "sort" | "slice" => Ty::List,
        "type" => Ty::Type,
        "timestamp" => Ty::Timestamp,
        "duration" => Ty::Duration,
        "quantity" => Ty::Quantity,
        _ => Ty::Dyn,
    }
}
