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

    /// The byte before the last rune read (client-go looks at `input[pos-2]` for a backslash).
    fn escaped(&self) -> bool {
        self.pos >= 2 && self.input.as_bytes()[self.pos - 2] == b'\\'
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
        let mut text = &whole[1..whole.len() - 1];
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
        if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') && !text[1..text.len() - 1].contains('\'')
        {
            cur.extend(parse_action(&format!(".{}", &text[1..text.len() - 1]))?);
            return Ok(());
        }
        let Some(groups) = slice_groups(text) else {
            return fail(format!("invalid array index {text}"));
        };
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let mut value = groups[i];
            if !value.is_empty() {
                if i > 0 {
                    value = &value[1..];
                }
                if i > 0 && value.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value =
                        value.parse::<i64>().or_else(|_| fail(format!("array index {value} is not a number")))?;
                }
            } else if i == 1 {
                params[i] = Param { value: params[0].value.wrapping_add(1), known: true, derived: true };
            } else {
                params[i] = Param::default();
            }
        }
        cur.push(Node::Array(params));
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
        let text = &whole[..whole.len() - 2];
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

/// The groups of `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$` (an absent group is empty).
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    fn signed_digits(s: &str, from: usize) -> usize {
        let b = s.as_bytes();
        let mut i = from;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }
    let mut groups = [""; 3];
    let first = signed_digits(text, 0);
    groups[0] = &text[..first];
    let mut at = first;
    for g in &mut groups[1..] {
        if text.as_bytes().get(at) == Some(&b':') {
            let end = signed_digits(text, at + 1);
            *g = &text[at..end];
            at = end;
        }
    }
    (at == text.len()).then_some(groups)
}

/// The groups of `^([^!<>=]+)([!<>=]+)(.+?)$`: left side, operator, right side.
fn filter_groups(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let op_start = text.find(is_op)?;
    if op_start == 0 {
        return None;
    }
    let after = &text[op_start..];
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    // The right side needs at least one character (`.` stops at a newline, which a filter
    // cannot hold); give it the operator's last character when nothing else is left.
    let (op_len, right_start) = if op_len < after.len() {
        (op_len, op_start + op_len)
    } else if op_len >= 2 {
        (op_len - 1, op_start + op_len - 1)
    } else {
        return None;
    };
    Some((&text[..op_start], &text[op_start..op_start + op_len], &text[right_start..]))
}

/// client-go's `UnquoteExtend`: Go's `strconv.UnquoteChar` rules for `"…"` and `'…'`.
/// `\xHH` above 0x7f gives a raw byte in Go; here it is replaced by U+FFFD when the result is
/// not UTF-8.
fn unquote(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let n = b.len();
    if n < 2 || b[0] != b[n - 1] || (b[0] != b'"' && b[0] != b'\'') {
        return None;
    }
    let quote = b[0];
    let inner = &s[1..n - 1];
    if !inner.bytes().any(|c| c == b'\\' || c == quote) {
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

/// One character of a quoted string: its bytes and the rest.
fn unquote_char(s: &str, quote: u8) -> Option<(Vec<u8>, &str)> {
    let b = s.as_bytes();
    let c = b[0];
    if c == quote {
        return None;
    }
    if c >= 0x80 {
        let ch = s.chars().next()?;
        return Some((ch.to_string().into_bytes(), &s[ch.len_utf8()..]));
    }
    if c != b'\\' {
        return Some((vec![c], &s[1..]));
    }
    let e = *b.get(1)?;
    let rest = &s[2..];
    let simple = |v: u8| Some((vec![v], rest));
    match e {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0b),
        b'\\' => simple(b'\\'),
        b'\'' | b'"' if e == quote => simple(e),
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n)?;
            let v = u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|d| d.is_ascii_hexdigit()))?;
            let tail = &rest[n..];
            if e == b'x' {
                // A single byte, possibly not UTF-8 on its own.
                return Some((vec![v as u8], tail));
            }
            let ch = char::from_u32(v)?;
            Some((ch.to_string().into_bytes(), tail))
        }
        b'0'..=b'7' => {
            let digits = rest.as_bytes().get(..2)?;
            let mut v = u32::from(e - b'0');
            for d in digits {
                if !(b'0'..=b'7').contains(d) {
                    return None;
                }
                v = (v << 3) | u32::from(d - b'0');
            }
            if v > 255 {
                return None;
            }
            Some((vec![v as u8], &rest[2..]))
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
mod tests {
    use super::*;

    fn field(s: &str) -> Node {
        Node::Field(s.into())
    }

    #[test]
    fn the_grammar_is_client_gos() {
        assert_eq!(
            parse("hello {.a.b}!").unwrap(),
            vec![Node::Text("hello ".into()), Node::List(vec![field("a"), field("b")]), Node::Text("!".into())]
        );
        // `..name` is a descent then a field; three dots are two.
        assert_eq!(parse("{..x}").unwrap(), vec![Node::List(vec![Node::Recursive, field("x")])]);
        assert_eq!(parse("{...x}").unwrap(), parse("{..x}").unwrap());
        assert_eq!(parse("{....x}").unwrap_err().0, "invalid multiple recursive descent");
        // `['a.b']` is `.a.b` (kubernetes/kubectl#1535); escaped dots stay in one field.
        assert_eq!(parse("{['a.b']}").unwrap(), vec![Node::List(vec![field("a"), field("b")])]);
        assert_eq!(parse(r"{.a\.b}").unwrap(), vec![Node::List(vec![field("a.b")])]);
        // `[]` is `[0]`, `[*]` is `[:]`.
        let array = |p: [Param; 3]| vec![Node::List(vec![Node::Array(p)])];
        let known = |v| Param { value: v, known: true, derived: false };
        assert_eq!(
            parse("{[]}").unwrap(),
            array([Param::default(), Param { value: 1, known: true, derived: true }, Param::default()])
        );
        assert_eq!(parse("{[*]}").unwrap(), array([Param::default(); 3]));
        assert_eq!(parse("{[1:-1:2]}").unwrap(), array([known(1), known(-1), known(2)]));
        assert_eq!(parse("{[a]}").unwrap_err().0, "invalid array index a");
        assert_eq!(parse("{[-]}").unwrap_err().0, "array index - is not a number");
        assert_eq!(parse("{true}").unwrap(), vec![Node::List(vec![Node::Bool(true)])]);
        assert_eq!(parse("{1.5}").unwrap(), vec![Node::List(vec![Node::Float(1.5)])]);
        assert_eq!(parse("{+}").unwrap_err().0, "cannot parse number +");
        assert_eq!(parse("{.a").unwrap_err().0, "unclosed action");
        assert_eq!(parse("{#}").unwrap_err().0, "unrecognized character in action: U+0023 '#'");
        assert_eq!(parse("{\t}").unwrap_err().0, "unrecognized character in action: U+0009");
    }

    #[test]
    fn filters_split_as_client_go_does() {
        let f = |t: &str| match &parse(t).unwrap()[0] {
            Node::List(n) => match &n[0] {
                Node::Filter(f) => (f.left.clone(), f.op.clone(), f.right.clone()),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        assert_eq!(f(r#"{[?(@.a=="x)")]}"#), (vec![field("a")], "==".into(), vec![Node::Text("x)".into())]));
        assert_eq!(f("{[?(@.ready==true)]}").2, vec![Node::Bool(true)]);
        assert_eq!(f("{[?(@.a<>1)]}").1, "<>");
        assert_eq!(f("{[?(@.a)]}"), (vec![field("a")], "exists".into(), vec![]));
        // Nothing after the operator: the regexp gives the right side its last character.
        assert_eq!(parse("{[?(@.a==)]}").unwrap_err().0, "unrecognized character in action: U+003D '='");
        assert_eq!(parse("{[?(@.a==1]}").unwrap_err().0, "unterminated filter");
        assert_eq!(parse("{[?(@.a==1)x}").unwrap_err().0, "unclosed array expect ]");
    }

    #[test]
    fn quotes_unquote_like_strconv() {
        assert_eq!(unquote(r#""a\tb""#).as_deref(), Some("a\tb"));
        assert_eq!(unquote(r"'\u00e9'").as_deref(), Some("é"));
        assert_eq!(unquote(r"'\101'").as_deref(), Some("A"));
        assert_eq!(unquote(r#"'\"'"#), None, "a double quote may not be escaped inside single quotes");
        assert_eq!(unquote(r#""\q""#), None);
        assert_eq!(parse(r#"{"a\\"b"}"#).unwrap_err().0, r#"unquote string "a\\"b" error invalid syntax"#);
        assert_eq!(parse(r#"{"\n"}"#).unwrap(), vec![Node::List(vec![Node::Text("\n".into())])]);
    }
}
