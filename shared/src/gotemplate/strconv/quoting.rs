//! Go's quoting and unquoting (`strconv.Quote`, `QuoteRune`, `CanBackquote`, `UnquoteChar`,
//! `Unquote`) of byte strings.

use super::{RUNE_ERROR, append_rune, decode_rune, is_print_rune, valid_rune};

pub(super) const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_digit(n: u32) -> u8 {
    LOWER_HEX.get((n & 0xF) as usize).copied().unwrap_or(b'0')
}

fn append_escaped_rune(out: &mut Vec<u8>, r: u32, quote: u8, ascii_only: bool) {
    if r == u32::from(quote) || r == u32::from(b'\\') {
        out.push(b'\\');
        out.push(r as u8);
        return;
    }
    if ascii_only {
        if r < 0x80 && is_print_rune(r) {
            out.push(r as u8);
            return;
        }
    } else if is_print_rune(r) {
        append_rune(out, i64::from(r));
        return;
    }
    match r {
        0x07 => out.extend_from_slice(b"\\a"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        0x0A => out.extend_from_slice(b"\\n"),
        0x0D => out.extend_from_slice(b"\\r"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0B => out.extend_from_slice(b"\\v"),
        _ if r < u32::from(b' ') || r == 0x7F => {
            out.extend_from_slice(b"\\x");
            out.push(hex_digit(r >> 4));
            out.push(hex_digit(r));
        }
        _ => {
            let r = if valid_rune(i64::from(r)) { r } else { RUNE_ERROR };
            if r < 0x10000 {
                out.extend_from_slice(b"\\u");
                for s in [12, 8, 4, 0] {
                    out.push(hex_digit(r >> s));
                }
            } else {
                out.extend_from_slice(b"\\U");
                for s in [28, 24, 20, 16, 12, 8, 4, 0] {
                    out.push(hex_digit(r >> s));
                }
            }
        }
    }
}

/// `strconv.Quote` (`ascii_only`: `QuoteToASCII`) of a byte string: invalid bytes as `\xNN`.
pub(crate) fn quote_to(out: &mut Vec<u8>, s: &[u8], ascii_only: bool) {
    out.push(b'"');
    let mut rest = s;
    while !rest.is_empty() {
        let (r, width) = decode_rune(rest);
        if width == 1 && r == RUNE_ERROR {
            out.extend_from_slice(b"\\x");
            let b = rest.first().copied().unwrap_or(0);
            out.push(hex_digit(u32::from(b) >> 4));
            out.push(hex_digit(u32::from(b)));
        } else {
            append_escaped_rune(out, r, b'"', ascii_only);
        }
        rest = rest.get(width.max(1)..).unwrap_or_default();
    }
    out.push(b'"');
}

/// `strconv.Quote` as a `String` (for error messages).
pub(crate) fn quote(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    quote_to(&mut out, s, false);
    String::from_utf8_lossy(&out).into_owned()
}

/// `strconv.QuoteRune` (`ascii_only`: `QuoteRuneToASCII`).
pub(crate) fn quote_rune_to(out: &mut Vec<u8>, r: i64, ascii_only: bool) {
    out.push(b'\'');
    let r = if valid_rune(r) { r as u32 } else { RUNE_ERROR };
    append_escaped_rune(out, r, b'\'', ascii_only);
    out.push(b'\'');
}

/// `strconv.CanBackquote`.
pub(crate) fn can_backquote(s: &[u8]) -> bool {
    let mut rest = s;
    while !rest.is_empty() {
        let (r, width) = decode_rune(rest);
        rest = rest.get(width.max(1)..).unwrap_or_default();
        if width > 1 {
            if r == 0xFEFF {
                return false;
            }
            continue;
        }
        if r == RUNE_ERROR {
            return false;
        }
        if (r < u32::from(b' ') && r != u32::from(b'\t')) || r == u32::from(b'`') || r == 0x7F {
            return false;
        }
    }
    true
}

fn unhex(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

/// `strconv.UnquoteChar`: the value, whether it is a multibyte rune, and the rest; `None` is
/// `ErrSyntax`.
pub(crate) fn unquote_char(s: &[u8], quote: u8) -> Option<(u32, bool, &[u8])> {
    let &c = s.first()?;
    if c == quote && (quote == b'\'' || quote == b'"') {
        return None;
    }
    if c >= 0x80 {
        let (r, size) = decode_rune(s);
        return Some((r, true, s.get(size..).unwrap_or_default()));
    }
    if c != b'\\' {
        return Some((u32::from(c), false, s.get(1..).unwrap_or_default()));
    }
    let &c = s.get(1)?;
    let mut rest = s.get(2..).unwrap_or_default();
    let mut multibyte = false;
    let value = match c {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0C,
        b'n' => 0x0A,
        b'r' => 0x0D,
        b't' => 0x09,
        b'v' => 0x0B,
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = (v << 4) | unhex(d)?;
            }
            rest = rest.get(n..).unwrap_or_default();
            if c != b'x' {
                if !valid_rune(i64::from(v)) {
                    return None;
                }
                multibyte = true;
            }
            v
        }
        b'0'..=b'7' => {
            let mut v = u32::from(c - b'0');
            let digits = rest.get(..2)?;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = (v << 3) | u32::from(d - b'0');
            }
            rest = rest.get(2..).unwrap_or_default();
            if v > 255 {
                return None;
            }
            v
        }
        b'\\' => u32::from(b'\\'),
        b'\'' | b'"' => {
            if c != quote {
                return None;
            }
            u32::from(c)
        }
        _ => return None,
    };
    Some((value, multibyte, rest))
}

/// `strconv.Unquote` of a quoted, raw or character literal; `None` is `ErrSyntax`.
pub(crate) fn unquote(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let quote = *b.first()?;
    let body = b.get(1..)?;
    let end = body.iter().position(|&c| c == quote)? + 2;
    let inner = |v: &[u8]| -> Vec<u8> { v.to_vec() };
    match quote {
        b'`' => {
            if end != b.len() {
                return None;
            }
            let raw = b.get(1..end - 1)?;
            Some(raw.iter().copied().filter(|&c| c != b'\r').collect())
        }
        b'"' | b'\'' => {
            let head = b.get(..end)?;
            if !head.contains(&b'\\') && !head.contains(&b'\n') {
                let middle = b.get(1..end - 1)?;
                let valid = match quote {
                    b'"' => std::str::from_utf8(middle).is_ok(),
                    _ => {
                        let (r, n) = decode_rune(middle);
                        2 + n == end && (r != RUNE_ERROR || n != 1)
                    }
                };
                if valid {
                    return (end == b.len()).then(|| inner(middle));
                }
            }
            let mut out = Vec::with_capacity(b.len());
            let mut rest = body;
            while let Some(&c) = rest.first() {
                if c == quote {
                    break;
                }
                if c == b'\n' {
                    return None;
                }
                let (r, multibyte, tail) = unquote_char(rest, quote)?;
                rest = tail;
                if r < 0x80 || !multibyte {
                    out.push(r as u8);
                } else {
                    append_rune(&mut out, i64::from(r));
                }
                if quote == b'\'' {
                    break;
                }
            }
            if rest.first() != Some(&quote) {
                return None;
            }
            (rest.len() == 1).then_some(out)
        }
        _ => None,
    }
}
