//! `runAsUser: 0`, in the container's securityContext or inherited from the pod's.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-run-as-root",
    title: "Container runs as root (runAsUser: 0)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "runAsUser: 0 runs the model server as root: a remote code execution through a model file or a parser bug is root in the container, and any kernel or runtime escape lands as root on the node. A container-level runAsUser overrides the pod's.",
    fix: "securityContext:\n  runAsNonRoot: true\n  runAsUser: 10001\n  runAsGroup: 10001",
    equivalents: &["KSV105", "CKV_K8S_23", "CKV_K8S_40", "kube-score container-security-context-user-group-id"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((key, value)) = c.security(&["runAsUser"]) else { continue };
        if value.as_i64() != Some(0) {
            continue;
        }
        if c.own_security(&["runAsUser"]).is_some() {
            out.add(&RULE, &c.pod.file.path, key.pos, c.subject(), "runAsUser: 0 runs the container as root");
        } else {
            // One finding at the pod's key, whatever number of containers inherit it.
            out.add(
                &RULE,
                &c.pod.file.path,
                key.pos,
                c.pod.object.id(),
                "pod securityContext runAsUser: 0 runs every container without its own runAsUser as root",
            );
        }
    }
}
