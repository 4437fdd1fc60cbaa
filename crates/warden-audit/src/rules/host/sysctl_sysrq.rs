use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-sysrq",
    title: "Magic SysRq key enabled",
    severity: Severity::Low,
    stride: Stride::DenialOfService,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "The SysRq key (and /proc/sysrq-trigger) can reboot, kill every process or dump memory state from the console, bypassing every control of the model server.",
    fix: "# /etc/sysctl.d/60-warden.conf\nkernel.sysrq = 0",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[Key {
    key: "kernel.sysrq",
    want: Want::Exactly(0),
    risk: "the console keyboard and /proc/sysrq-trigger can reboot the host or kill every process",
}];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
