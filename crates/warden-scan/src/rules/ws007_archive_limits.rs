//! WS007: an archive that exceeds the scanner's resource limits (zip bombs and the like).

use super::{Rule, Severity};

pub static ARCHIVE_LIMITS: Rule = Rule {
    id: "WS007",
    name: "archive-limits",
    title: "archive exceeds resource limits",
    severity: Severity::High,
    stride: "denial-of-service",
    why: "members that decompress far beyond their size, overlapping members, archives nested \
          too deep or with too many members exhaust the memory or disk of whatever loads them, \
          and the parts past the limit were not scanned",
    fix: "do not load the archive; ask the publisher for the model files themselves",
    references: &["CWE-409"],
};
