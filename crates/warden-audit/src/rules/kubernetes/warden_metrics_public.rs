//! Warden's metrics listener on every interface without a token.

use super::warden::{self, Lookup, METRICS_LISTEN, METRICS_TOKEN_FILE};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::rules::server::settings;

pub static RULE: Rule = Rule {
    id: "k8s-warden-metrics-public",
    title: "Warden metrics listen on every interface without a token in a pod spec",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "Warden's metrics listen on loopback by default. A pod that moves them to 0.0.0.0 or [::] (so Prometheus can scrape them) publishes them to every pod that can reach it, over plain HTTP: model names, traffic, authentication failures and extraction alerts. Set metrics_token_file so /metrics requires a bearer token, and let a NetworkPolicy admit only the monitoring namespace to the port.",
    fix: "args:\n  - --metrics-listen=0.0.0.0:9464\n  - --metrics-token-file=/etc/warden/metrics/token   # a Secret mounted read-only",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in warden::containers(cx) {
        let Lookup::Set(listen) = warden::setting(cx, &c, METRICS_LISTEN) else { continue };
        if settings::address(&listen.value).is_some_and(|a| settings::exposed(&a))
            && matches!(warden::setting(cx, &c, METRICS_TOKEN_FILE), Lookup::Default)
        {
            out.add(
                &RULE,
                &listen.file.path,
                listen.pos,
                c.subject(),
                format!("{}: metrics answer anyone who reaches the pod, without a token", listen.source),
            );
        }
    }
}
