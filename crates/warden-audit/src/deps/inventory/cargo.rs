//! `Cargo.lock`: TOML `[[package]]` tables. Only packages from a registry
//! (`source = "registry+..."` or `"sparse+..."`) are kept: workspace members
//! and path dependencies have no source, git dependencies are not crates.io
//! releases, and neither is what a RustSec/OSV advisory names.

use serde::Deserialize;
use toml::Spanned;

use super::{Lines, toml_packages};
use crate::deps::{Ecosystem, Package};

#[derive(Deserialize)]
struct Entry {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
}

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let entries: Vec<Entry> = toml_packages(text)?;
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for e in entries {
        let registry = e.source.as_deref().is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
        if !registry {
            continue;
        }
        let (line, column) = lines.line_start(e.name.span().start);
        out.push(Package::new(Ecosystem::CratesIo, e.name.into_inner(), e.version, file, (line, column)));
    }
    Ok(out)
}
