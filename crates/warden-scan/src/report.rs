//! What a scan returns: one report per file, findings that point at a rule, an offset and
//! the member of an archive they were found in.

use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::formats::Format;
use crate::rules::{Rule, Severity};

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub files: Vec<FileReport>,
}

impl Report {
    /// The most severe finding across all files.
    pub fn max_severity(&self) -> Option<Severity> {
        self.files.iter().flat_map(|f| &f.findings).map(|f| f.rule.severity).max()
    }

    pub fn has_findings(&self) -> bool {
        self.files.iter().any(|f| !f.findings.is_empty())
    }

    pub fn has_errors(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Format,
    pub findings: Vec<Finding>,
    /// Why the file, or part of it, could not be scanned.
    pub error: Option<String>,
    /// Bytes read by the parsers, decompressed members included.
    pub bytes_scanned: u64,
    /// Findings dropped past `Options::max_findings`.
    pub findings_dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    pub message: String,
    /// Byte offset in the file, or in the decompressed member when `member` is set.
    pub offset: Option<u64>,
    /// Path inside the archive, nesting levels joined with `!`.
    pub member: Option<String>,
    /// The import, as `module.name`.
    pub global: Option<String>,
}

fn rule_id<S: Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id)
}
