//! Warden's own settings as the shipped image gives them: `WARDEN_*` variables in
//! `ENV`, and `warden serve` flags in the final `ENTRYPOINT` and `CMD`. Every key
//! of the config file is also a flag (`--` + the key with `.` and `_` as `-`) and a
//! variable (`WARDEN_` + the key upper-cased with `.` as `_`); a flag wins over
//! the variable, and both over the config file, as `warden serve` reads them.

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

/// The value `warden serve` would use for config `key` (`insecure_http`,
/// `limits.rate`) as the image starts it: the last flag, else the last `ENV`.
/// `None` when the image leaves it to the config file or the default.
pub fn effective(build: &Build<'_>, key: &str) -> Option<Setting> {
    let flag = format!("--{}", key.replace(['.', '_'], "-"));
    flags(build, &flag).pop().or_else(|| variables(build, key).pop())
}

/// True when the image starts Warden with a config file (`--config`,
/// `WARDEN_CONFIG`): settings it leaves out may be in that file.
pub fn uses_config(build: &Build<'_>) -> bool {
    !flags(build, "--config").is_empty() || !variables(build, "config").is_empty()
}

/// `ENV WARDEN_<KEY>=...` lines of the shipped image, in order.
fn variables(build: &Build<'_>, key: &str) -> Vec<Setting> {
    let env = format!("WARDEN_{}", key.replace('.', "_").to_ascii_uppercase());
    let mut out = Vec::new();
    for step in build.shipped_steps().filter(|s| s.keyword() == "ENV") {
        for (name, value) in key_values(&step.ins.args) {
            if name == env {
                out.push(Setting { written: format!("ENV {name}={value}"), value, pos: step.pos() });
            }
        }
    }
    out
}

/// `flag` in the last `ENTRYPOINT` and `CMD`, in order, when they start Warden.
fn flags(build: &Build<'_>, flag: &str) -> Vec<Setting> {
    let command = ["ENTRYPOINT", "CMD"].map(|k| build.shipped_steps().filter(|s| s.keyword() == k).last());
    let words: Vec<(Pos, Vec<String>)> = command
        .iter()
        .flatten()
        .map(|s| (s.pos(), s.commands().into_iter().flat_map(|c| c.words.into_iter().map(|w| w.text)).collect()))
        .collect();
    let runs_warden = words.iter().any(|(_, ws)| ws.iter().any(|w| basename(w) == "warden"));
    let mut out = Vec::new();
    if !runs_warden {
        return out;
    }
    for (pos, ws) in &words {
        for (i, w) in ws.iter().enumerate() {
            if let Some(value) = w.strip_prefix(flag).and_then(|rest| rest.strip_prefix('=')) {
                out.push(Setting { written: w.clone(), value: value.to_string(), pos: *pos });
            } else if w == flag {
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

/// An address on every interface: `0.0.0.0:9464`, `[::]:9464`, `:9464`.
pub fn all_interfaces(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    matches!(host.trim_matches(|c| c == '[' || c == ']'), "0.0.0.0" | "::" | "")
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
