//! Neither `runAsNonRoot: true` nor a non-zero `runAsUser`: the image decides.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-run-as-non-root-missing",
    title: "Container is not required to run as a non-root user",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Without runAsNonRoot: true (or a non-zero runAsUser), the image's USER decides, and many model-server images run as root. With it, the kubelet refuses to start a container that would run as root. The container's securityContext overrides the pod's.",
    fix: "spec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001",
    equivalents: &["CKV_K8S_23", "KSV012", "kube-score container-security-context-user-group-id"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        // A non-zero user is enforced; zero is k8s-run-as-root's.
        if c.security(&["runAsUser"]).and_then(|(_, v)| v.as_i64()).is_some() {
            continue;
        }
        c.require_bool(
            out,
            &RULE,
            c.security(&["runAsNonRoot"]),
            true,
            |v| format!("runAsNonRoot: {v} and no non-zero runAsUser"),
            "neither runAsNonRoot: true nor a non-zero runAsUser (pod or container): the image's USER decides",
        );
    }
}
