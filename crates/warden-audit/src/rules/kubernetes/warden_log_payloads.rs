//! Warden logging request bodies: `--log-payloads`, `WARDEN_LOG_PAYLOADS=true`.

use super::warden::{self, LOG_PAYLOADS};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "k8s-warden-log-payloads",
    title: "Warden logs request payloads (log_payloads) in a pod spec",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "log_payloads writes inference request bodies to the log (redacted, but still client data: personal data, documents, features): they end up in the log pipeline, its retention and everyone who can search it. It is a debugging switch, never for production. Read from the pod spec with warden serve's precedence (flag, variable, config file from a ConfigMap).",
    fix: "# remove --log-payloads / WARDEN_LOG_PAYLOADS (the default is false)",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    warden::report_if_on(cx, out, &RULE, LOG_PAYLOADS, "request bodies are logged");
}
