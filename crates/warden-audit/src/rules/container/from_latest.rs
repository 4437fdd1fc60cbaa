//! A base image (or a `COPY --from` image) with no tag or `latest`: the build
//! takes whatever was pushed last, so the image changes without a commit.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{ImageRef, at, builds, external_images};

pub static RULE: Rule = Rule {
    id: "docker-from-latest",
    title: "Base image is latest or untagged",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "`latest` (or no tag) is whatever was pushed last: builds are not reproducible and a compromised or broken upstream push reaches the model server unreviewed.",
    fix: "FROM python:3.12.7-slim-bookworm@sha256:<digest>",
    equivalents: &["DL3006", "DL3007", "CKV_DOCKER_7", "DS001"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, ins, image) in external_images(&build) {
            let r = ImageRef::parse(&image);
            if !r.floating() {
                continue;
            }
            let what = if r.tag.is_some() { "the latest tag" } else { "no tag" };
            out.add(
                &RULE,
                &file.path,
                at(ins),
                stage.name(),
                format!("{image} has {what}: the build takes whatever was pushed last"),
            );
        }
    }
}
