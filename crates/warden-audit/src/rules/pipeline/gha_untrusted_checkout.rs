//! A privileged workflow (`pull_request_target`, `workflow_run`) that checks out
//! the pull request's code: the fork's code then runs with the secrets.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::{DANGEROUS_TRIGGERS, all_steps};
use super::locate;

pub static RULE: Rule = Rule {
    id: "gha-untrusted-checkout",
    title: "Privileged workflow checks out the pull request's code",
    severity: Severity::Critical,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Checking out the PR head in a pull_request_target or workflow_run workflow runs attacker-controlled code (build scripts, tests, setup.py, Makefiles) with the repository's secrets and write token: a 'pwn request'.",
    fix: "on:\n  pull_request:          # build and test the fork's code here, without secrets\n# in the privileged workflow: never check out github.event.pull_request.head.*",
    equivalents: &["zizmor dangerous-triggers", "CodeQL actions/untrusted-checkout"],
};

/// Expressions that name the pull request's (or the triggering run's) code.
const UNTRUSTED_REFS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_repository.full_name",
    "refs/pull/",
];

/// Commands that fetch a pull request's code in a script.
const UNTRUSTED_FETCHES: &[&str] = &["gh pr checkout", "git fetch origin pull/", "refs/pull/"];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        if !step.in_workflow().is_some_and(|w| w.has_trigger(DANGEROUS_TRIGGERS)) {
            continue;
        }
        if step.uses_action("actions/checkout") {
            for input in ["ref", "repository"] {
                if let Some((key, value)) = step.input(input).filter(|(_, v)| untrusted(v)) {
                    let message = format!(
                        "actions/checkout with {input}: {} in a privileged workflow",
                        value.as_str().unwrap_or("")
                    );
                    out.add(&RULE, &step.file.path, key.pos, step.subject.clone(), message);
                }
            }
        }
        if let Some(run) = step.run() {
            let script = run.as_str().unwrap_or("");
            if let Some((at, fetch)) = UNTRUSTED_FETCHES.iter().find_map(|f| script.find(f).map(|i| (i, f))) {
                let pos = locate::at_offset(&step.file.text, run, at);
                out.add(
                    &RULE,
                    &step.file.path,
                    pos,
                    step.subject.clone(),
                    format!("run: `{fetch}` fetches the pull request's code in a privileged workflow"),
                );
            }
        }
    }
}

fn untrusted(value: &Node) -> bool {
    value.as_str().is_some_and(|v| UNTRUSTED_REFS.iter().any(|r| v.contains(r)))
}
