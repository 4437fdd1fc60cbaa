//! The image starts Warden with its metrics listener on every interface and no
//! token (`--metrics-listen 0.0.0.0:9464` without `--metrics-token-file`).

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::warden::{all_interfaces, effective, uses_config};

pub static RULE: Rule = Rule {
    id: "docker-warden-metrics-public",
    title: "Image starts Warden with public metrics and no token",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "Warden's metrics listen on loopback by default; on 0.0.0.0 without a token anyone who reaches the port reads model names, traffic, authentication failures and extraction alerts over plain HTTP.",
    fix: "CMD [\"serve\", \"--metrics-listen\", \"0.0.0.0:9464\", \"--metrics-token-file\", \"/run/secrets/metrics_token\"]",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        let Some(listen) = effective(&build, "metrics_listen").filter(|s| all_interfaces(&s.value)) else { continue };
        if effective(&build, "metrics_token_file").is_some() || uses_config(&build) {
            continue;
        }
        let message = format!("{}: metrics on every interface without a token", listen.written);
        out.add(&RULE, &file.path, listen.pos, last.name(), message);
    }
}
