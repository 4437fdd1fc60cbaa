//! The Open Inference Protocol's datatypes and their mapping onto tract's.

use std::fmt;

use tract_onnx::prelude::DatumType;

/// A tensor element type as the protocol names it (`"FP32"`, `"INT64"`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F16,
    F32,
    F64,
    Bytes,
}

impl DataType {
    pub const ALL: [DataType; 13] = [
        DataType::Bool,
        DataType::U8,
        DataType::U16,
        DataType::U32,
        DataType::U64,
        DataType::I8,
        DataType::I16,
        DataType::I32,
        DataType::I64,
        DataType::F16,
        DataType::F32,
        DataType::F64,
        DataType::Bytes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "BOOL",
            DataType::U8 => "UINT8",
            DataType::U16 => "UINT16",
            DataType::U32 => "UINT32",
            DataType::U64 => "UINT64",
            DataType::I8 => "INT8",
            DataType::I16 => "INT16",
            DataType::I32 => "INT32",
            DataType::I64 => "INT64",
            DataType::F16 => "FP16",
            DataType::F32 => "FP32",
            DataType::F64 => "FP64",
            DataType::Bytes => "BYTES",
        }
    }

    /// Parses a protocol name; the protocol spells them in upper case only.
    pub fn parse(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Bytes per element in the binary tensor encoding; `None` for BYTES, whose
    /// elements carry their own 4-byte length prefix.
    pub fn element_size(self) -> Option<usize> {
        Some(match self {
            DataType::Bool | DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 | DataType::F16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
            DataType::Bytes => return None,
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, DataType::F16 | DataType::F32 | DataType::F64)
    }

    /// The protocol type for a tract type, or `None` for types a client cannot send
    /// (complex numbers, quantized types, symbolic dimensions).
    pub fn from_datum(dt: DatumType) -> Option<DataType> {
        Some(match dt {
            DatumType::Bool => DataType::Bool,
            DatumType::U8 => DataType::U8,
            DatumType::U16 => DataType::U16,
            DatumType::U32 => DataType::U32,
            DatumType::U64 => DataType::U64,
            DatumType::I8 => DataType::I8,
            DatumType::I16 => DataType::I16,
            DatumType::I32 => DataType::I32,
            DatumType::I64 | DatumType::TDim => DataType::I64,
            DatumType::F16 => DataType::F16,
            DatumType::F32 => DataType::F32,
            DatumType::F64 => DataType::F64,
            DatumType::String => DataType::Bytes,
            _ => return None,
        })
    }

    pub fn to_datum(self) -> DatumType {
        match self {
            DataType::Bool => DatumType::Bool,
            DataType::U8 => DatumType::U8,
            DataType::U16 => DatumType::U16,
            DataType::U32 => DatumType::U32,
            DataType::U64 => DatumType::U64,
            DataType::I8 => DatumType::I8,
            DataType::I16 => DatumType::I16,
            DataType::I32 => DatumType::I32,
            DataType::I64 => DatumType::I64,
            DataType::F16 => DatumType::F16,
            DataType::F32 => DatumType::F32,
            DataType::F64 => DatumType::F64,
            DataType::Bytes => DatumType::String,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for dt in DataType::ALL {
            assert_eq!(DataType::parse(dt.name()), Some(dt));
            assert_eq!(DataType::from_datum(dt.to_datum()), Some(dt));
        }
        assert_eq!(DataType::parse("fp32"), None);
        assert_eq!(DataType::parse("FLOAT"), None);
    }
}
