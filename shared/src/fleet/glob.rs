//! Shell globs for context and namespace names: `*` (any run of characters), `?` (one
//! character), `[abc]`, `[a-z]` and `[!a-z]` (one character of, or not of, a set), and `\`
//! before a character to take it literally. Matched by character, never by byte.

/// True when `pattern` has a wildcard, so that it names a set to be matched rather than one
/// name to be read as it is.
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// True when `text` matches `pattern` whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with one backtrack point for the last `*` (linear for one star,
    // never exponential).
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(_) => {
                if let Some((next, ok)) = one(&p, pi, t[ti])
                    && ok
                {
                    pi = next;
                    ti += 1;
                    continue;
                }
            }
            None => {}
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Matches one character at `p[pi]` (a literal, `?`, `\x` or a `[...]` set): where the pattern
/// continues, and whether `c` matched. `None` at the end of the pattern.
fn one(p: &[char], pi: usize, c: char) -> Option<(usize, bool)> {
    match *p.get(pi)? {
        '?' => Some((pi + 1, true)),
        '\\' => match p.get(pi + 1) {
            Some(&lit) => Some((pi + 2, lit == c)),
            None => Some((pi + 1, c == '\\')),
        },
        '[' => Some(set(p, pi, c).unwrap_or((pi + 1, c == '['))),
        lit => Some((pi + 1, lit == c)),
    }
}

/// A `[...]` set at `p[pi]`: where the pattern continues and whether `c` is in it; `None` for a
/// `[` that is never closed (then it is a literal `[`, as in the shell).
fn set(p: &[char], pi: usize, c: char) -> Option<(usize, bool)> {
    let mut i = pi + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let lo = *p.get(i)?;
        if lo == ']' && !first {
            return Some((i + 1, hit != negated));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|hi| *hi != ']') {
            let hi = *p.get(i + 2)?;
            hit |= lo <= c && c <= hi;
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_the_shell_does() {
        let yes = [
            ("prod-*", "prod-eu"),
            ("prod-*", "prod-"),
            ("*", ""),
            ("*-eu", "prod-eu"),
            ("*eu*", "staging-eu-west"),
            ("p?od", "prod"),
            ("team-[ab]", "team-a"),
            ("team-[a-c]", "team-b"),
            ("team-[!a]", "team-b"),
            ("a*b*c", "aXbYbZc"),
            ("\\*", "*"),
            ("[", "["),
            ("ü*", "über"),
            ("kind-*", "kind-kit-2"),
        ];
        for (p, t) in yes {
            assert!(matches(p, t), "{p} should match {t}");
        }
        let no = [
            ("prod-*", "staging"),
            ("prod", "prod-eu"),
            ("p?od", "pod"),
            ("team-[ab]", "team-c"),
            ("team-[!a]", "team-a"),
            ("\\*", "x"),
            ("*-eu", "prod-us"),
            ("a*b*c", "aXbYbZ"),
        ];
        for (p, t) in no {
            assert!(!matches(p, t), "{p} should not match {t}");
        }
        assert!(is_glob("prod-*") && is_glob("p?") && is_glob("[ab]") && !is_glob("prod-eu"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let text = "a".repeat(200);
        assert!(!matches(&format!("{}b", "*a".repeat(50)), &text));
    }
}
