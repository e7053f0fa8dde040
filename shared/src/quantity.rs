//! Kubernetes quantities (`100m`, `1.5Gi`, `2e3`) as apimachinery's `resource.ParseQuantity`
//! reads them and `Quantity.Cmp` orders them: for cols' `--sort-by` (kubectl sorts two strings
//! by value when both parse as quantities) and for trace-svc's resource arithmetic (requests
//! summed and set against what nodes can allocate).
//!
//! The value is kept exactly (a decimal with an exponent), rounded up to the nano as
//! apimachinery rounds, binary-suffixed values capped at 2^63-1 as it caps them.
//!
//! Quantities come from users (`--sort-by` values) and the cluster: the text is split at
//! checked places only (the lints below hold this file to it).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::cmp::Ordering;

/// An exact decimal: `digits × 10^exp`, negative when `neg`; no leading or trailing zeros
/// (zero has no digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

/// The parts `parseQuantityString` splits a quantity into.
struct Parts<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

fn split(s: &str) -> Option<Parts<'_>> {
    let (positive, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (false, rest),
        None => (true, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = unsigned.trim_start_matches('0');
    if rest.is_empty() {
        return Some(Parts { positive, num: "0", denom: "", suffix: "" });
    }
    let (num, rest) = ascii_run(rest, |b| b.is_ascii_digit());
    if rest.is_empty() {
        return Some(Parts { positive, num, denom: "", suffix: "" });
    }
    let num = if num.is_empty() { "0" } else { num };
    let mut denom = "";
    let mut suffix = rest;
    if let Some(fraction) = rest.strip_prefix('.') {
        (denom, suffix) = ascii_run(fraction, |b| b.is_ascii_digit());
        if suffix.is_empty() {
            return Some(Parts { positive, num, denom, suffix });
        }
    }
    let (_, after_letters) = ascii_run(suffix, |b| b"eEinumkKMGTP".contains(&b));
    let signed = after_letters.strip_prefix(['-', '+']).unwrap_or(after_letters);
    let (_, left) = ascii_run(signed, |b| b.is_ascii_digit());
    // A character that fits no suffix: not a quantity.
    left.is_empty().then_some(Parts { positive, num, denom, suffix })
}

/// The leading run of ASCII bytes that `keep` accepts, and the rest. The run is ASCII, so the
/// split falls between characters.
fn ascii_run(s: &str, keep: impl Fn(u8) -> bool) -> (&str, &str) {
    let n = s.bytes().take_while(|b| b.is_ascii() && keep(*b)).count();
    s.split_at_checked(n).unwrap_or((s, ""))
}

/// The suffix's base and exponent, and whether it is binary (`Ki`…`Ei`).
fn interpret(suffix: &str) -> Option<(u32, i64, bool)> {
    let dec = match suffix {
        "n" => Some(-9),
        "u" => Some(-6),
        "m" => Some(-3),
        "" => Some(0),
        "k" => Some(3),
        "M" => Some(6),
        "G" => Some(9),
        "T" => Some(12),
        "P" => Some(15),
        "E" => Some(18),
        _ => None,
    };
    if let Some(e) = dec {
        return Some((10, e, false));
    }
    let bin = match suffix {
        "Ki" => Some(10),
        "Mi" => Some(20),
        "Gi" => Some(30),
        "Ti" => Some(40),
        "Pi" => Some(50),
        "Ei" => Some(60),
        _ => None,
    };
    if let Some(e) = bin {
        return Some((2, e, true));
    }
    if let Some(exponent) = suffix.strip_prefix(['e', 'E']).filter(|e| !e.is_empty()) {
        // strconv.ParseInt, then Go's int32 conversion (which wraps).
        let parsed: i64 = exponent.parse().ok()?;
        return Some((10, i64::from(parsed as i32), false));
    }
    None
}

/// A quantity in its base unit (cores, bytes…) as a float; `None` when it is not one.
pub fn value(s: &str) -> Option<f64> {
    Quantity::parse(s).map(|q| q.to_f64())
}

impl Quantity {
    /// `resource.ParseQuantity`, or `None` where it returns an error.
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() {
            return None;
        }
        if s == "0" {
            return Some(Quantity::zero());
        }
        let parts = split(s)?;
        let (base, exponent, binary) = interpret(parts.suffix)?;
        let mut digits: Vec<u8> = parts.num.bytes().chain(parts.denom.bytes()).map(|b| b - b'0').collect();
        let mut exp = -(parts.denom.len() as i64);
        if base == 10 {
            exp += exponent;
        } else {
            multiply(&mut digits, 1u64 << exponent);
        }
        let mut q = Quantity { neg: !parts.positive, digits, exp };
        q.normalize();
        q.round_up_to_nano();
        if binary && q.cmp_magnitude(&Quantity::max_int64()) == Ordering::Greater {
            q = Quantity { neg: q.neg, ..Quantity::max_int64() };
        }
        if q.digits.is_empty() {
            q.neg = false;
        }
        Some(q)
    }

    /// The value as a float, for arithmetic where the last digits do not matter (sums of
    /// requests against allocatable); order with `Ord`, which is exact.
    pub fn to_f64(&self) -> f64 {
        if self.digits.is_empty() {
            return 0.0;
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.neg { "-" } else { "" };
        format!("{sign}{digits}e{}", self.exp).parse().unwrap_or(f64::NAN)
    }

    fn zero() -> Self {
        Quantity { neg: false, digits: vec![], exp: 0 }
    }

    fn max_int64() -> Self {
        let mut q = Quantity { neg: false, digits: i64::MAX.to_string().bytes().map(|b| b - b'0').collect(), exp: 0 };
        q.normalize();
        q
    }

    fn normalize(&mut self) {
        let lead = self.digits.iter().take_while(|d| **d == 0).count();
        self.digits.drain(..lead);
        while self.digits.last() == Some(&0) {
            self.digits.pop();
            self.exp += 1;
        }
        if self.digits.is_empty() {
            self.exp = 0;
        }
    }

    /// apimachinery rounds a non-zero value up (away from zero) to 9 decimal places.
    fn round_up_to_nano(&mut self) {
        if self.exp >= -9 || self.digits.is_empty() {
            return;
        }
        let drop = usize::try_from(-9 - self.exp).unwrap_or(usize::MAX);
        if drop >= self.digits.len() {
            // Below a nano altogether: one nano.
            self.digits = vec![1];
        } else {
            let kept = self.digits.len() - drop;
            let remainder = self.digits.get(kept..).is_some_and(|dropped| dropped.iter().any(|d| *d != 0));
            self.digits.truncate(kept);
            if remainder {
                add_one(&mut self.digits);
            }
        }
        self.exp = -9;
        self.normalize();
    }

    fn cmp_magnitude(&self, other: &Quantity) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let top = |q: &Quantity| q.digits.len() as i64 + q.exp;
        top(self).cmp(&top(other)).then_with(|| {
            let n = self.digits.len().max(other.digits.len());
            let at = |q: &Quantity, i: usize| q.digits.get(i).copied().unwrap_or(0);
            (0..n).map(|i| at(self, i).cmp(&at(other, i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        })
    }
}

impl Ord for Quantity {
    /// `Quantity.Cmp`: by value.
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |q: &Quantity| {
            if q.digits.is_empty() {
                0
            } else if q.neg {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) < 0 => other.cmp_magnitude(self),
            Ordering::Equal => self.cmp_magnitude(other),
            o => o,
        }
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `digits *= factor`, digits most significant first.
fn multiply(digits: &mut Vec<u8>, factor: u64) {
    let mut carry: u128 = 0;
    for d in digits.iter_mut().rev() {
        let v = u128::from(*d) * u128::from(factor) + carry;
        *d = (v % 10) as u8;
        carry = v / 10;
    }
    while carry > 0 {
        digits.insert(0, (carry % 10) as u8);
        carry /= 10;
    }
}

fn add_one(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_as_floats() {
        assert_eq!(super::value("500m"), Some(0.5));
        assert_eq!(super::value("1k"), Some(1000.0));
        assert_eq!(super::value("128Mi"), Some(134_217_728.0));
        assert_eq!(super::value("1e3"), Some(1000.0));
        assert_eq!(super::value("-1.5Gi"), Some(-1_610_612_736.0));
        assert_eq!(super::value("0"), Some(0.0));
        for bad in ["", "x", "1x", "1e", " 2 "] {
            assert_eq!(super::value(bad), None, "{bad}");
        }
    }

    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn parses_what_apimachinery_parses() {
        for ok in ["1", "100m", "1.5Gi", "2e3", "1E", "+5", "-5", ".", "+", "1.", ".5", "0.000000001", "10Ei"] {
            assert!(Quantity::parse(ok).is_some(), "{ok}");
        }
        for bad in
            ["", "pod-45rhk", "1ki", "1e", "1x", "5 ", "1.2.3", "--1", "é", "1é", "1.5é", "1eé", "1Kié", "1e5é", "-é"]
        {
            assert!(Quantity::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn orders_by_value() {
        assert!(q("100m") < q("1"));
        assert!(q("900Mi") < q("1Gi"));
        assert_eq!(q("1Ki").cmp(&q("1024")), Ordering::Equal);
        assert_eq!(q("2e3").cmp(&q("2k")), Ordering::Equal);
        assert!(q("-2") < q("-1"));
        assert!(q("-1") < q("0"));
        assert_eq!(q("+").cmp(&q("0")), Ordering::Equal);
        assert!(q("10Ei") > q("55Pi"));
        // Rounded up to the nano, capped at 2^63-1 when binary.
        assert_eq!(q("0.0000000001").cmp(&q("1n")), Ordering::Equal);
        assert_eq!(q("1.0000000001").cmp(&q("1000000001n")), Ordering::Equal);
        assert_eq!(q("100Ei").cmp(&q("9223372036854775807")), Ordering::Equal);
        assert!(q("100E") > q("9223372036854775807"));
    }
}
