//! `readOnlyRootFilesystem` not true.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-writable-root-filesystem",
    title: "Container root filesystem is writable",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "A writable root filesystem lets an attacker who gets code execution drop tools, patch the server's code or configuration and persist until the pod is replaced. A model server needs to write only its state and scratch directories: mount those as volumes and make the rest read-only.",
    fix: "securityContext:\n  readOnlyRootFilesystem: true\n# and an emptyDir for what must be written:\nvolumeMounts:\n  - {name: tmp, mountPath: /tmp}",
    equivalents: &["CKV_K8S_22", "KSV014", "kube-score container-security-context-readonlyrootfilesystem"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        c.require_bool(
            out,
            &RULE,
            c.own_security(&["readOnlyRootFilesystem"]),
            true,
            |v| format!("readOnlyRootFilesystem: {v}"),
            "readOnlyRootFilesystem is not set: the root filesystem is writable",
        );
    }
}
