//! Caches in workflows that either run with privileges on untrusted events
//! (`pull_request_target`, `workflow_run`: what they write, the default branch's
//! release builds restore) or publish releases (`release`, tag pushes: what they
//! restore, an earlier untrusted run may have written).

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::{Step, Workflow, all_steps};

pub static RULE: Rule = Rule {
    id: "gha-cache-poisoning",
    title: "Cache used in a privileged or release workflow",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "GitHub caches are shared across workflows on a branch: a privileged run on untrusted code can write a poisoned cache (dependencies, compiled objects) that the release build restores and ships, signed.",
    fix: "# release workflows: no cache, build from the lock file\n- uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0\n  with:\n    python-version: \"3.12\"   # no `cache:`",
    equivalents: &["zizmor cache-poisoning"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        let Some(workflow) = step.in_workflow() else { continue };
        let Some(why) = risky(&workflow) else { continue };
        if let Some((node, what)) = cache(&step) {
            out.add(&RULE, &step.file.path, node.pos, step.subject.clone(), format!("{what} in a workflow {why}"));
        }
    }
}

/// Why caches are risky in this workflow, if they are.
fn risky(workflow: &Workflow<'_>) -> Option<&'static str> {
    if workflow.has_trigger(&["pull_request_target"]) {
        return Some("triggered by pull_request_target (untrusted code can write the cache)");
    }
    if workflow.has_trigger(&["workflow_run"]) {
        return Some("triggered by workflow_run (untrusted runs can write the cache)");
    }
    if workflow.has_trigger(&["release"]) {
        return Some("that publishes releases (it restores what other runs wrote)");
    }
    let tags = workflow.trigger("push").is_some_and(|p| p.get("tags").is_some());
    tags.then_some("that publishes on tag pushes (it restores what other runs wrote)")
}

/// The node that turns a cache on in this step, and what it is.
fn cache<'a>(step: &Step<'a>) -> Option<(&'a Node, String)> {
    let (uses_key, _) = step.uses()?;
    let action = step.action()?;
    let input = |name: &str| step.input(name);
    let on = |v: &Node| v.as_str().is_some_and(|s| !s.is_empty() && !s.eq_ignore_ascii_case("false"));
    if step.uses_action("actions/cache")
        || action == "swatinem/rust-cache"
        || action == "mozilla-actions/sccache-action"
    {
        return Some((uses_key, format!("{action} caches")));
    }
    if ["actions/setup-node", "actions/setup-python", "actions/setup-java", "actions/setup-dotnet"]
        .contains(&action.as_str())
    {
        let (key, value) = input("cache").filter(|(_, v)| on(v))?;
        return Some((key, format!("{action} with cache: {}", value.as_str().unwrap_or(""))));
    }
    if action == "actions/setup-go" {
        // setup-go caches unless told not to.
        return match input("cache") {
            Some((_, v)) if !on(v) => None,
            Some((key, _)) => Some((key, "actions/setup-go with cache".into())),
            None => Some((uses_key, "actions/setup-go (caches by default)".into())),
        };
    }
    if action == "astral-sh/setup-uv" {
        let (key, _) = input("enable-cache").filter(|(_, v)| on(v))?;
        return Some((key, "astral-sh/setup-uv with enable-cache".into()));
    }
    if action == "docker/build-push-action" {
        let gha = |name: &str| input(name).filter(|(_, v)| v.as_str().is_some_and(|s| s.contains("type=gha")));
        let (key, _) = gha("cache-from").or_else(|| gha("cache-to"))?;
        return Some((key, "docker/build-push-action with a type=gha cache".into()));
    }
    None
}
