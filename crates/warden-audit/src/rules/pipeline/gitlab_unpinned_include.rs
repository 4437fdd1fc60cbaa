//! `include:` of configuration from outside the repository that can change under
//! the pipeline: a remote URL without `integrity:`, a project include without a
//! `ref:` or on a branch, a component at `~latest` or a branch.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::gitlab::pipelines;

pub static RULE: Rule = Rule {
    id: "gitlab-unpinned-include",
    title: "Included CI configuration not pinned",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Included configuration runs as part of this pipeline, with its variables and deploy credentials; whoever can change the remote file or the included project's branch changes what this pipeline does.",
    fix: "include:\n  - project: platform/ci-templates\n    ref: 4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a   # a commit SHA (or a protected tag)\n    file: /templates/docker.yml\n  - remote: https://example.com/ci/scan.yml\n    integrity: sha256-<base64 digest>",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        let Some(include) = pipeline.doc.get("include") else { continue };
        let items: Vec<&Node> =
            if include.items().is_empty() { vec![include] } else { include.items().iter().collect() };
        for item in items {
            if let Some((pos_node, message)) = problem(item) {
                out.add(&RULE, &pipeline.file.path, pos_node.pos, "include", message);
            }
        }
    }
}

/// What is unpinned about one include, and where to point.
fn problem(item: &Node) -> Option<(&Node, String)> {
    if let Some(url) = item.as_str() {
        return (remote(url) && !has_sha(url))
            .then(|| (item, format!("include: {url} can change without a commit here")));
    }
    if let Some((key, url)) = item.entry("remote") {
        let url = url.as_str()?;
        let pinned = item.get("integrity").is_some() || has_sha(url);
        return (!pinned).then(|| (key, format!("remote include {url} has no integrity: hash")));
    }
    if let Some((key, project)) = item.entry("project") {
        let project = project.as_str().unwrap_or("?");
        return match item.entry("ref") {
            None => Some((key, format!("project include {project} has no ref: it follows the default branch"))),
            Some((ref_key, r)) => {
                let r = r.as_str().unwrap_or("");
                (!pinned_ref(r))
                    .then(|| (ref_key, format!("project include {project} at ref {r}, a branch, not a SHA or tag")))
            }
        };
    }
    if let Some((key, component)) = item.entry("component") {
        let component = component.as_str()?;
        let version = component.rsplit_once('@').map(|(_, v)| v);
        return (!version.is_some_and(pinned_ref))
            .then(|| (key, format!("component {component} is not pinned to a version or SHA")));
    }
    None
}

fn remote(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

fn has_sha(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_hexdigit()).any(|w| w.len() == 40)
}

/// A commit SHA, or a version tag (`v1.4.2`, `1.4`, `2024.06.1`).
fn pinned_ref(r: &str) -> bool {
    if r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()) {
        return true;
    }
    let v = r.strip_prefix('v').unwrap_or(r);
    v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.') && !v.contains('~')
}
