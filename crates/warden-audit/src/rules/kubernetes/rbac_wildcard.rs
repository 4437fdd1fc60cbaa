//! Roles and ClusterRoles with `*` in their verbs or resources.

use super::util::strings;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-rbac-wildcard",
    title: "Role grants every verb or every resource (*)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "`*` grants what exists today and whatever is added later: every verb includes escalate, bind and impersonate; every resource includes Secrets, pods/exec and RBAC itself. A subject with such a role can usually make itself cluster-admin. List the verbs and resources the workload uses.",
    fix: "rules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [get, watch]",
    equivalents: &["CKV_K8S_49", "KSV044", "KSV045", "KSV046"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object) in cx.objects() {
        if !matches!(object.kind.as_str(), "Role" | "ClusterRole") {
            continue;
        }
        for rule in object.doc.get("rules").map(Node::items).unwrap_or_default() {
            let wild = |key: &str| {
                rule.entry(key).filter(|(_, list)| strings(Some(list)).iter().any(|(_, s)| *s == "*")).map(|(k, _)| k)
            };
            let (verbs, resources) = (wild("verbs"), wild("resources"));
            let (key, message) = match (verbs, resources) {
                (Some(k), Some(_)) => (k, "every verb on every resource (verbs and resources: *)"),
                (Some(k), None) => (k, "every verb (verbs: *)"),
                (None, Some(k)) => (k, "every resource (resources: *)"),
                (None, None) => continue,
            };
            out.add(&RULE, &file.path, key.pos, object.id(), format!("{} grants {message}", object.kind));
        }
    }
}
