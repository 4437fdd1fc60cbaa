//! Pods (other than model servers) that no NetworkPolicy selects for ingress.

use super::netpol::{Direction, selecting};
use super::util::{model_servers, pods};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-pod-no-network-policy",
    title: "No NetworkPolicy restricts ingress to the pod",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "Kubernetes lets every pod talk to every other unless a NetworkPolicy selects it: one compromised workload anywhere in the cluster reaches this one. Evaluated over the whole set: the pod's namespace, each policy's podSelector (matchLabels and matchExpressions; an empty one selects all) against the pod's labels, and its policyTypes. Model servers are k8s-model-server-ingress-open's.",
    fix: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: ml}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]",
    equivalents: &["CKV2_K8S_6", "kube-score pod-networkpolicy", "KSV038"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        if !model_servers(cx, pod).is_empty() {
            continue;
        }
        if !selecting(cx, &pod).iter().any(|p| p.restricts(Direction::Ingress)) {
            out.add(
                &RULE,
                &pod.file.path,
                pod.object.pos(),
                pod.object.id(),
                format!("no NetworkPolicy in namespace {} selects the pod for ingress", pod.namespace()),
            );
        }
    }
}
