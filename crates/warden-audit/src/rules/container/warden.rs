//! Warden's own settings as the shipped image gives them: `WARDEN_*` variables in
//! `ENV`, and `warden serve` flags in the final `ENTRYPOINT` and `CMD`. Every key
//! of the config file is also a flag (`--` + the key with `.` and `_` as `-`) and a
//! variable (`WARDEN_` + the key upper-cased with `.` as `_`), as `warden serve`
//! reads them.

use crate::yaml::Pos;

use super::image::{Build, key_values};
use super::shell::basename;

/// A setting found in the image.
pub struct Setting {
    pub value: String,
    /// How it was written: `ENV WARDEN_INSECURE_HTTP=true`, `--limits-rate off`.
    pub written: String,
    pub pos: Pos,
}

/// The values the image gives config `key` (`insecure_http`, `limits.rate`).
pub fn settings(build: &Build<'_>, key: &str) -> Vec<Setting> {
    let env = format!("WARDEN_{}", key.replace('.', "_").to_ascii_uppercase());
    let flag = format!("--{}", key.replace(['.', '_'], "-"));
    let mut out = Vec::new();
    for step in build.shipped_steps().filter(|s| s.keyword() == "ENV") {
        for (name, value) in key_values(&step.ins.args) {
            if name == env {
                out.push(Setting { written: format!("ENV {name}={value}"), value, pos: step.pos() });
            }
        }
    }
    let command = ["ENTRYPOINT", "CMD"].map(|k| build.shipped_steps().filter(|s| s.keyword() == k).last());
    let words: Vec<(Pos, Vec<String>)> = command
        .iter()
        .flatten()
        .map(|s| (s.pos(), s.commands().into_iter().flat_map(|c| c.words.into_iter().map(|w| w.text)).collect()))
        .collect();
    let runs_warden = words.iter().any(|(_, ws)| ws.iter().any(|w| basename(w) == "warden"));
    if !runs_warden {
        return out;
    }
    for (pos, ws) in &words {
        for (i, w) in ws.iter().enumerate() {
            if let Some(value) = w.strip_prefix(&flag).and_then(|rest| rest.strip_prefix('=')) {
                out.push(Setting { written: w.clone(), value: value.to_string(), pos: *pos });
            } else if *w == flag {
                // A bool flag alone means true; other flags take the next word.
                let next = ws.get(i + 1).filter(|n| !n.starts_with("--"));
                let value = next.cloned().unwrap_or_else(|| "true".into());
                let written = next.map_or_else(|| w.clone(), |n| format!("{w} {n}"));
                out.push(Setting { written, value, pos: *pos });
            }
        }
    }
    out
}

/// How `warden serve` reads a boolean.
pub fn truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
}

/// The `limits.*` keys that take `off`.
pub const LIMIT_KEYS: &[&str] = &[
    "limits.rate",
    "limits.burst",
    "limits.per_address_rate",
    "limits.per_address_burst",
    "limits.daily_rows",
    "limits.monthly_rows",
    "limits.concurrency",
];
