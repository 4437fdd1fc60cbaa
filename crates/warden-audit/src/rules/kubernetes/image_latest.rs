//! Images with the `latest` tag or no tag at all (and no digest).

use super::util::{Image, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-image-latest",
    title: "Image uses the latest tag or no tag",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Kubernetes,
    why: "latest (which an untagged image means) is whatever was pushed last: each node may run a different server, a rollback cannot go back, and a registry compromise or a bad push reaches production at the next pod restart. Pin a version, and better a digest.",
    fix: "image: ghcr.io/example/warden:1.4.2@sha256:<digest>",
    equivalents: &["CKV_K8S_14", "KSV013", "kube-score container-image-tag"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((key, reference)) = c.image() else { continue };
        let image = Image::parse(reference);
        if image.digest.is_some() {
            continue;
        }
        let message = match image.tag {
            None => format!("image {reference} has no tag: it pulls latest"),
            Some(tag) if tag.eq_ignore_ascii_case("latest") => format!("image {reference} uses the latest tag"),
            Some(_) => continue,
        };
        out.add(&RULE, &c.pod.file.path, key.pos, c.subject(), message);
    }
}
