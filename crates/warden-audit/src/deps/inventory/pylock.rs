//! `poetry.lock`, `uv.lock` and `pdm.lock`: TOML `[[package]]` tables with
//! `name` and `version`. Packages from a local directory or file, a VCS or an
//! editable/virtual source (uv's own project, poetry's `type = "directory"`)
//! are skipped: their version is not a PyPI release.

use serde::Deserialize;
use toml::Spanned;

use super::{Lines, toml_packages};
use crate::deps::{Ecosystem, Package};

#[derive(Deserialize)]
struct Entry {
    name: Spanned<String>,
    version: Option<String>,
    source: Option<toml::Value>,
}

/// Whether a `source` is something other than a package index.
fn local(source: &toml::Value) -> bool {
    match source {
        // poetry: `[package.source] type = "git" | "directory" | "file" | "url" | "legacy"`
        // uv: `source = { registry = "..." } | { editable = "." } | { git = "..." } | ...`
        toml::Value::Table(t) => match t.get("type").and_then(|v| v.as_str()) {
            Some(kind) => matches!(kind, "git" | "directory" | "file" | "url" | "hg" | "svn"),
            None => ["editable", "virtual", "directory", "path", "git", "url"].iter().any(|k| t.contains_key(*k)),
        },
        _ => false,
    }
}

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let entries: Vec<Entry> = toml_packages(text)?;
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for e in entries {
        let Some(version) = e.version else { continue };
        if e.source.as_ref().is_some_and(local) {
            continue;
        }
        let (line, column) = lines.line_start(e.name.span().start);
        out.push(Package::new(Ecosystem::PyPI, e.name.into_inner(), version, file, (line, column)));
    }
    Ok(out)
}
