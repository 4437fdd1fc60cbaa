//! The shipped image has no `HEALTHCHECK` (or `HEALTHCHECK NONE`): Docker, Compose
//! and Swarm cannot tell a wedged model server from a healthy one.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{at, builds};

pub static RULE: Rule = Rule {
    id: "docker-no-healthcheck",
    title: "No HEALTHCHECK in the final image",
    severity: Severity::Low,
    stride: Stride::DenialOfService,
    threat: Threat::UnsecuredApi,
    layer: Layer::Container,
    why: "Without a health check a server that is up but not answering (model failed to load, deadlock) keeps receiving traffic; Kubernetes uses probes instead, but Docker, Compose and Swarm need this.",
    fix: "HEALTHCHECK --interval=30s --timeout=3s --retries=3 \\\n  CMD [\"curl\", \"-fsS\", \"--cacert\", \"/etc/warden/tls/ca.pem\", \"https://localhost:8443/v2/health/ready\"]",
    equivalents: &["CKV_DOCKER_2", "DS026"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        let health = build.shipped_steps().filter(|s| s.keyword() == "HEALTHCHECK").last();
        let message = match health {
            Some(h) if h.ins.args.trim().eq_ignore_ascii_case("NONE") => {
                "HEALTHCHECK NONE turns the base image's health check off"
            }
            Some(_) => continue,
            None => "the final stage has no HEALTHCHECK",
        };
        let pos = health.map_or(at(last.from), |h| h.pos());
        out.add(&RULE, &file.path, pos, last.name(), message);
    }
}
