//! `capabilities.drop` without ALL.

use super::util::{containers, strings};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-capabilities-not-dropped",
    title: "Container keeps the runtime's default capabilities (drop ALL missing)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Container runtimes grant a default set of Linux capabilities (NET_RAW, CHOWN, SETUID, DAC_OVERRIDE...). A model server needs none of them; each one kept is something an attacker with code execution can use (NET_RAW for spoofing on the pod network, SETUID to change user). Drop ALL and add back only what is needed.",
    fix: "securityContext:\n  capabilities:\n    drop: [ALL]",
    equivalents: &["CKV_K8S_37", "CKV_K8S_28", "KSV003", "KSV106"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        match c.own_security(&["capabilities", "drop"]) {
            Some((key, list)) => {
                let dropped: Vec<&str> = strings(Some(list)).into_iter().map(|(_, s)| s).collect();
                if !dropped.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
                    let message = if dropped.is_empty() {
                        "capabilities.drop is empty: ALL is not dropped".to_string()
                    } else {
                        format!("capabilities.drop lists {} but not ALL", dropped.join(", "))
                    };
                    out.add(&RULE, &c.pod.file.path, key.pos, c.subject(), message);
                }
            }
            None => out.add(
                &RULE,
                &c.pod.file.path,
                c.security_anchor(),
                c.subject(),
                "capabilities.drop is not set: the runtime's default capabilities stay",
            ),
        }
    }
}
