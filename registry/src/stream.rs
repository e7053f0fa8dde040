//! Blob bytes on their way out: read from the source in chunks on a blocking thread, hashed as
//! they pass, and handed to the HTTP body through a small bounded channel, so that a layer is
//! never held in memory whatever its size.
//!
//! The last chunk is held back until the digest and size are known to match: a corrupt layer
//! never reaches the registry complete, so it is never committed under the expected digest.

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

use kubectl_kit_core::{Error, Result};

use crate::digest::Hasher;
use crate::store::ByteRange;

/// Bytes per chunk read and sent.
pub const CHUNK: usize = 1 << 20;
/// Chunks in flight per blob: with four blobs at once, about 16 MiB of buffers in all.
const IN_FLIGHT: usize = 3;

/// Hashes a byte range (for layers whose digest the source does not state). `name` is the
/// layer's name in the source, for messages.
pub fn hash_range(bytes: &ByteRange, name: &str) -> Result<String> {
    let unreadable = |e| Error::runtime(format!("cannot read layer {name}")).caused_by_error(e);
    let mut reader = bytes.open().map_err(unreadable)?;
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = reader.read(&mut buf).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// The error a blob's body ends with when its bytes could not be sent: the source could not be
/// read (which may pass), or its bytes are not what the manifest says (which will not).
#[derive(Debug)]
pub enum SourceError {
    /// Reading the source failed.
    Unreadable(String),
    /// The bytes hash to another digest, or there are more or fewer of them.
    Corrupt(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Unreadable(m) | SourceError::Corrupt(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SourceError {}

impl SourceError {
    /// The suite's error for it: [`Kind::Corrupt`](kubectl_kit_core::error::Kind::Corrupt) when
    /// the bytes are wrong, so that nobody retries it.
    pub fn to_error(&self) -> Error {
        match self {
            SourceError::Unreadable(m) => Error::runtime(m.clone()),
            SourceError::Corrupt(m) => Error::corrupt(m.clone()),
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP body streaming a byte range, verified against a digest.
pub struct VerifiedBody {
    rx: mpsc::Receiver<std::result::Result<Bytes, BoxError>>,
    len: u64,
}

impl VerifiedBody {
    /// Starts reading `range` on a blocking thread, checking it hashes to `digest` (`None` for
    /// a chunk of a blob, which the registry checks when the upload is closed). `sent` counts
    /// bytes handed to the network.
    pub fn start(range: ByteRange, digest: Option<String>, sent: Arc<AtomicU64>) -> Self {
        let len = range.len;
        let (tx, rx) = mpsc::channel(IN_FLIGHT);
        tokio::task::spawn_blocking(move || pump(range, digest.as_deref(), &tx, &sent));
        VerifiedBody { rx, len }
    }
}

fn pump(
    range: ByteRange,
    expected: Option<&str>,
    tx: &mpsc::Sender<std::result::Result<Bytes, BoxError>>,
    sent: &AtomicU64,
) {
    let digest = expected.unwrap_or("chunk");
    let fail = |e: SourceError| {
        let _ = tx.blocking_send(Err(Box::new(e)));
    };
    let mut reader = match range.open() {
        Ok(r) => r,
        Err(e) => return fail(SourceError::Unreadable(format!("cannot read blob {digest}: {e}"))),
    };
    let mut hasher = Hasher::default();
    let mut total = 0u64;
    let mut held: Option<Bytes> = None;
    let pool = Pool::default();
    loop {
        let mut buf = pool.take();
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return fail(SourceError::Unreadable(format!("cannot read blob {digest}: {e}"))),
            }
        }
        if filled == 0 {
            break;
        }
        hasher.update(&buf[..filled]);
        total += filled as u64;
        if let Some(previous) = held.replace(Bytes::from_owner(Pooled { buf, len: filled, pool: pool.clone() })) {
            let n = previous.len() as u64;
            if tx.blocking_send(Ok(previous)).is_err() {
                return; // The request was dropped.
            }
            sent.fetch_add(n, Ordering::Relaxed);
        }
    }
    let actual = hasher.finish();
    if total != range.len || expected.is_some_and(|d| d != actual) {
        return fail(SourceError::Corrupt(format!(
            "blob {digest} is corrupt in the source: {total} bytes hashing to {actual}, {} bytes expected",
            range.len
        )));
    }
    if let Some(last) = held {
        let n = last.len() as u64;
        if tx.blocking_send(Ok(last)).is_ok() {
            sent.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// Chunk buffers come back when the network is done with them: a blob of any size is read
/// through the same few buffers, without a fresh (page-faulting) allocation per chunk.
#[derive(Clone, Default)]
struct Pool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.0.lock().ok().and_then(|mut free| free.pop()).unwrap_or_else(|| vec![0u8; CHUNK])
    }
}

struct Pooled {
    buf: Vec<u8>,
    len: usize,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.0.lock()
            && free.len() <= IN_FLIGHT + 2
        {
            free.push(std::mem::take(&mut self.buf));
        }
    }
}

impl Body for VerifiedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(data))) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_bytes_are_not_worth_retrying_and_unreadable_ones_may_be() {
        let corrupt = SourceError::Corrupt("blob sha256:x is corrupt in the source".into()).to_error();
        assert!(corrupt.is_corrupt());
        assert_eq!(corrupt.message, "blob sha256:x is corrupt in the source");
        let unreadable = SourceError::Unreadable("cannot read blob sha256:x: gone".into()).to_error();
        assert!(!unreadable.is_corrupt() && unreadable.exit_code() == 1);
    }
}
