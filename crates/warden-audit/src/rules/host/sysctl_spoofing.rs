use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-spoofing",
    title: "Source-routed or spoofed packets accepted",
    severity: Severity::Medium,
    stride: Stride::Spoofing,
    threat: Threat::UnsecuredApi,
    layer: Layer::Host,
    why: "Source routing lets a sender choose the path back to itself, and without reverse-path filtering the host accepts packets whose source address could not have come from that interface: both help an attacker pass as a trusted address that a firewall rule or the API allows.",
    fix: "# /etc/sysctl.d/60-warden.conf\nnet.ipv4.conf.all.accept_source_route = 0\nnet.ipv4.conf.default.accept_source_route = 0\nnet.ipv6.conf.all.accept_source_route = 0\nnet.ipv6.conf.default.accept_source_route = 0\nnet.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.default.rp_filter = 1",
    equivalents: &["Lynis KRNL-6000"],
};

const SOURCE_ROUTE: &str = "source-routed packets are accepted, so a sender can pass as a trusted address";
const RP_FILTER: &str =
    "strict reverse-path filtering is off, so packets with a source address impossible on that interface are accepted";

pub static KEYS: &[Key] = &[
    Key { key: "net.ipv4.conf.all.accept_source_route", want: Want::Exactly(0), risk: SOURCE_ROUTE },
    Key { key: "net.ipv4.conf.default.accept_source_route", want: Want::Exactly(0), risk: SOURCE_ROUTE },
    Key { key: "net.ipv6.conf.all.accept_source_route", want: Want::Exactly(0), risk: SOURCE_ROUTE },
    Key { key: "net.ipv6.conf.default.accept_source_route", want: Want::Exactly(0), risk: SOURCE_ROUTE },
    Key { key: "net.ipv4.conf.all.rp_filter", want: Want::Exactly(1), risk: RP_FILTER },
    Key { key: "net.ipv4.conf.default.rp_filter", want: Want::Exactly(1), risk: RP_FILTER },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
