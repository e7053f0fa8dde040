//! Evaluation as client-go's `util/jsonpath/jsonpath.go` does it, with its state machine.
//!
//! Each top-level part is evaluated on the current object (the root, or one value of a
//! `range`); `@` and `$` are both the current object. `range` and `end` work through counters
//! kept between calls, exactly as client-go keeps them on the `JSONPath` value: a `range` whose
//! `{end}` is missing runs its body once per value and then once more on the outer object, an
//! empty range still walks its body (on nothing) to find its `{end}`, and each run leaves the
//! template starting where the last range body began (client-go reassigns `Root.Nodes`), which a
//! later run of the same template sees.
//!
//! Every function returns what client-go's returns, values and error together, because a filter
//! without an operator keeps an element when its left side yields values even if it failed.

use serde_json::Value;

use super::Template;
use super::parse::{Filter, Node, Param};
use super::text::{self, go_sprint_doc};

/// A value met while evaluating: a `reflect.Value` in client-go.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    /// The zero `reflect.Value`: what a `range` body sees for a null item, or when it yielded
    /// nothing. It prints as `<no value>`.
    Invalid,
    /// A node of the document (a JSON null is Go's nil interface and prints `null`).
    Doc(&'a Value),
    /// A quoted string of the template.
    Text(&'a str),
    /// An integer literal of the template (Go `int`).
    Int(i64),
    /// A float literal of the template.
    Float(f64),
    /// `true` or `false` in the template.
    Bool(bool),
    /// A byte of a string: Go iterates strings byte by byte in `*` and `..` (`uint8`).
    Byte(u8),
}

impl Val<'_> {
    /// The text Go's `fmt.Sprint` gives this value (a custom-columns cell).
    pub fn to_go_string(&self) -> String {
        sprint(self)
    }
}

/// The range bookkeeping client-go keeps on its `JSONPath` value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct State {
    begin_range: i64,
    in_range: i64,
    end_range: i64,
    /// Index (into the template's top-level nodes) of the `{end}` that closed the last range.
    last_end: Option<usize>,
    /// Where the next run starts (client-go's reassigned `Root.Nodes`).
    pub(crate) root_start: usize,
}

/// Values and, when the step failed, the error (client-go returns both).
type Step<'a> = (Vec<Val<'a>>, Option<String>);

const ZERO_VALUE_INTERFACE: &str = "reflect: call of reflect.Value.Interface on zero Value (kubectl panics here)";
const ZERO_VALUE_TYPE: &str = "reflect: call of reflect.Value.Type on zero Value (kubectl panics here)";

impl Template {
    /// client-go's `FindResults`.
    pub(crate) fn run<'a>(&'a self, st: &mut State, data: Val<'a>) -> Result<Vec<Vec<Val<'a>>>, String> {
        let start = st.root_start.min(self.nodes.len());
        let nodes = self.nodes.get(start..).unwrap_or_default();
        let mut full = vec![];
        let mut i = 0;
        while let Some(node) = nodes.get(i) {
            let (results, err) = self.walk(st, vec![data], node);
            if let Some(e) = err {
                return Err(e);
            }
            if st.end_range > 0 && st.end_range <= st.in_range {
                st.end_range -= 1;
                st.last_end = Some(start + i);
                break;
            }
            if st.begin_range > 0 {
                st.begin_range -= 1;
                st.in_range += 1;
                if results.is_empty() {
                    // Walk the body on nothing, to find the `{end}`.
                    st.root_start = start + i + 1;
                    self.run(st, Val::Invalid)?;
                } else {
                    for value in results {
                        st.root_start = start + i + 1;
                        full.extend(self.run(st, interface(value)?)?);
                    }
                }
                st.in_range -= 1;
                // Resume after the `{end}` that closed the body, when it is ahead.
                if let Some(k) = (i + 1..nodes.len()).find(|k| st.last_end == Some(start + k)) {
                    i = k;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&'a self, st: &mut State, input: Vec<Val<'a>>, node: &'a Node) -> Step<'a> {
        match node {
            Node::List(nodes) => self.eval_list(st, input, nodes),
            Node::Text(t) => (vec![Val::Text(t)], None),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter(f) => self.eval_filter(st, input, f),
            Node::Int(v) => (input.iter().map(|_| Val::Int(*v)).collect(), None),
            Node::Float(v) => (input.iter().map(|_| Val::Float(*v)).collect(), None),
            Node::Bool(v) => (input.iter().map(|_| Val::Bool(*v)).collect(), None),
            Node::Wildcard => (input.into_iter().flat_map(children).collect(), None),
            Node::Recursive => {
                let mut out = vec![];
                recursive(&input, &mut out);
                (out, None)
            }
            Node::Union(lists) => {
                let mut out = vec![];
                for list in lists {
                    let (values, err) = self.eval_list(st, input.clone(), list);
                    if err.is_some() {
                        return (input, err);
                    }
                    out.extend(values);
                }
                (out, None)
            }
            Node::Identifier(id) => match id.as_str() {
                "range" => {
                    st.begin_range += 1;
                    (input, None)
                }
                "end" if st.in_range > 0 => {
                    st.end_range += 1;
                    (vec![], None)
                }
                "end" => (vec![], Some("not in range, nothing to end".into())),
                other => (input, Some(format!("unrecognized identifier {other}"))),
            },
        }
    }

    fn eval_list<'a>(&'a self, st: &mut State, input: Vec<Val<'a>>, nodes: &'a [Node]) -> Step<'a> {
        let mut cur = input;
        for node in nodes {
            let (values, err) = self.walk(st, cur, node);
            if err.is_some() {
                return (values, err);
            }
            cur = values;
        }
        (cur, None)
    }

    fn eval_field<'a>(&self, input: Vec<Val<'a>>, name: &str) -> Step<'a> {
        if input.is_empty() {
            return (input, None);
        }
        let found: Vec<Val<'a>> = input
            .iter()
            .filter_map(|v| match v {
                Val::Doc(Value::Object(map)) => map.get(name).map(Val::Doc),
                _ => None,
            })
            .collect();
        if found.is_empty() && !self.allow_missing_keys {
            return (found, Some(format!("{name} is not found")));
        }
        (found, None)
    }

    fn eval_filter<'a>(&'a self, st: &mut State, input: Vec<Val<'a>>, f: &'a Filter) -> Step<'a> {
        let mut results = vec![];
        for value in &input {
            let items = match value {
                Val::Doc(Value::Array(items)) => items,
                other => {
                    let shown = match other {
                        Val::Invalid => "<invalid reflect.Value>".to_string(),
                        v => sprint(v),
                    };
                    let msg = format!("{shown} is not array or slice and cannot be filtered");
                    return (input, Some(msg));
                }
            };
            for item in items {
                let element = vec![Val::Doc(item)];
                let (lefts, err) = self.eval_list(st, element.clone(), &f.left);
                if f.op == "exists" {
                    if !lefts.is_empty() {
                        results.push(Val::Doc(item));
                    }
                    continue;
                }
                if err.is_some() {
                    return (input, err);
                }
                let left = match lefts.as_slice() {
                    [] => continue,
                    [one] => *one,
                    _ => return (input, Some("can only compare one element at a time".into())),
                };
                let (rights, err) = self.eval_list(st, element, &f.right);
                if err.is_some() {
                    return (input, err);
                }
                let right = match rights.as_slice() {
                    [] => continue,
                    [one] => *one,
                    _ => return (input, Some("can only compare one element at a time".into())),
                };
                let pass = match f.op.as_str() {
                    "<" => less(left, right),
                    ">" => less_equal(left, right).map(|le| !le),
                    "==" => equal(left, right),
                    "!=" => equal(left, right).map(|eq| !eq),
                    "<=" => less_equal(left, right),
                    ">=" => less(left, right).map(|lt| !lt),
                    op => return (results, Some(format!("unrecognized filter operator {op}"))),
                };
                match pass {
                    Ok(true) => results.push(Val::Doc(item)),
                    Ok(false) => {}
                    Err(e) => return (results, Some(e.into())),
                }
            }
        }
        (results, None)
    }
}

/// `value.Interface()` handed to the next run: a null becomes the zero value.
fn interface(v: Val<'_>) -> Result<Val<'_>, String> {
    match v {
        Val::Doc(Value::Null) => Ok(Val::Invalid),
        Val::Invalid => Err(ZERO_VALUE_INTERFACE.into()),
        other => Ok(other),
    }
}

fn eval_array<'a>(input: Vec<Val<'a>>, params: &[Param; 3]) -> Step<'a> {
    let mut result = vec![];
    for value in &input {
        let items = match value {
            Val::Doc(Value::Null) => continue,
            Val::Doc(Value::Array(items)) => items,
            Val::Invalid => return (input, Some(ZERO_VALUE_TYPE.into())),
            other => {
                let msg = format!("{} is not array or slice", go_type(other));
                return (input, Some(msg));
            }
        };
        let len = items.len() as i64;
        let mut p = *params;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value = p[0].value.wrapping_add(len);
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value = p[1].value.wrapping_add(len);
        }
        if p[1].value == p[0].value {
            // Zero elements asked for: client-go returns at once, dropping the values still to
            // come (kubectl stops at the first empty list of `[*]`).
            return (result, None);
        }
        if p[0].value >= len || p[0].value < 0 {
            let msg = format!("array index out of bounds: index {}, length {len}", p[0].value);
            return (input, Some(msg));
        }
        if p[1].value > len || p[1].value < 0 {
            let msg = format!("array index out of bounds: index {}, length {len}", p[1].value.wrapping_sub(1));
            return (input, Some(msg));
        }
        if p[0].value > p[1].value {
            let msg = format!("starting index {} is greater than ending index {}", p[0].value, p[1].value);
            return (input, Some(msg));
        }
        // Both bounds were checked against the length just above.
        let Some(slice) = usize::try_from(p[0].value)
            .ok()
            .zip(usize::try_from(p[1].value).ok())
            .and_then(|(from, to)| items.get(from..to))
        else {
            return (input, Some(format!("array index out of bounds: index {}, length {len}", p[0].value)));
        };
        let step = if p[2].known {
            if p[2].value <= 0 {
                return (input, Some("step must be > 0".into()));
            }
            usize::try_from(p[2].value).unwrap_or(usize::MAX)
        } else {
            1
        };
        result.extend(slice.iter().step_by(step).map(Val::Doc));
    }
    (result, None)
}

/// The values `*` yields: a map's (in key order, where Go's order is random), a list's, a
/// string's bytes.
fn children(v: Val<'_>) -> Vec<Val<'_>> {
    match v {
        Val::Doc(Value::Object(map)) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.into_iter().filter_map(|k| map.get(k)).map(Val::Doc).collect()
        }
        Val::Doc(Value::Array(items)) => items.iter().map(Val::Doc).collect(),
        Val::Doc(Value::String(s)) => s.bytes().map(Val::Byte).collect(),
        Val::Text(s) => s.bytes().map(Val::Byte).collect(),
        _ => vec![],
    }
}

/// `..`: every value that has children, then its descendants, depth first.
fn recursive<'a>(input: &[Val<'a>], out: &mut Vec<Val<'a>>) {
    for v in input {
        let kids = children(*v);
        if !kids.is_empty() {
            out.push(*v);
            recursive(&kids, out);
        }
    }
}

/// Go's `%v` of a value (for messages and custom-columns cells).
pub(crate) fn sprint(v: &Val<'_>) -> String {
    match v {
        Val::Invalid => "<invalid reflect.Value>".into(),
        Val::Doc(d) => go_sprint_doc(d),
        Val::Text(t) => (*t).to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => text::go_float(*f),
        Val::Bool(b) => b.to_string(),
        Val::Byte(b) => b.to_string(),
    }
}

/// Go's type name for a value, as `reflect.Type` prints it.
pub(crate) fn go_type(v: &Val<'_>) -> &'static str {
    match v {
        Val::Doc(Value::Object(_)) => "map[string]interface {}",
        Val::Doc(Value::Array(_)) => "[]interface {}",
        Val::Doc(Value::String(_)) | Val::Text(_) => "string",
        Val::Doc(Value::Bool(_)) | Val::Bool(_) => "bool",
        Val::Doc(Value::Number(n)) if text::as_int64(n).is_some() => "int64",
        Val::Doc(Value::Number(_)) | Val::Float(_) => "float64",
        Val::Int(_) => "int",
        Val::Byte(_) => "uint8",
        Val::Doc(Value::Null) | Val::Invalid => "<nil>",
    }
}

/// A template value as JSON, for `jsonpath-as-json` (`None` for the zero value, which Go
/// cannot marshal: it panics).
pub(crate) fn to_json(v: &Val<'_>) -> Option<Value> {
    Some(match v {
        Val::Invalid => return None,
        Val::Doc(d) => (*d).clone(),
        Val::Text(t) => Value::String((*t).to_string()),
        Val::Int(i) => Value::from(*i),
        Val::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Val::Bool(b) => Value::Bool(*b),
        Val::Byte(b) => Value::from(*b),
    })
}

/// One value as client-go's `PrintResults` writes it: maps and lists as compact JSON, a null
/// as `null`, the zero value as `<no value>`, the rest as `fmt.Sprint`.
pub(crate) fn print_value(v: &Val<'_>, out: &mut String) {
    match v {
        Val::Doc(d @ (Value::Object(_) | Value::Array(_))) => text::go_json(d, out),
        Val::Doc(Value::Null) => out.push_str("null"),
        Val::Invalid => out.push_str("<no value>"),
        other => out.push_str(&sprint(other)),
    }
}

/// The kinds Go's template comparisons know (`basicKind`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
}

const BAD_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";

fn basic<'a>(v: Val<'a>) -> Result<Basic<'a>, &'static str> {
    Ok(match v {
        Val::Doc(Value::Bool(b)) => Basic::Bool(*b),
        Val::Bool(b) => Basic::Bool(b),
        Val::Doc(Value::String(s)) => Basic::Str(s),
        Val::Text(s) => Basic::Str(s),
        Val::Doc(Value::Number(n)) => match text::as_int64(n) {
            Some(i) => Basic::Int(i),
            None => Basic::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Val::Int(i) => Basic::Int(i),
        Val::Float(f) => Basic::Float(f),
        Val::Byte(b) => Basic::Uint(u64::from(b)),
        Val::Doc(Value::Null | Value::Array(_) | Value::Object(_)) | Val::Invalid => return Err(BAD_TYPE),
    })
}

fn equal(a: Val<'_>, b: Val<'_>) -> Result<bool, &'static str> {
    let (a, b) = (basic(a)?, basic(b)?);
    Ok(match (a, b) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Uint(x), Basic::Uint(y)) => x == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str(x), Basic::Str(y)) => x == y,
        (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => x >= 0 && x as u64 == y,
        _ => return Err(BAD_COMPARISON),
    })
}

fn less(a: Val<'_>, b: Val<'_>) -> Result<bool, &'static str> {
    let (a, b) = (basic(a)?, basic(b)?);
    Ok(match (a, b) {
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str(x), Basic::Str(y)) => x < y,
        (Basic::Int(x), Basic::Uint(y)) => x < 0 || (x as u64) < y,
        (Basic::Uint(x), Basic::Int(y)) => y >= 0 && x < y as u64,
        (Basic::Bool(_), Basic::Bool(_)) => return Err(BAD_TYPE),
        _ => return Err(BAD_COMPARISON),
    })
}

fn less_equal(a: Val<'_>, b: Val<'_>) -> Result<bool, &'static str> {
    if less(a, b)? {
        return Ok(true);
    }
    equal(a, b)
}
