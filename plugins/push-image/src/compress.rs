//! `--compress`: uncompressed layers compressed before a push, into temporary files, hashed as
//! they are written, so that the new blob's digest is known when its upload starts.

use std::sync::Arc;

use kubectl_kit_core::{Error, Result};
use kubectl_kit_registry::digest::Hasher;
use kubectl_kit_registry::store::ByteRange;
use kubectl_kit_registry::stream::CHUNK;

/// How to compress uncompressed layers before pushing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compress {
    /// Uncompressed layers as they are to loopback registries, gzip to others
    Auto,
    /// Push layers as they are
    None,
    /// gzip (every runtime reads it)
    Gzip,
    /// zstd (containerd 1.5+, CRI-O; smaller and faster than gzip)
    Zstd,
}

/// Compresses a layer (`digest` names it in messages) into a temporary file, hashing the
/// output; returns the new blob's digest and its bytes. The temporary file lives as long as `dir`.
pub fn compress(range: &ByteRange, digest: &str, how: Compress, dir: &std::path::Path) -> Result<(String, ByteRange)> {
    let io = |e: std::io::Error| Error::runtime(format!("cannot compress layer {digest}")).caused_by_error(e);
    let file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    // Kept until `dir` (a temporary directory of the run) goes.
    let (handle, path) = file.keep().map_err(|e| io(e.error))?;
    let mut reader = range.open().map_err(io)?;
    let hashing =
        HashingWriter { inner: std::io::BufWriter::with_capacity(CHUNK, handle), hasher: Hasher::default(), len: 0 };
    let hashing = match how {
        Compress::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(hashing, flate2::Compression::fast());
            std::io::copy(&mut reader, &mut enc).map_err(io)?;
            enc.finish().map_err(io)?
        }
        Compress::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(hashing, 3).map_err(io)?;
            std::io::copy(&mut reader, &mut enc).map_err(io)?;
            enc.finish().map_err(io)?
        }
        Compress::Auto | Compress::None => return Err(Error::runtime("internal: nothing to compress")),
    };
    let HashingWriter { inner, hasher, len } = hashing;
    inner.into_inner().map_err(|e| io(e.into_error()))?.sync_all().map_err(io)?;
    Ok((hasher.finish(), ByteRange { path: Arc::new(path), offset: 0, len }))
}

struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    len: u64,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
