//! Number literals (`newNumber`): which of int, uint, float and complex a literal can be, with
//! Go's conversions and error texts.

use crate::gotemplate::lex::{ItemType, Pos};
use crate::gotemplate::node::NumberNode;
use crate::gotemplate::strconv::{NumError, parse_float, parse_int, parse_uint, quote, unquote_char};
use crate::gotemplate::value::TWO_POW_63;

/// `newNumber`: the kinds a number literal can be read as.
pub(crate) fn new_number(pos: Pos, text: &str, typ: ItemType) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        float64: 0.0,
        complex: (0.0, 0.0),
        text: text.to_string(),
    };
    let b = text.as_bytes();
    match typ {
        ItemType::CharConstant => {
            let quote_char = b.first().copied().unwrap_or(b'\'');
            let Some((r, _, tail)) = unquote_char(b.get(1..).unwrap_or_default(), quote_char) else {
                return Err(NumError::Syntax.text().to_string());
            };
            if tail != b"'" {
                return Err(format!("malformed character constant: {text}"));
            }
            n.int64 = i64::from(r);
            n.is_int = true;
            n.is_uint = true;
            n.float64 = f64::from(r);
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            n.complex = scan_complex(text)?;
            n.is_complex = true;
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(head) = text.strip_suffix('i')
        && let Ok(f) = parse_float(head.as_bytes())
    {
        n.is_complex = true;
        n.complex = (0.0, f);
        simplify_complex(&mut n);
        return Ok(n);
    }
    let u = parse_uint(b);
    if let Ok(u) = u {
        n.is_uint = true;
        n.float64 = u as f64;
    }
    if let Ok(i) = parse_int(b) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
    } else if let Ok(f) = parse_float(b) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(b)));
        }
        n.is_float = true;
        n.float64 = f;
        if let Some(i) = exact_int64(f) {
            n.is_int = true;
            n.int64 = i;
        }
        if exact_uint64(f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", quote(b)));
    }
    Ok(n)
}

/// `float64(int64(f)) == f` as Go computes it on amd64: out of range is never equal.
fn exact_int64(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f)).then_some(f as i64)
}

/// `float64(uint64(f)) == f`, likewise.
fn exact_uint64(f: f64) -> bool {
    f.fract() == 0.0 && (0.0..2.0 * TWO_POW_63).contains(&f)
}

/// `simplifyComplex`: a complex number with no imaginary part is also a float, maybe an integer.
fn simplify_complex(n: &mut NumberNode) {
    n.is_float = n.complex.1 == 0.0;
    if n.is_float {
        n.float64 = n.complex.0;
        n.is_int = false;
        if let Some(i) = exact_int64(n.float64) {
            n.is_int = true;
            n.int64 = i;
        }
        n.is_uint = exact_uint64(n.float64);
    }
}

/// `fmt.Sscan(text, &complex128)` for the `1+2i` literals the lexer makes.
fn scan_complex(text: &str) -> Result<(f64, f64), String> {
    let b = text.as_bytes();
    let mut i = 0;
    let real = float_token(b, &mut i);
    let sign = match b.get(i) {
        Some(&c @ (b'+' | b'-')) => {
            i += 1;
            c
        }
        _ => return Err("syntax error scanning complex number".to_string()),
    };
    let imag_start = i;
    let _ = float_token(b, &mut i);
    let imag = b.get(imag_start..i).unwrap_or_default();
    if b.get(i) != Some(&b'i') {
        return Err("syntax error scanning complex number".to_string());
    }
    let mut imag_text = vec![sign];
    imag_text.extend_from_slice(imag);
    Ok((convert_float(real)?, convert_float(&imag_text)?))
}

/// `ss.floatToken`.
fn float_token<'b>(b: &'b [u8], i: &mut usize) -> &'b [u8] {
    let start = *i;
    let accept = |i: &mut usize, set: &[u8]| -> bool {
        match b.get(*i) {
            Some(c) if set.contains(c) => {
                *i += 1;
                true
            }
            _ => false,
        }
    };
    let mut j = *i;
    if accept(&mut j, b"nN") && accept(&mut j, b"aA") && accept(&mut j, b"nN") {
        *i = j;
        return b.get(start..*i).unwrap_or_default();
    }
    accept(i, b"+-");
    let mut j = *i;
    if accept(&mut j, b"iI") && accept(&mut j, b"nN") && accept(&mut j, b"fF") {
        *i = j;
        return b.get(start..*i).unwrap_or_default();
    }
    let mut digits: &[u8] = b"0123456789_";
    let mut exp: &[u8] = b"eEpP";
    if accept(i, b"0") && accept(i, b"xX") {
        digits = b"0123456789aAbBcCdDeEfF_";
        exp = b"pP";
    }
    while accept(i, digits) {}
    if accept(i, b".") {
        while accept(i, digits) {}
    }
    if accept(i, exp) {
        accept(i, b"+-");
        while accept(i, b"0123456789_") {}
    }
    b.get(start..*i).unwrap_or_default()
}

/// `ss.convertFloat`.
fn convert_float(s: &[u8]) -> Result<f64, String> {
    let has_x = s.iter().any(|&c| c == b'x' || c == b'X');
    if let Some(p) = s.iter().position(|&c| c == b'p')
        && !has_x
    {
        let head = s.get(..p).unwrap_or_default();
        let f = parse_float(head).map_err(|e| num_error("ParseFloat", s, e))?;
        let tail = std::str::from_utf8(s.get(p + 1..).unwrap_or_default()).unwrap_or("");
        let m: i32 = atoi(tail).map_err(|e| num_error("Atoi", s, e))?;
        return Ok(f * 2f64.powi(m));
    }
    parse_float(s).map_err(|e| num_error("ParseFloat", s, e))
}

fn atoi(s: &str) -> Result<i32, NumError> {
    let v = parse_int(s.as_bytes())?;
    if s.starts_with('0') && s.len() > 1 {
        // Atoi is base 10: no prefixes.
        return s.parse::<i32>().map_err(|_| NumError::Syntax);
    }
    i32::try_from(v).map_err(|_| NumError::Range)
}

fn num_error(func: &str, s: &[u8], e: NumError) -> String {
    format!("strconv.{func}: parsing {}: {}", quote(s), e.text())
}
