//! A pinned or installed package that an OSV advisory affects. One finding per
//! package and flaw: records that alias one another (a GHSA and its PYSEC twin in
//! the PyPI dump) make one finding naming every id. Its severity is the most
//! severe record's: the CVSS v3 base score when there is a vector, else the
//! database's own word, else high.

use crate::context::Context;
use crate::deps::cvss;
use crate::deps::db::Vulnerability;
use crate::deps::osv::{Advisory, Match};
use crate::finding::{Findings, VulnerableDependency};
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Pos;

pub static RULE: Rule = Rule {
    id: "vulnerable-dependency",
    title: "Dependency with a known vulnerability",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::DependencyExploits,
    layer: Layer::Dependencies,
    why: "A package version with a published advisory ships the flaw it describes: torch.load before 2.6 runs code even with weights_only=True (CVE-2025-32434), Flask before 2.2.5 leaks session cookies through caching proxies (CVE-2023-30861). The advisory names the versions that fix it.",
    fix: "# requirements.txt: pin the first fixed version the finding names\nflask==2.2.5",
    equivalents: &["Trivy vulnerability", "osv-scanner", "pip-audit"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    if cx.advisories.is_empty() {
        return;
    }
    for (file, packages) in cx.inventories() {
        for package in packages {
            for vuln in cx.advisories.vulnerabilities(package) {
                let fixed = fixed(&vuln);
                let (primary, _) = &vuln.records[0];
                let summary = primary.summary.as_deref().unwrap_or("").trim();
                let ids = match vuln.ids.as_slice() {
                    [one] => one.clone(),
                    [first, rest @ ..] => format!("{first} ({})", rest.join(", ")),
                    [] => continue,
                };
                let fix = fixed.as_ref().map_or("no fixed version is known".to_string(), |v| format!("fixed in {v}"));
                let severity = vuln.records.iter().map(|(a, _)| severity(a)).max().unwrap_or(RULE.severity);
                let finding = out.add_with_severity(
                    &RULE,
                    severity,
                    &file.path,
                    Pos { line: package.line, col: package.column },
                    format!("{} {} {}", package.ecosystem.osv_name(), package.name, package.version),
                    format!("{} {} is affected by {ids}{}; {fix}", package.name, package.version, suffix(summary)),
                );
                finding.dependency = Some(Box::new(VulnerableDependency {
                    ecosystem: package.ecosystem.osv_name(),
                    package: package.name.clone(),
                    installed: package.version.clone(),
                    fixed,
                    advisories: vuln.ids.clone(),
                }));
            }
        }
    }
}

/// The fix of the range the installed version is in (not another branch's), from
/// the primary record first; else the oldest fixed version above it any record
/// names.
fn fixed(vuln: &Vulnerability<'_>) -> Option<String> {
    let in_range = vuln.records.iter().find_map(|(_, hit)| match &hit.matched {
        Match::Range { fixed: Some(v), .. } => Some(v.clone()),
        _ => None,
    });
    in_range.or_else(|| vuln.records.iter().find_map(|(_, hit)| hit.fixed.first().cloned()))
}

fn suffix(summary: &str) -> String {
    if summary.is_empty() { String::new() } else { format!(": {summary}") }
}

/// The CVSS v3 base score's band when the advisory has a v3 vector; else its
/// database's severity word (GitHub: LOW, MODERATE, HIGH, CRITICAL); else high.
fn severity(advisory: &Advisory) -> Severity {
    let scored = advisory
        .severity
        .iter()
        .filter(|s| s.kind.starts_with("CVSS_V3"))
        .filter_map(|s| cvss::base_score(&s.score).ok())
        .fold(None, |best: Option<f64>, s| Some(best.map_or(s, |b| b.max(s))));
    if let Some(score) = scored {
        return cvss::severity(score);
    }
    let word = advisory
        .database_specific
        .as_ref()
        .and_then(|d| d.severity.as_ref())
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match word.as_str() {
        "low" => Severity::Low,
        "moderate" | "medium" => Severity::Medium,
        "critical" => Severity::Critical,
        _ => Severity::High,
    }
}
