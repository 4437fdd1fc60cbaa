//! `--fail-on`: the severity at or above which `warden scan` and `warden audit`
//! exit 1. One flag type for both, so they read and document it the same way.

use clap::ValueEnum;

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn scan(self) -> warden_scan::Severity {
        use warden_scan::Severity as S;
        match self {
            FailOn::Low => S::Low,
            FailOn::Medium => S::Medium,
            FailOn::High => S::High,
            FailOn::Critical => S::Critical,
        }
    }

    pub fn audit(self) -> warden_audit::Severity {
        use warden_audit::Severity as S;
        match self {
            FailOn::Low => S::Low,
            FailOn::Medium => S::Medium,
            FailOn::High => S::High,
            FailOn::Critical => S::Critical,
        }
    }
}
