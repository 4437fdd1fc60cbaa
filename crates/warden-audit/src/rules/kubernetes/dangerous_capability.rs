//! Capabilities added that open the way out of the container.

use super::util::{containers, strings};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-dangerous-capability",
    title: "Container adds a dangerous capability (SYS_ADMIN, NET_ADMIN, NET_RAW, ALL...)",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "SYS_ADMIN is nearly root on the node (mounts, namespaces: the classic container escapes); NET_ADMIN and NET_RAW let a compromised model server reconfigure or spoof the pod network; SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, SYS_RAWIO and BPF each have known escapes; ALL is all of them. A model server needs none.",
    fix: "securityContext:\n  capabilities:\n    drop: [ALL]\n    # add only NET_BIND_SERVICE, and only to listen below port 1024",
    equivalents: &["CKV_K8S_39", "CKV_K8S_25", "KSV005", "KSV022"],
};

/// Capabilities with a known path to the node or the network.
pub const DANGEROUS: &[&str] =
    &["ALL", "SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "SYS_RAWIO", "BPF"];

/// A capability name without the optional `CAP_` prefix, upper-cased.
pub fn normalise(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").map(str::to_string).unwrap_or(upper)
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let Some((_, added)) = c.own_security(&["capabilities", "add"]) else { continue };
        for (item, cap) in strings(Some(added)) {
            let name = normalise(cap);
            if DANGEROUS.contains(&name.as_str()) {
                out.add(&RULE, &c.pod.file.path, item.pos, c.subject(), format!("capabilities.add: {name}"));
            }
        }
    }
}
