//! Dependency inventories: the files that say which packages a deployment ships,
//! recognised by name and content, each parsed into [`Package`]s that carry the
//! 1-based line and column of their pin so findings point at it.
//!
//! | File | Ecosystem | Kept |
//! |---|---|---|
//! | `requirements*.txt`, `requirements/*.txt` | PyPI | `name==version` / `===` pins only |
//! | `poetry.lock`, `uv.lock`, `pdm.lock` | PyPI | index packages (local, VCS, editable skipped) |
//! | `Pipfile.lock` | PyPI | `default` and `develop` with `==` versions |
//! | `package-lock.json`, `npm-shrinkwrap.json` (v2/v3) | npm | `packages` under `node_modules/` |
//! | `Cargo.lock` | crates.io | registry sources only (workspace, path, git skipped) |
//! | `go.sum` | Go | module + version, `/go.mod` lines skipped, deduplicated |
//! | `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` | PyPI | `Name:` + `Version:` |
//! | `var/lib/dpkg/status` | Debian | `Status: install ok installed` stanzas |
//! | `lib/apk/db/installed` | Alpine | `P:` + `V:` stanzas |

mod apk;
mod cargo;
mod dpkg;
mod gosum;
mod json;
mod metadata;
mod npm;
mod pipfile;
mod pylock;
mod requirements;

use std::path::Path;

use super::Package;

/// Parses `path` if it is a dependency inventory: `None` when it is not one,
/// `Some(Err(message))` when it is one that does not parse, else its packages
/// in file order.
pub fn parse(path: &Path, text: &str) -> Option<Result<Vec<Package>, String>> {
    let name = path.file_name()?.to_str()?;
    let unix = path.to_string_lossy().replace('\\', "/");
    let file = path.display().to_string();
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|p| p.to_str()).unwrap_or("");
    let result = match name {
        "poetry.lock" | "uv.lock" | "pdm.lock" => pylock::parse(&file, text),
        "Pipfile.lock" => pipfile::parse(&file, text),
        "package-lock.json" | "npm-shrinkwrap.json" => npm::parse(&file, text),
        "Cargo.lock" => cargo::parse(&file, text),
        "go.sum" => gosum::parse(&file, text),
        "METADATA" if parent.ends_with(".dist-info") => metadata::parse(&file, text),
        "PKG-INFO" if parent.ends_with(".egg-info") => metadata::parse(&file, text),
        "status" if unix.ends_with("var/lib/dpkg/status") => dpkg::parse(&file, text),
        "installed" if unix.ends_with("lib/apk/db/installed") => apk::parse(&file, text),
        _ if requirements::is_requirements(name, parent) => {
            if !requirements::looks_like(text) {
                return None;
            }
            requirements::parse(&file, text)
        }
        _ => return None,
    };
    Some(result.map(|mut packages| {
        packages.sort_by_key(|p| (p.line, p.column));
        packages
    }))
}

/// Byte offsets to 1-based line and column (in characters).
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// The 1-based line and column of byte `offset`.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// The 1-based line and column of the first non-blank character of the
    /// line holding byte `offset`.
    pub(crate) fn line_start(&self, offset: usize) -> (usize, usize) {
        let (line, _) = self.position(offset);
        let start = self.starts[line - 1];
        let rest = &self.text[start..];
        let indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        self.position(start + indent)
    }
}

/// One `key: value` field of a stanza, with the byte offset of its line.
pub(crate) type Field<'a> = (&'a str, &'a str, usize);

/// Splits `text` into `key: value` stanzas separated by blank lines, as dpkg
/// and apk databases are: each stanza is its fields with the byte offset of the
/// start of each field's line. Continuation lines (starting with a space or
/// tab) are skipped: no field read here spans lines. A line that is neither is
/// an error.
pub(crate) fn stanzas(text: &str, separator: char) -> Result<Vec<Vec<Field<'_>>>, String> {
    let mut out = Vec::new();
    let mut current: Vec<Field<'_>> = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else if !line.starts_with([' ', '\t']) {
            if let Some((key, value)) = line.split_once(separator) {
                current.push((key.trim(), value.trim(), offset));
            } else {
                return Err(format!("line {}: not a `field{separator} value` line: {}", n + 1, clip(line)));
            }
        }
        offset += raw.len();
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// `s`, cut to a length fit for an error message.
pub(crate) fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The value of field `key` in a stanza, with its line's byte offset.
pub(crate) fn field<'a>(stanza: &[Field<'a>], key: &str) -> Option<(&'a str, usize)> {
    stanza.iter().find(|(k, _, _)| *k == key).map(|(_, v, o)| (*v, *o))
}

/// The `[[package]]` array of a TOML lockfile (empty when there is none).
pub(crate) fn toml_packages<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    #[derive(serde::Deserialize)]
    struct Lock<T> {
        #[serde(default = "Vec::new")]
        package: Vec<T>,
    }
    toml::from_str::<Lock<T>>(text).map(|l| l.package).map_err(|e| {
        // toml's message is a header (`TOML parse error at line 3, column 5`),
        // a snippet of the file, and the reason on the last line.
        let msg = e.to_string();
        let mut lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("TOML parse error");
        match lines.next_back() {
            Some(reason) => format!("{first}: {reason}"),
            None => first.to_string(),
        }
    })
}
