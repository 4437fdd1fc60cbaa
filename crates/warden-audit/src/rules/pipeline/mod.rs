//! CI/CD pipelines: GitHub Actions workflows and actions, GitLab CI.

use super::Check;

pub static CHECKS: &[Check] = &[];
