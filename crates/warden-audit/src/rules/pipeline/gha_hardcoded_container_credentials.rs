//! A registry password written in the workflow for a job's `container:` or
//! `services:` image, instead of a secret.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::workflows;

pub static RULE: Rule = Rule {
    id: "gha-hardcoded-container-credentials",
    title: "Container registry password written in the workflow",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "A password in the workflow file is readable by everyone who can read the repository (and its forks and history), and pulls or pushes the images the model is built from.",
    fix: "container:\n  image: ghcr.io/example/trainer@sha256:<digest>\n  credentials:\n    username: ${{ github.actor }}\n    password: ${{ secrets.GITHUB_TOKEN }}",
    equivalents: &["zizmor hardcoded-container-credentials"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        for (name, job) in workflow.jobs() {
            let job_name = name.as_str().unwrap_or("?");
            let mut holders: Vec<(String, &Node)> = Vec::new();
            if let Some(c) = job.get("container") {
                holders.push((format!("job {job_name} container"), c));
            }
            for (service, spec) in job.get("services").map(Node::entries).unwrap_or_default() {
                holders.push((format!("job {job_name} service {}", service.as_str().unwrap_or("?")), spec));
            }
            for (subject, holder) in holders {
                let Some((key, value)) = holder.get("credentials").and_then(|c| c.entry("password")) else { continue };
                if value.as_str().is_some_and(|v| !v.is_empty() && !v.contains("${{")) {
                    out.add(
                        &RULE,
                        &workflow.file.path,
                        key.pos,
                        subject,
                        "credentials.password is a literal, not a secret",
                    );
                }
            }
        }
    }
}
