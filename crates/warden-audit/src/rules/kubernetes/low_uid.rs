//! A container's user id below 10000, or not set at all: it may be a user that
//! exists on the node.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

/// The first user id unlikely to exist on a node (Checkov's and kube-score's bar).
const HIGH_UID: i64 = 10_000;

pub static RULE: Rule = Rule {
    id: "k8s-low-uid",
    title: "Container user id below 10000",
    severity: Severity::Low,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Kubernetes,
    why: "User namespaces are rarely on, so a container's user id is the node's: a low id (or the image's default) can be a real user on the node, and whatever escapes the container acts with that user's files. A high, unused id owns nothing outside the container. Root (0) is k8s-run-as-root.",
    fix: "securityContext:\n  runAsNonRoot: true\n  runAsUser: 10001\n  runAsGroup: 10001",
    equivalents: &["CKV_K8S_40", "kube-score container-security-context-user-group-id"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        match c.security(&["runAsUser"]) {
            None => out.add(
                &RULE,
                &c.pod.file.path,
                c.security_anchor(),
                c.subject(),
                "runAsUser is not set: the image's user id applies",
            ),
            Some((key, value)) => match value.as_i64() {
                Some(uid) if uid > 0 && uid < HIGH_UID => out.add(
                    &RULE,
                    &c.pod.file.path,
                    key.pos,
                    c.subject(),
                    format!("runAsUser: {uid} is below {HIGH_UID}"),
                ),
                _ => {}
            },
        }
    }
}
