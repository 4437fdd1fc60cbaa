//! `[http] trusted_proxies`: only a connection from a trusted proxy has its
//! forwarding header read (right to left) for the client's address; the address
//! then drives the brute-force throttle and the audit record. From any other
//! address the header is ignored, so spoofing it gains nothing. Clients connect
//! from 127.0.0.1 (the "proxy") or 127.0.0.2 (another host) over real TLS.

mod common;

use std::net::IpAddr;

use common::{Options, Server, client_trusting};
use reqwest::StatusCode;

fn client_from(server: &Server, local: &str) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(&server.cert_pem()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(cert)
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn guess(i: u32) -> String {
    format!("wdn_00000000000{i}_guess")
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_a_spoofed_header_does_not() {
    let server = Server::start_with(Options::args(&[
        "--http-trusted-proxies",
        "127.0.0.1/32",
        "--auth-max-failures",
        "2",
        "--auth-failure-window",
        "1h",
    ]));
    let key = server.admin_key();
    let url = server.endpoint("/v2/models/default");
    let proxy = client_from(&server, "127.0.0.1");
    let other = client_from(&server, "127.0.0.2");

    // Through the proxy: the client 198.51.100.7 guesses twice and is throttled...
    for i in 0..2 {
        let r = proxy.get(&url).bearer_auth(guess(i)).header("x-forwarded-for", "203.0.113.1, 198.51.100.7");
        assert_eq!(r.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let r = proxy.get(&url).bearer_auth(&key).header("x-forwarded-for", "198.51.100.7");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // ...while another client behind the same proxy, and the proxy itself, are not.
    let r = proxy.get(&url).bearer_auth(&key).header("x-forwarded-for", "198.51.100.8");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(proxy.get(&url).bearer_auth(&key).send().await.unwrap().status(), StatusCode::OK);

    // From an untrusted address the header is ignored: claiming to be someone else
    // neither escapes this address's throttle nor lands on the other client's.
    for i in 0..2 {
        let r = other.get(&url).bearer_auth(guess(i)).header("x-forwarded-for", format!("192.0.2.{i}"));
        assert_eq!(r.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let r = other.get(&url).bearer_auth(&key).header("x-forwarded-for", "198.51.100.8");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    let r = proxy.get(&url).bearer_auth(&key).header("x-forwarded-for", "198.51.100.8");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::OK);

    // The audit log names the client and the proxy it came through.
    let records = server.audit_records();
    let sources: Vec<(String, Option<String>)> = records
        .iter()
        .filter(|r| r["endpoint"] == "model_metadata" || r["request_id"].is_string())
        .filter_map(|r| Some((r["source"].as_str()?.to_string(), r["via"].as_str().map(str::to_string))))
        .collect();
    assert!(sources.contains(&("198.51.100.7".into(), Some("127.0.0.1".into()))), "{sources:?}");
    assert!(sources.contains(&("127.0.0.2".into(), None)), "{sources:?}");
    assert!(!sources.iter().any(|(s, _)| s.starts_with("192.0.2.")), "{sources:?}");
}

#[tokio::test]
async fn without_trusted_proxies_no_header_is_read() {
    let server = Server::start_with(Options::args(&["--auth-max-failures", "1", "--auth-failure-window", "1h"]));
    let key = server.admin_key();
    let url = server.endpoint("/v2/models/default");
    let client = client_trusting(&server.cert_pem());
    let r = client.get(&url).bearer_auth(guess(0)).header("forwarded", "for=198.51.100.9");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = client.get(&url).bearer_auth(&key).header("x-forwarded-for", "198.51.100.10");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(server.audit_records().iter().all(|r| r["via"].is_null()));
}

#[test]
fn bad_trusted_proxies_stop_the_start() {
    let state = tempfile::tempdir().unwrap();
    let (code, _, err) =
        common::refused_start(state.path(), &["--http-trusted-proxies", "10.0.0.0/33", "--http-proxy-header", "via"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("10.0.0.0/33") && err.contains("http-proxy-header"), "{err}");
}
