//! `go.sum`: `module version h1:hash` lines. The `version/go.mod` lines (the
//! hash of a module's go.mod only, for modules in the graph but not built) are
//! skipped, and each module version is reported once, at its first line.
//! Versions are kept as Go spells them (`v1.2.3`, `v0.0.0-2023...-abcdef`,
//! `+incompatible`).

use std::collections::HashSet;

use super::clip;
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [module, version, hash] = fields[..] else {
            return Err(format!("line {}: not a `module version hash` line: {}", n + 1, clip(line)));
        };
        if !version.starts_with('v') || !hash.contains(':') {
            return Err(format!("line {}: not a `module version hash` line: {}", n + 1, clip(line)));
        }
        if version.ends_with("/go.mod") || !seen.insert((module, version)) {
            continue;
        }
        let column = line.len() - line.trim_start().len() + 1;
        out.push(Package::new(Ecosystem::Go, module.to_string(), version.to_string(), file, (n + 1, column)));
    }
    Ok(out)
}
