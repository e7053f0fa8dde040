//! The grammar inside a tree: item lists, actions, pipelines and their checks, the control
//! structures (`if`, `range`, `with`, `else`, `block`, `template`), commands and operands.

use crate::gotemplate::lex::{Item, ItemType};
use crate::gotemplate::node::{Arg, Branch, CommandNode, Func, ListNode, Node, PipeNode, VariableNode, grow};
use crate::gotemplate::strconv::{NumError, quote, unquote};

use super::{MAX_STACK_DEPTH, Parsed, Parser, R, Stop, new_number};

impl<'a> Parser<'a> {
    pub(super) fn item_list(&mut self) -> R<(ListNode, Stop)> {
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

    pub(super) fn text_or_action(&mut self) -> R<Parsed> {
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
                crate::gotemplate::node::write_arg(&mut s, &node);
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
