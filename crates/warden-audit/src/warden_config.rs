//! Warden's own config files: recognised by their keys, and read with the same
//! meaning `warden serve` gives them (defaults included), so a rule can say
//! "TLS is off" whether the file says `insecure_http = true` or not.

use crate::yaml::Pos;

/// Top-level keys and sections of `warden serve`'s config file.
const TOP_LEVEL: &[&str] = &[
    "listen",
    "metrics_listen",
    "metrics_token_file",
    "state_dir",
    "model_repository",
    "models",
    "insecure_http",
    "log_level",
    "log_payloads",
    "tls",
    "http",
    "auth",
    "log",
    "otlp",
    "limits",
    "audit",
];

/// True for a TOML table that only uses Warden's keys (and some of them).
pub fn looks_like(table: &toml::Table) -> bool {
    !table.is_empty() && table.keys().all(|k| TOP_LEVEL.contains(&k.as_str()))
}

/// The value at a dotted `key` (`tls.client_ca`, `models.require_signature`).
pub fn get<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Where `key` is set in the file's text: the line of `name =` inside its
/// `[section]` (or at the top for undotted keys); the first line when absent.
pub fn position(text: &str, key: &str) -> Pos {
    let (section, name) = match key.rsplit_once('.') {
        Some((s, n)) => (s, n),
        None => ("", key),
    };
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            current = line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        let Some((k, _)) = line.split_once('=') else { continue };
        let k = k.trim();
        let dotted = if current.is_empty() { k.to_string() } else { format!("{current}.{k}") };
        if (current == section && k == name) || dotted == key {
            let col = raw.len() - raw.trim_start().len() + 1;
            return Pos { line: i + 1, col };
        }
    }
    Pos { line: 1, col: 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_and_locates_keys() {
        let text = "listen = \"0.0.0.0:8443\"\n[models]\nrequire_signature = false\n";
        let t: toml::Table = text.parse().unwrap();
        assert!(looks_like(&t));
        assert_eq!(get(&t, "models.require_signature").and_then(toml::Value::as_bool), Some(false));
        assert_eq!(position(text, "models.require_signature"), Pos { line: 3, col: 1 });
        assert_eq!(position(text, "listen"), Pos { line: 1, col: 1 });
        assert!(!looks_like(&"[package]\nname = \"x\"\n".parse().unwrap()));
    }
}
