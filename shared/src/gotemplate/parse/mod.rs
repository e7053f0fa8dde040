//! text/template's parser (`text/template/parse/parse.go`): the same grammar, the same
//! three-token lookahead per tree (errors report the line of the last token the tree read),
//! the same checks (undefined variables and functions, `break` outside `range`, non-executable
//! pipeline stages, 10 000 nested parentheses) and the same error texts, for a template named
//! `output` with kubectl's functions.
//!
//! The parser's state, token lookahead and tree bookkeeping are here; `actions` holds the grammar
//! inside a tree, `literals` the number literals.

mod actions;
mod literals;

use std::borrow::Cow;
use std::collections::HashMap;

use super::lex::{Item, ItemType, Lexer, Pos};
use super::node::{ListNode, Node};
use super::strconv::{NumError, quote, unquote};

pub(crate) use literals::new_number;

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
}
