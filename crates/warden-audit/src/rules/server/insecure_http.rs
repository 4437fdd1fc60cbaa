use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-insecure-http",
    title: "Warden serves plain HTTP (TLS off)",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "With insecure_http the API keys, JWTs, model inputs and answers cross the network in clear text, readable and changeable by anyone on the path. It is only defensible on loopback behind a TLS proxy on the same host.",
    fix: "# warden.toml: TLS is on unless insecure_http is set\n[tls]\ncert = \"/etc/warden/tls/server.crt\"\nkey = \"/etc/warden/tls/server.key\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

/// TLS off on a loopback address (on any other address it is warden-plaintext-exposed).
pub fn assess(s: &Settings) -> Vec<Weakness> {
    let Some(setting) = s.get("insecure_http") else { return Vec::new() };
    if settings::truthy(&setting.value) != Some(true) || settings::exposed_listen(s).is_some() {
        return Vec::new();
    }
    vec![Weakness::at(
        setting,
        format!(
            "{}: TLS is off, so API keys and model traffic travel in clear (defensible only behind a TLS proxy on this host)",
            setting.shown
        ),
    )]
}
