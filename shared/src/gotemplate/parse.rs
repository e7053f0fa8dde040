//! text/template's parser (`text/template/parse/parse.go`): the same grammar, the same
//! three-token lookahead per tree (errors report the line of the last token the tree read),
//! the same checks (undefined variables and functions, `break` outside `range`, non-executable
//! pipeline stages, 10 000 nested parentheses) and the same error texts, for a template named
//! `output` with kubectl's functions.

use std::borrow::Cow;
use std::collections::HashMap;

use super::lex::{Item, ItemType, Lexer, Pos};
use super::node::{Arg, Branch, CommandNode, Func, ListNode, Node, NumberNode, PipeNode, VariableNode, grow};
use super::strconv::{NumError, parse_float, parse_int, parse_uint, quote, unquote, unquote_char};
use super::value::TWO_POW_63;

/// `maxStackDepth`: nested parenthesised pipelines.
const MAX_STACK_DEPTH: usize = 10_000;

/// The name kubectl gives its template.
pub(crate) const NAME: &str = "output";

/// A parse error; the text is Go's.
pub(crate) struct ParseFailure(pub(crate) String);

type R<T> = Result<T, ParseFailure>;

/// What `parse` ends an item list with.
enum Stop {
    End,
    Else { pos: Pos },
}

/// What `textOrAction` returns: a node for the list, or `{{end}}`/`{{else}}`.
enum Parsed {
    Node(Node),
    Stop(Stop),
}

/// The parse state of one tree (the top level, a `define` or a `block`).
struct TreeState<'a> {
    name: String,
    token: [Item<'a>; 3],
    peek_count: usize,
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
}

impl<'a> TreeState<'a> {
    fn new(name: String) -> Self {
        let empty = || Item { typ: ItemType::Eof, pos: 0, val: Cow::Borrowed(""), line: 0 };
        TreeState {
            name,
            token: [empty(), empty(), empty()],
            peek_count: 0,
            vars: vec!["$".to_string()],
            action_line: 0,
            range_depth: 0,
            stack_depth: 0,
        }
    }
}

pub(crate) struct Parser<'a> {
    lex: Lexer<'a>,
    t: TreeState<'a>,
    /// The trees defined so far (`treeSet`).
    pub(crate) trees: HashMap<String, ListNode>,
}

/// `parse.IsEmptyTree`.
fn is_empty_tree(list: &ListNode) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text.trim().is_empty(),
        _ => false,
    })
}

impl<'a> Parser<'a> {
    /// Parses `text` as kubectl's `template.New("output").Funcs(…).Parse(text)`.
    pub(crate) fn parse(text: &'a str) -> R<HashMap<String, ListNode>> {
        let mut p = Parser { lex: Lexer::new(text), t: TreeState::new(NAME.to_string()), trees: HashMap::new() };
        let root = p.parse_top()?;
        p.add(root)?;
        Ok(p.trees)
    }

    fn errorf(&self, msg: impl std::fmt::Display) -> ParseFailure {
        ParseFailure(format!("template: {}:{}: {}", NAME, self.t.token[0].line, msg))
    }

    fn next(&mut self) -> Item<'a> {
        if self.t.peek_count > 0 {
            self.t.peek_count -= 1;
        } else {
            self.t.token[0] = self.lex.next_item();
        }
        self.t.token.get(self.t.peek_count).cloned().unwrap_or_else(|| self.t.token[0].clone())
    }

    fn backup(&mut self) {
        self.t.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.t.token[1] = t1;
        self.t.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.t.token[1] = t1;
        self.t.token[2] = t2;
        self.t.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.t.peek_count > 0 {
            let [first, ..] = &self.t.token;
            return self.t.token.get(self.t.peek_count - 1).unwrap_or(first).clone();
        }
        self.t.peek_count = 1;
        self.t.token[0] = self.lex.next_item();
        self.t.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let token = self.next();
            if token.typ != ItemType::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let token = self.next_non_space();
        self.backup();
        token
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> R<Item<'a>> {
        let token = self.next_non_space();
        if token.typ != expected {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn unexpected(&self, token: &Item, context: &str) -> ParseFailure {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.t.action_line != 0 && self.t.action_line != token.line {
                extra = format!(" in action started at {}:{}", NAME, self.t.action_line);
                if token.val.ends_with(" action") {
                    extra = extra.get(" in action".len()..).unwrap_or_default().to_string();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    /// `Tree.add`: a tree joins the set unless a non-empty one of that name is there.
    fn add(&mut self, root: ListNode) -> R<()> {
        match self.trees.get(&self.t.name) {
            Some(existing) if !is_empty_tree(existing) => {
                if !is_empty_tree(&root) {
                    return Err(self.errorf(format!(
                        "template: multiple definition of template {}",
                        quote(self.t.name.as_bytes())
                    )));
                }
                Ok(())
            }
            _ => {
                self.trees.insert(self.t.name.clone(), root);
                Ok(())
            }
        }
    }

    /// Starts a tree for a `define` or `block`, sharing the lexer; returns the outer tree.
    fn start_tree(&mut self, name: String) -> TreeState<'a> {
        std::mem::replace(&mut self.t, TreeState::new(name))
    }

    fn parse_top(&mut self) -> R<ListNode> {
        let mut root = ListNode { pos: self.peek().pos, nodes: vec![] };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let outer = self.start_tree("definition".to_string());
                    let result = self.parse_definition();
                    let inner = std::mem::replace(&mut self.t, outer);
                    drop(inner);
                    result?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Stop(Stop::End) => return Err(self.errorf("unexpected {{end}}")),
                Parsed::Stop(Stop::Else { .. }) => return Err(self.errorf("unexpected {{else}}")),
                Parsed::Node(n) => root.nodes.push(n),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> R<()> {
        let context = "define clause";
        let name = self.next_non_space();
        if name.typ != ItemType::String && name.typ != ItemType::RawString {
            return Err(self.unexpected(&name, context));
        }
        let Some(unquoted) = unquote(&name.val) else {
            return Err(self.errorf(NumError::Syntax.text()));
        };
        self.t.name = String::from_utf8_lossy(&unquoted).into_owned();
        self.expect(ItemType::RightDelim, context)?;
        let (list, end) = self.item_list()?;
        if let Stop::Else { .. } = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add(list)
    }

    fn item_list(&mut self) -> R<(ListNode, Stop)> {
        grow(|| {
            let mut list = ListNode { pos: self.peek_non_space().pos, nodes: vec![] };
            while self.peek_non_space().typ != ItemType::Eof {
                match self.text_or_action()? {
                    Parsed::Stop(s) => return Ok((list, s)),
                    Parsed::Node(n) => list.nodes.push(n),
                }
            }
            Err(self.errorf("unexpected EOF"))
        })
    }

    fn text_or_action(&mut self) -> R<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text { pos: token.pos, text: token.val.into_owned() })),
            ItemType::LeftDelim => {
                self.t.action_line = token.line;
                let result = self.action();
                self.t.action_line = 0;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> R<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let is_break = token.typ == ItemType::Break;
                let what = if is_break { "{{break}}" } else { "{{continue}}" };
                let next = self.next_non_space();
                if next.typ != ItemType::RightDelim {
                    return Err(self.unexpected(&next, what));
                }
                if self.t.range_depth == 0 {
                    return Err(self.errorf(format!("{what} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(if is_break {
                    Node::Break { pos: token.pos }
                } else {
                    Node::Continue { pos: token.pos }
                }));
            }
            ItemType::Else => return self.else_control().map(Parsed::Stop),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::Stop(Stop::End));
            }
            ItemType::If => return self.control("if").map(|b| Parsed::Node(Node::If(b))),
            ItemType::Range => return self.control("range").map(|b| Parsed::Node(Node::Range(b))),
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => return self.control("with").map(|b| Parsed::Node(Node::With(b))),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action { pos: token.pos, pipe }))
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> R<PipeNode> {
        let token = self.peek_non_space();
        let mut pipe = PipeNode { pos: token.pos, is_assign: false, decl: vec![], cmds: vec![] };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            let token_after_variable = self.peek();
            let next = self.peek_non_space();
            if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(VariableNode { pos: v.pos, ident: split_dots(&v.val) });
                self.t.vars.push(v.val.to_string());
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(VariableNode { pos: v.pos, ident: split_dots(&v.val) });
                self.t.vars.push(v.val.to_string());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => continue 'decls,
                        _ => return Err(self.errorf("range can only initialize variables")),
                    }
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else if token_after_variable.typ == ItemType::Space {
                self.backup3(v, token_after_variable);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &PipeNode, context: &str) -> R<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if let Some(Arg::Bool { .. } | Arg::Dot { .. } | Arg::Nil { .. } | Arg::Number(_) | Arg::String { .. }) =
                c.args.first()
            {
                return Err(self.errorf(format!("non executable command in pipeline stage {}", i + 1)));
            }
        }
        Ok(())
    }

    /// `parseControl` for if, range and with.
    fn control(&mut self, context: &str) -> R<Branch> {
        let vars = self.t.vars.len();
        let result = self.control_inner(context);
        self.t.vars.truncate(vars);
        result
    }

    fn control_inner(&mut self, context: &str) -> R<Branch> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.t.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.t.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        if let Stop::Else { pos } = next {
            if context == "if" && self.peek().typ == ItemType::If {
                self.next();
                let nested = self.control("if")?;
                else_list = Some(ListNode { pos, nodes: vec![Node::If(nested)] });
            } else if context == "with" && self.peek().typ == ItemType::With {
                self.next();
                let nested = self.control("with")?;
                else_list = Some(ListNode { pos, nodes: vec![Node::With(nested)] });
            } else {
                let (l, next) = self.item_list()?;
                if let Stop::Else { .. } = next {
                    return Err(self.errorf("expected end; found {{else}}"));
                }
                else_list = Some(l);
            }
        }
        Ok(Branch { pos: pipe.pos, pipe, list, else_list })
    }

    fn else_control(&mut self) -> R<Stop> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(Stop::Else { pos: peek.pos });
        }
        let token = self.expect(ItemType::RightDelim, "else")?;
        Ok(Stop::Else { pos: token.pos })
    }

    fn block_control(&mut self) -> R<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        let outer = self.start_tree(name.clone());
        let listed = self.item_list();
        let inner = std::mem::replace(&mut self.t, outer);
        let (list, end) = listed?;
        if let Stop::Else { .. } = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        let outer = std::mem::replace(&mut self.t, inner);
        let added = self.add(list);
        self.t = outer;
        added?;
        Ok(Node::Template { pos: token.pos, name, pipe: Some(pipe) })
    }

    fn template_control(&mut self) -> R<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, ItemType::RightDelim)?);
        }
        Ok(Node::Template { pos: token.pos, name, pipe })
    }

    fn parse_template_name(&self, token: &Item, context: &str) -> R<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Some(s) => Ok(String::from_utf8_lossy(&s).into_owned()),
                None => Err(self.errorf(NumError::Syntax.text())),
            },
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn command(&mut self) -> R<CommandNode> {
        let mut cmd = CommandNode { pos: self.peek_non_space().pos, args: vec![] };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> R<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields: Vec<String> = vec![];
        while self.peek().typ == ItemType::Field {
            let f = self.next();
            fields.push(f.val.get(1..).unwrap_or_default().to_string());
        }
        Ok(Some(match node {
            Arg::Field { ident, .. } => {
                let mut ident = ident;
                ident.extend(fields);
                Arg::Field { pos: chain_pos, ident }
            }
            Arg::Variable(v) => {
                let mut ident = v.ident;
                ident.extend(fields);
                Arg::Variable(VariableNode { pos: chain_pos, ident })
            }
            Arg::Bool { .. } | Arg::String { .. } | Arg::Number(_) | Arg::Nil { .. } | Arg::Dot { .. } => {
                let mut s = String::new();
                super::node::write_arg(&mut s, &node);
                return Err(self.errorf(format!("unexpected . after term {}", quote(s.as_bytes()))));
            }
            other => Arg::Chain { pos: chain_pos, node: Box::new(other), field: fields },
        }))
    }

    fn term(&mut self) -> R<Option<Arg>> {
        let token = self.next_non_space();
        Ok(Some(match token.typ {
            ItemType::Identifier => match Func::lookup(&token.val) {
                Some(func) => Arg::Identifier { pos: token.pos, name: token.val.to_string(), func },
                None => return Err(self.errorf(format!("function {} not defined", quote(token.val.as_bytes())))),
            },
            ItemType::Dot => Arg::Dot { pos: token.pos },
            ItemType::Nil => Arg::Nil { pos: token.pos },
            ItemType::Variable => {
                let ident = split_dots(&token.val);
                let name = ident.first().cloned().unwrap_or_default();
                if !self.t.vars.contains(&name) {
                    return Err(self.errorf(format!("undefined variable {}", quote(name.as_bytes()))));
                }
                Arg::Variable(VariableNode { pos: token.pos, ident })
            }
            ItemType::Field => Arg::Field { pos: token.pos, ident: split_dots(token.val.get(1..).unwrap_or_default()) },
            ItemType::Bool => Arg::Bool { pos: token.pos, val: token.val == "true" },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(token.pos, &token.val, token.typ) {
                    Ok(n) => Arg::Number(n),
                    Err(e) => return Err(self.errorf(e)),
                }
            }
            ItemType::LeftParen => {
                if self.t.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.t.stack_depth += 1;
                let pipe = grow(|| self.pipeline("parenthesized pipeline", ItemType::RightParen));
                self.t.stack_depth -= 1;
                Arg::Pipe(Box::new(pipe?))
            }
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Some(text) => Arg::String { pos: token.pos, quoted: token.val.to_string(), text },
                None => return Err(self.errorf(NumError::Syntax.text())),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn split_dots(s: &str) -> Vec<String> {
    s.split('.').map(str::to_string).collect()
}

/// `newNumber`: the kinds a number literal can be read as.
pub(crate) fn new_number(pos: Pos, text: &str, typ: ItemType) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        float64: 0.0,
        complex: (0.0, 0.0),
        text: text.to_string(),
    };
    let b = text.as_bytes();
    match typ {
        ItemType::CharConstant => {
            let quote_char = b.first().copied().unwrap_or(b'\'');
            let Some((r, _, tail)) = unquote_char(b.get(1..).unwrap_or_default(), quote_char) else {
                return Err(NumError::Syntax.text().to_string());
            };
            if tail != b"'" {
                return Err(format!("malformed character constant: {text}"));
            }
            n.int64 = i64::from(r);
            n.is_int = true;
            n.is_uint = true;
            n.float64 = f64::from(r);
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            n.complex = scan_complex(text)?;
            n.is_complex = true;
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(head) = text.strip_suffix('i')
        && let Ok(f) = parse_float(head.as_bytes())
    {
        n.is_complex = true;
        n.complex = (0.0, f);
        simplify_complex(&mut n);
        return Ok(n);
    }
    let u = parse_uint(b);
    if let Ok(u) = u {
        n.is_uint = true;
        n.float64 = u as f64;
    }
    if let Ok(i) = parse_int(b) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
    } else if let Ok(f) = parse_float(b) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(b)));
        }
        n.is_float = true;
        n.float64 = f;
        if let Some(i) = exact_int64(f) {
            n.is_int = true;
            n.int64 = i;
        }
        if exact_uint64(f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", quote(b)));
    }
    Ok(n)
}

/// `float64(int64(f)) == f` as Go computes it on amd64: out of range is never equal.
fn exact_int64(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f)).then_some(f as i64)
}

/// `float64(uint64(f)) == f`, likewise.
fn exact_uint64(f: f64) -> bool {
    f.fract() == 0.0 && (0.0..2.0 * TWO_POW_63).contains(&f)
}

/// `simplifyComplex`: a complex number with no imaginary part is also a float, maybe an integer.
fn simplify_complex(n: &mut NumberNode) {
    n.is_float = n.complex.1 == 0.0;
    if n.is_float {
        n.float64 = n.complex.0;
        n.is_int = false;
        if let Some(i) = exact_int64(n.float64) {
            n.is_int = true;
            n.int64 = i;
        }
        n.is_uint = exact_uint64(n.float64);
    }
}

/// `fmt.Sscan(text, &complex128)` for the `1+2i` literals the lexer makes.
fn scan_complex(text: &str) -> Result<(f64, f64), String> {
    let b = text.as_bytes();
    let mut i = 0;
    let real = float_token(b, &mut i);
    let sign = match b.get(i) {
        Some(&c @ (b'+' | b'-')) => {
            i += 1;
            c
        }
        _ => return Err("syntax error scanning complex number".to_string()),
    };
    let imag_start = i;
    let _ = float_token(b, &mut i);
    let imag = b.get(imag_start..i).unwrap_or_default();
    if b.get(i) != Some(&b'i') {
        return Err("syntax error scanning complex number".to_string());
    }
    let mut imag_text = vec![sign];
    imag_text.extend_from_slice(imag);
    Ok((convert_float(real)?, convert_float(&imag_text)?))
}

/// `ss.floatToken`.
fn float_token<'b>(b: &'b [u8], i: &mut usize) -> &'b [u8] {
    let start = *i;
    let accept = |i: &mut usize, set: &[u8]| -> bool {
        match b.get(*i) {
            Some(c) if set.contains(c) => {
                *i += 1;
                true
            }
            _ => false,
        }
    };
    let mut j = *i;
    if accept(&mut j, b"nN") && accept(&mut j, b"aA") && accept(&mut j, b"nN") {
        *i = j;
        return b.get(start..*i).unwrap_or_default();
    }
    accept(i, b"+-");
    let mut j = *i;
    if accept(&mut j, b"iI") && accept(&mut j, b"nN") && accept(&mut j, b"fF") {
        *i = j;
        return b.get(start..*i).unwrap_or_default();
    }
    let mut digits: &[u8] = b"0123456789_";
    let mut exp: &[u8] = b"eEpP";
    if accept(i, b"0") && accept(i, b"xX") {
        digits = b"0123456789aAbBcCdDeEfF_";
        exp = b"pP";
    }
    while accept(i, digits) {}
    if accept(i, b".") {
        while accept(i, digits) {}
    }
    if accept(i, exp) {
        accept(i, b"+-");
        while accept(i, b"0123456789_") {}
    }
    b.get(start..*i).unwrap_or_default()
}

/// `ss.convertFloat`.
fn convert_float(s: &[u8]) -> Result<f64, String> {
    let has_x = s.iter().any(|&c| c == b'x' || c == b'X');
    if let Some(p) = s.iter().position(|&c| c == b'p')
        && !has_x
    {
        let head = s.get(..p).unwrap_or_default();
        let f = parse_float(head).map_err(|e| num_error("ParseFloat", s, e))?;
        let tail = std::str::from_utf8(s.get(p + 1..).unwrap_or_default()).unwrap_or("");
        let m: i32 = atoi(tail).map_err(|e| num_error("Atoi", s, e))?;
        return Ok(f * 2f64.powi(m));
    }
    parse_float(s).map_err(|e| num_error("ParseFloat", s, e))
}

fn atoi(s: &str) -> Result<i32, NumError> {
    let v = parse_int(s.as_bytes())?;
    if s.starts_with('0') && s.len() > 1 {
        // Atoi is base 10: no prefixes.
        return s.parse::<i32>().map_err(|_| NumError::Syntax);
    }
    i32::try_from(v).map_err(|_| NumError::Range)
}

fn num_error(func: &str, s: &[u8], e: NumError) -> String {
    format!("strconv.{func}: parsing {}: {}", quote(s), e.text())
}
