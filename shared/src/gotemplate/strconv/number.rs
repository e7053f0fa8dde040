//! Go's number parsing (`strconv.ParseUint`, `ParseInt`, `ParseFloat`): base prefixes,
//! underscores, hexadecimal floats, and the syntax and range errors.

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
