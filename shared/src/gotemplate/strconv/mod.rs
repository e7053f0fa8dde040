//! Go's `strconv` and `unicode/utf8`, as far as text/template and fmt use them: runes of byte
//! strings (Go strings hold any bytes), quoting and unquoting, Go's number literals, and the
//! decimal, exponent and hexadecimal forms of a float64.
//!
//! Runes are here; quoting is in `quoting`, number parsing in `number`, float formatting in
//! `ftoa`.

mod ftoa;
mod number;
mod quoting;

use super::unicode::is_print;

pub(crate) use ftoa::format_float;
pub(crate) use number::{NumError, parse_float, parse_int, parse_uint};
pub(crate) use quoting::{can_backquote, quote, quote_rune_to, quote_to, unquote, unquote_char};

/// `utf8.RuneError`.
pub(crate) const RUNE_ERROR: u32 = 0xFFFD;
/// `unicode.MaxRune`.
pub(crate) const MAX_RUNE: u32 = 0x10FFFF;

/// `utf8.DecodeRune`: the first rune and its width; an invalid byte is `RuneError` of width 1,
/// nothing is `RuneError` of width 0.
pub(crate) fn decode_rune(b: &[u8]) -> (u32, usize) {
    match b.utf8_chunks().next() {
        Some(chunk) => match chunk.valid().chars().next() {
            Some(c) => (c as u32, c.len_utf8()),
            None => (RUNE_ERROR, 1),
        },
        None => (RUNE_ERROR, 0),
    }
}

/// `utf8.RuneCount`: an invalid byte counts as one rune.
pub(crate) fn rune_count(b: &[u8]) -> usize {
    b.utf8_chunks().map(|c| c.valid().chars().count() + c.invalid().len()).sum()
}

/// `utf8.ValidRune`.
pub(crate) fn valid_rune(r: i64) -> bool {
    (0..0xD800).contains(&r) || (0xE000..=i64::from(MAX_RUNE)).contains(&r)
}

/// `utf8.AppendRune`: an invalid rune is written as `RuneError`.
pub(crate) fn append_rune(out: &mut Vec<u8>, r: i64) {
    let c = u32::try_from(r).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

fn is_print_rune(r: u32) -> bool {
    char::from_u32(r).is_some_and(is_print)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64, fmt: u8, prec: i64) -> String {
        let mut out = vec![];
        format_float(&mut out, v, fmt, prec);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn floats_format_as_go_does() {
        assert_eq!(f(1e6, b'g', -1), "1e+06");
        assert_eq!(f(123456.0, b'g', -1), "123456");
        assert_eq!(f(0.0001, b'g', -1), "0.0001");
        assert_eq!(f(0.00001, b'g', -1), "1e-05");
        assert_eq!(f(0.0, b'g', -1), "0");
        assert_eq!(f(-0.0, b'g', -1), "-0");
        assert_eq!(f(2.5, b'f', 0), "2");
        assert_eq!(f(0.0, b'e', 6), "0.000000e+00");
        assert_eq!(f(1.0, b'g', 3), "1");
        assert_eq!(f(1000.0, b'g', 3), "1e+03");
        assert_eq!(f(1.5, b'x', -1), "0x1.8p+00");
        assert_eq!(f(1.0, b'b', -1), "4503599627370496p-52");
        assert_eq!(f(1e300 * 10.0, b'e', 2), "1.00e+301");
    }

    #[test]
    fn literals_parse_as_go_parses_them() {
        assert_eq!(parse_uint(b"0x1_0"), Ok(16));
        assert_eq!(parse_uint(b"073"), Ok(59));
        assert_eq!(parse_uint(b"089"), Err(NumError::Syntax));
        assert_eq!(parse_int(b"-0x10"), Ok(-16));
        assert_eq!(parse_float(b"0x1p4"), Ok(16.0));
        assert_eq!(parse_float(b"1_000.5"), Ok(1000.5));
        assert_eq!(parse_float(b"0x123."), Err(NumError::Syntax));
        assert_eq!(parse_float(b"1e400"), Err(NumError::Range));
        assert_eq!(unquote("\"a\\tb\""), Some(b"a\tb".to_vec()));
        assert_eq!(unquote("`a\r\nb`"), Some(b"a\nb".to_vec()));
        assert_eq!(unquote("\"\\xff\""), Some(vec![0xff]));
        assert_eq!(unquote("\"a\"b\""), None);
        assert_eq!(quote(b"a\x00\xff\xe2\x98\x83"), "\"a\\x00\\xff\u{2603}\"");
    }
}
