//! `ADD https://...` (or a git URL) without `--checksum`: the build runs with
//! whatever the server returns, verified by nothing.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, is_url, sources};

pub static RULE: Rule = Rule {
    id: "docker-add-remote-url",
    title: "ADD downloads from a URL without a checksum",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "ADD from a URL puts whatever the server answers today into the image, with no integrity check: a compromised or changed download ships silently.",
    fix: "ADD --checksum=sha256:<digest> https://example.com/tool.tar.gz /tmp/\n# or: RUN curl -fsSLo /tmp/t.tgz URL && echo '<sha256>  /tmp/t.tgz' | sha256sum -c -",
    equivalents: &["DL3020", "CKV_DOCKER_4"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "ADD") {
            if step.flag("checksum").is_some() {
                continue;
            }
            let urls: Vec<String> = sources(step).into_iter().filter(|s| is_url(s)).collect();
            if !urls.is_empty() {
                out.add(
                    &RULE,
                    &file.path,
                    step.pos(),
                    stage.name(),
                    format!("ADD {} is not verified (no --checksum)", urls.join(" ")),
                );
            }
        }
    }
}
