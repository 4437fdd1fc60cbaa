//! Images without a digest.

use super::util::{Image, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-image-not-pinned",
    title: "Image is not pinned by digest",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Kubernetes,
    why: "A tag is a name anyone with push rights can move: the image a node pulls tomorrow may not be the one that was scanned and signed today. A digest (@sha256:...) names exactly one image; keep the tag beside it for readers.",
    fix: "image: ghcr.io/example/warden:1.4.2@sha256:<digest>   # crane digest ghcr.io/example/warden:1.4.2",
    equivalents: &["CKV_K8S_43"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((key, reference)) = c.image() else { continue };
        if !Image::parse(reference).pinned() {
            out.add(
                &RULE,
                &c.pod.file.path,
                key.pos,
                c.subject(),
                format!("image {reference} is not pinned by a sha256 digest"),
            );
        }
    }
}
