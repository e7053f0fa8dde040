//! SOURCE on the command line → the images in it.
//!
//! A directory is an OCI layout. A file is a tarball (gzip-compressed ones are decompressed to
//! a temporary file first): with `index.json` it is an OCI archive or a Docker 25+ save, with
//! only `manifest.json` a legacy Docker save. Anything else is an image in a local Docker or
//! Podman store, exported through its CLI (`docker save`, run without a shell).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubectl_kit_core::{Error, Result};

use kubectl_kit_registry::image::{self, Found, Platform};
use kubectl_kit_registry::store::Store;

/// The kind of source, for messages and `-o json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An OCI image layout directory.
    OciLayout,
    /// A tarball of an OCI layout.
    OciArchive,
    /// A `docker save` tarball of Docker 25+ (an OCI layout with `manifest.json`).
    DockerSaveOci,
    /// A legacy `docker save` tarball.
    DockerSave,
    /// An image exported from a local Docker or Podman store.
    Store,
}

/// An opened source: where its files are, and the temporary files that must live while they
/// are pushed.
#[derive(Debug)]
pub struct Opened {
    /// What it was.
    pub kind: Kind,
    /// Its files.
    pub store: Store,
    /// What the user named.
    pub shown: String,
    /// Temporary files (exports, decompressed tarballs), removed when dropped.
    pub _temp: Option<tempfile::TempDir>,
}

impl Opened {
    /// True when the source lists a multi-platform index (whose platforms get filtered).
    pub fn has_index(&self) -> bool {
        self.kind != Kind::DockerSave && image::layout_has_index(&self.store)
    }

    /// The images in the source; `wanted` filters the platforms of multi-platform indexes.
    pub fn read(&self, wanted: &dyn Fn(&Platform) -> bool) -> Result<Vec<Found>> {
        let found = match self.kind {
            Kind::DockerSave => image::read_docker_save(&self.store),
            Kind::Store if !self.store.has("index.json") => image::read_docker_save(&self.store),
            _ => image::read_layout(&self.store, wanted),
        };
        let mut found = found.map_err(|e| in_source(e, &self.shown))?;
        if self.store.has("index.json") && self.store.has("manifest.json") {
            // Docker 25+ records the tags in manifest.json too; use them when the index has none.
            let names = image::docker_save_names(&self.store);
            if names.len() == found.len() {
                for (f, n) in found.iter_mut().zip(names) {
                    if f.names.is_empty() {
                        f.names = n;
                    }
                }
            }
        }
        Ok(found)
    }
}

/// Opens SOURCE.
pub fn open(source: &str, engine: Option<&str>) -> Result<Opened> {
    let path = Path::new(source);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let store = Store::dir(path);
            if !store.has("index.json") {
                return Err(Error::usage(format!(
                    "{source} is a directory without index.json: not an OCI image layout"
                )));
            }
            Ok(Opened { kind: Kind::OciLayout, store, shown: source.to_string(), _temp: None })
        }
        Ok(_) => open_file(path, path, None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && looks_like_reference(source) => export(source, engine),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Errors from reading a source's files name the file; this says which source it is in.
fn in_source(mut e: Error, source: &str) -> Error {
    e.message = format!("{source}: {}", e.message);
    e
}

/// A word that could be an image in a local store (`app`, `app:1.0`, `docker.io/x/y@sha256:…`)
/// rather than a mistyped path.
fn looks_like_reference(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.starts_with('/')
        && !s.ends_with(".tar")
        && !s.ends_with(".tar.gz")
        && !s.ends_with(".tgz")
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b))
}

fn open_file(path: &Path, shown: &Path, temp: Option<tempfile::TempDir>) -> Result<Opened> {
    let mut magic = [0u8; 2];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut magic)).map_err(|e| Error::io("read", shown, e))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        // `docker save | gzip`: tar needs random access, so decompress once to a temporary file.
        let dir = match temp {
            Some(t) => t,
            None => {
                tempfile::tempdir().map_err(|e| Error::runtime("cannot create a temporary directory").caused_by(e))?
            }
        };
        let out_path = dir.path().join("source.tar");
        let input = std::fs::File::open(path).map_err(|e| Error::io("read", shown, e))?;
        let mut decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(input));
        let mut out = std::fs::File::create(&out_path).map_err(|e| Error::io("write", &out_path, e))?;
        std::io::copy(&mut decoder, &mut out).map_err(|e| {
            Error::corrupt(format!("{}: not a readable gzip stream", shown.display())).caused_by_error(e).hint(GIVE)
        })?;
        let opened = open_tar(&out_path, shown)?;
        return Ok(Opened { _temp: Some(dir), ..opened });
    }
    let opened = open_tar(path, shown)?;
    Ok(Opened { _temp: temp, ..opened })
}

/// What SOURCE may be, for a file that is none of it.
const GIVE: &str =
    "give a `docker save` tarball or an OCI archive (either may be gzip-compressed), or an OCI layout directory";

fn open_tar(path: &Path, shown: &Path) -> Result<Opened> {
    // A file that is not a tarball (or a truncated one) is named; what SOURCE may be follows.
    let store = Store::tar(path, shown).map_err(|e| if e.is_corrupt() { e.hint(GIVE) } else { e })?;
    let shown = shown.display().to_string();
    let kind = match (store.has("index.json"), store.has("manifest.json")) {
        (true, true) => Kind::DockerSaveOci,
        (true, false) => Kind::OciArchive,
        (false, true) => Kind::DockerSave,
        (false, false) => {
            return Err(Error::usage(format!(
                "{shown} is neither a docker save tarball (manifest.json) nor an OCI archive (index.json)"
            )));
        }
    };
    Ok(Opened { kind, store, shown, _temp: None })
}

/// The container engine CLIs tried, in order, when SOURCE names an image in a local store.
pub const ENGINES: [&str; 2] = ["docker", "podman"];

fn export(reference: &str, engine: Option<&str>) -> Result<Opened> {
    let candidates: Vec<&str> = match engine {
        Some(e) => vec![e],
        None => ENGINES.to_vec(),
    };
    let Some((name, program)) = candidates.iter().find_map(|c| which::which(c).ok().map(|p| (*c, p))) else {
        return Err(Error::usage(format!(
            "{reference} is not a file or directory, and no {} CLI was found on PATH to export it from a local image store",
            candidates.join(" or ")
        ))
        .hint(GIVE));
    };
    let dir = tempfile::tempdir().map_err(|e| Error::runtime("cannot create a temporary directory").caused_by(e))?;
    let out: PathBuf = dir.path().join("export.tar");
    let status = Command::new(&program)
        .arg("save")
        .arg("-o")
        .arg(&out)
        .arg(reference)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| Error::runtime(format!("cannot run {name} save")).caused_by_error(e))?;
    if !status.status.success() {
        let said = String::from_utf8_lossy(&status.stderr).trim().to_string();
        let mut err = Error::runtime(format!("{name} save {reference} failed ({})", status.status));
        if !said.is_empty() {
            err = err.caused_by(said);
        }
        return Err(err);
    }
    let opened = open_file(&out, Path::new(reference), Some(dir))?;
    Ok(Opened { kind: Kind::Store, ..opened })
}
