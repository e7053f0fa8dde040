//! The escapers `html`, `js` and `urlquery`, and how they print their arguments.

use crate::gotemplate::fmt::sprint;
use crate::gotemplate::strconv::decode_rune;
use crate::gotemplate::unicode::is_print;
use crate::gotemplate::value::{Str, Val};

/// `evalArgs`: one string as is; anything else printed, a nil as `<no value>`.
pub(super) fn eval_args(args: Vec<Val>) -> Vec<u8> {
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
