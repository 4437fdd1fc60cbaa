//! A download piped into a shell in a `run:` step: `curl URL | sh`, `wget -qO-
//! URL | bash`. The job runs whatever the server sends, with its token and
//! secrets.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::shell::{commands, downloads_run_as_code};
use super::github::all_steps;
use super::locate;

pub static RULE: Rule = Rule {
    id: "gha-curl-pipe-shell",
    title: "Download piped into a shell in a run step",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "`curl | sh` in a workflow runs unverified code with the job's token and secrets (registry, signing, cloud OIDC): whoever controls the server, the domain or a moved `main` branch controls the pipeline.",
    fix: "- uses: sigstore/cosign-installer@dc72c7d5c4d10cd6bcb8cf6e3fd625a9e5e537da # v3.7.0\n# or download a release, check its SHA-256, then run it",
    equivalents: &["Scorecard Pinned-Dependencies (downloadThenRun)"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        let Some(run) = step.run() else { continue };
        let cmds = commands(run.as_str().unwrap_or(""));
        for (i, what) in downloads_run_as_code(&cmds) {
            let offset = cmds[i].words.first().map_or(0, |w| w.offset);
            let pos = locate::at_offset(&step.file.text, run, offset);
            out.add(&RULE, &step.file.path, pos, step.subject.clone(), format!("run: {what}, unverified"));
        }
    }
}
