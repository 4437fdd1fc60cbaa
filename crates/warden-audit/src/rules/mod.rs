//! Every rule, one file each, in a folder per layer: its metadata (`RULE`) and its
//! check. Each folder's `mod.rs` lists its checks in `CHECKS`; ids are stable
//! (baselines and SARIF depend on them).

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::Rule;

mod container;
mod dependencies;
mod host;
mod kubernetes;
mod pipeline;
mod server;

/// A rule and the function that applies it to the whole input set.
pub struct Check {
    pub rule: &'static Rule,
    pub run: fn(&Context<'_>, &mut Findings),
}

/// Every check, layer by layer.
pub fn all() -> impl Iterator<Item = &'static Check> {
    [kubernetes::CHECKS, container::CHECKS, pipeline::CHECKS, host::CHECKS, server::CHECKS, dependencies::CHECKS]
        .into_iter()
        .flatten()
}

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    all().map(|c| c.rule).find(|r| r.id.eq_ignore_ascii_case(id))
}
