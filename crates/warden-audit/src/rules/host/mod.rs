//! Host files: sysctl, sshd, firewall rules, systemd units.

use super::Check;

pub static CHECKS: &[Check] = &[];
