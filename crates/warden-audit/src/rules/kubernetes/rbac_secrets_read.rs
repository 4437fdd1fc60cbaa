//! Roles that read Secrets.

use super::util::strings;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-rbac-secrets-read",
    title: "Role can read Secrets (get, list or watch)",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "Reading Secrets is reading every credential of the namespace (a ClusterRole: of the cluster): TLS keys, registry credentials, model-store keys, other ServiceAccounts' tokens. list and watch return them all at once. A rule limited to resourceNames is not reported; a wildcard verb is k8s-rbac-wildcard's.",
    fix: "# mount the one Secret the workload needs as a volume instead;\n# or limit the rule:\nrules:\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    resourceNames: [warden-tls]\n    verbs: [get]",
    equivalents: &["KSV041"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object) in cx.objects() {
        if !matches!(object.kind.as_str(), "Role" | "ClusterRole") {
            continue;
        }
        for rule in object.doc.get("rules").map(Node::items).unwrap_or_default() {
            let Some((key, resources)) = rule.entry("resources") else { continue };
            let core =
                rule.get("apiGroups").is_none_or(|g| strings(Some(g)).iter().any(|(_, s)| s.is_empty() || *s == "*"));
            let secrets = strings(Some(resources)).iter().any(|(_, s)| *s == "secrets");
            let verbs: Vec<&str> = strings(rule.get("verbs"))
                .into_iter()
                .map(|(_, v)| v)
                .filter(|v| matches!(*v, "get" | "list" | "watch"))
                .collect();
            if core && secrets && !verbs.is_empty() && rule.get("resourceNames").is_none() {
                out.add(
                    &RULE,
                    &file.path,
                    key.pos,
                    object.id(),
                    format!("{} can {} secrets", object.kind, verbs.join(", ")),
                );
            }
        }
    }
}
