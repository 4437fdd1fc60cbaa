//! Bindings to the cluster-admin ClusterRole.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-cluster-admin-binding",
    title: "Binding grants cluster-admin",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "cluster-admin can do anything to any object: whoever holds a bound subject's credentials (a ServiceAccount token mounted in a pod, a CI deploy key) owns the cluster, every model and every Secret in it. Grant a Role with the verbs and resources the subject uses, in its namespace. A RoleBinding to cluster-admin is admin of the whole namespace.",
    fix: "kind: Role\nrules:\n  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get, patch]\n---\nkind: RoleBinding\nroleRef: {kind: Role, name: deployer, apiGroup: rbac.authorization.k8s.io}",
    equivalents: &["KSV111"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object) in cx.objects() {
        if !matches!(object.kind.as_str(), "ClusterRoleBinding" | "RoleBinding") {
            continue;
        }
        let Some((key, name)) = object.doc.get("roleRef").and_then(|r| r.entry("name")) else { continue };
        let kind = object.doc.path(&["roleRef", "kind"]).and_then(Node::as_str);
        if name.as_str() != Some("cluster-admin") || kind.is_some_and(|k| k != "ClusterRole") {
            continue;
        }
        let subjects: Vec<String> = object
            .doc
            .get("subjects")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|s| {
                let field = |k| s.get(k).and_then(Node::as_str).unwrap_or_default();
                match field("namespace") {
                    "" => format!("{} {}", field("kind"), field("name")),
                    ns => format!("{} {ns}/{}", field("kind"), field("name")),
                }
            })
            .collect();
        let to = if subjects.is_empty() { "no subject yet".to_string() } else { subjects.join(", ") };
        out.add(&RULE, &file.path, key.pos, object.id(), format!("{} grants cluster-admin to {to}", object.kind));
    }
}
