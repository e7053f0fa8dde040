//! kubectl's JSONPath template dialect (client-go `util/jsonpath`), with its output formatting.
//!
//! The parser follows client-go's grammar rune for rune: text and `{…}` actions, fields with
//! `\.`-escaped dots, `..` recursive descent, `*` wildcards, `[i]`, `[a:b]`, `[a,b]` unions,
//! `['key']`, `[?(@.x == "y")]` filters, quoted text, and `range`/`end`. Values print the way Go's
//! `fmt.Sprint` prints JSON decoded into `interface{}`: integers as `int64`, other numbers as
//! `float64` (`1e+06`, `0.5`), maps as `map[k:v]` with sorted keys, lists as `[a b]`, null as
//! `<nil>`. Error texts are client-go's.
//!
//! One deliberate difference: Go visits map entries in random order for `*` and `..`; here they
//! come in key order, so output is stable.

use std::fmt::Write as _;

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
    allow_missing_keys: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// `{…}`: nodes evaluated in sequence, each on the previous one's results.
    List(Vec<Node>),
    Text(String),
    Field(String),
    Array([Param; 3]),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Param {
    value: i64,
    known: bool,
    derived: bool,
}

/// A value met while evaluating: a part of the document, or one made by the template.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    /// A node of the JSON document.
    Doc(&'a Value),
    /// A quoted string from the template.
    Text(&'a str),
    /// An integer literal from the template (Go `int`).
    Int(i64),
    /// A float literal from the template.
    Float(f64),
    /// A byte of a string (Go iterates strings byte-wise in `*` and `..`).
    Byte(u8),
    /// A boolean literal.
    Bool(bool),
}

/// A JSONPath error; the text is client-go's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPathError(pub String);

impl std::fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type R<T> = Result<T, JsonPathError>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(JsonPathError(msg.into()))
}

impl Template {
    /// Parses a template (`{.metadata.name}`, `{range .items[*]}{.x}{"\n"}{end}`).
    pub fn parse(text: &str) -> R<Self> {
        let nodes = Parser::new(text).parse()?;
        Ok(Template { nodes, allow_missing_keys: false })
    }

    /// Where parsing of a malformed template stopped (a character offset), for pointing at it.
    pub fn error_offset(text: &str) -> Option<usize> {
        let mut p = Parser::new(text);
        match p.parse_in_place() {
            Ok(_) => None,
            Err(_) => Some(text[..p.pos.min(text.len())].chars().count()),
        }
    }

    /// Missing fields yield nothing instead of an error (kubectl's printers turn this on).
    #[must_use]
    pub fn allow_missing_keys(mut self, allow: bool) -> Self {
        self.allow_missing_keys = allow;
        self
    }

    /// The field paths the template can read, for decoding only those (see `projection`).
    /// `[]` stands for array elements and a trailing `*` for a whole subtree; a path's value is
    /// read whole. Paths inside `range … end` are prefixed with the range's path.
    pub fn fields(&self) -> Vec<Vec<String>> {
        let mut out = vec![];
        let mut stack: Vec<Vec<String>> = vec![vec![]];
        for n in &self.nodes {
            let Node::List(list) = n else { continue };
            let base = stack.last().cloned().unwrap_or_default();
            match list.first() {
                Some(Node::Identifier(id)) if id == "range" => {
                    let mut paths = vec![];
                    collect_paths(&list[1..], &mut base.clone(), &mut paths);
                    // The body reads relative to each value the range yields.
                    let inner = paths.first().cloned().unwrap_or_else(|| base.clone());
                    if inner.last().is_some_and(|s| s == "*") {
                        out.push(inner.clone());
                    }
                    stack.push(inner);
                }
                Some(Node::Identifier(id)) if id == "end" && list.len() == 1 => {
                    if stack.len() > 1 {
                        stack.pop();
                    }
                }
                _ => collect_paths(list, &mut base.clone(), &mut out),
            }
        }
        out
    }

    /// Evaluates the template: one list of values per top-level part (client-go `FindResults`).
    pub fn find_results<'a>(&'a self, data: &'a Value) -> R<Vec<Vec<Val<'a>>>> {
        let mut out = vec![];
        self.exec(&self.nodes, Val::Doc(data), &mut out)?;
        Ok(out)
    }

    /// Evaluates and prints as `kubectl -o jsonpath` does: values of one part separated by
    /// spaces, parts concatenated.
    pub fn execute(&self, data: &Value) -> R<String> {
        let mut s = String::new();
        for set in self.find_results(data)? {
            for (i, v) in set.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&v.to_go_string());
            }
        }
        Ok(s)
    }

    fn exec<'a>(&'a self, nodes: &'a [Node], cur: Val<'a>, out: &mut Vec<Vec<Val<'a>>>) -> R<bool> {
        let mut i = 0;
        while i < nodes.len() {
            let node = &nodes[i];
            if let Node::List(list) = node {
                if matches!(list.first(), Some(Node::Identifier(id)) if id == "range") {
                    let values = self.eval_list(&[cur], &list[1..])?;
                    let end = matching_end(nodes, i + 1);
                    let body = &nodes[i + 1..end];
                    if values.is_empty() {
                        // client-go never reaches the nodes after an empty range.
                        return Ok(false);
                    }
                    for v in values {
                        if !self.exec(body, v, out)? {
                            return Ok(false);
                        }
                    }
                    i = end + 1;
                    continue;
                }
                if matches!(list.as_slice(), [Node::Identifier(id)] if id == "end") {
                    return err("not in range, nothing to end");
                }
            }
            let results = self.walk(&[cur], node)?;
            out.push(results);
            i += 1;
        }
        Ok(true)
    }

    fn walk<'a>(&'a self, input: &[Val<'a>], node: &'a Node) -> R<Vec<Val<'a>>> {
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(t) => Ok(vec![Val::Text(t)]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(v) => Ok(input.iter().map(|_| Val::Int(*v)).collect()),
            Node::Float(v) => Ok(input.iter().map(|_| Val::Float(*v)).collect()),
            Node::Wildcard => Ok(input.iter().flat_map(|v| children(*v)).collect()),
            Node::Recursive => Ok(recursive(input)),
            Node::Union(lists) => {
                let mut out = vec![];
                for l in lists {
                    out.extend(self.eval_list(input, l)?);
                }
                Ok(out)
            }
            Node::Identifier(id) if id == "range" => Ok(input.to_vec()),
            Node::Identifier(id) if id == "end" => Ok(vec![]),
            Node::Identifier(id) => err(format!("unrecognized identifier {id}")),
            Node::Bool(b) => err(format!("unexpected Node {b}")),
        }
    }

    fn eval_list<'a>(&'a self, input: &[Val<'a>], nodes: &'a [Node]) -> R<Vec<Val<'a>>> {
        let mut cur = input.to_vec();
        for n in nodes {
            cur = self.walk(&cur, n)?;
        }
        Ok(cur)
    }

    fn eval_field<'a>(&self, input: &[Val<'a>], name: &str) -> R<Vec<Val<'a>>> {
        let mut out = vec![];
        if input.is_empty() {
            return Ok(out);
        }
        for v in input {
            if let Val::Doc(Value::Object(map)) = v
                && let Some(found) = map.get(name)
            {
                out.push(Val::Doc(found));
            }
        }
        if out.is_empty() && !self.allow_missing_keys {
            return err(format!("{name} is not found"));
        }
        Ok(out)
    }

    fn eval_filter<'a>(&'a self, input: &[Val<'a>], left: &'a [Node], right: &'a [Node], op: &str) -> R<Vec<Val<'a>>> {
        let mut out = vec![];
        for v in input {
            let Val::Doc(Value::Array(items)) = v else {
                let shown = match v {
                    Val::Doc(Value::Null) => "<invalid reflect.Value>".to_string(),
                    other => other.to_go_string(),
                };
                return err(format!("{shown} is not array or slice and cannot be filtered"));
            };
            for item in items {
                let elem = [Val::Doc(item)];
                let lefts = self.eval_list(&elem, left);
                if op == "exists" {
                    if lefts.is_ok_and(|l| !l.is_empty()) {
                        out.push(Val::Doc(item));
                    }
                    continue;
                }
                let lefts = lefts?;
                if lefts.len() != 1 {
                    return err("can only compare one element at a time");
                }
                let rights = self.eval_list(&elem, right)?;
                if rights.len() != 1 {
                    return err("can only compare one element at a time");
                }
                if compare(&lefts[0], &rights[0], op)? {
                    out.push(Val::Doc(item));
                }
            }
        }
        Ok(out)
    }
}

/// Index of the `{end}` closing the range opened just before `from`, counting nested ranges.
fn matching_end(nodes: &[Node], from: usize) -> usize {
    let mut depth = 0;
    for (i, n) in nodes.iter().enumerate().skip(from) {
        if let Node::List(l) = n {
            match l.first() {
                Some(Node::Identifier(id)) if id == "range" => depth += 1,
                Some(Node::Identifier(id)) if id == "end" && l.len() == 1 => {
                    if depth == 0 {
                        return i;
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
    }
    nodes.len()
}

fn collect_paths(nodes: &[Node], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let start = prefix.len();
    let literal_only = !nodes.is_empty()
        && nodes
            .iter()
            .all(|n| matches!(n, Node::Text(_) | Node::Int(_) | Node::Float(_) | Node::Bool(_) | Node::Identifier(_)));
    if literal_only {
        return;
    }
    for n in nodes {
        match n {
            Node::Field(f) => prefix.push(f.clone()),
            Node::Array(_) => prefix.push("[]".into()),
            Node::Filter { left, right, .. } => {
                prefix.push("[]".into());
                for side in [left, right] {
                    collect_paths(side, &mut prefix.clone(), out);
                }
            }
            Node::Union(lists) => {
                for l in lists {
                    collect_paths(l, &mut prefix.clone(), out);
                }
                prefix.truncate(start);
                return;
            }
            Node::Wildcard | Node::Recursive => {
                // Everything below this point may be read.
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
            Node::Identifier(_) | Node::Text(_) | Node::Int(_) | Node::Float(_) | Node::Bool(_) => {}
        }
    }
    out.push(prefix.clone());
    prefix.truncate(start);
}

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

fn recursive<'a>(input: &[Val<'a>]) -> Vec<Val<'a>> {
    let mut out = vec![];
    for v in input {
        if matches!(v, Val::Doc(Value::Null)) {
            continue;
        }
        let kids = children(*v);
        if !kids.is_empty() {
            out.push(*v);
            out.extend(recursive(&kids));
        }
    }
    out
}

fn go_type(v: &Val<'_>) -> &'static str {
    match v {
        Val::Doc(Value::Object(_)) => "map[string]interface {}",
        Val::Doc(Value::String(_)) | Val::Text(_) => "string",
        Val::Doc(Value::Number(n)) if as_i64(n).is_some() => "int64",
        Val::Doc(Value::Number(_)) | Val::Float(_) => "float64",
        Val::Doc(Value::Bool(_)) | Val::Bool(_) => "bool",
        Val::Doc(Value::Array(_)) => "[]interface {}",
        Val::Doc(Value::Null) => "<nil>",
        Val::Int(_) => "int",
        Val::Byte(_) => "uint8",
    }
}

fn eval_array<'a>(input: &[Val<'a>], params: &[Param; 3]) -> R<Vec<Val<'a>>> {
    let mut out = vec![];
    for v in input {
        let items = match v {
            Val::Doc(Value::Null) => continue,
            Val::Doc(Value::Array(items)) => items,
            other => return err(format!("{} is not array or slice", go_type(other))),
        };
        let len = items.len() as i64;
        let mut p = *params;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value += len;
        }
        if p[1].derived {
            p[1].value = p[0].value + 1;
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 {
            p[1].value += len;
        }
        if p[1].value != p[0].value {
            if p[0].value >= len {
                return err(format!("array index out of bounds: index {}, length {}", p[0].value, len));
            }
            if p[1].value > len {
                return err(format!("array index out of bounds: index {}, length {}", p[1].value - 1, len));
            }
        }
        let (a, b) = (p[0].value, p[1].value);
        if a < 0 || b < a || (p[2].known && (p[2].value < b || p[2].value > len)) {
            return err(format!("array index out of bounds: index {a}, length {len}"));
        }
        out.extend(items[a as usize..b as usize].iter().map(Val::Doc));
    }
    Ok(out)
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn basic_kind(v: &Val<'_>) -> Option<Kind> {
    match v {
        Val::Doc(Value::Bool(_)) | Val::Bool(_) => Some(Kind::Bool),
        Val::Doc(Value::Number(n)) if as_i64(n).is_some() => Some(Kind::Int),
        Val::Doc(Value::Number(_)) | Val::Float(_) => Some(Kind::Float),
        Val::Doc(Value::String(_)) | Val::Text(_) => Some(Kind::Str),
        Val::Int(_) => Some(Kind::Int),
        Val::Byte(_) => Some(Kind::Uint),
        _ => None,
    }
}

fn num(v: &Val<'_>) -> f64 {
    match v {
        Val::Doc(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Val::Int(i) => *i as f64,
        Val::Float(f) => *f,
        Val::Byte(b) => f64::from(*b),
        _ => 0.0,
    }
}

fn int(v: &Val<'_>) -> i128 {
    match v {
        Val::Doc(Value::Number(n)) => as_i64(n).map_or(0, i128::from),
        Val::Int(i) => i128::from(*i),
        Val::Byte(b) => i128::from(*b),
        _ => 0,
    }
}

fn text<'a>(v: &Val<'a>) -> &'a str {
    match v {
        Val::Doc(Value::String(s)) => s,
        Val::Text(s) => s,
        _ => "",
    }
}

/// Go template's comparison functions (`eq`, `ne`, `lt`, …) on basic kinds.
fn compare(a: &Val<'_>, b: &Val<'_>, op: &str) -> R<bool> {
    let (Some(ka), Some(kb)) = (basic_kind(a), basic_kind(b)) else {
        return err("invalid type for comparison");
    };
    let ints = |k: Kind| matches!(k, Kind::Int | Kind::Uint);
    let ord = if ka == kb || (ints(ka) && ints(kb)) {
        match ka {
            Kind::Bool => {
                let (x, y) = (
                    matches!(a, Val::Doc(Value::Bool(true)) | Val::Bool(true)),
                    matches!(b, Val::Doc(Value::Bool(true)) | Val::Bool(true)),
                );
                return match op {
                    "==" => Ok(x == y),
                    "!=" => Ok(x != y),
                    "<" | ">" | "<=" | ">=" => err("invalid type for comparison"),
                    other => err(format!("unrecognized filter operator {other}")),
                };
            }
            Kind::Int | Kind::Uint => int(a).cmp(&int(b)),
            Kind::Float => num(a).partial_cmp(&num(b)).unwrap_or(std::cmp::Ordering::Equal),
            Kind::Str => text(a).cmp(text(b)),
        }
    } else {
        return match op {
            "==" | "!=" | "<" | ">" | "<=" | ">=" => err("incompatible types for comparison"),
            other => err(format!("unrecognized filter operator {other}")),
        };
    };
    use std::cmp::Ordering::*;
    match op {
        "==" => Ok(ord == Equal),
        "!=" => Ok(ord != Equal),
        "<" => Ok(ord == Less),
        ">" => Ok(ord == Greater),
        "<=" => Ok(ord != Greater),
        ">=" => Ok(ord != Less),
        other => err(format!("unrecognized filter operator {other}")),
    }
}

/// Integers that Go's unstructured decoding keeps as `int64`.
fn as_i64(n: &serde_json::Number) -> Option<i64> {
    if n.is_f64() { None } else { n.as_i64() }
}

impl Val<'_> {
    /// The text Go's `fmt.Sprint` gives this value.
    pub fn to_go_string(&self) -> String {
        let mut s = String::new();
        match self {
            Val::Doc(v) => go_fmt(v, &mut s),
            Val::Text(t) => s.push_str(t),
            Val::Int(i) => {
                let _ = write!(s, "{i}");
            }
            Val::Float(f) => s.push_str(&go_float(*f)),
            Val::Byte(b) => {
                let _ = write!(s, "{b}");
            }
            Val::Bool(b) => {
                let _ = write!(s, "{b}");
            }
        }
        s
    }
}

/// `fmt.Sprint` of a JSON value decoded into `interface{}`.
pub fn go_fmt(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match as_i64(n) {
            Some(i) => {
                let _ = write!(out, "{i}");
            }
            None => out.push_str(&go_float(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_fmt(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(v) = map.get(k) {
                    go_fmt(v, out);
                }
            }
            out.push(']');
        }
    }
}

/// Go's `%v` for a float64 (`strconv` `'g'`, shortest): the shortest digits that round-trip, in
/// `%e` form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-07`).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (negative, digits, exp) = shortest_digits(f);
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        return format!("{sign}{}", exponent_form(&digits, exp, 2));
    }
    format!("{sign}{}", plain_form(&digits, exp))
}

/// The shortest round-trip decimal digits of `f` and its decimal exponent (`1.5e-7` → `15`, -7).
pub(crate) fn shortest_digits(f: f64) -> (bool, String, i32) {
    // Rust's `{:e}` gives the shortest digits that round-trip.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (mantissa.starts_with('-'), digits, exp)
}

/// `d.ddde±XX` with at least `min_exp_digits` exponent digits.
pub(crate) fn exponent_form(digits: &str, exp: i32, min_exp_digits: usize) -> String {
    let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits.to_string() };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{m}e{esign}{:0width$}", exp.abs(), width = min_exp_digits)
}

/// Digits placed around the decimal point, without an exponent.
pub(crate) fn plain_form(digits: &str, exp: i32) -> String {
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    }
}

/// client-go's parser, rune for rune.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

const EOF: Option<char> = None;

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser { input, pos: 0, start: 0, width: 0 }
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            None => {
                self.width = 0;
                None
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.next();
        self.backup();
        r
    }

    fn consume(&mut self) -> &'a str {
        let v = &self.input[self.start..self.pos];
        self.start = self.pos;
        v
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn parse(mut self) -> R<Vec<Node>> {
        self.parse_in_place()
    }

    fn parse_in_place(&mut self) -> R<Vec<Node>> {
        let mut root = vec![];
        loop {
            // Text until the next `{`.
            while !self.rest().starts_with('{') {
                if self.next() == EOF {
                    if self.pos > self.start {
                        root.push(Node::Text(self.consume().to_string()));
                    }
                    return Ok(root);
                }
            }
            if self.pos > self.start {
                root.push(Node::Text(self.consume().to_string()));
            }
            self.pos += 1;
            self.consume();
            let mut list = vec![];
            self.inside_action(&mut list)?;
            root.push(Node::List(list));
        }
    }

    /// Parses the inside of an action up to and including its `}`.
    fn inside_action(&mut self, cur: &mut Vec<Node>) -> R<()> {
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                self.consume();
                return Ok(());
            }
            if rest.starts_with("[?(") {
                self.filter(cur)?;
                continue;
            }
            if rest.starts_with("..") {
                if matches!(cur.last(), Some(Node::Recursive)) {
                    return err("invalid multiple recursive descent");
                }
                self.pos += 2;
                self.consume();
                cur.push(Node::Recursive);
                if self.peek().is_some_and(is_alphanumeric) {
                    self.field(cur);
                }
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return err("unclosed action"),
                Some(' ') | Some('@') | Some('$') => {
                    self.consume();
                }
                Some('[') => self.array(cur)?,
                Some(q @ ('"' | '\'')) => self.quote(cur, q)?,
                Some('.') => self.field(cur),
                Some(c) if c == '+' || c == '-' || c.is_numeric() => {
                    self.backup();
                    self.number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    loop {
                        let r = self.next();
                        if is_terminator(r) {
                            if r.is_some() {
                                self.backup();
                            }
                            break;
                        }
                    }
                    let value = self.consume();
                    match value {
                        "true" => cur.push(Node::Bool(true)),
                        "false" => cur.push(Node::Bool(false)),
                        _ => cur.push(Node::Identifier(value.to_string())),
                    }
                }
                Some(c) => return err(format!("unrecognized character in action: U+{:04X} {:?}", c as u32, c)),
            }
        }
    }

    fn field(&mut self, cur: &mut Vec<Node>) {
        self.consume();
        loop {
            let r = self.next();
            if r == Some('\\') {
                self.next();
            } else if is_terminator(r) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume();
        if value == "*" {
            cur.push(Node::Wildcard);
        } else {
            cur.push(Node::Field(value.replace('\\', "")));
        }
    }

    fn number(&mut self, cur: &mut Vec<Node>) -> R<()> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            let r = self.next();
            if !matches!(r, Some(c) if c == '.' || c.is_ascii_digit()) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
        } else if let Ok(f) = value.parse::<f64>() {
            cur.push(Node::Float(f));
        } else {
            return err(format!("cannot parse number {value}"));
        }
        Ok(())
    }

    fn array(&mut self, cur: &mut Vec<Node>) -> R<()> {
        loop {
            match self.next() {
                None | Some('\n') => return err("unterminated array"),
                Some(']') => break,
                _ => {}
            }
        }
        let full = self.consume();
        let mut text = &full[1..full.len() - 1];
        if text == "*" {
            text = ":";
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = vec![];
            for p in parts {
                union.push(parse_action(&format!("[{}]", p.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') && !text[1..text.len() - 1].contains('\'')
        {
            cur.extend(parse_action(&format!(".{}", &text[1..text.len() - 1]))?);
            return Ok(());
        }
        let groups = slice_groups(text).ok_or_else(|| JsonPathError(format!("invalid array index {text}")))?;
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let g = groups[i];
            if !g.is_empty() {
                let g = if i > 0 { &g[1..] } else { g };
                if i > 0 && g.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value =
                        g.parse().map_err(|_| JsonPathError(format!("array index {g} is not a number")))?;
                }
            } else if i == 1 {
                params[i] = Param { known: true, value: params[0].value + 1, derived: true };
            }
        }
        cur.push(Node::Array(params));
        Ok(())
    }

    fn filter(&mut self, cur: &mut Vec<Node>) -> R<()> {
        self.pos += 3;
        self.consume();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            let r = self.next();
            match r {
                None | Some('\n') => return err("unterminated filter"),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes().get(self.pos.wrapping_sub(2)) != Some(&b'\\') && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return err("unclosed array expect ]");
        }
        let full = self.consume();
        let text = &full[..full.len() - 2];
        match split_filter(text) {
            None => {
                let left = parse_action(text)?;
                cur.push(Node::Filter { left, right: vec![], op: "exists".into() });
            }
            Some((l, op, r)) => {
                let left = parse_action(l)?;
                let right = parse_action(r)?;
                cur.push(Node::Filter { left, right, op: op.to_string() });
            }
        }
        Ok(())
    }

    fn quote(&mut self, cur: &mut Vec<Node>, end: char) -> R<()> {
        loop {
            match self.next() {
                None | Some('\n') => return err("unterminated quoted string"),
                Some(c) if c == end && self.input.as_bytes().get(self.pos.wrapping_sub(2)) != Some(&b'\\') => break,
                _ => {}
            }
        }
        let value = self.consume();
        let s = unquote(value).map_err(|e| JsonPathError(format!("unquote string {value} error {e}")))?;
        cur.push(Node::Text(s));
        Ok(())
    }
}

/// Parses `{text}` and returns the nodes of its single action.
fn parse_action(text: &str) -> R<Vec<Node>> {
    let nodes = Parser::new(&format!("{{{text}}}")).parse()?;
    match nodes.into_iter().next() {
        Some(Node::List(l)) => Ok(l),
        _ => Ok(vec![]),
    }
}

/// `^(-?\d*)(:-?\d*)?(:-?\d*)?$`
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    fn int_prefix(s: &str) -> usize {
        let b = s.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    }
    let a = int_prefix(text);
    let (g0, mut rest) = text.split_at(a);
    let mut groups = [g0, "", ""];
    for g in groups.iter_mut().skip(1) {
        if let Some(r) = rest.strip_prefix(':') {
            let n = 1 + int_prefix(r);
            let (x, y) = rest.split_at(n);
            *g = x;
            rest = y;
        }
    }
    rest.is_empty().then_some(groups)
}

/// `^([^!<>=]+)([!<>=]+)(.+?)$`
fn split_filter(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let l_end = text.find(is_op)?;
    if l_end == 0 {
        return None;
    }
    let after = &text[l_end..];
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    let right = &after[op_len..];
    if right.is_empty() {
        return None;
    }
    Some((&text[..l_end], &after[..op_len], right))
}

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Go's `strconv.Unquote`, extended to single-quoted strings.
fn unquote(s: &str) -> Result<String, &'static str> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 || bytes[0] != bytes[bytes.len() - 1] || !matches!(bytes[0], b'"' | b'\'') {
        return Err("invalid syntax");
    }
    let quote = bytes[0] as char;
    let inner = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err("invalid syntax");
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or("invalid syntax")?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' | '"' if e == quote => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                let v = u32::from_str_radix(&hex, 16).map_err(|_| "invalid syntax")?;
                if hex.len() != n {
                    return Err("invalid syntax");
                }
                out.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8)).ok_or("invalid syntax")?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            _ => return Err("invalid syntax"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        Template::parse(t).and_then(|t| t.allow_missing_keys(true).execute(v)).unwrap_or_else(|e| format!("ERR {e}"))
    }

    fn pod() -> Value {
        json!({
            "metadata": {"name": "web-1", "labels": {"app": "web", "app.kubernetes.io/name": "shop"}},
            "spec": {"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "redis"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
                       "big": 1e21, "half": 0.5, "million": 1000000.0, "small": 0.00001, "nothing": null, "count": 3}
        })
    }

    #[test]
    fn fields_wildcards_and_escaped_dots() {
        let p = pod();
        assert_eq!(run("{.metadata.name}", &p), "web-1");
        assert_eq!(run("{.spec.containers[*].image}", &p), "nginx redis");
        assert_eq!(run("{.metadata.labels.app\\.kubernetes\\.io/name}", &p), "shop");
        assert_eq!(run("{.spec.containers[0].ports[0].containerPort}", &p), "80");
        assert_eq!(run("{.spec.containers[-1].name}", &p), "b");
        assert_eq!(run("{.spec.containers[0:2].name}", &p), "a b");
        assert_eq!(run("{.spec.containers[0,1].name}", &p), "a b");
        assert_eq!(run("{.missing}", &p), "");
    }

    #[test]
    fn go_formatting_of_values() {
        let p = pod();
        assert_eq!(run("{.metadata.labels}", &p), "map[app:web app.kubernetes.io/name:shop]");
        assert_eq!(run("{.status.big}", &p), "1e+21");
        assert_eq!(run("{.status.half}", &p), "0.5");
        assert_eq!(run("{.status.million}", &p), "1e+06");
        assert_eq!(run("{.status.small}", &p), "1e-05");
        assert_eq!(run("{.status.nothing}", &p), "<nil>");
        assert_eq!(run("{.status.count}", &p), "3");
        assert_eq!(run("{.spec.containers[1]}", &p), "map[image:redis name:b]");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(-2.5), "-2.5");
        assert_eq!(go_float(0.0001), "0.0001");
    }

    #[test]
    fn filters_ranges_and_recursive_descent() {
        let p = pod();
        assert_eq!(run("{.status.conditions[?(@.type==\"Ready\")].status}", &p), "True");
        assert_eq!(run("{.spec.containers[?(@.ports)].name}", &p), "a");
        assert_eq!(run("{range .spec.containers[*]}{.name}:{.image}{\"\\n\"}{end}", &p), "a:nginx\nb:redis\n");
        assert_eq!(run("{..image}", &p), "nginx redis");
        assert_eq!(run("{range .nope[*]}x{end}after", &p), "");
        // client-go compares exactly one value: an element without the field is an error.
        assert_eq!(
            run("{.spec.containers[?(@.ports[0].containerPort>79)].name}", &p),
            "ERR can only compare one element at a time"
        );
        assert_eq!(run("{.status.conditions[?(@.status!=\"False\")].type}", &p), "Ready PodScheduled");
    }

    #[test]
    fn errors_read_like_client_go() {
        let p = pod();
        let strict = |t: &str| Template::parse(t).and_then(|t| t.execute(&p)).err().map(|e| e.0);
        assert_eq!(strict("{.nope}"), Some("nope is not found".into()));
        assert_eq!(strict("{.metadata[0]}"), Some("map[string]interface {} is not array or slice".into()));
        assert_eq!(strict("{.spec.containers[5]}"), Some("array index out of bounds: index 5, length 2".into()));
        assert_eq!(strict("{end}"), Some("not in range, nothing to end".into()));
        assert_eq!(Template::parse("{.a").err().map(|e| e.0), Some("unclosed action".into()));
        assert_eq!(Template::parse("{.a[1}").err().map(|e| e.0), Some("unterminated array".into()));
        assert_eq!(Template::parse("{.a[x]}").err().map(|e| e.0), Some("invalid array index x".into()));
        assert_eq!(Template::parse("{....a}").err().map(|e| e.0), Some("invalid multiple recursive descent".into()));
        assert!(Template::parse("{.status.conditions[?(@.type==1.5)]}").is_ok());
        assert_eq!(
            Template::parse("{.status.conditions[?(@.type==1.5)]}").and_then(|t| t.execute(&p)).err().map(|e| e.0),
            Some("incompatible types for comparison".into())
        );
    }

    #[test]
    fn fields_name_what_the_template_reads() {
        let f = |t: &str| Template::parse(t).map(|t| t.fields()).unwrap_or_default();
        let j = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(f("{.metadata.name}"), vec![j(&["metadata", "name"])]);
        assert_eq!(
            f("{.status.conditions[?(@.type==\"Ready\")].status}"),
            vec![j(&["status", "conditions", "[]", "type"]), j(&["status", "conditions", "[]", "status"])]
        );
        assert_eq!(f("{range .items[*]}{.metadata.name}{\"\\n\"}{end}"), vec![j(&["items", "[]", "metadata", "name"])]);
        assert_eq!(f("{..name}"), vec![j(&["*"])]);
        assert_eq!(f("{@}"), vec![Vec::<String>::new()]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let p = pod();
        for t in [
            "{",
            "}",
            "{[",
            "{[?(",
            "{[?(@.a==\"x)]}",
            "{.a[-9]}",
            "{.spec.containers[2:1]}",
            "{\"\\x\"}",
            "{'\\u12'}",
            "{range}{end}{end}",
            "{.spec.containers[::5]}",
        ] {
            let _ = Template::parse(t).and_then(|t| t.execute(&p));
        }
    }
}
