//! AppArmor turned off: `appArmorProfile.type: Unconfined` or the annotation
//! `container.apparmor.security.beta.kubernetes.io/<container>: unconfined`.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-apparmor-unconfined",
    title: "Container runs with AppArmor turned off (Unconfined)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "On nodes with AppArmor the runtime's default profile blocks writes to /proc and /sys and mounts, which several container escapes need. Unconfined removes it for the model server. Both the securityContext field (pod or container; the container's wins) and the older annotation are read.",
    fix: "securityContext:\n  appArmorProfile:\n    type: RuntimeDefault",
    equivalents: &["KSV002"],
};

const ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let file = &c.pod.file.path;
        if let Some((key, t)) = c.security(&["appArmorProfile", "type"])
            && t.as_str() == Some("Unconfined")
        {
            if c.own_security(&["appArmorProfile", "type"]).is_some() {
                out.add(&RULE, file, key.pos, c.subject(), "appArmorProfile type Unconfined");
            } else {
                // One finding at the pod's key, whatever number of containers inherit it.
                out.add(&RULE, file, key.pos, c.pod.object.id(), "pod appArmorProfile type Unconfined");
            }
            continue;
        }
        let annotation = format!("{ANNOTATION}{}", c.name);
        if let Some((key, value)) = c.pod.annotations().and_then(|a| a.entry(&annotation))
            && value.as_str() == Some("unconfined")
        {
            out.add(&RULE, file, key.pos, c.subject(), format!("{annotation}: unconfined"));
        }
    }
}
