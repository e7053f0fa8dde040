//! The images to push, read from a source: manifests, configs and layers with their digests,
//! sizes and where their bytes are.
//!
//! Four sources look alike once read: an OCI layout directory, an OCI archive, a Docker 25+
//! `docker save` (an OCI layout plus `manifest.json`) and a legacy `docker save` (only
//! `manifest.json`; its manifests are written here, as OCI manifests). Digests are checked
//! where they can be without reading layers (documents); layers are checked while they stream.

use serde::Deserialize;
use serde_json::Value;

use kubectl_kit_core::{Error, Result};

pub use crate::digest::{digest_of, hex, split_digest};
pub use crate::oci::{
    DOCKER_LIST, DOCKER_MANIFEST, Descriptor, OCI_CONFIG, OCI_INDEX, OCI_LAYER_TAR, OCI_MANIFEST, Platform,
};
use crate::store::{ByteRange, Store};

/// A blob to push: its descriptor and where its bytes are.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Digest, size and media type as the manifest states them.
    pub descriptor: Descriptor,
    /// The bytes in the source.
    pub bytes: ByteRange,
}

/// One image: a manifest with its config and layers.
#[derive(Debug, Clone)]
pub struct Image {
    /// The manifest as pushed.
    pub manifest: Vec<u8>,
    /// Its descriptor (digest of `manifest`).
    pub descriptor: Descriptor,
    /// Config blob.
    pub config: Blob,
    /// Layer blobs, in order.
    pub layers: Vec<Blob>,
}

impl Image {
    /// Config then layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }
}

/// What one push writes under one tag: an image, or an index of several platforms' images.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a handful per run; the size does not matter
pub enum Pushable {
    /// A single manifest.
    Image(Box<Image>),
    /// An index and the manifests it lists.
    Index {
        /// The index as pushed.
        bytes: Vec<u8>,
        /// Its descriptor.
        descriptor: Descriptor,
        /// Its images.
        images: Vec<Image>,
    },
}

impl Pushable {
    /// The digest the tag will point at.
    pub fn digest(&self) -> &str {
        match self {
            Pushable::Image(i) => &i.descriptor.digest,
            Pushable::Index { descriptor, .. } => &descriptor.digest,
        }
    }

    /// Every image.
    pub fn images(&self) -> Vec<&Image> {
        match self {
            Pushable::Image(i) => vec![i.as_ref()],
            Pushable::Index { images, .. } => images.iter().collect(),
        }
    }
}

/// An image found in the source, before platform filtering.
#[derive(Debug, Clone)]
pub struct Found {
    /// Names the source gives it (`app:1.0`, `docker.io/library/app:1.0`), best first.
    pub names: Vec<String>,
    /// What to push.
    pub content: Pushable,
    /// What was left out, and why (platforms whose blobs are missing, filtered platforms).
    pub skipped: Vec<String>,
}

/// Reads a document blob and checks its digest and size against its descriptor.
fn document(store: &Store, d: &Descriptor, what: &str) -> Result<Vec<u8>> {
    let bytes = store.locate(&Store::blob_name(&d.digest)?)?;
    let data = bytes.read_document(what)?;
    let actual = digest_of(&data);
    if actual != d.digest || data.len() as u64 != d.size {
        return Err(Error::corrupt(format!(
            "{what} {} is corrupt: its bytes hash to {actual} ({} bytes, {} expected)",
            d.digest,
            data.len(),
            d.size
        )));
    }
    Ok(data)
}

/// A blob referenced by a manifest: present in the store with the stated size, or an error
/// naming it.
fn blob(store: &Store, d: &Descriptor) -> Result<Blob> {
    let bytes = store.locate(&Store::blob_name(&d.digest)?)?;
    if bytes.len != d.size {
        return Err(Error::corrupt(format!(
            "blob {} is {} bytes in the source but its manifest says {}: the source is truncated or corrupt",
            d.digest, bytes.len, d.size
        )));
    }
    Ok(Blob { descriptor: d.clone(), bytes })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestDoc {
    #[serde(default)]
    media_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
}

/// Reads an image manifest descriptor into an [`Image`], checking every blob is there.
fn image(store: &Store, d: &Descriptor) -> Result<Image> {
    let manifest = document(store, d, "manifest")?;
    let doc: ManifestDoc = serde_json::from_slice(&manifest)
        .map_err(|e| Error::corrupt(format!("manifest {} is not valid JSON", d.digest)).caused_by_error(e))?;
    let (Some(config), Some(layers)) = (doc.config, doc.layers) else {
        return Err(Error::corrupt(format!("manifest {} has no config or no layers", d.digest)));
    };
    let mut descriptor = d.clone();
    if descriptor.media_type.is_empty() {
        descriptor.media_type = doc.media_type.unwrap_or_else(|| OCI_MANIFEST.to_string());
    }
    descriptor.annotations = None;
    let config = blob(store, &config)?;
    let layers = layers.iter().map(|l| blob(store, l)).collect::<Result<Vec<_>>>()?;
    Ok(Image { manifest, descriptor, config, layers })
}

/// Names an index entry carries (`io.containerd.image.name` is the full reference,
/// `org.opencontainers.image.ref.name` a full reference or just a tag).
fn names_of(d: &Descriptor) -> Vec<String> {
    let mut names = Vec::new();
    let get = |k: &str| d.annotations.as_ref().and_then(|a| a.get(k)).and_then(Value::as_str).map(str::to_string);
    if let Some(n) = get("io.containerd.image.name") {
        names.push(n);
    }
    if let Some(n) = get("org.opencontainers.image.ref.name") {
        names.push(n);
    }
    names
}

/// True when `index.json` lists a multi-platform index.
pub fn layout_has_index(store: &Store) -> bool {
    let Ok(bytes) = store.locate("index.json").and_then(|b| b.read_document("index.json")) else {
        return false;
    };
    serde_json::from_slice::<ManifestDoc>(&bytes)
        .ok()
        .and_then(|d| d.manifests)
        .is_some_and(|ms| ms.iter().any(|m| m.media_type == OCI_INDEX || m.media_type == DOCKER_LIST))
}

/// Reads an OCI layout (directory, OCI archive or Docker 25+ save): one [`Found`] per entry of
/// `index.json`. Index entries become [`Pushable::Index`] of the platforms `wanted` accepts
/// and whose blobs are all present.
pub fn read_layout(store: &Store, wanted: &dyn Fn(&Platform) -> bool) -> Result<Vec<Found>> {
    let index_bytes = store.locate("index.json")?.read_document("index.json")?;
    let index: ManifestDoc = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::corrupt("index.json is not a valid OCI index").caused_by_error(e))?;
    let entries = index.manifests.unwrap_or_default();
    let mut found = Vec::new();
    for entry in entries {
        let names = names_of(&entry);
        let media = entry.media_type.as_str();
        if media == OCI_INDEX || media == DOCKER_LIST {
            found.push(read_index(store, &entry, names, wanted)?);
        } else {
            found.push(Found { names, content: Pushable::Image(Box::new(image(store, &entry)?)), skipped: vec![] });
        }
    }
    Ok(found)
}

fn read_index(store: &Store, d: &Descriptor, names: Vec<String>, wanted: &dyn Fn(&Platform) -> bool) -> Result<Found> {
    let bytes = document(store, d, "index")?;
    let doc: ManifestDoc = serde_json::from_slice(&bytes)
        .map_err(|e| Error::corrupt(format!("index {} is not valid JSON", d.digest)).caused_by_error(e))?;
    let listed = doc.manifests.unwrap_or_default();
    let mut kept = Vec::new();
    let mut images = Vec::new();
    let mut skipped = Vec::new();
    for m in &listed {
        let shown = m.platform.as_ref().map(|p| p.to_string()).unwrap_or_else(|| "unknown platform".into());
        // Attestations (buildkit's `unknown/unknown` entries) are not runnable images.
        let attestation = m.platform.as_ref().is_some_and(|p| p.os == "unknown")
            || m.annotations.as_ref().is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
        if attestation {
            skipped.push(format!("{} ({shown}): attestation", m.digest));
            continue;
        }
        if let Some(p) = &m.platform
            && !wanted(p)
        {
            skipped.push(format!("{} ({shown}): platform not wanted", m.digest));
            continue;
        }
        match image(store, m) {
            Ok(i) => {
                kept.push(m.clone());
                images.push(i);
            }
            // kind#3795: a Docker save of one platform of a multi-platform image lists every
            // platform but carries the blobs of one. Push what is there.
            Err(e) => skipped.push(format!("{} ({shown}): not in the source ({})", m.digest, e.message)),
        }
    }
    if images.is_empty() {
        return Err(Error::runtime(format!(
            "index {} has no pushable platform: {}",
            d.digest,
            if skipped.is_empty() { "it lists no manifests".to_string() } else { skipped.join("; ") }
        ))
        .hint("pick a platform present in the source with --platform OS/ARCH, or --platform all"));
    }
    let content = if images.len() == 1 && kept.len() < listed.len() {
        // One platform left: push its manifest alone, so the tag names a runnable image.
        Pushable::Image(Box::new(images.remove(0)))
    } else if kept.len() == listed.len() {
        let mut descriptor = d.clone();
        descriptor.annotations = None;
        if descriptor.media_type.is_empty() {
            descriptor.media_type = doc.media_type.unwrap_or_else(|| OCI_INDEX.to_string());
        }
        Pushable::Index { bytes, descriptor, images }
    } else {
        // Some platforms left out: a new index of those kept (its digest differs from the
        // source's).
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::corrupt(format!("index {} is not valid JSON", d.digest)).caused_by_error(e))?;
        value["manifests"] =
            serde_json::to_value(&kept).map_err(|e| Error::runtime("cannot write index").caused_by(e))?;
        let trimmed = serde_json::to_vec(&value).map_err(|e| Error::runtime("cannot write index").caused_by(e))?;
        let media_type = if d.media_type.is_empty() { OCI_INDEX.to_string() } else { d.media_type.clone() };
        let descriptor = Descriptor {
            media_type,
            digest: digest_of(&trimmed),
            size: trimmed.len() as u64,
            platform: None,
            annotations: None,
        };
        Pushable::Index { bytes: trimmed, descriptor, images }
    };
    Ok(Found { names, content, skipped })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LegacyEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Reads a legacy `docker save` (`manifest.json` only) and writes an OCI manifest for each
/// image. Layers are pushed as they are (uncompressed tar); their digests come from the
/// config's `rootfs.diff_ids` and are checked while they stream. Layers that are compressed in
/// the archive are hashed first.
pub fn read_docker_save(store: &Store) -> Result<Vec<Found>> {
    let bytes = store.locate("manifest.json")?.read_document("manifest.json")?;
    let entries: Vec<LegacyEntry> = serde_json::from_slice(&bytes)
        .map_err(|e| Error::corrupt("manifest.json is not a docker save manifest").caused_by_error(e))?;
    let mut found = Vec::new();
    for entry in entries {
        let config_bytes = store.locate(&entry.config)?;
        let config_data = config_bytes.read_document(&entry.config)?;
        let config_digest = digest_of(&config_data);
        // Docker names configs after their digest: a mismatch means a corrupt archive.
        let stem = entry.config.rsplit('/').next().unwrap_or("").trim_end_matches(".json");
        if stem.len() == 64 && !config_digest.ends_with(stem) {
            return Err(Error::corrupt(format!(
                "{} is corrupt: its bytes hash to {config_digest}, not the digest in its name",
                entry.config
            )));
        }
        let config: Value = serde_json::from_slice(&config_data)
            .map_err(|e| Error::corrupt(format!("{} is not an image config", entry.config)).caused_by_error(e))?;
        let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if diff_ids.len() != entry.layers.len() {
            return Err(Error::corrupt(format!(
                "{}: {} layers listed but the config has {} diff_ids",
                entry.config,
                entry.layers.len(),
                diff_ids.len()
            )));
        }
        let mut layers = Vec::new();
        for (path, diff_id) in entry.layers.iter().zip(&diff_ids) {
            let bytes = store.locate(path)?;
            let (media_type, digest) = match compression_of(&bytes, path)? {
                None => (OCI_LAYER_TAR.to_string(), diff_id.clone()),
                Some(suffix) => (format!("{OCI_LAYER_TAR}+{suffix}"), crate::stream::hash_range(&bytes, path)?),
            };
            split_digest(&digest)?;
            let descriptor = Descriptor { media_type, digest, size: bytes.len, platform: None, annotations: None };
            layers.push(Blob { descriptor, bytes });
        }
        let config_desc = Descriptor {
            media_type: OCI_CONFIG.to_string(),
            digest: config_digest,
            size: config_bytes.len,
            platform: None,
            annotations: None,
        };
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_desc,
            "layers": layers.iter().map(|l| &l.descriptor).collect::<Vec<_>>(),
        }))
        .map_err(|e| Error::runtime("cannot write manifest").caused_by(e))?;
        let descriptor = Descriptor {
            media_type: OCI_MANIFEST.to_string(),
            digest: digest_of(&manifest),
            size: manifest.len() as u64,
            platform: None,
            annotations: None,
        };
        let image =
            Image { manifest, descriptor, config: Blob { descriptor: config_desc, bytes: config_bytes }, layers };
        found.push(Found {
            names: entry.repo_tags.unwrap_or_default(),
            content: Pushable::Image(Box::new(image)),
            skipped: vec![],
        });
    }
    Ok(found)
}

/// `gzip` or `zstd` when a layer's first bytes say it is compressed. `name` is the layer's
/// name in the source, for messages.
fn compression_of(bytes: &ByteRange, name: &str) -> Result<Option<&'static str>> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let unreadable = |e| Error::runtime(format!("cannot read layer {name}")).caused_by_error(e);
    let mut reader = bytes.open().map_err(unreadable)?;
    let n = reader.read(&mut magic).map_err(unreadable)?;
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x28, 0xb5, 0x2f, 0xfd] => Some("zstd"),
        _ => None,
    })
}

/// Names docker save recorded for each image, for picking with `--image`.
pub fn docker_save_names(store: &Store) -> Vec<Vec<String>> {
    let Ok(bytes) = store.locate("manifest.json").and_then(|b| b.read_document("manifest.json")) else {
        return vec![];
    };
    serde_json::from_slice::<Vec<LegacyEntry>>(&bytes)
        .map(|v| v.into_iter().map(|e| e.repo_tags.unwrap_or_default()).collect())
        .unwrap_or_default()
}
