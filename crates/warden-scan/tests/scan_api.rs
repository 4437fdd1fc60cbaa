//! The public API on real files: per-file errors, directories, symbolic links.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;

use warden_scan::{Format, Options, scan_path};

/// `pickle.dumps(Evil(), protocol=2)` where `Evil.__reduce__` returns `(os.system, ('echo',))`.
const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03.";

#[test]
fn missing_path_is_a_per_file_error() {
    let report = scan_path("/nonexistent/model.pt".as_ref(), &Options::default());
    assert_eq!(report.files.len(), 1);
    assert!(report.files[0].error.is_some());
    assert!(report.has_errors() && !report.has_findings());
}

#[test]
fn directory_scan_follows_file_links_not_directory_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("sub")).unwrap();
    fs::write(root.join("sub/model.bin"), EVIL).unwrap();
    fs::write(root.join("notes.txt"), b"hello").unwrap();
    symlink(root.join("sub/model.bin"), root.join("link.pkl")).unwrap();
    symlink(root, root.join("sub/loop")).unwrap();
    let report = scan_path(root, &Options::default());
    let names: Vec<String> =
        report.files.iter().map(|f| f.path.strip_prefix(root).unwrap().display().to_string()).collect();
    assert_eq!(names, ["link.pkl", "notes.txt", "sub/model.bin"]);
    assert_eq!(report.files[0].format, Format::Pickle);
    assert_eq!(report.files[0].findings[0].rule.id, "WS001");
    assert_eq!(report.files[0].findings[0].offset, Some(2));
    assert_eq!(report.files[0].bytes_scanned, EVIL.len() as u64);
}

/// A minimal ONNX model whose one initializer keeps its data in `location`.
fn onnx_with_external(location: &str) -> Vec<u8> {
    fn ld(field: u8, payload: &[u8]) -> Vec<u8> {
        [vec![(field << 3) | 2, payload.len() as u8], payload.to_vec()].concat()
    }
    let entry = [ld(1, b"location"), ld(2, location.as_bytes())].concat();
    let tensor = [vec![0x08, 0x04, 0x10, 0x01], ld(8, b"w"), ld(13, &entry)].concat();
    let graph = ld(5, &tensor);
    [vec![0x08, 0x08], ld(2, b"t"), ld(7, &graph)].concat()
}

#[test]
fn onnx_external_data_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.onnx"), onnx_with_external("weights.bin")).unwrap();
    fs::write(dir.path().join("weights.bin"), [0u8; 16]).unwrap();
    fs::write(dir.path().join("leak.onnx"), onnx_with_external("key.bin")).unwrap();
    symlink("/etc/hostname", dir.path().join("key.bin")).unwrap();
    let ok = scan_path(&dir.path().join("ok.onnx"), &Options::default());
    assert_eq!(ok.files[0].format, Format::Onnx);
    assert!(ok.files[0].findings.is_empty(), "{:?}", ok.files[0]);
    let leak = scan_path(&dir.path().join("leak.onnx"), &Options::default());
    assert_eq!(leak.files[0].findings[0].rule.id, "WS008");
    assert!(leak.files[0].findings[0].message.contains("symbolic link"));
}

#[test]
fn findings_are_capped_per_file() {
    // Two thousand distinct unknown imports, then one dangerous one.
    let mut bytes = b"\x80\x02".to_vec();
    for i in 0..2000 {
        bytes.extend_from_slice(format!("cm{i}\nC\n0").as_bytes());
    }
    bytes.extend_from_slice(EVIL.strip_prefix(b"\x80\x02").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.pkl");
    fs::write(&path, bytes).unwrap();
    let options = Options { max_findings: 100, ..Options::default() };
    let file = &scan_path(&path, &options).files[0];
    assert_eq!(file.findings.len(), 101);
    assert_eq!(file.findings_dropped, 1900);
    assert!(file.findings.iter().any(|f| f.rule.id == "WS001"));
}

#[test]
fn report_serializes_with_rule_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.pkl");
    fs::write(&path, EVIL).unwrap();
    let json = serde_json::to_value(scan_path(&path, &Options::default())).unwrap();
    assert_eq!(json["files"][0]["format"], "pickle");
    assert_eq!(json["files"][0]["findings"][0]["rule"], "WS001");
    assert_eq!(json["files"][0]["findings"][0]["global"], "posix.system");
}
