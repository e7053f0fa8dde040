//! Kubernetes resource quantities (`100m`, `1.5Gi`, `2e3`) as numbers in their base unit, for
//! comparing and sorting them: the suffixes of apimachinery's `resource.Quantity` (decimal SI,
//! binary SI and decimal exponents).

/// A quantity in its base unit (cores, bytes…); `None` when it is not one.
pub fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    if num.is_empty() || num == "+" || num == "-" || num == "." {
        return None;
    }
    let base: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(base * factor)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn suffixes_and_exponents() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1k"), Some(1000.0));
        assert_eq!(parse("128Mi"), Some(134_217_728.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse(" 2 "), Some(2.0));
        for bad in ["", "x", "1x", "-", "1e", "Mi"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
