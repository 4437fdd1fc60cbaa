use super::*;

fn varint_bytes(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn num(field: u32, v: u64) -> Vec<u8> {
    [varint_bytes(u64::from(field) << 3), varint_bytes(v)].concat()
}

fn bytes(field: u32, payload: &[u8]) -> Vec<u8> {
    [varint_bytes((u64::from(field) << 3) | 2), varint_bytes(payload.len() as u64), payload.to_vec()].concat()
}

fn model(graph: &[u8]) -> Vec<u8> {
    [num(1, 8), bytes(2, b"test"), bytes(7, graph), bytes(8, &[bytes(1, b""), num(2, 17)].concat())].concat()
}

fn tensor(name: &str, dims: &[i64], location: Option<&str>) -> Vec<u8> {
    let mut out: Vec<u8> = dims.iter().flat_map(|&d| num(1, d as u64)).collect();
    out.extend(num(2, 1));
    out.extend(bytes(8, name.as_bytes()));
    if let Some(location) = location {
        out.extend(bytes(13, &[bytes(1, b"location"), bytes(2, location.as_bytes())].concat()));
        out.extend(num(14, 1));
    } else {
        out.extend(bytes(9, &[0; 16]));
    }
    out
}

fn node(op: &str, domain: &str, attributes: &[u8]) -> Vec<u8> {
    [bytes(4, op.as_bytes()), bytes(5, attributes), bytes(7, domain.as_bytes())].concat()
}

fn read_all(bytes: &[u8]) -> (Facts, Option<Error>) {
    let mut data = bytes;
    read(&mut Src::new(&mut data), &Limits { max_tensor_bytes: 1 << 30, ..Limits::default() })
}

#[test]
fn external_data_domains_and_sizes() {
    let graph = [
        bytes(1, &node("Relu", "", &[])),
        bytes(1, &node("Evil", "com.evil", &[])),
        bytes(5, &tensor("w", &[2, 2], None)),
        bytes(5, &tensor("x", &[4], Some("../x.bin"))),
        bytes(5, &tensor("neg", &[-1, 2], None)),
        bytes(5, &tensor("big", &[1 << 20, 1 << 20], None)),
        bytes(5, &tensor("over", &[1 << 40, 1 << 40], None)),
    ]
    .concat();
    let (facts, error) = read_all(&model(&graph));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        facts.external,
        vec![External { name: "x".into(), location: "../x.bin".into(), offset: facts.external[0].offset }]
    );
    assert_eq!(facts.custom_domains, vec![("com.evil".into(), "Evil".into())]);
    let absurd: Vec<(&str, &str)> = facts.absurd.iter().map(|a| (a.name.as_str(), a.problem.as_str())).collect();
    assert_eq!(absurd.len(), 3, "{absurd:?}");
    assert!(absurd[0].1.contains("negative dimension -1"));
    assert!(absurd[1].1.contains("more than"));
    assert!(absurd[2].1.contains("overflows"));
}

#[test]
fn packed_dims_subgraphs_and_functions() {
    let packed: Vec<u8> = [1u64 << 31, 1 << 31].iter().flat_map(|&d| varint_bytes(d)).collect();
    let t = [bytes(1, &packed), num(2, 1), bytes(8, b"p")].concat();
    let inner = bytes(5, &t);
    // An If node whose then_branch (attribute g) holds the tensor, in a local-function domain.
    let attribute = [bytes(1, b"then_branch"), bytes(6, &inner)].concat();
    let graph = bytes(1, &node("If", "my.funcs", &attribute));
    let function = [bytes(1, b"f"), bytes(10, b"my.funcs")].concat();
    let bytes_ = [model(&graph), bytes(25, &function)].concat();
    let (facts, error) = read_all(&bytes_);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(facts.absurd.len(), 1);
    assert_eq!(facts.absurd[0].name, "p");
    assert!(facts.custom_domains.is_empty());
}

#[test]
fn nesting_bomb_is_an_error() {
    let mut graph = bytes(5, &tensor("leaf", &[1], None));
    for _ in 0..200 {
        let attribute = [bytes(1, b"g"), bytes(6, &graph)].concat();
        graph = bytes(1, &node("If", "", &attribute));
    }
    let (_, error) = read_all(&model(&graph));
    assert!(matches!(error, Some(Error::Malformed(m)) if m.contains("nested deeper")));
}

#[test]
fn truncated_and_malformed() {
    let whole = model(&bytes(5, &tensor("w", &[2], None)));
    let (_, error) = read_all(&whole[..whole.len() - 3]);
    assert!(matches!(error, Some(Error::Malformed(m)) if m == "truncated"));
    let (_, error) = read_all(&[0x08, 0x08, 0x3a, 0x05, 0x0a, 0x10, 0, 0, 0]);
    assert!(matches!(error, Some(Error::Malformed(_))));
}

#[test]
fn detection() {
    let m = model(&bytes(5, &tensor("w", &[2], None)));
    assert!(looks_like_onnx(&m, true));
    assert!(looks_like_onnx(&m[..10], false));
    assert!(!looks_like_onnx(&m[..10], true));
    assert!(!looks_like_onnx(b"\x08\x08", true));
    assert!(!looks_like_onnx(b"hello world", true));
    assert!(!looks_like_onnx(&[0x08, 0x08, 0x78, 0x01], true));
}
