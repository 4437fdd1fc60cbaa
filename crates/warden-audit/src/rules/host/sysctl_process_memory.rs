use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-process-memory",
    title: "Process memory readable through ptrace or core dumps",
    severity: Severity::Medium,
    stride: Stride::InformationDisclosure,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "The model server holds the model weights, TLS keys and API key hashes in memory. With ptrace unrestricted any process of the same user can read that memory; with setuid core dumps on, a crash writes it to disk.",
    fix: "# /etc/sysctl.d/60-warden.conf\nkernel.yama.ptrace_scope = 1\nfs.suid_dumpable = 0",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[
    Key {
        key: "kernel.yama.ptrace_scope",
        want: Want::AtLeast(1),
        risk: "any process of the same user can attach to the model server and read its memory (weights, keys)",
    },
    Key {
        key: "fs.suid_dumpable",
        want: Want::Exactly(0),
        risk: "privileged processes write core dumps holding their memory (keys, weights) to disk",
    },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
