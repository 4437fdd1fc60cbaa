//! A secret written in a workflow or action: an `env:` variable with a
//! secret-looking name (`HF_TOKEN`, `AWS_SECRET_ACCESS_KEY`) or an action input
//! (`password:`, `api-key:`) given a literal value, or a URL with a password in it.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::super::container::secrets::{literal_value, secret_name, url_with_password};
use super::github::{all_steps, workflows};

pub static RULE: Rule = Rule {
    id: "gha-hardcoded-secret",
    title: "Secret written in the workflow",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "A value in the workflow file is in the repository, its forks and its history, and is printed unmasked in logs: whoever reads the repository has the registry, Hugging Face or cloud credential.",
    fix: "env:\n  HF_TOKEN: ${{ secrets.HF_TOKEN }}\n# better for clouds: OIDC (id-token: write) instead of long-lived keys",
    equivalents: &["Checkov secrets (CKV_SECRET_*)", "GitHub secret scanning"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        report(workflow.doc.get("env"), &workflow.file.path, "workflow", "env", out);
        for (name, job) in workflow.jobs() {
            report(job.get("env"), &workflow.file.path, &format!("job {}", name.as_str().unwrap_or("?")), "env", out);
        }
    }
    for step in all_steps(cx) {
        report(step.node.get("env"), &step.file.path, &step.subject, "env", out);
        report(step.node.get("with"), &step.file.path, &step.subject, "with", out);
    }
}

fn report(block: Option<&Node>, path: &str, subject: &str, what: &str, out: &mut Findings) {
    for (key, value) in block.map(Node::entries).unwrap_or_default() {
        let (Some(name), Some(value)) = (key.as_str(), value.as_str()) else { continue };
        let problem = if secret_name(name) && literal_value(value) {
            "is a literal secret, not ${{ secrets.* }}"
        } else if url_with_password(value) {
            "holds a URL with a password in it"
        } else {
            continue;
        };
        out.add(&RULE, path, key.pos, subject, format!("{what}: {name} {problem}"));
    }
}
