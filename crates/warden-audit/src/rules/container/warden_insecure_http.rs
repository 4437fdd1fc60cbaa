//! The image starts Warden with plain HTTP: `--insecure-http` or
//! `WARDEN_INSECURE_HTTP=true`.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::warden::{effective, truthy};

pub static RULE: Rule = Rule {
    id: "docker-warden-insecure-http",
    title: "Image starts Warden with plain HTTP",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "With --insecure-http API keys, bearer tokens and model inputs and outputs cross the network in clear text, readable and changeable by anyone on the path.",
    fix: "# drop --insecure-http; mount a certificate instead\nENV WARDEN_TLS_CERT=/etc/warden/tls/tls.crt WARDEN_TLS_KEY=/etc/warden/tls/tls.key",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        if let Some(s) = effective(&build, "insecure_http").filter(|s| truthy(&s.value)) {
            let message = format!("{}: Warden serves plain HTTP, credentials and model data in clear text", s.written);
            out.add(&RULE, &file.path, s.pos, last.name(), message);
        }
    }
}
