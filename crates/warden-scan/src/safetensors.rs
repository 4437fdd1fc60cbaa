//! Structural validation of safetensors files, rule by rule from the format's specification:
//! header length, a JSON object without duplicate keys, dtype/shape/offsets consistent with
//! checked arithmetic, offsets that tile the buffer, and a file exactly as long as declared.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::source::Src;

/// The format's own cap on the header.
const MAX_HEADER: u64 = 100_000_000;
/// Problems reported per file; one broken header tends to break everything after it.
const MAX_PROBLEMS: usize = 20;

/// Returns the structural problems of the safetensors stream in `src`. `known_len` is the
/// stream's length when known (a file); otherwise the buffer is read through to count it.
pub fn check(src: &mut Src, known_len: Option<u64>) -> io::Result<Vec<String>> {
    let mut len_bytes = [0u8; 8];
    let got = read_up_to(src, &mut len_bytes)?;
    if got < 8 {
        return Ok(vec![format!("file of {got} bytes is shorter than the 8-byte header length")]);
    }
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER {
        return Ok(vec![format!("header length {header_len} exceeds the format's limit of {MAX_HEADER} bytes")]);
    }
    let mut header = Vec::new();
    Read::by_ref(src).take(header_len).read_to_end(&mut header)?;
    if (header.len() as u64) < header_len {
        return Ok(vec![format!("header declares {header_len} bytes but the file ends after {}", header.len())]);
    }
    let parsed: Header = match serde_json::from_slice(&header) {
        Ok(parsed) => parsed,
        Err(e) => return Ok(vec![format!("header is not a valid safetensors JSON object: {e}")]),
    };
    let buffer_len = match known_len {
        Some(len) => len.checked_sub(8 + header_len),
        None => Some(src.skip_to_end()?),
    };
    let mut problems = parsed.problems;
    match buffer_len {
        Some(buffer_len) => problems.extend(layout_problems(&parsed.tensors, buffer_len)),
        None => problems.push("file is shorter than its header".into()),
    }
    problems.truncate(MAX_PROBLEMS);
    Ok(problems)
}

fn read_up_to(src: &mut Src, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

#[derive(Debug, Deserialize)]
struct TensorInfo {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// The header as read: tensors in file order, and problems found while reading it.
#[derive(Debug, Default)]
struct Header {
    tensors: Vec<(String, TensorInfo)>,
    problems: Vec<String>,
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of tensors")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                header.problems.push(format!("duplicate key `{key}` in header"));
            }
            if key == "__metadata__" {
                let metadata: Metadata = map.next_value()?;
                header.problems.extend(metadata.0);
            } else {
                let info: TensorInfo = map.next_value()?;
                header.tensors.push((key, info));
            }
        }
        Ok(header)
    }
}

/// `__metadata__`: problems found in it (it must map strings to strings, once each).
struct Metadata(Vec<String>);

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MetadataVisitor)
    }
}

struct MetadataVisitor;

impl<'de> Visitor<'de> for MetadataVisitor {
    type Value = Metadata;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of strings to strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                problems.push(format!("duplicate key `{key}` in __metadata__"));
            }
            if let serde_json::Value::String(_) = map.next_value::<serde_json::Value>()? {
                continue;
            }
            problems.push(format!("__metadata__ value for `{key}` is not a string"));
        }
        Ok(Metadata(problems))
    }
}

/// Size in bits of each dtype the format defines.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

/// Per-tensor sizes and the tiling of the buffer.
fn layout_problems(tensors: &[(String, TensorInfo)], buffer_len: u64) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, info) in tensors {
        if let Err(problem) = check_tensor(info) {
            problems.push(format!("tensor `{name}`: {problem}"));
        }
    }
    let mut spans: Vec<(u64, u64, &str)> =
        tensors.iter().map(|(name, info)| (info.data_offsets.0, info.data_offsets.1, name.as_str())).collect();
    spans.sort_unstable();
    let mut expected = 0;
    for (begin, end, name) in spans {
        if begin > expected {
            problems.push(format!("gap of {} bytes before tensor `{name}`", begin - expected));
        } else if begin < expected {
            problems.push(format!("tensor `{name}` overlaps the tensor before it"));
        }
        expected = expected.max(end);
    }
    if expected != buffer_len {
        problems.push(format!("tensors cover {expected} bytes but the data buffer holds {buffer_len}"));
    }
    problems
}

fn check_tensor(info: &TensorInfo) -> Result<(), String> {
    let bits = dtype_bits(&info.dtype).ok_or_else(|| format!("unknown dtype `{}`", info.dtype))?;
    let (begin, end) = info.data_offsets;
    if end < begin {
        return Err(format!("data_offsets [{begin}, {end}) end before they begin"));
    }
    let elements = info.shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)).ok_or("shape size overflows")?;
    let total_bits = elements.checked_mul(bits).ok_or("byte size overflows")?;
    if total_bits % 8 != 0 {
        return Err("size is not a whole number of bytes".into());
    }
    if total_bits / 8 != end - begin {
        return Err(format!(
            "shape {:?} of {} needs {} bytes but data_offsets span {}",
            info.shape,
            info.dtype,
            total_bits / 8,
            end - begin
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
