//! The functions a kubectl template can call: text/template's builtins (`funcs.go`) and
//! cli-runtime's `exists` and `base64decode`, with their Go signatures (which decide how
//! arguments are evaluated and what counts as a wrong argument) and their error texts.
//!
//! The signatures and the dispatch are here; `collections` (`index`, `slice`, `len`), `compare`,
//! `escape` and `kubectl` hold the functions by family.

mod collections;
mod compare;
mod escape;
mod kubectl;

use super::fmt::{sprint, sprintf, sprintln};
use super::node::Func;
use super::value::Val;

use collections::{index, length, slice};
use compare::{eq, le, lt};
use escape::{eval_args, html_escape, js_escape, query_escape};
use kubectl::{base64_decode, exists};

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
