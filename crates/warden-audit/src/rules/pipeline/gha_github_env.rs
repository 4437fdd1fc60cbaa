//! Writes to `$GITHUB_ENV` or `$GITHUB_PATH` in a privileged workflow
//! (`pull_request_target`, `workflow_run`): a value from the pull request that
//! reaches these files sets `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` for every later
//! step, which is code execution with the workflow's secrets.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::shell::{self, Command};
use super::github::{DANGEROUS_TRIGGERS, all_steps};
use super::locate;

pub static RULE: Rule = Rule {
    id: "gha-github-env",
    title: "GITHUB_ENV or GITHUB_PATH written in a privileged workflow",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Whatever is written to GITHUB_ENV becomes environment of every later step: with content an outsider influences (an artifact, a PR field) it sets LD_PRELOAD, BASH_ENV or NODE_OPTIONS and runs code with the workflow's secrets.",
    fix: "# pass values between steps as outputs, validated:\n- id: meta\n  run: echo \"version=${VERSION//[^0-9.]/}\" >> \"$GITHUB_OUTPUT\"",
    equivalents: &["zizmor github-env"],
};

const FILES: &[&str] = &["GITHUB_ENV", "GITHUB_PATH"];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        let Some(workflow) = step.in_workflow() else { continue };
        let Some(trigger) = DANGEROUS_TRIGGERS.iter().find(|t| workflow.has_trigger(&[t])) else { continue };
        let Some(run) = step.run() else { continue };
        for cmd in shell::commands(run.as_str().unwrap_or("")) {
            if let Some(target) = written(&cmd) {
                let offset = cmd.words.first().map_or(0, |w| w.offset);
                let pos = locate::at_offset(&step.file.text, run, offset);
                let message = format!("run: writes to ${target} in a workflow triggered by {trigger}");
                out.add(&RULE, &step.file.path, pos, step.subject.clone(), message);
            }
        }
    }
}

/// The file this command appends to, if it is GITHUB_ENV or GITHUB_PATH.
fn written(cmd: &Command) -> Option<&'static str> {
    let names = |text: &str| FILES.iter().copied().find(|f| text.contains(f));
    if let Some(found) = cmd.redirects.iter().filter(|(op, _)| op.starts_with('>')).find_map(|(_, w)| names(&w.text)) {
        return Some(found);
    }
    let (program, args) = cmd.program()?;
    let writer = matches!(program.as_str(), "tee" | "add-content" | "out-file" | "set-content");
    if writer { args.iter().find_map(|w| names(&w.text)) } else { None }
}
