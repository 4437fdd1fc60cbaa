//! `ADD` of local files that are not archives: `ADD` also fetches URLs and
//! unpacks archives, so a source that changes kind changes what the build does.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, is_url, sources};

pub static RULE: Rule = Rule {
    id: "docker-add-instead-of-copy",
    title: "ADD used for local files instead of COPY",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "ADD does more than copy: it fetches URLs and silently unpacks archives, so a renamed or replaced source changes what lands in the image. COPY does only what it says.",
    fix: "COPY --chown=10001:10001 app/ /app/",
    equivalents: &["DL3020", "CKV_DOCKER_4"],
};

/// Archives `ADD` unpacks: the one thing it does that `COPY` does not.
const ARCHIVES: &[&str] = &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst"];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "ADD") {
            let local: Vec<String> = sources(step)
                .into_iter()
                .filter(|s| !is_url(s) && !ARCHIVES.iter().any(|a| s.to_ascii_lowercase().ends_with(a)))
                .collect();
            if !local.is_empty() {
                out.add(
                    &RULE,
                    &file.path,
                    step.pos(),
                    stage.name(),
                    format!("ADD {}: use COPY for local files", local.join(" ")),
                );
            }
        }
    }
}
