//! Pod Security Standards "restricted": only NET_BIND_SERVICE may be added.

use super::dangerous_capability::{DANGEROUS, normalise};
use super::util::{containers, strings};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-capability-not-restricted",
    title: "Container adds a capability the restricted Pod Security Standard forbids",
    severity: Severity::Low,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "The restricted Pod Security Standard lets a container add back NET_BIND_SERVICE and nothing else: a namespace enforcing it rejects the pod, and each extra capability (CHOWN, SETUID, FOWNER...) is a tool for an attacker inside the model server. The dangerous ones are k8s-dangerous-capability.",
    fix: "securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]   # only if it listens below 1024",
    equivalents: &["KSV106", "KSV022"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((_, added)) = c.own_security(&["capabilities", "add"]) else { continue };
        for (item, cap) in strings(Some(added)) {
            let name = normalise(cap);
            if name != "NET_BIND_SERVICE" && !DANGEROUS.contains(&name.as_str()) {
                out.add(
                    &RULE,
                    &c.pod.file.path,
                    item.pos,
                    c.subject(),
                    format!("capabilities.add: {name} (restricted allows only NET_BIND_SERVICE)"),
                );
            }
        }
    }
}
