//! text/template's lexer (`text/template/parse/lex.go`): the same items at the same byte
//! positions and lines, the same trim markers and comments, the same error texts. kubectl
//! uses the default delimiters and defines no function named `break` or `continue`, so both
//! are keywords.
//!
//! The items and the lexer's state are here; `scan` holds the states that scan each token.

mod scan;

use std::borrow::Cow;

use super::unicode::{is_digit, is_letter};

/// Byte offset into the template text.
pub(crate) type Pos = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords, after all the rest.
    Keyword,
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

fn keyword(word: &str) -> Option<ItemType> {
    Some(match word {
        "." => ItemType::Dot,
        "block" => ItemType::Block,
        "break" => ItemType::Break,
        "continue" => ItemType::Continue,
        "define" => ItemType::Define,
        "else" => ItemType::Else,
        "end" => ItemType::End,
        "if" => ItemType::If,
        "range" => ItemType::Range,
        "nil" => ItemType::Nil,
        "template" => ItemType::Template,
        "with" => ItemType::With,
        _ => return None,
    })
}

#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    pub(crate) typ: ItemType,
    pub(crate) pos: Pos,
    pub(crate) val: Cow<'a, str>,
    pub(crate) line: usize,
}

impl Item<'_> {
    /// `item.String()`, as parse errors print a token.
    pub(crate) fn describe(&self) -> String {
        match self.typ {
            ItemType::Eof => "EOF".to_string(),
            ItemType::Error => self.val.to_string(),
            t if t > ItemType::Keyword => format!("<{}>", self.val),
            _ => {
                if self.val.len() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", super::strconv::quote(head.as_bytes()))
                } else {
                    super::strconv::quote(self.val.as_bytes())
                }
            }
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
const SPACE_CHARS: &[char] = &[' ', '\t', '\r', '\n'];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || is_letter(c) || is_digit(c)
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'-') && b.get(1).is_some_and(|&c| is_space(char::from(c)))
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(|&c| is_space(char::from(c))) && b.get(1) == Some(&b'-')
}

/// `%#U` of a rune, as lexer errors print it.
fn sharp_u(c: char) -> String {
    let mut p = super::fmt::Printer::new();
    p.do_printf(b"%#U", &[super::value::Val::Int(i64::from(c as u32))]);
    String::from_utf8_lossy(&p.buf).into_owned()
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: Pos,
    start: Pos,
    at_eof: bool,
    paren_depth: usize,
    line: usize,
    start_line: usize,
    item: Option<Item<'a>>,
    inside_action: bool,
}

/// `None` ends the run of states: an item is ready.
type Next = Option<State>;

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: 0,
            start: 0,
            at_eof: false,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            item: None,
            inside_action: false,
        }
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn slice(&self, from: Pos, to: Pos) -> &'a str {
        self.input.get(from..to).unwrap_or_default()
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            None => {
                self.at_eof = true;
                None
            }
            Some(c) => {
                self.pos += c.len_utf8();
                if c == '\n' {
                    self.line += 1;
                }
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let c = self.next();
        self.backup();
        c
    }

    fn backup(&mut self) {
        if !self.at_eof
            && self.pos > 0
            && let Some(c) = self.input.get(..self.pos).and_then(|s| s.chars().next_back())
        {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn this_item(&mut self, typ: ItemType) -> Item<'a> {
        let item =
            Item { typ, pos: self.start, val: Cow::Borrowed(self.slice(self.start, self.pos)), line: self.start_line };
        self.start = self.pos;
        self.start_line = self.line;
        item
    }

    fn emit(&mut self, typ: ItemType) -> Next {
        let item = self.this_item(typ);
        self.emit_item(item)
    }

    fn emit_item(&mut self, item: Item<'a>) -> Next {
        self.item = Some(item);
        None
    }

    fn ignore(&mut self) {
        self.line += self.slice(self.start, self.pos).matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                break;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, msg: String) -> Next {
        self.item = Some(Item { typ: ItemType::Error, pos: self.start, val: Cow::Owned(msg), line: self.start_line });
        self.start = 0;
        self.pos = 0;
        self.input = "";
        None
    }

    /// The next item.
    pub(crate) fn next_item(&mut self) -> Item<'a> {
        self.item = None;
        let eof = Item { typ: ItemType::Eof, pos: self.pos, val: Cow::Borrowed("EOF"), line: self.start_line };
        let mut state = if self.inside_action { State::InsideAction } else { State::Text };
        loop {
            let next = match state {
                State::Text => self.lex_text(),
                State::LeftDelim => self.lex_left_delim(),
                State::Comment => self.lex_comment(),
                State::RightDelim => self.lex_right_delim(),
                State::InsideAction => self.lex_inside_action(),
                State::Space => self.lex_space(),
                State::Identifier => self.lex_identifier(),
                State::Field => self.lex_field_or_variable(ItemType::Field),
                State::Variable => self.lex_variable(),
                State::Char => self.lex_char(),
                State::Number => self.lex_number(),
                State::Quote => self.lex_quote(),
                State::RawQuote => self.lex_raw_quote(),
            };
            match next {
                Some(s) => state = s,
                None => return self.item.take().unwrap_or(eof),
            }
        }
    }
}
