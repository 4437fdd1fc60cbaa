//! `ACTIONS_ALLOW_UNSECURE_COMMANDS: true`: brings back the `::set-env::` and
//! `::add-path::` workflow commands, which anything printed to the log (a test
//! name, a dependency's output) can use to set variables for later steps.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::{all_steps, workflows};

pub static RULE: Rule = Rule {
    id: "gha-insecure-commands",
    title: "Deprecated insecure workflow commands enabled",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "With ACTIONS_ALLOW_UNSECURE_COMMANDS any line printed to the log (by a dependency, a test, untrusted input) can set environment variables and PATH for later steps, which is code execution.",
    fix: "# remove ACTIONS_ALLOW_UNSECURE_COMMANDS; write to files instead:\necho \"NAME=value\" >> \"$GITHUB_ENV\"",
    equivalents: &["zizmor insecure-commands", "CKV_GHA_1"],
};

const NAME: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        report(workflow.doc, &workflow.file.path, "workflow", out);
        for (name, job) in workflow.jobs() {
            report(job, &workflow.file.path, &format!("job {}", name.as_str().unwrap_or("?")), out);
        }
    }
    for step in all_steps(cx) {
        report(step.node, &step.file.path, &step.subject, out);
    }
}

fn report(holder: &Node, path: &str, subject: &str, out: &mut Findings) {
    let Some((key, value)) = holder.get("env").and_then(|e| e.entry(NAME)) else { return };
    let on = value.as_bool() == Some(true) || value.as_str().is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if on {
        out.add(&RULE, path, key.pos, subject, format!("{NAME}: true re-enables ::set-env:: and ::add-path::"));
    }
}
