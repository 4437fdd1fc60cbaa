//! `warden serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use warden_serve::ServeConfig;

use crate::settings::SettingArgs;

#[derive(Args)]
pub struct ServeArgs {
    /// TOML configuration file; flags and WARDEN_* variables override its keys.
    #[arg(long, env = "WARDEN_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingArgs,
    /// Run as root anyway (refused otherwise: run Warden as an unprivileged user).
    /// Capabilities are still dropped once the sockets are bound.
    #[arg(long)]
    allow_root: bool,
    /// Do not confine the server (Landlock, seccomp, no_new_privs, capabilities):
    /// for debugging only.
    #[arg(long)]
    no_sandbox: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = match ServeConfig::load(args.config.as_deref(), &args.settings.0) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    // Before anything is written (logging creates its pseudonym key in the state dir).
    if running_as_root() && !args.allow_root {
        eprintln!(
            "error: refusing to run as root: run Warden as an unprivileged user (e.g. `useradd --system warden`), or pass --allow-root"
        );
        return Ok(ExitCode::from(2));
    }
    let listeners = warden_serve::listen(&config)?;
    warden_serve::create_dirs(&config)?;
    // Confined before logging starts: the OTLP exporter starts threads, and threads
    // made before the sandbox would escape Landlock. What was applied is logged below.
    let confined = if args.no_sandbox { None } else { Some(confine(&config, args.config.as_deref())?) };
    let _traces = warden_serve::init_logging(&config)?;
    warn_about_risks(&config);
    if running_as_root() {
        tracing::warn!("running as root (--allow-root): every capability is dropped once the sockets are bound");
    }
    match &confined {
        Some((policy, report)) => log_confinement(policy, report),
        None => tracing::warn!(
            "--no-sandbox: the server is not confined (no Landlock, seccomp, no_new_privs); for debugging only"
        ),
    }
    let prepared = warden_serve::prepare(config)?;
    if let Some(key) = &prepared.admin_key {
        println!("created the first admin API key; it is shown only this once, store it now:");
        println!("admin key: {key}");
    }
    if let Some(tls) = &prepared.tls {
        let origin = if tls.generated { "generated a self-signed" } else { "using the" };
        println!("tls: {origin} certificate {}", tls.cert.display());
        println!("tls: sha256 fingerprint {}", tls.fingerprint);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let bound = warden_serve::bind(listeners)?;
        let scheme = if prepared.tls.is_some() { "https" } else { "http" };
        println!("models: {}", prepared.models.join(", "));
        println!("limits: {}", prepared.limits);
        println!("limits: change them with [limits] in --config, --limits-* flags or WARDEN_LIMITS_*; \"off\" turns one off (docs/limits.md)");
        if let Some(m) = bound.metrics {
            println!("metrics on http://{m}/metrics");
        }
        println!("listening on {scheme}://{}", bound.api);
        tracing::info!(addr = %bound.api, "serving");
        warden_serve::run(prepared, bound, shutdown_signal()).await;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn warn_about_risks(config: &ServeConfig) {
    if config.insecure_http {
        tracing::warn!(
            "INSECURE: --insecure-http serves plain HTTP; API keys and model inputs cross the network unencrypted"
        );
    }
    if config.log.payloads {
        tracing::warn!(
            "DEBUGGING: log_payloads logs request bodies at debug level (redacted, but still client data); turn it off in production"
        );
    }
    if !config.listen.ip().is_loopback() && config.insecure_http {
        tracing::warn!(addr = %config.listen, "INSECURE: plain HTTP on a non-loopback address");
    }
}

/// Confines the process before any thread exists (Landlock holds per thread).
fn confine(
    config: &warden_serve::ServeConfig,
    config_file: Option<&std::path::Path>,
) -> anyhow::Result<(warden_sandbox::Policy, warden_sandbox::Report)> {
    let ort = warden_model::onnxruntime_library();
    let policy = warden_serve::sandbox_policy(config, config_file, ort.as_deref());
    let report = warden_sandbox::apply(&policy)
        .map_err(|e| anyhow::anyhow!("cannot confine the server: {e} (--no-sandbox runs it unconfined)"))?;
    Ok((policy, report))
}

/// What the sandbox applied, and what the kernel could not.
fn log_confinement(policy: &warden_sandbox::Policy, report: &warden_sandbox::Report) {
    for skipped in &report.skipped {
        tracing::warn!(path = %skipped, "sandbox: a path of the policy could not be added");
    }
    match report.landlock {
        warden_sandbox::Enforced::Fully => {}
        warden_sandbox::Enforced::Partially => {
            tracing::warn!("sandbox: this kernel's Landlock enforces only part of the file rules")
        }
        warden_sandbox::Enforced::Not => {
            tracing::warn!(
                "sandbox: this kernel has no Landlock: file access is not confined (seccomp and no_new_privs are)"
            )
        }
    }
    tracing::info!(
        landlock = ?report.landlock,
        read_only = policy.read_only.len(),
        read_write = ?policy.read_write,
        bounding_set_emptied = report.bounding_set_emptied,
        "sandbox: no_new_privs, capabilities dropped, Landlock, seccomp allowlist"
    );
}

fn running_as_root() -> bool {
    warden_sandbox::effective_uid() == 0
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            std::future::pending::<()>().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: draining in-flight requests"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: draining in-flight requests"),
    }
}
