//! `warden scan PATH...`: finds unsafe model artifacts (warden-scan) and reports them as a
//! table, JSON or SARIF. Exit 0 clean, 1 a finding at or above `--fail-on`, 2 a file that
//! could not be scanned (a scanner that could not read a file cannot vouch for it).
//! A progress bar on stderr when it is a terminal; every report ends with what the scan
//! cost (files, bytes, seconds, peak memory).

mod progress;
mod sarif;
mod stats;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};

use crate::fail_on::FailOn;
use serde::Serialize;
use warden_scan::{Options, Progress, Report, Severity};

use stats::Stats;

#[derive(Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    format: Output,
    /// Shorthand for --format json.
    #[arg(long, conflicts_with_all = ["format", "sarif"])]
    json: bool,
    /// Shorthand for --format sarif (SARIF 2.1.0, for code scanning).
    #[arg(long, conflicts_with = "format")]
    sarif: bool,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    /// Never show the progress bar (it is shown on stderr only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Output {
    Table,
    Json,
    Sarif,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if let Some(missing) = args.paths.iter().find(|p| !p.exists()) {
        eprintln!("error: {} does not exist", missing.display());
        return Ok(ExitCode::from(2));
    }
    let progress = Arc::new(Progress::default());
    let options = Options { progress: Some(progress.clone()), ..Options::default() };
    let started = Instant::now();
    let total = args.paths.iter().map(|p| warden_scan::total_len(p, &options)).sum();
    let report = progress::while_scanning(progress::wanted(args.no_progress), total, &progress, || {
        scan_all(&args.paths, &options)
    });
    let stats = Stats::new(report.files.len(), progress.bytes(), started.elapsed());
    match output(&args) {
        Output::Table => print!("{}", table::render(&report, &stats)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&JsonReport { report: &report, stats: &stats })?),
        Output::Sarif => println!("{}", serde_json::to_string_pretty(&sarif::render(&report, &stats))?),
    }
    Ok(exit_code(&report, args.fail_on.scan()))
}

fn scan_all(paths: &[PathBuf], options: &Options) -> Report {
    let mut report = Report::default();
    for path in paths {
        report.files.extend(warden_scan::scan_path(path, options).files);
    }
    report
}

fn output(args: &ScanArgs) -> Output {
    match (args.json, args.sarif) {
        (true, _) => Output::Json,
        (_, true) => Output::Sarif,
        _ => args.format,
    }
}

/// The library's report as it always was, plus `stats` at the top level: consumers of the
/// earlier fields see no change.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    stats: &'a Stats,
}

fn exit_code(report: &Report, fail_on: Severity) -> ExitCode {
    if report.has_errors() {
        ExitCode::from(2)
    } else if report.max_severity().is_some_and(|s| s >= fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
