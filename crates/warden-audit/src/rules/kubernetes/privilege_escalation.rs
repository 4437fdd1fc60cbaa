//! `allowPrivilegeEscalation` left at its default (true) or set to true.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-privilege-escalation",
    title: "Container may gain privileges (allowPrivilegeEscalation not false)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than its parent (setuid binaries, file capabilities): an attacker who gets code execution in the model server climbs from its user to root inside the container, one step from the node.",
    fix: "securityContext:\n  allowPrivilegeEscalation: false",
    equivalents: &["CKV_K8S_20", "KSV001"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        c.require_bool(
            out,
            &RULE,
            c.own_security(&["allowPrivilegeEscalation"]),
            false,
            |v| format!("allowPrivilegeEscalation: {v}"),
            "allowPrivilegeEscalation is not set, and it defaults to true",
        );
    }
}
