//! `cargo xtask fuzz [--seconds N] [--runs N] [--jobs N] [--summary] [TARGET…]`: fuzzing
//! campaigns over the cargo-fuzz targets in `fuzz/` (libFuzzer), and their record.
//!
//! A campaign runs each target until it has gone `--seconds` (default 600) or `--runs` executions
//! (default 10 million) without a failure, whichever comes first, `--jobs` targets at a time
//! (default 1). It starts from the committed corpus in `fuzz/corpus/TARGET` and the hand-written
//! seeds in `fuzz/seeds/TARGET`, grows the corpus, and minimizes it again (`cargo fuzz cmin`) so
//! that what is committed stays small. A target that ends without a failure gets its row in
//! SECURITY.md's campaign table (date, seconds, executions, corpus size); a failure leaves its
//! input in `fuzz/artifacts/TARGET` and the table as it was. `--summary` prints the table without
//! fuzzing. The stable toolchain is enough: `RUSTC_BOOTSTRAP=1` admits the flags cargo-fuzz
//! passes, and no sanitizer is used (Rust's own bounds checks and panics are what the targets
//! look for).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

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
    "where",
];

/// The lines around SECURITY.md's campaign table, which this command rewrites.
const BEGIN: &str = "<!-- fuzz campaigns: written by cargo xtask fuzz -->";
const END: &str = "<!-- end of fuzz campaigns -->";
const HEADER: &str = "| Target | Last campaign | Seconds | Executions | Corpus files |\n|---|---|---:|---:|---:|";

/// What one campaign on one target came to.
#[derive(Debug, Clone, PartialEq)]
struct Campaign {
    target: String,
    date: String,
    seconds: u64,
    executions: u64,
    corpus: usize,
}

impl Campaign {
    fn row(&self) -> String {
        format!("| `{}` | {} | {} | {} | {} |", self.target, self.date, self.seconds, self.executions, self.corpus)
    }

    fn parse(row: &str) -> Option<Campaign> {
        let cells: Vec<&str> = row.trim().strip_prefix('|')?.strip_suffix('|')?.split('|').map(str::trim).collect();
        let [target, date, seconds, executions, corpus] = cells.as_slice() else { return None };
        Some(Campaign {
            target: target.trim_matches('`').to_string(),
            date: date.to_string(),
            seconds: seconds.parse().ok()?,
            executions: executions.parse().ok()?,
            corpus: corpus.parse().ok()?,
        })
    }
}

struct Plan {
    seconds: u64,
    runs: u64,
    jobs: usize,
    summary: bool,
    targets: Vec<&'static str>,
}

fn parse_args(args: &[&str]) -> Result<Plan> {
    let mut plan = Plan { seconds: 600, runs: 10_000_000, jobs: 1, summary: false, targets: vec![] };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> Result<u64> {
            it.next().and_then(|s| s.parse().ok()).with_context(|| format!("{flag} takes a number"))
        };
        match *a {
            "--seconds" => plan.seconds = number("--seconds")?,
            "--runs" => plan.runs = number("--runs")?,
            "--jobs" => plan.jobs = number("--jobs")?.max(1) as usize,
            "--summary" => plan.summary = true,
            t => match TARGETS.iter().find(|k| **k == t) {
                Some(k) => plan.targets.push(k),
                None => bail!("unknown fuzz target or flag {t:?}; targets: {}", TARGETS.join(", ")),
            },
        }
    }
    if plan.targets.is_empty() {
        plan.targets = TARGETS.to_vec();
    }
    Ok(plan)
}

pub fn run(args: &[&str]) -> Result<()> {
    let plan = parse_args(args)?;
    let security = paths::root().join("SECURITY.md");
    if plan.summary {
        print_summary(&read_table(&security)?);
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let have = Command::new(&cargo).args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !have {
        util::step("installing cargo-fuzz from crates.io");
        util::run(Command::new(&cargo).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz = paths::root().join("fuzz");
    util::step("building the fuzz targets");
    util::run(fuzz_cmd(&cargo, &fuzz).args(["build", "--sanitizer", "none"]))?;

    let queue = Mutex::new(plan.targets.clone());
    let results: Mutex<Vec<Result<Campaign>>> = Mutex::new(vec![]);
    std::thread::scope(|s| {
        for _ in 0..plan.jobs.min(plan.targets.len()) {
            s.spawn(|| {
                loop {
                    let Some(t) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else { break };
                    let r = campaign(&cargo, &fuzz, t, plan.seconds, plan.runs);
                    results.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                }
            });
        }
    });
    let mut table = read_table(&security)?;
    let mut failed = vec![];
    for r in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        match r {
            Ok(c) => {
                table.retain(|o| o.target != c.target);
                table.push(c);
            }
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    table.sort_by_key(|c| TARGETS.iter().position(|t| *t == c.target).unwrap_or(usize::MAX));
    write_table(&security, &table)?;
    print_summary(&table);
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    Ok(())
}

fn fuzz_cmd(cargo: &str, fuzz: &Path) -> Command {
    let mut c = Command::new(cargo);
    c.current_dir(fuzz).env("RUSTC_BOOTSTRAP", "1").arg("fuzz");
    c
}

/// One target's campaign: fuzz, then minimize the corpus it grew.
fn campaign(cargo: &str, fuzz: &Path, target: &str, seconds: u64, runs: u64) -> Result<Campaign> {
    let corpus = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let logs = fuzz.join("target").join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = logs.join(format!("{target}.log"));
    util::step(&format!("fuzzing {target} for {seconds} s or {runs} executions (log: {})", log.display()));
    // Structured inputs (JSON documents) are rarely found from nothing: the committed seeds in
    // fuzz/seeds/TARGET start the run, next to the corpus libFuzzer grows.
    let mut dirs = vec![corpus.clone()];
    let seeds = fuzz.join("seeds").join(target);
    if seeds.is_dir() {
        dirs.push(seeds);
    }
    let started = Instant::now();
    let status = fuzz_cmd(cargo, fuzz)
        .args(["run", target, "--sanitizer", "none"])
        .args(&dirs)
        .args(["--", &format!("-max_total_time={seconds}"), &format!("-runs={runs}"), "-print_final_stats=1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .status()?;
    let elapsed = started.elapsed().as_secs();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if !status.success() {
        bail!(
            "fuzz target {target} failed after {elapsed} s (its input is in fuzz/artifacts/{target}):\n{}",
            util::log_tail(&log, 30)
        );
    }
    let executions = executed_units(&text).with_context(|| format!("{}: no executions reported", log.display()))?;
    util::step(&format!("minimizing the corpus of {target}"));
    util::run(fuzz_cmd(cargo, fuzz).args(["cmin", target, "--sanitizer", "none"]).arg(&corpus))?;
    let files = std::fs::read_dir(&corpus)?.count();
    let date = today()?;
    Ok(Campaign { target: target.to_string(), date, seconds: elapsed, executions, corpus: files })
}

/// libFuzzer's `stat::number_of_executed_units` (printed with `-print_final_stats=1`).
fn executed_units(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
}

fn today() -> Result<String> {
    let out = Command::new("date").args(["-u", "+%Y-%m-%d"]).output().context("could not run date")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn read_table(security: &PathBuf) -> Result<Vec<Campaign>> {
    let text = std::fs::read_to_string(security).with_context(|| format!("reading {}", security.display()))?;
    Ok(section(&text).map(|s| s.lines().filter_map(Campaign::parse).collect()).unwrap_or_default())
}

/// The text between the markers, if both are there.
fn section(text: &str) -> Option<&str> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let len = text.get(start..)?.find(END)?;
    text.get(start..start + len)
}

fn render(text: &str, table: &[Campaign]) -> Result<String> {
    let rows: Vec<String> = table.iter().map(Campaign::row).collect();
    let block = format!("{BEGIN}\n{HEADER}\n{}\n{END}", rows.join("\n"));
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("SECURITY.md has no campaign table (the lines {BEGIN:?} and {END:?})");
    };
    Ok(format!("{}{block}{}", text.get(..start).unwrap_or(""), text.get(end + END.len()..).unwrap_or("")))
}

fn write_table(security: &PathBuf, table: &[Campaign]) -> Result<()> {
    let text = std::fs::read_to_string(security)?;
    std::fs::write(security, render(&text, table)?).with_context(|| format!("writing {}", security.display()))
}

fn print_summary(table: &[Campaign]) {
    util::say(&format!("{:<16} {:<12} {:>8} {:>12} {:>7}\n", "TARGET", "CAMPAIGN", "SECONDS", "EXECUTIONS", "CORPUS"));
    for t in TARGETS {
        match table.iter().find(|c| c.target == *t) {
            Some(c) => util::say(&format!(
                "{:<16} {:<12} {:>8} {:>12} {:>7}\n",
                c.target, c.date, c.seconds, c.executions, c.corpus
            )),
            None => util::say(&format!("{t:<16} {:<12}\n", "never")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_row_reads_back_as_written() {
        let c =
            Campaign { target: "jsonpath".into(), date: "2026-12-07".into(), seconds: 600, executions: 123, corpus: 9 };
        assert_eq!(Campaign::parse(&c.row()), Some(c));
        assert_eq!(Campaign::parse("|---|---|---:|---:|---:|"), None);
    }

    #[test]
    fn the_table_is_rewritten_between_its_markers_only() {
        let text = format!("# Security\n\nbefore\n\n{BEGIN}\n{HEADER}\n| `old` | x | 1 | 2 | 3 |\n{END}\n\nafter\n");
        let c =
            Campaign { target: "durations".into(), date: "2026-12-07".into(), seconds: 61, executions: 10, corpus: 4 };
        let out = render(&text, std::slice::from_ref(&c)).unwrap();
        assert!(out.starts_with("# Security\n\nbefore\n\n"));
        assert!(out.ends_with("\n\nafter\n"));
        assert!(!out.contains("`old`"));
        assert_eq!(section(&out).unwrap().lines().filter_map(Campaign::parse).collect::<Vec<_>>(), vec![c]);
        assert!(render("no markers", &[]).is_err());
    }

    #[test]
    fn executions_come_from_libfuzzers_final_stats() {
        let log = "#1000 DONE cov: 10\nDone 1000 runs in 3 second(s)\nstat::number_of_executed_units: 1000\nstat::average_exec_per_sec:     333\n";
        assert_eq!(executed_units(log), Some(1000));
        assert_eq!(executed_units("==1== ERROR: libFuzzer: deadly signal"), None);
    }

    #[test]
    fn every_fuzz_binary_is_a_campaign_target() {
        let manifest = std::fs::read_to_string(paths::root().join("fuzz/Cargo.toml")).unwrap();
        let mut bins: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|n| *n != "kubectl-kit-fuzz")
            .collect();
        let mut targets = TARGETS.to_vec();
        bins.sort_unstable();
        targets.sort_unstable();
        assert_eq!(bins, targets);
    }

    #[test]
    fn flags_and_targets_are_checked() {
        let p = parse_args(&["--seconds", "5", "--jobs", "2", "durations"]).unwrap();
        assert_eq!((p.seconds, p.runs, p.jobs, p.targets), (5, 10_000_000, 2, vec!["durations"]));
        assert_eq!(parse_args(&[]).unwrap().targets.len(), TARGETS.len());
        assert!(parse_args(&["nosuch"]).is_err());
        assert!(parse_args(&["--runs", "many"]).is_err());
    }
}
