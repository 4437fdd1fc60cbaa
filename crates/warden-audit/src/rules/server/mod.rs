//! The model server's own settings: Warden configs, and the same settings given as flags or WARDEN_* variables.

use super::Check;

pub static CHECKS: &[Check] = &[];
