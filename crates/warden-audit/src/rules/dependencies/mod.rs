//! Dependencies: packages with a known vulnerability in the OSV data given.

use super::Check;

mod vulnerable;

pub static CHECKS: &[Check] = &[Check { rule: &vulnerable::RULE, run: vulnerable::check }];
