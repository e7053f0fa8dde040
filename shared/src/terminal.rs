//! Escaping of text that came from the server (or any other untrusted place) before it
//! reaches a terminal: names, messages, cells. Used by the printer and by error rendering,
//! which is why it stands apart from both.

/// Escapes text that came from the server before it reaches a terminal.
///
/// C0 controls except tab, DEL, C1 controls and Unicode bidi overrides/isolates are made visible.
/// ESC reads `^[` and CR reads `\r`, as kubectl prints them; the rest read `\xNN` or `\u{NNNN}`.
pub fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("^["),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t')
        || u == 0x7f
        || (0x80..=0x9f).contains(&u)
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
        || u == 0x200e
        || u == 0x200f
        || u == 0x061c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_class_of_control() {
        let hostile = "a\u{1b}[31mb\u{7}c\u{8}d\re\u{9b}f\u{202e}g\u{7f}h\ti";
        let e = escape(hostile);
        for bad in ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{202e}', '\u{7f}'] {
            assert!(!e.contains(bad), "{bad:?} left in {e:?}");
        }
        assert!(e.contains('\t'), "tab is kept");
        assert_eq!(escape("^[ plain"), "^[ plain");
        assert_eq!(escape("x\u{1b}y\rz"), "x^[y\\rz");
    }
}
