//! Tree ensembles as the model file states them, read from either attribute
//! schema (TreeEnsembleClassifier/Regressor, ai.onnx.ml opsets 1 and 3; and
//! TreeEnsemble, opset 5) into one form, checked so that no crafted model can make
//! evaluation loop, index out of bounds or panic.

use std::collections::HashMap;

use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use crate::ml::attrs::Attrs;

/// How a branch compares a feature with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
    /// The feature is one of a set of values (opset 5).
    Member,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        Some(match name {
            "BRANCH_LEQ" => Mode::Leq,
            "BRANCH_LT" => Mode::Lt,
            "BRANCH_GTE" => Mode::Gte,
            "BRANCH_GT" => Mode::Gt,
            "BRANCH_EQ" => Mode::Eq,
            "BRANCH_NEQ" => Mode::Neq,
            _ => return None,
        })
    }

    fn from_v5(code: u8) -> Option<Mode> {
        Some(match code {
            0 => Mode::Leq,
            1 => Mode::Lt,
            2 => Mode::Gte,
            3 => Mode::Gt,
            4 => Mode::Eq,
            5 => Mode::Neq,
            6 => Mode::Member,
            _ => return None,
        })
    }
}

/// Where a branch leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Child {
    Branch(usize),
    Leaf(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub feature: usize,
    pub mode: Mode,
    pub threshold: f64,
    /// The values of a `Member` branch.
    pub set: Vec<f64>,
    /// A missing (NaN) feature takes the true branch.
    pub missing_true: bool,
    pub yes: Child,
    pub no: Child,
}

/// Aggregation of the trees' votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

impl Aggregate {
    fn parse(name: &str) -> Option<Aggregate> {
        Some(match name {
            "SUM" => Aggregate::Sum,
            "AVERAGE" => Aggregate::Average,
            "MIN" => Aggregate::Min,
            "MAX" => Aggregate::Max,
            _ => return None,
        })
    }
}

/// A whole ensemble: branches and leaves in arenas, trees as their roots.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub branches: Vec<Branch>,
    /// Each leaf's (target or class, weight) pairs, in the order the file gives them.
    pub leaves: Vec<Vec<(usize, f64)>>,
    pub roots: Vec<Child>,
    pub n_targets: usize,
    pub aggregate: Aggregate,
    pub base_values: Vec<f64>,
    /// Thresholds and weights were given as doubles: compare and sum in f64.
    pub double: bool,
}

/// Reads TreeEnsembleClassifier (`classifier`) or TreeEnsembleRegressor, opsets 1 and 3.
pub fn read_v3(node: &NodeProto, classifier: bool, n_targets: usize) -> TractResult<Spec> {
    let a = Attrs::new(node);
    let tree_ids = a.ints("nodes_treeids");
    let node_ids = a.ints("nodes_nodeids");
    let features = a.ints("nodes_featureids");
    let modes = a.strings("nodes_modes")?;
    let values = a.reals("nodes_values")?;
    let trues = a.ints("nodes_truenodeids");
    let falses = a.ints("nodes_falsenodeids");
    let missing = a.ints("nodes_missing_value_tracks_true");
    let n = tree_ids.len();
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", features.len()),
        ("nodes_modes", modes.len()),
        ("nodes_values", values.len()),
        ("nodes_truenodeids", trues.len()),
        ("nodes_falsenodeids", falses.len()),
    ] {
        if len != n {
            return Err(a.error(format!("{name} has {len} entries, nodes_treeids {n}")));
        }
    }
    let prefix = if classifier { "class" } else { "target" };
    let w_ids = a.ints(&format!("{prefix}_ids"));
    let w_nodes = a.ints(&format!("{prefix}_nodeids"));
    let w_trees = a.ints(&format!("{prefix}_treeids"));
    let w_values = a.reals(&format!("{prefix}_weights"))?;
    if w_nodes.len() != w_ids.len() || w_trees.len() != w_ids.len() || w_values.len() != w_ids.len() {
        return Err(a.error(format!("{prefix}_ids, _nodeids, _treeids and _weights differ in length")));
    }

    // Node positions by (tree, node) id; a leaf's arena index by position.
    let mut position: HashMap<(i64, i64), usize> = HashMap::with_capacity(n);
    for i in 0..n {
        if position.insert((tree_ids[i], node_ids[i]), i).is_some() {
            return Err(a.error(format!("node {} of tree {} is given twice", node_ids[i], tree_ids[i])));
        }
    }
    let mut kinds = Vec::with_capacity(n);
    for m in &modes {
        kinds.push(match m.as_str() {
            "LEAF" => None,
            other => Some(Mode::parse(other).ok_or_else(|| a.error(format!("unknown node mode '{other}'")))?),
        });
    }
    let mut leaf_of = vec![usize::MAX; n];
    let mut leaves: Vec<Vec<(usize, f64)>> = Vec::new();
    for i in 0..n {
        if kinds[i].is_none() {
            leaf_of[i] = leaves.len();
            leaves.push(Vec::new());
        }
    }
    // Weights in (tree, node) order, as onnxruntime sorts them; weights on a
    // branch are ignored as it ignores them (old onnxmltools wrote some).
    let mut order: Vec<usize> = (0..w_ids.len()).collect();
    order.sort_by_key(|&k| (w_trees[k], w_nodes[k]));
    for k in order {
        let at = *position.get(&(w_trees[k], w_nodes[k])).ok_or_else(|| {
            a.error(format!("a weight names node {} of tree {}, which does not exist", w_nodes[k], w_trees[k]))
        })?;
        let target = usize::try_from(w_ids[k])
            .ok()
            .filter(|&t| t < n_targets)
            .ok_or_else(|| a.error(format!("{prefix}_ids holds {}, outside 0..{n_targets}", w_ids[k])))?;
        if kinds[at].is_none() {
            leaves[leaf_of[at]].push((target, w_values[k]));
        }
    }
    if let Some(i) = (0..n).find(|&i| kinds[i].is_none() && leaves[leaf_of[i]].is_empty()) {
        return Err(a.error(format!("leaf {} of tree {} has no weight", node_ids[i], tree_ids[i])));
    }

    let child = |i: usize, id: i64| -> TractResult<usize> {
        let at = *position.get(&(tree_ids[i], id)).ok_or_else(|| {
            a.error(format!("node {} of tree {} leads to node {id}, which does not exist", node_ids[i], tree_ids[i]))
        })?;
        if at == i {
            return Err(a.error(format!("node {} of tree {} leads to itself", node_ids[i], tree_ids[i])));
        }
        Ok(at)
    };
    let mut branch_of = vec![usize::MAX; n];
    let mut count = 0;
    for i in 0..n {
        if kinds[i].is_some() {
            branch_of[i] = count;
            count += 1;
        }
    }
    let as_child =
        |at: usize| if kinds[at].is_some() { Child::Branch(branch_of[at]) } else { Child::Leaf(leaf_of[at]) };
    let mut branches = Vec::with_capacity(count);
    for i in 0..n {
        let Some(mode) = kinds[i] else { continue };
        let feature =
            usize::try_from(features[i]).map_err(|_| a.error(format!("negative feature id {}", features[i])))?;
        branches.push(Branch {
            feature,
            mode,
            threshold: values[i],
            set: vec![],
            missing_true: missing.get(i) == Some(&1),
            yes: as_child(child(i, trues[i])?),
            no: as_child(child(i, falses[i])?),
        });
    }
    // A tree starts wherever the tree id changes, as in onnxruntime.
    let roots = (0..n).filter(|&i| i == 0 || tree_ids[i] != tree_ids[i - 1]).map(as_child).collect();

    let aggregate = match a.string("aggregate_function")? {
        None => Aggregate::Sum,
        Some(name) => Aggregate::parse(&name).ok_or_else(|| a.error(format!("unknown aggregate_function '{name}'")))?,
    };
    let double = ["nodes_values", &format!("{prefix}_weights"), "base_values"].iter().any(|n| a.is_double(n));
    let spec = Spec { branches, leaves, roots, n_targets, aggregate, base_values: a.reals("base_values")?, double };
    check_acyclic(&spec).map_err(|e| a.error(e))?;
    Ok(spec)
}

/// Reads TreeEnsemble (ai.onnx.ml opset 5).
pub fn read_v5(node: &NodeProto) -> TractResult<(Spec, u8)> {
    let a = Attrs::new(node);
    let n_targets = a.int("n_targets")?.ok_or_else(|| a.error("n_targets is not set"))?;
    let n_targets =
        usize::try_from(n_targets).ok().filter(|&n| n > 0).ok_or_else(|| a.error("n_targets must be positive"))?;
    let roots_at = a.ints("tree_roots");
    let features = a.ints("nodes_featureids");
    let splits = a.reals("nodes_splits")?;
    let modes = mode_bytes(node);
    let trues = a.ints("nodes_truenodeids");
    let true_leafs = a.ints("nodes_trueleafs");
    let falses = a.ints("nodes_falsenodeids");
    let false_leafs = a.ints("nodes_falseleafs");
    let missing = a.ints("nodes_missing_value_tracks_true");
    let members = a.reals("membership_values")?;
    let leaf_targets = a.ints("leaf_targetids");
    let leaf_weights = a.reals("leaf_weights")?;
    let n = features.len();
    for (name, len) in [
        ("nodes_splits", splits.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", trues.len()),
        ("nodes_trueleafs", true_leafs.len()),
        ("nodes_falsenodeids", falses.len()),
        ("nodes_falseleafs", false_leafs.len()),
    ] {
        if len != n {
            return Err(a.error(format!("{name} has {len} entries, nodes_featureids {n}")));
        }
    }
    if !missing.is_empty() && missing.len() != n {
        return Err(a.error("nodes_missing_value_tracks_true does not have one entry per node"));
    }
    if leaf_targets.len() != leaf_weights.len() {
        return Err(a.error("leaf_targetids and leaf_weights differ in length"));
    }
    let mut leaves = Vec::with_capacity(leaf_targets.len());
    for (&t, &w) in leaf_targets.iter().zip(&leaf_weights) {
        let t = usize::try_from(t)
            .ok()
            .filter(|&t| t < n_targets)
            .ok_or_else(|| a.error(format!("leaf target {t} outside 0..{n_targets}")))?;
        leaves.push(vec![(t, w)]);
    }
    let index = |id: i64, is_leaf: bool| -> TractResult<Child> {
        let limit = if is_leaf { leaves.len() } else { n };
        let at = usize::try_from(id)
            .ok()
            .filter(|&i| i < limit)
            .ok_or_else(|| a.error(format!("{} {id} does not exist", if is_leaf { "leaf" } else { "node" })))?;
        Ok(if is_leaf { Child::Leaf(at) } else { Child::Branch(at) })
    };
    // Membership sets follow each other in membership_values, each ended by NaN.
    let mut sets = members.split(|v| v.is_nan());
    let mut branches = Vec::with_capacity(n);
    for i in 0..n {
        let mode = Mode::from_v5(modes[i]).ok_or_else(|| a.error(format!("unknown node mode {}", modes[i])))?;
        let set = if mode == Mode::Member { sets.next().unwrap_or_default().to_vec() } else { vec![] };
        branches.push(Branch {
            feature: usize::try_from(features[i])
                .map_err(|_| a.error(format!("negative feature id {}", features[i])))?,
            mode,
            threshold: splits[i],
            set,
            missing_true: missing.get(i) == Some(&1),
            yes: index(trues[i], true_leafs[i] != 0)?,
            no: index(falses[i], false_leafs[i] != 0)?,
        });
    }
    // A one-leaf tree is a root whose two children are that leaf: walking it
    // needs no special case.
    let mut roots = Vec::with_capacity(roots_at.len());
    for &r in &roots_at {
        roots.push(index(r, false)?);
    }
    let aggregate = match a.int("aggregate_function")?.unwrap_or(1) {
        0 => Aggregate::Average,
        1 => Aggregate::Sum,
        2 => Aggregate::Min,
        3 => Aggregate::Max,
        other => return Err(a.error(format!("unknown aggregate_function {other}"))),
    };
    let post = a.int("post_transform")?.unwrap_or(0);
    let post =
        u8::try_from(post).ok().filter(|&p| p <= 4).ok_or_else(|| a.error(format!("unknown post_transform {post}")))?;
    let double = a.is_double("nodes_splits") || a.is_double("leaf_weights");
    let spec = Spec { branches, leaves, roots, n_targets, aggregate, base_values: vec![], double };
    check_acyclic(&spec).map_err(|e| a.error(e))?;
    Ok((spec, post))
}

/// `nodes_modes` of TreeEnsemble is a uint8 tensor, which `reals` does not read.
fn mode_bytes(node: &NodeProto) -> Vec<u8> {
    node.attribute
        .iter()
        .find(|a| a.name == "nodes_modes")
        .and_then(|a| a.t.as_ref())
        .map(
            |t| {
                if t.raw_data.is_empty() { t.int32_data.iter().map(|&v| v as u8).collect() } else { t.raw_data.clone() }
            },
        )
        .unwrap_or_default()
}

/// Refuses a cycle among branches: evaluation walks until it reaches a leaf, so a
/// cycle would hang the worker on the first request.
fn check_acyclic(spec: &Spec) -> Result<(), String> {
    // 0 = unseen, 1 = on the current path, 2 = finished.
    let mut state = vec![0u8; spec.branches.len()];
    for start in 0..spec.branches.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0u8)];
        state[start] = 1;
        while let Some((at, visited)) = stack.pop() {
            let b = &spec.branches[at];
            let next = match visited {
                0 => Some(b.yes),
                1 => Some(b.no),
                _ => None,
            };
            let Some(next) = next else {
                state[at] = 2;
                continue;
            };
            stack.push((at, visited + 1));
            if let Child::Branch(c) = next {
                match state[c] {
                    0 => {
                        state[c] = 1;
                        stack.push((c, 0));
                    }
                    1 => return Err("the trees contain a cycle".into()),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::AttributeProto;

    fn ints(name: &str, v: &[i64]) -> AttributeProto {
        AttributeProto { name: name.into(), ints: v.to_vec(), ..Default::default() }
    }

    fn floats(name: &str, v: &[f32]) -> AttributeProto {
        AttributeProto { name: name.into(), floats: v.to_vec(), ..Default::default() }
    }

    fn strings(name: &str, v: &[&str]) -> AttributeProto {
        AttributeProto {
            name: name.into(),
            strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ..Default::default()
        }
    }

    /// A regressor whose one tree is: node 0 (x0 <= 0.5) -> true node 1, false `no`.
    fn regressor(no: i64, node1_mode: &str) -> NodeProto {
        NodeProto {
            op_type: "TreeEnsembleRegressor".into(),
            attribute: vec![
                ints("nodes_treeids", &[0, 0, 0]),
                ints("nodes_nodeids", &[0, 1, 2]),
                ints("nodes_featureids", &[0, 0, 0]),
                strings("nodes_modes", &["BRANCH_LEQ", node1_mode, "LEAF"]),
                floats("nodes_values", &[0.5, 0.2, 0.0]),
                ints("nodes_truenodeids", &[1, 0, 0]),
                ints("nodes_falsenodeids", &[no, 2, 0]),
                ints("target_ids", &[0]),
                ints("target_nodeids", &[2]),
                ints("target_treeids", &[0]),
                floats("target_weights", &[1.0]),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_cycle_is_refused_at_load() {
        // Node 1 is a branch whose true child is node 0: 0 -> 1 -> 0.
        let err = read_v3(&regressor(2, "BRANCH_LEQ"), false, 1).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
    }

    #[test]
    fn a_branch_to_a_missing_node_is_refused() {
        let mut node = regressor(7, "LEAF");
        node.attribute.retain(|a| !a.name.starts_with("target_"));
        node.attribute.extend([
            ints("target_ids", &[0, 0]),
            ints("target_nodeids", &[1, 2]),
            ints("target_treeids", &[0, 0]),
            floats("target_weights", &[1.0, 2.0]),
        ]);
        let err = read_v3(&node, false, 1).unwrap_err().to_string();
        assert!(err.contains("node 7") && err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_leaf_without_weight_is_refused() {
        // Node 1 is a leaf with no weight.
        let err = read_v3(&regressor(2, "LEAF"), false, 1).unwrap_err().to_string();
        assert!(err.contains("has no weight"), "{err}");
    }

    #[test]
    fn a_target_outside_n_targets_is_refused() {
        let mut node = regressor(2, "LEAF");
        node.attribute.retain(|a| a.name != "target_ids");
        node.attribute.push(ints("target_ids", &[3]));
        let err = read_v3(&node, false, 1).unwrap_err().to_string();
        assert!(err.contains("outside 0..1"), "{err}");
    }

    #[test]
    fn an_unknown_mode_is_refused() {
        let err = read_v3(&regressor(2, "BRANCH_SOMETIMES"), false, 1).unwrap_err().to_string();
        assert!(err.contains("BRANCH_SOMETIMES"), "{err}");
    }
}
