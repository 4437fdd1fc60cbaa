//! Where the log lives in its directory: `audit.jsonl` is written to; when it
//! reaches its size limit it is closed with a checkpoint and renamed after its first
//! record (`audit-00000000000000000001.jsonl`), so names sort in chain order.
//! `head.json` holds the latest signed checkpoint, which shows a cut from the end.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::AuditError;

pub const CURRENT: &str = "audit.jsonl";
pub const HEAD: &str = "head.json";

pub fn rotated_name(first_seq: u64) -> String {
    format!("audit-{first_seq:020}.jsonl")
}

/// The log's files in chain order: the rotated ones, then the current one.
pub fn chain_files(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let mut rotated = Vec::new();
    for entry in fs::read_dir(dir).map_err(AuditError::io(dir))? {
        let entry = entry.map_err(AuditError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let numbered = name.strip_prefix("audit-").and_then(|n| n.strip_suffix(".jsonl"));
        if numbered.is_some_and(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit())) {
            rotated.push(entry.path());
        }
    }
    rotated.sort();
    let current = dir.join(CURRENT);
    if current.exists() {
        rotated.push(current);
    }
    Ok(rotated)
}

/// Makes `path` durable by name: its directory's entry is synced too.
pub fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(AuditError::io(dir))
}
