//! Output hardening, per model from its `[output]`: top-k, rounding, label-only.
//! Applied to the model's results before any encoding, so no protocol path can
//! send more than the policy allows.

use std::collections::HashMap;

use warden_model::{DataType, Model, NamedTensor, TensorData};

use crate::reply::ApiError;

/// Policies by model name, then version: looked up with borrowed names on every answer.
pub type OutputPolicies = HashMap<String, HashMap<String, OutputPolicy>>;

#[derive(Clone, Debug, PartialEq)]
pub struct OutputPolicy {
    label_only: bool,
    top_k: Option<usize>,
    round: Option<u32>,
    /// Index of the probabilities output among the model's outputs.
    probabilities: Option<usize>,
    label: Option<usize>,
}

/// The model's label output: the one non-float output.
pub fn label_output(model: &Model) -> Option<usize> {
    let found: Vec<usize> = (0..model.outputs.len()).filter(|&i| !is_float(model.outputs[i].datatype)).collect();
    if found.len() == 1 { Some(found[0]) } else { None }
}

fn is_float(d: DataType) -> bool {
    matches!(d, DataType::F16 | DataType::F32 | DataType::F64)
}

impl OutputPolicy {
    /// Labels only, whatever the model's `[output]` says: for a client the
    /// extraction detector degraded.
    pub fn degraded(model: &Model) -> Option<OutputPolicy> {
        let label = model
            .config
            .output
            .as_ref()
            .and_then(|o| o.label.as_ref())
            .and_then(|n| model.outputs.iter().position(|o| &o.name == n))
            .or_else(|| label_output(model))?;
        Some(OutputPolicy { label_only: true, top_k: None, round: None, probabilities: None, label: Some(label) })
    }

    /// The model's policy, or `None` when it has no `[output]`. A policy that
    /// cannot be applied (no output to apply it to) stops the start.
    pub fn for_model(model: &Model) -> Result<Option<OutputPolicy>, String> {
        let Some(config) = &model.config.output else { return Ok(None) };
        let find =
            |name: &Option<String>, what: &str, default: &dyn Fn(DataType) -> bool| -> Result<Option<usize>, String> {
                match name {
                    Some(n) => model
                        .outputs
                        .iter()
                        .position(|o| &o.name == n)
                        .map(Some)
                        .ok_or_else(|| format!("[output] {what} = '{n}': the model has no such output")),
                    None => {
                        let found: Vec<usize> =
                            (0..model.outputs.len()).filter(|&i| default(model.outputs[i].datatype)).collect();
                        Ok(if found.len() == 1 { Some(found[0]) } else { None })
                    }
                }
            };
        let probabilities = find(&config.probabilities, "probabilities", &|d| is_float(d))?;
        let label = find(&config.label, "label", &|d| !is_float(d))?;
        let policy = OutputPolicy {
            label_only: config.label_only,
            top_k: config.top_k,
            round: config.round_probabilities,
            probabilities,
            label,
        };
        if policy.label_only && policy.label.is_none() {
            return Err("[output] label_only needs a label output: name it with label = \"...\"".into());
        }
        if (policy.top_k.is_some() || policy.round.is_some()) && policy.probabilities.is_none() {
            return Err("[output] top_k and round_probabilities need a probabilities output: name it with probabilities = \"...\"".into());
        }
        if policy.top_k == Some(0) {
            return Err("[output] top_k must be at least 1".into());
        }
        if policy.round.is_some_and(|d| d > 12) {
            return Err("[output] round_probabilities must be 0 to 12 decimals".into());
        }
        Ok(Some(policy))
    }

    /// Whether output `ix` may be sent at all.
    pub fn allows(&self, ix: usize) -> bool {
        !self.label_only || Some(ix) == self.label
    }

    /// Drops the outputs the policy withholds (for answers that carry every output).
    pub fn withhold(&self, outputs: &mut Vec<NamedTensor>) {
        let mut ix = 0;
        outputs.retain(|_| {
            ix += 1;
            self.allows(ix - 1)
        });
    }

    /// Cuts the probabilities down in place.
    pub fn apply(&self, outputs: &mut [NamedTensor]) {
        let Some(t) = self.probabilities.and_then(|ix| outputs.get_mut(ix)) else { return };
        let columns = t.shape.last().copied().unwrap_or(0).max(1);
        match &mut t.data {
            TensorData::F32(v) => shape_rows(v, columns, self.top_k, self.round, |x| f64::from(*x), |x| x as f32),
            TensorData::F64(v) => shape_rows(v, columns, self.top_k, self.round, |x| *x, |x| x),
            _ => {}
        }
    }

    /// What was done, for the audit record.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.label_only {
            parts.push("label_only".to_string());
        }
        if let Some(k) = self.top_k {
            parts.push(format!("top_{k}"));
        }
        if let Some(d) = self.round {
            parts.push(format!("round_{d}"));
        }
        parts.join(",")
    }
}

/// The outputs a request may get under `policy`: asking for one the policy
/// withholds is refused; by default the withheld ones are left out.
pub fn allowed_outputs(
    model: &Model,
    policy: &OutputPolicy,
    selected: Vec<(usize, bool)>,
    asked: bool,
) -> Result<Vec<(usize, bool)>, ApiError> {
    if asked && let Some(&(ix, _)) = selected.iter().find(|(ix, _)| !policy.allows(*ix)) {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            format!("output '{}' is not served: model '{}' answers labels only", model.outputs[ix].name, model.name),
        ));
    }
    Ok(selected.into_iter().filter(|(ix, _)| policy.allows(*ix)).collect())
}

fn shape_rows<T: Copy + Default>(
    values: &mut [T],
    columns: usize,
    top_k: Option<usize>,
    round: Option<u32>,
    to_f64: impl Fn(&T) -> f64,
    from_f64: impl Fn(f64) -> T,
) {
    for row in values.chunks_mut(columns) {
        if let Some(k) = top_k.filter(|&k| k < row.len()) {
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|&a, &b| to_f64(&row[b]).total_cmp(&to_f64(&row[a])).then(a.cmp(&b)));
            for &i in &order[k..] {
                row[i] = T::default();
            }
        }
        if let Some(d) = round {
            let scale = 10f64.powi(d as i32);
            for x in row.iter_mut() {
                *x = from_f64((to_f64(x) * scale).round() / scale);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_zeroes_the_rest_of_each_row_and_rounding_rounds() {
        let mut v = vec![0.1f32, 0.6, 0.3, 0.25, 0.25, 0.5];
        shape_rows(&mut v, 3, Some(1), None, |x| f64::from(*x), |x| x as f32);
        assert_eq!(v, [0.0, 0.6, 0.0, 0.0, 0.0, 0.5]);
        let mut v = vec![0.123456f64, 0.876544];
        shape_rows(&mut v, 2, None, Some(2), |x| *x, |x| x);
        assert_eq!(v, [0.12, 0.88]);
        let mut ties = vec![0.5f64, 0.5, 0.0];
        shape_rows(&mut ties, 3, Some(1), None, |x| *x, |x| x);
        assert_eq!(ties, [0.5, 0.0, 0.0], "ties keep the first class");
    }
}
