//! `hostNetwork: true` in a pod spec.

use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-host-network",
    title: "Pod shares the node's network namespace (hostNetwork)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "With hostNetwork the pod uses the node's network stack: NetworkPolicies no longer apply to it, it can reach services bound to the node's loopback (kubelet, cloud metadata proxies) and sniff or bind any node port. A model server never needs it.",
    fix: "spec:\n  hostNetwork: false   # or leave it out",
    equivalents: &["CKV_K8S_19", "KSV009"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        if let Some((key, value)) = pod.field("hostNetwork")
            && value.as_bool() == Some(true)
        {
            out.add(&RULE, &pod.file.path, key.pos, pod.object.id(), "hostNetwork: true");
        }
    }
}
