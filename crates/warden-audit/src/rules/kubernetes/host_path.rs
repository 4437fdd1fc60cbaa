//! hostPath volumes (the container runtime's socket is k8s-runtime-socket).

use super::runtime_socket::runtime_socket;
use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-host-path",
    title: "Pod mounts a directory of the node (hostPath)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "A hostPath volume gives the pod a piece of the node's filesystem: writable, it lets a compromised container plant files the node or other pods will run; read-only, it can still leak keys and other tenants' data. Models belong in a PersistentVolumeClaim, an image volume or an emptyDir filled by an init container.",
    fix: "volumes:\n  - name: models\n    persistentVolumeClaim:\n      claimName: model-store\n      readOnly: true",
    equivalents: &["KSV023", "KSV028"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        for volume in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            let Some((key, host)) = volume.entry("hostPath") else { continue };
            let path = host.get("path").and_then(Node::as_str).unwrap_or("?");
            if runtime_socket(path) {
                continue;
            }
            let name = volume.get("name").and_then(Node::as_str).unwrap_or("?");
            out.add(&RULE, &pod.file.path, key.pos, pod.object.id(), format!("volume {name} mounts the node's {path}"));
        }
    }
}
