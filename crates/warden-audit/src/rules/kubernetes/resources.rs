//! CPU and memory requests and limits.

use super::util::{Role, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-resources-missing",
    title: "Container without CPU and memory requests and limits",
    severity: Severity::Medium,
    stride: Stride::DenialOfService,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "Inference is CPU- and memory-hungry and a client controls how much: without a memory limit a burst of large requests grows the server until the node kills its neighbours; without requests the scheduler packs it where it starves. Limits make a flood cost one pod, not the node.",
    fix: "resources:\n  requests: {cpu: \"1\", memory: 2Gi}\n  limits: {cpu: \"2\", memory: 2Gi}",
    equivalents: &[
        "CKV_K8S_10",
        "CKV_K8S_11",
        "CKV_K8S_12",
        "CKV_K8S_13",
        "KSV011",
        "KSV015",
        "KSV016",
        "KSV018",
        "kube-score container-resources",
    ],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        // Ephemeral containers take no resources.
        if c.role == Role::Ephemeral {
            continue;
        }
        let resources = c.node.entry("resources");
        let missing: Vec<&str> = [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]
            .iter()
            .filter(|(section, what)| resources.and_then(|(_, r)| r.path(&[section, what])).is_none_or(|v| v.is_null()))
            .map(|(section, what)| match (*section, *what) {
                ("requests", "cpu") => "CPU request",
                ("requests", _) => "memory request",
                (_, "cpu") => "CPU limit",
                _ => "memory limit",
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        let pos = resources.map(|(k, _)| k.pos).unwrap_or_else(|| c.anchor());
        out.add(&RULE, &c.pod.file.path, pos, c.subject(), format!("no {}", missing.join(", no ")));
    }
}
