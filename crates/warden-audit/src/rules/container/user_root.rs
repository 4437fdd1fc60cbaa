//! The shipped image runs as root: the last `USER` of the final stage (and the
//! stages it builds on) is root, or there is none and the base image's default
//! (root, for nearly every image) applies.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{ImageRef, at, builds};

pub static RULE: Rule = Rule {
    id: "docker-user-root",
    title: "Image runs as root",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Container,
    why: "A model server that runs as root turns any code execution (a malicious pickle, a parser bug) into root in the container, one kernel bug away from the node.",
    fix: "RUN useradd --system --uid 10001 --no-create-home warden\nUSER 10001:10001\n# or a distroless base: FROM gcr.io/distroless/cc-debian12:nonroot",
    equivalents: &["DL3002", "CKV_DOCKER_3", "CKV_DOCKER_8", "DS002"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        let user = build.shipped_steps().filter(|s| s.keyword() == "USER").last();
        match user {
            Some(step) if is_root(&step.ins.args) => out.add(
                &RULE,
                &file.path,
                step.pos(),
                last.name(),
                format!("USER {}: the image runs as root", step.ins.args),
            ),
            Some(_) => {}
            None if nonroot_base(build.shipped().first().and_then(|s| s.image.as_deref())) => {}
            None => out.add(
                &RULE,
                &file.path,
                at(last.from),
                last.name(),
                "no USER in the final stage: the image runs as the base image's user, root",
            ),
        }
    }
}

/// `root`, `0`, `root:root`, `0:0`.
fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("").trim();
    name == "root" || name == "0"
}

/// Base images whose default user is not root (`gcr.io/distroless/...:nonroot`,
/// `...:latest-nonroot`).
fn nonroot_base(image: Option<&str>) -> bool {
    image.is_some_and(|i| ImageRef::parse(i).tag.is_some_and(|t| t.contains("nonroot")))
}
