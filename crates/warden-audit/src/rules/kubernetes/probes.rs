//! Liveness and readiness probes.

use super::util::{Role, containers};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-probes-missing",
    title: "Container without liveness or readiness probe",
    severity: Severity::Low,
    stride: Stride::DenialOfService,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "Without a readiness probe the Service sends requests to a model server still loading its models (errors for clients); without a liveness probe a wedged server stays in rotation until someone notices. Warden answers /v2/health/ready and /v2/health/live without credentials for this. Jobs and CronJobs are not checked.",
    fix: "readinessProbe:\n  httpGet: {path: /v2/health/ready, port: 8443, scheme: HTTPS}\nlivenessProbe:\n  httpGet: {path: /v2/health/live, port: 8443, scheme: HTTPS}",
    equivalents: &["CKV_K8S_8", "CKV_K8S_9", "kube-score pod-probes"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        if c.role != Role::Main || matches!(c.pod.object.kind.as_str(), "Job" | "CronJob") {
            continue;
        }
        let missing: Vec<&str> =
            ["livenessProbe", "readinessProbe"].into_iter().filter(|p| c.node.get(p).is_none()).collect();
        if !missing.is_empty() {
            out.add(&RULE, &c.pod.file.path, c.anchor(), c.subject(), format!("no {}", missing.join(", no ")));
        }
    }
}
