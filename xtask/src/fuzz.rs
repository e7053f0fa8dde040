//! `cargo xtask fuzz [--seconds N] [TARGET…]`: runs the cargo-fuzz targets in `fuzz/` (libFuzzer)
//! for N seconds each (default 60), installing cargo-fuzz from crates.io if needed. The stable
//! toolchain is enough: `RUSTC_BOOTSTRAP=1` admits the flags cargo-fuzz passes, and no sanitizer
//! is used (Rust's own bounds checks and panics are what the targets look for).

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{paths, util};

const TARGETS: &[&str] = &[
    "jsonpath",
    "gotemplate",
    "custom_columns",
    "presets_yaml",
    "projection",
    "image_reference",
    "registry_auth",
    "image_archive",
    "selectors",
    "arguments",
    "server_lists",
    "quantities",
    "durations",
    "sort_by",
    "kyaml",
];

pub fn run(args: &[&str]) -> Result<()> {
    let mut seconds = 60u64;
    let mut targets: Vec<&str> = vec![];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--seconds" => seconds = it.next().and_then(|s| s.parse().ok()).context("--seconds takes a number")?,
            t if TARGETS.contains(&t) => targets.push(t),
            other => bail!("unknown fuzz target or flag {other:?}; targets: {}", TARGETS.join(", ")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let have = Command::new(&cargo).args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !have {
        util::step("installing cargo-fuzz from crates.io");
        util::run(Command::new(&cargo).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz = paths::root().join("fuzz");
    for t in targets {
        util::step(&format!("fuzzing {t} for {seconds}s"));
        // Structured inputs (JSON documents) are rarely found from nothing: the committed seeds
        // in fuzz/seeds/TARGET start the run, next to the corpus libFuzzer grows.
        let corpus = fuzz.join("corpus").join(t);
        std::fs::create_dir_all(&corpus)?;
        let mut dirs = vec![corpus.display().to_string()];
        let seeds = fuzz.join("seeds").join(t);
        if seeds.is_dir() {
            dirs.push(seeds.display().to_string());
        }
        let status = Command::new(&cargo)
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", t, "--sanitizer", "none"])
            .args(&dirs)
            .args(["--", &format!("-max_total_time={seconds}")])
            .status()?;
        if !status.success() {
            bail!("fuzz target {t} found a failure (see fuzz/artifacts/{t})");
        }
    }
    Ok(())
}
