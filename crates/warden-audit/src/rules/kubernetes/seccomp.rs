//! No seccomp profile, or `Unconfined`: the restricted Pod Security Standard wants
//! RuntimeDefault or Localhost.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-seccomp-profile",
    title: "Container runs without a seccomp profile (missing or Unconfined)",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "Kubernetes runs containers Unconfined unless a seccompProfile says otherwise (or the kubelet runs with --seccomp-default): every system call, including those of most kernel escapes, is open to a compromised model server. The restricted Pod Security Standard requires RuntimeDefault or Localhost. The deprecated seccomp annotations are ignored by current Kubernetes and do not count.",
    fix: "spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault",
    equivalents: &["CKV_K8S_31", "KSV030", "KSV104"],
};

const ANNOTATION_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const ANNOTATION_CONTAINER: &str = "container.seccomp.security.alpha.kubernetes.io/";

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let file = &c.pod.file.path;
        match c.security(&["seccompProfile", "type"]) {
            Some((_, t)) if matches!(t.as_str(), Some("RuntimeDefault" | "Localhost")) => {}
            Some((key, t)) => {
                let own = c.own_security(&["seccompProfile", "type"]).is_some();
                let subject = if own { c.subject() } else { c.pod.object.id() };
                let level = if own { "" } else { "pod " };
                let message =
                    format!("{level}seccompProfile type {}: system calls are not filtered", t.as_str().unwrap_or("?"));
                out.add(&RULE, file, key.pos, subject, message);
            }
            None => {
                let annotations = c.pod.annotations();
                let container_key = format!("{ANNOTATION_CONTAINER}{}", c.name);
                let legacy = annotations.and_then(|a| a.entry(&container_key).or_else(|| a.entry(ANNOTATION_POD)));
                match legacy {
                    Some((key, _)) => out.add(
                        &RULE,
                        file,
                        key.pos,
                        c.subject(),
                        "only the deprecated seccomp annotation, which current Kubernetes ignores: set securityContext.seccompProfile",
                    ),
                    None => out.add(
                        &RULE,
                        file,
                        c.security_anchor(),
                        c.subject(),
                        "no seccompProfile (pod or container): the container runs Unconfined",
                    ),
                }
            }
        }
    }
}
