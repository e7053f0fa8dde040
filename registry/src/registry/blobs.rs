//! What a push does: blob HEAD, cross-repository mount, monolithic upload with the chunked
//! fallback, and manifest PUT and GET.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::header;
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;

use kubectl_kit_core::output;
use kubectl_kit_core::{Error, Result};

use super::request::read_limited;
use super::{Action, FALLBACK_CHUNK, Payload, Registry, resolve, scope, strip_query, with_query};
use crate::oci::Descriptor;
use crate::store::ByteRange;

impl Registry {
    /// HEAD a blob: does `repository` have it?
    pub async fn has_blob(&self, repository: &str, digest: &str) -> Result<bool> {
        let path = format!("/v2/{repository}/blobs/{digest}");
        let resp = self.send(Method::HEAD, &path, &Payload::Empty, &[scope(repository, "pull,push")], None).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.failure(&Method::HEAD, &path, resp).await),
        }
    }

    /// Pushes one blob the repository lacks: mounted from `from` when given and the registry
    /// agrees, else uploaded in one PUT (16 MiB PATCHes if the registry refuses that).
    pub async fn upload_blob(
        &self,
        repository: &str,
        blob: &Descriptor,
        range: &ByteRange,
        from: Option<&str>,
        sent: &Arc<AtomicU64>,
    ) -> Result<Action> {
        let mut scopes = vec![scope(repository, "pull,push")];
        let start = match from {
            Some(from) => {
                scopes.push(scope(from, "pull"));
                format!("/v2/{repository}/blobs/uploads/?mount={}&from={from}", blob.digest)
            }
            None => format!("/v2/{repository}/blobs/uploads/"),
        };
        let resp = self.send(Method::POST, &start, &Payload::Empty, &scopes, None).await?;
        match resp.status() {
            StatusCode::CREATED if from.is_some() => return Ok(Action::Mounted),
            StatusCode::ACCEPTED => {}
            _ => return Err(self.failure(&Method::POST, &strip_query(&start), resp).await),
        }
        let location = self.location(&resp)?;
        let put = with_query(&location, "digest", &blob.digest);
        let payload = Payload::Blob { range, digest: Some(&blob.digest), chunk: None, sent };
        let resp = self.send(Method::PUT, &put, &payload, &scopes, None).await?;
        match resp.status() {
            StatusCode::CREATED => Ok(Action::Pushed),
            // Some registries (and proxies in front of them) cap request bodies: fall back to
            // chunks, as big as they let us.
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::RANGE_NOT_SATISFIABLE => {
                sent.fetch_sub(sent.load(Ordering::Relaxed).min(range.len), Ordering::Relaxed);
                self.upload_chunked(repository, blob, range, &scopes, sent).await
            }
            _ => Err(self.failure(&Method::PUT, &format!("/v2/{repository}/blobs/uploads/…"), resp).await),
        }
    }

    async fn upload_chunked(
        &self,
        repository: &str,
        blob: &Descriptor,
        range: &ByteRange,
        scopes: &[String],
        sent: &Arc<AtomicU64>,
    ) -> Result<Action> {
        let start = format!("/v2/{repository}/blobs/uploads/");
        let resp = self.send(Method::POST, &start, &Payload::Empty, scopes, None).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.failure(&Method::POST, &start, resp).await);
        }
        let mut location = self.location(&resp)?;
        let mut offset = 0u64;
        while offset < range.len {
            let len = FALLBACK_CHUNK.min(range.len - offset);
            let chunk = ByteRange { path: Arc::clone(&range.path), offset: range.offset + offset, len };
            let payload = Payload::Blob { range: &chunk, digest: None, chunk: Some((offset, offset + len - 1)), sent };
            let resp = self.send(Method::PATCH, &location, &payload, scopes, None).await?;
            if resp.status() != StatusCode::ACCEPTED {
                return Err(self.failure(&Method::PATCH, &format!("/v2/{repository}/blobs/uploads/…"), resp).await);
            }
            location = self.location(&resp)?;
            offset += len;
        }
        let put = with_query(&location, "digest", &blob.digest);
        let resp = self.send(Method::PUT, &put, &Payload::Empty, scopes, None).await?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.failure(&Method::PUT, &format!("/v2/{repository}/blobs/uploads/…"), resp).await);
        }
        Ok(Action::Pushed)
    }

    fn location(&self, resp: &Response<Incoming>) -> Result<String> {
        let loc =
            resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).ok_or_else(|| {
                Error::runtime(format!("registry {} started an upload without a Location", self.host))
            })?;
        let url = resolve(&self.base, loc);
        // An upload location on another host would receive our credentials and the blob.
        if !self.is_own(&url) {
            return Err(Error::runtime(format!("registry {} sent the upload to another host; refused", self.host)));
        }
        Ok(url)
    }

    /// PUTs a manifest under `reference` (a tag or a digest) and checks the digest the
    /// registry computed.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &str,
    ) -> Result<()> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let resp = self
            .send(Method::PUT, &path, &Payload::Bytes(bytes, media_type), &[scope(repository, "pull,push")], None)
            .await?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.failure(&Method::PUT, &path, resp).await);
        }
        if let Some(got) = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok())
            && got != digest
        {
            return Err(Error::runtime(format!(
                "registry {} stored manifest {repository}:{reference} as {}, not {digest}",
                self.host,
                output::escape(got)
            )));
        }
        Ok(())
    }

    /// GETs a manifest (for checks); `None` when the registry does not have it.
    pub async fn get_manifest(&self, repository: &str, reference: &str, accept: &str) -> Result<Option<Vec<u8>>> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let resp = self.send(Method::GET, &path, &Payload::Empty, &[scope(repository, "pull")], Some(accept)).await?;
        match resp.status() {
            StatusCode::OK => Ok(Some(read_limited(resp, crate::store::MAX_DOCUMENT as usize).await?)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.failure(&Method::GET, &path, resp).await),
        }
    }
}
