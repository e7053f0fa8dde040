//! The parser's unit tests (kept beside it to keep parse.rs to the grammar).
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

/// Issue 26: `\` then a non-ASCII character in a quoted string panicked (the byte after
/// the backslash was taken for a whole character). Go reads that byte, knows no such
/// escape, and answers with a syntax error; so does this.
#[test]
fn issue_26_a_backslash_before_a_non_ascii_character_is_invalid_syntax() {
    assert_eq!(parse(r#"{"\é"}"#).unwrap_err().0, r#"unquote string "\é" error invalid syntax"#);
    assert_eq!(parse(r"{'\€'}").unwrap_err().0, r"unquote string '\€' error invalid syntax");
    assert_eq!(parse(r#"{[?(@.a=="\é")]}"#).unwrap_err().0, r#"unquote string "\é" error invalid syntax"#);
    // The escapes that read digits meet the character where a digit should be.
    for bad in [r#""\xé""#, r#""\x1é""#, r#""\uéééé""#, r#""\U0001F60é""#, r#""\1é""#, r#""\12é""#] {
        assert_eq!(unquote(bad), None, "{bad}");
    }
    // A character after a complete escape is kept.
    assert_eq!(unquote(r#""\x41é""#).as_deref(), Some("Aé"));
    assert_eq!(unquote(r#""\101é\té""#).as_deref(), Some("Aé\té"));
    assert_eq!(unquote(r#""é\"""#).as_deref(), Some("é\""));
}

/// Every template below, with a multibyte character or a backslash put between any two of
/// its characters, parses or fails with a message: never a panic, and a failure points
/// inside the template.
#[test]
fn characters_anywhere_never_panic() {
    let templates = [
        r#"{"a\tb"}"#,
        r"{'x'}",
        "{.a.b[0:2:1]}",
        "{['a.b']}",
        r#"{[?(@.k=="v")].x}"#,
        "{[?(@.a<=1)]}",
        "{..name}",
        "{.a[1,2]}",
        r"{.a\.b}",
        "{range .items[*]}{.x}{end}",
        "{-1.5}",
        "{[-1:]}",
    ];
    for t in templates {
        let cuts: Vec<usize> = t.char_indices().map(|(i, _)| i).chain([t.len()]).collect();
        for at in cuts {
            let (before, after) = t.split_at(at);
            for insert in ["é", "\\", "\\é", "€", "😀", "'", "\""] {
                let mutated = format!("{before}{insert}{after}");
                if parse(&mutated).is_err() {
                    let offset = failure_offset(&mutated).expect("a failure has an offset");
                    assert!(mutated.is_char_boundary(offset), "{mutated:?}: offset {offset}");
                }
            }
        }
    }
}
