//! `hostIPC: true` in a pod spec.

use super::util::pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-host-ipc",
    title: "Pod shares the node's IPC namespace (hostIPC)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "With hostIPC the pod shares System V IPC and POSIX shared memory with every process on the node: it can read or corrupt other workloads' shared memory segments (where inference servers often keep tensors). A model server never needs it.",
    fix: "spec:\n  hostIPC: false   # or leave it out",
    equivalents: &["CKV_K8S_18", "KSV008"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        if let Some((key, value)) = pod.field("hostIPC")
            && value.as_bool() == Some(true)
        {
            out.add(&RULE, &pod.file.path, key.pos, pod.object.id(), "hostIPC: true");
        }
    }
}
