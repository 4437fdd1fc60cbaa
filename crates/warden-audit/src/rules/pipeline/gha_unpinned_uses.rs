//! `uses:` references not pinned to a full commit SHA: a tag or branch can be
//! moved to new code by whoever controls (or compromises) the action's repository,
//! as happened with tj-actions/changed-files.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::image::ImageRef;
use super::github::{all_steps, workflows};

pub static RULE: Rule = Rule {
    id: "gha-unpinned-uses",
    title: "Action or reusable workflow not pinned to a commit SHA",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Tags and branches are mutable: a compromised action repository can move v4 to malicious code that then runs with this job's token and secrets (tj-actions/changed-files, reviewdog, 2025).",
    fix: "- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n# Dependabot or Renovate keep SHA pins and their version comments current",
    equivalents: &["zizmor unpinned-uses", "Scorecard Pinned-Dependencies"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        if let Some((key, uses)) = step.uses()
            && let Some(problem) = unpinned(uses)
        {
            out.add(&RULE, &step.file.path, key.pos, step.subject.clone(), format!("uses: {uses} {problem}"));
        }
    }
    for workflow in workflows(cx) {
        for (name, job) in workflow.jobs() {
            if let Some((key, uses)) = job.entry("uses").and_then(|(k, v)| Some((k, v.as_str()?)))
                && let Some(problem) = unpinned(uses)
            {
                let subject = format!("job {}", name.as_str().unwrap_or("?"));
                out.add(&RULE, &workflow.file.path, key.pos, subject, format!("uses: {uses} {problem}"));
            }
        }
    }
    for (file, doc) in cx.github_actions() {
        if let Some((key, image)) =
            doc.get("runs").and_then(|r| r.entry("image")).and_then(|(k, v)| Some((k, v.as_str()?)))
            && let Some(problem) = unpinned(image)
        {
            out.add(&RULE, &file.path, key.pos, "action", format!("image: {image} {problem}"));
        }
    }
}

/// What is wrong with a reference, if anything: local actions (`./`) are part of
/// the repository; `docker://` images need a digest; the rest a 40-hex SHA.
fn unpinned(uses: &str) -> Option<&'static str> {
    if uses.starts_with("./") || uses.contains("${{") || uses.eq_ignore_ascii_case("Dockerfile") {
        return None;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        return (!ImageRef::parse(image).pinned()).then_some("is not pinned by digest");
    }
    match uses.rsplit_once('@') {
        None => Some("has no ref: it follows the default branch"),
        Some((_, r)) if r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()) => None,
        Some(_) => Some("is pinned to a tag or branch, not a commit SHA"),
    }
}
