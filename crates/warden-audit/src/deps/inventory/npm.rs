//! `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 2 and 3:
//! the `packages` map, whose keys are install paths (`node_modules/a`,
//! `node_modules/a/node_modules/@s/b`). The root (`""`), workspace folders
//! (keys outside `node_modules/`) and links are skipped; an entry's `name`
//! (an alias's real package) wins over its path. A package installed at
//! several paths with the same version is reported once, at its first path.
//! Version 1 lockfiles (no `packages` map) are an error.

use std::collections::HashSet;

use serde_json::Value;

use super::{Lines, json::key_offsets};
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(packages) = doc.get("packages") else {
        return Err(match doc.get("lockfileVersion").and_then(Value::as_u64) {
            Some(1) => {
                "lockfileVersion 1 is not supported (no `packages` map): regenerate it with npm 7 or later".into()
            }
            _ => "not a package-lock.json: no `packages` map".into(),
        });
    };
    let Some(packages) = packages.as_object() else {
        return Err("`packages` is not an object".into());
    };
    let keys = key_offsets(text);
    let lines = Lines::new(text);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (path, entry) in packages {
        let Some(at) = path.rfind("node_modules/") else { continue };
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let Some(version) = entry.get("version").and_then(Value::as_str) else { continue };
        let name = entry.get("name").and_then(Value::as_str).unwrap_or(&path[at + "node_modules/".len()..]);
        if name.is_empty() || !seen.insert((name.to_string(), version.to_string())) {
            continue;
        }
        let offset = keys.get(&vec!["packages".to_string(), path.clone()]).copied().unwrap_or(0);
        let (line, column) = lines.position(offset);
        out.push(Package::new(Ecosystem::Npm, name.to_string(), version.to_string(), file, (line, column)));
    }
    Ok(out)
}
