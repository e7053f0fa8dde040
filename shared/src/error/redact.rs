//! Redaction: tokens, passwords and URL credentials removed from text before it is printed.

/// Removes credentials from text that is about to be printed: bearer tokens, `token=` and
/// `password=` values, and the userinfo part of URLs.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // "Bearer <token>" / "Basic <creds>"
    while let Some(pos) = find_ci(rest, &["bearer ", "basic "]) {
        let (head, tail) = rest.split_at(pos.0);
        out.push_str(head);
        out.push_str(&tail[..pos.1]);
        out.push_str("[REDACTED]");
        let end = tail[pos.1..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .unwrap_or(tail.len() - pos.1);
        rest = &tail[pos.1 + end..];
    }
    out.push_str(rest);
    let mut result = String::with_capacity(out.len());
    for (i, part) in out.split("://").enumerate() {
        if i > 0 {
            result.push_str("://");
            // user:pass@host → [REDACTED]@host
            let host_end = part.find(['/', ' ', '"']).unwrap_or(part.len());
            if let Some(at) = part[..host_end].rfind('@') {
                result.push_str("[REDACTED]");
                result.push_str(&part[at..]);
                continue;
            }
        }
        result.push_str(part);
    }
    for key in ["token=", "password=", "access_token=", "id-token="] {
        result = redact_value_after(&result, key);
    }
    result
}

fn find_ci(hay: &str, needles: &[&str]) -> Option<(usize, usize)> {
    let lower = hay.to_ascii_lowercase();
    needles.iter().filter_map(|n| lower.find(n).map(|p| (p, n.len()))).min_by_key(|(p, _)| *p)
}

fn redact_value_after(text: &str, key: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut last = 0;
    let mut search = 0;
    while let Some(p) = lower[search..].find(key) {
        let start = search + p + key.len();
        out.push_str(&text[last..start]);
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '&' || c == '"' || c == '\'')
            .map_or(text.len(), |e| start + e);
        out.push_str("[REDACTED]");
        last = end;
        search = end;
    }
    out.push_str(&text[last..]);
    out
}
