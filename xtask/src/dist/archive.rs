//! The archives: one per plugin and platform, the same bytes for the same binaries, and their
//! hashes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::paths;
use crate::platform::{Archive, Platform};

/// Seconds since the epoch stamped on archive entries: `SOURCE_DATE_EPOCH`, else the last
/// commit's time, so that archives do not change with the time of the build.
fn timestamp() -> u64 {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.parse().ok()) {
        return t;
    }
    Command::new("git")
        .current_dir(paths::root())
        .args(["log", "-1", "--format=%ct"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

/// Writes an archive with the binaries (mode 755) and documents (mode 644) at its top level.
pub fn write(path: &Path, platform: &Platform, binaries: &[PathBuf], docs: &[PathBuf]) -> Result<()> {
    let mut entries: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
    for (files, mode) in [(binaries, 0o755), (docs, 0o644)] {
        for f in files {
            let name = f.file_name().context("a file without a name")?.to_string_lossy().to_string();
            let bytes = std::fs::read(f).with_context(|| format!("could not read {}", f.display()))?;
            entries.insert(name, (bytes, mode));
        }
    }
    let mtime = timestamp();
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("could not create {}", tmp.display()))?;
    if platform.archive == Archive::Zip {
        let mut zip = zip::ZipWriter::new(file);
        // zip's earliest date (1980-01-01): MS-DOS times have no zone, and the bytes must not
        // depend on when the build ran.
        let time = zip::DateTime::default();
        for (name, (bytes, mode)) in &entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(time)
                .unix_permissions(*mode);
            zip.start_file(name.as_str(), options)?;
            zip.write_all(bytes)?;
        }
        zip.finish()?;
    } else {
        let gz = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::best());
        let mut tar = tar::Builder::new(gz);
        for (name, (bytes, mode)) in &entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(*mode);
            header.set_mtime(mtime);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, name, bytes.as_slice())?;
        }
        tar.into_inner()?.finish()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// `(file name, lower-case sha256)` of every plugin archive of this version in `dir`, by name.
pub fn hash_all(dir: &Path, version: &str) -> Result<Vec<(String, String)>> {
    let version = format!("-v{version}-");
    let mut out = vec![];
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if name.starts_with("kubectl-")
            && name.contains(&version)
            && (name.ends_with(".tar.gz") || name.ends_with(".zip"))
        {
            let bytes = std::fs::read(dir.join(&name))?;
            out.push((name, sha256_hex(&bytes)));
        }
    }
    out.sort();
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_hold_binaries_license_and_readme_at_the_top() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("kubectl-x");
        let license = dir.path().join("LICENSE");
        std::fs::write(&bin, "binary").expect("write");
        std::fs::write(&license, "license").expect("write");
        let linux = Platform::of("x86_64-unknown-linux-gnu").expect("known");
        let windows = Platform::of("x86_64-pc-windows-msvc").expect("known");
        let tgz = dir.path().join("a.tar.gz");
        write(&tgz, linux, std::slice::from_ref(&bin), std::slice::from_ref(&license)).expect("tar");
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&tgz).expect("open")));
        let got: Vec<(String, u32)> = ar
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (e.path().expect("path").display().to_string(), e.header().mode().expect("mode"))
            })
            .collect();
        assert_eq!(got, [("LICENSE".to_string(), 0o644), ("kubectl-x".to_string(), 0o755)]);
        // The same inputs give the same bytes.
        let again = dir.path().join("b.tar.gz");
        write(&again, linux, std::slice::from_ref(&bin), std::slice::from_ref(&license)).expect("tar");
        assert_eq!(std::fs::read(&tgz).expect("read"), std::fs::read(&again).expect("read"));

        let zip_path = dir.path().join("a.zip");
        write(&zip_path, windows, &[bin], &[license]).expect("zip");
        let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
        let names: Vec<String> =
            (0..z.len()).map(|i| z.by_index(i).expect("entry").name().expect("utf-8 name").to_string()).collect();
        assert_eq!(names, ["LICENSE", "kubectl-x"]);
    }

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
