//! Registry credentials: Docker's `config.json` (`auths`, `credHelpers`, `credsStore`),
//! credential helpers run without a shell, and the `WWW-Authenticate` challenges of the token
//! flow.
//!
//! Credentials never reach stdout, stderr or an error message: [`Credential`]'s `Debug` hides
//! them, and errors name the helper or file, never what they returned.

// User and cluster text: walked by `char` or checked ranges, never sliced at a byte offset.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::Value;

use kubectl_kit_core::{Error, Result};

/// A login for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// User name and password (or token used as a password).
    Basic { username: String, password: String },
    /// An identity token, exchanged for access tokens in the token flow (OAuth2 refresh token).
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl Credential {
    /// The `Authorization: Basic …` value, for Basic registries and token endpoints.
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

/// Where Docker keeps `config.json`: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The credential for `host` from a Docker config file, if any. A missing file means no
/// credentials; an unreadable or malformed one is an error naming the file.
pub fn lookup(path: &Path, host: &str) -> Result<Option<Credential>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::runtime(format!("cannot read {}", path.display())).caused_by(e)),
    };
    let config = parse_config(&text).map_err(|m| Error::runtime(format!("{}: {m}", path.display())))?;
    if let Some(helper) = config.cred_helpers.get(host) {
        return helper_get(helper, host);
    }
    if let Some(Some(c)) = config.auths.get(host) {
        return Ok(Some(c.clone()));
    }
    if let Some(store) = &config.creds_store {
        return helper_get(store, host);
    }
    Ok(None)
}

/// What a Docker config says, keyed by normalised registry host.
#[derive(Debug, Default)]
pub struct DockerConfig {
    /// `auths` entries; `None` for an entry with no usable credential (the helper has it).
    pub auths: BTreeMap<String, Option<Credential>>,
    /// `credHelpers`: host → helper suffix.
    pub cred_helpers: BTreeMap<String, String>,
    /// `credsStore`: the default helper.
    pub creds_store: Option<String>,
}

/// Parses a Docker `config.json`. Errors say what is wrong without echoing values.
pub fn parse_config(text: &str) -> std::result::Result<DockerConfig, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))?;
    let mut config = DockerConfig::default();
    if let Some(auths) = value.get("auths") {
        let auths = auths.as_object().ok_or("\"auths\" is not an object")?;
        for (key, entry) in auths {
            let host = normalize_key(key);
            let cred = parse_auth_entry(entry).map_err(|m| format!("auths[{key:?}]: {m}"))?;
            config.auths.insert(host, cred);
        }
    }
    if let Some(helpers) = value.get("credHelpers") {
        let helpers = helpers.as_object().ok_or("\"credHelpers\" is not an object")?;
        for (key, helper) in helpers {
            let helper = helper.as_str().ok_or_else(|| format!("credHelpers[{key:?}] is not a string"))?;
            config.cred_helpers.insert(normalize_key(key), check_helper_name(helper)?);
        }
    }
    if let Some(store) = value.get("credsStore") {
        let store = store.as_str().ok_or("\"credsStore\" is not a string")?;
        if !store.is_empty() {
            config.creds_store = Some(check_helper_name(store)?);
        }
    }
    Ok(config)
}

fn parse_auth_entry(entry: &Value) -> std::result::Result<Option<Credential>, String> {
    if let Some(token) = entry.get("identitytoken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        return Ok(Some(Credential::IdentityToken(token.to_string())));
    }
    if let Some(auth) = entry.get("auth").and_then(Value::as_str).filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| "\"auth\" is not base64".to_string())?;
        let decoded = String::from_utf8(decoded).map_err(|_| "\"auth\" is not UTF-8".to_string())?;
        let (username, password) = decoded.split_once(':').ok_or("\"auth\" is not USER:PASSWORD")?;
        return Ok(Some(Credential::Basic { username: username.to_string(), password: password.to_string() }));
    }
    match (entry.get("username").and_then(Value::as_str), entry.get("password").and_then(Value::as_str)) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credential::Basic { username: u.into(), password: p.into() })),
        _ => Ok(None),
    }
}

/// Helper names become `docker-credential-NAME`: no path separators, nothing a shell would read.
fn check_helper_name(name: &str) -> std::result::Result<String, String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        Ok(name.to_string())
    } else {
        Err(format!("credential helper name {name:?} is not a plain name"))
    }
}

/// `https://index.docker.io/v1/`, `http://host:5000`, `host:5000/` → `host:5000`-style keys.
pub fn normalize_key(key: &str) -> String {
    let key = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    key.split('/').next().unwrap_or(key).to_string()
}

/// Runs `docker-credential-HELPER get` (found on PATH, no shell), writes the host on its
/// stdin and reads `{"Username","Secret"}`. A helper that knows no credential for the host
/// ("credentials not found") means anonymous.
pub fn helper_get(helper: &str, host: &str) -> Result<Option<Credential>> {
    let program = format!("docker-credential-{helper}");
    let path = which::which(&program).map_err(|_| {
        Error::runtime(format!(
            "the Docker config names credential helper {helper:?} for {host}, but {program} is not on PATH"
        ))
    })?;
    let mut child = Command::new(&path)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::runtime(format!("cannot run {program}")).caused_by(e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe; its exit status says why.
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| Error::runtime(format!("cannot run {program}")).caused_by(e))?;
    if !out.status.success() {
        // docker-credential-helpers answer "credentials not found in native keychain".
        if String::from_utf8_lossy(&out.stdout).contains("credentials not found") {
            return Ok(None);
        }
        // Never echo the helper's output: it may hold the secret.
        return Err(Error::runtime(format!("credential helper {program} failed ({})", out.status)));
    }
    let value: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| Error::runtime(format!("credential helper {program} printed something that is not JSON")))?;
    let username = value.get("Username").and_then(Value::as_str).unwrap_or_default();
    let secret = value.get("Secret").and_then(Value::as_str).unwrap_or_default();
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if username == "<token>" {
        Credential::IdentityToken(secret.to_string())
    } else {
        Credential::Basic { username: username.to_string(), password: secret.to_string() }
    }))
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `basic` or `bearer` (lowercased).
    pub scheme: String,
    /// Parameters, keys lowercased.
    pub params: BTreeMap<String, String>,
}

/// Parses a `WWW-Authenticate` value (RFC 7235: `Scheme k=v, k="quoted, value"`). Several
/// challenges in one header are split at a token that is followed by a space and not by `=`.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut chars = header.chars().peekable();
    loop {
        while chars.next_if(|c| matches!(c, ' ' | '\t' | ',')).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut token = String::new();
        while let Some(c) = chars.next_if(|c| !matches!(c, ' ' | '\t' | '=' | ',')) {
            token.push(c);
        }
        if chars.next_if_eq(&'=').is_some() {
            // A parameter of the current challenge.
            let value = if chars.next_if_eq(&'"').is_some() {
                let mut v = String::new();
                // Up to the closing quote (or the end); a backslash escapes the next character.
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => v.push(chars.next().unwrap_or('\\')),
                        c => v.push(c),
                    }
                }
                v
            } else {
                let mut v = String::new();
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    v.push(c);
                }
                v.trim().to_string()
            };
            if let Some(c) = out.last_mut() {
                c.params.insert(token.to_ascii_lowercase(), value);
            }
        } else if !token.is_empty() {
            out.push(Challenge { scheme: token.to_ascii_lowercase(), params: BTreeMap::new() });
        }
    }
    out
}

#[cfg(test)]
// A test's out-of-range index is a failed assertion, not a crash on someone's input.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].params["realm"], "https://auth.example.com/token");
        assert_eq!(c[0].params["scope"], "repository:a/b:pull,push");
        let c = parse_challenges(r#"Basic realm="Registry Realm", Bearer realm="x\"y""#);
        assert_eq!(c.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>(), ["basic", "bearer"]);
        assert_eq!(c[1].params["realm"], "x\"y");
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("=,=\"").len(), 0);
    }

    #[test]
    fn challenges_of_any_characters_never_break() {
        let c = parse_challenges("Bearer réalm=\"ü\\\"€\",  scope=  a b ,x=\"unterminated \\");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].params["réalm"], "ü\"€");
        assert_eq!(c[0].params["scope"], "a b");
        assert_eq!(c[0].params["x"], "unterminated \\");
        for text in ["\"", "=", "\\", "é", "a=\"", "a=\"\\", "\u{1F600}=\u{1F600}", "Basic ,,, =é", "\t\t"] {
            let _ = parse_challenges(text);
        }
        assert_eq!(parse_challenges("Basic ,,, =é").len(), 1);
    }

    #[test]
    fn docker_config() {
        let text = r#"{
          "auths": {
            "https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"},
            "localhost:5000": {"identitytoken": "tok"},
            "ghcr.io": {}
          },
          "credHelpers": {"gcr.io": "gcloud"},
          "credsStore": "desktop"
        }"#;
        let c = parse_config(text).expect("parse");
        assert_eq!(
            c.auths["index.docker.io"],
            Some(Credential::Basic { username: "user".into(), password: "pass".into() })
        );
        assert_eq!(c.auths["localhost:5000"], Some(Credential::IdentityToken("tok".into())));
        assert_eq!(c.auths["ghcr.io"], None);
        assert_eq!(c.cred_helpers["gcr.io"], "gcloud");
        assert_eq!(c.creds_store.as_deref(), Some("desktop"));
        let e = parse_config(r#"{"credsStore": "../../bin/sh"}"#).expect_err("path");
        assert!(e.contains("not a plain name"));
        let e = parse_config(r#"{"auths": {"x": {"auth": "c2VjcmV0"}}}"#).expect_err("no colon");
        assert!(!e.contains("secret") && !e.contains("c2VjcmV0"), "{e}");
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let c = Credential::Basic { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic_header().as_deref(), Some("Basic dTpodW50ZXIy"));
    }
}
