//! Kubernetes manifests: pod security, exposure, network policy, secrets, RBAC, and
//! what a model-serving workload needs.

use super::Check;

mod privileged;

pub static CHECKS: &[Check] = &[Check { rule: &privileged::RULE, run: privileged::check }];
