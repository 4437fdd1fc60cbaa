//! A digest of zeros: a template value left in the manifest.

use super::util::{Image, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-image-placeholder-digest",
    title: "Image digest is a placeholder (all zeros)",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Kubernetes,
    why: "sha256:000... names no image: the pod cannot start as written, so whatever deploys it rewrites the reference, and the digest pinning the manifest seems to have is not what runs. Replace the placeholder digest with the real one.",
    fix: "image: ghcr.io/example/warden:1.4.2@sha256:<the real digest>   # crane digest ghcr.io/example/warden:1.4.2",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((key, reference)) = c.image() else { continue };
        if Image::parse(reference).placeholder_digest() {
            out.add(
                &RULE,
                &c.pod.file.path,
                key.pos,
                c.subject(),
                format!(
                    "image {} has a placeholder digest of zeros: replace the placeholder digest",
                    Image::parse(reference).name
                ),
            );
        }
    }
}
