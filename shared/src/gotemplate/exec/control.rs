//! Walking the tree: lists, `if` and `with`, `range` with `break` and `continue`, template
//! calls, and printing a pipeline's value.

use crate::gotemplate::fmt::sprint_one;
use crate::gotemplate::node::{At, Branch, BranchKind, ListNode, Node, PipeNode, grow};
use crate::gotemplate::strconv::quote;
use crate::gotemplate::value::{Str, Val, sorted_entries};

use super::{Exec, Flow, MAX_EXEC_DEPTH, R};

impl<'a> Exec<'a, '_> {
    pub(super) fn walk_list(&mut self, dot: &Val<'a>, list: &'a ListNode) -> R<()> {
        self.at(At::List(list));
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    /// One step of the evaluation.
    pub(super) fn step(&mut self) -> R<()> {
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
}
