use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-plaintext-exposed",
    title: "Warden serves plain HTTP on a network address",
    severity: Severity::Critical,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "Plain HTTP on an address other hosts reach sends every API key, token, input and answer over the network in clear: anyone on the path reads the credentials and can replay them, or changes the answers.",
    fix: "# warden.toml\nlisten = \"0.0.0.0:8443\"\n# and no insecure_http: TLS with your certificate\n[tls]\ncert = \"/etc/warden/tls/server.crt\"\nkey = \"/etc/warden/tls/server.key\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

/// TLS off while `listen` is not a loopback address; reported at `listen`.
pub fn assess(s: &Settings) -> Vec<Weakness> {
    let Some(insecure) = s.get("insecure_http").filter(|i| settings::truthy(&i.value) == Some(true)) else {
        return Vec::new();
    };
    let Some((listen, addr)) = settings::exposed_listen(s) else { return Vec::new() };
    let message = format!(
        "{} with {}: plain HTTP on {addr}, which other hosts reach; credentials and model traffic can be read and replayed",
        listen.shown, insecure.shown
    );
    vec![Weakness::at(listen, message)]
}
