use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;
use crate::options::Options;
use crate::report::FileReport;

/// The malicious protocol-2 pickle of `pickle.dumps(Evil(), protocol=2)` where
/// `Evil.__reduce__` returns `(os.system, ('echo',))`.
const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03.";

fn zip_of(members: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in members {
        writer.start_file(*name, SimpleFileOptions::default().compression_method(*method)).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn scan_bytes(bytes: Vec<u8>, options: &Options) -> FileReport {
    let mut cx = Cx::new(options, None);
    cx.format = scan(&mut cx, Cursor::new(bytes), &Loc::default()).unwrap();
    cx.into_report(Path::new("test.zip"))
}

fn rules_of(report: &FileReport) -> Vec<(&'static str, Option<&str>)> {
    report.findings.iter().map(|f| (f.rule.id, f.member.as_deref())).collect()
}

const STORED: CompressionMethod = CompressionMethod::Stored;
const DEFLATED: CompressionMethod = CompressionMethod::Deflated;

#[test]
fn pytorch_zip_data_pkl() {
    let bytes = zip_of(&[
        ("archive/data.pkl", EVIL, DEFLATED),
        ("archive/version", b"3\n", STORED),
        ("archive/data/0", b"\x80\x02garbage storage bytes", STORED),
    ]);
    let report = scan_bytes(bytes, &Options::default());
    assert_eq!(report.format, Format::PytorchZip);
    // The storage that happens to start like a pickle is scanned speculatively: no noise.
    assert_eq!(rules_of(&report), vec![("WS001", Some("archive/data.pkl"))]);
    assert_eq!(report.findings[0].global.as_deref(), Some("posix.system"));
    assert_eq!(report.error, None);
}

#[test]
fn member_found_by_magic_alone() {
    let bytes = zip_of(&[("weights/blob", EVIL, STORED)]);
    let report = scan_bytes(bytes, &Options::default());
    assert_eq!((report.format, rules_of(&report)), (Format::Zip, vec![("WS001", Some("weights/blob"))]));
}

#[test]
fn nested_zip_and_depth_limit() {
    let inner = zip_of(&[("data.pkl", EVIL, STORED)]);
    let outer = zip_of(&[("inner.zip", &inner, DEFLATED)]);
    let report = scan_bytes(outer.clone(), &Options::default());
    assert_eq!(rules_of(&report), vec![("WS001", Some("inner.zip!data.pkl"))]);
    let shallow = Options { max_depth: 1, ..Options::default() };
    let report = scan_bytes(outer, &shallow);
    assert_eq!(rules_of(&report), vec![("WS007", Some("inner.zip"))]);
}

#[test]
fn member_count_limit() {
    let members: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("m{i}"), vec![b'x'])).collect();
    let refs: Vec<(&str, &[u8], CompressionMethod)> =
        members.iter().map(|(n, d)| (n.as_str(), d.as_slice(), STORED)).collect();
    let options = Options { max_members: 3, ..Options::default() };
    let report = scan_bytes(zip_of(&refs), &options);
    assert_eq!(rules_of(&report), vec![("WS007", None)]);
}

#[test]
fn declared_member_count_is_checked_before_parsing() {
    // An end-of-central-directory record claiming 65,535 entries and nothing else.
    let mut eocd = b"PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff".to_vec();
    eocd.extend_from_slice(&[0; 10]);
    let options = Options { max_members: 1000, ..Options::default() };
    let report = scan_bytes(eocd, &options);
    assert_eq!(rules_of(&report), vec![("WS007", None)]);
    assert!(report.findings[0].message.contains("65535"));
}

#[test]
fn compression_ratio_and_total_budget() {
    // A nested "zip" of zeros deflates about 1000:1 and is copied out to be opened.
    let mut bomb = b"PK\x03\x04".to_vec();
    bomb.resize(4 << 20, 0);
    let bytes = zip_of(&[("bomb.zip", &bomb, DEFLATED)]);
    let options = Options { max_ratio: 100, ratio_floor: 1 << 20, ..Options::default() };
    let report = scan_bytes(bytes.clone(), &options);
    assert_eq!(rules_of(&report), vec![("WS007", Some("bomb.zip"))]);
    assert!(report.findings[0].message.contains("zip bomb"));
    let options = Options { max_total_bytes: 1 << 20, ..Options::default() };
    let report = scan_bytes(bytes, &options);
    assert_eq!(rules_of(&report), vec![("WS007", Some("bomb.zip"))]);
    assert!(report.findings[0].message.contains("bytes decompressed"));
}

#[test]
fn npz_is_recognised() {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend_from_slice(&[0; 4]);
    let report = scan_bytes(zip_of(&[("a.npy", &npy, STORED)]), &Options::default());
    assert_eq!((report.format, report.findings.len(), report.error), (Format::Npz, 0, None));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let report = scan_bytes(b"PK\x03\x04 not really a zip".to_vec(), &Options::default());
    assert!(report.error.is_some_and(|e| e.contains("unreadable zip")));
}

#[test]
fn traversing_names_are_reported_with_their_header_offset() {
    let bytes = zip_of(&[
        ("ok.txt", b"fine", STORED),
        ("../../evil.sh", b"echo", DEFLATED),
        ("/etc/cron.d/x", b"echo", STORED),
        ("C:\\Windows\\x", b"echo", STORED),
        ("a/..\\..\\y", b"echo", STORED),
    ]);
    let report = scan_bytes(bytes.clone(), &Options::default());
    let found: Vec<(&str, Option<u64>)> = report.findings.iter().map(|f| (f.rule.id, f.offset)).collect();
    let header = |name: &str| bytes.windows(name.len()).position(|w| w == name.as_bytes()).unwrap() as u64 - 30;
    assert_eq!(
        found,
        [
            ("WS013", Some(header("../../evil.sh"))),
            ("WS013", Some(header("/etc/cron.d/x"))),
            ("WS013", Some(header("C:\\Windows\\x"))),
            ("WS013", Some(header("a/..\\..\\y"))),
        ]
    );
    assert!(report.findings[0].message.contains("`../../evil.sh`"));
    assert_eq!(report.findings[0].member, None, "the finding is the archive's");
}

#[test]
fn symbolic_links_out_and_members_written_through_them() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    writer.add_symlink("etc", "/etc", options).unwrap();
    writer.add_symlink("up", "sub/../..", options).unwrap();
    writer.add_symlink("sub/ok", "../data.bin", options).unwrap();
    writer.start_file("etc/cron.d/x", options).unwrap();
    writer.write_all(b"echo").unwrap();
    writer.start_file("data.bin", options).unwrap();
    writer.write_all(b"1234").unwrap();
    let report = scan_bytes(writer.finish().unwrap().into_inner(), &Options::default());
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "symbolic link `etc` points to the absolute path `/etc`",
            "symbolic link `up` points outside the extraction directory: `sub/../..`",
            "member `etc/cron.d/x` is written through the symbolic link member `etc`",
        ]
    );
    assert!(report.findings.iter().all(|f| f.rule.id == "WS013"));
}

#[test]
fn keras_zip_is_recognised_by_its_config_in_any_key_order() {
    let config = br#"{"config": {"layers": [{"config": {"function": {"config": {"code": "4wEA"}, "class_name": "__lambda__"}, "name": "l"}, "class_name": "Lambda"}]}, "class_name": "Sequential"}"#;
    let bytes = zip_of(&[("metadata.json", b"{}", STORED), ("config.json", config, DEFLATED)]);
    let report = scan_bytes(bytes, &Options::default());
    assert_eq!(report.format, Format::Keras);
    assert_eq!(rules_of(&report), vec![("WS014", Some("config.json"))]);
    // Only the root config.json counts, and JSON that is not a Keras config is nothing.
    let bytes = zip_of(&[("sub/config.json", config, STORED)]);
    assert_eq!(scan_bytes(bytes, &Options::default()).format, Format::Zip);
    let bytes = zip_of(&[("config.json", b"{\"hidden_size\": 8}", STORED)]);
    let report = scan_bytes(bytes, &Options::default());
    assert_eq!((report.format, report.findings.len(), report.error), (Format::Zip, 0, None));
    // A pickle named config.json is still a pickle.
    let report = scan_bytes(zip_of(&[("config.json", EVIL, STORED)]), &Options::default());
    assert_eq!(rules_of(&report), vec![("WS001", Some("config.json"))]);
}
