//! Metrics published outside the cluster: a NodePort or LoadBalancer Service port
//! for metrics, or an Ingress routing /metrics.

use super::inference_plain_http::metrics_port;
use super::service_exposed::exposure;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-metrics-exposed",
    title: "Metrics exposed outside the cluster",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "A model server's metrics tell an outsider which models exist, their versions, traffic, error and rejection rates (including authentication failures and extraction alerts): reconnaissance for an attack and a view of the business. They are for Prometheus inside the cluster. Reported for a Service published outside the cluster (NodePort, a non-internal LoadBalancer, externalIPs) with a port named *metrics* or on 9464 (Warden's metrics port), and for an Ingress path under /metrics or routing to such a port.",
    fix: "# keep the metrics port on a ClusterIP Service scraped from the monitoring namespace:\nspec:\n  type: ClusterIP\n  ports:\n    - {name: metrics, port: 9464}",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, object) in cx.objects() {
        match object.kind.as_str() {
            "Service" if exposure(object).is_some() => {
                for port in object.doc.path(&["spec", "ports"]).map(Node::items).unwrap_or_default() {
                    if metrics_port(port) {
                        out.add(&RULE, &file.path, port.pos, object.id(), "metrics port published outside the cluster");
                    }
                }
            }
            "Ingress" => {
                let rules = object.doc.path(&["spec", "rules"]).map(Node::items).unwrap_or_default();
                let paths = rules.iter().flat_map(|r| r.path(&["http", "paths"]).map(Node::items).unwrap_or_default());
                for item in paths {
                    let route = item.entry("path");
                    let metrics_path = route.and_then(|(_, p)| p.as_str()).is_some_and(|p| p.starts_with("/metrics"));
                    let port = item.path(&["backend", "service"]).and_then(|s| s.entry("port"));
                    let metrics_backend = port.is_some_and(|(_, p)| {
                        p.get("number").and_then(Node::as_i64) == Some(9464)
                            || p.get("name").and_then(Node::as_str).is_some_and(|n| n.contains("metrics"))
                    });
                    if metrics_path || metrics_backend {
                        let pos = route.or(port).map(|(k, _)| k.pos).unwrap_or(item.pos);
                        out.add(&RULE, &file.path, pos, object.id(), "Ingress publishes metrics to whoever reaches it");
                    }
                }
            }
            _ => {}
        }
    }
}
