//! Warden's settings wherever a deployment gives them: a config file (TOML), the
//! flags of `warden serve` and `WARDEN_*` variables, with the server's own
//! precedence (flags over variables over the file) and defaults. Every value
//! keeps where it was written, so a finding points at the key, the flag or the
//! `Environment=` word that sets it.
//!
//! Built here for Warden configs and systemd units; another layer can build a
//! [`Settings`] with [`Settings::add_flags`] and [`Settings::add_env`] and pass it
//! to a rule's `assess`.

use std::net::SocketAddr;
use std::path::Path;

use crate::context::Context;
use crate::input::File;
use crate::rules::host::systemd::{self, Word};
use crate::yaml::Pos;

/// Every key of `warden serve` (crates/warden-serve/src/config.rs `SETTINGS`), and
/// whether it is a boolean (a bare `--flag` means true; the others take a value).
pub const KEYS: &[(&str, bool)] = &[
    ("listen", false),
    ("metrics_listen", false),
    ("metrics_token_file", false),
    ("state_dir", false),
    ("model_repository", false),
    ("models.scan_fail_on", false),
    ("models.require_signature", true),
    ("models.trusted_keys", false),
    ("models.trusted_roots", false),
    ("models.watch", true),
    ("models.reload_delay", false),
    ("insecure_http", true),
    ("log_level", false),
    ("log_payloads", true),
    ("tls.cert", false),
    ("tls.key", false),
    ("tls.client_ca", false),
    ("tls.client_auth", false),
    ("tls.crl", false),
    ("tls.identities", false),
    ("http.max_body_size", false),
    ("http.max_header_size", false),
    ("http.max_headers", false),
    ("http.max_response_size", false),
    ("http.max_elements", false),
    ("http.read_timeout", false),
    ("http.request_timeout", false),
    ("http.max_in_flight", false),
    ("http.max_connections", false),
    ("http.shutdown_timeout", false),
    ("http.trusted_proxies", false),
    ("http.proxy_header", false),
    ("auth.jwt.jwks", false),
    ("auth.jwt.discovery", true),
    ("auth.jwt.refresh", false),
    ("auth.jwt.ca_file", false),
    ("auth.jwt.hmac_secret_file", false),
    ("auth.jwt.issuer", false),
    ("auth.jwt.audience", false),
    ("auth.jwt.leeway", false),
    ("auth.jwt.scope_claim", false),
    ("auth.max_failures", false),
    ("auth.failure_window", false),
    ("log.format", false),
    ("log.pseudonymise", true),
    ("log.addresses", false),
    ("log.identities", false),
    ("log.patterns", false),
    ("limits.rate", false),
    ("limits.burst", false),
    ("limits.per_address_rate", false),
    ("limits.per_address_burst", false),
    ("limits.daily_rows", false),
    ("limits.monthly_rows", false),
    ("limits.concurrency", false),
    ("otlp.endpoint", false),
    ("audit.dir", false),
    ("audit.advisories", false),
    ("audit.max_file_size", false),
    ("audit.checkpoint_every", false),
    ("audit.checkpoint_interval", false),
    ("audit.fsync", true),
    ("audit.fail_closed", true),
    ("audit.stdout", true),
    ("audit.syslog", false),
];

/// `--models-require-signature` for `models.require_signature`.
pub fn flag(key: &str) -> String {
    key.replace(['.', '_'], "-")
}

/// `WARDEN_MODELS_REQUIRE_SIGNATURE` for `models.require_signature`.
pub fn env(key: &str) -> String {
    format!("WARDEN_{}", key.replace('.', "_").to_uppercase())
}

/// Where a value came from; later kinds win.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    File,
    Env,
    Flag,
}

/// One value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    /// The value as text (`true`/`false` for booleans).
    pub value: String,
    pub file: String,
    pub pos: Pos,
    pub via: Via,
    /// As written: `insecure_http = true`, `--insecure-http`, `WARDEN_INSECURE_HTTP=true`.
    pub shown: String,
}

/// Everything one server is given.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `Warden config`, `systemd unit warden.service`, ...
    pub subject: String,
    /// Where to report an absence: the file and the line that starts the server.
    pub anchor: (String, Pos),
    /// The `--config` or `WARDEN_CONFIG` given, if any.
    pub config: Option<String>,
    /// True when that config file is in the set and its keys are included.
    pub config_found: bool,
    values: Vec<Setting>,
}

impl Settings {
    pub fn new(subject: impl Into<String>, file: &str, pos: Pos) -> Settings {
        Settings {
            subject: subject.into(),
            anchor: (file.to_string(), pos),
            config: None,
            config_found: false,
            values: Vec::new(),
        }
    }

    /// The value that wins for `key`: flags over variables over the file, and the
    /// last of each kind.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.values.iter().enumerate().filter(|(_, s)| s.key == key).max_by_key(|(i, s)| (s.via, *i)).map(|(_, s)| s)
    }

    /// Every value given, in the order given.
    pub fn all(&self) -> impl Iterator<Item = &Setting> {
        self.values.iter()
    }

    /// A TOML config file's keys, flattened (`[models] require_signature` is
    /// `models.require_signature`).
    pub fn add_toml(&mut self, file: &File, table: &toml::Table) {
        flatten(file, table, "", &mut self.values);
    }

    /// `warden serve`'s flags among `words` (the words after the executable).
    pub fn add_flags(&mut self, file: &str, words: &[Word]) {
        let mut i = 0;
        while i < words.len() {
            let word = &words[i];
            i += 1;
            let Some(name) = word.text.strip_prefix("--") else { continue };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            let key = KEYS.iter().find(|(k, _)| flag(k) == name || jwt_alias(k).as_deref() == Some(name));
            let takes_value = key.is_none_or(|(_, boolean)| !boolean);
            let value = match inline {
                Some(v) => v,
                None if takes_value && words.get(i).is_some_and(|w| !w.text.starts_with("--")) => {
                    i += 1;
                    words[i - 1].text.clone()
                }
                None if takes_value => String::new(),
                None => "true".to_string(),
            };
            if name == "config" {
                self.config = Some(value);
                continue;
            }
            let Some((key, _)) = key else { continue };
            let shown = if value == "true" && !word.text.contains('=') {
                word.text.clone()
            } else {
                format!("--{name} {value}")
            };
            self.values.push(Setting {
                key: key.to_string(),
                value,
                file: file.to_string(),
                pos: word.pos,
                via: Via::Flag,
                shown,
            });
        }
    }

    /// One `NAME=value` environment variable.
    pub fn add_env(&mut self, file: &str, name: &str, value: &str, pos: Pos) {
        if name == "WARDEN_CONFIG" {
            self.config = Some(value.to_string());
            return;
        }
        let Some((key, _)) = KEYS.iter().find(|(k, _)| env(k) == name) else { return };
        self.values.push(Setting {
            key: key.to_string(),
            value: value.to_string(),
            file: file.to_string(),
            pos,
            via: Via::Env,
            shown: format!("{name}={value}"),
        });
    }
}

/// `--jwt-issuer` for `auth.jwt.issuer`, as the CLI also accepts.
fn jwt_alias(key: &str) -> Option<String> {
    key.strip_prefix("auth.jwt.").map(|rest| format!("jwt-{}", rest.replace('_', "-")))
}

/// A boolean as the server reads it from a flag, a variable or the file.
pub fn truthy(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn flatten(file: &File, table: &toml::Table, prefix: &str, out: &mut Vec<Setting>) {
    for (name, value) in table {
        let key = format!("{prefix}{name}");
        let text = match value {
            toml::Value::Table(inner) => {
                flatten(file, inner, &format!("{key}."), out);
                continue;
            }
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        let shown = match value {
            toml::Value::String(s) => format!("{name} = \"{s}\""),
            other => format!("{name} = {other}"),
        };
        out.push(Setting {
            key: key.clone(),
            value: text,
            file: file.path.clone(),
            pos: position(&file.text, &key),
            via: Via::File,
            shown,
        });
    }
}

/// Where `key` is set in a TOML file: like [`crate::warden_config::position`], and
/// also inside quoted table names (`[limits.identity."key:0a1b"]`).
fn position(text: &str, key: &str) -> Pos {
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[').trim_end().trim_end_matches(']');
            section = dotted(header);
            continue;
        }
        let Some((name, _)) = line.split_once('=') else { continue };
        let name = dotted(name);
        let full = if section.is_empty() { name } else { format!("{section}.{name}") };
        if full == key {
            return Pos { line: i + 1, col: raw.len() - raw.trim_start().len() + 1 };
        }
    }
    crate::warden_config::position(text, key)
}

/// A TOML dotted name without its quotes and blanks: `limits.identity."key:0a1b"`.
fn dotted(name: &str) -> String {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quote = None;
    for c in name.trim().chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => part.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => parts.push(std::mem::take(&mut part).trim().to_string()),
            (None, c) => part.push(c),
        }
    }
    parts.push(part.trim().to_string());
    parts.join(".")
}

/// The address a listen setting names, if it parses.
pub fn address(value: &str) -> Option<SocketAddr> {
    value.trim().parse().ok()
}

/// True for an address other hosts can reach.
pub fn exposed(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// A duration as the server reads it: seconds, or `500ms`, `30s`, `2m`, `1h 30m`.
pub fn duration_secs(value: &str) -> Option<f64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs as f64);
    }
    let mut total = 0.0;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c.is_whitespace()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" | "msec" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            _ => return None,
        };
        total += n * scale;
        rest = rest[unit_len..].trim_start();
    }
    Some(total)
}

/// What a server rule found in one [`Settings`]: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weakness {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl Weakness {
    /// A weakness at the place `setting` is written.
    pub fn at(setting: &Setting, message: impl Into<String>) -> Weakness {
        Weakness { file: setting.file.clone(), pos: setting.pos, message: message.into() }
    }
}

/// Runs one server rule's `assess` over every deployment of the set.
pub fn run(
    cx: &Context<'_>,
    out: &mut crate::finding::Findings,
    rule: &'static crate::rule::Rule,
    assess: fn(&Settings) -> Vec<Weakness>,
) {
    for s in deployments(cx) {
        for w in assess(&s) {
            out.add(rule, &w.file, w.pos, s.subject.clone(), w.message);
        }
    }
}

/// The `listen` address when other hosts can reach it (the default is loopback).
pub fn exposed_listen(s: &Settings) -> Option<(&Setting, SocketAddr)> {
    let setting = s.get("listen")?;
    address(&setting.value).filter(exposed).map(|a| (setting, a))
}

/// Every Warden server the set configures: each systemd unit that runs `warden`
/// (its `Environment=`, its flags, and the config file it names when that file
/// is in the set), and each Warden config no unit names.
pub fn deployments(cx: &Context<'_>) -> Vec<Settings> {
    let configs: Vec<(&File, &toml::Table)> = cx.warden_configs().collect();
    let mut linked: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for unit in systemd::units(cx) {
        let Some(("warden", words, at)) = unit.server() else { continue };
        let (file, _) = unit.exec_start().expect("a unit with a server has an ExecStart");
        let mut s = Settings::new(format!("systemd unit {}", unit.name()), &file.path, words[at].pos);
        for (f, entry) in unit.service_all("Environment") {
            for w in systemd::words(&f.text, entry) {
                if let Some((name, value)) = w.text.split_once('=') {
                    s.add_env(&f.path, name, value, w.pos);
                }
            }
        }
        s.add_flags(&file.path, &words[at + 1..]);
        if let Some(wanted) = s.config.clone()
            && let Some((config, table)) = configs.iter().find(|(f, _)| names_file(&f.path, &wanted))
        {
            linked.push(&config.path);
            let mut with_file = Settings::new(s.subject.clone(), &s.anchor.0, s.anchor.1);
            with_file.add_toml(config, table);
            with_file.values.extend(s.values);
            with_file.config = s.config;
            with_file.config_found = true;
            s = with_file;
        }
        found.push(s);
    }
    for (file, table) in configs.into_iter().filter(|(f, _)| !linked.contains(&f.path.as_str())) {
        let mut s = Settings::new("Warden config", &file.path, Pos { line: 1, col: 1 });
        s.add_toml(file, table);
        found.push(s);
    }
    found
}

/// True when `path` (as found) is the file `wanted` (as a unit names it).
fn names_file(path: &str, wanted: &str) -> bool {
    let wanted = Path::new(wanted.trim_start_matches('/'));
    wanted.components().count() > 0 && Path::new(path).ends_with(wanted)
}

/// The ports of every `listen` and `metrics_listen` the set configures.
pub fn listen_ports(cx: &Context<'_>) -> Vec<u16> {
    deployments(cx)
        .iter()
        .flat_map(|s| ["listen", "metrics_listen"].map(|k| s.get(k).and_then(|v| address(&v.value))))
        .flatten()
        .map(|a| a.port())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;
    use crate::keyvalue::{KeyValues, Syntax};

    #[test]
    fn flags_beat_variables_beat_the_file() {
        let toml_text = "insecure_http = false\nlisten = \"127.0.0.1:8443\"\n[limits]\nrate = \"off\"\n";
        let unit_text = "[Service]\nEnvironment=WARDEN_INSECURE_HTTP=true \"WARDEN_LISTEN=0.0.0.0:9000\"\nExecStart=/usr/local/bin/warden serve --config /etc/warden/warden.toml --listen=0.0.0.0:8443 --limits-rate 10/s --log-payloads\n";
        let files = [
            File {
                path: "etc/warden/warden.toml".into(),
                text: toml_text.into(),
                input: Input::WardenConfig(toml_text.parse().unwrap()),
            },
            File {
                path: "warden.service".into(),
                text: unit_text.into(),
                input: Input::Systemd(KeyValues::parse(unit_text, Syntax::Ini)),
            },
        ];
        let cx = Context::new(&files);
        let all = deployments(&cx);
        assert_eq!(all.len(), 1, "the config is the unit's");
        let s = &all[0];
        assert_eq!(s.get("insecure_http").unwrap().via, Via::Env);
        assert_eq!(s.get("insecure_http").unwrap().value, "true");
        assert_eq!(s.get("listen").unwrap().value, "0.0.0.0:8443");
        assert_eq!(s.get("limits.rate").unwrap().value, "10/s");
        assert_eq!(s.get("log_payloads").unwrap().shown, "--log-payloads");
        assert_eq!(s.get("log_payloads").unwrap().pos, Pos { line: 3, col: 113 });
        assert_eq!(s.get("insecure_http").unwrap().pos, Pos { line: 2, col: 13 });
        assert_eq!(listen_ports(&cx), [8443]);
    }

    #[test]
    fn durations() {
        assert_eq!(duration_secs("60"), Some(60.0));
        assert_eq!(duration_secs("500ms"), Some(0.5));
        assert_eq!(duration_secs("1h 30m"), Some(5400.0));
        assert_eq!(duration_secs("soon"), None);
    }
}
