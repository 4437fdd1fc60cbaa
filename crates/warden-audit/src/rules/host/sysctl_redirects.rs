use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-redirects",
    title: "ICMP redirects accepted or sent",
    severity: Severity::Medium,
    stride: Stride::Tampering,
    threat: Threat::DataLeakage,
    layer: Layer::Host,
    why: "An accepted ICMP redirect lets anyone on the local network re-route the host's traffic through their machine (inference requests, answers, credentials); a host that sends redirects acts as a router it is not.",
    fix: "# /etc/sysctl.d/60-warden.conf\nnet.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.conf.default.accept_redirects = 0\nnet.ipv6.conf.all.accept_redirects = 0\nnet.ipv6.conf.default.accept_redirects = 0\nnet.ipv4.conf.all.send_redirects = 0\nnet.ipv4.conf.default.send_redirects = 0",
    equivalents: &["Lynis KRNL-6000"],
};

const ACCEPT: &str = "an ICMP redirect from the local network can re-route the host's traffic through an attacker";
const SEND: &str = "the host sends ICMP redirects as if it were a router";

pub static KEYS: &[Key] = &[
    Key { key: "net.ipv4.conf.all.accept_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv4.conf.default.accept_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv6.conf.all.accept_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv6.conf.default.accept_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv4.conf.all.secure_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv4.conf.default.secure_redirects", want: Want::Exactly(0), risk: ACCEPT },
    Key { key: "net.ipv4.conf.all.send_redirects", want: Want::Exactly(0), risk: SEND },
    Key { key: "net.ipv4.conf.default.send_redirects", want: Want::Exactly(0), risk: SEND },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
