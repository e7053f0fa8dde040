//! Image references: `[HOST[:PORT]/]REPOSITORY[:TAG]`, checked against the distribution
//! grammar before anything is sent, and registry hosts with the plain-HTTP rule.

// User and cluster text: walked by `char` or checked ranges, never sliced at a byte offset.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use kubectl_kit_core::{Error, Result};

/// Where to push: repository and tag on a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A registry named in the reference (`localhost:5001/app` → `localhost:5001`).
    pub host: Option<String>,
    /// `team/app`.
    pub repository: String,
    /// `1.0`, `latest` when none was given.
    pub tag: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// Parses what the user (or the source's recorded names) calls the image. A first component
/// with a `.` or `:`, or `localhost`, is a registry host, as Docker reads it. Docker Hub's
/// `docker.io/library/` prefix is dropped: a local registry has no such namespace.
pub fn parse(text: &str) -> Result<Target> {
    let bad = |why: &str| Error::usage(format!("invalid image name {text:?}: {why}"));
    if text.is_empty() {
        return Err(bad("empty"));
    }
    if text.contains('@') {
        return Err(bad("a digest cannot be pushed to; name a tag (NAME[:TAG])"));
    }
    let (mut host, rest) = match text.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (Some(first.to_string()), rest)
        }
        _ => (None, text),
    };
    // The tag is after the last ':' that is after the last '/'.
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (rest, "latest"),
    };
    let mut repository = repository.to_string();
    if matches!(host.as_deref(), Some("docker.io" | "index.docker.io" | "registry-1.docker.io")) {
        host = None;
        if let Some(short) = repository.strip_prefix("library/") {
            repository = short.to_string();
        }
    }
    if let Some(h) = &host {
        check_host(h).map_err(|w| bad(&w))?;
    }
    check_repository(&repository).map_err(|w| bad(&w))?;
    check_tag(tag).map_err(|w| bad(&w))?;
    Ok(Target { host, repository, tag: tag.to_string() })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` per component, `/`-separated, at most 255 characters.
fn check_repository(repo: &str) -> std::result::Result<(), String> {
    if repo.is_empty() {
        return Err("empty repository".into());
    }
    if repo.len() > 255 {
        return Err("repository longer than 255 characters".into());
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    for component in repo.split('/') {
        if !component.starts_with(alnum) || !component.ends_with(alnum) {
            return Err(format!(
                "repository component {component:?} must start and end with a lowercase letter or digit"
            ));
        }
        // What is between the letters and digits: each run of other characters, in order.
        for sep in component.split(alnum).filter(|s| !s.is_empty()) {
            let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|c| c == '-');
            if !ok {
                return Err(format!(
                    "repository component {component:?} has {sep:?}; only lowercase letters, digits and single '.', '_', '__' or dashes between them are allowed"
                ));
            }
        }
    }
    Ok(())
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> std::result::Result<(), String> {
    let ok_first = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = |b: u8| ok_first(b) || b == b'.' || b == b'-';
    match tag.as_bytes() {
        [] => Err("empty tag".into()),
        t if t.len() > 128 => Err("tag longer than 128 characters".into()),
        [first, rest @ ..] if ok_first(*first) && rest.iter().all(|&b| ok(b)) => Ok(()),
        _ => Err(format!("tag {tag:?} may use letters, digits, '_', '.' and '-' and not start with '.' or '-'")),
    }
}

/// A registry host: `name[:port]` or `[v6]:port`, no scheme, no path.
pub fn check_host(host: &str) -> std::result::Result<(), String> {
    if host.is_empty() {
        return Err("empty registry host".into());
    }
    if host.contains("://") {
        return Err(format!("registry {host:?} has a scheme; give HOST[:PORT] only"));
    }
    let (name, port) = split_host(host);
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(format!("registry {host:?} has an invalid port"));
    }
    let name_ok = name.parse::<std::net::IpAddr>().is_ok()
        || (!name.is_empty()
            && name.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    if !name_ok {
        return Err(format!("registry {host:?} is not a host name or IP address"));
    }
    Ok(())
}

/// `host:port` → (`host`, `port`); `[::1]:5000` → (`::1`, `5000`).
pub fn split_host(host: &str) -> (&str, Option<&str>) {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':')),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (host, None),
    }
}

/// Registries spoken to over plain HTTP without `--insecure`: loopback ones only
/// (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`), which the client resolves itself.
pub fn is_loopback(host: &str) -> bool {
    kubectl_kit_core::net::is_loopback_host(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_style_names() {
        let t = parse("app").expect("parse");
        assert_eq!((t.host, t.repository.as_str(), t.tag.as_str()), (None, "app", "latest"));
        let t = parse("localhost:5001/team/app:1.0").expect("parse");
        assert_eq!(
            (t.host.as_deref(), t.repository.as_str(), t.tag.as_str()),
            (Some("localhost:5001"), "team/app", "1.0")
        );
        let t = parse("docker.io/library/nginx:1.27").expect("parse");
        assert_eq!((t.host, t.repository.as_str(), t.tag.as_str()), (None, "nginx", "1.27"));
        assert_eq!(parse("team/app:v1").expect("parse").to_string(), "team/app:v1");
    }

    #[test]
    fn refuses_what_a_registry_would() {
        for bad in ["", "App", "app:", "app:-x", "a//b", "-a", "a@sha256:00", "a__-b", "http://x/a"] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = parse("My/App").expect_err("upper case");
        assert!(e.message.contains("\"My\""), "{}", e.message);
        assert!(parse("a/b.c_d__e---f/g").is_ok());
    }

    #[test]
    fn any_characters_are_parsed_or_refused_with_a_message() {
        // Multi-byte characters next to the separators the grammar splits at.
        for bad in ["é", "é:1", "aé", "a-é/b", "a/é:1", "a:é", "a.é.b", "ré/app:1", "app:ü", "a_\u{1F600}_b", "a:1é/b"]
        {
            let e = parse(bad).expect_err(bad);
            assert!(e.message.starts_with("invalid image name"), "{bad:?}: {}", e.message);
        }
        let e = parse("team/a\u{e9}b:1").expect_err("é in a component");
        assert!(e.message.contains("has \"é\""), "{}", e.message);
        let t = parse("localhost:5001/a.b/c:v1.0").expect("parse");
        assert_eq!((t.repository.as_str(), t.tag.as_str()), ("a.b/c", "v1.0"));
        // A ':' before the last '/' starts no tag: it is in the repository, which refuses it.
        let e = parse("localhost:5000/a:1/b").expect_err("':' in a component");
        assert!(e.message.contains("has \":\""), "{}", e.message);
        assert!(check_host("é:5000").is_err() && check_host("[é]:5000").is_err() && check_host("host:é").is_err());
    }

    #[test]
    fn loopback_rule() {
        for h in ["localhost:5000", "registry.localhost", "127.0.0.1:5001", "127.8.9.1", "[::1]:5000"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["192.168.1.2:5000", "registry.example.com", "localhost.example.com:5000", "10.0.0.1"] {
            assert!(!is_loopback(h), "{h}");
        }
        assert!(check_host("[::1]:5000").is_ok());
        assert!(check_host("host:99999").is_err());
        assert!(check_host("https://x").is_err());
    }
}
