use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-aslr",
    title: "Address space layout randomisation weakened",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "Without full ASLR (kernel.randomize_va_space = 2) the stack, heap and libraries of the model server and its native parsers sit at guessable addresses, which turns a memory bug in a model or tensor parser into a reliable exploit.",
    fix: "# /etc/sysctl.d/60-warden.conf\nkernel.randomize_va_space = 2",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[Key {
    key: "kernel.randomize_va_space",
    want: Want::Exactly(2),
    risk: "stack, heap and mmap addresses become predictable, which makes memory bugs easier to exploit",
}];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
