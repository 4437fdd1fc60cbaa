//! A base image (or a `COPY --from` image) with a tag but no digest: tags move,
//! so the same Dockerfile can build a different image tomorrow.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{ImageRef, at, builds, external_images};

pub static RULE: Rule = Rule {
    id: "docker-from-unpinned-digest",
    title: "Base image not pinned by digest",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "A tag can be re-pushed: without a digest the image that ships is not the one that was reviewed and scanned. A digest also makes builds reproducible.",
    fix: "FROM rust:1.82-bookworm@sha256:<digest>   # keep the tag for humans; Renovate or Dependabot update both",
    equivalents: &["Scorecard Pinned-Dependencies"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, ins, image) in external_images(&build) {
            let r = ImageRef::parse(&image);
            if r.floating() || r.pinned() {
                continue;
            }
            out.add(&RULE, &file.path, at(ins), stage.name(), format!("{image} is pinned by tag only, not by digest"));
        }
    }
}
