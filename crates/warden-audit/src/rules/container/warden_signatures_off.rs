//! The image starts Warden serving a model repository without requiring model
//! signatures: `--models-require-signature=false`, or a `--model-repository`
//! with no signature setting and no config file that could hold one.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::warden::{effective, truthy, uses_config};

pub static RULE: Rule = Rule {
    id: "docker-warden-signatures-off",
    title: "Image starts Warden without requiring signed models",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Server,
    why: "Without models.require_signature Warden serves whatever model appears in its repository: a model swapped on the volume, in the bucket it syncs from or in the pipeline that built it reaches every client.",
    fix: "CMD [\"serve\", \"--model-repository\", \"/models\", \"--models-require-signature\", \\\n     \"--models-trusted-keys\", \"/etc/warden/signing/model-signing.pub\"]",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        match effective(&build, "models.require_signature") {
            Some(s) if !truthy(&s.value) => {
                let message = format!("{}: Warden serves unsigned models", s.written);
                out.add(&RULE, &file.path, s.pos, last.name(), message);
            }
            Some(_) => {}
            None if uses_config(&build) => {}
            None => {
                let Some(repo) = effective(&build, "model_repository") else { continue };
                let message = format!(
                    "{}: the repository is served without models.require_signature, which defaults to false",
                    repo.written
                );
                out.add(&RULE, &file.path, repo.pos, last.name(), message);
            }
        }
    }
}
