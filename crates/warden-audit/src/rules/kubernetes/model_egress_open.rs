//! Model servers whose NetworkPolicies leave egress open: the way out for a stolen
//! model or the requests it sees.

use super::netpol::{Direction, selecting};
use super::util::model_pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-model-server-egress-open",
    title: "Model server can send data anywhere (NetworkPolicy egress open)",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "A model server answers requests; it has no reason to open connections to the internet. If it is compromised (a malicious model file, a parser bug), open egress is how the model weights, the inference inputs and any mounted credentials leave. Reported when the pod has NetworkPolicies but none restricts egress, or when one admits any destination (an egress rule with no `to`, or ipBlock 0.0.0.0/0; a DNS rule without `to` is such a rule). A pod with no policy at all is reported by k8s-model-server-ingress-open.",
    fix: "  policyTypes: [Ingress, Egress]\n  egress:\n    - to:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}\n    - to:\n        - namespaceSelector: {}\n          podSelector: {matchLabels: {k8s-app: kube-dns}}\n      ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in model_pods(cx) {
        let policies = selecting(cx, &pod);
        if policies.is_empty() {
            continue;
        }
        let egress: Vec<_> = policies.iter().filter(|p| p.restricts(Direction::Egress)).collect();
        if egress.is_empty() {
            let names: Vec<&str> = policies.iter().map(|p| p.object.name.as_str()).collect();
            out.add(
                &RULE,
                &pod.file.path,
                pod.object.pos(),
                pod.object.id(),
                format!("model server: NetworkPolicy {} selects it but none restricts egress", names.join(", ")),
            );
            continue;
        }
        for policy in egress {
            for (rule, why) in policy.open_rules(Direction::Egress) {
                out.add(
                    &RULE,
                    &policy.file.path,
                    rule.pos,
                    pod.object.id(),
                    format!("model server: NetworkPolicy {} opens egress: {why}", policy.object.name),
                );
            }
        }
    }
}
