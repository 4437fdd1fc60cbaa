use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-metrics-exposed",
    title: "Warden metrics reachable from the network without a token",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "The metrics listener tells anyone who can reach it which models exist, how much traffic each gets, error and rejection rates and which clients are throttled: reconnaissance for extraction or abuse. It is loopback-only by default; on a network address it needs metrics_token_file.",
    fix: "# warden.toml\nmetrics_listen = \"10.0.0.5:9464\"\nmetrics_token_file = \"/etc/warden/metrics.token\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

pub fn assess(s: &Settings) -> Vec<Weakness> {
    let Some(listen) = s.get("metrics_listen") else { return Vec::new() };
    let Some(addr) = settings::address(&listen.value).filter(settings::exposed) else { return Vec::new() };
    if s.get("metrics_token_file").is_some_and(|t| !t.value.is_empty()) {
        return Vec::new();
    }
    vec![Weakness::at(
        listen,
        format!("{}: /metrics on {addr} answers anyone who reaches it (no metrics_token_file)", listen.shown),
    )]
}
