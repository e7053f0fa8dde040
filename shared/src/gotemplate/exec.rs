//! text/template's evaluator (`text/template/exec.go`) over borrowed JSON: the same walk, the
//! same places where a value is an `interface {}` and where it is dug out, the same node an
//! error is reported at (Go moves it as it evaluates, and errors quote the last node reached),
//! the same variable scopes, and the same error texts.

use std::collections::HashMap;
use std::io::Write;

use serde_json::Value;

use super::fmt::{sprint_one, sprint_s};
use super::funcs::{self, Ty};
use super::node::{Arg, At, Branch, BranchKind, CommandNode, Func, ListNode, Node, NumberNode, PipeNode, grow};
use super::strconv::quote;
use super::value::{Slice, Str, Val, concrete, sorted_entries};

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

    // ---- walking ----

    fn walk_list(&mut self, dot: &Val<'a>, list: &'a ListNode) -> R<()> {
        self.at(At::List(list));
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    /// One step of the evaluation.
    fn step(&mut self) -> R<()> {
        if self.fuel == 0 {
            return Err(Flow::Error("evaluation budget exhausted".to_string()));
        }
        self.fuel -= 1;
        Ok(())
    }

    fn walk(&mut self, dot: &Val<'a>, node: &'a Node) -> R<()> {
        self.step()?;
        self.at(At::Node(node));
        match node {
            Node::Action { pipe, .. } => {
                let val = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(At::Node(node), &val)?;
                }
                Ok(())
            }
            Node::Break { .. } => Err(Flow::Break),
            Node::Continue { .. } => Err(Flow::Continue),
            Node::If(b) => grow(|| self.walk_if_or_with(BranchKind::If, dot, b)),
            Node::With(b) => grow(|| self.walk_if_or_with(BranchKind::With, dot, b)),
            Node::Range(b) => grow(|| self.walk_range(dot, b)),
            Node::Template { name, pipe, .. } => grow(|| self.walk_template(dot, node, name, pipe.as_ref())),
            Node::Text { text, .. } => self.write(text.as_bytes()),
        }
    }

    fn walk_if_or_with(&mut self, kind: BranchKind, dot: &Val<'a>, b: &'a Branch) -> R<()> {
        let mark = self.vars.len();
        let result = self.if_or_with(kind, dot, b);
        self.vars.truncate(mark);
        result
    }

    fn if_or_with(&mut self, kind: BranchKind, dot: &Val<'a>, b: &'a Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        if val.clone().indirect_interface().truth() {
            if kind == BranchKind::With { self.walk_list(&val, &b.list) } else { self.walk_list(dot, &b.list) }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)
        } else {
            Ok(())
        }
    }

    fn walk_range(&mut self, dot: &Val<'a>, b: &'a Branch) -> R<()> {
        self.at(At::Branch(BranchKind::Range, b));
        let mark = self.vars.len();
        let result = self.range(dot, b);
        self.vars.truncate(mark);
        match result {
            Err(Flow::Break) => Ok(()),
            other => other,
        }
    }

    fn one_iteration(&mut self, b: &'a Branch, mark: usize, index: Val<'a>, elem: Val<'a>) -> R<()> {
        self.step()?;
        let decl = &b.pipe.decl;
        let name = |i: usize| decl.get(i).and_then(|v| v.ident.first()).map(String::as_str).unwrap_or("");
        if !decl.is_empty() {
            if b.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(name(0), index.clone())?;
                } else {
                    self.set_var(name(0), elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if b.pipe.is_assign {
                self.set_var(name(1), elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let result = self.walk_list(&elem, &b.list);
        self.vars.truncate(mark);
        match result {
            Err(Flow::Continue) => Ok(()),
            other => other,
        }
    }

    fn range(&mut self, dot: &Val<'a>, b: &'a Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?.indirect().0;
        let mark = self.vars.len();
        let ran = match &val {
            Val::Int(_) | Val::Int64(_) | Val::Uint8(_) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.errorf(format_args!(
                        "can't use {} to iterate over more than one variable",
                        String::from_utf8_lossy(&sprint_one(&val))
                    )));
                }
                let n = val.int_like().unwrap_or(0);
                for i in 0..n.max(0) {
                    let elem = match val {
                        Val::Int(_) => Val::Int(i),
                        Val::Uint8(_) => Val::Uint8(i as u8),
                        _ => Val::Int64(i),
                    };
                    self.one_iteration(b, mark, Val::Invalid, elem)?;
                }
                n > 0
            }
            Val::Slice(s) => {
                for i in 0..s.len {
                    self.one_iteration(b, mark, Val::Int(i as i64), Val::Iface(s.get(i)))?;
                }
                s.len > 0
            }
            Val::Map(m) => {
                for (k, v) in sorted_entries(m) {
                    self.one_iteration(b, mark, Val::Str(Str::Borrowed(k.as_bytes())), Val::Iface(v))?;
                }
                !m.is_empty()
            }
            Val::Invalid => false,
            _ => {
                return Err(self
                    .errorf(format_args!("range can't iterate over {}", String::from_utf8_lossy(&sprint_one(&val)))));
            }
        };
        if ran {
            return Ok(());
        }
        match &b.else_list {
            Some(e) => self.walk_list(dot, e),
            None => Ok(()),
        }
    }

    fn walk_template(&mut self, dot: &Val<'a>, node: &'a Node, name: &'a str, pipe: Option<&'a PipeNode>) -> R<()> {
        self.at(At::Node(node));
        let Some((name, tree)) = self.trees.get_key_value(name) else {
            return Err(self.errorf(format_args!("template {} not defined", quote(name.as_bytes()))));
        };
        if self.depth == MAX_EXEC_DEPTH {
            return Err(self.errorf(format_args!("exceeded maximum template depth ({MAX_EXEC_DEPTH})")));
        }
        let dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::Invalid,
        };
        let vars = std::mem::replace(&mut self.vars, vec![("$", dot.clone())]);
        let (caller_name, caller_node) = (self.name, self.node);
        self.name = name;
        self.depth += 1;
        let result = self.walk_list(&dot, tree);
        self.depth -= 1;
        self.name = caller_name;
        self.node = caller_node;
        self.vars = vars;
        result
    }

    fn print_value(&mut self, node: At<'a>, v: &Val<'a>) -> R<()> {
        self.at(node);
        match v {
            Val::Invalid => self.write(b"<no value>"),
            Val::Str(s) => self.write(s.bytes()),
            Val::Int(i) | Val::Int64(i) => write!(self.out, "{i}").map_err(Flow::Write),
            Val::Bool(b) => self.write(if *b { b"true" } else { b"false" }),
            other => {
                let text = sprint_one(other);
                self.write(&text)
            }
        }
    }

    // ---- evaluation ----

    pub(crate) fn eval_pipeline(&mut self, dot: &Val<'a>, pipe: &'a PipeNode) -> R<Val<'a>> {
        grow(|| {
            self.at(At::Pipe(pipe));
            let mut value: Option<Val<'a>> = None;
            for cmd in &pipe.cmds {
                let v = self.eval_command(dot, cmd, value.take())?;
                value = Some(match v {
                    Val::Iface(_) => v.indirect_interface(),
                    other => other,
                });
            }
            let value = value.unwrap_or(Val::Invalid);
            for var in &pipe.decl {
                let name = var.ident.first().map(String::as_str).unwrap_or("");
                if pipe.is_assign {
                    self.set_var(name, value.clone())?;
                } else {
                    self.vars.push((name, value.clone()));
                }
            }
            Ok(value)
        })
    }

    fn not_a_function(&self, args: Option<&'a [Arg]>, has_final: bool) -> R<()> {
        let args = args.unwrap_or_default();
        if args.len() > 1 || has_final {
            let mut s = String::new();
            if let Some(first) = args.first() {
                super::node::write_arg(&mut s, first);
            }
            return Err(self.errorf(format_args!("can't give argument to non-function {s}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val<'a>, cmd: &'a CommandNode, fin: Option<Val<'a>>) -> R<Val<'a>> {
        self.step()?;
        let Some(first) = cmd.args.first() else {
            return Err(self.errorf("empty command"));
        };
        match first {
            Arg::Field { ident, .. } => return self.eval_field_node(dot, first, ident, Some(&cmd.args), fin),
            Arg::Chain { node, field, .. } => {
                return self.eval_chain_node(dot, first, node, field, Some(&cmd.args), fin);
            }
            Arg::Identifier { name, func, .. } => {
                return self.eval_function(dot, first, *func, name, At::Command(cmd), Some(&cmd.args), fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(Some(&cmd.args), fin.is_some())?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(v) => return self.eval_variable_node(dot, At::Arg(first), &v.ident, Some(&cmd.args), fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(Some(&cmd.args), fin.is_some())?;
        match first {
            Arg::Bool { val, .. } => Ok(Val::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.errorf("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(n),
            Arg::String { text, .. } => Ok(Val::Str(Str::Borrowed(text))),
            _ => Err(self.errorf("can't evaluate command")),
        }
    }

    /// `idealConstant`: a number with no type to convert to takes the type its syntax says.
    fn ideal_constant(&mut self, n: &'a NumberNode) -> R<Val<'a>> {
        self.at(At::Number(n));
        let t = n.text.as_bytes();
        let is_rune = t.first() == Some(&b'\'');
        let is_hex_int = t.len() > 2
            && t.first() == Some(&b'0')
            && matches!(t.get(1), Some(b'x' | b'X'))
            && !t.iter().any(|&c| c == b'p' || c == b'P');
        if n.is_complex {
            return Ok(Val::Complex(n.complex.0, n.complex.1));
        }
        if n.is_float && !is_hex_int && !is_rune && t.iter().any(|c| b".eEpP".contains(c)) {
            return Ok(Val::Float(n.float64));
        }
        if n.is_int {
            return Ok(Val::Int(n.int64));
        }
        if n.is_uint {
            return Err(self.errorf(format_args!("{} overflows int", n.text)));
        }
        Ok(Val::Invalid)
    }

    fn eval_field_node(
        &mut self,
        dot: &Val<'a>,
        field: &'a Arg,
        ident: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(field));
        self.eval_field_chain(dot, dot.clone(), ident, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val<'a>,
        chain: &'a Arg,
        node: &'a Arg,
        field: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(chain));
        if field.is_empty() {
            return Err(self.errorf("internal error: no fields in evalChainNode"));
        }
        if let Arg::Nil { .. } = node {
            let mut s = String::new();
            super::node::write_arg(&mut s, chain);
            return Err(self.errorf(format_args!("indirection through explicit nil in {s}")));
        }
        let pipe = self.eval_arg(dot, Ty::Nil, node)?;
        self.eval_field_chain(dot, pipe, field, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Val<'a>,
        node: At<'a>,
        ident: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(node);
        let name = ident.first().map(String::as_str).unwrap_or("");
        let value = self.var_value(name)?;
        if ident.len() == 1 {
            self.not_a_function(args, fin.is_some())?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, ident.get(1..).unwrap_or_default(), args, fin)
    }

    fn eval_field_chain(
        &mut self,
        _dot: &Val<'a>,
        receiver: Val<'a>,
        ident: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let Some((last, init)) = ident.split_last() else {
            return Ok(receiver);
        };
        let mut receiver = receiver;
        for name in init {
            receiver = self.eval_field(name, None, false, receiver)?;
        }
        self.eval_field(last, args, fin.is_some(), receiver)
    }

    /// `evalField`: a key of a map (JSON has no structs and no methods).
    fn eval_field(&mut self, field: &str, args: Option<&'a [Arg]>, has_final: bool, receiver: Val<'a>) -> R<Val<'a>> {
        if !receiver.is_valid() {
            if self.missing_error {
                return Err(self.errorf(format_args!("nil data; no entry for key {}", quote(field.as_bytes()))));
            }
            return Ok(Val::Invalid);
        }
        let typ = receiver.type_name().unwrap_or("<nil>");
        let (receiver, is_nil) = receiver.indirect();
        if is_nil {
            return Err(self.errorf(format_args!("nil pointer evaluating {typ}.{field}")));
        }
        let has_args = args.is_some_and(|a| a.len() > 1) || has_final;
        if let Val::Map(m) = receiver {
            if has_args {
                return Err(self.errorf(format_args!("{field} is not a method but has arguments")));
            }
            return match m.get(field) {
                Some(v) => Ok(Val::Iface(v)),
                None if self.missing_error => {
                    Err(self.errorf(format_args!("map has no entry for key {}", quote(field.as_bytes()))))
                }
                None => Ok(Val::Invalid),
            };
        }
        Err(self.errorf(format_args!("can't evaluate field {field} in type {typ}")))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        dot: &Val<'a>,
        ident: &'a Arg,
        func: Func,
        name: &'a str,
        node: At<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(ident));
        self.eval_call(dot, func, name, node, args, fin)
    }

    /// `evalCall`: checks the argument count, evaluates the arguments to the parameter types,
    /// calls. `and` and `or` stop at the first argument that decides; `call` has no function
    /// to call in JSON data.
    fn eval_call(
        &mut self,
        dot: &Val<'a>,
        func: Func,
        name: &'a str,
        node: At<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let args: &'a [Arg] = args.and_then(|a| a.get(1..)).unwrap_or_default();
        let sig = funcs::signature(func);
        let num_in = args.len() + usize::from(fin.is_some());
        let mut num_fixed = args.len();
        if sig.variadic {
            num_fixed = sig.params.len() - 1;
            if num_in < num_fixed {
                return Err(self.errorf(format_args!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.params.len() - 1,
                    args.len()
                )));
            }
        } else if num_in != sig.params.len() {
            return Err(self.errorf(format_args!(
                "wrong number of args for {name}: want {} got {}",
                sig.params.len(),
                num_in
            )));
        }
        if matches!(func, Func::And | Func::Or) {
            let is_or = func == Func::Or;
            let mut v = Val::Invalid;
            for arg in args {
                v = self.eval_arg(dot, Ty::Value, arg)?;
                if v.clone().indirect_interface().truth() == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let param = |i: usize| sig.params.get(i).or(sig.params.last()).copied().unwrap_or(Ty::Any);
        let mut argv: Vec<Val<'a>> = Vec::with_capacity(num_in);
        for (i, arg) in args.iter().enumerate() {
            let ty = if i < num_fixed { param(i) } else { param(sig.params.len() - 1) };
            argv.push(self.eval_arg(dot, ty, arg)?);
        }
        if let Some(f) = fin {
            let ty =
                if sig.variadic && num_in - 1 < num_fixed { param(num_in - 1) } else { param(sig.params.len() - 1) };
            argv.push(self.validate_type(f, ty)?);
        }
        let result = if func == Func::Call {
            let callee = match args.first() {
                Some(a) => {
                    let mut s = String::new();
                    super::node::write_arg(&mut s, a);
                    s
                }
                None => reflect_string(argv.first().unwrap_or(&Val::Invalid)),
            };
            funcs::call(&callee, argv.first().cloned().unwrap_or(Val::Invalid))
        } else {
            funcs::call_builtin(func, argv)
        };
        result.map_err(|e| {
            self.at(node);
            self.errorf(format_args!("error calling {name}: {e}"))
        })
    }

    /// `validateType` for the parameter types the functions have.
    fn validate_type(&self, value: Val<'a>, ty: Ty) -> R<Val<'a>> {
        if !value.is_valid() {
            return match ty {
                Ty::Str => Err(self.errorf("invalid value; expected string")),
                _ => Ok(Val::Invalid),
            };
        }
        match ty {
            Ty::Value | Ty::Any | Ty::Nil => Ok(value),
            Ty::Str => {
                let value = match value {
                    Val::Iface(v) if !v.is_null() => concrete(v),
                    other => other,
                };
                match value {
                    Val::Str(_) => Ok(value),
                    other => Err(self.errorf(format_args!(
                        "wrong type for value; expected string; got {}",
                        other.type_name().unwrap_or("<nil>")
                    ))),
                }
            }
        }
    }

    /// `evalArg`: one argument, evaluated to the parameter's type.
    fn eval_arg(&mut self, dot: &Val<'a>, ty: Ty, n: &'a Arg) -> R<Val<'a>> {
        self.at(At::Arg(n));
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), ty),
            Arg::Nil { .. } => {
                return match ty {
                    Ty::Str => Err(self.errorf("cannot assign nil to string")),
                    _ => Ok(Val::Invalid),
                };
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_node(dot, n, ident, Some(std::slice::from_ref(n)), None)?;
                return self.validate_type(v, ty);
            }
            Arg::Variable(v) => {
                let v = self.eval_variable_node(dot, At::Arg(n), &v.ident, None, None)?;
                return self.validate_type(v, ty);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, ty);
            }
            Arg::Identifier { name, func, .. } => {
                let v = self.eval_function(dot, n, *func, name, At::Arg(n), None, None)?;
                return self.validate_type(v, ty);
            }
            Arg::Chain { node, field, .. } => {
                let v = self.eval_chain_node(dot, n, node, field, None, None)?;
                return self.validate_type(v, ty);
            }
            _ => {}
        }
        match ty {
            Ty::Str => match n {
                Arg::String { text, .. } => Ok(Val::Str(Str::Borrowed(text))),
                _ => {
                    let mut s = String::new();
                    super::node::write_arg(&mut s, n);
                    Err(self.errorf(format_args!("expected string; found {s}")))
                }
            },
            _ => match n {
                Arg::Bool { val, .. } => Ok(Val::Bool(*val)),
                Arg::Number(num) => self.ideal_constant(num),
                Arg::String { text, .. } => Ok(Val::Str(Str::Borrowed(text))),
                _ => {
                    let mut s = String::new();
                    super::node::write_arg(&mut s, n);
                    Err(self.errorf(format_args!("can't handle assignment of {s} to empty interface argument")))
                }
            },
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
