//! Warden started with TLS off: `--insecure-http`, `WARDEN_INSECURE_HTTP=true`, or
//! `insecure_http = true` in its config file from a ConfigMap.

use super::warden::{self, INSECURE_HTTP};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-warden-insecure-http",
    title: "Warden serves plain HTTP (insecure_http) in a pod spec",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "insecure_http turns TLS off: API keys, bearer tokens, inference inputs and predictions cross the pod network in clear text, readable by any workload that can sniff it or sit in the path (a compromised node, a mesh sidecar). Read from the pod spec with warden serve's precedence: flag, then variable (env, a ConfigMap key, envFrom), then the config file mounted from a ConfigMap.",
    fix: "# remove --insecure-http / WARDEN_INSECURE_HTTP; mount a certificate:\nargs: [serve, --tls-cert, /etc/warden/tls/tls.crt, --tls-key, /etc/warden/tls/tls.key]",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    warden::report_if_on(cx, out, &RULE, INSECURE_HTTP, "Warden serves plain HTTP");
}
