//! A download piped into a shell: `curl URL | sh`, `wget -O- URL | bash`,
//! `sh -c "$(curl URL)"`. What runs is whatever the server sends, unverified.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::shell::downloads_run_as_code;

pub static RULE: Rule = Rule {
    id: "docker-curl-pipe-shell",
    title: "Download piped into a shell",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "`curl | sh` runs whatever the server (or anyone on the path, or whoever took over the domain) sends, with no checksum or signature, as the build user, usually root.",
    fix: "RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n && echo '<sha256>  /tmp/install.sh' | sha256sum -c - \\\n && sh /tmp/install.sh && rm /tmp/install.sh",
    equivalents: &["Scorecard Pinned-Dependencies (downloadThenRun)"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "RUN") {
            for (_, what) in downloads_run_as_code(&step.commands()) {
                out.add(&RULE, &file.path, step.pos(), stage.name(), format!("RUN: {what}, unverified"));
            }
        }
    }
}
