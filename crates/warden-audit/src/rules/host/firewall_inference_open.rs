//! A model server's ports accepted from any address. The ports are the inference
//! and metrics ports of Warden (8443, 9464), Triton (8000-8002) and TensorFlow
//! Serving (8500, 8501), plus the port of every `listen` and `metrics_listen` in
//! the Warden configs of the same set.

use super::firewall;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-firewall-inference-open",
    title: "Inference or metrics port open to any address",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "A model's API open to the whole internet invites credential stuffing, scraping for model extraction and denial of service; only the load balancer or the client networks need to reach it.",
    fix: "ufw allow from 10.30.0.0/24 to any port 8443 proto tcp\n# nftables:\nip saddr 10.30.0.0/24 tcp dport 8443 accept",
    equivalents: &[],
};

/// Ports model servers listen on by default.
pub const SERVING_PORTS: &[u16] = &[8443, 9464, 8000, 8001, 8002, 8500, 8501];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let mut ports = SERVING_PORTS.to_vec();
    ports.extend(crate::rules::server::settings::listen_ports(cx));
    ports.sort_unstable();
    ports.dedup();
    for (file, fw) in firewall::all(cx) {
        for allow in fw.allows.iter().filter(|a| a.anywhere) {
            let open = allow.covers(&ports);
            if open.is_empty() {
                continue;
            }
            let list: Vec<String> = open.iter().map(u16::to_string).collect();
            let message = format!(
                "`{}` accepts model-serving port {} from any address; allow only the load balancer or client networks",
                allow.text,
                list.join(", ")
            );
            out.add(&RULE, &file.path, allow.pos, format!("firewall port {}", list.join(",")), message);
        }
    }
}
