//! Images to push, generated on disk: random layers (so that no blob is already in a registry)
//! written as an OCI layout, an OCI archive, a legacy `docker save` and a Docker 25+ save.
//! Layers stream to disk; nothing the size of a layer is held in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// A layer as written: digests of its stored and uncompressed bytes.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Digest of the stored bytes (what a manifest lists).
    pub digest: String,
    /// Digest of the uncompressed tar (the config's diff_id).
    pub diff_id: String,
    /// Stored size.
    pub size: u64,
    /// Media type.
    pub media_type: String,
    /// Where the stored bytes are.
    pub path: PathBuf,
}

/// An image as written.
#[derive(Debug, Clone)]
pub struct Image {
    /// Manifest digest.
    pub digest: String,
    /// Manifest bytes.
    pub manifest: Vec<u8>,
    /// Config digest.
    pub config_digest: String,
    /// Config bytes.
    pub config: Vec<u8>,
    /// Layers.
    pub layers: Vec<Layer>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:` of bytes.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref()))
}

struct Hashing<W> {
    inner: W,
    ctx: ring::digest::Context,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.ctx.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing { inner, ctx: ring::digest::Context::new(&ring::digest::SHA256), len: 0 }
    }
    fn finish(self) -> (W, String, u64) {
        (self.inner, format!("sha256:{}", hex(self.ctx.finish().as_ref())), self.len)
    }
}

/// Writes a layer (a tar holding one file of `size` pseudo-random bytes from `seed`) to
/// `path`, gzip-compressed (stored, not squeezed: random bytes do not compress) or not.
pub fn write_layer(path: &Path, size: u64, seed: u64, gzip: bool) -> Layer {
    let file = std::fs::File::create(path).expect("create layer");
    let outer = Hashing::new(std::io::BufWriter::with_capacity(1 << 20, file));
    let (outer, inner_digest) = if gzip {
        let enc = GzEncoder::new(outer, flate2::Compression::none());
        let inner = Hashing::new(enc);
        let (enc, d, _) = write_tar(inner, size, seed).finish();
        (enc.finish().expect("gzip"), d)
    } else {
        let inner = Hashing::new(outer);
        let (outer, d, _) = write_tar(inner, size, seed).finish();
        (outer, d)
    };
    let (mut w, digest, len) = outer.finish();
    w.flush().expect("flush layer");
    let media_type =
        if gzip { "application/vnd.oci.image.layer.v1.tar+gzip" } else { "application/vnd.oci.image.layer.v1.tar" };
    Layer { digest, diff_id: inner_digest, size: len, media_type: media_type.to_string(), path: path.to_path_buf() }
}

fn write_tar<W: Write>(w: W, size: u64, seed: u64) -> W {
    let mut builder = tar::Builder::new(w);
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    builder.append_data(&mut header, format!("data-{seed}.bin"), Random { state: seed | 1, left: size }).expect("tar");
    builder.into_inner().expect("tar end")
}

/// xorshift64*: fast pseudo-random bytes, enough to defeat deduplication and compression.
struct Random {
    state: u64,
    left: u64,
}

impl std::io::Read for Random {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let v = self.state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes layers of these sizes into `dir` and returns the image built on them (config and
/// manifest in memory). `seed` makes the content unique.
pub fn image(dir: &Path, sizes: &[u64], seed: u64, gzip: bool, arch: &str) -> Image {
    std::fs::create_dir_all(dir).expect("layer dir");
    let layers: Vec<Layer> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            write_layer(
                &dir.join(format!("layer-{seed}-{i}")),
                size,
                seed.wrapping_mul(1000).wrapping_add(i as u64 + 1),
                gzip,
            )
        })
        .collect();
    let config = serde_json::to_vec(&json!({
        "architecture": arch,
        "os": "linux",
        "config": { "Cmd": ["/data"], "Labels": { "seed": seed.to_string() } },
        "rootfs": { "type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>() },
    }))
    .expect("config");
    let config_digest = digest(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": layers.iter().map(|l| json!({ "mediaType": l.media_type, "digest": l.digest, "size": l.size })).collect::<Vec<_>>(),
    }))
    .expect("manifest");
    Image { digest: digest(&manifest), manifest, config_digest, config, layers }
}

fn blob_path(root: &Path, digest: &str) -> PathBuf {
    root.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))
}

fn put_blob(root: &Path, digest: &str, bytes: &[u8]) {
    let p = blob_path(root, digest);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("blobs dir");
    std::fs::write(p, bytes).expect("write blob");
}

fn move_layer(root: &Path, layer: &Layer) {
    let p = blob_path(root, &layer.digest);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("blobs dir");
    if !p.exists() {
        std::fs::rename(&layer.path, &p).or_else(|_| std::fs::copy(&layer.path, &p).map(|_| ())).expect("move layer");
    }
}

/// Writes `img` as an OCI layout in `root` (`index.json` naming it `ref_name`).
pub fn write_oci_layout(root: &Path, img: &Image, ref_name: Option<&str>) {
    std::fs::create_dir_all(root).expect("layout dir");
    std::fs::write(root.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    put_blob(root, &img.config_digest, &img.config);
    put_blob(root, &img.digest, &img.manifest);
    for l in &img.layers {
        move_layer(root, l);
    }
    let mut entry = json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": img.digest, "size": img.manifest.len() });
    if let Some(r) = ref_name {
        entry["annotations"] = json!({ "org.opencontainers.image.ref.name": r });
    }
    let index =
        json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [entry] });
    std::fs::write(root.join("index.json"), serde_json::to_vec(&index).expect("index")).expect("index.json");
}

/// Writes a multi-platform OCI layout: one image per `(arch, present)`; platforms not present
/// are listed in the index but their manifest and blobs are left out (as a Docker save of one
/// platform does). Returns the index digest.
pub fn write_multi_platform(root: &Path, images: &[(&str, &Image, bool)], ref_name: &str) -> String {
    std::fs::create_dir_all(root).expect("layout dir");
    std::fs::write(root.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    let mut manifests = Vec::new();
    for (arch, img, present) in images {
        if *present {
            put_blob(root, &img.config_digest, &img.config);
            put_blob(root, &img.digest, &img.manifest);
            for l in &img.layers {
                move_layer(root, l);
            }
        }
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": img.digest, "size": img.manifest.len(),
            "platform": { "os": "linux", "architecture": arch },
        }));
    }
    let index = serde_json::to_vec(
        &json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests }),
    )
    .expect("index");
    let index_digest = digest(&index);
    put_blob(root, &index_digest, &index);
    let top = json!({ "schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest, "size": index.len(),
        "annotations": { "io.containerd.image.name": format!("docker.io/library/{ref_name}"), "org.opencontainers.image.ref.name": ref_name.rsplit(':').next().unwrap_or("latest") },
    }]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&top).expect("index")).expect("index.json");
    index_digest
}

/// Tars a directory (an OCI archive of a layout, or a Docker 25+ save).
pub fn tar_dir(dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).expect("create tar");
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    builder.append_dir_all(".", dir).expect("tar dir");
    builder.into_inner().expect("tar").flush().expect("flush");
}

/// Writes a legacy `docker save` tarball of uncompressed-layer images with their tags.
pub fn write_docker_save(out: &Path, images: &[(&Image, &[&str])]) {
    let file = std::fs::File::create(out).expect("create tar");
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    let mut manifest = Vec::new();
    for (img, tags) in images {
        let config_name = format!("{}.json", img.config_digest.trim_start_matches("sha256:"));
        append(&mut builder, &config_name, &img.config);
        let mut layer_paths = Vec::new();
        for l in &img.layers {
            let name = format!("{}/layer.tar", l.diff_id.trim_start_matches("sha256:"));
            let mut header = tar::Header::new_gnu();
            header.set_size(l.size);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, &name, std::fs::File::open(&l.path).expect("layer"))
                .expect("append layer");
            layer_paths.push(name);
        }
        manifest.push(json!({ "Config": config_name, "RepoTags": tags, "Layers": layer_paths }));
    }
    append(&mut builder, "manifest.json", &serde_json::to_vec(&Value::Array(manifest)).expect("manifest"));
    builder.into_inner().expect("tar").flush().expect("flush");
}

/// Writes a Docker 25+ `docker save`: an OCI layout with `manifest.json` beside `index.json`.
pub fn write_docker25_save(out: &Path, work: &Path, img: &Image, tag: &str) {
    write_oci_layout(work, img, None);
    // Docker names the image in index.json annotations.
    let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": img.digest, "size": img.manifest.len(),
        "annotations": { "io.containerd.image.name": format!("docker.io/library/{tag}"), "org.opencontainers.image.ref.name": tag.rsplit(':').next().unwrap_or("latest") },
    }]});
    std::fs::write(work.join("index.json"), serde_json::to_vec(&index).expect("index")).expect("index.json");
    let manifest = json!([{
        "Config": format!("blobs/sha256/{}", img.config_digest.trim_start_matches("sha256:")),
        "RepoTags": [tag],
        "Layers": img.layers.iter().map(|l| format!("blobs/sha256/{}", l.digest.trim_start_matches("sha256:"))).collect::<Vec<_>>(),
    }]);
    std::fs::write(work.join("manifest.json"), serde_json::to_vec(&manifest).expect("manifest"))
        .expect("manifest.json");
    tar_dir(work, out);
}

fn append<W: Write>(builder: &mut tar::Builder<W>, name: &str, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, name, data).expect("append");
}
