//! `hostPID: true` in a pod spec.

use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-host-pid",
    title: "Pod shares the node's process namespace (hostPID)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "With hostPID the pod sees every process on the node: their command lines and environments (credentials of other workloads), and with enough privileges it can signal or ptrace them. A model server never needs it.",
    fix: "spec:\n  hostPID: false   # or leave it out",
    equivalents: &["CKV_K8S_17", "KSV010"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        if let Some((key, value)) = pod.field("hostPID")
            && value.as_bool() == Some(true)
        {
            out.add(&RULE, &pod.file.path, key.pos, pod.object.id(), "hostPID: true");
        }
    }
}
