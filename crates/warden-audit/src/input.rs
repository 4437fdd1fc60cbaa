//! Finding the inputs: walking the paths given, reading each file with limits, and
//! classifying it by content (not only by name): Kubernetes manifests, Dockerfiles,
//! GitHub Actions workflows and actions, GitLab CI files, Warden configs, and host
//! files (sysctl, sshd, firewall rules, systemd units). A file that cannot be read
//! or parsed is a per-file error; the rest is still audited.

use std::path::{Path, PathBuf};

use crate::dockerfile::Dockerfile;
use crate::keyvalue::{KeyValues, Syntax};
use crate::kubernetes::{self, Object};
use crate::yaml::{self, Node};

/// Files larger than this are not read (a manifest set is kilobytes).
pub const MAX_FILE_SIZE: u64 = 16 << 20;
/// Directory levels walked below each path given.
const MAX_DEPTH: usize = 32;
/// Directories never walked into.
/// Extensions whose files are never Dockerfiles, whatever their content.
const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    "py",
    "md",
    "rst",
    "txt",
    "rs",
    "go",
    "js",
    "ts",
    "sh",
    "bash",
    "json",
    "ipynb",
    "c",
    "h",
    "cc",
    "cpp",
    "java",
    "rb",
    "toml",
    "ini",
    "cfg",
    "csv",
    "html",
    "dockerignore",
    "lock",
    "tpl",
];
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv", "venv", "__pycache__"];

/// What a file was recognised as, parsed.
#[derive(Debug)]
pub enum Input {
    Kubernetes(Vec<Object>),
    Dockerfile(Dockerfile),
    GithubWorkflow(Node),
    GithubAction(Node),
    GitlabCi(Node),
    /// A Warden server config (TOML).
    WardenConfig(toml::Table),
    Sysctl(KeyValues),
    Sshd(KeyValues),
    /// A systemd unit: `[Section]` then `Key=Value` lines.
    Systemd(KeyValues),
    /// Firewall rules: ufw's files or commands, or an nftables ruleset.
    Firewall(String),
    /// Packages pinned or installed: lockfiles, requirements, dpkg/apk databases.
    Inventory(Vec<crate::deps::Package>),
}

impl Input {
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Kubernetes(_) => "kubernetes",
            Input::Dockerfile(_) => "dockerfile",
            Input::GithubWorkflow(_) => "github-workflow",
            Input::GithubAction(_) => "github-action",
            Input::GitlabCi(_) => "gitlab-ci",
            Input::WardenConfig(_) => "warden-config",
            Input::Sysctl(_) => "sysctl",
            Input::Sshd(_) => "sshd",
            Input::Systemd(_) => "systemd",
            Input::Firewall(_) => "firewall",
            Input::Inventory(_) => "dependencies",
        }
    }
}

/// One audited file.
#[derive(Debug)]
pub struct File {
    /// As given or found (`-` for standard input), for reports.
    pub path: String,
    pub text: String,
    pub input: Input,
}

/// A file that could not be audited, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileError {
    pub path: String,
    pub error: String,
}

/// Everything found under `paths`.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<File>,
    pub errors: Vec<FileError>,
    /// What a directory walk left out on purpose, said once per reason and
    /// place (Helm templates, Kustomize patches): not errors, but not audited.
    pub notes: Vec<String>,
    /// Kustomize patch files named by the kustomizations walked so far.
    patches: std::collections::HashSet<PathBuf>,
}

impl Inputs {
    /// Reads and classifies every file under `paths`. A path named explicitly that
    /// is not a recognised input is an error; files found by walking a directory
    /// that are not inputs are skipped quietly.
    pub fn read(paths: &[PathBuf]) -> Inputs {
        let mut inputs = Inputs::default();
        for path in paths {
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => inputs.walk(path, 0),
                Ok(_) => inputs.file(path, true),
                Err(e) => inputs.errors.push(FileError { path: path.display().to_string(), error: e.to_string() }),
            }
        }
        inputs
    }

    /// Adds text from standard input (`helm template | warden audit -`).
    pub fn add_text(&mut self, path: &str, text: String, explicit: bool) {
        match classify(Path::new(path), &text) {
            Ok(Some(input)) => self.files.push(File { path: path.to_string(), text, input }),
            Ok(None) if explicit => self.errors.push(FileError {
                path: path.to_string(),
                error: "not a recognised input (Kubernetes YAML, Dockerfile, CI pipeline, Warden config or host file)"
                    .into(),
            }),
            Ok(None) => {}
            Err(error) => self.errors.push(FileError { path: path.to_string(), error }),
        }
    }

    fn walk(&mut self, dir: &Path, depth: usize) {
        if depth > MAX_DEPTH {
            self.errors.push(FileError { path: dir.display().to_string(), error: "directory nesting too deep".into() });
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(read) => {
                let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
                entries.sort_by_key(|e| e.file_name());
                entries
            }
            Err(e) => {
                self.errors.push(FileError { path: dir.display().to_string(), error: e.to_string() });
                return;
            }
        };
        if let Some(patches) = kustomize_patches(dir) {
            self.patches.extend(patches);
        }
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                let name = entry.file_name();
                if SKIPPED_DIRS.iter().any(|s| name == *s) {
                    continue;
                }
                if name == "templates" && dir.join("Chart.yaml").is_file() {
                    self.notes.push(format!(
                        "{}: Helm templates are not YAML until rendered: audit them with `helm template {} | warden audit -`",
                        path.display(),
                        dir.display()
                    ));
                    continue;
                }
                self.walk(&path, depth + 1);
            } else if kind.is_file() {
                if self.patches.contains(&normal(&path)) {
                    self.notes.push(format!(
                        "{}: a Kustomize patch, not a whole object: audit the overlay with `kubectl kustomize {} | warden audit -`",
                        path.display(),
                        dir.display()
                    ));
                    continue;
                }
                self.file(&path, false);
            }
        }
    }

    fn file(&mut self, path: &Path, explicit: bool) {
        let shown = path.display().to_string();
        match read_text(path) {
            Ok(Some(text)) => self.add_text(&shown, text, explicit),
            Ok(None) if explicit => {
                self.errors.push(FileError { path: shown, error: "a binary file, not an audit input".into() })
            }
            Ok(None) => {}
            Err(error) => self.errors.push(FileError { path: shown, error }),
        }
    }
}

/// The patch files a `kustomization.yaml` in `dir` names (`patches[].path`,
/// `patchesStrategicMerge`, `patchesJson6902[].path`), as normal paths; `None`
/// when there is no kustomization or it does not parse.
fn kustomize_patches(dir: &Path) -> Option<Vec<PathBuf>> {
    let file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(file).ok()?;
    let docs = crate::yaml::parse(&text, 100_000).ok()?;
    let doc = docs.first()?;
    let mut out = Vec::new();
    let mut add = |v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty() && !v.contains("://")) {
            out.push(normal(&dir.join(v)));
        }
    };
    for key in ["patches", "patchesJson6902"] {
        for item in doc.get(key).map(|n| n.items()).unwrap_or_default() {
            add(item.get("path").and_then(|p| p.as_str()));
        }
    }
    for item in doc.get("patchesStrategicMerge").map(|n| n.items()).unwrap_or_default() {
        add(item.as_str());
    }
    Some(out)
}

/// `path` without `.` and `..` components, not following links.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The file as UTF-8 text; `None` for binary content.
fn read_text(path: &Path) -> Result<Option<String>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!("{} bytes, over the limit of {MAX_FILE_SIZE}", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.contains(&0) {
        return Ok(None);
    }
    Ok(String::from_utf8(bytes).ok())
}

/// What `text` is, parsed; `Ok(None)` when it is none of the inputs.
pub fn classify(path: &Path, text: &str) -> Result<Option<Input>, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if let Some(found) = crate::deps::inventory::parse(path, text) {
        return found.map(|packages| Some(Input::Inventory(packages)));
    }
    let yamlish = matches!(ext.as_str(), "yaml" | "yml") || name == "-";
    if yamlish || looks_like_yaml(text) {
        if let Some(input) = classify_yaml(path, &name, text, yamlish)? {
            return Ok(Some(input));
        }
        if yamlish {
            return Ok(None);
        }
    }
    let other_language = NOT_DOCKERFILE_EXTENSIONS.contains(&ext.as_str());
    if name == "dockerfile"
        || name == "containerfile"
        || name.ends_with(".dockerfile")
        || (name.starts_with("dockerfile.") && !other_language)
    {
        return Ok(Some(Input::Dockerfile(Dockerfile::parse(text))));
    }
    // By content only where the name says nothing else: Python's `from x import y`
    // and prose about Dockerfiles are not Dockerfiles.
    if !other_language && Dockerfile::looks_like(text) {
        return Ok(Some(Input::Dockerfile(Dockerfile::parse(text))));
    }
    if (ext == "toml" || name.starts_with("warden"))
        && let Ok(table) = text.parse::<toml::Table>()
        && crate::warden_config::looks_like(&table)
    {
        return Ok(Some(Input::WardenConfig(table)));
    }
    if matches!(ext.as_str(), "service" | "socket" | "timer")
        || text.contains("\n[Service]")
        || text.starts_with("[Service]")
    {
        return Ok(Some(Input::Systemd(KeyValues::parse(text, Syntax::Ini))));
    }
    if name.starts_with("sshd_config") || path.parent().is_some_and(|p| p.ends_with("sshd_config.d")) {
        return Ok(Some(Input::Sshd(KeyValues::parse(text, Syntax::Spaced))));
    }
    if ext == "conf" && (path.parent().is_some_and(|p| p.ends_with("sysctl.d")) || name == "sysctl.conf")
        || KeyValues::looks_like_sysctl(text)
    {
        return Ok(Some(Input::Sysctl(KeyValues::parse(text, Syntax::Equals))));
    }
    if ext == "nft" || text.contains("table inet ") || text.contains("table ip ") || looks_like_ufw(&name, text) {
        return Ok(Some(Input::Firewall(text.to_string())));
    }
    Ok(None)
}

fn looks_like_yaml(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("apiVersion:") || l.starts_with("jobs:") || l.starts_with("stages:"))
}

fn looks_like_ufw(name: &str, text: &str) -> bool {
    name.ends_with(".rules") && text.contains("ufw") || text.lines().any(|l| l.trim_start().starts_with("ufw "))
}

fn classify_yaml(path: &Path, name: &str, text: &str, yamlish: bool) -> Result<Option<Input>, String> {
    let docs = match yaml::parse(text, yaml::DEFAULT_BUDGET) {
        Ok(docs) => docs,
        Err(e) if yamlish => return Err(format!("not valid YAML: {e}")),
        Err(_) => return Ok(None),
    };
    let objects = kubernetes::objects(&docs);
    if !objects.is_empty() {
        return Ok(Some(Input::Kubernetes(objects)));
    }
    let Some(doc) = docs.into_iter().next() else { return Ok(None) };
    let in_workflows = path.parent().is_some_and(|p| p.ends_with(".github/workflows"));
    if doc.get("jobs").is_some_and(Node::is_map) && (doc.get("on").is_some() || in_workflows) {
        return Ok(Some(Input::GithubWorkflow(doc)));
    }
    if (name == "action.yml" || name == "action.yaml") && doc.get("runs").is_some() {
        return Ok(Some(Input::GithubAction(doc)));
    }
    let gitlab_job = |(_, v): &(Node, Node)| v.get("script").is_some() || v.get("trigger").is_some();
    if name == ".gitlab-ci.yml" || doc.get("stages").is_some() && doc.entries().iter().any(gitlab_job) {
        return Ok(Some(Input::GitlabCi(doc)));
    }
    Ok(None)
}

#[cfg(test)]
mod walk_tests {
    use super::*;

    fn kinds(inputs: &Inputs) -> Vec<(String, &'static str)> {
        let mut out: Vec<_> = inputs
            .files
            .iter()
            .map(|f| (Path::new(&f.path).file_name().unwrap().to_string_lossy().into_owned(), f.input.kind()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn helm_templates_and_kustomize_patches_are_left_out_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("chart/templates")).unwrap();
        std::fs::write(d.join("chart/Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.1.0\n").unwrap();
        std::fs::write(
            d.join("chart/templates/deployment.yaml"),
            "{{- if .Values.x }}\nkind: Deployment\n{{- end }}\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.join("overlay/patches")).unwrap();
        std::fs::write(
            d.join("overlay/kustomization.yaml"),
            "resources:\n  - service.yaml\npatches:\n  - path: patches/replicas.yaml\npatchesStrategicMerge:\n  - memory.yaml\n",
        )
        .unwrap();
        let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: warden\nspec:\n  replicas: 3\n";
        std::fs::write(d.join("overlay/patches/replicas.yaml"), patch).unwrap();
        std::fs::write(d.join("overlay/memory.yaml"), patch).unwrap();
        std::fs::write(
            d.join("overlay/service.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: warden\nspec:\n  ports:\n    - port: 8443\n",
        )
        .unwrap();
        let inputs = Inputs::read(&[d.to_path_buf()]);
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        assert_eq!(kinds(&inputs), [("service.yaml".to_string(), "kubernetes")]);
        assert_eq!(inputs.notes.len(), 3, "{:?}", inputs.notes);
        assert!(inputs.notes[0].contains("helm template"), "{:?}", inputs.notes);
    }

    #[test]
    fn source_files_and_prose_are_not_dockerfiles() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let python = "from os import path\nfrom sys import argv\nRUN = 1\n";
        std::fs::write(d.join("tool.py"), python).unwrap();
        std::fs::write(d.join("notes"), python).unwrap();
        std::fs::write(d.join("BENCH.md"), "FROM python:3.12\nRUN pip install x\n").unwrap();
        std::fs::write(d.join("dockerfile.rs"), "FROM x\nRUN y\n").unwrap();
        std::fs::write(d.join("Dockerfile.dockerignore"), "target\n").unwrap();
        std::fs::write(d.join("Dockerfile.gpu"), "FROM nvidia/cuda:12.4.0-base\nUSER 1000\n").unwrap();
        std::fs::write(d.join("build"), "# syntax=docker/dockerfile:1\nARG BASE=debian\nFROM $BASE\nRUN true\n")
            .unwrap();
        let inputs = Inputs::read(&[d.to_path_buf()]);
        assert_eq!(
            kinds(&inputs),
            [("Dockerfile.gpu".to_string(), "dockerfile"), ("build".to_string(), "dockerfile")],
            "{:?}",
            inputs.errors
        );
    }
}
