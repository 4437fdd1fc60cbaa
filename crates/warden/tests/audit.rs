//! The audit trail seen from outside: what a request leaves in it, that the CLI
//! verifies it and names tampering, and that a full disk refuses requests rather
//! than answering them unrecorded.

mod common;

use std::time::Duration;

use common::{Options, Server, create_key, digits_request, run};
use reqwest::StatusCode;
use serde_json::Value;

fn of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["kind"] == kind).collect()
}

fn verify(dir: &std::path::Path) -> (bool, String) {
    let (status, stdout, stderr) = run(&["audit-log", "verify", dir.to_str().unwrap()]);
    (status.success(), format!("{stdout}{stderr}"))
}

#[tokio::test]
async fn every_request_leaves_a_record_and_the_chain_verifies() {
    let mut server = Server::start_with(Options::args(&["--auth-max-failures", "1000"]));
    let admin = server.admin_key();
    let reader = create_key(&server.state_dir, "reader", &["infer:other"]);
    // A value no timestamp, digest or counter in the log can contain by chance.
    let row = vec![7.654321; 64];
    let ok = server.post_json("/v2/models/default/infer", &admin, &digits_request(&[row.clone(), row])).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let request_id = ok.headers()["x-request-id"].to_str().unwrap().to_string();
    let wrong = server.post_json("/v2/models/default/infer", "wdn_0000_wrong", &digits_request(&[])).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // Key changes reach the server by polling; wait for the reader key to work.
    server.await_status("/v2", &reader, StatusCode::OK).await;
    let denied = server.post_json("/v2/models/default/infer", &reader, &digits_request(&[vec![0.0; 64]])).await;
    assert_eq!(denied.status(), StatusCode::NOT_FOUND);
    let missing = server.client().get(server.endpoint("/v2")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());
    let records = server.audit_records();
    let start = &of_kind(&records, "server_start")[0];
    assert_eq!(start["models"][0]["name"], "default");
    assert_eq!(start["models"][0]["sha256"].as_str().unwrap().len(), 64);

    let inference = of_kind(&records, "inference");
    let mine = inference.iter().find(|r| r["request_id"] == request_id.as_str()).expect("the 200 has a record");
    assert_eq!(mine["decision"], "allow");
    assert_eq!(mine["status"], 200);
    assert_eq!(mine["rows"], 2);
    assert_eq!(mine["model"], "default");
    assert_eq!(mine["version"], "1");
    assert_eq!(mine["auth"], "key");
    assert!(mine["identity"].as_str().unwrap().starts_with("key:"));
    assert_eq!(mine["input_sha256"].as_str().unwrap().len(), 64);
    assert!(mine["latency_us"].as_u64().is_some());

    let failures = of_kind(&records, "auth_failure");
    assert!(failures.iter().any(|r| r["reason"] == "invalid" && r["status"] == 401 && r["source"] == "127.0.0.1"));
    assert!(failures.iter().any(|r| r["reason"] == "missing"));
    let denial = of_kind(&records, "access_denied");
    assert!(denial.iter().any(|r| r["reason"] == "hidden" && r["model"] == "default" && r["status"] == 404));
    assert!(of_kind(&records, "keys_reloaded").iter().any(|r| r["added"].as_array().is_some_and(|a| a.len() == 1)));
    assert_eq!(records.last().unwrap()["kind"], "checkpoint", "a clean stop signs the tail");

    let text = std::fs::read_to_string(server.audit_dir().join("audit.jsonl")).unwrap();
    assert!(!text.contains("7.654321"), "input values must never reach the audit log");
    assert!(!text.contains(&admin) && !text.contains("wdn_0000_wrong"), "credentials must never reach it");

    let (ok, out) = verify(&server.audit_dir());
    assert!(ok, "{out}");
    assert!(out.contains("signatures: valid"), "{out}");
}

#[tokio::test]
async fn verify_names_the_first_tampered_record() {
    let mut server = Server::start();
    let key = server.admin_key();
    for _ in 0..5 {
        let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[vec![0.0; 64]])).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());
    let path = server.audit_dir().join("audit.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    let target = lines.iter().position(|l| l.contains("\"kind\":\"inference\"")).unwrap();
    lines[target] = lines[target].replace("\"rows\":1", "\"rows\":100");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (ok, out) = verify(&server.audit_dir());
    assert!(!ok);
    assert!(out.contains(&format!("audit.jsonl:{}:", target + 1)), "{out}");

    // Dropping the last records is found through the signed head.
    let kept: Vec<&str> = original.lines().take(original.lines().count() - 2).collect();
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    let (ok, out) = verify(&server.audit_dir());
    assert!(!ok);
    assert!(out.contains("cut from the end"), "{out}");

    // And a server will not extend a broken log.
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (code, _, stderr) = common::refused_start(&server.state_dir, &[]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("audit-log verify"), "{stderr}");
}

/// A full disk (here: a file size limit, which fails writes with EFBIG the same
/// way) turns answers into 503s; every answer given before has its record, and the
/// log that remains verifies.
#[tokio::test]
async fn a_full_disk_fails_closed_and_loses_no_record() {
    let mut server = Server::start_with(Options { file_blocks: Some(24), ..Options::args(&["--limits-rate", "off"]) });
    let key = server.admin_key();
    let mut answered = Vec::new();
    let mut refused = None;
    for _ in 0..500 {
        let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[vec![0.5; 64]])).await;
        match r.status() {
            StatusCode::OK => answered.push(r.headers()["x-request-id"].to_str().unwrap().to_string()),
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some(r.json::<Value>().await.unwrap());
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let refused = refused.expect("the file size limit was never reached");
    assert!(refused["error"].as_str().unwrap().contains("audit log"), "{refused}");
    assert!(!answered.is_empty());
    // The server stays up; health is not audited and still answers.
    let live = server.client().get(server.endpoint("/v2/health/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("warden_audit_refused_requests_total 0"), "{metrics}");
    assert!(!metrics.contains("warden_audit_write_errors_total 0"), "{metrics}");
    assert!(server.stderr_text().contains("audit log: write failed"), "{}", server.stderr_text());

    server.terminate();
    server.wait(Duration::from_secs(30));
    let records = server.audit_records();
    for id in &answered {
        assert!(records.iter().any(|r| r["request_id"] == id.as_str()), "answered request {id} has no record");
    }
    let (ok, out) = verify(&server.audit_dir());
    assert!(ok, "{out}");
}

#[tokio::test]
async fn with_fail_closed_off_a_full_disk_still_answers() {
    let server = Server::start_with(Options {
        file_blocks: Some(24),
        ..Options::args(&["--audit-fail-closed=false", "--limits-rate", "off"])
    });
    let key = server.admin_key();
    for _ in 0..200 {
        let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[vec![0.5; 64]])).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("warden_audit_write_errors_total 0"), "the limit was never reached: {metrics}");
    assert!(metrics.contains("warden_audit_refused_requests_total 0"), "nothing was refused: {metrics}");
    assert!(server.stderr_text().contains("answering without an audit record"));
}

#[tokio::test]
async fn a_throttled_address_is_recorded() {
    let mut server = Server::start_with(Options::args(&["--auth-max-failures", "2"]));
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = server.client().get(server.endpoint("/v2")).bearer_auth("wdn_0000_guess").send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    server.terminate();
    server.wait(Duration::from_secs(30));
    let records = server.audit_records();
    let reasons: Vec<&str> = of_kind(&records, "auth_failure").iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["invalid", "invalid", "throttled"]);
}

#[tokio::test]
async fn records_also_go_to_stdout_and_syslog_when_asked() {
    let temp = tempfile::tempdir().unwrap();
    let socket_path = temp.path().join("syslog.sock");
    let syslog = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    syslog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let server =
        Server::start_with(Options::args(&["--audit-stdout", "--audit-syslog", socket_path.to_str().unwrap()]));
    let key = server.admin_key();
    let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[vec![0.0; 64]])).await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let mut buf = vec![0; 65536];
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &String| m.contains(&id)) {
        let n = syslog.recv(&mut buf).expect("a syslog datagram within 10 s");
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let message = seen.iter().find(|m| m.contains(&id)).unwrap();
    assert!(message.starts_with("<85>1 "), "{message}");
    let record = &message[message.find('{').unwrap()..];
    assert_eq!(serde_json::from_str::<Value>(record).unwrap()["kind"], "inference");
    // The stdout copy is read by another thread: wait for it (bounded), do not race it.
    let wanted = format!("\"request_id\":\"{id}\"");
    let started = std::time::Instant::now();
    while !server.stdout.lock().unwrap().iter().any(|l| l.contains(&wanted)) {
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", server.stdout.lock().unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
}
