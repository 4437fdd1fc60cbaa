//! Dockerfiles and Containerfiles.

use super::Check;

pub static CHECKS: &[Check] = &[];
