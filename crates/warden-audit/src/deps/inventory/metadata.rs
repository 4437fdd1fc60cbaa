//! Installed Python packages: `*.dist-info/METADATA` (and the older
//! `*.egg-info/PKG-INFO`), an email-style header block whose `Name:` and
//! `Version:` say what is installed. The package points at its `Name:` line.

use super::Lines;
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let mut name = None;
    let mut version = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            break; // the headers end; the description follows
        }
        if let Some((key, value)) = line.split_once(':') {
            match key {
                "Name" if name.is_none() => name = Some((value.trim(), offset)),
                "Version" if version.is_none() => version = Some(value.trim()),
                _ => {}
            }
        }
        offset += raw.len();
    }
    let (Some((name, at)), Some(version)) = (name, version) else {
        return Err("package metadata without a `Name:` and a `Version:` header".into());
    };
    if name.is_empty() || version.is_empty() {
        return Err("package metadata with an empty `Name:` or `Version:`".into());
    }
    let (line, column) = Lines::new(text).position(at);
    Ok(vec![Package::new(Ecosystem::PyPI, name.to_string(), version.to_string(), file, (line, column))])
}
