use super::*;

/// A safetensors file: header length, header, then `buffer` zero bytes.
fn file(header: &str, buffer: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + buffer, 0);
    out
}

/// Problems found, checked both with the length known and by reading to the end.
fn problems(bytes: &[u8]) -> Vec<String> {
    let mut data = bytes;
    let known = check(&mut Src::new(&mut data), Some(bytes.len() as u64)).unwrap();
    let mut data = bytes;
    let streamed = check(&mut Src::new(&mut data), None).unwrap();
    assert_eq!(known, streamed);
    known
}

fn has(bytes: &[u8], needle: &str) -> bool {
    let found = problems(bytes);
    assert!(found.iter().any(|p| p.contains(needle)), "{needle}: {found:?}");
    true
}

const GOOD: &str = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}"#;

#[test]
fn valid_files() {
    assert!(problems(&file(GOOD, 22)).is_empty());
    // Header padded with spaces, as the writer aligns it to 8 bytes.
    assert!(problems(&file(&format!("{GOOD}      "), 22)).is_empty());
    assert!(problems(&file("{}", 0)).is_empty());
    // Sub-byte dtypes with a whole number of bytes, and a zero-element tensor.
    let small =
        r#"{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}"#;
    assert!(problems(&file(small, 2)).is_empty());
}

#[test]
fn file_length_must_match() {
    assert!(has(&file(GOOD, 23), "data buffer holds 23"));
    assert!(has(&file(GOOD, 21), "data buffer holds 21"));
    assert!(has(&[1, 2, 3], "shorter than the 8-byte header length"));
    let mut truncated = file(GOOD, 0);
    truncated.truncate(20);
    assert!(has(&truncated, "file ends after"));
}

#[test]
fn offsets_must_tile_the_buffer() {
    let gap =
        r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}"#;
    assert!(has(&file(gap, 6), "gap of 2 bytes"));
    let overlap =
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#;
    assert!(has(&file(overlap, 4), "overlaps"));
    let late = r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#;
    assert!(has(&file(late, 4), "gap of 2 bytes before tensor `a`"));
    let backwards = r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[4,2]}}"#;
    assert!(has(&file(backwards, 4), "end before they begin"));
}

#[test]
fn sizes_use_checked_arithmetic() {
    let mismatch = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
    assert!(has(&file(mismatch, 8), "needs 12 bytes"));
    let overflow = r#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#;
    assert!(has(&file(overflow, 0), "overflows"));
    let bits = r#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#;
    assert!(has(&file(bits, 0), "byte size overflows"));
    let ragged = r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#;
    assert!(has(&file(ragged, 1), "whole number of bytes"));
    let dtype = r#"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#;
    assert!(has(&file(dtype, 16), "unknown dtype"));
}

#[test]
fn header_shape() {
    assert!(has(&file("[]", 0), "not a valid safetensors JSON object"));
    assert!(has(&file("{\"a\": 1}", 0), "not a valid safetensors JSON object"));
    let negative = r#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#;
    assert!(has(&file(negative, 0), "not a valid safetensors JSON object"));
    let dup =
        r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    assert!(has(&file(dup, 2), "duplicate key `a`"));
    let meta = r#"{"__metadata__":{"k":"v","k":"w","n":1}}"#;
    let found = problems(&file(meta, 0));
    assert!(found.iter().any(|p| p.contains("duplicate key `k` in __metadata__")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("`n` is not a string")), "{found:?}");
    let mut huge = 200_000_000u64.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    assert!(has(&huge, "exceeds the format's limit"));
}
