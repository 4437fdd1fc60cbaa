//! File formats, told apart by content (magic bytes and structure), never by extension:
//! a renamed pickle is still a pickle.

use serde::Serialize;

use crate::{archive, keras, onnx, pickle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Unknown,
    /// Raw pickle data, one or more pickles (joblib files are pickles too).
    Pickle,
    /// PyTorch before 1.6: a magic-number pickle, then four more pickles and raw storages.
    PytorchLegacy,
    /// PyTorch's zip format (`*/data.pkl`).
    PytorchZip,
    /// PyTorch's oldest format: a tar of `sys_info`, `pickle`, `storages` and `tensors`.
    PytorchTar,
    Npy,
    Npz,
    Zip,
    Tar,
    Gzip,
    /// A raw zlib stream (joblib's default compression).
    Zlib,
    Safetensors,
    Onnx,
    /// A Keras 3 `.keras` zip: `config.json` holds a Keras model config.
    Keras,
    /// A Keras model config as JSON (`model.to_json()`, a `.keras` zip's `config.json`).
    KerasJson,
    /// HDF5, legacy Keras `.h5` models among others: searched for Keras configs.
    Hdf5,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Unknown => "unknown",
            Format::Pickle => "pickle",
            Format::PytorchLegacy => "pytorch-legacy",
            Format::PytorchZip => "pytorch-zip",
            Format::PytorchTar => "pytorch-tar",
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Zlib => "zlib",
            Format::Safetensors => "safetensors",
            Format::Onnx => "onnx",
            Format::Keras => "keras",
            Format::KerasJson => "keras-json",
            Format::Hdf5 => "hdf5",
        }
    }

    /// Formats that hold other files.
    pub fn is_container(self) -> bool {
        matches!(self, Format::Zip | Format::Tar | Format::Gzip | Format::Zlib)
    }
}

/// How many bytes `detect` wants to see.
pub const PREFIX_LEN: usize = 4096;

/// PyTorch's legacy magic number as the first pickle writes it: PROTO 2, LONG1 of ten bytes
/// (0x1950a86a20f9469cfc6c little-endian), STOP.
const TORCH_LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e";

/// The format of a stream from its first bytes; `complete` says the prefix is the whole stream.
pub fn detect(prefix: &[u8], complete: bool) -> Format {
    if prefix.starts_with(b"\x93NUMPY") {
        Format::Npy
    } else if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if archive::tar::is_tar_header(prefix) {
        Format::Tar
    } else if keras::is_hdf5(prefix) {
        Format::Hdf5
    } else if prefix.starts_with(b"\x1f\x8b\x08") {
        Format::Gzip
    } else if is_zlib(prefix) {
        Format::Zlib
    } else if prefix.starts_with(TORCH_LEGACY_MAGIC) {
        Format::PytorchLegacy
    } else if is_safetensors(prefix) {
        Format::Safetensors
    } else if keras::looks_like_config(prefix) {
        Format::KerasJson
    } else if pickle::looks_like_pickle(prefix, complete) {
        Format::Pickle
    } else if onnx::looks_like_onnx(prefix, complete) {
        Format::Onnx
    } else {
        Format::Unknown
    }
}

/// A zlib header without a preset dictionary (deflate, 32K window), as joblib writes.
fn is_zlib(prefix: &[u8]) -> bool {
    matches!(prefix, [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..])
}

/// Eight bytes of header length, then the JSON header's opening brace. The length is not
/// checked here, so an oversized header is reported instead of skipped.
fn is_safetensors(prefix: &[u8]) -> bool {
    prefix.len() >= 9 && prefix[8] == b'{' && prefix[5..8] == [0, 0, 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_magic() {
        assert_eq!(detect(b"\x93NUMPY\x01\x00", false), Format::Npy);
        assert_eq!(detect(b"PK\x03\x04rest", false), Format::Zip);
        assert_eq!(detect(b"\x1f\x8b\x08\x00", false), Format::Gzip);
        assert_eq!(detect(b"\x78\x9c\x00", false), Format::Zlib);
        assert_eq!(detect(b"\x80\x04\x95", false), Format::Pickle);
        assert_eq!(detect(TORCH_LEGACY_MAGIC, false), Format::PytorchLegacy);
        assert_eq!(detect(b"\x02\x00\x00\x00\x00\x00\x00\x00{}", true), Format::Safetensors);
        assert_eq!(detect(b"\x89HDF\r\n\x1a\n\x00", false), Format::Hdf5);
        let mut user_block = vec![0u8; 512];
        user_block.extend_from_slice(b"\x89HDF\r\n\x1a\n");
        assert_eq!(detect(&user_block, true), Format::Hdf5);
        assert_eq!(detect(b" {\"module\": \"keras\", \"class_name\": \"Sequential\"", false), Format::KerasJson);
    }

    #[test]
    fn protocol_zero_pickles_and_text() {
        // pickle.dumps(None, protocol=0)
        assert_eq!(detect(b"N.", true), Format::Pickle);
        // pickle.dumps([1], protocol=0)
        assert_eq!(detect(b"(lp0\nI1\na.", true), Format::Pickle);
        // A malicious pickle followed by junk still gets scanned.
        assert_eq!(detect(b"cos\nsystem\n(S'id'\ntR\xff\xff", true), Format::Pickle);
        assert_eq!(detect(b"class Foo:\n    pass\n", true), Format::Unknown);
        assert_eq!(detect(b"Licensed under the Apache License", true), Format::Unknown);
        assert_eq!(detect(b"{\"a\": 1}", true), Format::Unknown);
        assert_eq!(detect(b"", true), Format::Unknown);
    }
}
