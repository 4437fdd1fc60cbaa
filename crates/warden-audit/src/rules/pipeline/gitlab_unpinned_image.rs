//! `image:` and `services:` (global, `default:`, per job) without a digest: the
//! jobs that build, sign and deploy the model run in whatever the tag points to.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::super::container::image::ImageRef;
use super::gitlab::{image_name, pipelines};

pub static RULE: Rule = Rule {
    id: "gitlab-unpinned-image",
    title: "CI image or service not pinned by digest",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Jobs run inside these images with the pipeline's variables and deploy credentials; a re-pushed tag (or latest) changes the toolchain that builds and signs the model without a commit.",
    fix: "image: python:3.12.6-slim-bookworm@sha256:<digest>\nservices:\n  - name: docker:27.3.1-dind@sha256:<digest>\n    alias: docker",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        for section in pipeline.sections() {
            let mut images: Vec<&Node> = section.node.get("image").and_then(image_name).into_iter().collect();
            images.extend(
                section.node.get("services").map(Node::items).unwrap_or_default().iter().filter_map(image_name),
            );
            for node in images {
                let Some(image) = node.as_str().filter(|i| known(i)) else { continue };
                let r = ImageRef::parse(image);
                if !r.pinned() {
                    let what = if r.floating() { "has no tag or latest" } else { "is pinned by tag only" };
                    let message = format!("image {image} {what}, not by digest");
                    out.add(&RULE, &pipeline.file.path, node.pos, section.subject.clone(), message);
                }
            }
        }
    }
}

/// False when variables decide the tag or digest (`$BUILDER_IMAGE`,
/// `$CI_REGISTRY_IMAGE/ci:$CI_COMMIT_SHA`): what they hold is not known here.
fn known(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    !image.is_empty() && !last.contains('$')
}
