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
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = match ServeConfig::load(args.config.as_deref(), &args.settings.0) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let _traces = warden_serve::init_logging(&config)?;
    warn_about_risks(&config);
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
        let bound = warden_serve::bind(&prepared).await?;
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
    if running_as_root() {
        tracing::warn!("running as root: run Warden as an unprivileged user");
    }
    if !config.listen.ip().is_loopback() && config.insecure_http {
        tracing::warn!(addr = %config.listen, "INSECURE: plain HTTP on a non-loopback address");
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
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
