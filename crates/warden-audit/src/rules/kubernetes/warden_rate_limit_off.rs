//! Warden's per-identity rate limit turned off: `--limits-rate off`,
//! `WARDEN_LIMITS_RATE=off`, `[limits] rate = "off"`.

use super::warden::{self, LIMITS_RATE, Lookup};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-warden-rate-limit-off",
    title: "Warden rate limit turned off (limits.rate off) in a pod spec",
    severity: Severity::Medium,
    stride: Stride::DenialOfService,
    threat: Threat::ModelTheft,
    layer: Layer::Server,
    why: "The per-identity rate limit is what makes model extraction by many queries slow and expensive, and what stops one client from taking the server's whole capacity. With limits.rate off, any valid key can query as fast as the server answers. Read from the pod spec with warden serve's precedence (flag, variable, config file from a ConfigMap).",
    fix: "args: [serve, --limits-rate, 100/s]   # or leave it out: the default is 100/s",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in warden::containers(cx) {
        if let Lookup::Set(found) = warden::setting(cx, &c, LIMITS_RATE)
            && found.value.trim().eq_ignore_ascii_case("off")
        {
            out.add(
                &RULE,
                &found.file.path,
                found.pos,
                c.subject(),
                format!("{}: no per-identity rate limit", found.source),
            );
        }
    }
}
