//! The container runtime's socket (or its directory) mounted into a pod.

use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-runtime-socket",
    title: "Pod mounts the container runtime's socket (docker.sock, containerd.sock)",
    severity: Severity::Critical,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Whoever can talk to docker.sock, containerd.sock or crio.sock can start a privileged container with the node's root filesystem mounted: root on the node, and every other pod's secrets and models with it. Mounting /var/run or /run whole hands over the same sockets.",
    fix: "# remove the volume; build images with a rootless builder (kaniko, buildkit rootless)\n# instead of the node's daemon",
    equivalents: &["CKV_K8S_27", "KSV006", "KSV121"],
};

/// True for a host path that is, or holds, a container runtime's socket.
pub fn runtime_socket(path: &str) -> bool {
    let path = path.trim().trim_end_matches('/');
    let runtime = ["docker", "containerd", "crio", "cri-dockerd", "podman"];
    let socket = path.ends_with(".sock") && runtime.iter().any(|r| path.contains(r));
    let directory = matches!(
        path,
        "/var/run"
            | "/run"
            | "/var/run/docker"
            | "/run/docker"
            | "/var/run/containerd"
            | "/run/containerd"
            | "/var/run/crio"
            | "/run/crio"
            | "/run/podman"
    );
    socket || directory
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        for volume in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            let Some((key, path)) = volume.path(&["hostPath"]).and_then(|h| h.entry("path")) else { continue };
            let Some(path) = path.as_str().filter(|p| runtime_socket(p)) else { continue };
            out.add(
                &RULE,
                &pod.file.path,
                key.pos,
                pod.object.id(),
                format!("hostPath {path} gives the pod the container runtime's socket"),
            );
        }
    }
}
