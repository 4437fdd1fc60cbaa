//! Keys and credentials copied into an image: private keys, `.env` files, SSH
//! keys, `.netrc`/`.npmrc`/`.pypirc`, cloud credentials, kubeconfigs, Warden's
//! state directory. Every layer keeps them, even if a later step deletes them.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, sources};

pub static RULE: Rule = Rule {
    id: "docker-secret-file-copied",
    title: "Key or credentials file copied into the image",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Container,
    why: "A file copied into a layer stays in the image (and the build cache) even if a later RUN deletes it: anyone who pulls the image gets the TLS key, the signing key or the cloud credentials.",
    fix: "# build time: RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install -r requirements.txt\n# run time: mount a Kubernetes Secret read-only at /etc/warden/tls and point tls.key at it",
    equivalents: &["Trivy secret scanning"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| matches!(s.keyword(), "COPY" | "ADD")) {
            let secrets: Vec<(String, &str)> =
                sources(step).into_iter().filter_map(|s| secret_kind(&s).map(|kind| (s, kind))).collect();
            for (source, kind) in secrets {
                let message = format!("{} {source} puts {kind} in an image layer", step.keyword());
                out.add(&RULE, &file.path, step.pos(), stage.name(), message);
            }
        }
    }
}

/// What kind of secret a source path looks like, if any.
fn secret_kind(source: &str) -> Option<&'static str> {
    let path = source.trim_end_matches('/').to_ascii_lowercase();
    let name = path.rsplit('/').next().unwrap_or(&path);
    let in_dir = |dir: &str| path.split('/').any(|part| part == dir);
    if in_dir(".warden") {
        return Some("Warden's state directory (API key hashes, TLS key)");
    }
    let public_ssh = name == "known_hosts" || name == "config" || name.ends_with(".pub");
    if in_dir(".ssh") && !public_ssh || matches!(name, "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519") {
        return Some("an SSH private key");
    }
    if name.ends_with(".key") || name.ends_with(".pem") && (name.contains("key") || name.contains("priv")) {
        return Some("a private key");
    }
    if [".p12", ".pfx", ".jks", ".keystore"].iter().any(|e| name.ends_with(e)) {
        return Some("a key store");
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Some("an environment file (usually secrets)");
    }
    if matches!(name, ".netrc" | ".npmrc" | ".pypirc" | ".git-credentials" | ".dockercfg" | "kubeconfig")
        || path.ends_with(".docker/config.json")
        || path.ends_with(".kube/config")
    {
        return Some("registry or cluster credentials");
    }
    if name.contains("credentials") || name.starts_with("service-account") && name.ends_with(".json") {
        return Some("cloud credentials");
    }
    None
}
