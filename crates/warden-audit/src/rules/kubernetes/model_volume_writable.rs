//! Model and credential volumes mounted writable.

use super::util::{Role, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-model-volume-writable",
    title: "Model or credential volume mounted writable",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Kubernetes,
    why: "A server that can write its model repository lets whoever compromises it replace the model (a backdoored or pickle-bearing file served to every client, and persisted on the volume past the pod's life); a writable key or certificate volume lets it swap credentials. Recognised by the volume's name, claim or mount path (model, models, weights, checkpoints, secret, keys, tls, certs, credentials, pki, ssl...). Secret, ConfigMap, projected and downwardAPI volumes are read-only whatever the mount says, and emptyDir and ephemeral volumes end with the pod, so only the others (PersistentVolumeClaim, hostPath, nfs, csi...) are reported. Init containers, which fill model volumes, are not checked.",
    fix: "volumeMounts:\n  - name: models\n    mountPath: /models\n    readOnly: true",
    equivalents: &[],
};

/// Words in names and paths of model and credential volumes.
const WORDS: &[&str] = &[
    "model",
    "models",
    "weights",
    "checkpoint",
    "checkpoints",
    "secret",
    "secrets",
    "key",
    "keys",
    "tls",
    "cert",
    "certs",
    "certificates",
    "credentials",
    "creds",
    "pki",
    "ssl",
    "signing",
];

/// Volume types the kubelet mounts read-only, or that die with the pod.
const HARMLESS: &[&str] = &["secret", "configMap", "projected", "downwardAPI", "emptyDir", "ephemeral"];

fn sensitive(text: &str) -> bool {
    text.to_ascii_lowercase().split(['-', '_', '/', '.']).any(|w| WORDS.contains(&w))
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        if c.role != Role::Main {
            continue;
        }
        for mount in c.node.get("volumeMounts").map(Node::items).unwrap_or_default() {
            let read_only = mount.entry("readOnly");
            if read_only.is_some_and(|(_, v)| v.as_bool() == Some(true)) {
                continue;
            }
            let Some(name) = mount.get("name").and_then(Node::as_str) else { continue };
            let path = mount.get("mountPath").and_then(Node::as_str).unwrap_or_default();
            let Some(volume) = c.pod.volume(name) else { continue };
            let Some(kind) = volume.entries().iter().filter_map(|(k, _)| k.as_str()).find(|k| *k != "name") else {
                continue;
            };
            // `persistentVolumeClaim: {readOnly: true}` (and csi's) makes every mount read-only.
            let volume_read_only = volume.path(&[kind, "readOnly"]).and_then(Node::as_bool) == Some(true);
            if HARMLESS.contains(&kind) || volume_read_only {
                continue;
            }
            let claim = volume.path(&["persistentVolumeClaim", "claimName"]).and_then(Node::as_str).unwrap_or_default();
            if !(sensitive(name) || sensitive(path) || sensitive(claim)) {
                continue;
            }
            let pos = read_only.or_else(|| mount.entry("mountPath")).map(|(k, _)| k.pos).unwrap_or(mount.pos);
            out.add(
                &RULE,
                &c.pod.file.path,
                pos,
                c.subject(),
                format!("volume {name} ({kind}) is mounted writable at {path}"),
            );
        }
    }
}
