//! `secrets: inherit` on a reusable workflow call: the called workflow gets every
//! secret of the repository, not only the ones it needs.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::github::workflows;

pub static RULE: Rule = Rule {
    id: "gha-secrets-inherit",
    title: "Reusable workflow call passes every secret",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "`secrets: inherit` hands the called workflow all of the repository's and organisation's secrets (signing keys, cloud credentials) when it needs one or two; a bug or compromise there exposes them all.",
    fix: "jobs:\n  publish:\n    uses: ./.github/workflows/publish.yml\n    secrets:\n      REGISTRY_TOKEN: ${{ secrets.REGISTRY_TOKEN }}",
    equivalents: &["zizmor secrets-inherit"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        for (name, job) in workflow.jobs() {
            let Some((key, value)) = job.entry("secrets") else { continue };
            if value.as_str() == Some("inherit") {
                let called = job.get("uses").and_then(|u| u.as_str()).unwrap_or("a reusable workflow");
                let message = format!("secrets: inherit gives {called} every secret");
                out.add(&RULE, &workflow.file.path, key.pos, format!("job {}", name.as_str().unwrap_or("?")), message);
            }
        }
    }
}
