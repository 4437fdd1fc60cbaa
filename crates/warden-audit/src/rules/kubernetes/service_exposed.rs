//! Services reachable from outside the cluster: NodePort, LoadBalancer, externalIPs.

use super::util::strings;
use crate::context::Context;
use crate::finding::Findings;
use crate::kubernetes::Object;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::{Node, Pos};

pub static RULE: Rule = Rule {
    id: "k8s-service-exposed",
    title: "Service is exposed outside the cluster (NodePort, LoadBalancer, externalIPs)",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "A NodePort opens the port on every node; a LoadBalancer usually gives it a public address; externalIPs route outside traffic to it. The model API (or its metrics) then faces the internet without the Ingress's TLS, rate limits and access logs. A LoadBalancer marked internal by its cloud annotation, or with loadBalancerSourceRanges that exclude 0.0.0.0/0, is not reported.",
    fix: "spec:\n  type: ClusterIP   # publish through an Ingress with TLS, or an internal load balancer",
    equivalents: &["kube-score service-type"],
};

/// Annotations that keep a cloud load balancer on the private network.
const INTERNAL: &[(&str, &str)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", "true"),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", "true"),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", "true"),
];

/// Where and how a Service is reachable from outside the cluster, if it is.
pub fn exposure(service: &Object) -> Option<(Pos, String)> {
    let spec = service.doc.get("spec")?;
    if let Some((key, ips)) = spec.entry("externalIPs")
        && !ips.items().is_empty()
    {
        return Some((key.pos, "externalIPs route outside traffic to it".to_string()));
    }
    let (key, kind) = spec.entry("type")?;
    match kind.as_str()? {
        "NodePort" => Some((key.pos, "type NodePort opens the port on every node".to_string())),
        "LoadBalancer" if !internal(service, spec) => {
            Some((key.pos, "type LoadBalancer gives it an address outside the cluster".to_string()))
        }
        _ => None,
    }
}

fn internal(service: &Object, spec: &Node) -> bool {
    let annotations = service.doc.path(&["metadata", "annotations"]);
    let annotated = INTERNAL.iter().any(|(k, v)| {
        annotations.and_then(|a| a.get(k)).and_then(Node::as_str).is_some_and(|x| x.eq_ignore_ascii_case(v))
    });
    let ranges = strings(spec.get("loadBalancerSourceRanges"));
    let restricted = !ranges.is_empty() && ranges.iter().all(|(_, r)| !matches!(r.trim(), "0.0.0.0/0" | "::/0"));
    annotated || restricted
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object) in cx.objects() {
        if object.kind != "Service" {
            continue;
        }
        if let Some((pos, message)) = exposure(object) {
            out.add(&RULE, &file.path, pos, object.id(), message);
        }
    }
}
