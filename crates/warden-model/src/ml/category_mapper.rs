//! CategoryMapper: strings to int64 or int64 to strings through two parallel lists,
//! the direction given by the input's type, unknown values mapped to `default_int64`
//! or `default_string` (schema defaults -1 and "_Unused", which onnxruntime fills in).
//! As onnxruntime's maps: a string or an int listed twice maps to its last partner.
//! LabelEncoder of ai.onnx.ml opset 1 is the same operator with the ints 0, 1, 2...

use std::collections::HashMap;

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred};
use super::tensors::{expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("CategoryMapper", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    for name in ["cats_strings", "cats_int64s"] {
        if !attrs.has(name) {
            return Err(attrs.error(format!("attribute {name} is missing")));
        }
    }
    let strings = attrs.strings("cats_strings")?;
    let ints = attrs.ints("cats_int64s");
    if strings.len() != ints.len() {
        return Err(attrs.error(format!("cats_strings has {} values but cats_int64s {}", strings.len(), ints.len())));
    }
    Ok((inferred(CategoryMapper::new("CategoryMapper", &attrs, strings, ints)?), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryMapper {
    name: &'static str,
    to_int: HashMap<String, i64>,
    to_string: HashMap<i64, String>,
    default_int: i64,
    default_string: String,
}

impl CategoryMapper {
    /// A mapper between `strings[i]` and `ints[i]`, with the node's defaults.
    pub fn new(name: &'static str, attrs: &Attrs, strings: Vec<String>, ints: Vec<i64>) -> TractResult<Self> {
        let mut to_int = HashMap::new();
        let mut to_string = HashMap::new();
        for (s, i) in strings.into_iter().zip(ints) {
            to_int.insert(s.clone(), i);
            to_string.insert(i, s);
        }
        Ok(CategoryMapper {
            name,
            to_int,
            to_string,
            default_int: attrs.int("default_int64")?.unwrap_or(-1),
            default_string: attrs.string("default_string")?.unwrap_or_else(|| "_Unused".into()),
        })
    }

    fn output_type(&self, input: DatumType) -> TractResult<DatumType> {
        match input {
            DatumType::String => Ok(DatumType::I64),
            DatumType::I64 => Ok(DatumType::String),
            dt => bail!("input must be string or int64, got {dt:?}"),
        }
    }
}

impl Kernel for CategoryMapper {
    fn name(&self) -> &'static str {
        self.name
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        s.given(&inputs[0].datum_type, move |s, dt| s.equals(&outputs[0].datum_type, self.output_type(dt)?))
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let dt = expect_type(inputs[0], &[DatumType::String, DatumType::I64], "input")?;
        Ok(tvec!(self.output_type(dt)?.fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let y = match x.datum_type() {
            DatumType::String => {
                let y = slice::<String>(x)?.iter().map(|s| *self.to_int.get(s).unwrap_or(&self.default_int)).collect();
                output(x.shape(), y)?
            }
            DatumType::I64 => {
                let y = slice::<i64>(x)?
                    .iter()
                    .map(|i| self.to_string.get(i).unwrap_or(&self.default_string).clone())
                    .collect::<Vec<String>>();
                output(x.shape(), y)?
            }
            dt => bail!("input must be string or int64, got {dt:?}"),
        };
        Ok(tvec!(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::{AttributeProto, attribute_proto::AttributeType};

    fn mapper(strings: &[&str], ints: &[i64]) -> CategoryMapper {
        let mut node = NodeProto::default();
        node.attribute.push(AttributeProto {
            name: "default_string".into(),
            r#type: AttributeType::String as i32,
            s: b"none".to_vec(),
            ..Default::default()
        });
        let strings = strings.iter().map(|s| s.to_string()).collect();
        CategoryMapper::new("CategoryMapper", &Attrs::new(&node), strings, ints.to_vec()).unwrap()
    }

    #[test]
    fn both_directions_with_defaults() {
        let m = mapper(&["red", "green", "red"], &[3, 1, 4]);
        let x = tensor1(&["red".to_string(), "blue".to_string()]);
        let y = m.eval(tvec!(x.into_tvalue())).unwrap();
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [4, -1]);
        let y = m.eval(tvec!(tensor2(&[[3i64, 1], [0, 4]]).into_tvalue())).unwrap();
        assert_eq!(y[0].shape(), [2, 2]);
        assert_eq!(slice::<String>(&y[0]).unwrap(), ["red", "green", "none", "red"]);
    }
}
