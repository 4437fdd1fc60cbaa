//! `Pipfile.lock`: JSON with `default` and `develop` maps of package name to
//! `{"version": "==X", ...}`. Entries without an `==` version (VCS or path
//! dependencies) are skipped.

use serde_json::Value;

use super::{Lines, json::key_offsets};
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(top) = doc.as_object() else {
        return Err("not a Pipfile.lock: the top level is not an object".into());
    };
    if !top.contains_key("default") && !top.contains_key("develop") {
        return Err("not a Pipfile.lock: no `default` or `develop` section".into());
    }
    let keys = key_offsets(text);
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for section in ["default", "develop"] {
        let Some(map) = top.get(section) else { continue };
        let Some(map) = map.as_object() else {
            return Err(format!("`{section}` is not an object"));
        };
        for (name, entry) in map {
            let Some(version) = entry.get("version").and_then(Value::as_str) else { continue };
            let Some(version) = version.strip_prefix("==") else { continue };
            let offset = keys.get(&vec![section.to_string(), name.clone()]).copied().unwrap_or(0);
            let (line, column) = lines.position(offset);
            out.push(Package::new(
                Ecosystem::PyPI,
                name.clone(),
                version.trim_start_matches('=').trim().to_string(),
                file,
                (line, column),
            ));
        }
    }
    Ok(out)
}
