//! The terminal report: one line per finding, grouped by file, then a summary line and
//! what the scan cost.

use std::fmt::Write;

use warden_scan::{Finding, Report, Severity};

use super::stats::Stats;

pub fn render(report: &Report, stats: &Stats) -> String {
    let mut out = String::new();
    for file in &report.files {
        if file.findings.is_empty() && file.error.is_none() {
            continue;
        }
        let _ = writeln!(out, "{} ({:?})", file.path.display(), file.format);
        for finding in &file.findings {
            let _ = writeln!(out, "  {}", line(finding));
        }
        if file.findings_dropped > 0 {
            let _ = writeln!(out, "  ... {} more findings not listed", file.findings_dropped);
        }
        if let Some(error) = &file.error {
            let _ = writeln!(out, "  error: {error}");
        }
    }
    let _ = writeln!(out, "{}", summary(report));
    let _ = writeln!(out, "{stats}");
    out
}

fn line(f: &Finding) -> String {
    let mut s = format!("{:<8} {}  {}", f.rule.severity.as_str(), f.rule.id, f.message);
    if let Some(member) = &f.member {
        let _ = write!(s, "  in {member}");
    }
    if let Some(offset) = f.offset {
        let _ = write!(s, "  at byte {offset}");
    }
    s
}

fn summary(report: &Report) -> String {
    let count =
        |sev: Severity| report.files.iter().flat_map(|f| &f.findings).filter(|f| f.rule.severity == sev).count();
    let errors = report.files.iter().filter(|f| f.error.is_some()).count();
    let clean = report.files.iter().filter(|f| f.findings.is_empty() && f.error.is_none()).count();
    format!(
        "{} files scanned: {clean} clean; findings: {} critical, {} high, {} medium, {} low; {errors} could not be scanned",
        report.files.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
    )
}
