//! Objects in the default namespace, by name or by leaving it out.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-default-namespace",
    title: "Object in the default namespace",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "A namespace is the boundary RBAC, NetworkPolicies, quotas and Pod Security admission work on. In default, the model server shares it with whatever else was applied without thought: their roles can read its Secrets, their pods sit inside its network policies. A manifest without a namespace lands wherever kubectl points. Objects inside a kustomization of the set that sets a namespace are not reported.",
    fix: "metadata:\n  name: warden\n  namespace: ml-serving",
    equivalents: &["CKV_K8S_21", "KSV110"],
};

/// The kinds Checkov's CKV_K8S_21 looks at, plus NetworkPolicy.
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Service",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Ingress",
    "NetworkPolicy",
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    // Directories whose kustomization sets the namespace of what it lists.
    let kustomized: Vec<String> = cx
        .objects()
        .filter(|(_, o)| {
            o.kind == "Kustomization" && o.doc.get("namespace").and_then(Node::as_str).is_some_and(|n| n != "default")
        })
        .map(|(f, _)| f.path.rsplit_once('/').map_or(String::new(), |(dir, _)| format!("{dir}/")))
        .collect();
    for (file, object) in cx.objects() {
        if !KINDS.contains(&object.kind.as_str()) {
            continue;
        }
        match object.doc.get("metadata").and_then(|m| m.entry("namespace")) {
            Some((key, value)) if value.as_str() == Some("default") => {
                out.add(&RULE, &file.path, key.pos, object.id(), "namespace: default");
            }
            Some(_) => {}
            None if kustomized.iter().any(|dir| file.path.starts_with(dir.as_str())) => {}
            None => out.add(
                &RULE,
                &file.path,
                object.pos(),
                object.id(),
                "no namespace: the object lands in the current context's namespace, default unless told otherwise",
            ),
        }
    }
}
