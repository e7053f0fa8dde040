//! Authentication: the `/v2/` ping that learns how the registry wants to be spoken to, Basic
//! credentials, and bearer tokens fetched from its token service (one per set of scopes).

use std::collections::HashMap;

use bytes::Bytes;
use http::header;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use serde_json::Value;

use kubectl_kit_core::client::status_text;
use kubectl_kit_core::percent;
use kubectl_kit_core::{Error, Result};

use super::request::read_limited;
use super::{AuthState, Payload, Registry};
use crate::auth::{self, Credential};

impl Registry {
    /// `GET /v2/`: is this a registry, and how does it want us to authenticate?
    pub async fn ping(&self) -> Result<()> {
        let url = format!("{}/v2/", self.base);
        let resp = self.raw_with(Method::GET, &url, &Payload::Empty, None, None).await?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            self.learn_challenge(resp.headers()).await?;
            return Ok(());
        }
        if status.is_success() {
            return Ok(());
        }
        Err(self.failure(&Method::GET, "/v2/", resp).await)
    }

    pub(super) async fn learn_challenge(&self, headers: &http::HeaderMap) -> Result<()> {
        let challenges: Vec<auth::Challenge> = headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect();
        let mut state = self.auth.lock().await;
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let realm = bearer.params.get("realm").cloned().ok_or_else(|| {
                Error::runtime(format!("registry {} asks for a bearer token without a realm", self.host))
            })?;
            if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                return Err(Error::runtime(format!("registry {} names an invalid token realm", self.host)));
            }
            if !matches!(&*state, AuthState::Bearer { realm: r, .. } if *r == realm) {
                *state =
                    AuthState::Bearer { realm, service: bearer.params.get("service").cloned(), tokens: HashMap::new() };
            }
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let header = self.credential.as_ref().and_then(Credential::basic_header).ok_or_else(|| self.no_login())?;
            *state = AuthState::Basic(header);
            return Ok(());
        }
        Err(self.no_login())
    }

    fn no_login(&self) -> Error {
        Error::runtime(format!("registry {} requires authentication and no usable credential was found", self.host))
            .hint(format!("log in with `docker login {}` (credentials are read from ~/.docker/config.json)", self.host))
    }

    async fn token(&self, scopes: &[String]) -> Result<Option<String>> {
        let key = scopes.join(" ");
        let (realm, service) = {
            let state = self.auth.lock().await;
            match &*state {
                AuthState::Bearer { realm, service, tokens } => {
                    if let Some(t) = tokens.get(&key) {
                        return Ok(Some(t.clone()));
                    }
                    (realm.clone(), service.clone())
                }
                _ => return Ok(None),
            }
        };
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &service {
            query.push(("service", s));
        }
        for s in scopes {
            query.push(("scope", s));
        }
        let (method, url, payload_bytes, auth_header) = match &self.credential {
            // An identity token is an OAuth2 refresh token: POST it (distribution's token spec).
            Some(Credential::IdentityToken(t)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", t.as_str()),
                    ("client_id", "kubectl-push-image"),
                ];
                form.extend(query.iter().copied());
                (Method::POST, realm.clone(), Some(percent::form(&form)), None)
            }
            other => {
                let sep = if realm.contains('?') { '&' } else { '?' };
                (
                    Method::GET,
                    format!("{realm}{sep}{}", percent::form(&query)),
                    None,
                    other.as_ref().and_then(Credential::basic_header),
                )
            }
        };
        let uri: http::Uri =
            url.parse().map_err(|_| Error::runtime(format!("registry {} names an invalid token realm", self.host)))?;
        let mut req = Request::builder().method(method.clone()).uri(uri);
        if let Some(h) = auth_header {
            req = req.header(header::AUTHORIZATION, h);
        }
        let body = match &payload_bytes {
            Some(form) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(form.clone())).map_err(|e| match e {}).boxed()
            }
            None => Empty::new().map_err(|e| match e {}).boxed(),
        };
        let req = req.body(body).map_err(|e| Error::runtime("cannot build a token request").caused_by(e))?;
        // The realm URL carries no secret (credentials go in a header or the POST body); log
        // it without the query all the same.
        let shown = realm.split('?').next().unwrap_or("").to_string();
        let resp = self.send_logged(req, &method, &shown).await?;
        let status = resp.status();
        let body = read_limited(resp, 1 << 20).await?;
        if !status.is_success() {
            return Err(Error::runtime(format!(
                "the token service of registry {} refused the request ({})",
                self.host,
                status_text(status)
            ))
            .hint(format!("check the credentials for {} (`docker login {}`)", self.host, self.host)));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            Error::runtime(format!("the token service of registry {} answered something that is not JSON", self.host))
        })?;
        let token = value
            .get("token")
            .or_else(|| value.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::runtime(format!("the token service of registry {} answered without a token", self.host))
            })?
            .to_string();
        if let AuthState::Bearer { tokens, .. } = &mut *self.auth.lock().await {
            tokens.insert(key, token.clone());
        }
        Ok(Some(token))
    }

    pub(super) async fn authorization(&self, scopes: &[String]) -> Result<Option<String>> {
        let basic = match &*self.auth.lock().await {
            AuthState::Basic(h) => Some(h.clone()),
            AuthState::Anonymous => return Ok(None),
            AuthState::Bearer { .. } => None,
        };
        if basic.is_some() {
            return Ok(basic);
        }
        Ok(self.token(scopes).await?.map(|t| format!("Bearer {t}")))
    }
}
