//! `warden healthcheck`: asks a running server whether it is ready, for container
//! HEALTHCHECKs and probes where no curl exists (distroless images). The answer is
//! trusted only through the server's certificate or the CA given: a health check
//! that skips TLS verification would teach users to.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;

#[derive(Args)]
pub struct HealthcheckArgs {
    /// The readiness URL [default: from --config's listen address, else
    /// https://127.0.0.1:8443/v2/health/ready].
    #[arg(long)]
    url: Option<String>,
    /// PEM certificate(s) to trust: the server's own or its CA [default: the config's
    /// tls.cert, else <state_dir>/tls/cert.pem, the certificate Warden generates].
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Check the certificate for this name while connecting to the URL's address
    /// (a CA-issued certificate names the service, not 127.0.0.1).
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
    /// A client certificate (PEM, with its key unless --key gives it) for a server
    /// that requires one (`tls.client_auth = "required"`).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The server's config, for its listen address and certificate.
    #[arg(long, env = "WARDEN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    timeout: Duration,
}

/// Exit 0 ready, 1 not ready or unreachable, 2 a usage error.
pub fn run(args: HealthcheckArgs) -> Result<ExitCode> {
    let (url, client) = match prepare(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    match client.get(&url).send() {
        Ok(r) if r.status().is_success() => {
            let body = r.text().unwrap_or_default();
            let ready = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["ready"].as_bool());
            if ready == Some(true) {
                println!("ready: {url}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("not ready: {url} answered {body}");
                Ok(ExitCode::from(1))
            }
        }
        Ok(r) => {
            eprintln!("not ready: {url} answered HTTP {}", r.status());
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("unreachable: {url}: {}", chain(&e));
            Ok(ExitCode::from(1))
        }
    }
}

fn prepare(args: &HealthcheckArgs) -> Result<(String, reqwest::blocking::Client)> {
    let config = match &args.config {
        Some(path) => Some(
            warden_serve::ServeConfig::load(Some(path), &[])
                .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?,
        ),
        None => None,
    };
    let url = match (&args.url, &config) {
        (Some(u), _) => u.clone(),
        (None, Some(c)) => {
            let mut addr = c.listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
            }
            let scheme = if c.insecure_http { "http" } else { "https" };
            format!("{scheme}://{addr}/v2/health/ready")
        }
        (None, None) => "https://127.0.0.1:8443/v2/health/ready".to_string(),
    };
    let parsed = reqwest::Url::parse(&url).with_context(|| format!("--url {url}: not a URL"))?;
    let mut builder = reqwest::blocking::Client::builder()
        .timeout(args.timeout)
        .connect_timeout(args.timeout)
        .tls_built_in_root_certs(false)
        .user_agent(concat!("warden-healthcheck/", env!("CARGO_PKG_VERSION")));
    let mut url = url;
    if parsed.scheme() == "https" {
        let cacert =
            args.cacert.clone().or_else(|| config.as_ref().and_then(|c| c.tls_cert.clone())).unwrap_or_else(|| {
                let state = config.as_ref().map_or_else(|| PathBuf::from(".warden"), |c| c.state_dir.clone());
                state.join("tls/cert.pem")
            });
        let pem = std::fs::read(&cacert).with_context(|| format!("reading {}", cacert.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("{}: not a PEM certificate", cacert.display()))?;
        if certs.is_empty() {
            bail!("{}: no PEM certificate in it", cacert.display());
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
        if let Some(cert) = &args.cert {
            let mut pem = std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?;
            if let Some(key) = &args.key {
                pem.push(b'\n');
                pem.extend(std::fs::read(key).with_context(|| format!("reading {}", key.display()))?);
            }
            let identity = reqwest::Identity::from_pem(&pem)
                .with_context(|| format!("{}: not a PEM certificate and private key", cert.display()))?;
            builder = builder.identity(identity);
        }
        if let Some(name) = &args.server_name {
            let port = parsed.port_or_known_default().unwrap_or(443);
            let addr = parsed
                .socket_addrs(|| Some(port))
                .with_context(|| format!("resolving {url}"))?
                .into_iter()
                .next()
                .with_context(|| format!("{url}: no address"))?;
            builder = builder.resolve(name, addr);
            let mut named = parsed.clone();
            named.set_host(Some(name)).with_context(|| format!("--server-name {name}: not a host name"))?;
            url = named.to_string();
        }
    } else if parsed.scheme() != "http" {
        bail!("--url {url}: http or https only");
    }
    Ok((url, builder.build().context("building the HTTP client")?))
}

/// An error and its causes, on one line (reqwest's own message hides the TLS reason).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
