use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-privileged-container",
    title: "Container runs privileged",
    severity: Severity::Critical,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "A privileged container has every capability and the host's devices: a compromised model server becomes root on the node.",
    fix: "securityContext:\n  privileged: false\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop: [ALL]",
    equivalents: &["CKV_K8S_16", "KSV017", "kube-score container-security-context-privileged"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object, container, name) in cx.containers() {
        let Some((key, value)) = container.get("securityContext").and_then(|s| s.entry("privileged")) else { continue };
        if value.as_bool() == Some(true) {
            out.add(&RULE, &file.path, key.pos, format!("{} container {name}", object.id()), "privileged: true");
        }
    }
}
