//! The `.npy` header: magic, version, a Python-literal dict. An array whose dtype holds
//! Python objects is stored as a pickle right after the header.

use std::io;

use crate::pylit::{self, Lit};
use crate::source::Src;

/// Headers are tiny; numpy itself refuses more than 10,000 bytes unless told otherwise.
const MAX_HEADER: u64 = 1 << 20;

#[derive(Debug)]
pub struct Header {
    /// The dtype as written (`'<f4'`, `'|O'`, or a structured list).
    pub descr: String,
    /// Some field has dtype object: the data is a pickle.
    pub object: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Format(String),
}

pub fn read_header(src: &mut Src) -> Result<Header, Error> {
    let magic: [u8; 6] = src.array()?;
    if magic != *b"\x93NUMPY" {
        return Err(Error::Format("bad magic".into()));
    }
    let [major, _minor] = src.array()?;
    let len = match major {
        1 => u64::from(u16::from_le_bytes(src.array()?)),
        2 | 3 => u64::from(u32::from_le_bytes(src.array()?)),
        other => return Err(Error::Format(format!("unknown format version {other}"))),
    };
    if len > MAX_HEADER {
        return Err(Error::Format(format!("header of {len} bytes is larger than {MAX_HEADER}")));
    }
    let bytes = src.read_kept(len, MAX_HEADER as usize)?.bytes;
    let text = String::from_utf8_lossy(&bytes);
    let Lit::Dict(entries) = pylit::parse(&text).map_err(Error::Format)? else {
        return Err(Error::Format("header is not a dict".into()));
    };
    let descr = entries
        .iter()
        .find(|(k, _)| *k == Lit::Str("descr".into()))
        .map(|(_, v)| v)
        .ok_or_else(|| Error::Format("header has no descr".into()))?;
    Ok(Header { descr: show(descr), object: has_object(descr) })
}

/// Whether a dtype description contains an object field (`'O'`, with any byte-order mark),
/// looking through structured dtypes `[(name, dtype[, shape]), ...]`.
fn has_object(descr: &Lit) -> bool {
    match descr {
        Lit::Str(s) => s.trim_start_matches(['<', '>', '|', '=']).starts_with('O'),
        Lit::Seq(items) => items.iter().any(|field| match field {
            Lit::Seq(parts) => parts.get(1).is_some_and(has_object),
            other => has_object(other),
        }),
        _ => false,
    }
}

fn show(descr: &Lit) -> String {
    match descr {
        Lit::Str(s) => format!("'{s}'"),
        _ => "structured".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out
    }

    fn read(bytes: &[u8]) -> Result<Header, Error> {
        let mut data = bytes;
        read_header(&mut Src::new(&mut data))
    }

    #[test]
    fn numeric_and_object_dtypes() {
        let float = read(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n")).unwrap();
        assert!(!float.object);
        assert!(read(&npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n")).unwrap().object);
        let structured = "{'descr': [('a', '<i4'), ('b', [('c', '|O')])], 'fortran_order': False, 'shape': (), }";
        assert!(read(&npy(structured)).unwrap().object);
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert!(matches!(read(&npy("{'shape': (3,)}")), Err(Error::Format(_))));
        assert!(matches!(read(&npy("not a dict")), Err(Error::Format(_))));
        assert!(matches!(read(b"\x93NUMPY\x09\x00"), Err(Error::Format(_))));
        assert!(matches!(read(b"\x93NUMPY\x01\x00\xff\xff{"), Err(Error::Io(_))));
    }
}
