//! OSV advisories (<https://ossf.github.io/osv-schema/>): the schema, loading a
//! directory or a per-ecosystem dump zip of them, and whether one affects a package.

use std::cmp::Ordering;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::version::{compare, compare_semver};
use super::{Ecosystem, Package};

/// The largest advisory file read (a zip entry or a file on disk).
const MAX_FILE: u64 = 16 << 20;

/// One OSV advisory; unknown fields are ignored, and so are the fields never
/// used (`details`, `references`, the `*_specific` maps of entries and ranges),
/// which are most of a full dump's memory.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub affected: Vec<AffectedEntry>,
    #[serde(default)]
    pub database_specific: Option<DatabaseSpecific>,
}

/// Of `database_specific`, only the database's own severity word (GitHub's LOW,
/// MODERATE, HIGH, CRITICAL); the rest is not kept.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct DatabaseSpecific {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Value>,
}

/// `severity[]`: e.g. `{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/..."}`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// `affected[]`: one package and the versions of it affected.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct AffectedEntry {
    #[serde(default)]
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    Semver,
    Ecosystem,
    Git,
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One event of a range: exactly one of the fields is set in a valid advisory.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// Why an advisory affects a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Affected {
    /// The OSV ecosystem and name of the matching `affected[]` entry (e.g. `Debian:12`).
    pub ecosystem: String,
    pub name: String,
    /// The index of the matching entry in the advisory's `affected`.
    pub entry: usize,
    pub matched: Match,
    /// The fixed versions of the entry newer than the installed one, oldest first
    /// (empty: no fix known).
    pub fixed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Match {
    /// Inside a range: from `introduced` up to `fixed` (exclusive) or
    /// `last_affected` (inclusive), whichever closes it, if any.
    Range { kind: RangeType, introduced: String, fixed: Option<String>, last_affected: Option<String> },
    /// Listed in `versions`.
    Version(String),
}

/// PEP 503 normalisation: lower case, runs of `-`, `_` and `.` as one `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The name an advisory's entry gives, in the form [`Package::advisory_name`]
/// compares (PEP 503 for PyPI).
pub fn entry_name(eco: Ecosystem, name: &str) -> String {
    match eco {
        Ecosystem::PyPI => normalize_pypi(name),
        _ => name.to_string(),
    }
}

/// Whether an entry's ecosystem (`Debian:12`, `Alpine:v3.20`, `PyPI`) applies to a
/// package of `release`: an entry without a suffix or a package of unknown
/// release always does.
fn same_release(entry: &str, release: Option<&str>) -> bool {
    match (entry.split_once(':'), release) {
        (Some((_, suffix)), Some(release)) => suffix == release,
        _ => true,
    }
}

/// Whether `adv` affects `pkg`, and how: `None` for a withdrawn advisory, another
/// package or release, or a version outside every range and `versions` list.
/// Debian and Alpine entries name the source package.
pub fn affects(adv: &Advisory, pkg: &Package) -> Option<Affected> {
    if adv.withdrawn.is_some() {
        return None;
    }
    let name = pkg.advisory_name();
    let version = comparable_version(pkg);
    for (index, entry) in adv.affected.iter().enumerate() {
        let Some(p) = &entry.package else { continue };
        if Ecosystem::from_osv(&p.ecosystem) != Some(pkg.ecosystem)
            || entry_name(pkg.ecosystem, &p.name) != name
            || !same_release(&p.ecosystem, pkg.release.as_deref())
        {
            continue;
        }
        let matched = entry.ranges.iter().find_map(|r| in_range(pkg.ecosystem, r, version)).or_else(|| {
            entry
                .versions
                .iter()
                .find(|v| {
                    *v == &pkg.version
                        || *v == version
                        || compare(pkg.ecosystem, v, version).is_ok_and(|o| o == Ordering::Equal)
                })
                .map(|v| Match::Version(v.clone()))
        });
        let Some(matched) = matched else { continue };
        let mut fixed: Vec<String> = entry
            .ranges
            .iter()
            .filter(|r| matches!(r.kind, RangeType::Ecosystem | RangeType::Semver))
            .flat_map(|r| r.events.iter().filter_map(|e| e.fixed.as_ref().map(|f| (r.kind, f))))
            .filter(|(kind, f)| cmp(pkg.ecosystem, *kind, f, version) == Some(Ordering::Greater))
            .map(|(_, f)| f.clone())
            .collect();
        fixed.sort_by(|a, b| compare(pkg.ecosystem, a, b).unwrap_or_else(|_| a.cmp(b)));
        fixed.dedup();
        return Some(Affected { ecosystem: p.ecosystem.clone(), name: p.name.clone(), entry: index, matched, fixed });
    }
    None
}

/// The version compared with an advisory's: for PyPI the public version, without
/// a local label (`2.5.1+cpu` is torch 2.5.1 built for CPU: the release an
/// advisory names as `2.5.1`, affected if 2.5.1 is, as PEP 440's `==2.5.1` also
/// matches it). Advisories never publish local versions.
/// Debian's is the source package's version when dpkg gives one apart: Debian
/// advisories are about source packages and their versions.
fn comparable_version(pkg: &Package) -> &str {
    match pkg.ecosystem {
        Ecosystem::PyPI => pkg.version.split_once('+').map_or(&pkg.version, |(public, _)| public),
        Ecosystem::Debian => pkg.source_version.as_deref().unwrap_or(&pkg.version),
        _ => &pkg.version,
    }
}

fn cmp(eco: Ecosystem, kind: RangeType, a: &str, b: &str) -> Option<Ordering> {
    match kind {
        RangeType::Semver => compare_semver(a, b).ok(),
        _ => compare(eco, a, b).ok(),
    }
}

/// The OSV spec's evaluation of one range: events sorted (introduced "0" first),
/// `version` affected after an `introduced` at or below it, until a `fixed` at or
/// below it or a `last_affected` below it; never at or above a `limit`. A range
/// with an event or version that does not parse matches nothing.
fn in_range(eco: Ecosystem, range: &Range, version: &str) -> Option<Match> {
    if !matches!(range.kind, RangeType::Ecosystem | RangeType::Semver) {
        return None;
    }
    let c = |a: &str, b: &str| cmp(eco, range.kind, a, b);
    // Every event version must parse, so that sorting is total.
    // ("0" as `introduced` sorts first and "*" as `limit` last, whatever the scheme.)
    for e in &range.events {
        let special = e.introduced.as_deref() == Some("0") || e.limit.as_deref() == Some("*");
        for v in [&e.introduced, &e.fixed, &e.last_affected, &e.limit].into_iter().flatten() {
            if !special && c(v, v).is_none() {
                return None;
            }
        }
    }
    c(version, version)?;
    let key = |e: &Event| -> Option<String> {
        e.introduced.clone().or_else(|| e.fixed.clone()).or_else(|| e.last_affected.clone()).or_else(|| e.limit.clone())
    };
    let mut events: Vec<&Event> = range.events.iter().filter(|e| key(e).is_some()).collect();
    let order = |a: &&Event, b: &&Event| -> Ordering {
        let (ka, kb) = (key(a).unwrap_or_default(), key(b).unwrap_or_default());
        let zero_a = a.introduced.as_deref() == Some("0");
        let zero_b = b.introduced.as_deref() == Some("0");
        let star_a = a.limit.as_deref() == Some("*");
        let star_b = b.limit.as_deref() == Some("*");
        match (zero_a, zero_b, star_a, star_b) {
            (true, true, ..) | (_, _, true, true) => Ordering::Equal,
            (true, ..) | (_, _, _, true) => Ordering::Less,
            (_, true, ..) | (_, _, true, _) => Ordering::Greater,
            _ => c(&ka, &kb).unwrap_or(Ordering::Equal),
        }
    };
    events.sort_by(order);

    let limits: Vec<&str> = events.iter().filter_map(|e| e.limit.as_deref()).collect();
    if !limits.is_empty() && !limits.iter().any(|l| *l == "*" || c(version, l) == Some(Ordering::Less)) {
        return None;
    }
    let mut open: Option<usize> = None;
    for (i, e) in events.iter().enumerate() {
        if let Some(intro) = &e.introduced {
            if intro == "0" || c(version, intro) != Some(Ordering::Less) {
                open = Some(i);
            }
        } else if let Some(fixed) = &e.fixed {
            if c(version, fixed) != Some(Ordering::Less) {
                open = None;
            }
        } else if let Some(last) = &e.last_affected
            && c(version, last) == Some(Ordering::Greater)
        {
            open = None;
        }
    }
    let start = open?;
    let close = events[start + 1..].iter().find(|e| e.fixed.is_some() || e.last_affected.is_some());
    Some(Match::Range {
        kind: range.kind,
        introduced: events[start].introduced.clone().unwrap_or_default(),
        fixed: close.and_then(|e| e.fixed.clone()),
        last_affected: close.and_then(|e| e.last_affected.clone()),
    })
}

/// Parses one advisory file.
pub fn parse(bytes: &[u8]) -> Result<Advisory, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not an OSV advisory: {e}"))
}

/// Loads every `*.json` file under `path` (recursively, in path order). Files
/// that cannot be read or are not OSV advisories are per-file errors.
pub fn load_dir(path: impl AsRef<Path>) -> (Vec<Advisory>, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(path.as_ref(), &mut files, &mut errors);
    files.sort();
    let mut advisories = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let read = std::fs::File::open(&file).and_then(|f| {
            let mut buf = Vec::new();
            f.take(MAX_FILE + 1).read_to_end(&mut buf)?;
            Ok(buf)
        });
        match read {
            Ok(buf) if buf.len() as u64 > MAX_FILE => errors.push((name, format!("larger than {MAX_FILE} bytes"))),
            Ok(buf) => match parse(&buf) {
                Ok(a) => advisories.push(a),
                Err(e) => errors.push((name, e)),
            },
            Err(e) => errors.push((name, format!("cannot read: {e}"))),
        }
    }
    (advisories, errors)
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>, errors: &mut Vec<(String, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push((dir.display().to_string(), format!("cannot read directory: {e}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&p, files, errors),
            Ok(t) if t.is_file() && p.extension().is_some_and(|e| e == "json") => files.push(p),
            _ => {}
        }
    }
}

/// Loads an OSV per-ecosystem dump (`all.zip`: one JSON file per advisory). A zip
/// that does not open is one error; an entry that does not read or parse is an
/// error named `ZIP!ENTRY`, and the other entries are still loaded.
pub fn load_zip(path: impl AsRef<Path>) -> (Vec<Advisory>, Vec<(String, String)>) {
    let path = path.as_ref();
    let name = path.display().to_string();
    let mut errors = Vec::new();
    let mut advisories = Vec::new();
    let mut archive = match std::fs::File::open(path)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|f| zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| format!("not a zip archive: {e}")))
    {
        Ok(a) => a,
        Err(e) => return (advisories, vec![(name, e)]),
    };
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                errors.push((format!("{name}!#{i}"), format!("cannot read entry: {e}")));
                continue;
            }
        };
        let entry_name = format!("{name}!{}", entry.name());
        if entry.is_dir() || !entry.name().ends_with(".json") {
            continue;
        }
        let mut buf = Vec::new();
        match (&mut entry).take(MAX_FILE + 1).read_to_end(&mut buf) {
            Ok(_) if buf.len() as u64 > MAX_FILE => {
                errors.push((entry_name, format!("larger than {MAX_FILE} bytes")));
            }
            Ok(_) => match parse(&buf) {
                Ok(a) => advisories.push(a),
                Err(e) => errors.push((entry_name, e)),
            },
            Err(e) => errors.push((entry_name, format!("cannot read entry: {e}"))),
        }
    }
    (advisories, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_pypi("Flask"), "flask");
        assert_eq!(normalize_pypi("zope.interface"), "zope-interface");
        assert_eq!(normalize_pypi("Foo__Bar-._baz"), "foo-bar-baz");
        assert_eq!(normalize_pypi("typing_extensions"), "typing-extensions");
    }
}
