//! Go's float formatting (`strconv.FormatFloat`): the `e`, `f`, `g` and `x` forms, shortest
//! or at a precision.

use super::quoting::LOWER_HEX;

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
