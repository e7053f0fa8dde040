//! The parse tree (`text/template/parse/node.go`): every node keeps its byte position, and
//! prints as Go's `Node.String()` does, because execution errors quote the node they stopped at
//! (`executing "output" at <index .spec.ports 0>`).
//!
//! Deep trees are dropped and printed on a growing stack: Go accepts 10 000 nested parentheses
//! and any depth of nested actions.

use super::lex::Pos;
use super::strconv::quote;

/// Runs `f` with at least 64 KiB of stack left, growing it on the heap when needed.
pub(crate) fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

/// The functions a template can call: text/template's builtins and kubectl's two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    And,
    Call,
    Html,
    Index,
    Slice,
    Js,
    Len,
    Not,
    Or,
    Print,
    Printf,
    Println,
    Urlquery,
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
    Exists,
    Base64decode,
}

impl Func {
    pub(crate) fn lookup(name: &str) -> Option<Func> {
        Some(match name {
            "and" => Func::And,
            "call" => Func::Call,
            "html" => Func::Html,
            "index" => Func::Index,
            "slice" => Func::Slice,
            "js" => Func::Js,
            "len" => Func::Len,
            "not" => Func::Not,
            "or" => Func::Or,
            "print" => Func::Print,
            "printf" => Func::Printf,
            "println" => Func::Println,
            "urlquery" => Func::Urlquery,
            "eq" => Func::Eq,
            "ge" => Func::Ge,
            "gt" => Func::Gt,
            "le" => Func::Le,
            "lt" => Func::Lt,
            "ne" => Func::Ne,
            "exists" => Func::Exists,
            "base64decode" => Func::Base64decode,
            _ => return None,
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct ListNode {
    pub(crate) pos: Pos,
    pub(crate) nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text { pos: Pos, text: String },
    Action { pos: Pos, pipe: PipeNode },
    If(Branch),
    Range(Branch),
    With(Branch),
    Template { pos: Pos, name: String, pipe: Option<PipeNode> },
    Break { pos: Pos },
    Continue { pos: Pos },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BranchKind {
    If,
    Range,
    With,
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) pos: Pos,
    pub(crate) pipe: PipeNode,
    pub(crate) list: ListNode,
    pub(crate) else_list: Option<ListNode>,
}

impl Drop for Branch {
    fn drop(&mut self) {
        let list = std::mem::take(&mut self.list);
        let else_list = self.else_list.take();
        grow(|| drop((list, else_list)));
    }
}

#[derive(Debug, Default)]
pub(crate) struct PipeNode {
    pub(crate) pos: Pos,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<VariableNode>,
    pub(crate) cmds: Vec<CommandNode>,
}

impl Drop for PipeNode {
    fn drop(&mut self) {
        let cmds = std::mem::take(&mut self.cmds);
        grow(|| drop(cmds));
    }
}

#[derive(Debug)]
pub(crate) struct CommandNode {
    pub(crate) pos: Pos,
    pub(crate) args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) struct VariableNode {
    pub(crate) pos: Pos,
    /// The variable (with its `$`) and the fields after it.
    pub(crate) ident: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct NumberNode {
    pub(crate) pos: Pos,
    pub(crate) is_int: bool,
    pub(crate) is_uint: bool,
    pub(crate) is_float: bool,
    pub(crate) is_complex: bool,
    pub(crate) int64: i64,
    pub(crate) float64: f64,
    pub(crate) complex: (f64, f64),
    pub(crate) text: String,
}

/// An operand of a command.
#[derive(Debug)]
pub(crate) enum Arg {
    Field { pos: Pos, ident: Vec<String> },
    Variable(VariableNode),
    Chain { pos: Pos, node: Box<Arg>, field: Vec<String> },
    Identifier { pos: Pos, name: String, func: Func },
    Dot { pos: Pos },
    Nil { pos: Pos },
    Bool { pos: Pos, val: bool },
    Number(NumberNode),
    String { pos: Pos, quoted: String, text: Vec<u8> },
    Pipe(Box<PipeNode>),
}

impl Arg {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

/// A node to report an error at (`state.at`).
#[derive(Clone, Copy)]
pub(crate) enum At<'t> {
    None,
    Node(&'t Node),
    List(&'t ListNode),
    Branch(BranchKind, &'t Branch),
    Pipe(&'t PipeNode),
    Command(&'t CommandNode),
    Arg(&'t Arg),
    Number(&'t NumberNode),
}

impl At<'_> {
    pub(crate) fn pos(&self) -> Option<Pos> {
        Some(match self {
            At::None => return None,
            At::Node(n) => match n {
                Node::Text { pos, .. }
                | Node::Action { pos, .. }
                | Node::Template { pos, .. }
                | Node::Break { pos }
                | Node::Continue { pos } => *pos,
                Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
            },
            At::List(l) => l.pos,
            At::Branch(_, b) => b.pos,
            At::Pipe(p) => p.pos,
            At::Command(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Number(n) => n.pos,
        })
    }

    /// `Node.String()`.
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        match self {
            At::None => {}
            At::Node(n) => write_node(&mut s, n),
            At::List(l) => write_list(&mut s, l),
            At::Branch(k, b) => write_branch(&mut s, *k, b),
            At::Pipe(p) => write_pipe(&mut s, p),
            At::Command(c) => write_command(&mut s, c),
            At::Arg(a) => write_arg(&mut s, a),
            At::Number(n) => s.push_str(&n.text),
        }
        s
    }
}

pub(crate) fn write_list(s: &mut String, l: &ListNode) {
    for n in &l.nodes {
        write_node(s, n);
    }
}

pub(crate) fn write_node(s: &mut String, n: &Node) {
    match n {
        Node::Text { text, .. } => s.push_str(text),
        Node::Action { pipe, .. } => {
            s.push_str("{{");
            write_pipe(s, pipe);
            s.push_str("}}");
        }
        Node::If(b) => write_branch(s, BranchKind::If, b),
        Node::Range(b) => write_branch(s, BranchKind::Range, b),
        Node::With(b) => write_branch(s, BranchKind::With, b),
        Node::Template { name, pipe, .. } => {
            s.push_str("{{template ");
            s.push_str(&quote(name.as_bytes()));
            if let Some(p) = pipe {
                s.push(' ');
                write_pipe(s, p);
            }
            s.push_str("}}");
        }
        Node::Break { .. } => s.push_str("{{break}}"),
        Node::Continue { .. } => s.push_str("{{continue}}"),
    }
}

pub(crate) fn write_branch(s: &mut String, kind: BranchKind, b: &Branch) {
    grow(|| {
        s.push_str(match kind {
            BranchKind::If => "{{if ",
            BranchKind::Range => "{{range ",
            BranchKind::With => "{{with ",
        });
        write_pipe(s, &b.pipe);
        s.push_str("}}");
        write_list(s, &b.list);
        if let Some(e) = &b.else_list {
            s.push_str("{{else}}");
            write_list(s, e);
        }
        s.push_str("{{end}}");
    })
}

pub(crate) fn write_pipe(s: &mut String, p: &PipeNode) {
    grow(|| {
        if !p.decl.is_empty() {
            for (i, v) in p.decl.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&v.ident.join("."));
            }
            s.push_str(if p.is_assign { " = " } else { " := " });
        }
        for (i, c) in p.cmds.iter().enumerate() {
            if i > 0 {
                s.push_str(" | ");
            }
            write_command(s, c);
        }
    })
}

pub(crate) fn write_command(s: &mut String, c: &CommandNode) {
    for (i, a) in c.args.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if let Arg::Pipe(p) = a {
            s.push('(');
            write_pipe(s, p);
            s.push(')');
            continue;
        }
        write_arg(s, a);
    }
}

pub(crate) fn write_arg(s: &mut String, a: &Arg) {
    match a {
        Arg::Field { ident, .. } => {
            for id in ident {
                s.push('.');
                s.push_str(id);
            }
        }
        Arg::Variable(v) => s.push_str(&v.ident.join(".")),
        Arg::Chain { node, field, .. } => {
            if let Arg::Pipe(p) = node.as_ref() {
                s.push('(');
                write_pipe(s, p);
                s.push(')');
            } else {
                write_arg(s, node);
            }
            for f in field {
                s.push('.');
                s.push_str(f);
            }
        }
        Arg::Identifier { name, .. } => s.push_str(name),
        Arg::Dot { .. } => s.push('.'),
        Arg::Nil { .. } => s.push_str("nil"),
        Arg::Bool { val, .. } => s.push_str(if *val { "true" } else { "false" }),
        Arg::Number(n) => s.push_str(&n.text),
        Arg::String { quoted, .. } => s.push_str(quoted),
        Arg::Pipe(p) => write_pipe(s, p),
    }
}
