//! The functions a kubectl template can call: text/template's builtins (`funcs.go`) and
//! cli-runtime's `exists` and `base64decode`, with their Go signatures (which decide how
//! arguments are evaluated and what counts as a wrong argument) and their error texts.

use super::exec::{value_s, value_v};
use super::fmt::{sprint, sprintf, sprintln};
use super::node::Func;
use super::strconv::decode_rune;
use super::unicode::is_print;
use super::value::{Kind, Str, Val};

/// A parameter type: `reflect.Value` (the value as is), `any` (what it holds), `string`; `Nil`
/// is no type (the pipeline before a field chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Value,
    Any,
    Str,
    Nil,
}

pub(crate) struct Signature {
    pub(crate) params: &'static [Ty],
    pub(crate) variadic: bool,
}

pub(crate) fn signature(f: Func) -> Signature {
    use Ty::*;
    let (params, variadic): (&'static [Ty], bool) = match f {
        Func::And | Func::Or | Func::Call | Func::Index | Func::Slice | Func::Eq => (&[Value, Value], true),
        Func::Html | Func::Js | Func::Urlquery | Func::Print | Func::Println => (&[Any], true),
        Func::Printf => (&[Str, Any], true),
        Func::Len | Func::Not => (&[Value], false),
        Func::Ne | Func::Lt | Func::Le | Func::Gt | Func::Ge => (&[Value, Value], false),
        Func::Exists => (&[Any, Any], true),
        Func::Base64decode => (&[Str], false),
    };
    Signature { params, variadic }
}

type R<'a> = Result<Val<'a>, String>;

/// An `any` parameter holds the value inside an interface.
fn any(v: Val) -> Val {
    v.indirect_interface()
}

pub(crate) fn call_builtin(f: Func, argv: Vec<Val<'_>>) -> R<'_> {
    let mut it = argv.into_iter();
    let mut next = || it.next().unwrap_or(Val::Invalid);
    match f {
        Func::Index => {
            let item = next();
            index(item, it.collect())
        }
        Func::Slice => {
            let item = next();
            slice(item, it.collect())
        }
        Func::Len => length(next()),
        Func::Not => Ok(Val::Bool(!next().indirect_interface().truth())),
        Func::Eq => {
            let a = next();
            eq(a, it.collect()).map(Val::Bool)
        }
        Func::Ne => eq(next(), vec![next()]).map(|b| Val::Bool(!b)),
        Func::Lt => lt(next(), next()).map(Val::Bool),
        Func::Le => le(next(), next()).map(Val::Bool),
        Func::Gt => le(next(), next()).map(|b| Val::Bool(!b)),
        Func::Ge => lt(next(), next()).map(|b| Val::Bool(!b)),
        Func::Print => Ok(Val::string(sprint(&it.map(any).collect::<Vec<_>>()))),
        Func::Println => Ok(Val::string(sprintln(&it.map(any).collect::<Vec<_>>()))),
        Func::Printf => {
            let format = next();
            let args: Vec<Val> = it.map(any).collect();
            let format = match &format {
                Val::Str(s) => s.bytes(),
                _ => b"",
            };
            Ok(Val::string(sprintf(format, &args)))
        }
        Func::Html => Ok(Val::string(html_escape(&eval_args(it.map(any).collect())))),
        Func::Js => Ok(Val::string(js_escape(&eval_args(it.map(any).collect())))),
        Func::Urlquery => Ok(Val::string(query_escape(&eval_args(it.map(any).collect())))),
        Func::Exists => {
            let item = any(next());
            Ok(Val::Bool(exists(item, it.map(any).collect())))
        }
        Func::Base64decode => match next() {
            Val::Str(s) => base64_decode(s.bytes())
                .map(Val::string)
                .map_err(|at| format!("base64 decode failed: illegal base64 data at input byte {at}")),
            _ => Ok(Val::string(vec![])),
        },
        // Evaluated by the caller.
        Func::And | Func::Or | Func::Call => Ok(Val::Invalid),
    }
}

/// `call`: JSON holds no functions, so this is Go's error for whatever it was given.
pub(crate) fn call<'a>(callee: &str, f: Val<'a>) -> R<'a> {
    let f = f.indirect_interface();
    match f.type_name() {
        None => Err("call of nil".to_string()),
        Some(t) => Err(format!("non-function {callee} of type {t}")),
    }
}

/// `indexArg`: an integer index within `cap`.
fn index_arg(index: &Val, cap: usize) -> Result<usize, String> {
    let x = match index {
        Val::Int(i) | Val::Int64(i) => *i,
        Val::Uint8(u) => i64::from(*u),
        Val::Invalid => return Err("cannot index slice/array with nil".to_string()),
        other => {
            return Err(format!("cannot index slice/array with type {}", other.type_name().unwrap_or("<nil>")));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> R<'a> {
    let mut item = item.indirect_interface();
    if !item.is_valid() {
        return Err("index of untyped nil".to_string());
    }
    for index in indexes {
        let index = index.indirect_interface();
        let (it, is_nil) = item.indirect();
        if is_nil {
            return Err("index of nil pointer".to_string());
        }
        item = match it {
            Val::Slice(s) => {
                let x = index_arg(&index, s.len)?;
                if x >= s.len {
                    return Err("reflect: slice index out of range".to_string());
                }
                Val::Iface(s.get(x))
            }
            Val::Str(s) => {
                let x = index_arg(&index, s.bytes().len())?;
                match s.bytes().get(x) {
                    Some(&b) => Val::Uint8(b),
                    None => return Err("reflect: string index out of range".to_string()),
                }
            }
            Val::Map(m) => {
                let key = match &index {
                    Val::Invalid => return Err("value is nil; should be of type string".to_string()),
                    Val::Str(k) => k.bytes().to_vec(),
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name().unwrap_or("<nil>")
                        ));
                    }
                };
                let found = std::str::from_utf8(&key).ok().and_then(|k| m.get(k));
                Val::Iface(found.unwrap_or(&super::value::NULL))
            }
            other => {
                return Err(format!("can't index item of type {}", other.type_name().unwrap_or("<nil>")));
            }
        };
    }
    Ok(item)
}

fn slice<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> R<'a> {
    let item = item.indirect_interface();
    if !item.is_valid() {
        return Err("slice of untyped nil".to_string());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match &item {
        Val::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            (s.bytes().len(), s.bytes().len())
        }
        Val::Slice(s) => (s.len, s.cap),
        other => return Err(format!("can't slice item of type {}", other.type_name().unwrap_or("<nil>"))),
    };
    let mut idx = [0, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        let x = index_arg(index, cap)?;
        if let Some(slot) = idx.get_mut(i) {
            *slot = x;
        }
    }
    let [i, j, k] = idx;
    if i > j {
        return Err(format!("invalid slice index: {i} > {j}"));
    }
    if indexes.len() < 3 {
        return Ok(match item {
            Val::Str(s) => match s {
                Str::Borrowed(b) => Val::Str(Str::Borrowed(b.get(i..j).unwrap_or_default())),
                Str::Owned(b) => Val::string(b.get(i..j).unwrap_or_default().to_vec()),
            },
            Val::Slice(s) => Val::Slice(s.window(i, j, cap)),
            other => other,
        });
    }
    if j > k {
        return Err(format!("invalid slice index: {j} > {k}"));
    }
    Ok(match item {
        Val::Slice(s) => Val::Slice(s.window(i, j, k)),
        other => other,
    })
}

fn length<'a>(item: Val<'a>) -> R<'a> {
    let (item, is_nil) = item.indirect();
    if is_nil {
        return Err("len of nil pointer".to_string());
    }
    match item.len() {
        Some(n) => Ok(Val::Int(n as i64)),
        None => match item.type_name() {
            None => Err("reflect: call of reflect.Value.Type on zero Value".to_string()),
            Some(t) => Err(format!("len of type {t}")),
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BasicKind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Val) -> BasicKind {
    match v.kind() {
        Kind::Bool => BasicKind::Bool,
        Kind::Int | Kind::Int64 => BasicKind::Int,
        Kind::Uint8 => BasicKind::Uint,
        Kind::Float64 => BasicKind::Float,
        Kind::Complex128 => BasicKind::Complex,
        Kind::String => BasicKind::String,
        _ => BasicKind::Invalid,
    }
}

fn int_of(v: &Val) -> i64 {
    v.int_like().unwrap_or(0)
}

fn uint_of(v: &Val) -> u64 {
    match v {
        Val::Uint8(u) => u64::from(*u),
        _ => 0,
    }
}

fn float_of(v: &Val) -> f64 {
    match v {
        Val::Float(f) => *f,
        _ => 0.0,
    }
}

fn complex_of(v: &Val) -> (f64, f64) {
    match v {
        Val::Complex(re, im) => (*re, *im),
        _ => (0.0, 0.0),
    }
}

fn str_of<'v>(v: &'v Val) -> &'v [u8] {
    match v {
        Val::Str(s) => s.bytes(),
        _ => b"",
    }
}

fn type_of(v: &Val) -> &'static str {
    v.type_name().unwrap_or("<nil>")
}

fn eq<'a>(arg1: Val<'a>, arg2: Vec<Val<'a>>) -> Result<bool, String> {
    let arg1 = arg1.indirect_interface();
    if arg2.is_empty() {
        return Err("missing argument for comparison".to_string());
    }
    let k1 = basic_kind(&arg1);
    for arg in arg2 {
        let arg = arg.indirect_interface();
        let k2 = basic_kind(&arg);
        let mut truth = false;
        if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => {
                    truth = int_of(&arg1) >= 0 && int_of(&arg1) as u64 == uint_of(&arg)
                }
                (BasicKind::Uint, BasicKind::Int) => truth = int_of(&arg) >= 0 && uint_of(&arg1) == int_of(&arg) as u64,
                _ => {
                    if arg1.is_valid() && arg.is_valid() {
                        return Err(format!(
                            "incompatible types for comparison: {} and {}",
                            type_of(&arg1),
                            type_of(&arg)
                        ));
                    }
                }
            }
        } else {
            truth = match k1 {
                BasicKind::Bool => matches!((&arg1, &arg), (Val::Bool(a), Val::Bool(b)) if a == b),
                BasicKind::Complex => complex_of(&arg1) == complex_of(&arg),
                BasicKind::Float => float_of(&arg1) == float_of(&arg),
                BasicKind::Int => int_of(&arg1) == int_of(&arg),
                BasicKind::String => str_of(&arg1) == str_of(&arg),
                BasicKind::Uint => uint_of(&arg1) == uint_of(&arg),
                BasicKind::Invalid => {
                    let can_compare = arg1.kind() == arg.kind() || !arg1.is_valid() || !arg.is_valid();
                    if !can_compare {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            value_s(&arg1),
                            type_of(&arg1),
                            type_of(&arg),
                            value_v(&arg)
                        ));
                    }
                    if !arg1.is_valid() || !arg.is_valid() {
                        !arg1.is_valid() && !arg.is_valid()
                    } else {
                        return Err(format!("non-comparable type {}: {}", value_s(&arg), type_of(&arg)));
                    }
                }
            };
        }
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: Val, arg2: Val) -> Result<bool, String> {
    let arg1 = arg1.indirect_interface();
    let k1 = basic_kind(&arg1);
    if k1 == BasicKind::Invalid {
        return Err("invalid type for comparison".to_string());
    }
    let arg2 = arg2.indirect_interface();
    let k2 = basic_kind(&arg2);
    if k2 == BasicKind::Invalid {
        return Err("invalid type for comparison".to_string());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => Ok(int_of(&arg1) < 0 || (int_of(&arg1) as u64) < uint_of(&arg2)),
            (BasicKind::Uint, BasicKind::Int) => Ok(int_of(&arg2) >= 0 && uint_of(&arg1) < int_of(&arg2) as u64),
            _ => Err(format!("incompatible types for comparison: {} and {}", type_of(&arg1), type_of(&arg2))),
        };
    }
    Ok(match k1 {
        BasicKind::Bool | BasicKind::Complex | BasicKind::Invalid => {
            return Err("invalid type for comparison".to_string());
        }
        BasicKind::Float => float_of(&arg1) < float_of(&arg2),
        BasicKind::Int => int_of(&arg1) < int_of(&arg2),
        BasicKind::String => str_of(&arg1) < str_of(&arg2),
        BasicKind::Uint => uint_of(&arg1) < uint_of(&arg2),
    })
}

fn le(arg1: Val, arg2: Val) -> Result<bool, String> {
    if lt(arg1.clone(), arg2.clone())? {
        return Ok(true);
    }
    eq(arg1, vec![arg2])
}

/// `evalArgs`: one string as is; anything else printed, a nil as `<no value>`.
fn eval_args(args: Vec<Val>) -> Vec<u8> {
    if let [Val::Str(s)] = args.as_slice() {
        return s.bytes().to_vec();
    }
    let args: Vec<Val> =
        args.into_iter().map(|a| if a.is_valid() { a } else { Val::Str(Str::Borrowed(b"<no value>")) }).collect();
    sprint(&args)
}

/// `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub(crate) fn js_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let special = matches!(c, b'\\' | b'\'' | b'"' | b'<' | b'>' | b'&' | b'=') || !(b' '..0x80).contains(&c);
        if !special {
            out.push(c);
            i += 1;
            continue;
        }
        if c < 0x80 {
            match c {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'<' => out.extend_from_slice(b"\\u003C"),
                b'>' => out.extend_from_slice(b"\\u003E"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                b'=' => out.extend_from_slice(b"\\u003D"),
                _ => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0'));
                    out.push(HEX.get(usize::from(c & 0xF)).copied().unwrap_or(b'0'));
                }
            }
            i += 1;
            continue;
        }
        let rest = s.get(i..).unwrap_or_default();
        let (r, size) = decode_rune(rest);
        let size = size.max(1);
        if char::from_u32(r).is_some_and(is_print) {
            out.extend_from_slice(rest.get(..size).unwrap_or_default());
        } else {
            out.extend_from_slice(format!("\\u{r:04X}").as_bytes());
        }
        i += size;
    }
    out
}

/// `url.QueryEscape`.
pub(crate) fn query_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(c),
            b' ' => out.push(b'+'),
            _ => {
                out.push(b'%');
                out.push(HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(c & 0xF)).copied().unwrap_or(b'0'));
            }
        }
    }
    out
}

/// cli-runtime's `exists`: whether `index` could go down these indexes.
fn exists(item: Val, indices: Vec<Val>) -> bool {
    let mut v = item;
    for index in indices {
        let (it, is_nil) = v.indirect();
        if is_nil {
            return false;
        }
        v = match it {
            Val::Slice(s) => match index.int_like().filter(|&x| x >= 0 && (x as u64) < s.len as u64) {
                Some(x) => Val::Iface(s.get(x as usize)),
                None => return false,
            },
            Val::Str(s) => {
                match index.int_like().and_then(|x| usize::try_from(x).ok()).and_then(|x| s.bytes().get(x)) {
                    Some(&b) => Val::Uint8(b),
                    None => return false,
                }
            }
            Val::Map(m) => {
                let key: Vec<u8> = match &index {
                    Val::Invalid => vec![],
                    Val::Str(k) => k.bytes().to_vec(),
                    _ => return false,
                };
                let found = std::str::from_utf8(&key).ok().and_then(|k| m.get(k));
                Val::Iface(found.unwrap_or(&super::value::NULL))
            }
            _ => return false,
        };
    }
    !v.indirect().1
}

/// `base64.StdEncoding.DecodeString`, or the offset Go's `CorruptInputError` names.
pub(crate) fn base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let at = |i: usize| src.get(i).copied();
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err = None;
        while j < 4 {
            let Some(c) = at(si) else {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            };
            si += 1;
            if let Some(v) = value(c) {
                if let Some(slot) = dbuf.get_mut(j) {
                    *slot = v;
                }
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while matches!(at(si), Some(b'\n' | b'\r')) {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if at(si) != Some(b'=') {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while matches!(at(si), Some(b'\n' | b'\r')) {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let [a, b, c, d] = dbuf;
        let val = (a << 18) | (b << 12) | (c << 6) | d;
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(bytes.get(..dlen - 1).unwrap_or_default());
        if let Some(e) = trailing_err {
            return Err(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_and_fails_where_go_does() {
        assert_eq!(base64_decode(b"aHVudGVy"), Ok(b"hunter".to_vec()));
        assert_eq!(base64_decode(b"aHVu\ndGVy"), Ok(b"hunter".to_vec()));
        assert_eq!(base64_decode(b"QQ=="), Ok(b"A".to_vec()));
        assert_eq!(base64_decode(b"QQ"), Err(0));
        assert_eq!(base64_decode(b"--THIS"), Err(0));
        assert_eq!(base64_decode(b"QUJD!"), Err(4));
        assert_eq!(base64_decode(b"QQ==QQ=="), Err(4));
    }

    #[test]
    fn escapers_escape_as_go_does() {
        assert_eq!(html_escape(b"<a href='x'>&\"</a>"), b"&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;".to_vec());
        assert_eq!(js_escape("a'b\"c<\u{2028}=\n".as_bytes()), b"a\\'b\\\"c\\u003C\\u2028\\u003D\\u000A".to_vec());
        assert_eq!(query_escape(b"a b&c=d/e"), b"a+b%26c%3Dd%2Fe".to_vec());
    }
}
