use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-syncookies",
    title: "TCP SYN cookies off",
    severity: Severity::Medium,
    stride: Stride::DenialOfService,
    threat: Threat::UnsecuredApi,
    layer: Layer::Host,
    why: "Without SYN cookies a SYN flood fills the listen queue of the inference port and legitimate clients cannot connect, however well the server itself limits requests.",
    fix: "# /etc/sysctl.d/60-warden.conf\nnet.ipv4.tcp_syncookies = 1",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[Key {
    key: "net.ipv4.tcp_syncookies",
    want: Want::Exactly(1),
    risk: "a SYN flood can fill the listen queue of the inference port",
}];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
