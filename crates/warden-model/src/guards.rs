//! Checks on input *values* that a model's graph implies, found once at load.
//!
//! A kernel given an index past its table, an integer divisor of zero, or a `k`
//! larger than its axis either panics (and a panic message quotes the value) or,
//! in tract's TopK, answers with invented zeros. The signature cannot say this;
//! the graph can: when a model input reaches the index of a Gather, the divisor of
//! an integer Div or Mod, or the `k` of a TopK through operators that keep values
//! (Identity, Reshape, Squeeze, ...), its values are checked before the model runs
//! and a bad one is a 400 that names the input. What these checks cannot see (a
//! computed index) the server still contains: a kernel failure on client input is
//! a 400 and its panic message is never logged.

use std::collections::HashMap;

use tract_onnx::pb::{GraphProto, NodeProto};

use crate::error::InputError;
use crate::tensor::{NamedTensor, TensorData};

/// Operators whose output holds the same values as their first input.
const KEEPS_VALUES: [&str; 6] = ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"];
/// Operators whose output has the same shape as their first input.
const KEEPS_SHAPE: [&str; 2] = ["Identity", "Cast"];

/// How long an axis is: fixed by the graph, or the length of a model input's axis.
#[derive(Clone, Debug, PartialEq)]
enum Extent {
    Fixed(i64),
    OfInput { input: String, axis: i64 },
}

#[derive(Clone, Debug, PartialEq)]
enum Guard {
    /// Every value of `input` indexes an axis of `extent`: in `[-n, n)`.
    Index { input: String, extent: Extent, op: String },
    /// `input` divides integers: no zero, and no -1 under the type's minimum.
    Divisor { input: String, numerator: Option<String>, op: String },
    /// `input` is a TopK's `k`: in `[0, n]` for the axis it selects from.
    TopK { input: String, extent: Option<Extent> },
}

/// The value checks of one model.
#[derive(Clone, Debug, Default)]
pub struct Guards(Vec<Guard>);

impl Guards {
    pub fn from_graph(graph: &GraphProto) -> Guards {
        let g = Graph::new(graph);
        let mut guards = Vec::new();
        for node in &graph.node {
            if !node.domain.is_empty() && node.domain != "ai.onnx" {
                continue;
            }
            match node.op_type.as_str() {
                "Gather" | "GatherElements" => {
                    let Some(input) = node.input.get(1).and_then(|i| g.value_source(i)) else { continue };
                    let Some(extent) = node.input.first().and_then(|d| g.extent(d, int_attr(node, "axis", 0))) else {
                        continue;
                    };
                    guards.push(Guard::Index { input, extent, op: node.op_type.clone() });
                }
                "Div" | "Mod" => {
                    let Some(input) = node.input.get(1).and_then(|i| g.value_source(i)) else { continue };
                    let numerator = node.input.first().and_then(|i| g.value_source(i));
                    guards.push(Guard::Divisor { input, numerator, op: node.op_type.clone() });
                }
                "TopK" => {
                    let Some(input) = node.input.get(1).and_then(|i| g.value_source(i)) else { continue };
                    let extent = node.input.first().and_then(|x| g.extent(x, int_attr(node, "axis", -1)));
                    guards.push(Guard::TopK { input, extent });
                }
                _ => {}
            }
        }
        Guards(guards)
    }

    /// Checks `inputs` (already matched to the signature) against every guard.
    pub fn check(&self, inputs: &[NamedTensor]) -> Result<(), InputError> {
        let find = |name: &str| inputs.iter().find(|t| t.name == name);
        for guard in &self.0 {
            match guard {
                Guard::Index { input, extent, op } => {
                    let (Some(t), Some(n)) = (find(input), extent.resolve(inputs)) else { continue };
                    if ints(&t.data).any(|v| v < -n || v >= n) {
                        return Err(out_of_domain(
                            input,
                            format!("an element is outside [{}, {}], the {op} range", -n, n - 1),
                        ));
                    }
                }
                Guard::Divisor { input, numerator, op } => {
                    let Some(t) = find(input) else { continue };
                    // Only integer division fails: a float divisor of zero is infinity.
                    if !is_integer(&t.data) {
                        continue;
                    }
                    if ints(&t.data).any(|v| v == 0) {
                        return Err(out_of_domain(input, format!("an element is 0, and it divides integers ({op})")));
                    }
                    let overflows = ints(&t.data).any(|v| v == -1)
                        && numerator.as_deref().and_then(find).is_some_and(|n| holds_type_minimum(&n.data));
                    if overflows {
                        return Err(out_of_domain(
                            input,
                            format!("-1 divides the smallest value of its type, which overflows ({op})"),
                        ));
                    }
                }
                Guard::TopK { input, extent } => {
                    let Some(t) = find(input) else { continue };
                    let n = extent.as_ref().and_then(|e| e.resolve(inputs));
                    if ints(&t.data).any(|k| k < 0 || n.is_some_and(|n| k > n)) {
                        let range = n.map_or("0 or more".to_string(), |n| format!("in [0, {n}]"));
                        return Err(out_of_domain(input, format!("TopK's k must be {range}")));
                    }
                }
            }
        }
        Ok(())
    }
}

fn out_of_domain(input: &str, why: String) -> InputError {
    InputError::OutOfDomain { name: input.to_string(), why }
}

impl Extent {
    fn resolve(&self, inputs: &[NamedTensor]) -> Option<i64> {
        match self {
            Extent::Fixed(n) => Some(*n),
            Extent::OfInput { input, axis } => {
                let t = inputs.iter().find(|t| &t.name == input)?;
                let rank = t.shape.len() as i64;
                let axis = if *axis < 0 { axis + rank } else { *axis };
                t.shape.get(usize::try_from(axis).ok()?).and_then(|&d| i64::try_from(d).ok())
            }
        }
    }
}

/// What the graph says about its values: model inputs, constants, producers.
struct Graph<'a> {
    inputs: Vec<&'a str>,
    constants: HashMap<&'a str, &'a [i64]>,
    producers: HashMap<&'a str, &'a NodeProto>,
}

impl<'a> Graph<'a> {
    fn new(graph: &'a GraphProto) -> Graph<'a> {
        let mut constants: HashMap<&str, &[i64]> =
            graph.initializer.iter().map(|t| (t.name.as_str(), t.dims.as_slice())).collect();
        let mut producers = HashMap::new();
        for node in &graph.node {
            for out in &node.output {
                producers.insert(out.as_str(), node);
            }
            if node.op_type == "Constant"
                && let (Some(out), Some(t)) = (node.output.first(), node.attribute.iter().find_map(|a| a.t.as_ref()))
            {
                constants.insert(out.as_str(), t.dims.as_slice());
            }
        }
        let inputs = graph.input.iter().map(|i| i.name.as_str()).filter(|name| !constants.contains_key(name)).collect();
        Graph { inputs, constants, producers }
    }

    /// The model input whose values reach `value` unchanged, if one does.
    fn value_source(&self, value: &str) -> Option<String> {
        self.trace(value, &KEEPS_VALUES)
    }

    fn trace(&self, value: &str, through: &[&str]) -> Option<String> {
        let mut current = value;
        for _ in 0..64 {
            if self.inputs.contains(&current) {
                return Some(current.to_string());
            }
            let node = self.producers.get(current)?;
            if !through.contains(&node.op_type.as_str()) {
                return None;
            }
            current = node.input.first()?;
        }
        None
    }

    /// The length of `axis` of `value`: a constant's, or a model input's at request time.
    fn extent(&self, value: &str, axis: i64) -> Option<Extent> {
        if let Some(dims) = self.constants.get(value) {
            let axis = if axis < 0 { axis + dims.len() as i64 } else { axis };
            return dims.get(usize::try_from(axis).ok()?).map(|&n| Extent::Fixed(n));
        }
        self.trace(value, &KEEPS_SHAPE).map(|input| Extent::OfInput { input, axis })
    }
}

fn int_attr(node: &NodeProto, name: &str, default: i64) -> i64 {
    node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.i)
}

fn is_integer(data: &TensorData) -> bool {
    !matches!(
        data,
        TensorData::F16(_) | TensorData::F32(_) | TensorData::F64(_) | TensorData::Bool(_) | TensorData::Bytes(_)
    )
}

/// Integer elements as i64; u64 values past i64 saturate, which keeps them out of range.
fn ints(data: &TensorData) -> Box<dyn Iterator<Item = i64> + '_> {
    match data {
        TensorData::U8(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::U16(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::U32(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::U64(v) => Box::new(v.iter().map(|&x| i64::try_from(x).unwrap_or(i64::MAX))),
        TensorData::I8(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::I16(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::I32(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::I64(v) => Box::new(v.iter().copied()),
        TensorData::F16(v) => Box::new(v.iter().map(|x| x.to_f64() as i64)),
        TensorData::F32(v) => Box::new(v.iter().map(|&x| x as i64)),
        TensorData::F64(v) => Box::new(v.iter().map(|&x| x as i64)),
        TensorData::Bool(v) => Box::new(v.iter().map(|&x| i64::from(x))),
        TensorData::Bytes(_) => Box::new(std::iter::empty()),
    }
}

fn holds_type_minimum(data: &TensorData) -> bool {
    match data {
        TensorData::I8(v) => v.contains(&i8::MIN),
        TensorData::I16(v) => v.contains(&i16::MIN),
        TensorData::I32(v) => v.contains(&i32::MIN),
        TensorData::I64(v) => v.contains(&i64::MIN),
        _ => false,
    }
}
