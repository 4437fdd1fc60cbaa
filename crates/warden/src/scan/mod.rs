//! `warden scan PATH...`: finds unsafe model artifacts (warden-scan) and reports them as a
//! table, JSON or SARIF. Exit 0 clean, 1 a finding at or above `--fail-on`, 2 a file that
//! could not be scanned (a scanner that could not read a file cannot vouch for it).

mod sarif;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use warden_scan::{Options, Report, Severity};

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
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Output {
    Table,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if let Some(missing) = args.paths.iter().find(|p| !p.exists()) {
        eprintln!("error: {} does not exist", missing.display());
        return Ok(ExitCode::from(2));
    }
    let options = Options::default();
    let mut report = Report::default();
    for path in &args.paths {
        report.files.extend(warden_scan::scan_path(path, &options).files);
    }
    let output = match (args.json, args.sarif) {
        (true, _) => Output::Json,
        (_, true) => Output::Sarif,
        _ => args.format,
    };
    match output {
        Output::Table => print!("{}", table::render(&report)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Sarif => println!("{}", serde_json::to_string_pretty(&sarif::render(&report))?),
    }
    Ok(exit_code(&report, args.fail_on.severity()))
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
