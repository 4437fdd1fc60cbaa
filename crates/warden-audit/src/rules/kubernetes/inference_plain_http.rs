//! The inference API served without TLS: a Service port that speaks plain HTTP to
//! a model server, or an Ingress routing to one without a `tls` entry.

use super::util::{Container, Pod, find, model_servers, namespace, pods, service_selects, strings};
use super::warden::{self, INSECURE_HTTP, Lookup};
use crate::context::Context;
use crate::finding::Findings;
use crate::kubernetes::Object;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-inference-plain-http",
    title: "Inference API exposed without TLS",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Kubernetes,
    why: "Over plain HTTP, API keys, tokens, the inputs clients send and the predictions they get back cross the network readable and changeable by anyone on the path. Reported for a Service port that selects a model server (see k8s-model-server-ingress-open for how one is recognised) and is named http or http-* or has appProtocol http or h2c, or any port of a Service selecting Warden started with --insecure-http; and for an Ingress routing to such a Service with no tls entry for the host. A Warden server that keeps TLS on serves HTTPS whatever the port's name; metrics ports are k8s-metrics-exposed's.",
    fix: "ports:\n  - name: https\n    port: 443\n    targetPort: 8443\n    appProtocol: https\n# and on the Ingress:\ntls:\n  - hosts: [models.example.com]\n    secretName: models-tls",
    equivalents: &[],
};

/// True for a port that serves metrics, not inference.
pub fn metrics_port(port: &Node) -> bool {
    let name = port.get("name").and_then(Node::as_str).unwrap_or_default();
    let numbers = [port.get("port"), port.get("targetPort")];
    name.contains("metrics")
        || numbers
            .iter()
            .flatten()
            .any(|n| n.as_i64() == Some(9464) || n.as_str().is_some_and(|s| s.contains("metrics")))
}

/// Every model-serving pod of the set with its model-serving containers, found
/// once per run: Services and Ingresses are matched against it.
struct Models<'a>(Vec<(Pod<'a>, Vec<Container<'a>>)>);

impl<'a> Models<'a> {
    fn of(cx: &Context<'a>) -> Models<'a> {
        Models(pods(cx).into_iter().map(|p| (p, model_servers(cx, p))).filter(|(_, c)| !c.is_empty()).collect())
    }

    /// The model-serving containers a Service sends traffic to.
    fn served(&self, service: &Object) -> Vec<Container<'a>> {
        let selector = service.doc.path(&["spec", "selector"]);
        self.0
            .iter()
            .filter(|(p, _)| p.namespace() == namespace(service) && service_selects(selector, p.labels()))
            .flat_map(|(_, containers)| containers.iter().copied())
            .collect()
    }
}

/// How a Service port says it speaks plain HTTP, if it does.
fn plain_port(port: &Node) -> Option<(&Node, String)> {
    if let Some((key, protocol)) = port.entry("appProtocol") {
        let p = protocol.as_str().unwrap_or_default().to_ascii_lowercase();
        return matches!(p.as_str(), "http" | "h2c" | "kubernetes.io/h2c").then(|| (key, format!("appProtocol {p}")));
    }
    let (key, name) = port.entry("name")?;
    let name = name.as_str()?;
    (name == "http" || name.starts_with("http-")).then(|| (key, format!("port named {name}")))
}

fn check_service(cx: &Context<'_>, models: &Models<'_>, path: &str, service: &Object, out: &mut Findings) {
    let servers = models.served(service);
    if servers.is_empty() {
        return;
    }
    let insecure: Vec<String> = servers
        .iter()
        .filter_map(|c| match warden::setting(cx, c, INSECURE_HTTP) {
            Lookup::Set(found) if found.truthy() == Some(true) => Some(found.source),
            _ => None,
        })
        .collect();
    // Warden with TLS on serves HTTPS whatever the port is called.
    let all_tls_warden = servers.iter().all(|c| warden::is_warden(cx, c)) && insecure.is_empty();
    for port in service.doc.path(&["spec", "ports"]).map(Node::items).unwrap_or_default() {
        if metrics_port(port) {
            continue;
        }
        if let Some(setting) = insecure.first() {
            out.add(
                &RULE,
                path,
                port.pos,
                service.id(),
                format!("Service sends this port to Warden started with {setting}: plain HTTP"),
            );
        } else if let Some((key, how)) = plain_port(port).filter(|_| !all_tls_warden) {
            out.add(
                &RULE,
                path,
                key.pos,
                service.id(),
                format!("{how} carries the model server's API over plain HTTP"),
            );
        }
    }
}

fn check_ingress(cx: &Context<'_>, models: &Models<'_>, path: &str, ingress: &Object, out: &mut Findings) {
    let Some(spec) = ingress.doc.get("spec") else { return };
    let tls = spec.get("tls").map(Node::items).unwrap_or_default();
    let covered = |host: Option<&str>| {
        tls.iter().any(|t| {
            let hosts = strings(t.get("hosts"));
            hosts.is_empty() || host.is_some_and(|h| hosts.iter().any(|(_, x)| *x == h))
        })
    };
    let to_model = |backend: &Node| {
        let name = backend.path(&["service", "name"]).or_else(|| backend.get("serviceName")).and_then(Node::as_str);
        name.and_then(|n| find(cx, "Service", namespace(ingress), n)).is_some_and(|(_, s)| !models.served(s).is_empty())
    };
    for rule in spec.get("rules").map(Node::items).unwrap_or_default() {
        let host = rule.get("host").and_then(Node::as_str);
        let paths = rule.path(&["http", "paths"]).map(Node::items).unwrap_or_default();
        if covered(host) || !paths.iter().any(|p| p.get("backend").is_some_and(to_model)) {
            continue;
        }
        let pos = rule.entry("host").map(|(k, _)| k.pos).unwrap_or(rule.pos);
        let shown = host.unwrap_or("every host");
        out.add(
            &RULE,
            path,
            pos,
            ingress.id(),
            format!("Ingress routes {shown} to a model server over plain HTTP: no tls entry covers it"),
        );
    }
    if let Some((key, backend)) = spec.entry("defaultBackend")
        && tls.is_empty()
        && to_model(backend)
    {
        out.add(
            &RULE,
            path,
            key.pos,
            ingress.id(),
            "Ingress sends unmatched requests to a model server over plain HTTP: no tls entry",
        );
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let models = Models::of(cx);
    for (file, object) in cx.objects() {
        match object.kind.as_str() {
            "Service" => check_service(cx, &models, &file.path, object, out),
            "Ingress" => check_ingress(cx, &models, &file.path, object, out),
            _ => {}
        }
    }
}
