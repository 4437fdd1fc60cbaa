//! `actions/checkout` without `persist-credentials: false`: the token is written
//! into `.git/config`, where every later step, and any artifact or image that
//! includes the workspace, can read it.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::github::all_steps;

pub static RULE: Rule = Rule {
    id: "gha-artipacked",
    title: "actions/checkout persists the token in .git/config",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "By default checkout stores the job's token in .git/config: every later step (third-party actions, build scripts) can read it, and uploading the workspace as an artifact or copying it into an image (`COPY . .`) publishes it.",
    fix: "- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n  with:\n    persist-credentials: false",
    equivalents: &["zizmor artipacked"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        if !step.uses_action("actions/checkout") {
            continue;
        }
        let persist = step.input("persist-credentials").and_then(|(_, v)| v.as_str());
        let kept = match persist {
            None => true,
            Some(v) if v.contains("${{") => false,
            Some(v) => !v.trim().eq_ignore_ascii_case("false"),
        };
        if kept && let Some((key, _)) = step.uses() {
            let message = "actions/checkout without persist-credentials: false leaves the token in .git/config";
            out.add(&RULE, &step.file.path, key.pos, step.subject.clone(), message);
        }
    }
}
