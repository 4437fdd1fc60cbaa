//! A job's `container:` or `services:` image without a digest: the job runs (with
//! its token and secrets) in whatever the tag points to today.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::super::container::image::ImageRef;
use super::github::workflows;

pub static RULE: Rule = Rule {
    id: "gha-unpinned-images",
    title: "Job container or service image not pinned by digest",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "The job runs inside this image with its token and secrets; a tag (worse, latest) can be re-pushed, so the image that trains, signs or publishes the model is not the one that was reviewed.",
    fix: "container:\n  image: nvcr.io/nvidia/pytorch:24.08-py3@sha256:<digest>",
    equivalents: &["zizmor unpinned-images"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        for (name, job) in workflow.jobs() {
            let job_name = name.as_str().unwrap_or("?");
            let mut images: Vec<(String, &Node)> = Vec::new();
            if let Some(c) = job.get("container") {
                match c.as_str() {
                    Some(_) => images.push((format!("job {job_name} container"), c)),
                    None => images.extend(c.get("image").map(|i| (format!("job {job_name} container"), i))),
                }
            }
            for (service, spec) in job.get("services").map(Node::entries).unwrap_or_default() {
                let subject = format!("job {job_name} service {}", service.as_str().unwrap_or("?"));
                images.extend(spec.get("image").map(|i| (subject, i)));
            }
            for (subject, node) in images {
                let Some(image) = node.as_str().filter(|i| !i.is_empty() && !i.contains("${{")) else { continue };
                let r = ImageRef::parse(image);
                if !r.pinned() {
                    let what = if r.floating() { "has no tag or latest" } else { "is pinned by tag only" };
                    out.add(
                        &RULE,
                        &workflow.file.path,
                        node.pos,
                        subject,
                        format!("image {image} {what}, not by digest"),
                    );
                }
            }
        }
    }
}
