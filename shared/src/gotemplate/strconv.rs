//! Go's `strconv` and `unicode/utf8`, as far as text/template and fmt use them: runes of byte
//! strings (Go strings hold any bytes), quoting and unquoting, Go's number literals, and the
//! decimal, exponent and hexadecimal forms of a float64.

use super::unicode::is_print;

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

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

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

/// Why a number did not parse (`strconv.ErrSyntax`, `strconv.ErrRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Syntax,
    Range,
}

impl NumError {
    pub(crate) fn text(self) -> &'static str {
        match self {
            NumError::Syntax => "invalid syntax",
            NumError::Range => "value out of range",
        }
    }
}

fn lower(c: u8) -> u8 {
    c | (b'x' - b'X')
}

/// `underscoreOK`: underscores only between digits, or after a base prefix.
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut s = s;
    if let Some(b'+' | b'-') = s.first() {
        s = s.get(1..).unwrap_or_default();
    }
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s.first() == Some(&b'0') && matches!(s.get(1).map(|&c| lower(c)), Some(b'b' | b'o' | b'x')) {
        i = 2;
        saw = b'0';
        hex = s.get(1).map(|&c| lower(c)) == Some(b'x');
    }
    while let Some(&c) = s.get(i) {
        i += 1;
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_uint(s: &[u8]) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let s0 = s;
    let mut digits = s;
    let mut base: u64 = 10;
    if s.first() == Some(&b'0') {
        let second = s.get(1).map(|&c| lower(c));
        if s.len() >= 3 && second == Some(b'b') {
            base = 2;
            digits = s.get(2..).unwrap_or_default();
        } else if s.len() >= 3 && second == Some(b'o') {
            base = 8;
            digits = s.get(2..).unwrap_or_default();
        } else if s.len() >= 3 && second == Some(b'x') {
            base = 16;
            digits = s.get(2..).unwrap_or_default();
        } else {
            base = 8;
            digits = s.get(1..).unwrap_or_default();
        }
    }
    let cutoff = u64::MAX / base + 1;
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => c - b'0',
            _ if lower(c).is_ascii_lowercase() => lower(c) - b'a' + 10,
            _ => return Err(NumError::Syntax),
        };
        if u64::from(d) >= base {
            return Err(NumError::Syntax);
        }
        if n >= cutoff {
            return Err(NumError::Range);
        }
        n *= base;
        n = n.checked_add(u64::from(d)).ok_or(NumError::Range)?;
    }
    if underscores && !underscore_ok(s0) {
        return Err(NumError::Syntax);
    }
    Ok(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &[u8]) -> Result<i64, NumError> {
    let (neg, body) = match s.first() {
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let un = match parse_uint(body) {
        Ok(u) => u,
        Err(NumError::Range) => u64::MAX,
        Err(e) => return Err(e),
    };
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(NumError::Range);
    }
    if neg && un > cutoff {
        return Err(NumError::Range);
    }
    Ok(if neg { (un as i64).wrapping_neg() } else { un as i64 })
}

/// What `readFloat` finds in a literal.
struct FloatParts {
    mantissa: u64,
    exp: i64,
    neg: bool,
    trunc: bool,
    hex: bool,
}

/// `readFloat`: the parts of a decimal or hexadecimal float literal that spans all of `s`.
fn read_float(s: &[u8]) -> Option<FloatParts> {
    let mut underscores = false;
    let mut i = 0;
    let mut neg = false;
    match s.first() {
        Some(b'+') => i += 1,
        Some(b'-') => {
            i += 1;
            neg = true;
        }
        None => return None,
        _ => {}
    }
    let mut base: u64 = 10;
    let mut max_mant_digits = 19;
    let mut exp_char = b'e';
    let mut hex = false;
    if i + 2 < s.len() && s.get(i) == Some(&b'0') && s.get(i + 1).map(|&c| lower(c)) == Some(b'x') {
        base = 16;
        max_mant_digits = 16;
        i += 2;
        exp_char = b'p';
        hex = true;
    }
    let (mut sawdot, mut sawdigits) = (false, false);
    let (mut nd, mut nd_mant, mut dp): (i64, i64, i64) = (0, 0, 0);
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    while let Some(&c) = s.get(i) {
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
        } else if c.is_ascii_digit() {
            sawdigits = true;
            if c == b'0' && nd == 0 {
                dp -= 1;
                i += 1;
                continue;
            }
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa.wrapping_mul(base).wrapping_add(u64::from(c - b'0'));
                nd_mant += 1;
            } else if c != b'0' {
                trunc = true;
            }
        } else if base == 16 && (b'a'..=b'f').contains(&lower(c)) {
            sawdigits = true;
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa.wrapping_mul(16).wrapping_add(u64::from(lower(c) - b'a' + 10));
                nd_mant += 1;
            } else {
                trunc = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    if s.get(i).map(|&c| lower(c)) == Some(exp_char) {
        i += 1;
        let mut esign = 1;
        match s.get(i) {
            Some(b'+') => i += 1,
            Some(b'-') => {
                i += 1;
                esign = -1;
            }
            None => return None,
            _ => {}
        }
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let mut e: i64 = 0;
        while let Some(&c) = s.get(i) {
            if c == b'_' {
                underscores = true;
            } else if c.is_ascii_digit() {
                if e < 10000 {
                    e = e * 10 + i64::from(c - b'0');
                }
            } else {
                break;
            }
            i += 1;
        }
        dp += e * esign;
    } else if base == 16 {
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(s.get(..i).unwrap_or_default()) {
        return None;
    }
    (i == s.len()).then_some(FloatParts { mantissa, exp, neg, trunc, hex })
}

/// `atofHex`: the float64 nearest to mantissa × 2^exp, ties to even.
fn atof_hex(p: &FloatParts) -> Result<f64, NumError> {
    const MANTBITS: i64 = 52;
    const BIAS: i64 = -1023;
    let max_exp = (1 << 11) + BIAS - 2;
    let min_exp = BIAS + 1;
    let mut mantissa = p.mantissa;
    let mut exp = p.exp + MANTBITS;
    while mantissa != 0 && mantissa >> (MANTBITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if p.trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANTBITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    while mantissa > 1 && exp < min_exp - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1;
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANTBITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANTBITS == 0 {
        exp = BIAS;
    }
    let mut err = None;
    if exp > max_exp {
        mantissa = 1 << MANTBITS;
        exp = max_exp + 1;
        err = Some(NumError::Range);
    }
    let mut bits = mantissa & ((1 << MANTBITS) - 1);
    bits |= (((exp - BIAS) & ((1 << 11) - 1)) as u64) << MANTBITS;
    if p.neg {
        bits |= 1 << 63;
    }
    match err {
        Some(e) => Err(e),
        None => Ok(f64::from_bits(bits)),
    }
}

/// `strconv.ParseFloat(s, 64)` for the literals a template can hold.
pub(crate) fn parse_float(s: &[u8]) -> Result<f64, NumError> {
    let parts = read_float(s).ok_or(NumError::Syntax)?;
    if parts.hex {
        return atof_hex(&parts);
    }
    let cleaned: String = s.iter().filter(|&&c| c != b'_').map(|&c| char::from(c)).collect();
    let f: f64 = cleaned.parse().map_err(|_| NumError::Syntax)?;
    if f.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(f)
}

/// Decimal digits of a float: `digits[..nd]` with the decimal point after `dp` of them.
struct Digits {
    d: Vec<u8>,
    dp: i64,
}

impl Digits {
    fn nd(&self) -> i64 {
        self.d.len() as i64
    }
    fn at(&self, i: i64) -> u8 {
        usize::try_from(i).ok().and_then(|i| self.d.get(i)).copied().unwrap_or(b'0')
    }
}

/// Digits from Rust's `{:e}` form (`d.ddde-x`), trailing zeros dropped as Go's decimal does.
fn digits_of(e_form: &str) -> Digits {
    let (mant, exp) = e_form.split_once('e').unwrap_or((e_form, "0"));
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    let exp: i64 = exp.parse().unwrap_or(0);
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

fn fmt_e(out: &mut Vec<u8>, neg: bool, d: &Digits, prec: i64, fmt: u8) {
    if neg {
        out.push(b'-');
    }
    out.push(if d.nd() != 0 { d.at(0) } else { b'0' });
    if prec > 0 {
        out.push(b'.');
        for i in 1..=prec {
            out.push(if i < d.nd() { d.at(i) } else { b'0' });
        }
    }
    out.push(fmt);
    let mut exp = if d.nd() == 0 { 0 } else { d.dp - 1 };
    if exp < 0 {
        out.push(b'-');
        exp = -exp;
    } else {
        out.push(b'+');
    }
    if exp < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(exp.to_string().as_bytes());
}

fn fmt_f(out: &mut Vec<u8>, neg: bool, d: &Digits, prec: i64) {
    if neg {
        out.push(b'-');
    }
    if d.dp > 0 {
        for i in 0..d.dp {
            out.push(if i < d.nd() { d.at(i) } else { b'0' });
        }
    } else {
        out.push(b'0');
    }
    if prec > 0 {
        out.push(b'.');
        for i in 0..prec {
            let j = d.dp + i;
            out.push(if 0 <= j && j < d.nd() { d.at(j) } else { b'0' });
        }
    }
}

fn format_digits(out: &mut Vec<u8>, shortest: bool, neg: bool, d: &Digits, prec: i64, fmt: u8) {
    match fmt {
        b'e' | b'E' => fmt_e(out, neg, d, prec, fmt),
        b'f' => fmt_f(out, neg, d, prec),
        _ => {
            let mut eprec = prec;
            if eprec > d.nd() && d.nd() >= d.dp {
                eprec = d.nd();
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            let mut prec = prec;
            if exp < -4 || exp >= eprec {
                if prec > d.nd() {
                    prec = d.nd();
                }
                fmt_e(out, neg, d, prec - 1, fmt + b'e' - b'g');
                return;
            }
            if prec > d.dp {
                prec = d.nd();
            }
            fmt_f(out, neg, d, (prec - d.dp).max(0));
        }
    }
}

/// `strconv.AppendFloat(out, v, fmt, prec, 64)` for fmt in `beEfgGxX`; `prec < 0` is the
/// shortest form that reads back as `v`.
pub(crate) fn format_float(out: &mut Vec<u8>, v: f64, fmt: u8, prec: i64) {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let biased = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    if biased == 0x7FF {
        out.extend_from_slice(match (mant != 0, neg) {
            (true, _) => b"NaN".as_slice(),
            (false, true) => b"-Inf",
            (false, false) => b"+Inf",
        });
        return;
    }
    let mut exp = biased;
    if biased == 0 {
        exp += 1;
    } else {
        mant |= 1 << 52;
    }
    exp -= 1023;
    match fmt {
        b'b' => {
            if neg {
                out.push(b'-');
            }
            out.extend_from_slice(mant.to_string().as_bytes());
            out.push(b'p');
            let e = exp - 52;
            if e >= 0 {
                out.push(b'+');
            }
            out.extend_from_slice(e.to_string().as_bytes());
            return;
        }
        b'x' | b'X' => {
            fmt_x(out, prec, fmt, neg, mant, exp);
            return;
        }
        _ => {}
    }
    let abs = v.abs();
    if mant == 0 {
        format_digits(out, prec < 0, neg, &Digits { d: vec![], dp: 0 }, prec, fmt);
        return;
    }
    if prec < 0 {
        let d = digits_of(&format!("{abs:e}"));
        let prec = match fmt {
            b'e' | b'E' => (d.nd() - 1).max(0),
            b'f' => (d.nd() - d.dp).max(0),
            _ => d.nd(),
        };
        format_digits(out, true, neg, &d, prec, fmt);
        return;
    }
    // Rust's formatter panics on a precision near u16::MAX or past it; Go's reaches about
    // 10 000 000 (fmt's tooLarge). A double has at most 1074 fraction digits and 767
    // significant ones, so digits past 4096 are zeros: formatted up to it, padded after.
    let capped = |p: i64| usize::try_from(p).unwrap_or(0).min(4096);
    match fmt {
        b'f' => {
            if neg {
                out.push(b'-');
            }
            out.extend_from_slice(format!("{abs:.*}", capped(prec)).as_bytes());
            let pad = usize::try_from(prec).unwrap_or(0).saturating_sub(capped(prec));
            out.resize(out.len() + pad, b'0');
        }
        b'e' | b'E' => {
            let d = digits_of(&format!("{abs:.*e}", capped(prec)));
            format_digits(out, false, neg, &d, prec, fmt);
        }
        _ => {
            let prec = prec.max(1);
            let d = digits_of(&format!("{abs:.*e}", capped(prec - 1)));
            format_digits(out, false, neg, &d, prec, fmt);
        }
    }
}

/// `%x` of a float: `-0x1.8p+01`.
fn fmt_x(out: &mut Vec<u8>, prec: i64, fmt: u8, neg: bool, mant: u64, exp: i64) {
    let mut mant = mant;
    let mut exp = if mant == 0 { 0 } else { exp };
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8; 16] = if fmt == b'X' { b"0123456789ABCDEF" } else { LOWER_HEX };
    let hex = |n: u64| digits.get((n & 15) as usize).copied().unwrap_or(b'0');
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(&[b'0', fmt, b'0' + ((mant >> 60) & 1) as u8]);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push(b'.');
        while mant != 0 {
            out.push(hex(mant >> 60));
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push(b'.');
        for _ in 0..prec {
            out.push(hex(mant >> 60));
            mant <<= 4;
        }
    }
    out.push(if fmt == b'X' { b'P' } else { b'p' });
    if exp < 0 {
        out.push(b'-');
        exp = -exp;
    } else {
        out.push(b'+');
    }
    if exp < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(exp.to_string().as_bytes());
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
