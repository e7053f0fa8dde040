//! The template parser of client-go's `util/jsonpath/parser.go`, rune for rune: the same node
//! tree and the same error texts for the same input.
//!
//! Where the grammar is odd, so is this parser, on purpose: `['a.b']` is re-parsed as `.a.b`
//! (kubernetes/kubectl#1535), `[]` is `[0]`, a filter's operator is whatever run of `!<>=` sits
//! between two non-operator texts (so `[?(@.a<>1)]` parses and fails only when evaluated),
//! `{...x}` is `{..x}`, and the same quote tracking decides where `[?(…)]` ends.

use super::JsonPathError;

type R<T> = Result<T, JsonPathError>;

fn fail<T>(msg: impl Into<String>) -> R<T> {
    Err(JsonPathError(msg.into()))
}

/// A parsed node (client-go's `Node` types).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Text outside an action, or a quoted string inside one.
    Text(String),
    /// `{…}`: nodes applied in sequence.
    List(Vec<Node>),
    /// `.name`, backslashes removed.
    Field(String),
    /// A bare word: `range`, `end` (anything else fails when evaluated).
    Identifier(String),
    /// `[i]`, `[a:b]`, `[a:b:c]`, `[*]`.
    Array([Param; 3]),
    /// `[?(left op right)]`, or `[?(left)]` with the operator `exists`.
    Filter(Box<Filter>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `.*`
    Wildcard,
    /// `..`
    Recursive,
    /// `[a,b]`: each part a list of nodes.
    Union(Vec<Vec<Node>>),
}

/// A filter's two sides and its operator text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub left: Vec<Node>,
    pub right: Vec<Node>,
    pub op: String,
}

/// One slice bound (client-go's `ParamsEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Param {
    pub value: i64,
    pub known: bool,
    /// The end of `[i]`, derived as i+1.
    pub derived: bool,
}

/// Parses a whole template into its top-level nodes (texts and actions).
pub(crate) fn parse(text: &str) -> R<Vec<Node>> {
    let mut p = Parser { input: text, pos: 0, start: 0, width: 0 };
    let mut root = vec![];
    p.parse_text(&mut root)?;
    Ok(root)
}

/// Where parsing stopped, in bytes, when it failed.
pub(crate) fn failure_offset(text: &str) -> Option<usize> {
    let mut p = Parser { input: text, pos: 0, start: 0, width: 0 };
    let mut root = vec![];
    p.parse_text(&mut root).err().map(|_| p.pos.min(text.len()))
}

/// client-go's `parseAction`: `{TEXT}` parsed alone, its first action's nodes.
fn parse_action(text: &str) -> R<Vec<Node>> {
    let mut root = parse(&format!("{{{text}}}"))?;
    // The text starts with `{`, so the first node is always an action.
    match root.swap_remove(0) {
        Node::List(nodes) => Ok(nodes),
        _ => fail("invalid action"),
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

impl<'a> Parser<'a> {
    /// The next rune (`None` at the end); an empty width at the end so `backup` is a no-op.
    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
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
        self.pos = self.pos.saturating_sub(self.width);
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.next();
        self.backup();
        r
    }

    /// The text read since the last `consume`. `start` and `pos` only ever stop between runes
    /// (they move by whole runes, or past an ASCII byte just matched), so the range is always
    /// there; an empty text stands in if it were not.
    fn consume(&mut self) -> &'a str {
        let v = self.input.get(self.start..self.pos).unwrap_or_default();
        self.start = self.pos;
        v
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// The byte before the last rune read (client-go looks at `input[pos-2]` for a backslash).
    fn escaped(&self) -> bool {
        self.pos.checked_sub(2).and_then(|at| self.input.as_bytes().get(at)) == Some(&b'\\')
    }

    /// Text up to each `{`, then the action; until the end of the input.
    fn parse_text(&mut self, root: &mut Vec<Node>) -> R<()> {
        loop {
            loop {
                if self.rest().starts_with('{') {
                    break;
                }
                if self.next().is_none() {
                    if self.pos > self.start {
                        let t = self.consume();
                        root.push(Node::Text(t.to_string()));
                    }
                    return Ok(());
                }
            }
            if self.pos > self.start {
                let t = self.consume();
                root.push(Node::Text(t.to_string()));
            }
            self.pos += 1;
            self.consume();
            let mut action = vec![];
            let parsed = self.parse_inside_action(&mut action);
            root.push(Node::List(action));
            parsed?;
        }
    }

    /// The inside of `{…}`, up to and including its `}`.
    fn parse_inside_action(&mut self, cur: &mut Vec<Node>) -> R<()> {
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                self.consume();
                return Ok(());
            }
            if rest.starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if rest.starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return fail("unclosed action"),
                Some(' ' | '@' | '$') => {
                    // Spaces, and the current object: nothing to add.
                    self.consume();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur)?,
                Some(c) if c == '+' || c == '-' || is_digit(c) => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(cur)?;
                }
                Some(c) => return fail(format!("unrecognized character in action: {}", go_rune(c))),
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) -> R<()> {
        loop {
            let r = self.next();
            if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let value = self.consume();
        cur.push(match value {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            other => Node::Identifier(other.to_string()),
        });
        Ok(())
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> R<()> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return fail("invalid multiple recursive descent");
        }
        self.pos += 2;
        self.consume();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(cur)?;
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> R<()> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || is_digit(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume();
        // strconv.Atoi, then strconv.ParseFloat (which refuses what overflows).
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
            return Ok(());
        }
        match value.parse::<f64>() {
            Ok(f) if f.is_finite() => {
                cur.push(Node::Float(f));
                Ok(())
            }
            _ => fail(format!("cannot parse number {value}")),
        }
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> R<()> {
        loop {
            match self.next() {
                None | Some('\n') => return fail("unterminated array"),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let whole = self.consume();
        // `[` was read before the loop and `]` ended it.
        let mut text = whole.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or_default();
        if text == "*" {
            text = ":";
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = vec![];
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        // `['key']`: parsed again as `.key`, dots and all.
        if let Some(key) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\''))
            && !key.contains('\'')
        {
            cur.extend(parse_action(&format!(".{key}"))?);
            return Ok(());
        }
        let Some((start, [end, step])) = slice_groups(text) else {
            return fail(format!("invalid array index {text}"));
        };
        let bound = |value: &str| -> R<Param> {
            if value.is_empty() {
                return Ok(Param::default());
            }
            let value = value.parse::<i64>().or_else(|_| fail(format!("array index {value} is not a number")))?;
            Ok(Param { value, known: true, derived: false })
        };
        let start = bound(start)?;
        // `[i]` ends at i+1.
        let end = match end {
            Some(v) => bound(v)?,
            None => Param { value: start.value.wrapping_add(1), known: true, derived: true },
        };
        let step = step.map(bound).transpose()?.unwrap_or_default();
        cur.push(Node::Array([start, end, step]));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> R<()> {
        self.pos += 3;
        self.consume();
        let (mut begin, mut end, mut pair) = (false, false, '\0');
        loop {
            match self.next() {
                None | Some('\n') => return fail("unterminated filter"),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if !self.escaped() && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return fail("unclosed array expect ]");
        }
        let whole = self.consume();
        // The loop stopped at `)` and `]` followed.
        let text = whole.strip_suffix(")]").unwrap_or_default();
        match filter_groups(text) {
            None => cur.push(Node::Filter(Box::new(Filter {
                left: parse_action(text)?,
                right: vec![],
                op: "exists".into(),
            }))),
            Some((left, op, right)) => {
                let left = parse_action(left)?;
                let right = parse_action(right)?;
                cur.push(Node::Filter(Box::new(Filter { left, right, op: op.to_string() })));
            }
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> R<()> {
        loop {
            match self.next() {
                None | Some('\n') => return fail("unterminated quoted string"),
                Some(c) if c == end && !self.escaped() => break,
                Some(_) => {}
            }
        }
        let value = self.consume();
        let text =
            unquote(value).ok_or_else(|| JsonPathError(format!("unquote string {value} error invalid syntax")))?;
        cur.push(Node::Text(text));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) -> R<()> {
        self.consume();
        loop {
            match self.next() {
                Some('\\') => {
                    self.next();
                }
                r if is_terminator(r) => {
                    self.backup();
                    break;
                }
                _ => {}
            }
        }
        let value = self.consume();
        cur.push(if value == "*" { Node::Wildcard } else { Node::Field(value.replace('\\', "")) });
        Ok(())
    }
}

/// The groups of `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`: the first, then the digits after each
/// colon that is there (`None` for a group that is absent).
fn slice_groups(text: &str) -> Option<(&str, [Option<&str>; 2])> {
    /// `-?[0-9]*` at the front, and what follows.
    fn signed_digits(s: &str) -> (&str, &str) {
        let unsigned = s.strip_prefix('-').unwrap_or(s);
        let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
        // The sign and the digits are ASCII: the split falls between characters.
        s.split_at_checked(s.len() - unsigned.len() + digits).unwrap_or((s, ""))
    }
    let (first, mut rest) = signed_digits(text);
    let mut more = [None, None];
    for group in &mut more {
        if let Some(after) = rest.strip_prefix(':') {
            let (digits, tail) = signed_digits(after);
            *group = Some(digits);
            rest = tail;
        }
    }
    rest.is_empty().then_some((first, more))
}

/// The groups of `^([^!<>=]+)([!<>=]+)(.+?)$`: left side, operator, right side.
fn filter_groups(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let op_start = text.find(is_op).filter(|at| *at > 0)?;
    let (left, after) = text.split_at_checked(op_start)?;
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    // The right side needs at least one character (`.` stops at a newline, which a filter
    // cannot hold); give it the operator's last character when nothing else is left.
    let op_len = if op_len < after.len() {
        op_len
    } else if op_len >= 2 {
        op_len - 1
    } else {
        return None;
    };
    let (op, right) = after.split_at_checked(op_len)?;
    Some((left, op, right))
}

/// client-go's `UnquoteExtend`: Go's `strconv.UnquoteChar` rules for `"…"` and `'…'`.
/// `\xHH` above 0x7f gives a raw byte in Go; here it is replaced by U+FFFD when the result is
/// not UTF-8.
fn unquote(s: &str) -> Option<String> {
    let quote = s.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = s.strip_prefix(quote)?.strip_suffix(quote)?;
    if !inner.contains(['\\', quote]) {
        return Some(inner.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while !rest.is_empty() {
        let (bytes, tail) = unquote_char(rest, quote)?;
        out.extend_from_slice(&bytes);
        rest = tail;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// One character of a quoted string (`strconv.UnquoteChar`): its bytes and the rest. Go reads
/// the character after a backslash as a byte, so a backslash before anything but the escapes
/// below, a non-ASCII character included, is a syntax error.
fn unquote_char(s: &str, quote: char) -> Option<(Vec<u8>, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote {
        return None;
    }
    if c != '\\' {
        return Some((c.to_string().into_bytes(), chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = |v: u8| Some((vec![v], rest));
    match e {
        'a' => simple(0x07),
        'b' => simple(0x08),
        'f' => simple(0x0c),
        'n' => simple(b'\n'),
        'r' => simple(b'\r'),
        't' => simple(b'\t'),
        'v' => simple(0x0b),
        '\\' => simple(b'\\'),
        '\'' | '"' if e == quote => Some((vec![e as u8], rest)),
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let (digits, tail) = rest.split_at_checked(n)?;
            if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
                return None;
            }
            let v = u32::from_str_radix(digits, 16).ok()?;
            if e == 'x' {
                // A single byte, possibly not UTF-8 on its own.
                return Some((vec![u8::try_from(v).ok()?], tail));
            }
            let ch = char::from_u32(v)?;
            Some((ch.to_string().into_bytes(), tail))
        }
        '0'..='7' => {
            let (digits, tail) = rest.split_at_checked(2)?;
            let mut v = e.to_digit(8)?;
            for d in digits.chars() {
                v = (v << 3) | d.to_digit(8)?;
            }
            Some((vec![u8::try_from(v).ok()?], tail))
        }
        _ => None,
    }
}

/// client-go's `isTerminator`.
fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'),
    }
}

/// Go's `unicode.IsDigit` (decimal digits; outside ASCII, Rust's numeric class stands in).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// client-go's `isAlphaNumeric`: `_`, letters and digits.
fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || is_digit(c)
}

/// Go's `%#U`: `U+0041 'A'`, without the quoted rune when it is not printable.
fn go_rune(c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    let printable = c == ' ' || !(c.is_control() || c.is_whitespace() || is_format(c));
    if printable { format!("{code} '{c}'") } else { code }
}

/// Unicode format characters (zero-width and bidi controls), which Go does not print in `%#U`.
fn is_format(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
        | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
