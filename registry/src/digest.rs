//! Content digests (`sha256:HEX`): checked before a path is built from one, computed over bytes
//! in memory or as they stream past. A leaf: it knows nothing of images, stores or registries.

use kubectl_kit_core::{Error, Result};

/// `sha256:HEX` → (`sha256`, `HEX`), refusing anything a path could be built from unsafely.
pub fn split_digest(digest: &str) -> Result<(&str, &str)> {
    let bad = || Error::corrupt(format!("invalid digest {digest:?}"));
    let (alg, hex) = digest.split_once(':').ok_or_else(bad)?;
    match alg {
        "sha256" if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) => {
            Ok((alg, hex))
        }
        "sha256" => Err(bad()),
        _ => Err(Error::corrupt(format!("unsupported digest algorithm in {digest:?} (only sha256)"))),
    }
}

/// `sha256:` digest of bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref()))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 over bytes handed to it piece by piece, as they stream past.
pub struct Hasher(ring::digest::Context);

impl Default for Hasher {
    fn default() -> Self {
        Hasher(ring::digest::Context::new(&ring::digest::SHA256))
    }
}

impl Hasher {
    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added, `sha256:…`.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex(self.0.finish().as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_before_building_paths() {
        assert!(split_digest("sha256:../../etc/passwd").is_err_and(|e| e.is_corrupt()));
        assert!(split_digest("md5:abc").is_err());
        let good = digest_of(b"x");
        assert_eq!(split_digest(&good).expect("valid").0, "sha256");
        assert_eq!(good, "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
        let mut h = Hasher::default();
        h.update(b"");
        h.update(b"x");
        assert_eq!(h.finish(), good, "streamed and whole agree");
    }
}
