//! Which strings a YAML parser might read as something other than a string: the encoder's
//! `isTypeAmbiguous`, made of Go's `strconv.ParseBool`, `ParseInt(s, 0, 64)` and
//! `ParseFloat(s, 64)` (on the string without its underscores), YAML 1.1's sexagesimal numbers,
//! infinities, NaN, nulls and timestamps. Only map keys are quoted lazily, so only a key that is
//! otherwise plain (letters, digits, `_`, and `-./` inside) ever depends on it.

/// The encoder's `isTypeAmbiguous(s)`.
pub(super) fn is_type_ambiguous(s: &str) -> bool {
    let short = s.len() <= 5;
    if short && (s.is_empty() || s == "~" || lower_eq(s, "null")) {
        return true;
    }
    if matches!(s, "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False") {
        return true;
    }
    if short && ["true", "y", "yes", "on", "false", "n", "no", "off"].iter().any(|w| lower_eq(s, w)) {
        return true;
    }
    let plain: std::borrow::Cow<'_, str> =
        if s.contains('_') { s.chars().filter(|&c| c != '_').collect::<String>().into() } else { s.into() };
    if parses_as_int(&plain) || parses_as_float(&plain) {
        return true;
    }
    if is_sexagesimal(s) {
        return true;
    }
    if short && [".inf", "-.inf", "+.inf", ".nan"].iter().any(|w| lower_eq(s, w)) {
        return true;
    }
    is_date(s)
}

/// `strings.ToLower(s) == word` for an ASCII `word`: besides ASCII, Go lowers only U+0130 (İ)
/// to `i` and U+212A (Kelvin) to `k`.
fn lower_eq(s: &str, word: &str) -> bool {
    let mut chars = s.chars().map(|c| match c {
        '\u{130}' => 'i',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    word.chars().all(|w| chars.next() == Some(w)) && chars.next().is_none()
}

/// `strconv.ParseInt(s, 0, 64)` succeeds: a sign, then `0b`, `0o`, `0x` or a leading `0`
/// (octal) prefix, digits of that base, within `i64`.
fn parses_as_int(s: &str) -> bool {
    let b = s.as_bytes();
    let (negative, b) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if b.is_empty() {
        return false;
    }
    let (base, digits): (u64, &[u8]) = match b {
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'b') => (2, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'o') => (8, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'x') => (16, rest),
        [b'0', rest @ ..] => (8, rest),
        _ => (10, b),
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' => u64::from(c - b'a') + 10,
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return false,
        };
        if d >= base {
            return false;
        }
        match n.checked_mul(base).and_then(|n| n.checked_add(d)) {
            Some(next) => n = next,
            None => return false,
        }
    }
    let limit = if negative { 1u64 << 63 } else { (1u64 << 63) - 1 };
    n <= limit
}

/// `strconv.ParseFloat(s, 64)` succeeds: decimal or hexadecimal (with a `p` exponent) syntax,
/// `inf`, `infinity` (signed or not) or `nan`, and a value that does not round past the
/// largest finite double (1e400 is out of range; 1e-400 is 0, and fine).
fn parses_as_float(s: &str) -> bool {
    let b = s.as_bytes();
    let (signed, rest) = match b.first() {
        Some(b'+' | b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return true;
    }
    if !signed && rest.eq_ignore_ascii_case(b"nan") {
        return true;
    }
    match rest {
        [b'0', x, hex @ ..] if x.eq_ignore_ascii_case(&b'x') => hex_float_in_range(hex),
        _ => decimal_syntax(rest) && s.parse::<f64>().is_ok_and(f64::is_finite),
    }
}

/// Digits with at most one `.`, at least one digit, then an optional `e` exponent with digits.
fn decimal_syntax(b: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    let mut dot = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot => dot = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if i == b.len() {
        return true;
    }
    if !b[i].eq_ignore_ascii_case(&b'e') {
        return false;
    }
    exponent_digits(&b[i + 1..]).is_some()
}

/// An exponent: an optional sign and at least one digit, to the end; its value, saturated.
fn exponent_digits(b: &[u8]) -> Option<i64> {
    let (negative, digits) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |n, &d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
    Some(if negative { -value } else { value })
}

/// A hexadecimal mantissa (after `0x`) with at most one `.`, then a mandatory `p` exponent;
/// false when the value rounds past the largest double, 2^1024 - 2^970 and above.
fn hex_float_in_range(b: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    let mut dot = false;
    // The first 15 significant hex digits (60 bits), and the binary exponent of their last bit.
    let mut mantissa: u64 = 0;
    let mut kept = 0;
    let mut exp: i64 = 0;
    while let Some(&c) = b.get(i) {
        let d = match c {
            b'.' if !dot => {
                dot = true;
                i += 1;
                continue;
            }
            c if c.is_ascii_hexdigit() => u64::from((c as char).to_digit(16).unwrap_or(0)),
            _ => break,
        };
        digits += 1;
        i += 1;
        if mantissa == 0 && d == 0 {
            if dot {
                exp -= 4;
            }
            continue;
        }
        if kept < 15 {
            mantissa = mantissa << 4 | d;
            kept += 1;
            if dot {
                exp -= 4;
            }
        } else if !dot {
            exp += 4;
        }
    }
    if digits == 0 || !b.get(i).is_some_and(|c| c.eq_ignore_ascii_case(&b'p')) {
        return false;
    }
    let Some(p) = exponent_digits(&b[i + 1..]) else {
        return false;
    };
    if mantissa == 0 {
        return true;
    }
    let bits = i64::from(64 - mantissa.leading_zeros());
    let top = bits - 1 + exp + p;
    if top != 1023 {
        return top < 1023;
    }
    // At 2^1023, only a mantissa whose first 54 bits are all ones reaches the rounding boundary.
    bits < 54 || mantissa >> (bits - 54) != (1u64 << 54) - 1
}

/// YAML 1.1's sexagesimal numbers: `^[+-]?[1-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$`.
fn is_sexagesimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !matches!(b.get(i), Some(b'1'..=b'9')) {
        return false;
    }
    i += 1;
    while matches!(b.get(i), Some(b'0'..=b'9' | b'_')) {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        // One digit, or a digit 0-5 then a digit.
        match (b.get(i + 1), b.get(i + 2)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 3,
            (Some(b'0'..=b'9'), _) => i += 2,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while matches!(b.get(i), Some(b'0'..=b'9' | b'_')) {
            i += 1;
        }
    }
    i == b.len()
}

/// The encoder's timestamp check: four digits and `-`, then Go's `time.Parse` with layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (and a lower-case `t`), `2006-1-2 15:4:5.999999999` and
/// `2006-1-2`. All but the last need a `:`, which alone makes a key quoted; so only the date
/// is parsed here: a year, a month of one or two digits (1-12), a day of one or two digits that
/// exists in that month.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let [y0, y1, y2, y3, b'-', rest @ ..] = b else {
        return false;
    };
    if ![y0, y1, y2, y3].iter().all(|d| d.is_ascii_digit()) {
        return false;
    }
    let year = [y0, y1, y2, y3].iter().fold(0u32, |n, &&d| n * 10 + u32::from(d - b'0'));
    let Some((month, rest)) = one_or_two_digits(rest) else {
        return false;
    };
    let [b'-', rest @ ..] = rest else {
        return false;
    };
    let Some((day, rest)) = one_or_two_digits(rest) else {
        return false;
    };
    if !rest.is_empty() || !(1..=12).contains(&month) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

/// Go's `getnum(s, false)`: one digit, or two when two follow.
fn one_or_two_digits(b: &[u8]) -> Option<(u32, &[u8])> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => Some((u32::from(a - b'0') * 10 + u32::from(c - b'0'), rest)),
        [a @ b'0'..=b'9', rest @ ..] => Some((u32::from(a - b'0'), rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_numbers_and_dates_are_ambiguous() {
        for s in [
            "",
            "~",
            "NULL",
            "Null",
            "yes",
            "Y",
            "off",
            "On",
            "t",
            "False",
            "1234",
            "_1_2_3_4_",
            "0123",
            "0o777",
            "0xFF",
            "0x1e5",
            "08",
            "0b101",
            "1e10",
            "1E10",
            "1e-5",
            "1.5",
            "inf",
            "Infinity",
            "NaN",
            "0x1p-2",
            "0x1.8p3",
            "1e-400",
            "2006",
            "2006-1-2",
            "2024-02-29",
            "2006-01-02",
            "1:00",
            "1:2:3:4:5:00:00:01.02",
            "12345:59.59",
            ".INF",
            "-.inf",
            "-9223372036854775808",
            "0777777777777777777777777",
        ] {
            assert!(is_type_ambiguous(s), "{s:?} should be ambiguous");
        }
    }

    #[test]
    fn other_strings_are_not() {
        for s in [
            "regular",
            "abc123",
            "hello_world",
            "hello-world",
            "1:60",
            "12345:60.00",
            "1e400",
            "0x1p1024",
            "0x1.fffffffffffff8p1023",
            "0xffffffffffffffffff",
            // A fuzz campaign's input: Go's ParseInt answers ErrRange, so kubectl leaves it bare.
            "0x0ddddddddddddddddddddddddd",
            "0b",
            "0x",
            "+nan",
            "infin",
            "2023-02-29",
            "2006-13-1",
            "2006-1-32",
            "2006-1-2x",
            "yess",
            "nulls",
            "web-7d4b9c",
            "1.2.3",
            "0b11111111111111111111111111111111111111111111111111111111111111111",
        ] {
            assert!(!is_type_ambiguous(s), "{s:?} should not be ambiguous");
        }
    }

    #[test]
    fn the_largest_hex_double_is_in_range() {
        assert!(parses_as_float("0x1.fffffffffffffp1023"));
        assert!(parses_as_float("0x1.fffffffffffff7ffp1023"));
        assert!(parses_as_float("0x0.0000001p1051"));
        assert!(!parses_as_float("0x10p1020"));
    }

    #[test]
    fn go_lowers_two_non_ascii_letters_to_ascii() {
        assert!(lower_eq("\u{130}NF", "inf"));
        assert!(!lower_eq("nul", "null"));
        assert!(!lower_eq("nullx", "null"));
    }
}
