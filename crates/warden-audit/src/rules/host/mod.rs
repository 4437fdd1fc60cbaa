//! Host files: sysctl, sshd, firewall rules, systemd units, and (live mode) the
//! permissions of key and model files.

use super::Check;
use crate::yaml::Pos;

mod file_permissions;
pub mod firewall;
mod firewall_default_allow;
mod firewall_inference_open;
mod firewall_ssh_open;
pub mod sshd;
mod sshd_empty_passwords;
mod sshd_forwarding;
mod sshd_log_level;
mod sshd_max_auth_tries;
mod sshd_password_auth;
mod sshd_root_login;
mod sshd_timeouts;
pub mod sysctl;
mod sysctl_aslr;
mod sysctl_kernel_pointers;
mod sysctl_log_martians;
mod sysctl_process_memory;
mod sysctl_protected_files;
mod sysctl_redirects;
mod sysctl_spoofing;
mod sysctl_syncookies;
mod sysctl_sysrq;
pub mod systemd;
mod systemd_root;
mod systemd_sandbox;

pub static CHECKS: &[Check] = &[
    Check { rule: &sysctl_aslr::RULE, run: sysctl_aslr::check },
    Check { rule: &sysctl_kernel_pointers::RULE, run: sysctl_kernel_pointers::check },
    Check { rule: &sysctl_process_memory::RULE, run: sysctl_process_memory::check },
    Check { rule: &sysctl_sysrq::RULE, run: sysctl_sysrq::check },
    Check { rule: &sysctl_protected_files::RULE, run: sysctl_protected_files::check },
    Check { rule: &sysctl_redirects::RULE, run: sysctl_redirects::check },
    Check { rule: &sysctl_spoofing::RULE, run: sysctl_spoofing::check },
    Check { rule: &sysctl_log_martians::RULE, run: sysctl_log_martians::check },
    Check { rule: &sysctl_syncookies::RULE, run: sysctl_syncookies::check },
    Check { rule: &sshd_root_login::RULE, run: sshd_root_login::check },
    Check { rule: &sshd_root_login::RULE_KEY, run: sshd_root_login::check_key },
    Check { rule: &sshd_password_auth::RULE, run: sshd_password_auth::check },
    Check { rule: &sshd_empty_passwords::RULE, run: sshd_empty_passwords::check },
    Check { rule: &sshd_max_auth_tries::RULE, run: sshd_max_auth_tries::check },
    Check { rule: &sshd_forwarding::RULE, run: sshd_forwarding::check },
    Check { rule: &sshd_timeouts::RULE, run: sshd_timeouts::check },
    Check { rule: &sshd_log_level::RULE, run: sshd_log_level::check },
    Check { rule: &firewall_default_allow::RULE, run: firewall_default_allow::check },
    Check { rule: &firewall_inference_open::RULE, run: firewall_inference_open::check },
    Check { rule: &firewall_ssh_open::RULE, run: firewall_ssh_open::check },
    Check { rule: &systemd_sandbox::RULE, run: systemd_sandbox::check },
    Check { rule: &systemd_root::RULE, run: systemd_root::check },
    Check { rule: &file_permissions::RULE, run: file_permissions::check },
];

/// Line `line` (1-based) of `text`, at its first non-blank character.
pub fn line_pos(text: &str, line: usize) -> Pos {
    let raw = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    Pos { line, col: raw.len() - raw.trim_start().len() + 1 }
}

#[cfg(test)]
mod tests {
    /// Live mode reads every key a sysctl rule checks.
    #[test]
    fn live_mode_reads_every_checked_sysctl_key() {
        let tables = [
            super::sysctl_aslr::KEYS,
            super::sysctl_kernel_pointers::KEYS,
            super::sysctl_process_memory::KEYS,
            super::sysctl_sysrq::KEYS,
            super::sysctl_protected_files::KEYS,
            super::sysctl_redirects::KEYS,
            super::sysctl_spoofing::KEYS,
            super::sysctl_log_martians::KEYS,
            super::sysctl_syncookies::KEYS,
        ];
        for key in tables.iter().flat_map(|t| t.iter()) {
            assert!(crate::live::SYSCTL_KEYS.contains(&key.key), "{} is not read in live mode", key.key);
        }
    }
}
