//! `.gitlab-ci.yml` as the rules read it: jobs (every top-level key that is not a
//! global keyword, hidden `.templates` included), their scripts line by line,
//! `variables:` blocks, and the images and services jobs run in.

use crate::context::Context;
use crate::input::File;
use crate::yaml::Node;

/// Top-level keys that are not jobs.
const GLOBAL_KEYWORDS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

/// How many `extends:`/`<<:` levels are followed (GitLab allows 11).
const MAX_INHERITANCE: usize = 11;

/// Keys that hold script lines.
const SCRIPT_KEYS: &[&str] = &["before_script", "script", "after_script"];

/// A GitLab CI file.
pub struct Pipeline<'a> {
    pub file: &'a File,
    pub doc: &'a Node,
}

pub fn pipelines<'a>(cx: &Context<'a>) -> impl Iterator<Item = Pipeline<'a>> {
    cx.gitlab().map(|(file, doc)| Pipeline { file, doc })
}

/// A place that holds job settings: `default:`, the top level (old global
/// keywords), or a job; with how findings name it.
#[derive(Clone)]
pub struct Section<'a> {
    pub node: &'a Node,
    pub subject: String,
}

impl<'a> Pipeline<'a> {
    /// `(name key, job)` for every job.
    pub fn jobs(&self) -> impl Iterator<Item = (&'a Node, &'a Node)> {
        self.doc.entries().iter().filter_map(|(k, v)| {
            let name = k.as_str()?;
            (!GLOBAL_KEYWORDS.contains(&name) && v.is_map()).then_some((k, v))
        })
    }

    /// The top level, `default:` and every job.
    pub fn sections(&self) -> Vec<Section<'a>> {
        let mut out = vec![Section { node: self.doc, subject: "global".into() }];
        if let Some(default) = self.doc.get("default").filter(|d| d.is_map()) {
            out.push(Section { node: default, subject: "default".into() });
        }
        for (key, job) in self.jobs() {
            out.push(Section { node: job, subject: format!("job {}", key.as_str().unwrap_or("?")) });
        }
        out
    }

    /// A job's mapping and those it inherits, nearest first: the job, the maps it
    /// merges with `<<:`, then its `extends:` templates (the last listed first),
    /// and theirs, to a bounded depth.
    pub fn lineage(&self, job: &'a Node) -> Vec<&'a Node> {
        let mut out: Vec<&'a Node> = Vec::new();
        let mut queue = vec![(job, 0usize)];
        while let Some((node, depth)) = queue.pop() {
            if depth > MAX_INHERITANCE || out.iter().any(|n| std::ptr::eq(*n, node)) {
                continue;
            }
            out.push(node);
            let mut parents: Vec<&'a Node> = Vec::new();
            if let Some(merged) = node.get("<<") {
                parents.extend(if merged.is_map() { vec![merged] } else { merged.items().iter().collect() });
            }
            if let Some(extends) = node.get("extends") {
                let names: Vec<&str> = match extends.as_str() {
                    Some(one) => vec![one],
                    None => extends.items().iter().filter_map(Node::as_str).rev().collect(),
                };
                parents.extend(names.into_iter().filter_map(|n| self.doc.get(n)).filter(|n| n.is_map()));
            }
            // Popped last-in first: push the farthest first so the nearest comes out next.
            queue.extend(parents.into_iter().rev().map(|p| (p, depth + 1)));
        }
        out
    }

    /// The value of `key` for a job, its own or inherited.
    pub fn resolve(&self, job: &'a Node, key: &str) -> Option<&'a Node> {
        self.lineage(job).into_iter().find_map(|n| n.get(key))
    }

    /// The variables a job sees, `(key, value)`: global ones, overridden by its
    /// templates', overridden by its own.
    pub fn job_variables(&self, job: &'a Node) -> Vec<(&'a Node, &'a Node)> {
        let mut out: Vec<(&'a Node, &'a Node)> = variables(self.doc);
        for holder in self.lineage(job).into_iter().rev() {
            for (k, v) in variables(holder) {
                out.retain(|(old, _)| old.as_str() != k.as_str());
                out.push((k, v));
            }
        }
        out
    }

    /// Every script line (a scalar node) of every section, with the section.
    pub fn script_lines(&self) -> Vec<(Section<'a>, &'a Node)> {
        let mut out = Vec::new();
        for section in self.sections() {
            let mut lines = Vec::new();
            for key in SCRIPT_KEYS {
                if let Some(node) = section.node.get(key) {
                    flatten(node, &mut lines, 0);
                }
            }
            for line in lines {
                out.push((section.clone(), line));
            }
        }
        out
    }
}

/// Script lines: a string, or a list of strings and nested lists (from anchors).
fn flatten<'a>(node: &'a Node, out: &mut Vec<&'a Node>, depth: usize) {
    if node.as_str().is_some() {
        out.push(node);
    } else if depth < 8 {
        for item in node.items() {
            flatten(item, out, depth + 1);
        }
    }
}

/// `(key, value)` of a `variables:` block: a value is a scalar or a map with
/// `value:` (and `description:`...).
pub fn variables(section: &Node) -> Vec<(&Node, &Node)> {
    let Some(vars) = section.get("variables") else { return Vec::new() };
    vars.entries()
        .iter()
        .filter_map(|(k, v)| {
            let value = if v.is_map() { v.get("value")? } else { v };
            value.as_str().map(|_| (k, value))
        })
        .collect()
}

/// An image reference given as `image: name` or `image: {name: ...}` (services
/// alike): the node holding the name.
pub fn image_name(node: &Node) -> Option<&Node> {
    if node.as_str().is_some() { Some(node) } else { node.get("name").filter(|n| n.as_str().is_some()) }
}
