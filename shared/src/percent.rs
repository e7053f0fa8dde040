//! Percent-encoding of what the suite puts in URLs: query values and path segments (object
//! and namespace names typed by users, selectors, continue tokens, registry scopes). RFC 3986's
//! unreserved characters stay as they are; everything else, UTF-8 included, is `%XX`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A path segment may also hold `:` and `@` as they are (RFC 3986 `pchar`).
const SEGMENT: &AsciiSet = &QUERY.remove(b':').remove(b'@');

/// A query value (or form value), percent-encoded.
pub fn query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// One path segment (an object or namespace name typed by the user), percent-encoded.
pub fn path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Appends `key=value` to a path or URL, with `?` or `&` as it needs, the value encoded.
pub fn query_pair(q: &mut String, key: &str, value: &str) {
    q.push(if q.contains('?') { '&' } else { '?' });
    q.push_str(key);
    q.push('=');
    q.push_str(&query_value(value));
}

/// `a=b&c=d` (a form body or a query string), values encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", query_value(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_only_unreserved_characters() {
        let mut q = String::from("/api/v1/pods");
        query_pair(&mut q, "labelSelector", "app in (a,b),tier!=db");
        query_pair(&mut q, "limit", "500");
        assert_eq!(q, "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&limit=500");
        assert_eq!(query_value("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(query_value("é/+"), "%C3%A9%2F%2B");
        assert_eq!(form(&[("scope", "repository:a/b:pull,push")]), "scope=repository%3Aa%2Fb%3Apull%2Cpush");
    }

    #[test]
    fn path_segments_keep_colons_and_ats() {
        assert_eq!(path_segment("system:node@x"), "system:node@x");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("../x"), "..%2Fx");
    }
}
