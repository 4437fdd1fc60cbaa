//! Ways to accept a finding: an inline comment `# warden:ignore[rule-id] reason` on
//! the offending line or the line above it, and a baseline file of fingerprints
//! (`--write-baseline`, then `--baseline`) so a team can adopt the audit on an
//! existing repository and fail only on what is new. The baseline also accepts
//! advisories by id (`"advisories": {"GHSA-...": {"reason": "..."}}`): a
//! vulnerable dependency the team has judged not exploitable in its deployment
//! stays accepted wherever the package is pinned. A suppression needs a reason:
//! an inline one without is ignored, and the finding says so; a baseline
//! advisory without one is an error.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::input::File;

const MARKER: &str = "warden:ignore[";

/// Drops findings suppressed inline; returns how many were. Each file is split
/// into lines once, and only if it has a marker at all: a lockfile of thousands of
/// pins with thousands of findings must not be rescanned per finding.
pub fn inline(findings: &mut Vec<Finding>, files: &[File]) -> usize {
    let by_path: HashMap<&str, &File> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut lines_of: HashMap<&str, Option<Vec<&str>>> = HashMap::new();
    let before = findings.len();
    findings.retain_mut(|f| {
        let Some(file) = by_path.get(f.file.as_str()) else { return true };
        let lines = lines_of
            .entry(file.path.as_str())
            .or_insert_with(|| file.text.contains(MARKER).then(|| file.text.lines().collect()));
        let Some(lines) = lines else { return true };
        let nearby = [f.line.checked_sub(1), f.line.checked_sub(2)];
        for line in nearby.into_iter().flatten().filter_map(|i| lines.get(i)) {
            match suppression(line, f.rule.id) {
                Some(reason) if !reason.is_empty() => return false,
                Some(_) => {
                    f.message.push_str(" (a warden:ignore without a reason does not count)");
                    return true;
                }
                None => {}
            }
        }
        true
    });
    before - findings.len()
}

/// The reason of a `warden:ignore[...]` on this line that names `rule`.
fn suppression<'a>(line: &'a str, rule: &str) -> Option<&'a str> {
    let start = line.find(MARKER)? + MARKER.len();
    let (ids, rest) = line[start..].split_once(']')?;
    ids.split(',').any(|id| id.trim().eq_ignore_ascii_case(rule)).then(|| rest.trim())
}

/// A baseline: accepted findings by fingerprint, with what they were.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: BTreeMap<String, Accepted>,
    /// Advisory ids (or any of their aliases) accepted for vulnerable-dependency
    /// findings.
    #[serde(default)]
    pub advisories: BTreeMap<String, AcceptedAdvisory>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedAdvisory {
    /// Why it does not apply (required).
    pub reason: String,
    /// Only for this package (as pinned; PyPI names compared normalised);
    /// absent: every package the advisory affects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Accepted {
    pub rule: String,
    pub file: String,
    pub subject: String,
    #[serde(default)]
    pub reason: String,
}

impl Baseline {
    pub fn of(findings: &[Finding]) -> Baseline {
        let findings = findings
            .iter()
            .map(|f| {
                let accepted = Accepted {
                    rule: f.rule.id.to_string(),
                    file: f.file.clone(),
                    subject: f.subject.clone(),
                    reason: "accepted when the baseline was written".into(),
                };
                (f.fingerprint(), accepted)
            })
            .collect();
        Baseline { version: 1, findings, advisories: BTreeMap::new() }
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| format!("{}: not a warden audit baseline: {e}", path.display()))?;
        if baseline.version != 1 {
            return Err(format!("{}: baseline version {} (expected 1)", path.display(), baseline.version));
        }
        if let Some((id, _)) = baseline.advisories.iter().find(|(_, a)| a.reason.trim().is_empty()) {
            return Err(format!("{}: advisory {id} is accepted without a reason", path.display()));
        }
        Ok(baseline)
    }

    /// Drops the findings the baseline accepts; returns how many.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain(|f| !self.findings.contains_key(&f.fingerprint()) && !self.accepts_advisory(f));
        before - findings.len()
    }

    fn accepts_advisory(&self, f: &Finding) -> bool {
        let Some(dep) = &f.dependency else { return false };
        self.advisories.iter().any(|(id, accepted)| {
            dep.advisories.iter().any(|a| a.eq_ignore_ascii_case(id))
                && accepted.package.as_deref().is_none_or(|p| {
                    crate::deps::osv::normalize_pypi(p) == crate::deps::osv::normalize_pypi(&dep.package)
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_names_the_rule_and_needs_a_reason() {
        assert_eq!(
            suppression(
                "  privileged: true # warden:ignore[k8s-privileged-container] GPU driver",
                "k8s-privileged-container"
            ),
            Some("GPU driver")
        );
        assert_eq!(suppression("# warden:ignore[a, b] both", "b"), Some("both"));
        assert_eq!(suppression("# warden:ignore[a]", "a"), Some(""));
        assert_eq!(suppression("# warden:ignore[a] x", "b"), None);
    }
}
