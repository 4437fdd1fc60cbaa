//! A finding: a rule, where (file, line, column of the offending key), what
//! (the object it is about) and a message. Its fingerprint leaves the line out, so
//! a baseline survives edits elsewhere in the file.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rule::{Rule, Severity};
use crate::yaml::Pos;

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    /// The rule's, unless the finding carries its own (a vulnerable dependency is
    /// as severe as its advisory).
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// What the finding is about: `Deployment/ml/serve container model`, a
    /// workflow job, a Dockerfile stage...
    pub subject: String,
    pub message: String,
    /// For `vulnerable-dependency`: the package, versions and advisory ids, for
    /// the JSON and SARIF outputs and baseline suppression by advisory id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<Box<VulnerableDependency>>,
}

/// What a vulnerable-dependency finding is about.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VulnerableDependency {
    /// OSV's name for the ecosystem (`PyPI`, `npm`, `Debian`...).
    pub ecosystem: &'static str,
    pub package: String,
    pub installed: String,
    /// The first fixed version above the installed one, if any is known.
    pub fixed: Option<String>,
    /// The primary advisory id first, then every other id and alias.
    pub advisories: Vec<String>,
}

fn rule_id<S: serde::Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id)
}

impl Finding {
    /// Stable across runs and unrelated edits: rule, file, subject and message.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.rule.id, &self.file, &self.subject, &self.message] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Where rules put what they find.
#[derive(Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn add(
        &mut self,
        rule: &'static Rule,
        file: &str,
        pos: Pos,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.add_with_severity(rule, rule.severity, file, pos, subject, message);
    }

    /// A finding whose severity is its own, not the rule's; returned so a rule can
    /// attach details.
    pub fn add_with_severity(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        file: &str,
        pos: Pos,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.0.push(Finding {
            rule,
            severity,
            file: file.to_string(),
            line: pos.line.max(1),
            column: pos.col.max(1),
            subject: subject.into(),
            message: message.into(),
            dependency: None,
        });
        self.0.last_mut().expect("just pushed")
    }
}
