//! Pickle-based model files baked into the shipped image (`COPY model.pkl`,
//! `ADD pytorch_model.bin`, or downloaded by a `RUN`): loading them runs code, and
//! in an image they escape the signing and scanning a model repository gets.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, sources};

pub static RULE: Rule = Rule {
    id: "docker-model-baked-in",
    title: "Pickle model file baked into the image",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::ModelTheft,
    layer: Layer::Container,
    why: "Pickle formats (.pt, .pth, .pkl, .joblib, .bin) run code when loaded; baked into an image they skip signature checks and scanning, travel wherever the image does (model theft), and change only with a rebuild.",
    fix: "# serve a signed, scanned repository mounted read-only instead\n# warden serve --model-repository /models --models-require-signature\n# (Kubernetes: a read-only volume; prefer ONNX or safetensors over pickles)",
    equivalents: &[],
};

/// Extensions of formats that load with pickle.
const PICKLES: &[&str] = &[".pt", ".pth", ".pkl", ".pickle", ".joblib", ".bin", ".ckpt", ".dill"];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        for step in build.shipped_steps() {
            let models: Vec<String> = match step.keyword() {
                "COPY" | "ADD" => sources(step).into_iter().filter(|s| is_pickle(s)).collect(),
                "RUN" => step
                    .commands()
                    .iter()
                    .filter_map(|c| {
                        let (program, args) = c.program()?;
                        matches!(program.as_str(), "curl" | "wget")
                            .then(|| {
                                args.iter()
                                    .find(|w| w.text.contains("://") && is_pickle(&w.text))
                                    .map(|w| w.text.clone())
                            })
                            .flatten()
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if !models.is_empty() {
                let message = format!(
                    "{} puts {} in the image: pickle models run code when loaded",
                    step.keyword(),
                    models.join(", ")
                );
                out.add(&RULE, &file.path, step.pos(), last.name(), message);
            }
        }
    }
}

fn is_pickle(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path).to_ascii_lowercase();
    PICKLES.iter().any(|e| path.ends_with(e))
}
