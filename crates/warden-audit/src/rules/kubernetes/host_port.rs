//! `hostPort` on a container port.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-host-port",
    title: "Container binds a port on the node (hostPort)",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "A hostPort opens the port on the node's address: the model API becomes reachable by anything that reaches the node, around the Service and, with many CNI plugins, around NetworkPolicies. It also pins the pod to nodes where the port is free.",
    fix: "ports:\n  - containerPort: 8443   # no hostPort; expose it with a ClusterIP Service",
    equivalents: &["CKV_K8S_26", "KSV024"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        for port in c.node.get("ports").map(Node::items).unwrap_or_default() {
            let Some((key, value)) = port.entry("hostPort") else { continue };
            if value.as_i64().is_some_and(|p| p > 0) {
                out.add(
                    &RULE,
                    &c.pod.file.path,
                    key.pos,
                    c.subject(),
                    format!("hostPort: {}", value.as_str().unwrap_or("?")),
                );
            }
        }
    }
}
