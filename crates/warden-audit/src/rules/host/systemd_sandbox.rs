//! A model server's unit without systemd's sandbox: the server parses untrusted
//! requests and, often, model files, so a bug in a parser should land in a process
//! that cannot write the system, see home directories, load kernel modules, open
//! raw sockets or call unusual system calls. One finding per unit, listing what is
//! missing; a drop-in without its unit is not judged (it only adds to a unit the
//! set does not show).

use super::systemd::{self, Unit};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-systemd-sandbox",
    title: "Model server unit without systemd sandboxing",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "A model server parses untrusted requests and model files; systemd's sandbox keeps a compromised server from writing the system, reading home directories, loading kernel modules or gaining privileges, at no cost to the server.",
    fix: "[Service]\nNoNewPrivileges=yes\nProtectSystem=strict\nReadWritePaths=/var/lib/warden\nProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes   # GPUs: DevicePolicy=closed + DeviceAllow=/dev/nvidia0 rw\nProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\nSystemCallFilter=@system-service\nCapabilityBoundingSet=",
    equivalents: &["systemd-analyze security"],
};

/// A setting the sandbox needs, and whether a value satisfies it.
struct Need {
    key: &'static str,
    wanted: &'static str,
    ok: fn(&str) -> bool,
}

fn yes(v: &str) -> bool {
    systemd::yes(v)
}

fn set(v: &str) -> bool {
    !v.trim().is_empty()
}

const NEEDS: &[Need] = &[
    Need { key: "NoNewPrivileges", wanted: "yes", ok: yes },
    Need { key: "ProtectSystem", wanted: "strict", ok: |v| v.trim() == "strict" },
    Need { key: "ProtectHome", wanted: "yes", ok: |v| yes(v) || matches!(v.trim(), "read-only" | "tmpfs") },
    Need { key: "PrivateTmp", wanted: "yes", ok: yes },
    Need { key: "ProtectKernelTunables", wanted: "yes", ok: yes },
    Need { key: "ProtectKernelModules", wanted: "yes", ok: yes },
    Need { key: "ProtectKernelLogs", wanted: "yes", ok: yes },
    Need { key: "RestrictAddressFamilies", wanted: "AF_INET AF_INET6 AF_UNIX", ok: set },
    Need { key: "SystemCallFilter", wanted: "@system-service", ok: set },
];

/// What `unit` lacks, as `Key=wanted` (or `Key=wanted (is value)`).
fn missing(unit: &Unit<'_>) -> Vec<String> {
    let dynamic = unit.service("DynamicUser").is_some_and(|(_, e)| yes(&e.value));
    let mut out = Vec::new();
    for need in NEEDS {
        let value = unit.service(need.key).map(|(_, e)| e.value.clone());
        // DynamicUser=yes implies ProtectSystem=strict, ProtectHome=read-only and PrivateTmp=yes.
        let implied = dynamic && matches!(need.key, "ProtectSystem" | "ProtectHome" | "PrivateTmp");
        match value {
            Some(v) if (need.ok)(&v) => {}
            None if implied => {}
            Some(v) => out.push(format!("{}={} (is {v})", need.key, need.wanted)),
            None => out.push(format!("{}={}", need.key, need.wanted)),
        }
    }
    let devices = unit.service("PrivateDevices").is_some_and(|(_, e)| yes(&e.value))
        || unit.service("DevicePolicy").is_some_and(|(_, e)| matches!(e.value.trim(), "closed" | "strict"));
    if !devices {
        out.push("PrivateDevices=yes (or DevicePolicy=closed with DeviceAllow= for GPUs)".into());
    }
    match unit.service("CapabilityBoundingSet").map(|(_, e)| e.value.clone()) {
        Some(v) if v.split_whitespace().all(|c| c == "CAP_NET_BIND_SERVICE") => {}
        Some(v) => out.push(format!("CapabilityBoundingSet= (is {v})")),
        None => out.push("CapabilityBoundingSet= (empty)".into()),
    }
    out
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for unit in systemd::units(cx).iter().filter(|u| u.complete) {
        let Some((server, _, _)) = unit.server() else { continue };
        let lacking = missing(unit);
        if lacking.is_empty() {
            continue;
        }
        let (file, pos) = unit.header();
        let message = format!("{} runs {server} without: {}", unit.name(), lacking.join(", "));
        out.add(&RULE, &file.path, pos, format!("systemd unit {}", unit.name()), message);
    }
}
