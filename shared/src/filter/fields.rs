//! The fields an expression reads from `self`, and the object turned into CEL values along
//! those fields only: `self.status.phase` converts one string of a pod, not the pod.
//!
//! Every chain of field selections and constant-string indexes that starts at `self` is a path;
//! what the expression does with the end of a path, it may do with the whole value there, which
//! is converted whole. A presence test (`has(self.a.b)`) needs only to know that `b` is there.
//! `self` used any other way (`self == x`, `[self]`, `self[k]` with a computed `k`) needs all
//! of it. The converted value is what the full object would have given the expression, along
//! every path it can take.

use std::collections::{BTreeMap, HashMap};

use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::Val;
use serde_json::Value;

use crate::projection::Projection;

/// What the expression needs of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Need {
    /// All of it.
    Whole,
    /// Only that it is there (`has()`).
    Presence,
    /// These fields of it, when it is a map (all of it when it is not: selecting a field of a
    /// list or a string fails the same way on a copy).
    Fields(BTreeMap<String, Need>),
}

impl Need {
    /// What `expr` reads from `self`.
    pub(super) fn of(expr: &IdedExpr) -> Need {
        let mut need = Need::Fields(BTreeMap::new());
        visit(expr, &mut need);
        need
    }

    /// The paths read, each a list of field names (empty: the whole object).
    pub(super) fn paths(&self) -> Vec<Vec<String>> {
        let mut out = vec![];
        self.collect(&mut vec![], &mut out);
        out
    }

    /// What to decode of an object for the expression: its paths, where only presence is
    /// tested (`has()`) the field's presence alone.
    pub(super) fn projection(&self) -> Projection {
        match self {
            Need::Whole => Projection::All,
            Need::Presence => Projection::Presence,
            Need::Fields(fields) => {
                Projection::Fields(fields.iter().map(|(name, need)| (name.clone(), need.projection())).collect())
            }
        }
    }

    fn collect(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match self {
            Need::Whole | Need::Presence => out.push(prefix.clone()),
            Need::Fields(fields) => {
                for (name, need) in fields {
                    prefix.push(name.clone());
                    need.collect(prefix, out);
                    prefix.pop();
                }
            }
        }
    }

    fn add(&mut self, path: &[String], leaf: Need) {
        match self {
            Need::Whole => {}
            Need::Presence => {
                *self = Need::Fields(BTreeMap::new());
                self.add(path, leaf);
            }
            Need::Fields(fields) => match path.split_first() {
                None if leaf == Need::Whole => *self = Need::Whole,
                // A presence test on a value some of whose fields are read: those fields are
                // converted, so the value is there.
                None => {}
                Some((first, rest)) => {
                    let child = fields
                        .entry(first.clone())
                        .or_insert_with(|| if rest.is_empty() { leaf.clone() } else { Need::Fields(BTreeMap::new()) });
                    if rest.is_empty() {
                        if leaf == Need::Whole {
                            *child = Need::Whole;
                        }
                    } else {
                        child.add(rest, leaf);
                    }
                }
            },
        }
    }

    /// The CEL value of `json` for what is needed of it, borrowing its strings.
    pub(super) fn convert<'v>(&self, json: &'v Value) -> Box<dyn Val + 'v> {
        match (self, json) {
            (Need::Presence, _) => Box::new(CelNull),
            (Need::Fields(fields), Value::Object(map)) => {
                let mut out: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::with_capacity(fields.len());
                for (name, need) in fields {
                    if let Some((key, value)) = map.get_key_value(name.as_str()) {
                        out.insert(CelMapKey::from(key.as_str()), need.convert(value));
                    }
                }
                Box::new(CelMap::from(out))
            }
            _ => whole(json),
        }
    }
}

/// All of `json` as CEL values: numbers as Kubernetes decodes them (an integer that fits an
/// int64 is an `int`, any other number a `double`).
pub(super) fn whole<'v>(json: &'v Value) -> Box<dyn Val + 'v> {
    match json {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => Box::new(CelString::from(s.as_str())),
        Value::Array(items) => Box::new(CelList::from(items.iter().map(whole).collect::<Vec<_>>())),
        Value::Object(map) => {
            let entries: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> =
                map.iter().map(|(k, v)| (CelMapKey::from(k.as_str()), whole(v))).collect();
            Box::new(CelMap::from(entries))
        }
    }
}

/// The path a chain of selections and constant-string indexes spells from `self`.
fn self_path(expr: &IdedExpr) -> Option<Vec<String>> {
    match &expr.expr {
        Expr::Ident(name) if name == "self" => Some(vec![]),
        Expr::Select(s) if !s.test => {
            let mut path = self_path(&s.operand)?;
            path.push(s.field.clone());
            Some(path)
        }
        Expr::Call(call) if call.func_name == operators::INDEX && call.target.is_none() => match call.args.as_slice() {
            [operand, IdedExpr { expr: Expr::Literal(LiteralValue::String(key)), .. }] => {
                let mut path = self_path(operand)?;
                path.push(key.inner().to_string());
                Some(path)
            }
            _ => None,
        },
        _ => None,
    }
}

fn visit(expr: &IdedExpr, need: &mut Need) {
    if let Some(path) = self_path(expr) {
        need.add(&path, Need::Whole);
        return;
    }
    match &expr.expr {
        Expr::Select(s) if s.test => match self_path(&s.operand) {
            Some(mut path) => {
                path.push(s.field.clone());
                need.add(&path, Need::Presence);
            }
            None => visit(&s.operand, need),
        },
        Expr::Select(s) => visit(&s.operand, need),
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                visit(target, need);
            }
            for arg in &call.args {
                visit(arg, need);
            }
        }
        Expr::Comprehension(c) => {
            for e in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                visit(e, need);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|e| visit(e, need)),
        Expr::Map(map) => map.entries.iter().for_each(|e| visit_entry(e, need)),
        Expr::Struct(s) => s.entries.iter().for_each(|e| visit_entry(e, need)),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn visit_entry(entry: &cel::common::ast::IdedEntryExpr, need: &mut Need) {
    match &entry.expr {
        cel::common::ast::EntryExpr::MapEntry(e) => {
            visit(&e.key, need);
            visit(&e.value, need);
        }
        cel::common::ast::EntryExpr::StructField(f) => visit(&f.value, need),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(expr: &str) -> Vec<String> {
        let program = cel::Env::stdlib().compile(expr).expect("compiles");
        Need::of(program.expression()).paths().iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn an_expression_reads_the_ends_of_its_paths() {
        assert_eq!(paths("self.status.phase != 'Running'"), ["status.phase"]);
        assert_eq!(
            paths("self.metadata.labels['app'] == 'web' && has(self.spec.x)"),
            ["metadata.labels.app", "spec.x"]
        );
        assert_eq!(paths("self.spec.containers.exists(c, c.image.endsWith(':latest'))"), ["spec.containers"]);
        assert_eq!(paths("has(self.status) && self.status.phase == 'x'"), ["status.phase"]);
        assert_eq!(paths("self.status.phase == 'x' || self.status == {}"), ["status"]);
        assert_eq!(paths("[self].size() == 1"), [""]);
        assert_eq!(paths("self.metadata.labels[self.spec.key] == 'x'"), ["metadata.labels", "spec.key"]);
    }

    #[test]
    fn the_converted_object_holds_what_is_read() {
        let pod =
            serde_json::json!({"metadata": {"name": "a", "labels": {"app": "web"}}, "status": {"phase": "Running"}});
        let need = Need::of(
            cel::Env::stdlib()
                .compile("has(self.metadata.labels) && self.status.phase == 'x'")
                .expect("compiles")
                .expression(),
        );
        let val = need.convert(&pod);
        let debug = format!("{val:?}");
        assert!(
            debug.contains("Running") && debug.contains("labels") && !debug.contains("web") && !debug.contains("\"a\""),
            "{debug}"
        );
    }
}
