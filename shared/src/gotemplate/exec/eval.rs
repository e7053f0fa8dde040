//! Evaluating pipelines: commands, constants, fields, chains, variables, function calls and
//! their arguments, checked against the function's Go signature.

use crate::gotemplate::funcs::{self, Ty};
use crate::gotemplate::node::{Arg, At, CommandNode, Func, NumberNode, PipeNode, grow};
use crate::gotemplate::strconv::quote;
use crate::gotemplate::value::{Str, Val, concrete};

use super::{Exec, R, reflect_string};

impl<'a> Exec<'a, '_> {
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
                crate::gotemplate::node::write_arg(&mut s, first);
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
            crate::gotemplate::node::write_arg(&mut s, chain);
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
                    crate::gotemplate::node::write_arg(&mut s, a);
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
                    crate::gotemplate::node::write_arg(&mut s, n);
                    Err(self.errorf(format_args!("expected string; found {s}")))
                }
            },
            _ => match n {
                Arg::Bool { val, .. } => Ok(Val::Bool(*val)),
                Arg::Number(num) => self.ideal_constant(num),
                Arg::String { text, .. } => Ok(Val::Str(Str::Borrowed(text))),
                _ => {
                    let mut s = String::new();
                    crate::gotemplate::node::write_arg(&mut s, n);
                    Err(self.errorf(format_args!("can't handle assignment of {s} to empty interface argument")))
                }
            },
        }
    }
}
