//! `sudo` in a `RUN`: the build already runs as the current `USER`; sudo in an
//! image means a setuid binary and a sudoers policy that ship with it.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::shell::{Word, basename};

pub static RULE: Rule = Rule {
    id: "docker-sudo",
    title: "sudo used in RUN",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Container,
    why: "sudo in an image is a setuid-root binary and a sudoers policy that ship to production: any code running as the app user can become root in the container.",
    fix: "USER root\nRUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*\nUSER 10001",
    equivalents: &["DL3004", "CKV2_DOCKER_1"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "RUN") {
            let uses_sudo = step.commands().iter().any(|c| {
                c.words.iter().find(|w| w.assignment().is_none()).is_some_and(|w: &Word| basename(&w.text) == "sudo")
            });
            if uses_sudo {
                out.add(&RULE, &file.path, step.pos(), stage.name(), "RUN uses sudo");
            }
        }
    }
}
