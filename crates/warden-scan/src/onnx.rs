//! ONNX models, read as protobuf without any ONNX library: only what the rules need, i.e.
//! tensors' external data locations and declared shapes, and nodes' operator domains, in
//! the main graph, subgraphs, functions and training graphs. Weights are skipped, not read.

use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;

use crate::protobuf::{self, Wire, field, string, sub_end, varint};
use crate::rules::is_standard_domain;
use crate::source::Src;

pub use protobuf::Error;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_tensor_bytes: u64,
    /// Graphs nested in attributes and functions.
    pub max_depth: u32,
    /// Facts of each kind kept per model.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_tensor_bytes: 64 << 30, max_depth: 32, max_items: 1000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    pub name: String,
    pub location: String,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absurd {
    pub name: String,
    pub problem: String,
    pub offset: u64,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub external: Vec<External>,
    /// Non-standard domains not defined by the model's own functions, with a first operator.
    pub custom_domains: Vec<(String, String)>,
    pub absurd: Vec<Absurd>,
}

/// Reads a model; returns what was found up to the first error, and that error.
pub fn read(src: &mut Src, limits: &Limits) -> (Facts, Option<Error>) {
    let mut reader = Reader { limits, facts: Facts::default(), domains: BTreeMap::new(), local: HashSet::new() };
    let error = reader.model(src).err().map(|e| match e {
        Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Error::Malformed("truncated".into()),
        other => other,
    });
    let mut facts = reader.facts;
    facts.custom_domains = reader.domains.into_iter().filter(|(d, _)| !reader.local.contains(d)).collect();
    (facts, error)
}

/// Whether a stream prefix is an ONNX ModelProto: `ir_version` first (serializers write
/// fields in number order), then only ModelProto fields with their wire types.
pub fn looks_like_onnx(prefix: &[u8], complete: bool) -> bool {
    let mut cursor = Cursor::new(prefix);
    let mut src = Src::new(&mut cursor);
    match field(&mut src, None) {
        Ok(Some((1, Wire::Varint(1..=64)))) => {}
        _ => return false,
    }
    let mut fields = 1;
    loop {
        let (number, wire) = match field(&mut src, None) {
            Ok(Some(f)) => f,
            Ok(None) => return fields > 1,
            Err(Error::Io(_)) => return !complete,
            Err(Error::Malformed(_)) => return false,
        };
        let known = match wire {
            Wire::Varint(_) => matches!(number, 1 | 5),
            Wire::Len(_) => matches!(number, 2 | 3 | 4 | 6 | 7 | 8 | 14 | 20 | 25 | 26),
            _ => false,
        };
        if !known {
            return false;
        }
        if let Wire::Len(len) = wire
            && src.skip(len).is_err()
        {
            return !complete;
        }
        fields += 1;
    }
}

struct Reader<'l> {
    limits: &'l Limits,
    facts: Facts,
    domains: BTreeMap<String, String>,
    /// Domains of functions the model defines itself.
    local: HashSet<String>,
}

/// Bytes kept of names, domains and locations.
const KEEP: usize = 4096;

impl Reader<'_> {
    fn model(&mut self, src: &mut Src) -> Result<(), Error> {
        while let Some((number, wire)) = field(src, None)? {
            let Wire::Len(len) = wire else { continue };
            let end = sub_end(src, len, None)?;
            match number {
                7 => self.graph(src, end, 1)?,
                20 => self.graphs_in(src, end, &[1, 2], 1)?,
                25 => self.function(src, end)?,
                _ => protobuf::skip_to(src, end)?,
            }
        }
        Ok(())
    }

    /// GraphProto: nodes (1), initializers (5), sparse initializers (15).
    fn graph(&mut self, src: &mut Src, end: u64, depth: u32) -> Result<(), Error> {
        if depth > self.limits.max_depth {
            return Err(Error::Malformed(format!("graphs nested deeper than {}", self.limits.max_depth)));
        }
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            match number {
                1 => self.node(src, sub, depth)?,
                5 => self.tensor(src, sub)?,
                15 => self.sparse(src, sub)?,
                _ => protobuf::skip_to(src, sub)?,
            }
        }
        Ok(())
    }

    /// A message whose fields `numbers` are graphs (TrainingInfoProto).
    fn graphs_in(&mut self, src: &mut Src, end: u64, numbers: &[u32], depth: u32) -> Result<(), Error> {
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            if numbers.contains(&number) {
                self.graph(src, sub, depth + 1)?;
            } else {
                protobuf::skip_to(src, sub)?;
            }
        }
        Ok(())
    }

    /// FunctionProto: nodes (7) and its own domain (10).
    fn function(&mut self, src: &mut Src, end: u64) -> Result<(), Error> {
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            match number {
                7 => self.node(src, sub, 1)?,
                10 => {
                    let domain = string(src, len, KEEP)?;
                    if self.local.len() < self.limits.max_items {
                        self.local.insert(domain);
                    }
                }
                _ => protobuf::skip_to(src, sub)?,
            }
        }
        Ok(())
    }

    /// NodeProto: op_type (4), attributes (5), domain (7).
    fn node(&mut self, src: &mut Src, end: u64, depth: u32) -> Result<(), Error> {
        let (mut domain, mut op_type) = (String::new(), String::new());
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            match number {
                4 => op_type = string(src, len, KEEP)?,
                5 => self.attribute(src, sub, depth)?,
                7 => domain = string(src, len, KEEP)?,
                _ => protobuf::skip_to(src, sub)?,
            }
        }
        if !is_standard_domain(&domain) && self.domains.len() < self.limits.max_items {
            self.domains.entry(domain).or_insert(op_type);
        }
        Ok(())
    }

    /// AttributeProto: tensors (5, 10), graphs (6, 11), sparse tensors (22, 23).
    fn attribute(&mut self, src: &mut Src, end: u64, depth: u32) -> Result<(), Error> {
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            match number {
                5 | 10 => self.tensor(src, sub)?,
                6 | 11 => self.graph(src, sub, depth + 1)?,
                22 | 23 => self.sparse(src, sub)?,
                _ => protobuf::skip_to(src, sub)?,
            }
        }
        Ok(())
    }

    /// SparseTensorProto: values (1) and indices (2) are tensors.
    fn sparse(&mut self, src: &mut Src, end: u64) -> Result<(), Error> {
        while let Some((number, wire)) = field(src, Some(end))? {
            let Wire::Len(len) = wire else { continue };
            let sub = sub_end(src, len, Some(end))?;
            match number {
                1 | 2 => self.tensor(src, sub)?,
                _ => protobuf::skip_to(src, sub)?,
            }
        }
        Ok(())
    }

    /// TensorProto: dims (1, packed or not), data_type (2), name (8), external_data (13).
    fn tensor(&mut self, src: &mut Src, end: u64) -> Result<(), Error> {
        let offset = src.pos();
        let mut shape = Shape::default();
        let (mut data_type, mut name, mut location) = (0, String::new(), None);
        while let Some((number, wire)) = field(src, Some(end))? {
            match (number, wire) {
                (1, Wire::Varint(d)) => shape.push(d as i64),
                (1, Wire::Len(len)) => {
                    let sub = sub_end(src, len, Some(end))?;
                    while src.pos() < sub {
                        shape.push(varint(src)? as i64);
                    }
                    if src.pos() != sub {
                        return Err(Error::Malformed("packed dims run past their field".into()));
                    }
                }
                (2, Wire::Varint(t)) => data_type = t,
                (8, Wire::Len(len)) => name = string(src, len, KEEP)?,
                (13, Wire::Len(len)) => {
                    let sub = sub_end(src, len, Some(end))?;
                    let (key, value) = entry(src, sub)?;
                    if key == "location" {
                        location = Some(value);
                    }
                }
                (_, Wire::Len(len)) => src.skip(len)?,
                _ => {}
            }
        }
        if let Some(location) = location.filter(|_| self.facts.external.len() < self.limits.max_items) {
            self.facts.external.push(External { name: name.clone(), location, offset });
        }
        if let Some(problem) = shape.problem(element_bytes(data_type), self.limits.max_tensor_bytes)
            && self.facts.absurd.len() < self.limits.max_items
        {
            self.facts.absurd.push(Absurd { name, problem, offset });
        }
        Ok(())
    }
}

/// StringStringEntryProto: key (1), value (2).
fn entry(src: &mut Src, end: u64) -> Result<(String, String), Error> {
    let (mut key, mut value) = (String::new(), String::new());
    while let Some((number, wire)) = field(src, Some(end))? {
        let Wire::Len(len) = wire else { continue };
        match number {
            1 => key = string(src, len, KEEP)?,
            2 => value = string(src, len, KEEP)?,
            _ => src.skip(len)?,
        }
    }
    Ok((key, value))
}

/// A shape folded as its dims stream in, so a tensor with millions of dims costs nothing.
#[derive(Debug)]
struct Shape {
    elements: Option<u64>,
    negative: Option<i64>,
}

impl Default for Shape {
    fn default() -> Self {
        Shape { elements: Some(1), negative: None }
    }
}

impl Shape {
    fn push(&mut self, dim: i64) {
        match u64::try_from(dim) {
            Ok(d) => self.elements = self.elements.and_then(|e| e.checked_mul(d)),
            Err(_) => self.negative = self.negative.or(Some(dim)),
        }
    }

    fn problem(&self, element_bytes: Option<u64>, max_bytes: u64) -> Option<String> {
        if let Some(dim) = self.negative {
            return Some(format!("negative dimension {dim}"));
        }
        let Some(elements) = self.elements else { return Some("element count overflows 64 bits".into()) };
        let bytes = elements.checked_mul(element_bytes?);
        match bytes {
            None => Some("byte size overflows 64 bits".into()),
            Some(bytes) if bytes > max_bytes => Some(format!("declares {bytes} bytes, more than {max_bytes}")),
            _ => None,
        }
    }
}

/// Bytes per element of each TensorProto data type (sub-byte types rounded up); `None` for
/// strings, whose size the shape does not tell.
fn element_bytes(data_type: u64) -> Option<u64> {
    match data_type {
        8 => None,
        2 | 3 | 9 | 17..=23 => Some(1),
        4 | 5 | 10 | 16 => Some(2),
        1 | 6 | 12 => Some(4),
        7 | 11 | 13 | 14 => Some(8),
        15 => Some(16),
        _ => Some(1),
    }
}

#[cfg(test)]
mod tests;
