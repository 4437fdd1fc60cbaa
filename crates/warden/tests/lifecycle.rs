//! Starting, restarting, keys, configuration and shutdown of the real binary.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn first_start_creates_key_and_certificate_second_reuses_them() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let opts = || Options { state_dir: Some(state.clone()), ..Options::default() };
    let first = Server::start_with(opts());
    let key = first.admin_key();
    assert!(key.starts_with("wdn_"));
    let fingerprint = |s: &Server| {
        s.stdout
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix("tls: sha256 fingerprint ").map(str::to_string))
            .unwrap()
    };
    let fp = fingerprint(&first);
    for f in ["keys.json", "tls/cert.pem", "tls/key.pem"] {
        let mode = std::fs::metadata(state.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    assert!(!std::fs::read_to_string(state.join("keys.json")).unwrap().contains(&key));
    drop(first);

    let second = Server::start_with(opts());
    assert!(second.stdout.lock().unwrap().iter().all(|l| !l.starts_with("admin key")));
    assert_eq!(fingerprint(&second), fp);
    let r = second.client().get(second.endpoint("/v2")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn keys_cli_create_list_revoke() {
    // Polling with a key the server has not reloaded yet counts as guessing.
    let server = Server::start_with(Options::args(&["--auth-max-failures", "1000"]));
    let dir = server.state_dir.to_str().unwrap().to_string();
    let key = create_key(&server.state_dir, "alice", &["infer:default"]);
    assert!(key.starts_with("wdn_") && !key.contains('\n'));
    let (status, list, _) = run(&["keys", "list", "--state-dir", &dir]);
    assert!(status.success());
    assert!(list.contains("alice") && list.contains("infer:default") && list.contains("admin"), "{list}");
    assert!(!list.contains(&key));
    let (_, json, _) = run(&["keys", "list", "--json", "--state-dir", &dir]);
    let records: serde_json::Value = serde_json::from_str(&json).unwrap();
    let id =
        records.as_array().unwrap().iter().find(|r| r["name"] == "alice").unwrap()["id"].as_str().unwrap().to_string();

    assert_eq!(server.await_status("/v2/models/default", &key, StatusCode::OK).await, StatusCode::OK);
    let (status, _, _) = run(&["keys", "revoke", &id, "--state-dir", &dir]);
    assert!(status.success());
    let seen = server.await_status("/v2/models/default", &key, StatusCode::UNAUTHORIZED).await;
    assert_eq!(seen, StatusCode::UNAUTHORIZED, "a revoked key still works");

    let (status, _, err) = run(&["keys", "revoke", &id, "--state-dir", &dir]);
    assert!(!status.success() && err.contains("already revoked"), "{err}");
    let (status, _, err) = run(&["keys", "revoke", "nope", "--state-dir", &dir]);
    assert!(!status.success() && err.contains("no key"), "{err}");
    let (status, _, err) = run(&["keys", "create", "bob", "--scope", "superuser", "--state-dir", &dir]);
    assert!(!status.success() && err.contains("unknown scope"), "{err}");
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_then_exits_zero() {
    let mut server = Server::start();
    let key = server.admin_key();
    let body = serde_json::to_string(&digits_request(&[vec![2.0; 64]])).unwrap();
    let mut stream = server.raw().await;
    let head = format!(
        "POST /v2/models/default/infer HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    write_all(&mut stream, head.as_bytes()).await;
    write_all(&mut stream, &body.as_bytes()[..10]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The listener is closed, but the request in flight completes.
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
    write_all(&mut stream, &body.as_bytes()[10..]).await;
    let (status, _, answer) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let status = server.wait(Duration::from_secs(30));
    assert!(status.success(), "{status}");
    assert!(server.stderr_text().contains("draining"));
}

#[tokio::test]
async fn config_file_flags_and_env() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("warden.toml");
    std::fs::write(&file, "[http]\nmax_body_size = \"2KiB\"\nmax_elements = 64\n").unwrap();
    let server = Server::start_with(Options {
        args: vec!["--config".into(), file.to_str().unwrap().into()],
        env: vec![("WARDEN_HTTP_MAX_ELEMENTS".into(), "128".into())],
        ..Options::default()
    });
    let (client, key) = (server.client(), server.admin_key());
    let url = server.endpoint("/v2/models/default/infer");
    // The env var (128) overrides the file (64): two rows pass, three do not.
    let r = client.post(&url).bearer_auth(&key).json(&digits_request(&vec![vec![0.0; 64]; 2])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client.post(&url).bearer_auth(&key).json(&digits_request(&vec![vec![0.0; 64]; 3])).send().await.unwrap();
    // Three rows are 192 elements, but the body limit from the file (2 KiB) bites first.
    assert!(r.status() == StatusCode::PAYLOAD_TOO_LARGE || r.status() == StatusCode::BAD_REQUEST);
    let r = client.post(&url).bearer_auth(&key).body("x".repeat(3000)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn config_check_reports_every_problem() {
    let temp = tempfile::tempdir().unwrap();
    let good = temp.path().join("good.toml");
    std::fs::write(&good, "listen = \"0.0.0.0:8443\"\n[http]\nrequest_timeout = \"5s\"\n").unwrap();
    let (status, out, _) = run(&["config", "check", good.to_str().unwrap()]);
    assert!(status.success(), "{out}");
    assert!(out.contains("ok"));

    let bad = temp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "listn = \"x\"\nmodel_repository = \"/does/not/exist\"\n[http]\nmax_in_flight = 0\nread_timeout = \"soon\"\n",
    )
    .unwrap();
    let (status, _, err) = run(&["config", "check", bad.to_str().unwrap()]);
    assert!(!status.success());
    for needle in ["unknown key 'listn'", "max_in_flight", "read_timeout"] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    let (status, _, err) = run(&["config", "check", temp.path().join("missing.toml").to_str().unwrap()]);
    assert!(!status.success() && err.contains("cannot read"), "{err}");

    let (status, _, err) = run(&["serve", "--config", bad.to_str().unwrap()]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("unknown key 'listn'"));
    let (status, _, err) = run(&["serve", "--listen", "nowhere"]);
    assert_eq!(status.code(), Some(2));
    assert!(err.contains("--listen"), "{err}");
}

#[tokio::test]
async fn insecure_http_warns_and_serves_plain_http() {
    let server = Server::start_with(Options::args(&["--insecure-http"]));
    assert!(server.url.starts_with("http://"));
    assert!(server.stderr_text().contains("INSECURE"));
    let r = reqwest::get(server.endpoint("/v2/health/live")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn user_supplied_certificate() {
    let temp = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (temp.path().join("c.pem"), temp.path().join("k.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server =
        Server::start_with(Options::args(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]));
    let client = client_trusting(generated.cert.pem().as_bytes());
    let r = client.get(server.endpoint("/v2/health/ready")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A client that does not trust the certificate cannot connect.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    assert!(
        client_trusting(other.cert.pem().as_bytes()).get(server.endpoint("/v2/health/ready")).send().await.is_err()
    );

    // A world-readable key is refused.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, _, err) = refused_start(
        &temp.path().join("s"),
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert_ne!(status, Some(0));
    assert!(err.contains("readable by other users"), "{err}");
}

#[tokio::test]
async fn metrics_listener_counts_requests() {
    let server = Server::start();
    let client = server.client();
    client.get(server.endpoint("/v2/health/live")).send().await.unwrap();
    client.get(server.endpoint("/v2")).send().await.unwrap();
    let key = server.admin_key();
    let row = vec![0.0; 64];
    let r = server.post_json("/v2/models/default/infer", &key, &digits_request(&[row])).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = reqwest::get(server.metrics_url.clone().unwrap().to_string()).await.unwrap().text().await.unwrap();
    for expected in [
        "warden_http_requests_total{endpoint=\"live\",model=\"\",version=\"\",code=\"200\"} 1",
        "warden_http_requests_total{endpoint=\"server_metadata\",model=\"\",version=\"\",code=\"401\"} 1",
        "warden_http_requests_total{endpoint=\"infer\",model=\"default\",version=\"1\",code=\"200\"} 1",
        "warden_model_inference_duration_seconds_count{model=\"default\",version=\"1\"} 1",
        "warden_http_request_duration_seconds_bucket{le=\"+Inf\",endpoint=\"infer\"} 1",
        "warden_model_loaded{model=\"default\",version=\"1\"} 1",
        "warden_auth_failures_total{reason=\"missing\"} 1",
        "# TYPE warden_http_requests_total counter",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // A scraper that asks for OpenMetrics gets it.
    let om = server
        .client_plain()
        .get(server.metrics_url.clone().unwrap())
        .header("accept", "application/openmetrics-text")
        .send()
        .await
        .unwrap();
    assert!(om.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    assert!(om.text().await.unwrap().ends_with("# EOF\n"));
}

#[tokio::test]
async fn a_failed_start_does_not_swallow_the_first_admin_key() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let broken = temp.path().join("models");
    std::fs::create_dir_all(broken.join("m/one")).unwrap();
    let (status, stdout, stderr) = refused_start(&state, &["--model-repository", broken.to_str().unwrap()]);
    assert_ne!(status, Some(0));
    assert!(stderr.contains("not a positive integer"), "{stderr}");
    assert!(!stdout.contains("admin key"));
    let server = Server::start_with(Options { state_dir: Some(state), ..Options::default() });
    let key = server.admin_key();
    let r = server.client().get(server.endpoint("/v2")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn keys_expire_and_rotate_without_a_restart() {
    // Polling with keys the server has not reloaded yet counts as guessing.
    let server = Server::start_with(Options::args(&["--auth-max-failures", "1000"]));
    let dir = server.state_dir.to_str().unwrap().to_string();
    // The server picks up a new key within a poll; on a loaded machine that can
    // take longer than a short key lives. Seeing the key valid is what the test needs
    // before it can see it expire, so a key that expired unseen is tried again with a
    // longer life instead of failing the test on the machine's timing.
    let client = server.client();
    let mut seen_valid = false;
    for life in [2u64, 5, 15] {
        let created = std::time::Instant::now();
        let (status, out, err) =
            run(&["keys", "create", &format!("short{life}"), "--expires", &format!("{life}s"), "--state-dir", &dir]);
        assert!(status.success(), "{err}");
        let short = out.trim().to_string();
        while created.elapsed() < Duration::from_secs(life) {
            let r = client.get(server.endpoint("/v2")).bearer_auth(&short).send().await.unwrap();
            if r.status() == StatusCode::OK {
                seen_valid = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if seen_valid {
            tokio::time::sleep(Duration::from_secs(life).saturating_sub(created.elapsed())).await;
            assert_eq!(server.await_status("/v2", &short, StatusCode::UNAUTHORIZED).await, StatusCode::UNAUTHORIZED);
            break;
        }
    }
    assert!(seen_valid, "a key that lives 15 s was never accepted");

    let old = create_key(&server.state_dir, "rotating", &["infer:default"]);
    let (_, json, _) = run(&["keys", "list", "--json", "--state-dir", &dir]);
    let records: serde_json::Value = serde_json::from_str(&json).unwrap();
    let id = records.as_array().unwrap().iter().find(|r| r["name"] == "rotating").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(server.await_status("/v2/models/default", &old, StatusCode::OK).await, StatusCode::OK);
    let (status, out, err) = run(&["keys", "rotate", &id, "--grace", "0s", "--state-dir", &dir]);
    assert!(status.success(), "{err}");
    let new = out.trim().to_string();
    assert!(new.starts_with("wdn_") && new != old);
    assert_eq!(server.await_status("/v2/models/default", &new, StatusCode::OK).await, StatusCode::OK);
    assert_eq!(
        server.await_status("/v2/models/default", &old, StatusCode::UNAUTHORIZED).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, table, _) = run(&["keys", "list", "--state-dir", &dir]);
    assert!(table.contains("EXPIRES") && table.contains("expired"), "{table}");
    let (status, _, err) = run(&["keys", "rotate", &id, "--state-dir", &dir]);
    assert!(!status.success() && err.contains("revoked or expired"), "{err}");
    let (status, _, err) = run(&["keys", "create", "x", "--expires", "soonish", "--state-dir", &dir]);
    assert!(!status.success(), "{err}");
}

#[tokio::test]
async fn metrics_token_guards_the_scrape() {
    let temp = tempfile::tempdir().unwrap();
    let token_file = temp.path().join("metrics.token");
    std::fs::write(&token_file, "scrape-secret-0123456789\n").unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = Server::start_with(Options::args(&["--metrics-token-file", token_file.to_str().unwrap()]));
    let url = server.metrics_url.clone().unwrap();
    let client = reqwest::Client::new();
    assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let wrong = client.get(&url).bearer_auth("scrape-secret-0123456780").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = client.get(&url).bearer_auth("scrape-secret-0123456789").send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("warden_build_info"));

    std::fs::write(&token_file, "short").unwrap();
    let (status, _, err) =
        refused_start(&temp.path().join("s"), &["--metrics-token-file", token_file.to_str().unwrap()]);
    assert!(status != Some(0) && err.contains("at least 16 bytes"), "{err}");
}

fn write_cert(cert: &std::path::Path, key: &std::path::Path) -> String {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    std::fs::write(key, generated.signing_key.serialize_pem()).unwrap();
    std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(cert, generated.cert.pem()).unwrap();
    generated.cert.pem()
}

/// A new certificate is served after SIGHUP to new connections, while a connection
/// opened before keeps working; a broken certificate is refused and the old one stays.
#[tokio::test]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    let temp = tempfile::tempdir().unwrap();
    let (cert, key) = (temp.path().join("c.pem"), temp.path().join("k.pem"));
    let first = write_cert(&cert, &key);
    let server =
        Server::start_with(Options::args(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]));
    let mut old_connection = server.raw_trusting(first.as_bytes()).await;

    let second = write_cert(&cert, &key);
    server.hangup();
    let mut reloaded = false;
    for _ in 0..100 {
        if client_trusting(second.as_bytes()).get(server.endpoint("/v2/health/live")).send().await.is_ok() {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the new certificate was never served");
    assert!(client_trusting(first.as_bytes()).get(server.endpoint("/v2/health/live")).send().await.is_err());
    write_all(&mut old_connection, b"GET /v2/health/live HTTP/1.1\r\nhost: localhost\r\n\r\n").await;
    let (status, _, _) = read_response(&mut old_connection).await;
    assert_eq!(status, 200, "the connection opened before the reload was dropped");

    std::fs::write(&cert, "not a certificate").unwrap();
    server.hangup();
    let mut refused = false;
    for _ in 0..100 {
        if server.stderr_text().contains("reload refused") {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "{}", server.stderr_text());
    let r = client_trusting(second.as_bytes()).get(server.endpoint("/v2/health/live")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn keys_list_shows_when_each_key_was_last_used() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let used = create_key(&state, "used", &["infer:default"]);
    create_key(&state, "idle", &["infer:default"]);
    let mut server = Server::start_with(Options { state_dir: Some(state.clone()), ..Options::default() });
    let r = server.client().get(server.endpoint("/v2/models/default")).bearer_auth(&used).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());

    let (_, json, _) = run(&["keys", "list", "--json", "--state-dir", state.to_str().unwrap()]);
    let records: serde_json::Value = serde_json::from_str(&json).unwrap();
    let by_name = |n: &str| records.as_array().unwrap().iter().find(|r| r["name"] == n).unwrap().clone();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let last = by_name("used")["last_used"].as_u64().expect("the used key has a last-used time");
    assert!(now - last < 60, "{last} vs {now}");
    assert!(by_name("idle")["last_used"].is_null());
    let (_, table, _) = run(&["keys", "list", "--state-dir", state.to_str().unwrap()]);
    assert!(table.contains("LAST USED"), "{table}");
}

#[test]
fn version_names_the_build_it_came_from() {
    let (status, out, _) = run(&["--version"]);
    assert!(status.success());
    assert_eq!(out, format!("warden {}\n", env!("CARGO_PKG_VERSION")));
    let (status, out, err) = run(&["--version", "--verbose"]);
    assert!(status.success(), "{err}");
    use sha2::Digest;
    let lock = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let digest: String = sha2::Sha256::digest(&lock).iter().map(|b| format!("{b:02x}")).collect();
    assert!(out.contains(&format!("Cargo.lock sha256: {digest}")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("git revision: ")), "{out}");
    assert!(out.contains("target: "), "{out}");
    // --verbose means nothing alone.
    let (status, _, err) = run(&["--verbose"]);
    assert_eq!(status.code(), Some(2), "{err}");
}
