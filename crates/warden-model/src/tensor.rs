//! Tensors as they cross the API: a datatype, a shape and row-major elements.

use half::f16;
use tract_onnx::prelude::{Tensor as TractTensor, tract_ndarray};

use crate::DataType;
use crate::error::TensorError;

/// Row-major tensor elements, one variant per protocol datatype.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    Bool(Vec<bool>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F16(Vec<f16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<Vec<u8>>),
}

/// Applies `$body` to the vector inside any fixed-size variant, binding it to `$v`;
/// `$bytes` handles the BYTES variant.
macro_rules! each_fixed {
    ($data:expr, $v:ident => $body:expr, $b:ident => $bytes:expr) => {
        match $data {
            TensorData::Bool($v) => $body,
            TensorData::U8($v) => $body,
            TensorData::U16($v) => $body,
            TensorData::U32($v) => $body,
            TensorData::U64($v) => $body,
            TensorData::I8($v) => $body,
            TensorData::I16($v) => $body,
            TensorData::I32($v) => $body,
            TensorData::I64($v) => $body,
            TensorData::F16($v) => $body,
            TensorData::F32($v) => $body,
            TensorData::F64($v) => $body,
            TensorData::Bytes($b) => $bytes,
        }
    };
}

/// Little-endian encoding of one element, for the binary tensor extension.
trait LeBytes: Sized + Copy {
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
    fn write(self, out: &mut Vec<u8>);
}

macro_rules! le_bytes {
    ($($t:ty),*) => {$(
        impl LeBytes for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
le_bytes!(u8, u16, u32, u64, i8, i16, i32, i64, f16, f32, f64);

impl LeBytes for bool {
    const SIZE: usize = 1;
    fn read(b: &[u8]) -> Self {
        b[0] != 0
    }
    fn write(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

fn read_all<T: LeBytes>(raw: &[u8]) -> Vec<T> {
    raw.chunks_exact(T::SIZE).map(T::read).collect()
}

impl TensorData {
    pub fn datatype(&self) -> DataType {
        match self {
            TensorData::Bool(_) => DataType::Bool,
            TensorData::U8(_) => DataType::U8,
            TensorData::U16(_) => DataType::U16,
            TensorData::U32(_) => DataType::U32,
            TensorData::U64(_) => DataType::U64,
            TensorData::I8(_) => DataType::I8,
            TensorData::I16(_) => DataType::I16,
            TensorData::I32(_) => DataType::I32,
            TensorData::I64(_) => DataType::I64,
            TensorData::F16(_) => DataType::F16,
            TensorData::F32(_) => DataType::F32,
            TensorData::F64(_) => DataType::F64,
            TensorData::Bytes(_) => DataType::Bytes,
        }
    }

    pub fn len(&self) -> usize {
        each_fixed!(self, v => v.len(), b => b.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of `to_le_bytes`, without building it.
    pub fn byte_len(&self) -> usize {
        each_fixed!(self, v => std::mem::size_of_val(&v[..]), b => b.iter().map(|e| 4 + e.len()).sum())
    }

    /// True when a float element is NaN or infinite.
    pub fn has_non_finite(&self) -> bool {
        match self {
            TensorData::F16(v) => v.iter().any(|x| !x.is_finite()),
            TensorData::F32(v) => v.iter().any(|x| !x.is_finite()),
            TensorData::F64(v) => v.iter().any(|x| !x.is_finite()),
            _ => false,
        }
    }

    /// Decodes the binary tensor extension's raw bytes: little-endian elements for
    /// fixed-size types, and a 4-byte little-endian length before each BYTES element.
    pub fn from_le_bytes(dt: DataType, raw: &[u8]) -> Result<TensorData, TensorError> {
        if let Some(size) = dt.element_size()
            && !raw.len().is_multiple_of(size)
        {
            return Err(TensorError::BinarySize { datatype: dt, len: raw.len() });
        }
        Ok(match dt {
            DataType::Bool => TensorData::Bool(read_all(raw)),
            DataType::U8 => TensorData::U8(raw.to_vec()),
            DataType::U16 => TensorData::U16(read_all(raw)),
            DataType::U32 => TensorData::U32(read_all(raw)),
            DataType::U64 => TensorData::U64(read_all(raw)),
            DataType::I8 => TensorData::I8(read_all(raw)),
            DataType::I16 => TensorData::I16(read_all(raw)),
            DataType::I32 => TensorData::I32(read_all(raw)),
            DataType::I64 => TensorData::I64(read_all(raw)),
            DataType::F16 => TensorData::F16(read_all(raw)),
            DataType::F32 => TensorData::F32(read_all(raw)),
            DataType::F64 => TensorData::F64(read_all(raw)),
            DataType::Bytes => TensorData::Bytes(split_bytes_elements(raw)?),
        })
    }

    /// The binary tensor extension's encoding of these elements.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        each_fixed!(self, v => {
            out.reserve(std::mem::size_of_val(&v[..]));
            for x in v {
                x.write(&mut out);
            }
        }, b => {
            for e in b {
                out.extend_from_slice(&(e.len() as u32).to_le_bytes());
                out.extend_from_slice(e);
            }
        });
        out
    }

    /// Builds a tract tensor of this data with `shape`; the caller has checked
    /// that the element count matches.
    pub fn to_tract(&self, shape: &[usize]) -> Result<TractTensor, TensorError> {
        let wrap = |e: tract_onnx::prelude::TractError| TensorError::Tract(e.to_string());
        each_fixed!(self, v => TractTensor::from_shape(shape, v).map_err(wrap), b => {
            let strings = b
                .iter()
                .map(|e| String::from_utf8(e.clone()).map_err(|_| TensorError::NotUtf8))
                .collect::<Result<Vec<_>, _>>()?;
            let array = tract_ndarray::ArrayD::from_shape_vec(shape, strings)
                .map_err(|e| TensorError::Tract(e.to_string()))?;
            Ok(array.into())
        })
    }

    /// Reads a tract tensor as `dt`, casting when the model computed another type
    /// than it declares (tract may produce TDim where the graph says INT64).
    pub fn from_tract(t: &TractTensor, dt: DataType) -> Result<TensorData, TensorError> {
        let wrap = |e: tract_onnx::prelude::TractError| TensorError::Tract(e.to_string());
        let t = t.cast_to_dt(dt.to_datum()).map_err(wrap)?;
        let view = t.try_as_plain_ram().map_err(wrap)?;
        macro_rules! copy {
            ($variant:ident, $ty:ty) => {
                TensorData::$variant(view.as_slice::<$ty>().map_err(wrap)?.to_vec())
            };
        }
        Ok(match dt {
            DataType::Bool => copy!(Bool, bool),
            DataType::U8 => copy!(U8, u8),
            DataType::U16 => copy!(U16, u16),
            DataType::U32 => copy!(U32, u32),
            DataType::U64 => copy!(U64, u64),
            DataType::I8 => copy!(I8, i8),
            DataType::I16 => copy!(I16, i16),
            DataType::I32 => copy!(I32, i32),
            DataType::I64 => copy!(I64, i64),
            DataType::F16 => copy!(F16, f16),
            DataType::F32 => copy!(F32, f32),
            DataType::F64 => copy!(F64, f64),
            DataType::Bytes => TensorData::Bytes(
                view.as_slice::<String>().map_err(wrap)?.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ),
        })
    }
}

fn split_bytes_elements(mut raw: &[u8]) -> Result<Vec<Vec<u8>>, TensorError> {
    let mut out = Vec::new();
    while !raw.is_empty() {
        let Some((len, rest)) = raw.split_first_chunk::<4>() else {
            return Err(TensorError::BytesFraming);
        };
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(TensorError::BytesFraming);
        }
        out.push(rest[..len].to_vec());
        raw = &rest[len..];
    }
    Ok(out)
}

/// A named tensor with its shape: one input or output of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: TensorData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_round_trip_every_type() {
        let samples = vec![
            TensorData::Bool(vec![true, false, true]),
            TensorData::U8(vec![0, 255]),
            TensorData::U16(vec![1, 65535]),
            TensorData::U32(vec![7, u32::MAX]),
            TensorData::U64(vec![u64::MAX, 3]),
            TensorData::I8(vec![-128, 127]),
            TensorData::I16(vec![-2, 300]),
            TensorData::I32(vec![i32::MIN, 5]),
            TensorData::I64(vec![i64::MIN, i64::MAX]),
            TensorData::F16(vec![f16::from_f32(1.5), f16::from_f32(-2.0)]),
            TensorData::F32(vec![0.25, -1e30]),
            TensorData::F64(vec![1e300, -0.5]),
            TensorData::Bytes(vec![b"abc".to_vec(), vec![], b"\xff\x00".to_vec()]),
        ];
        for data in samples {
            let raw = data.to_le_bytes();
            assert_eq!(TensorData::from_le_bytes(data.datatype(), &raw).unwrap(), data);
        }
    }

    #[test]
    fn binary_sizes_are_checked() {
        assert!(matches!(TensorData::from_le_bytes(DataType::F32, &[0, 0, 0]), Err(TensorError::BinarySize { .. })));
        assert!(matches!(
            TensorData::from_le_bytes(DataType::Bytes, &[5, 0, 0, 0, b'a']),
            Err(TensorError::BytesFraming)
        ));
        assert!(matches!(TensorData::from_le_bytes(DataType::Bytes, &[1, 0]), Err(TensorError::BytesFraming)));
    }

    #[test]
    fn non_finite_detection() {
        assert!(TensorData::F32(vec![1.0, f32::NAN]).has_non_finite());
        assert!(TensorData::F64(vec![f64::INFINITY]).has_non_finite());
        assert!(!TensorData::F32(vec![1.0, 2.0]).has_non_finite());
        assert!(!TensorData::I32(vec![1]).has_non_finite());
    }

    #[test]
    fn tract_round_trip() {
        let data = TensorData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = data.to_tract(&[2, 3]).unwrap();
        assert_eq!(t.shape(), &[2, 3]);
        assert_eq!(TensorData::from_tract(&t, DataType::F32).unwrap(), data);
        let cast = TensorData::from_tract(&t, DataType::F64).unwrap();
        assert_eq!(cast, TensorData::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    }
}
