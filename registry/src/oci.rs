//! The OCI image-spec types a push reads and writes: media types, descriptors and platforms
//! (Docker's schema 2 media types beside them, which `docker save` writes).

// User and cluster text: walked by `char` or checked ranges, never sliced at a byte offset.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};
use serde_json::Value;

use kubectl_kit_core::{Error, Result};

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI uncompressed layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor (OCI image spec).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the bytes are.
    #[serde(default)]
    pub media_type: String,
    /// `sha256:…`.
    pub digest: String,
    /// Length in bytes.
    pub size: u64,
    /// For manifests in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Free-form annotations (ref names live here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, Value>>,
}

/// An image's platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `linux`, `windows`…
    pub os: String,
    /// `amd64`, `arm64`…
    pub architecture: String,
    /// `v8` for arm64, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: None })
            }
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: Some(variant.to_string()) })
            }
            _ => Err(Error::usage(format!("invalid platform {text:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64"))),
        }
    }

    /// True when `self` (what the user or the nodes want) accepts `other` (what an image is):
    /// a wanted platform without a variant accepts every variant.
    pub fn accepts(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let want = Platform::parse("linux/arm64").expect("parse");
        let v8 = Platform::parse("linux/arm64/v8").expect("parse");
        assert!(want.accepts(&v8));
        assert!(!v8.accepts(&Platform::parse("linux/arm64/v7").expect("parse")));
        assert!(Platform::parse("linux").is_err());
        assert_eq!(v8.to_string(), "linux/arm64/v8");
    }
}
