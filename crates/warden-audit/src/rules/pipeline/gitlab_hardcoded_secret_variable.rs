//! `variables:` with a secret-looking name (`REGISTRY_PASSWORD`, `HF_TOKEN`,
//! `AWS_SECRET_ACCESS_KEY`) given its value in the file: it is neither protected
//! nor masked, and everyone who can read the repository has it.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::secrets::{literal_value, secret_name, url_with_password};
use super::gitlab::{pipelines, variables};

pub static RULE: Rule = Rule {
    id: "gitlab-hardcoded-secret-variable",
    title: "Secret written in .gitlab-ci.yml variables",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "A value in the file is in the repository and its history, visible to every developer and fork, printed unmasked in job logs, and available to pipelines on unprotected branches: project CI/CD variables can be masked and protected, file values cannot.",
    fix: "# Settings > CI/CD > Variables: HF_TOKEN, masked and protected\n# or from a vault:\nsecrets:\n  HF_TOKEN:\n    vault: ml/huggingface/token@secrets",
    equivalents: &["Checkov secrets (CKV_SECRET_*)", "GitLab secret detection"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        for section in pipeline.sections() {
            for (key, value) in variables(section.node) {
                let Some(name) = key.as_str() else { continue };
                let value = value.as_str().unwrap_or("");
                let what = if secret_name(name) && literal_value(value) {
                    "is set in the file"
                } else if url_with_password(value) {
                    "holds a URL with a password, in the file"
                } else {
                    continue;
                };
                let message = format!("variable {name} {what}: not masked, not protected");
                out.add(&RULE, &pipeline.file.path, key.pos, section.subject.clone(), message);
            }
        }
    }
}
