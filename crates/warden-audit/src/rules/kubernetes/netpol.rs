//! NetworkPolicies as the cluster applies them to a pod: those of its namespace
//! whose `podSelector` selects its labels (an empty selector selects every pod),
//! each restricting ingress, egress or both (`policyTypes`, or by default ingress
//! always and egress when the policy has an `egress` section).

use super::util::{Pod, namespace, selector_matches, strings};
use crate::context::Context;
use crate::input::File;
use crate::kubernetes::Object;
use crate::yaml::Node;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn section(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    fn peers(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// One NetworkPolicy of the set.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub file: &'a File,
    pub object: &'a Object,
}

impl<'a> Policy<'a> {
    fn spec(&self) -> Option<&'a Node> {
        self.object.doc.get("spec")
    }

    /// True when the policy restricts traffic in `direction`.
    pub fn restricts(&self, direction: Direction) -> bool {
        let Some(spec) = self.spec() else { return direction == Direction::Ingress };
        match spec.get("policyTypes") {
            Some(types) => strings(Some(types)).iter().any(|(_, t)| *t == direction.type_name()),
            None => direction == Direction::Ingress || spec.get("egress").is_some(),
        }
    }

    /// The rules of the policy that let any address through in `direction`: a rule
    /// with no peers, or with an ipBlock of the whole IPv4 or IPv6 space.
    pub fn open_rules(&self, direction: Direction) -> Vec<(&'a Node, &'static str)> {
        let rules = self.spec().and_then(|s| s.get(direction.section())).map(Node::items).unwrap_or_default();
        rules.iter().filter_map(|rule| open_rule(rule, direction).map(|why| (rule, why))).collect()
    }
}

fn open_rule(rule: &Node, direction: Direction) -> Option<&'static str> {
    let peers = rule.get(direction.peers()).map(Node::items).unwrap_or_default();
    if peers.is_empty() {
        return Some(match direction {
            Direction::Ingress => "a rule with no `from` admits every source",
            Direction::Egress => "a rule with no `to` lets traffic out to any address",
        });
    }
    let everywhere =
        |p: &Node| p.path(&["ipBlock", "cidr"]).and_then(Node::as_str).is_some_and(|c| c == "0.0.0.0/0" || c == "::/0");
    peers.iter().any(everywhere).then_some("an ipBlock of 0.0.0.0/0 (or ::/0) covers every address")
}

/// The NetworkPolicies that select `pod`.
pub fn selecting<'a>(cx: &Context<'a>, pod: &Pod<'_>) -> Vec<Policy<'a>> {
    let ns = pod.namespace();
    cx.objects()
        .filter(|(_, o)| o.kind == "NetworkPolicy" && namespace(o) == ns)
        .filter(|(_, o)| selector_matches(o.doc.path(&["spec", "podSelector"]), pod.labels()))
        .map(|(file, object)| Policy { file, object })
        .collect()
}
