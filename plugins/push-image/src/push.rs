//! One push: blobs first (HEAD, mount or upload, several at once), manifests last, so that a
//! tag never points at blobs the registry lacks.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::Value;

use kubectl_kit_core::{Error, Result};

use kubectl_kit_registry::image::{self, Blob, Descriptor, Image, Pushable};
use kubectl_kit_registry::registry::{Action, Registry};

use crate::compress::Compress;
use crate::progress::Progress;

/// Blobs uploaded at once.
pub const CONCURRENCY: usize = 4;
/// HEAD requests at once.
const CHECKS: usize = 8;
/// Attempts per blob upload (a connection reset or a 5xx starts the blob again).
const ATTEMPTS: u32 = 3;

/// What happened to one blob.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobReport {
    /// `sha256:…`.
    pub digest: String,
    /// Bytes.
    pub size: u64,
    /// Media type as pushed.
    pub media_type: String,
    /// exists, mounted or pushed.
    pub action: Action,
    /// The repository it was mounted from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mounted_from: Option<String>,
}

/// The outcome of pushing one image or index under one tag.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The registry pushed to.
    pub registry: String,
    /// Repository.
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// Digest of what the tag points at.
    pub digest: String,
    /// Media type of what the tag points at.
    pub media_type: String,
    /// The reference for image fields, pinned by digest.
    pub reference: String,
    /// Platforms of the images pushed (empty when the source does not say).
    pub platforms: Vec<String>,
    /// Every blob, config first.
    pub blobs: Vec<BlobReport>,
    /// What was left out of the source and why.
    pub skipped: Vec<String>,
    /// Bytes of blobs uploaded.
    pub bytes_sent: u64,
}

/// Options of a push.
pub struct Options<'a> {
    /// Compression of uncompressed layers.
    pub compress: Compress,
    /// Where compressed copies go.
    pub temp: &'a std::path::Path,
    /// Blobs known to be in other repositories of this registry: digest → repository.
    pub known: &'a mut HashMap<String, String>,
    /// The host to print in references.
    pub pull_host: &'a str,
    /// Progress on stderr.
    pub progress: &'a Arc<Progress>,
}

/// Pushes `content` as `repository:tag`.
pub async fn push(
    registry: &Registry,
    repository: &str,
    tag: &str,
    content: Pushable,
    skipped: Vec<String>,
    options: Options<'_>,
) -> Result<Report> {
    let content = compress(content, options.compress, options.temp).await?;
    // Unique blobs, config and layers of every image, largest first for the uploads.
    let mut blobs: BTreeMap<String, Blob> = BTreeMap::new();
    for img in content.images() {
        for b in img.blobs() {
            blobs.entry(b.descriptor.digest.clone()).or_insert_with(|| b.clone());
        }
    }
    let present: Vec<(String, bool)> = futures::stream::iter(blobs.keys().cloned())
        .map(|digest| async move {
            let has = registry.has_blob(repository, &digest).await?;
            Ok::<_, Error>((digest, has))
        })
        .buffer_unordered(CHECKS)
        .try_collect()
        .await
        .map_err(|e: Error| e.context(&format!("; nothing was pushed, so {repository}:{tag} was not changed")))?;
    let present: HashMap<String, bool> = present.into_iter().collect();
    let mut missing: Vec<&Blob> =
        blobs.values().filter(|b| !present.get(&b.descriptor.digest).copied().unwrap_or(false)).collect();
    missing.sort_by_key(|b| std::cmp::Reverse(b.descriptor.size));
    options.progress.start(
        repository,
        tag,
        missing.iter().map(|b| (b.descriptor.digest.clone(), b.descriptor.size)).collect(),
    );
    let total = missing.len();
    let known: &HashMap<String, String> = options.known;
    let outcomes: Vec<Result<(String, Action, Option<String>)>> = futures::stream::iter(missing.iter().copied())
        .map(|blob| {
            let from = known.get(&blob.descriptor.digest).filter(|r| r.as_str() != repository).cloned();
            async move {
                let sent = options.progress.counter(&blob.descriptor.digest);
                let mut attempt = 1;
                loop {
                    match registry.upload_blob(repository, &blob.descriptor, &blob.bytes, from.as_deref(), &sent).await
                    {
                        Ok(action) => {
                            options.progress.done(&blob.descriptor.digest, action);
                            let from = (action == Action::Mounted).then(|| from.clone()).flatten();
                            return Ok((blob.descriptor.digest.clone(), action, from));
                        }
                        // A corrupt source will not get better; anything else may (a reset
                        // connection, a registry restarting).
                        Err(e) if attempt < ATTEMPTS && !e.is_corrupt() => {
                            kubectl_kit_core::output::warn(&format!(
                                "blob {}: {}; starting it again ({} of {ATTEMPTS})",
                                blob.descriptor.digest,
                                e.message,
                                attempt + 1
                            ));
                            sent.store(0, Ordering::Relaxed);
                            attempt += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(300 * u64::from(attempt))).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    options.progress.finish();
    let mut actions: HashMap<String, (Action, Option<String>)> =
        present.iter().filter(|(_, has)| **has).map(|(d, _)| (d.clone(), (Action::Exists, None))).collect();
    let mut failures = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((digest, action, from)) => {
                actions.insert(digest, (action, from));
            }
            Err(e) => failures.push(e),
        }
    }
    let sent_bytes: u64 = missing
        .iter()
        .filter(|b| matches!(actions.get(&b.descriptor.digest), Some((Action::Pushed, _))))
        .map(|b| b.descriptor.size)
        .sum();
    if let Some(first) = failures.into_iter().next() {
        let done = actions.values().filter(|(a, _)| *a != Action::Exists).count();
        return Err(first.caused_by(format!(
            "{done} of {total} missing blobs reached the registry ({} bytes); no manifest was written, so {repository}:{tag} was not changed",
            sent_bytes
        )));
    }
    for digest in blobs.keys() {
        options.known.insert(digest.clone(), repository.to_string());
    }
    // Manifests last: the index's images by digest, then the tag.
    match &content {
        Pushable::Image(img) => {
            registry
                .put_manifest(repository, tag, &img.descriptor.media_type, &img.manifest, &img.descriptor.digest)
                .await?;
        }
        Pushable::Index { bytes, descriptor, images } => {
            for img in images {
                registry
                    .put_manifest(
                        repository,
                        &img.descriptor.digest,
                        &img.descriptor.media_type,
                        &img.manifest,
                        &img.descriptor.digest,
                    )
                    .await?;
            }
            registry.put_manifest(repository, tag, &descriptor.media_type, bytes, &descriptor.digest).await?;
        }
    }
    let report_blobs = ordered_blobs(&content)
        .into_iter()
        .map(|b| {
            let (action, from) = actions.get(&b.descriptor.digest).cloned().unwrap_or((Action::Exists, None));
            BlobReport {
                digest: b.descriptor.digest.clone(),
                size: b.descriptor.size,
                media_type: b.descriptor.media_type.clone(),
                action,
                mounted_from: from,
            }
        })
        .collect();
    let (digest, media_type) = match &content {
        Pushable::Image(i) => (i.descriptor.digest.clone(), i.descriptor.media_type.clone()),
        Pushable::Index { descriptor, .. } => (descriptor.digest.clone(), descriptor.media_type.clone()),
    };
    Ok(Report {
        registry: registry.host.clone(),
        repository: repository.to_string(),
        tag: tag.to_string(),
        reference: format!("{}/{repository}@{digest}", options.pull_host),
        digest,
        media_type,
        platforms: platforms(&content),
        blobs: report_blobs,
        skipped,
        bytes_sent: sent_bytes,
    })
}

/// Each blob once, in manifest order (config, then layers), image after image.
fn ordered_blobs(content: &Pushable) -> Vec<&Blob> {
    let mut seen = std::collections::HashSet::new();
    content.images().into_iter().flat_map(|i| i.blobs()).filter(|b| seen.insert(b.descriptor.digest.clone())).collect()
}

fn platforms(content: &Pushable) -> Vec<String> {
    match content {
        Pushable::Index { bytes, .. } => serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| v.get("manifests").cloned())
            .and_then(|m| serde_json::from_value::<Vec<Descriptor>>(m).ok())
            .map(|ms| ms.iter().filter_map(|d| d.platform.as_ref().map(ToString::to_string)).collect())
            .unwrap_or_default(),
        Pushable::Image(_) => vec![],
    }
}

/// Compresses the uncompressed layers when asked, rewriting manifests (and the index) to the
/// new digests. The configs' `diff_ids` stay: they name the uncompressed content.
async fn compress(content: Pushable, how: Compress, temp: &std::path::Path) -> Result<Pushable> {
    if matches!(how, Compress::None | Compress::Auto) {
        return Ok(content);
    }
    let suffix = if how == Compress::Gzip { "gzip" } else { "zstd" };
    let mut done: HashMap<String, Blob> = HashMap::new();
    let mut rewrite = |img: Image| -> Result<Image> {
        let mut changed = false;
        let mut layers = Vec::new();
        for layer in img.layers {
            let uncompressed = layer.descriptor.media_type == image::OCI_LAYER_TAR
                || layer.descriptor.media_type == "application/vnd.docker.image.rootfs.diff.tar";
            if !uncompressed {
                layers.push(layer);
                continue;
            }
            let new = match done.get(&layer.descriptor.digest) {
                Some(b) => b.clone(),
                None => {
                    let (digest, bytes) = crate::compress::compress(&layer.bytes, &layer.descriptor.digest, how, temp)?;
                    let descriptor = Descriptor {
                        media_type: format!("{}+{suffix}", image::OCI_LAYER_TAR),
                        digest,
                        size: bytes.len,
                        platform: None,
                        annotations: layer.descriptor.annotations.clone(),
                    };
                    let b = Blob { descriptor, bytes };
                    done.insert(layer.descriptor.digest.clone(), b.clone());
                    b
                }
            };
            changed = true;
            layers.push(new);
        }
        if !changed {
            return Ok(Image { layers, ..img });
        }
        let mut value: Value = serde_json::from_slice(&img.manifest)
            .map_err(|e| Error::runtime("cannot rewrite a manifest").caused_by(e))?;
        value["layers"] = serde_json::to_value(layers.iter().map(|l| &l.descriptor).collect::<Vec<_>>())
            .map_err(|e| Error::runtime("cannot rewrite a manifest").caused_by(e))?;
        if value.get("mediaType").and_then(Value::as_str) == Some(image::DOCKER_MANIFEST) {
            // Docker schema 2 has no zstd or uncompressed OCI layer types: write an OCI manifest.
            value["mediaType"] = Value::from(image::OCI_MANIFEST);
            value["config"]["mediaType"] = Value::from(image::OCI_CONFIG);
        }
        let manifest =
            serde_json::to_vec(&value).map_err(|e| Error::runtime("cannot rewrite a manifest").caused_by(e))?;
        let media_type = value.get("mediaType").and_then(Value::as_str).unwrap_or(image::OCI_MANIFEST).to_string();
        let descriptor = Descriptor {
            media_type,
            digest: image::digest_of(&manifest),
            size: manifest.len() as u64,
            platform: img.descriptor.platform.clone(),
            annotations: None,
        };
        Ok(Image { manifest, descriptor, config: img.config, layers })
    };
    // Compression is CPU work on the blocking pool's terms; it runs before any upload starts.
    match content {
        Pushable::Image(img) => Ok(Pushable::Image(Box::new(rewrite(*img)?))),
        Pushable::Index { bytes, descriptor, images } => {
            let mut value: Value =
                serde_json::from_slice(&bytes).map_err(|e| Error::runtime("cannot rewrite an index").caused_by(e))?;
            let mut new_images = Vec::new();
            let mut entries: Vec<Value> = value.get("manifests").and_then(Value::as_array).cloned().unwrap_or_default();
            for img in images {
                let old = img.descriptor.digest.clone();
                let new = rewrite(img)?;
                for e in entries.iter_mut() {
                    if e.get("digest").and_then(Value::as_str) == Some(old.as_str()) {
                        e["digest"] = Value::from(new.descriptor.digest.clone());
                        e["size"] = Value::from(new.descriptor.size);
                        e["mediaType"] = Value::from(new.descriptor.media_type.clone());
                    }
                }
                new_images.push(new);
            }
            value["manifests"] = Value::Array(entries);
            let bytes =
                serde_json::to_vec(&value).map_err(|e| Error::runtime("cannot rewrite an index").caused_by(e))?;
            let descriptor = Descriptor { digest: image::digest_of(&bytes), size: bytes.len() as u64, ..descriptor };
            Ok(Pushable::Index { bytes, descriptor, images: new_images })
        }
    }
}
