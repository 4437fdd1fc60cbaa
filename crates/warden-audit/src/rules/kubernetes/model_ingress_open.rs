//! Model servers that any pod can reach: no NetworkPolicy restricting ingress, or
//! one that admits every source.

use super::netpol::{Direction, selecting};
use super::util::model_pods;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-model-server-ingress-open",
    title: "Model server is reachable from any pod (no NetworkPolicy restricts ingress)",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "A model server is recognised by its image (warden, triton/tritonserver, kserve, torchserve, tfserving, tensorflow/serving, seldon, mlserver, vllm, text-generation-inference, model-server), by Warden's command or WARDEN_* variables, or by such a word in the container, workload or app label name together with a `serve` argument or an inference port (8443, 8000, 8001, 8080, 8500, 8501). Without a NetworkPolicy selecting it for ingress, any compromised pod in the cluster can query it (extraction, probing for bugs) or reach its metrics. A policy that admits every source (a rule with no `from`, or ipBlock 0.0.0.0/0) is no better. Evaluated over the whole set: same namespace, podSelector matchLabels and matchExpressions against the pod template's labels, an empty podSelector selecting every pod.",
    fix: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: warden, namespace: ml-serving}\nspec:\n  podSelector: {matchLabels: {app: warden}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {access: allowed}}\n      ports: [{port: 8443}]",
    equivalents: &["CKV2_K8S_6", "kube-score pod-networkpolicy", "KSV038"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in model_pods(cx) {
        let policies: Vec<_> = selecting(cx, &pod).into_iter().filter(|p| p.restricts(Direction::Ingress)).collect();
        if policies.is_empty() {
            out.add(
                &RULE,
                &pod.file.path,
                pod.object.pos(),
                pod.object.id(),
                format!(
                    "model server: no NetworkPolicy in namespace {} selects it for ingress, so every pod can call it",
                    pod.namespace()
                ),
            );
            continue;
        }
        for policy in policies {
            for (rule, why) in policy.open_rules(Direction::Ingress) {
                out.add(
                    &RULE,
                    &policy.file.path,
                    rule.pos,
                    pod.object.id(),
                    format!("model server: NetworkPolicy {} opens ingress to it: {why}", policy.object.name),
                );
            }
        }
    }
}
