//! Warden's settings as a pod spec gives them, with `warden serve`'s precedence: a
//! flag (`--insecure-http`, `--limits-rate off`) over an environment variable
//! (`WARDEN_INSECURE_HTTP`, from `env`, a ConfigMap key or an `envFrom` ConfigMap)
//! over the config file (`--config`/`WARDEN_CONFIG`, found through the volume
//! mounts in a ConfigMap of the set) over the default. So a rule can tell "set to
//! off here" from "left at a safe default" from "in a config file we cannot see".

use super::util::{Container, Image, Role, find};
use crate::context::Context;
use crate::input::File;
use crate::kubernetes::Object;
use crate::rules::server::settings;
use crate::warden_config;
use crate::yaml::{Node, Pos};

/// A setting's key in Warden's config file (`insecure_http`, `limits.rate`) and
/// whether it is a boolean flag (`--insecure-http` alone means true).
#[derive(Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub boolean: bool,
}

impl Key {
    fn flag(&self) -> String {
        format!("--{}", settings::flag(self.name))
    }

    fn env(&self) -> String {
        settings::env(self.name)
    }
}

pub const INSECURE_HTTP: Key = Key { name: "insecure_http", boolean: true };
pub const LOG_PAYLOADS: Key = Key { name: "log_payloads", boolean: true };
pub const LIMITS_RATE: Key = Key { name: "limits.rate", boolean: false };
pub const REQUIRE_SIGNATURE: Key = Key { name: "models.require_signature", boolean: true };
pub const MODEL_REPOSITORY: Key = Key { name: "model_repository", boolean: false };
pub const METRICS_LISTEN: Key = Key { name: "metrics_listen", boolean: false };
pub const METRICS_TOKEN_FILE: Key = Key { name: "metrics_token_file", boolean: false };
const CONFIG: Key = Key { name: "config", boolean: false };

/// A value found, and where it was written.
pub struct Found<'a> {
    pub value: String,
    pub file: &'a File,
    pub pos: Pos,
    /// How the report names it: `--insecure-http`, `WARDEN_LIMITS_RATE`,
    /// `insecure_http in ConfigMap/ml/warden-config`.
    pub source: String,
}

impl Found<'_> {
    /// The value read as `warden serve` reads a boolean.
    pub fn truthy(&self) -> Option<bool> {
        settings::truthy(&self.value)
    }
}

/// What the pod spec makes of a setting.
pub enum Lookup<'a> {
    Set(Found<'a>),
    /// Nowhere set: Warden's default applies.
    Default,
    /// It may be set where the set does not show: a config file or a Secret.
    Unknown,
}

/// True for a container running Warden: its image is Warden's, its command runs
/// `warden`, or it is configured with `WARDEN_*` variables (an image built on
/// Warden keeps its entrypoint).
pub fn is_warden(cx: &Context<'_>, c: &Container<'_>) -> bool {
    if c.role != Role::Main {
        return false;
    }
    let image =
        c.image().is_some_and(|(_, i)| repository(Image::parse(i).name).to_ascii_lowercase().contains("warden"));
    let command = argv_words(c).iter().any(|(_, w)| w.rsplit('/').next() == Some("warden"));
    let env = env_names(cx, c).iter().any(|n| n.starts_with("WARDEN_"));
    image || command || env
}

/// The image name without its registry host.
fn repository(name: &str) -> &str {
    match name.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => name,
    }
}

/// The words of `command` and `args`, each with the item it comes from (a shell
/// script given to `sh -c` is split on blanks, quotes dropped).
fn argv_words<'a>(c: &Container<'a>) -> Vec<(&'a Node, String)> {
    let mut out = Vec::new();
    for item in c.argv() {
        for word in item.as_str().unwrap_or_default().split_whitespace() {
            out.push((item, word.trim_matches(['"', '\'', ';']).to_string()));
        }
    }
    out
}

/// The value of flag `key` on the command line: `--flag=value`, `--flag value`,
/// or a lone boolean `--flag`. The last one counts.
fn flag<'a>(c: &Container<'a>, key: Key) -> Option<Found<'a>> {
    let flag = key.flag();
    let words = argv_words(c);
    let mut found = None;
    for (i, (item, word)) in words.iter().enumerate() {
        let value = if let Some(v) = word.strip_prefix(&flag).and_then(|r| r.strip_prefix('=')) {
            v.to_string()
        } else if *word == flag {
            if key.boolean {
                "true".to_string()
            } else {
                match words.get(i + 1) {
                    Some((_, next)) if !next.starts_with("--") => next.clone(),
                    _ => continue,
                }
            }
        } else {
            continue;
        };
        found = Some(Found { value, file: c.pod.file, pos: item.pos, source: word.clone() });
    }
    found.map(|mut f| {
        if !f.source.contains('=') {
            f.source = if key.boolean { flag } else { format!("{flag} {}", f.value) };
        }
        f
    })
}

/// The names of every variable the container gets.
fn env_names(cx: &Context<'_>, c: &Container<'_>) -> Vec<String> {
    let mut names: Vec<String> =
        strings_of(c.node.get("env"), "name").into_iter().map(|(_, n)| n.to_string()).collect();
    for (_, cm, prefix) in env_from_configmaps(cx, c) {
        for (k, _) in cm.doc.get("data").map(Node::entries).unwrap_or_default() {
            if let Some(k) = k.as_str() {
                names.push(format!("{prefix}{k}"));
            }
        }
    }
    names
}

fn strings_of<'a>(list: Option<&'a Node>, key: &str) -> Vec<(&'a Node, &'a str)> {
    list.map(Node::items).unwrap_or_default().iter().filter_map(|i| Some((i, i.get(key)?.as_str()?))).collect()
}

/// The ConfigMaps of the set that `envFrom` loads, last first (the last wins),
/// with their file and prefix.
fn env_from_configmaps<'a>(cx: &Context<'a>, c: &Container<'_>) -> Vec<(&'a File, &'a Object, String)> {
    let ns = c.pod.namespace();
    let mut out = Vec::new();
    for source in c.node.get("envFrom").map(Node::items).unwrap_or_default().iter().rev() {
        let Some(name) = source.path(&["configMapRef", "name"]).and_then(Node::as_str) else { continue };
        let prefix = source.get("prefix").and_then(Node::as_str).unwrap_or_default().to_string();
        if let Some((file, cm)) = find(cx, "ConfigMap", ns, name) {
            out.push((file, cm, prefix));
        }
    }
    out
}

/// A ConfigMap's `data` entry: key node and value.
fn configmap_entry<'a>(cm: &'a Object, key: &str) -> Option<(&'a Node, &'a Node)> {
    cm.doc.get("data")?.entry(key)
}

/// The variable `name` as the container sees it.
fn env<'a>(cx: &Context<'a>, c: &Container<'a>, name: &str) -> Lookup<'a> {
    let items = c.node.get("env").map(Node::items).unwrap_or_default();
    if let Some(item) = items.iter().rev().find(|i| i.get("name").and_then(Node::as_str) == Some(name)) {
        if let Some((key, value)) = item.entry("value") {
            let value = value.as_str().unwrap_or_default().to_string();
            return Lookup::Set(Found { source: format!("{name}={value}"), value, file: c.pod.file, pos: key.pos });
        }
        let reference = item.path(&["valueFrom", "configMapKeyRef"]);
        let cm_name = reference.and_then(|r| r.get("name")).and_then(Node::as_str);
        let cm_key = reference.and_then(|r| r.get("key")).and_then(Node::as_str);
        if let (Some(cm_name), Some(cm_key)) = (cm_name, cm_key)
            && let Some((file, cm)) = find(cx, "ConfigMap", c.pod.namespace(), cm_name)
            && let Some(found) = from_configmap(name, file, cm, cm_key)
        {
            return Lookup::Set(found);
        }
        // A Secret, a field reference, or a ConfigMap the set does not hold.
        return Lookup::Unknown;
    }
    for (file, cm, prefix) in env_from_configmaps(cx, c) {
        let Some(key) = name.strip_prefix(prefix.as_str()) else { continue };
        if let Some(found) = from_configmap(name, file, cm, key) {
            return Lookup::Set(found);
        }
    }
    Lookup::Default
}

/// Variable `name` taken from `key` of a ConfigMap.
fn from_configmap<'a>(name: &str, file: &'a File, cm: &'a Object, key: &str) -> Option<Found<'a>> {
    let (key_node, value) = configmap_entry(cm, key)?;
    let value = value.as_str().unwrap_or_default().to_string();
    let source = format!("{name}={value} from {}", cm.id());
    Some(Found { value, file, pos: key_node.pos, source })
}

/// Warden's config file as the container would read it, when the set holds it.
struct ConfigFile<'a> {
    file: &'a File,
    configmap: &'a Object,
    text: &'a str,
    /// Where the text starts in the manifest, when it is a block scalar whose
    /// lines are the manifest's lines; else the data key.
    origin: (Pos, bool),
    table: toml::Table,
}

/// The config file named by `--config`/`WARDEN_CONFIG`: `Ok(None)` when there is
/// none, `Err(())` when there is one the set does not hold.
fn config_file<'a>(cx: &Context<'a>, c: &Container<'a>) -> Result<Option<ConfigFile<'a>>, ()> {
    let path = match flag(c, CONFIG) {
        Some(f) => f.value,
        None => match env(cx, c, &CONFIG.env()) {
            Lookup::Set(f) => f.value,
            Lookup::Default => return Ok(None),
            Lookup::Unknown => return Err(()),
        },
    };
    let (cm_name, key) = mounted_configmap_key(c, &path).ok_or(())?;
    let (file, cm) = find(cx, "ConfigMap", c.pod.namespace(), &cm_name).ok_or(())?;
    let (key_node, value) = configmap_entry(cm, &key).ok_or(())?;
    let text = value.as_str().ok_or(())?;
    let table: toml::Table = text.parse().map_err(|_| ())?;
    let first = text.lines().next().unwrap_or_default().trim();
    let block = file.text.lines().nth(value.pos.line.wrapping_sub(1)).is_some_and(|l| l.trim() == first);
    let origin = if block { (value.pos, true) } else { (key_node.pos, false) };
    Ok(Some(ConfigFile { file, configmap: cm, text, origin, table }))
}

/// The ConfigMap and key that the file at `path` comes from, through the
/// container's volume mounts (`subPath`, `items` and projected volumes included).
fn mounted_configmap_key(c: &Container<'_>, path: &str) -> Option<(String, String)> {
    let mounts = c.node.get("volumeMounts").map(Node::items).unwrap_or_default();
    let (mount, rel) = mounts
        .iter()
        .filter_map(|m| {
            let at = m.get("mountPath")?.as_str()?.trim_end_matches('/');
            let rel = if path == at { "" } else { path.strip_prefix(at)?.strip_prefix('/')? };
            Some((m, at.len(), rel))
        })
        .max_by_key(|(_, len, _)| *len)
        .map(|(m, _, rel)| (m, rel))?;
    let volume = c.pod.volume(mount.get("name")?.as_str()?)?;
    let rel = match mount.get("subPath").and_then(Node::as_str) {
        Some(sub) if rel.is_empty() => sub,
        Some(_) => return None,
        None => rel,
    };
    let sources: Vec<&Node> = match volume.get("configMap") {
        Some(cm) => vec![cm],
        None => volume
            .path(&["projected", "sources"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.get("configMap"))
            .collect(),
    };
    for source in sources {
        let name = source.get("name").and_then(Node::as_str)?;
        let items = source.get("items").map(Node::items).unwrap_or_default();
        if items.is_empty() {
            return Some((name.to_string(), rel.to_string()));
        }
        if let Some(item) = items.iter().find(|i| i.get("path").and_then(Node::as_str) == Some(rel)) {
            return Some((name.to_string(), item.get("key")?.as_str()?.to_string()));
        }
    }
    None
}

fn config_value<'a>(config: &ConfigFile<'a>, key: Key) -> Option<Found<'a>> {
    let raw = warden_config::get(&config.table, key.name)?;
    let value = match raw {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let pos = match config.origin {
        (start, true) => {
            let at = warden_config::position(config.text, key.name);
            Pos { line: start.line + at.line - 1, col: start.col + at.col - 1 }
        }
        (key_pos, false) => key_pos,
    };
    let source = format!("{} = {raw} in {}", key.name, config.configmap.id());
    Some(Found { value, file: config.file, pos, source })
}

/// The setting `key` for a Warden container: flag, then variable, then config file.
pub fn setting<'a>(cx: &Context<'a>, c: &Container<'a>, key: Key) -> Lookup<'a> {
    if let Some(found) = flag(c, key) {
        return Lookup::Set(found);
    }
    match env(cx, c, &key.env()) {
        Lookup::Default => {}
        other => return other,
    }
    match config_file(cx, c) {
        Ok(Some(config)) => config_value(&config, key).map_or(Lookup::Default, Lookup::Set),
        Ok(None) => Lookup::Default,
        Err(()) => Lookup::Unknown,
    }
}

/// Reports `rule` for every Warden container that turns the boolean setting `key`
/// on (by flag, variable or config file), at the place that does: `what` says
/// what follows from it.
pub fn report_if_on(
    cx: &Context<'_>,
    out: &mut crate::finding::Findings,
    rule: &'static crate::rule::Rule,
    key: Key,
    what: &str,
) {
    for c in containers(cx) {
        if let Lookup::Set(found) = setting(cx, &c, key)
            && found.truthy() == Some(true)
        {
            out.add(rule, &found.file.path, found.pos, c.subject(), format!("{}: {what}", found.source));
        }
    }
}

/// Every Warden container of the set.
pub fn containers<'a>(cx: &Context<'a>) -> Vec<Container<'a>> {
    super::util::containers(cx).into_iter().filter(|c| is_warden(cx, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;
    use crate::kubernetes::objects;
    use crate::yaml::{DEFAULT_BUDGET, parse};

    const MANIFEST: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ml}
data:
  rate: "off"
  config.toml: |
    [models]
    require_signature = false
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: scorer, namespace: ml}
spec:
  template:
    spec:
      containers:
        - name: scorer
          image: registry.example.com/ml/scorer:1.0
          command: [sh, -c, "exec /usr/local/bin/warden serve --log-payloads --config /etc/scorer/warden.toml"]
          env:
            - name: WARDEN_LIMITS_RATE
              valueFrom:
                configMapKeyRef: {name: settings, key: rate}
            - name: WARDEN_INSECURE_HTTP
              valueFrom:
                secretKeyRef: {name: elsewhere, key: tls}
          volumeMounts:
            - {name: config, mountPath: /etc/scorer}
      volumes:
        - name: config
          projected:
            sources:
              - configMap:
                  name: settings
                  items: [{key: config.toml, path: warden.toml}]
"#;

    fn files() -> Vec<File> {
        let objects = objects(&parse(MANIFEST, DEFAULT_BUDGET).unwrap());
        vec![File { path: "scorer.yaml".into(), text: MANIFEST.into(), input: Input::Kubernetes(objects) }]
    }

    #[test]
    fn every_source_of_a_setting() {
        let files = files();
        let cx = Context::new(&files);
        let all = containers(&cx);
        assert_eq!(all.len(), 1, "a shell script running warden is Warden");
        let c = &all[0];
        let Lookup::Set(payloads) = setting(&cx, c, LOG_PAYLOADS) else { panic!("--log-payloads in a script") };
        assert_eq!((payloads.value.as_str(), payloads.pos.line), ("true", 19));
        let Lookup::Set(rate) = setting(&cx, c, LIMITS_RATE) else { panic!("configMapKeyRef") };
        assert_eq!((rate.value.as_str(), rate.pos.line), ("off", 5));
        assert!(matches!(setting(&cx, c, INSECURE_HTTP), Lookup::Unknown), "a Secret the set cannot read");
        let Lookup::Set(signatures) = setting(&cx, c, REQUIRE_SIGNATURE) else { panic!("projected item") };
        assert_eq!((signatures.value.as_str(), signatures.pos.line, signatures.pos.col), ("false", 8, 5));
        assert!(matches!(setting(&cx, c, METRICS_LISTEN), Lookup::Default));
    }
}
