//! Warden serving a model repository without requiring signatures.

use super::warden::{self, Lookup, MODEL_REPOSITORY, REQUIRE_SIGNATURE};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-warden-signatures-off",
    title: "Warden serves models without requiring signatures in a pod spec",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Server,
    why: "Without models.require_signature, Warden serves whatever model file appears in its repository: a model swapped on the volume, in the bucket it is synced from or in the pipeline that built it is served to every client. Reported when the pod spec sets it to false, or leaves it at its default (false) while serving a model repository (model_repository set). Read with warden serve's precedence (flag, variable, config file from a ConfigMap); a config file the set does not hold is not guessed at.",
    fix: "args:\n  - serve\n  - --model-repository=/models\n  - --models-require-signature\n  - --models-trusted-keys=/etc/warden/signing/model-signing.pub",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in warden::containers(cx) {
        match warden::setting(cx, &c, REQUIRE_SIGNATURE) {
            Lookup::Set(found) if found.truthy() == Some(false) => out.add(
                &RULE,
                &found.file.path,
                found.pos,
                c.subject(),
                format!("{}: unsigned models are served", found.source),
            ),
            Lookup::Default => {
                if let Lookup::Set(repository) = warden::setting(cx, &c, MODEL_REPOSITORY) {
                    out.add(
                        &RULE,
                        &c.pod.file.path,
                        c.anchor(),
                        c.subject(),
                        format!(
                            "serves the model repository {} ({}) without models.require_signature, which defaults to false",
                            repository.value, repository.source
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}
