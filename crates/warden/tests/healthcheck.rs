//! `warden healthcheck` against a real server: ready through its own certificate,
//! by URL or by config, with a server name checked while connecting to 127.0.0.1;
//! not ready (exit 1) through a certificate it does not trust or when nothing
//! listens; a usage error (exit 2) for a certificate file that is not there.

mod common;

use common::{Server, run};

#[test]
fn ready_through_the_servers_own_certificate() {
    let server = Server::start();
    let url = server.endpoint("/v2/health/ready");
    let cert = server.state_dir.join("tls/cert.pem");
    let (status, out, err) = run(&["healthcheck", "--url", &url, "--cacert", cert.to_str().unwrap()]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains("ready: "), "{out}");

    // The certificate names localhost: checked while connecting to 127.0.0.1.
    let (status, out, err) =
        run(&["healthcheck", "--url", &url, "--cacert", cert.to_str().unwrap(), "--server-name", "localhost"]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains("https://localhost:"), "{out}");

    // By config: its listen address and state dir's certificate.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, format!("listen = \"{}\"\nstate_dir = {:?}\n", server.addr, server.state_dir)).unwrap();
    let (status, out, err) = run(&["healthcheck", "--config", config.to_str().unwrap()]);
    assert_eq!(status.code(), Some(0), "{out}{err}");

    // Another certificate is not trusted: not ready, and why.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let other_pem = dir.path().join("other.pem");
    std::fs::write(&other_pem, other.cert.pem()).unwrap();
    let (status, _, err) = run(&["healthcheck", "--url", &url, "--cacert", other_pem.to_str().unwrap()]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("unreachable") && err.to_lowercase().contains("certificate"), "{err}");

    // A certificate file that is not there is a usage error.
    let (status, _, err) = run(&["healthcheck", "--url", &url, "--cacert", "/no/such.pem"]);
    assert_eq!(status.code(), Some(2), "{err}");
}

#[test]
fn nothing_listening_is_not_ready() {
    let server = Server::start();
    let cert = server.state_dir.join("tls/cert.pem");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("https://127.0.0.1:{port}/v2/health/ready");
    let (status, _, err) = run(&["healthcheck", "--url", &url, "--cacert", cert.to_str().unwrap(), "--timeout", "2s"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("unreachable"), "{err}");
}
