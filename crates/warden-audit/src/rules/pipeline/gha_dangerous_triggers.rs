//! `pull_request_target` and `workflow_run`: triggers that run with the base
//! repository's secrets and a write token on events forks cause.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::github::{DANGEROUS_TRIGGERS, workflows};

pub static RULE: Rule = Rule {
    id: "gha-dangerous-triggers",
    title: "Workflow uses a privileged trigger (pull_request_target, workflow_run)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "These triggers run in the base repository's context, with its secrets (registry, signing, cloud credentials) and a write token, on events anyone with a fork can cause; one mistake in the workflow hands them over.",
    fix: "on:\n  pull_request:   # runs the fork's code without secrets\n# need to comment or label? do it from a separate, code-free workflow_run job that\n# reads only an artifact, never checks out or runs the PR",
    equivalents: &["zizmor dangerous-triggers"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        for trigger in workflow.triggers() {
            let Some(name) = trigger.as_str().filter(|n| DANGEROUS_TRIGGERS.contains(n)) else { continue };
            let message = match name {
                "pull_request_target" => {
                    "on: pull_request_target runs with secrets and a write token on pull requests from forks"
                }
                _ => "on: workflow_run runs with secrets and a write token after workflows that forks can start",
            };
            out.add(&RULE, &workflow.file.path, trigger.pos, "workflow", message);
        }
    }
}
