//! Pod Security Standards "restricted": only a few volume types.

use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-volume-type-not-restricted",
    title: "Pod uses a volume type the restricted Pod Security Standard forbids",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "The restricted Pod Security Standard allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes only: the others (nfs, iscsi, rbd, cephfs, gitRepo...) reach storage or hosts directly, around the PersistentVolume layer the cluster administrator controls, and a namespace enforcing restricted rejects the pod. hostPath is k8s-host-path's.",
    fix: "volumes:\n  - name: models\n    persistentVolumeClaim: {claimName: model-store, readOnly: true}",
    equivalents: &["KSV028"],
};

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
    "hostPath",
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        for volume in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            let name = volume.get("name").and_then(Node::as_str).unwrap_or("?");
            for (key, _) in volume.entries() {
                let Some(kind) = key.as_str().filter(|k| *k != "name") else { continue };
                if !ALLOWED.contains(&kind) {
                    out.add(
                        &RULE,
                        &pod.file.path,
                        key.pos,
                        pod.object.id(),
                        format!("volume {name} is of type {kind}"),
                    );
                }
            }
        }
    }
}
