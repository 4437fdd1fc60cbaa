//! Trace export over OTLP/HTTP to a collector the test runs itself. Built only
//! with the `otlp` feature:
//!   cargo nextest run --release -p warden --features otlp -E 'binary(otlp)'
#![cfg(feature = "otlp")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Options, Server, digits_request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal OTLP/HTTP receiver: keeps each request's body, answers 200.
async fn collector() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0; 65536];
                loop {
                    let Ok(n) = stream.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0);
                    if data.len() < end + 4 + length {
                        continue;
                    }
                    assert!(head.starts_with("post /v1/traces "), "{head}");
                    kept.lock().unwrap().push(data[end + 4..end + 4 + length].to_vec());
                    data.drain(..end + 4 + length);
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                }
            });
        }
    });
    (url, bodies)
}

// Multi-threaded: the collector must keep answering while the test thread
// blocks waiting for the server to exit (that is when the spans are flushed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_reach_the_collector_without_log_fields() {
    let (url, bodies) = collector().await;
    let mut server = Server::start_with(Options::args(&["--otlp-endpoint", &url]));
    let key = server.admin_key();
    let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[vec![0.0; 64]])).await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    // The batch exporter flushes on shutdown.
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());
    let all: Vec<u8> = bodies.lock().unwrap().concat();
    let text = String::from_utf8_lossy(&all);
    for expected in ["warden", "request", "model_run", "audit_write", id.as_str()] {
        assert!(text.contains(expected), "'{expected}' not exported");
    }
    assert!(!text.contains("127.0.0.1"), "log fields (the source address) must not be exported");
}
