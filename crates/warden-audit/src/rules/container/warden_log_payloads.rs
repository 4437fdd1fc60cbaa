//! The image starts Warden logging request bodies: `--log-payloads` or
//! `WARDEN_LOG_PAYLOADS=true`.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::warden::{effective, truthy};

pub static RULE: Rule = Rule {
    id: "docker-warden-log-payloads",
    title: "Image starts Warden logging request payloads",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "log_payloads is for debugging: request bodies (client data, possibly personal data) go to the logs, redacted but still there, and logs travel to more places and people than the API does.",
    fix: "# remove --log-payloads / WARDEN_LOG_PAYLOADS from the image; turn it on for one debugging session only",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        if let Some(s) = effective(&build, "log_payloads").filter(|s| truthy(&s.value)) {
            let message = format!("{}: Warden logs request bodies (client data)", s.written);
            out.add(&RULE, &file.path, s.pos, last.name(), message);
        }
    }
}
