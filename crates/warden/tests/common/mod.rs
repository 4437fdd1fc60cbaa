//! Test helpers shared by the black-box tests: start the real `warden` binary on
//! port 0 with TLS, create keys with the real CLI, and talk to it with real clients.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub fn warden() -> Command {
    Command::new(env!("CARGO_BIN_EXE_warden"))
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn model_repository() -> PathBuf {
    fixtures().join("models")
}

/// A model repository under `dir`: each (name, fixture ONNX path, config.toml text)
/// becomes `<name>/1/model.onnx` with its config.
pub fn repository_of(dir: &Path, models: &[(&str, &str, &str)]) -> PathBuf {
    for (name, source, config) in models {
        let target = dir.join("repo").join(name);
        std::fs::create_dir_all(target.join("1")).unwrap();
        std::fs::copy(fixtures().join(source), target.join("1/model.onnx")).unwrap();
        std::fs::write(target.join("config.toml"), config).unwrap();
    }
    dir.join("repo")
}

/// Runs the CLI to completion; returns (status, stdout, stderr).
pub fn run(args: &[&str]) -> (ExitStatus, String, String) {
    let out = warden().args(args).output().expect("warden runs");
    (out.status, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `warden serve` on a free port with `args`, expecting it to refuse to start;
/// returns (exit code, stdout, stderr). A server that starts anyway is killed and
/// fails the test instead of hanging it.
pub fn refused_start(state_dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    private_models(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    let mut child = warden()
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        .args(root_override())
        .arg("--state-dir")
        .arg(state_dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden runs");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("warden serve started although it should have refused: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Creates a key with `warden keys create` and returns it.
pub fn create_key(state_dir: &Path, name: &str, scopes: &[&str]) -> String {
    let mut args = vec!["keys", "create", name, "--state-dir", state_dir.to_str().unwrap()];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let (status, stdout, stderr) = run(&args);
    assert!(status.success(), "keys create failed: {stderr}");
    stdout.trim().to_string()
}

/// A running server. Killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
    pub metrics_url: Option<String>,
    pub state_dir: PathBuf,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<Vec<String>>>,
    _temp: Option<tempfile::TempDir>,
}

#[derive(Default)]
pub struct Options {
    pub args: Vec<String>,
    pub state_dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    /// Runs the server under `ulimit -f` (512-byte blocks) with SIGXFSZ ignored, so a
    /// write past the limit fails with EFBIG the way a full disk fails a write.
    pub file_blocks: Option<u64>,
}

impl Options {
    pub fn args(args: &[&str]) -> Options {
        Options { args: args.iter().map(|s| s.to_string()).collect(), ..Options::default() }
    }
}

/// The server refuses model files other users can read (as ssh refuses an open
/// key): the repository a test passes is made private here (fixture trees are
/// checked out 0644), and what the test writes afterwards is created private.
pub fn private_models(args: &[String]) {
    // SAFETY: umask has no memory effects; the tests set it before writing.
    unsafe { libc::umask(0o027) };
    for pair in args.windows(2).filter(|w| w[0] == "--model-repository") {
        make_private(Path::new(&pair[1]));
    }
}

fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else { return };
    if meta.file_type().is_symlink() {
        return;
    }
    let mode = meta.permissions().mode();
    if mode & 0o007 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o007)).unwrap();
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            make_private(&entry.path());
        }
    }
}

/// `--allow-root` when the tests run as root (CI does): the server refuses root
/// otherwise, and says so explicitly here rather than by a hidden default.
pub fn root_override() -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    root.then_some("--allow-root")
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> Server {
        private_models(&opts.args);
        let (temp, state_dir) = match opts.state_dir {
            Some(dir) => (None, dir),
            None => {
                let t = tempfile::tempdir().unwrap();
                let dir = t.path().join("state");
                (Some(t), dir)
            }
        };
        let mut cmd = match opts.file_blocks {
            None => warden(),
            Some(blocks) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""))
                    .arg(env!("CARGO_BIN_EXE_warden"));
                sh
            }
        };
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
            .args(root_override())
            .arg("--state-dir")
            .arg(&state_dir)
            .args(&opts.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("warden serve starts");
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let started = Instant::now();
        let url = loop {
            if let Some(line) = stdout.lock().unwrap().iter().find(|l| l.starts_with("listening on ")) {
                break line.trim_start_matches("listening on ").to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("warden serve exited with {status}: {:?}", stderr.lock().unwrap());
            }
            assert!(started.elapsed() < Duration::from_secs(60), "warden serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        let addr = url.split("://").nth(1).unwrap().parse().unwrap();
        let metrics_url = stdout.lock().unwrap().iter().find_map(|l| l.strip_prefix("metrics on ").map(str::to_string));
        Server { child, addr, url, metrics_url, state_dir, stdout, stderr, _temp: temp }
    }

    /// The admin key printed on first start.
    pub fn admin_key(&self) -> String {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix("admin key: ").map(str::to_string))
            .expect("an admin key was printed")
    }

    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(self.state_dir.join("tls/cert.pem")).unwrap()
    }

    /// A reqwest client that trusts this server's certificate.
    /// A client for the plain-HTTP metrics listener.
    pub fn client_plain(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub fn client(&self) -> reqwest::Client {
        client_trusting(&self.cert_pem())
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// POSTs JSON with a bearer key.
    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client().post(self.endpoint(path)).bearer_auth(key).json(body).send().await.unwrap()
    }

    /// GETs `path` with a bearer key and parses the JSON answer.
    pub async fn get_json(&self, path: &str, key: &str) -> Value {
        self.client().get(self.endpoint(path)).bearer_auth(key).send().await.unwrap().json().await.unwrap()
    }

    /// POSTs with the binary tensor extension: `head` as JSON, then `raw`.
    pub async fn post_binary(&self, path: &str, key: &str, head: &Value, raw: &[u8]) -> reqwest::Response {
        let head = serde_json::to_vec(head).unwrap();
        let mut body = head.clone();
        body.extend_from_slice(raw);
        self.client()
            .post(self.endpoint(path))
            .bearer_auth(key)
            .header("Inference-Header-Content-Length", head.len())
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// GETs `path` until it answers `expected` (key changes reach a running server
    /// through a file poll), for at most ten seconds; returns the last status.
    pub async fn await_status(&self, path: &str, key: &str, expected: reqwest::StatusCode) -> reqwest::StatusCode {
        let client = self.client();
        let mut status = reqwest::StatusCode::IM_A_TEAPOT;
        for _ in 0..100 {
            status = client.get(self.endpoint(path)).bearer_auth(key).send().await.unwrap().status();
            if status == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        status
    }

    /// The audit log directory under the state dir.
    pub fn audit_dir(&self) -> PathBuf {
        self.state_dir.join("audit")
    }

    /// Every record in the current audit file, parsed.
    pub fn audit_records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.audit_dir().join("audit.jsonl")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).expect("audit lines are JSON")).collect()
    }

    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit (bounded), returning its status.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// A raw TLS connection (HTTP/1.1 only), for tests that need to send bytes
    /// slowly or malformed.
    pub async fn raw(&self) -> TlsStream<TcpStream> {
        self.raw_trusting(&self.cert_pem()).await
    }

    /// A raw TLS connection that trusts `pem` (for servers given their own certificate).
    pub async fn raw_trusting(&self, pem: &[u8]) -> TlsStream<TcpStream> {
        self.raw_with(pem, &[]).await
    }

    /// A raw TLS connection offering `alpn` (e.g. `b"h2"`).
    pub async fn raw_alpn(&self, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        self.raw_with(&self.cert_pem(), alpn).await
    }

    async fn raw_with(&self, pem: &[u8], alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut config = config;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let connector = TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        connector.connect(name, tcp).await.unwrap()
    }

    /// Sends SIGHUP: reload certificates, CRLs, identities, JWT keys and API keys.
    pub fn hangup(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

use rustls_pki_types::pem::PemObject;

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

pub fn client_trusting(pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Reads one HTTP/1.1 response from a raw stream until the peer closes or the
/// body announced by Content-Length has arrived; returns (status, head, body).
pub async fn read_response<S: AsyncReadExt + Unpin>(stream: &mut S) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                return (status, head, buf[end + 4..end + 4 + len].to_vec());
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await.unwrap().unwrap_or(0);
        if n == 0 {
            let head = String::from_utf8_lossy(&buf).into_owned();
            let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            return (status, head, vec![]);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub async fn write_all<S: AsyncWriteExt + Unpin>(stream: &mut S, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
    stream.flush().await.unwrap();
}

/// Splits a binary-extension answer into its JSON header and the raw bytes after it.
pub async fn binary_answer(r: reqwest::Response) -> (Value, Vec<u8>) {
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let n: usize = r.headers()["inference-header-content-length"].to_str().unwrap().parse().unwrap();
    let bytes = r.bytes().await.unwrap();
    (serde_json::from_slice(&bytes[..n]).unwrap(), bytes[n..].to_vec())
}

/// The digits reference recorded from onnxruntime.
pub fn reference(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("reference").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An infer body for the digits model with the given rows.
/// One digits row of 64 features, all 1.0.
pub fn row() -> Vec<f64> {
    vec![1.0; 64]
}

/// An error answer's status and message; fails the test when the body is not
/// `{"error": "..."}`.
pub async fn error_of(r: reqwest::Response) -> (reqwest::StatusCode, String) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_else(|| panic!("no error message in {body}")).to_string())
}

pub fn digits_request(rows: &[Vec<f64>]) -> Value {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    serde_json::json!({"inputs": [{"name": "X", "shape": [rows.len(), 64], "datatype": "FP32", "data": flat}]})
}

pub fn reference_rows(reference: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(reference["inputs"].clone()).unwrap()
}

/// Runs curl (h1 or h2, trusting the server's certificate) and returns (status, body);
/// status is 0 when curl got no answer, and the body then holds curl's error.
pub fn curl(server: &Server, args: &[&str]) -> (u16, String) {
    let ca = server.state_dir.join("tls/cert.pem");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "--cacert"])
        .arg(&ca)
        .args(["-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs (scripts/test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = code.trim().parse().unwrap_or(0);
    let body = if status == 0 { String::from_utf8_lossy(&out.stderr).into_owned() } else { body.to_string() };
    (status, body)
}
