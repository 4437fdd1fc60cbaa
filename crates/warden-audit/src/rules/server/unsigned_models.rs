use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-unsigned-models",
    title: "Warden serves models without requiring signatures",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Server,
    why: "Without models.require_signature, whoever can write to the model repository (a compromised pipeline, a shared volume, a careless copy) decides what the server runs and answers; a signature ties every served version to a trusted signer. Production should require signed models.",
    fix: "# warden.toml\nmodel_repository = \"/srv/models\"\n[models]\nrequire_signature = true\ntrusted_keys = [\"/etc/warden/model-signing.pub\"]",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

/// A model repository is served and signatures are not required (the default);
/// or signatures are turned off explicitly where a config file the set does not
/// show may name the repository.
pub fn assess(s: &Settings) -> Vec<Weakness> {
    let required = s.get("models.require_signature");
    if required.is_some_and(|r| settings::truthy(&r.value) == Some(true)) {
        return Vec::new();
    }
    let repository = s.get("model_repository");
    let unseen_config = s.config.is_some() && !s.config_found;
    let message = |shown: &str, from: &str| {
        format!("{shown}: models{from} are served unsigned; production should require signed models")
    };
    match (repository, required) {
        (Some(repo), Some(setting)) => {
            vec![Weakness::at(setting, message(&setting.shown, &format!(" from {}", repo.value)))]
        }
        (Some(repo), None) => vec![Weakness::at(
            repo,
            message(&format!("{} without models.require_signature (default false)", repo.shown), ""),
        )],
        (None, Some(setting)) if unseen_config => vec![Weakness::at(setting, message(&setting.shown, ""))],
        _ => Vec::new(),
    }
}
