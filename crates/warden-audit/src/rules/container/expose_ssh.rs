//! `EXPOSE 22`: an SSH server in a model-serving image, a second way in that
//! bypasses the API's authentication and audit log.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;

pub static RULE: Rule = Rule {
    id: "docker-expose-ssh",
    title: "Image exposes SSH (port 22)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::UnsecuredApi,
    layer: Layer::Container,
    why: "An SSH daemon in the image is a shell into the model server that bypasses API authentication, rate limits and the audit log; debugging belongs to `kubectl exec` or `docker exec`.",
    fix: "# remove openssh-server and EXPOSE 22; debug with: kubectl debug -it POD --image=busybox",
    equivalents: &["CKV_DOCKER_1", "DS004"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        for step in build.shipped_steps().filter(|s| s.keyword() == "EXPOSE") {
            if step.ins.args.split_whitespace().any(includes_22) {
                out.add(
                    &RULE,
                    &file.path,
                    step.pos(),
                    last.name(),
                    format!("EXPOSE {} opens the SSH port", step.ins.args),
                );
            }
        }
    }
}

/// `22`, `22/tcp`, or a range such as `20-25`.
fn includes_22(port: &str) -> bool {
    let number = port.split('/').next().unwrap_or("");
    match number.split_once('-') {
        Some((a, b)) => matches!((a.parse::<u32>(), b.parse::<u32>()), (Ok(a), Ok(b)) if a <= 22 && 22 <= b),
        None => number == "22",
    }
}
