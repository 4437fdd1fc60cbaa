//! A download piped into a shell in a CI script: `curl URL | sh`, `wget -qO- URL
//! | bash`, `bash <(curl URL)`. The job runs whatever the server sends, with the
//! pipeline's variables and deploy credentials.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::shell::{commands, downloads_run_as_code};
use super::gitlab::pipelines;
use super::locate;

pub static RULE: Rule = Rule {
    id: "gitlab-curl-pipe-shell",
    title: "Download piped into a shell in a CI script",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "`curl | sh` in a job runs unverified code with the job's CI variables (registry and deploy tokens, signing keys): whoever controls the server, the domain or the network path controls the pipeline.",
    fix: "script:\n  - curl -fsSLo cosign https://github.com/sigstore/cosign/releases/download/v2.4.1/cosign-linux-amd64\n  - echo \"<sha256>  cosign\" | sha256sum -c -\n  # better: an image with the tool, pinned by digest",
    equivalents: &["Scorecard Pinned-Dependencies (downloadThenRun)"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        for (section, line) in pipeline.script_lines() {
            let cmds = commands(line.as_str().unwrap_or(""));
            for (i, what) in downloads_run_as_code(&cmds) {
                let offset = cmds[i].words.first().map_or(0, |w| w.offset);
                let pos = locate::at_offset(&pipeline.file.text, line, offset);
                out.add(&RULE, &pipeline.file.path, pos, section.subject.clone(), format!("{what}, unverified"));
            }
        }
    }
}
