//! A minimal streaming protobuf wire reader: just enough to walk the ONNX messages the
//! scanner needs, skipping everything else (weights included) without holding it.

use std::io;

use crate::source::Src;

/// A field's payload as the wire type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Varint(u64),
    /// A length-delimited payload of this many bytes, not yet read.
    Len(u64),
    Fixed64,
    Fixed32,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Malformed(String),
}

pub fn varint(src: &mut Src) -> Result<u64, Error> {
    let mut value = 0u64;
    for i in 0..10 {
        let b = src.byte()?;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Error::Malformed("varint longer than 10 bytes".into()))
}

/// Reads a field header and, for fixed-width fields, skips the value. Returns `None` when
/// `end` is reached (or at the end of the stream when `end` is `None`).
pub fn field(src: &mut Src, end: Option<u64>) -> Result<Option<(u32, Wire)>, Error> {
    match end {
        Some(end) if src.pos() >= end => return Ok(None),
        None if src.peek()?.is_none() => return Ok(None),
        _ => {}
    }
    let tag = varint(src)?;
    let number = u32::try_from(tag >> 3).map_err(|_| Error::Malformed("field number too large".into()))?;
    if number == 0 {
        return Err(Error::Malformed("field number 0".into()));
    }
    let wire = match tag & 7 {
        0 => Wire::Varint(varint(src)?),
        1 => {
            src.skip(8)?;
            Wire::Fixed64
        }
        2 => Wire::Len(varint(src)?),
        5 => {
            src.skip(4)?;
            Wire::Fixed32
        }
        other => return Err(Error::Malformed(format!("unsupported wire type {other}"))),
    };
    if end.is_some_and(|end| src.pos() > end) {
        return Err(Error::Malformed("field runs past the end of its message".into()));
    }
    Ok(Some((number, wire)))
}

/// The end offset of a length-delimited payload starting now, checked against its parent's.
pub fn sub_end(src: &Src, len: u64, parent_end: Option<u64>) -> Result<u64, Error> {
    let end = src.pos().checked_add(len).ok_or_else(|| Error::Malformed("length overflows".into()))?;
    match parent_end {
        Some(parent) if end > parent => Err(Error::Malformed("nested message runs past its parent".into())),
        _ => Ok(end),
    }
}

/// Reads a string payload, keeping at most `keep` bytes.
pub fn string(src: &mut Src, len: u64, keep: usize) -> Result<String, Error> {
    let kept = src.read_kept(len, keep)?;
    Ok(String::from_utf8_lossy(&kept.bytes).into_owned())
}

/// Skips to `end` (the rest of a message the reader does not care about).
pub fn skip_to(src: &mut Src, end: u64) -> Result<(), Error> {
    let left = end.checked_sub(src.pos()).ok_or_else(|| Error::Malformed("read past a message end".into()))?;
    src.skip(left)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields() {
        let mut data: &[u8] = &[0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i'];
        let mut src = Src::new(&mut data);
        assert_eq!(field(&mut src, None).unwrap(), Some((1, Wire::Varint(150))));
        assert_eq!(field(&mut src, None).unwrap(), Some((2, Wire::Len(2))));
        assert_eq!(string(&mut src, 2, 1).unwrap(), "h");
        assert_eq!(field(&mut src, None).unwrap(), None);
    }

    #[test]
    fn malformed() {
        let mut data: &[u8] = &[0xff; 11];
        assert!(matches!(varint(&mut Src::new(&mut data)), Err(Error::Malformed(_))));
        let mut data: &[u8] = &[0x0b];
        assert!(matches!(field(&mut Src::new(&mut data), None), Err(Error::Malformed(_))));
        let mut data: &[u8] = &[0x08, 0x01];
        assert!(matches!(field(&mut Src::new(&mut data), Some(1)), Err(Error::Malformed(_))));
    }
}
