use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-kernel-pointers",
    title: "Kernel addresses and logs readable by unprivileged users",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "Kernel pointers in /proc and the kernel log (dmesg) let a process that has broken out of the model server defeat KASLR on its way to root.",
    fix: "# /etc/sysctl.d/60-warden.conf\nkernel.kptr_restrict = 2\nkernel.dmesg_restrict = 1",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[
    Key {
        key: "kernel.kptr_restrict",
        want: Want::Exactly(2),
        risk: "kernel addresses show in /proc/kallsyms and elsewhere, defeating KASLR",
    },
    Key {
        key: "kernel.dmesg_restrict",
        want: Want::Exactly(1),
        risk: "any user can read the kernel log, with its addresses and hardware details",
    },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
