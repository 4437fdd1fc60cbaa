//! A secret written into the Dockerfile: `ENV HF_TOKEN=hf_...`, `ARG
//! DB_PASSWORD=...`, `ENV PIP_EXTRA_INDEX_URL=https://ml:s3cret@...`. `ENV` values ship in the image's config and `ARG` values in
//! its history, readable by anyone who can pull it; both sit in git.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, key_values};
use super::secrets::{literal_value, secret_name, url_with_password};

pub static RULE: Rule = Rule {
    id: "docker-secret-in-env",
    title: "Secret in ENV or ARG",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Container,
    why: "ENV values are in the image config and ARG values in `docker history`: anyone who can pull the image (and anyone who can read the repository) has the secret, and it cannot be rotated without a rebuild.",
    fix: "# at build time: a BuildKit secret, never an ARG\nRUN --mount=type=secret,id=hf_token HF_TOKEN=$(cat /run/secrets/hf_token) python download.py\n# at run time: a Kubernetes Secret mounted as a file (HF_TOKEN_FILE=/run/secrets/hf_token)",
    equivalents: &["Checkov secrets (CKV_SECRET_*)", "Trivy secret scanning"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let steps = build.preamble.iter().map(|s| (None, s)).chain(build.all_steps().map(|(st, s)| (Some(st), s)));
        for (stage, step) in steps.filter(|(_, s)| matches!(s.keyword(), "ENV" | "ARG")) {
            for (name, value) in key_values(&step.ins.args) {
                let problem = if secret_name(&name) && literal_value(&value) {
                    "is set to a literal value in the Dockerfile"
                } else if url_with_password(&value) {
                    "holds a URL with a password in it"
                } else {
                    continue;
                };
                let subject = stage.map_or_else(|| "global ARG".to_string(), |s| s.name());
                out.add(&RULE, &file.path, step.pos(), subject, format!("{} {name} {problem}", step.keyword()));
            }
        }
    }
}
