use std::io::{self, Cursor};
use std::path::Path;

use super::*;
use crate::options::Options;
use crate::report::FileReport;

const MAX: u64 = 64 << 20;

fn walk(json: &str) -> Parsed {
    parse(json.as_bytes(), &mut io::empty(), 0, MAX).unwrap()
}

fn ids(parsed: &Parsed) -> Vec<&'static str> {
    parsed.hits.iter().map(|h| h.rule.id).collect()
}

/// A Keras 3 Sequential model config around `layers`.
fn sequential(layers: &[String]) -> String {
    format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "sequential", "layers": [{}]}}, "registered_name": null}}"#,
        layers.join(", ")
    )
}

fn dense(name: &str) -> String {
    format!(
        r#"{{"module": "keras.layers", "class_name": "Dense", "config": {{"name": "{name}", "units": 4, "activation": "relu"}}, "registered_name": null}}"#
    )
}

fn lambda3(name: &str, function: &str) -> String {
    format!(
        r#"{{"module": "keras.layers", "class_name": "Lambda", "config": {{"name": "{name}", "function": {function}, "arguments": {{}}}}, "registered_name": null}}"#
    )
}

const BYTECODE3: &str = r#"{"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAQAAAHIBAAAA\n", "defaults": null, "closure": null}}"#;

#[test]
fn benign_keras3_model_is_clean() {
    let parsed = walk(&sequential(&[dense("a"), dense("b")]));
    assert!(parsed.keras);
    assert_eq!(parsed.error, None);
    assert!(parsed.hits.is_empty(), "{:?}", parsed.hits);
}

#[test]
fn keras3_lambda_bytecode_is_critical_with_name_pointer_and_offset() {
    let layer = lambda3("evil", BYTECODE3);
    let json = sequential(&[dense("a"), layer.clone()]);
    let parsed = walk(&json);
    assert_eq!(ids(&parsed), ["WS014"]);
    let hit = &parsed.hits[0];
    assert!(hit.message.contains("Lambda layer `evil`"), "{}", hit.message);
    assert!(hit.message.contains("/config/layers/1"), "{}", hit.message);
    assert!(hit.message.contains("marshaled Python bytecode"), "{}", hit.message);
    assert_eq!(hit.offset, json.find(&layer).unwrap() as u64);
}

#[test]
fn keras3_lambda_named_function() {
    let function =
        r#"{"module": "__main__", "class_name": "function", "config": "double", "registered_name": "function"}"#;
    let parsed = walk(&sequential(&[lambda3("l", function)]));
    assert_eq!(ids(&parsed), ["WS011"]);
    assert!(parsed.hits[0].message.contains("calls `__main__.double`"), "{}", parsed.hits[0].message);
    // A Keras function that defeats safe_mode (CVE-2025-9906) or a dangerous one is critical.
    for (module, name) in
        [("keras.models", "load_model"), ("keras.config", "enable_unsafe_deserialization"), ("os", "system")]
    {
        let function = format!(r#"{{"module": "{module}", "class_name": "function", "config": "{name}"}}"#);
        let parsed = walk(&sequential(&[lambda3("l", &function)]));
        assert_eq!(ids(&parsed), ["WS014"], "{module}.{name}");
        assert!(parsed.hits[0].message.contains(&format!("`{module}.{name}`")), "{}", parsed.hits[0].message);
    }
}

#[test]
fn custom_modules_are_medium() {
    let custom =
        r#"{"module": "mylib.layers", "class_name": "Gate", "config": {"name": "g"}, "registered_name": "mylib>Gate"}"#;
    let parsed = walk(&sequential(&[dense("a"), custom.to_owned()]));
    assert_eq!(ids(&parsed), ["WS012"]);
    assert!(parsed.hits[0].message.contains("`Gate` at /config/layers/1 comes from module `mylib.layers`"));
    // A function reference anywhere, here a loss in the compile config.
    let json = r#"{"class_name": "Functional", "config": {}, "compile_config": {"loss": {"module": "builtins", "class_name": "function", "config": "exec"}, "metrics": [{"module": "mymetrics", "class_name": "function", "config": "f1"}]}}"#;
    let parsed = walk(json);
    assert_eq!(ids(&parsed), ["WS014", "WS012"]);
    assert!(
        parsed.hits[0].message.contains("/compile_config/loss names `builtins.exec`"),
        "{}",
        parsed.hits[0].message
    );
    assert!(parsed.hits[1].message.contains("function `mymetrics.f1` at /compile_config/metrics/0"));
}

#[test]
fn keras2_lambda_layers() {
    // tf.keras 2 `model_config`: a lambda is [base64 bytecode, defaults, closure].
    let json = r#"{"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAAA\n", null, null], "function_type": "lambda", "module": "__main__", "output_shape": null, "output_shape_type": "raw", "arguments": {}}},
        {"class_name": "Lambda", "config": {"name": "named", "function": "double", "function_type": "function", "module": "mymod", "output_shape": [4], "output_shape_type": "raw"}},
        {"class_name": "Lambda", "config": {"name": "shape", "function": "double", "function_type": "function", "module": "mymod", "output_shape": ["4wEAAAAA\n", null, null], "output_shape_type": "lambda"}}
    ]}, "keras_version": "2.15.0", "backend": "tensorflow"}"#;
    let parsed = walk(json);
    assert_eq!(ids(&parsed), ["WS014", "WS011", "WS014"]);
    assert!(parsed.hits[0].message.contains("Lambda layer `lam` at /config/layers/0: its `function`"));
    assert!(parsed.hits[1].message.contains("Lambda layer `named` at /config/layers/1 calls `mymod.double`"));
    assert!(parsed.hits[2].message.contains("its `output_shape` is marshaled"), "{}", parsed.hits[2].message);
}

#[test]
fn nested_models_and_key_order() {
    // A Functional model inside a Sequential one, wrapped in TimeDistributed, keys reordered.
    let inner = format!(
        r#"{{"config": {{"name": "inner", "layers": [{{"config": {{"function": {BYTECODE3}, "name": "deep"}}, "class_name": "Lambda"}}]}}, "class_name": "Functional"}}"#
    );
    let wrapper = format!(r#"{{"class_name": "TimeDistributed", "config": {{"name": "td", "layer": {inner}}}}}"#);
    let parsed = walk(&sequential(&[wrapper]));
    assert_eq!(ids(&parsed), ["WS014"]);
    assert!(
        parsed.hits[0].message.contains("Lambda layer `deep` at /config/layers/0/config/layer/config/layers/0"),
        "{}",
        parsed.hits[0].message
    );
    // The root's keys in any order still make it a Keras config.
    assert!(walk(r#"{"config": {"layers": []}, "class_name": "Sequential"}"#).keras);
}

#[test]
fn lambda_objects_outside_layers() {
    let json = format!(r#"{{"class_name": "Model", "config": {{}}, "compile_config": {{"loss": {BYTECODE3}}}}}"#);
    let parsed = walk(&json);
    assert_eq!(ids(&parsed), ["WS014"]);
    assert!(parsed.hits[0].message.contains("`__lambda__` object at /compile_config/loss"));
}

#[test]
fn pointers_escape_keys() {
    let json = format!(r#"{{"class_name": "M", "config": {{"a/b~c": {BYTECODE3}}}}}"#);
    assert!(walk(&json).hits[0].message.contains("/config/a~1b~0c"));
}

#[test]
fn other_json_is_not_keras() {
    for json in [r#"{"hidden_size": 8}"#, r#"{"class_name": 3, "config": {}}"#, r#"[1, 2]"#, r#"{"class_name": "A"}"#] {
        let parsed = walk(json);
        assert!(!parsed.keras, "{json}");
        assert_eq!(parsed.error, None);
    }
}

#[test]
fn truncated_config_keeps_what_it_found_and_says_where_it_broke() {
    let json = sequential(&[lambda3("evil", BYTECODE3), dense("b")]);
    let cut = &json[..json.len() - 40];
    let parsed = walk(cut);
    assert!(parsed.keras);
    assert_eq!(ids(&parsed), ["WS014"]);
    let error = parsed.error.unwrap();
    assert!(error.starts_with("EOF while parsing") && error.ends_with(&format!("at byte {}", cut.len())), "{error}");
    // Garbage after a valid prefix.
    let parsed = walk(r#"{"class_name": "Sequential", "config": {"layers": [}"#);
    assert!(parsed.keras && parsed.error.is_some());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["[", "{\"a\":"] {
        let json = format!(r#"{{"class_name": "X", "config": {}"#, open.repeat(1_000_000));
        let parsed = walk(&json);
        assert!(parsed.keras);
        assert!(parsed.error.as_deref().is_some_and(|e| e.contains("recursion limit")), "{:?}", parsed.error);
        assert!(parsed.consumed < 1000, "stops at the limit, not at the end: {}", parsed.consumed);
    }
}

#[test]
fn huge_strings_are_clipped_or_capped() {
    let long = "x".repeat(8 << 20);
    let json = format!(r#"{{"class_name": "{long}", "config": {{"{long}": "{long}", "module": "{long}"}}}}"#);
    let parsed = walk(&json);
    assert!(parsed.keras && parsed.error.is_none());
    // A config larger than the cap stops there, whatever it holds.
    let parsed = parse(json.as_bytes(), &mut io::empty(), 0, 1 << 20).unwrap();
    assert!(parsed.keras || parsed.error.is_some());
    assert_eq!(parsed.consumed, 1 << 20);
    assert!(parsed.error.unwrap().contains("larger than 1048576 bytes"));
}

#[test]
fn reader_errors_propagate() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    let err = parse(br#"{"class_name": "#, &mut Failing, 0, MAX).unwrap_err();
    assert_eq!(err.to_string(), "disk on fire");
}

// --- HDF5 -------------------------------------------------------------------------------

fn scan_h5(bytes: &[u8], options: &Options) -> FileReport {
    let mut cx = Cx::new(options, None);
    let mut reader = io::BufReader::with_capacity(4096, Cursor::new(bytes.to_vec()));
    scan_hdf5(&mut cx, &mut reader, &Loc::default()).unwrap();
    assert_eq!(cx.bytes, bytes.len() as u64);
    cx.into_report(Path::new("model.h5"))
}

/// An HDF5 attribute message (version 1) named `model_config` holding `json` as a fixed
/// length string, as h5py writes `f.attrs["model_config"] = json.encode()`.
fn attribute(json: &str) -> Vec<u8> {
    let mut out = vec![1, 0];
    out.extend_from_slice(&13u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(b"model_config\0\0\0\0");
    out.extend_from_slice(&[0x13, 0, 0, 0]);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(json.as_bytes());
    out
}

fn h5_with(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = b"\x89HDF\r\n\x1a\n".to_vec();
    out.resize(96, 0);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

#[test]
fn hdf5_model_config_attribute_in_any_key_order() {
    let json = r#"{"config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEA\n", null, null], "function_type": "lambda"}}]}, "class_name": "Sequential"}"#;
    let attr = attribute(json);
    let bytes = h5_with(&[&[7u8; 1000], &attr, &[0u8; 5000]]);
    let report = scan_h5(&bytes, &Options::default());
    let rules: Vec<_> = report.findings.iter().map(|f| f.rule.id).collect();
    assert_eq!(rules, ["WS014"]);
    let layer_at = bytes.windows(14).position(|w| w == br#"{"class_name":"#).unwrap();
    assert_eq!(report.findings[0].offset, Some(layer_at as u64));
    assert_eq!(report.error, None);
}

#[test]
fn hdf5_configs_across_window_boundaries_and_larger_than_the_window() {
    let lambda = |name: &str| lambda3(name, BYTECODE3);
    let mut layers: Vec<String> = (0..3000).map(|i| dense(&format!("d{i}"))).collect();
    layers.push(lambda("late"));
    let big = sequential(&layers);
    assert!(big.len() > WINDOW);
    for pad in [WINDOW - 100, WINDOW - 5, WINDOW - 20 - ATTR_NAME.len(), WINDOW + CARRY - 3, 10] {
        let small = sequential(&[lambda(&format!("pad{pad}"))]);
        let bytes = h5_with(&[&vec![0u8; pad], &attribute(&big), &[1, 2, 3], small.as_bytes(), &[0u8; 100]]);
        let report = scan_h5(&bytes, &Options::default());
        let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "pad {pad}: {messages:?}");
        assert!(messages[0].contains("`late`") && messages[1].contains(&format!("`pad{pad}`")), "{messages:?}");
        let small_at = bytes.windows(small.len()).position(|w| w == small.as_bytes()).unwrap();
        assert_eq!(report.findings[1].offset, Some((small_at + small.find(&lambda("x")[..40]).unwrap()) as u64));
        assert_eq!(report.error, None, "pad {pad}");
    }
}

#[test]
fn hdf5_object_pattern_without_attribute_name() {
    // The config as a variable-length string in the global heap: no attribute name nearby.
    let json = sequential(&[lambda3("vlen", BYTECODE3)]);
    let bytes = h5_with(&[b"GCOL", &[0u8; 40], json.as_bytes(), &[0u8; 8]]);
    let report = scan_h5(&bytes, &Options::default());
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings[0].message.contains("`vlen`"));
}

#[test]
fn hdf5_malformed_attribute_is_an_error_benign_is_clean() {
    let bytes = h5_with(&[&attribute(r#"{"class_name": "Sequential", "config": {"layers": [tru"#), &[0u8; 64]]);
    let report = scan_h5(&bytes, &Options::default());
    assert!(report.findings.is_empty());
    assert!(report.error.as_deref().is_some_and(|e| e.contains("could not be read to its end")), "{:?}", report.error);
    let bytes = h5_with(&[&attribute("{not json at all"), &[0u8; 64]]);
    let report = scan_h5(&bytes, &Options::default());
    assert!(report.error.as_deref().is_some_and(|e| e.contains("`model_config`")), "{:?}", report.error);
    let bytes = h5_with(&[&attribute(&sequential(&[dense("a")])), &[0u8; 64]]);
    let report = scan_h5(&bytes, &Options::default());
    assert!(report.findings.is_empty() && report.error.is_none(), "{report:?}");
}

#[test]
fn hdf5_config_over_the_cap_is_an_error_and_the_scan_goes_on() {
    let big = sequential(&(0..200).map(|i| dense(&format!("d{i}"))).collect::<Vec<_>>());
    let after = sequential(&[lambda3("after", BYTECODE3)]);
    let bytes = h5_with(&[&attribute(&big), &[0u8; 16], after.as_bytes()]);
    let options = Options { max_json_bytes: 4096, ..Options::default() };
    let report = scan_h5(&bytes, &options);
    assert!(report.error.as_deref().is_some_and(|e| e.contains("larger than 4096 bytes")), "{:?}", report.error);
    assert!(report.findings.iter().any(|f| f.message.contains("`after`")), "{:?}", report.findings);
}

#[test]
fn hdf5_many_unterminated_objects_are_linear() {
    // Every candidate fails; each parse stops at the next recursion limit or byte it cannot
    // read, and the search resumes after it, so the work stays proportional to the file.
    let chunk = r#"{"class_name": {"class_name": ["#;
    let bytes = h5_with(&[chunk.repeat(200_000).as_bytes()]);
    let started = std::time::Instant::now();
    let report = scan_h5(&bytes, &Options::default());
    assert!(started.elapsed().as_secs() < 20);
    // Not one of them names a class: nothing to report.
    assert!(report.findings.is_empty() && report.error.is_none(), "{report:?}");
}

/// A global heap collection holding `objects` (index, data), as HDF5 stores
/// variable-length strings: signature, version 1, reserved, collection size, then each
/// object's index, reference count, reserved and size before its data padded to 8 bytes,
/// and the free space (index 0) last.
fn collection(objects: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (index, data) in objects {
        body.extend_from_slice(&index.to_le_bytes());
        body.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&(data.len() as u64).to_le_bytes());
        body.extend_from_slice(data);
        body.resize(body.len().next_multiple_of(8), 0);
    }
    body.extend_from_slice(&[0u8; 16]);
    let mut out = b"GCOL\x01\0\0\0".to_vec();
    out.extend_from_slice(&((body.len() + 16) as u64).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[test]
fn hdf5_variable_length_strings_in_a_global_heap() {
    // Every object's keys reordered: no `{"class_name"` or `{"module"` anywhere, so only
    // the heap walk finds the config, and a `{` that is not JSON is passed over.
    let json = r#"{"config": {"layers": [{"config": {"function_type": "lambda", "function": ["4wEA", null, null], "name": "heap"}, "class_name": "Lambda"}]}, "class_name": "Sequential"}"#;
    for pad in [0, WINDOW - 40, WINDOW - 3, WINDOW + CARRY - 60] {
        let heap = collection(&[(1, b"2.15.0"), (2, b"{ not json"), (3, json.as_bytes()), (4, b"tensorflow")]);
        let bytes = h5_with(&[&vec![0u8; pad], &heap, &[0u8; 64]]);
        let report = scan_h5(&bytes, &Options::default());
        assert_eq!(report.findings.len(), 1, "pad {pad}: {report:?}");
        assert!(report.findings[0].message.contains("Lambda layer `heap`"));
        let at = bytes.windows(json.len()).position(|w| w == json.as_bytes()).unwrap();
        assert_eq!(report.findings[0].offset, Some((at + json.find(r#"{"config": {"function_type"#).unwrap()) as u64));
        assert_eq!(report.error, None, "pad {pad}");
    }
    // The object's declared size ends the JSON: a cut config is an error (with what was
    // found before the cut), not a read into the bytes that follow.
    let heap = collection(&[(1, &json.as_bytes()[..json.len() - 30])]);
    let report = scan_h5(&h5_with(&[&heap, json.as_bytes()]), &Options::default());
    assert_eq!(report.findings.len(), 1, "{report:?}");
    assert!(report.error.as_deref().is_some_and(|e| e.contains("EOF while parsing")), "{report:?}");
    // A string that opens like JSON but names no Keras object is none of the scanner's
    // business, even malformed.
    let heap = collection(&[(1, br#"{"note": "a user attribute", "cut"#)]);
    let report = scan_h5(&h5_with(&[&heap]), &Options::default());
    assert!(report.findings.is_empty() && report.error.is_none(), "{report:?}");
}

#[test]
fn hdf5_hostile_collections_do_not_hang() {
    // A collection whose object claims to be enormous, one that claims a size past the end,
    // and indexes that never stop.
    let mut heap = b"GCOL\x01\0\0\0".to_vec();
    heap.extend_from_slice(&u64::MAX.to_le_bytes());
    heap.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    heap.extend_from_slice(&u64::MAX.to_le_bytes());
    heap.extend_from_slice(b"{\"class_name\": \"X\", \"config\": [");
    let endless = collection(&(1..2000).map(|i| (i as u16, &b"{}"[..])).collect::<Vec<_>>());
    let bytes = h5_with(&[&heap, &[0u8; 100], &endless]);
    let report = scan_h5(&bytes, &Options::default());
    assert!(report.findings.is_empty(), "{report:?}");
}

#[test]
fn find_any_agrees_with_a_plain_search() {
    let hay: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for start in 0..64 {
        for end in [start, start + 1, start + 7, start + 9, hay.len()] {
            let slice = &hay[start..end];
            let plain = slice.iter().position(|b| matches!(b, b'{' | b'm' | b'G'));
            assert_eq!(find_any(slice, [b'{', b'm', b'G']), plain, "{start}..{end}");
        }
    }
    assert_eq!(find_any(&[0x80, 0x81, 0xff, 0x7b], [b'{', b'm', b'G']), Some(3));
}
