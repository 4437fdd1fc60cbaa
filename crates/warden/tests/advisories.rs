//! `warden advisories update` against a real HTTP mirror on loopback (a thread
//! serving files the test chose), and `warden audit` finding what it downloaded:
//! a good dump lands in the state dir, a missing or corrupt one leaves the
//! previous data in place and exits 2, and the audit says how old the data is.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::run;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An HTTP/1.1 server on 127.0.0.1 answering GET PATH with the body set for it, or
/// 404; it runs until the test process ends.
struct Mirror {
    url: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl Mirror {
    fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let served = files.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                let body = served.lock().unwrap().get(&path).cloned();
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
            }
        });
        Mirror { url, files }
    }

    fn serve(&self, path: &str, body: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_string(), body);
    }
}

/// A zip of the committed real Flask advisory, as OSV's PyPI/all.zip holds it.
fn pypi_zip() -> Vec<u8> {
    let record = advisories_dir().join("GHSA-m2qf-hxjv-5gpq.json");
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("GHSA-m2qf-hxjv-5gpq.json", opts).unwrap();
        w.write_all(&std::fs::read(record).unwrap()).unwrap();
        w.finish().unwrap();
    }
    buf.into_inner()
}

fn advisories_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-audit/tests/osv/advisories")
}

#[test]
fn update_downloads_checks_and_keeps_good_data() {
    let mirror = Mirror::start();
    mirror.serve("/PyPI/all.zip", pypi_zip());
    mirror.serve("/npm/all.zip", b"PK\x03\x04 this is not a zip".to_vec());
    let state = tempfile::tempdir().unwrap();
    let st = s(state.path());

    let (status, out, err) =
        run(&["advisories", "update", "--ecosystem", "pypi", "--source", &mirror.url, "--state-dir", st]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains("PyPI: 1 advisories"), "{out}");
    let kept = state.path().join("advisories/PyPI.zip");
    assert_eq!(std::fs::read(&kept).unwrap(), pypi_zip());

    // A corrupt dump and a missing one both fail, name the ecosystem, and leave no
    // partial file; the good PyPI data stays.
    let (status, out, err) = run(&[
        "advisories",
        "update",
        "--ecosystem",
        "npm",
        "--ecosystem",
        "Go",
        "--source",
        &mirror.url,
        "--state-dir",
        st,
    ]);
    assert_eq!(status.code(), Some(2), "{out}{err}");
    assert!(err.contains("npm:") && err.contains("not an OSV dump"), "{err}");
    assert!(err.contains("Go:") && err.contains("HTTP 404"), "{err}");
    let left: Vec<String> = std::fs::read_dir(state.path().join("advisories"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["PyPI.zip"]);

    // warden audit reads the downloaded data by default, and says how old it is.
    let requirements = advisories_dir().join("../../corpus/dependencies/requirements-serving.txt");
    let (status, out, err) = run(&["audit", s(&requirements), "--state-dir", st, "--format", "json"]);
    assert_eq!(status.code(), Some(1), "{out}{err}");
    assert!(err.contains("records from warden advisories update"), "{err}");
    assert!(err.contains("PyPI.zip downloaded 0 minutes ago"), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"][0]["dependency"]["advisories"][0], "GHSA-m2qf-hxjv-5gpq");
    assert_eq!(report["summary"]["advisories"], 1);
}

#[test]
fn update_refuses_bad_sources_and_ecosystems() {
    let state = tempfile::tempdir().unwrap();
    let st = s(state.path());
    for (args, says) in [
        (vec!["--source", "http://mirror.example.com"], "is not allowed"),
        (vec!["--source", "ftp://127.0.0.1/"], "is not allowed"),
        (vec!["--ecosystem", "Maven"], "unknown ecosystem 'Maven'"),
    ] {
        let mut all = vec!["advisories", "update", "--state-dir", st];
        all.extend(args);
        let (status, _, err) = run(&all);
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
    // Nothing listens on this port: a clear error, not a hang or a panic.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let (status, _, err) = run(&["advisories", "update", "--ecosystem", "PyPI", "--source", &url, "--state-dir", st]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("PyPI: cannot fetch"), "{err}");
}

#[test]
fn the_config_names_the_advisory_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, format!("[audit]\nadvisories = [{:?}]\n", s(&advisories_dir()))).unwrap();
    let requirements = advisories_dir().join("../../corpus/dependencies/requirements-serving.txt");
    let empty = tempfile::tempdir().unwrap();
    let (status, out, err) =
        run(&["audit", s(&requirements), "--config", s(&config), "--state-dir", s(empty.path()), "--format", "json"]);
    assert_eq!(status.code(), Some(1), "{out}{err}");
    assert!(err.contains("from [audit] advisories"), "{err}");
    // A config that does not load is a usage error.
    std::fs::write(&config, "[audit]\nadvisories = 3\n").unwrap();
    let (status, _, err) = run(&["audit", s(&requirements), "--config", s(&config)]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("audit.advisories"), "{err}");
    // No data anywhere: the pins are listed, not judged, and the audit says so.
    let (status, _, err) = run(&["audit", s(&requirements), "--state-dir", s(empty.path())]);
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("not judged: no advisory data"), "{err}");
}
