use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-log-martians",
    title: "Impossible-source packets not logged",
    severity: Severity::Low,
    stride: Stride::Repudiation,
    threat: Threat::UnsecuredApi,
    layer: Layer::Host,
    why: "Martian packets (source addresses that cannot be right) are the trace of spoofing attempts; without log_martians they leave no record for an investigation.",
    fix: "# /etc/sysctl.d/60-warden.conf\nnet.ipv4.conf.all.log_martians = 1\nnet.ipv4.conf.default.log_martians = 1",
    equivalents: &["Lynis KRNL-6000"],
};

const RISK: &str = "packets with impossible source addresses are dropped without a trace";

pub static KEYS: &[Key] = &[
    Key { key: "net.ipv4.conf.all.log_martians", want: Want::Exactly(1), risk: RISK },
    Key { key: "net.ipv4.conf.default.log_martians", want: Want::Exactly(1), risk: RISK },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
