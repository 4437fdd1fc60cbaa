//! Pinned pip requirements files: `name==version` and `name===version`, with
//! extras (`pkg[extra]==1.0`), environment markers after `;`, per-requirement
//! options (`--hash=...`), `\` continuations and `#` comments. Lines that do
//! not pin one version (`>=`, `~=`, `==1.*`, no specifier, URLs, local paths,
//! `-e`) are skipped: there is no single installed version to match.
//!
//! `-r`/`--requirement` and `-c`/`--constraint` includes are not followed: the
//! included file is read on its own when the audit finds it. Other pip options
//! (`--index-url`, `--find-links`, ...) are ignored.

use super::{Lines, clip};
use crate::deps::{Ecosystem, Package};

/// Whether a file name (and its directory's name) is a requirements file:
/// `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, or any
/// `.txt` in a `requirements/` directory.
pub(super) fn is_requirements(name: &str, parent: &str) -> bool {
    name.ends_with(".txt") && (name.contains("requirements") || parent == "requirements")
}

/// Whether the text reads as a requirements file: one line at least is a
/// requirement or a pip option.
pub(super) fn looks_like(text: &str) -> bool {
    logical_lines(text).iter().any(|l| {
        let s = l.text.trim();
        s.starts_with('-') || requirement(s).is_ok_and(|r| r.is_some())
    })
}

/// One logical line: continuations joined, comment removed; `pieces` maps
/// offsets in `text` back to the file (start in `text`, start in file).
struct Logical {
    text: String,
    pieces: Vec<(usize, usize)>,
    line: usize,
}

impl Logical {
    fn file_offset(&self, at: usize) -> usize {
        let (start, file) = self.pieces.iter().rev().find(|(s, _)| *s <= at).copied().unwrap_or((0, 0));
        file + (at - start)
    }
}

fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let cur = current.get_or_insert_with(|| Logical { text: String::new(), pieces: Vec::new(), line: n + 1 });
        cur.pieces.push((cur.text.len(), offset));
        let (body, continued) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        cur.text.push_str(body);
        if !continued {
            out.extend(current.take());
        }
        offset += raw.len();
    }
    out.extend(current);
    for l in &mut out {
        // pip's comment rule: `#` at the start or after whitespace.
        let cut = l
            .text
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || l.text[..i].ends_with([' ', '\t'])))
            .map(|(i, _)| i);
        if let Some(i) = cut {
            l.text.truncate(i);
        }
    }
    out
}

/// One requirement by name: name offset in the line, name, and the version
/// when it pins exactly one.
type Pin<'a> = (usize, &'a str, Option<&'a str>);

/// Parses one requirement (comment already removed): `Ok(None)` when it names
/// no package from an index (blank, option, URL, path), `Err` when it is not a
/// requirement.
fn requirement(line: &str) -> Result<Option<Pin<'_>>, String> {
    let start = line.len() - line.trim_start().len();
    let s = line.trim();
    if s.is_empty() || s.starts_with('-') {
        return Ok(None);
    }
    // URLs and local paths: no version to match.
    if s.contains("://") || s.starts_with(['.', '/', '~']) {
        return Ok(None);
    }
    // Per-requirement options (`--hash=sha256:...`) start after whitespace.
    let s = match s.find(" --").or_else(|| s.find("\t--")) {
        Some(i) => &s[..i],
        None => s,
    };
    let s = s.split(';').next().unwrap_or("").trim_end();
    let name_len = s.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))).unwrap_or(s.len());
    let name = &s[..name_len];
    let valid_name = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid_name {
        return Err(format!("not a requirement: `{}`", clip(s)));
    }
    let mut rest = s[name_len..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let Some(close) = extras.find(']') else {
            return Err(format!("unclosed extras in `{}`", clip(s)));
        };
        rest = extras[close + 1..].trim_start();
    }
    if rest.starts_with('@') {
        return Ok(None); // `name @ url`
    }
    let rest = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest).trim();
    if rest.is_empty() {
        return Ok(Some((start, name, None)));
    }
    let mut pin = None;
    for spec in rest.split(',') {
        let spec = spec.trim();
        let op_len = spec.find(|c: char| !matches!(c, '=' | '<' | '>' | '!' | '~')).unwrap_or(spec.len());
        let (op, version) = (&spec[..op_len], spec[op_len..].trim());
        if !matches!(op, "==" | "===" | "!=" | "<=" | ">=" | "<" | ">" | "~=") {
            return Err(format!("bad version specifier `{}` in `{}`", clip(spec), clip(s)));
        }
        let valid = !version.is_empty()
            && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '!' | '*'));
        if !valid {
            return Err(format!("bad version `{}` in `{}`", clip(version), clip(s)));
        }
        if (op == "==" || op == "===") && !version.contains('*') {
            pin = Some(version);
        }
    }
    Ok(Some((start, name, pin)))
}

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for l in logical_lines(text) {
        match requirement(&l.text) {
            Ok(Some((at, name, Some(version)))) => {
                let (line, column) = lines.position(l.file_offset(at));
                out.push(Package::new(Ecosystem::PyPI, name.to_string(), version.to_string(), file, (line, column)));
            }
            Ok(_) => {}
            Err(e) => return Err(format!("line {}: {e}", l.line)),
        }
    }
    Ok(out)
}
