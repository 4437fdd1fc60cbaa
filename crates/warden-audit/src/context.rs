//! Everything the rules see at once: whole-set rules (which pods no
//! NetworkPolicy selects) need every file, not one.

use std::sync::LazyLock;

use crate::deps::db::AdvisoryDb;
use crate::dockerfile::Dockerfile;
use crate::input::{File, Input};
use crate::keyvalue::KeyValues;
use crate::kubernetes::Object;
use crate::yaml::Node;

pub struct Context<'a> {
    pub files: &'a [File],
    /// OSV advisories given with `--advisories` (none: dependencies are listed,
    /// not judged).
    pub advisories: &'a AdvisoryDb,
}

static NO_ADVISORIES: LazyLock<AdvisoryDb> = LazyLock::new(AdvisoryDb::default);

impl<'a> Context<'a> {
    pub fn new(files: &'a [File]) -> Context<'a> {
        Context { files, advisories: &NO_ADVISORIES }
    }

    /// Every dependency inventory, with its packages.
    pub fn inventories(&self) -> impl Iterator<Item = (&'a File, &'a [crate::deps::Package])> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Inventory(p) => Some((f, p.as_slice())),
            _ => None,
        })
    }

    /// Every Kubernetes object, with its file.
    pub fn objects(&self) -> impl Iterator<Item = (&'a File, &'a Object)> {
        self.files.iter().flat_map(|f| match &f.input {
            Input::Kubernetes(objs) => objs.iter().map(move |o| (f, o)).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    }

    /// Every object with a pod spec, with the spec.
    pub fn pods(&self) -> impl Iterator<Item = (&'a File, &'a Object, &'a Node)> {
        self.objects().filter_map(|(f, o)| o.pod_spec().map(|spec| (f, o, spec)))
    }

    /// Every container of every pod spec, with its name.
    pub fn containers(&self) -> impl Iterator<Item = (&'a File, &'a Object, &'a Node, String)> {
        self.objects().flat_map(|(f, o)| {
            o.containers()
                .into_iter()
                .map(move |c| (f, o, c, c.get("name").and_then(Node::as_str).unwrap_or("?").to_string()))
        })
    }

    pub fn dockerfiles(&self) -> impl Iterator<Item = (&'a File, &'a Dockerfile)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Dockerfile(d) => Some((f, d)),
            _ => None,
        })
    }

    pub fn github_workflows(&self) -> impl Iterator<Item = (&'a File, &'a Node)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::GithubWorkflow(n) => Some((f, n)),
            _ => None,
        })
    }

    pub fn github_actions(&self) -> impl Iterator<Item = (&'a File, &'a Node)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::GithubAction(n) => Some((f, n)),
            _ => None,
        })
    }

    pub fn gitlab(&self) -> impl Iterator<Item = (&'a File, &'a Node)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::GitlabCi(n) => Some((f, n)),
            _ => None,
        })
    }

    pub fn warden_configs(&self) -> impl Iterator<Item = (&'a File, &'a toml::Table)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::WardenConfig(t) => Some((f, t)),
            _ => None,
        })
    }

    pub fn sysctl(&self) -> impl Iterator<Item = (&'a File, &'a KeyValues)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Sysctl(kv) => Some((f, kv)),
            _ => None,
        })
    }

    pub fn sshd(&self) -> impl Iterator<Item = (&'a File, &'a KeyValues)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Sshd(kv) => Some((f, kv)),
            _ => None,
        })
    }

    pub fn systemd(&self) -> impl Iterator<Item = (&'a File, &'a KeyValues)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Systemd(kv) => Some((f, kv)),
            _ => None,
        })
    }

    pub fn firewalls(&self) -> impl Iterator<Item = (&'a File, &'a str)> {
        self.files.iter().filter_map(|f| match &f.input {
            Input::Firewall(text) => Some((f, text.as_str())),
            _ => None,
        })
    }
}
