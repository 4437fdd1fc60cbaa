//! A pinned or installed package that an OSV advisory affects. One finding per
//! package and advisory, aliases (CVE, GHSA, PYSEC) merged into it; its severity is
//! the advisory's: the CVSS v3 base score when there is a vector, else the
//! database's own word, else high.

use crate::context::Context;
use crate::deps::cvss;
use crate::deps::osv::{self, Advisory, Match};
use crate::finding::Findings;
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
            for advisory in cx.advisories {
                let Some(hit) = osv::affects(advisory, package) else { continue };
                let fixed = match (&hit.matched, hit.fixed.first()) {
                    // The fix of the range the version is in, not another branch's.
                    (Match::Range { fixed: Some(v), .. }, _) => format!("fixed in {v}"),
                    (_, Some(v)) => format!("fixed in {v}"),
                    _ => "no fixed version is known".to_string(),
                };
                let ids = ids(advisory);
                let summary = advisory.summary.as_deref().unwrap_or("").trim();
                out.add_with_severity(
                    &RULE,
                    severity(advisory),
                    &file.path,
                    Pos { line: package.line, col: package.column },
                    format!("{} {} {}", package.ecosystem.osv_name(), package.name, package.version),
                    format!("{} {} is affected by {ids}{}; {fixed}", package.name, package.version, suffix(summary)),
                );
            }
        }
    }
}

/// The advisory's id and its aliases, e.g. `GHSA-m2qf-hxjv-5gpq (CVE-2023-30861, PYSEC-2023-62)`.
fn ids(advisory: &Advisory) -> String {
    let mut aliases: Vec<&str> = advisory.aliases.iter().map(String::as_str).filter(|a| *a != advisory.id).collect();
    aliases.sort_unstable();
    aliases.dedup();
    if aliases.is_empty() { advisory.id.clone() } else { format!("{} ({})", advisory.id, aliases.join(", ")) }
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
        .and_then(|d| d.get("severity"))
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
