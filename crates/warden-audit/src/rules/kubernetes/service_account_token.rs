//! The Kubernetes API token mounted into pods that do not say otherwise.

use super::util::{find, pods};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-service-account-token",
    title: "Pod gets a Kubernetes API token (automountServiceAccountToken not false)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Unless the pod or its ServiceAccount sets automountServiceAccountToken: false, every container gets a token for the Kubernetes API at /var/run/secrets/kubernetes.io/serviceaccount. A model server never calls the API; a compromised one uses the token to explore the cluster, and whatever RBAC the account has. The ServiceAccount is looked up in the set: its setting applies when the pod has none.",
    fix: "spec:\n  automountServiceAccountToken: false",
    equivalents: &["CKV_K8S_38", "KSV036"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pod in pods(cx) {
        let file = &pod.file.path;
        match pod.field("automountServiceAccountToken") {
            Some((_, v)) if v.as_bool() == Some(false) => {}
            Some((key, v)) => out.add(
                &RULE,
                file,
                key.pos,
                pod.object.id(),
                format!("automountServiceAccountToken: {}", v.as_str().unwrap_or("?")),
            ),
            None => {
                let account = ["serviceAccountName", "serviceAccount"]
                    .iter()
                    .find_map(|k| pod.spec.get(k).and_then(Node::as_str))
                    .unwrap_or("default");
                let from_account = find(cx, "ServiceAccount", pod.namespace(), account)
                    .and_then(|(_, sa)| sa.doc.get("automountServiceAccountToken"))
                    .and_then(Node::as_bool);
                if from_account != Some(false) {
                    out.add(
                        &RULE,
                        file,
                        pod.object.pos(),
                        pod.object.id(),
                        format!("automountServiceAccountToken is not false on the pod or ServiceAccount {account}: every container gets an API token"),
                    );
                }
            }
        }
    }
}
