//! Reading ai.onnx.ml attributes from a node, with the checks every operator needs:
//! a model file is untrusted input, so a missing, mistyped or inconsistent attribute
//! is a load error that names the node, never a panic at the first request.

use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto, tensor_proto::DataType as PbType};
use tract_onnx::tract_hir::internal::*;

/// Attribute access for one node, carrying its name for error messages.
pub struct Attrs<'a> {
    node: &'a NodeProto,
}

impl<'a> Attrs<'a> {
    pub fn new(node: &'a NodeProto) -> Attrs<'a> {
        Attrs { node }
    }

    fn find(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn label(&self) -> String {
        if self.node.name.is_empty() {
            self.node.op_type.clone()
        } else {
            format!("{} '{}'", self.node.op_type, self.node.name)
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    pub fn int(&self, name: &str) -> TractResult<Option<i64>> {
        Ok(self.find(name).map(|a| a.i))
    }

    pub fn float(&self, name: &str) -> TractResult<Option<f32>> {
        Ok(self.find(name).map(|a| a.f))
    }

    pub fn string(&self, name: &str) -> TractResult<Option<String>> {
        self.find(name)
            .map(|a| {
                String::from_utf8(a.s.clone())
                    .map_err(|_| format_err!("{}: attribute {name} is not UTF-8", self.label()))
            })
            .transpose()
    }

    pub fn ints(&self, name: &str) -> Vec<i64> {
        self.find(name).map(|a| a.ints.clone()).unwrap_or_default()
    }

    pub fn floats(&self, name: &str) -> Vec<f32> {
        self.find(name).map(|a| a.floats.clone()).unwrap_or_default()
    }

    pub fn strings(&self, name: &str) -> TractResult<Vec<String>> {
        self.find(name)
            .map(|a| {
                a.strings
                    .iter()
                    .map(|s| {
                        String::from_utf8(s.clone()).map_err(|_| {
                            format_err!("{}: attribute {name} holds a string that is not UTF-8", self.label())
                        })
                    })
                    .collect()
            })
            .unwrap_or_else(|| Ok(vec![]))
    }

    /// A float list given either as `name` (floats) or as `name_as_tensor` (a
    /// tensor of float or double, ai.onnx.ml opset 3), widened to f64. Giving both
    /// is an error, as onnxruntime makes it.
    pub fn reals(&self, name: &str) -> TractResult<Vec<f64>> {
        let tensor_name = format!("{name}_as_tensor");
        match (self.find(name), self.find(&tensor_name)) {
            (Some(_), Some(_)) => bail!("{}: both {name} and {tensor_name} are set", self.label()),
            (Some(a), None) => match &a.t {
                // TreeEnsemble (opset 5) gives its lists as tensors under the plain name.
                Some(t) => tensor_reals(t).map_err(|e| format_err!("{}: {name}: {e}", self.label())),
                None => Ok(a.floats.iter().map(|&f| f as f64).collect()),
            },
            (None, Some(a)) => {
                let t = a.t.as_ref().ok_or_else(|| format_err!("{}: {tensor_name} holds no tensor", self.label()))?;
                tensor_reals(t).map_err(|e| format_err!("{}: {tensor_name}: {e}", self.label()))
            }
            (None, None) => Ok(vec![]),
        }
    }

    /// Whether `name_as_tensor` is set with double values: the model was exported
    /// for double precision and its thresholds must be compared as f64.
    pub fn is_double(&self, name: &str) -> bool {
        self.find(&format!("{name}_as_tensor"))
            .or_else(|| self.find(name))
            .and_then(|a| a.t.as_ref())
            .is_some_and(|t| t.data_type == PbType::Double as i32)
    }

    /// An error naming this node.
    pub fn error(&self, message: impl std::fmt::Display) -> TractError {
        format_err!("{}: {message}", self.label())
    }
}

/// The values of a float or double tensor attribute.
fn tensor_reals(t: &TensorProto) -> TractResult<Vec<f64>> {
    let count: i64 = t.dims.iter().product();
    let values: Vec<f64> = if t.data_type == PbType::Double as i32 {
        if t.raw_data.is_empty() {
            t.double_data.clone()
        } else {
            ensure!(t.raw_data.len().is_multiple_of(8), "raw data is not a whole number of doubles");
            t.raw_data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
        }
    } else if t.data_type == PbType::Float as i32 {
        if t.raw_data.is_empty() {
            t.float_data.iter().map(|&f| f as f64).collect()
        } else {
            ensure!(t.raw_data.len().is_multiple_of(4), "raw data is not a whole number of floats");
            t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64).collect()
        }
    } else {
        bail!("expected a float or double tensor, got data type {}", t.data_type)
    };
    ensure!(
        t.dims.is_empty() || count as usize == values.len(),
        "dims {:?} do not match {} values",
        t.dims,
        values.len()
    );
    Ok(values)
}
