//! The `warden` command: a thin CLI over the library crates, one module per subcommand.
#![forbid(unsafe_code)]

mod advisories;
mod audit;
mod audit_log;
mod clients;
mod config_cmd;
mod fail_on;
mod healthcheck;
mod keys;
mod scan;
mod serve;
mod settings;
mod sign;
mod threat_model;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "warden",
    about = "A model server with deployment security built in",
    disable_version_flag = true,
    arg_required_else_help = true
)]
struct Cli {
    /// Print the version; with --verbose, what the binary was built from.
    #[arg(short = 'V', long)]
    version: bool,
    /// With --version: the git revision, the Cargo.lock digest, features and target.
    #[arg(long, requires = "version")]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve models over the Open Inference Protocol (HTTPS, authentication on).
    Serve(serve::ServeArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Clients of each model: rows spent, extraction detector state, flags.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Verify the tamper-evident audit log.
    #[command(subcommand)]
    AuditLog(audit_log::AuditLogCommand),
    /// Check configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Find unsafe model files (pickle imports, broken safetensors, ONNX path escapes)
    /// without loading them. Exit 0 clean, 1 findings at or above --fail-on, 2 errors.
    Scan(scan::ScanArgs),
    /// Create ECDSA key pairs for model signing (OpenSSF model-signing): a key-mode key, or
    /// the key a CA certifies for certificate mode.
    #[command(subcommand)]
    SigningKey(sign::SigningKeyCommand),
    /// Sign a model (directory or file) into a Sigstore bundle (default model.sig), in the
    /// OpenSSF model-signing format: with a key, or with a key and its certificate
    /// (--certificate, --chain).
    Sign(sign::SignArgs),
    /// Verify a model against its signature with trusted keys (--key) and/or root CAs
    /// (--root). Exit 0 verified, 1 not verified (the reason and every added, removed or
    /// changed file), 2 usage or read error.
    Verify(sign::VerifyArgs),
    /// Audit the layers around a model deployment: Kubernetes manifests, Dockerfiles,
    /// GitHub Actions and GitLab CI, Warden configs, host files. Exit 0 clean, 1 findings
    /// at or above --fail-on, 2 usage or input errors.
    Audit(audit::AuditArgs),
    /// Ask a running server whether it is ready (for container HEALTHCHECKs without
    /// curl). Exit 0 ready, 1 not ready or unreachable, 2 usage error.
    Healthcheck(healthcheck::HealthcheckArgs),
    /// OSV advisory data for the dependency audit: `update` downloads it.
    #[command(subcommand)]
    Advisories(advisories::AdvisoriesCommand),
    /// Build a STRIDE threat model (assets, trust boundaries, threats scored by impact x
    /// likelihood, mitigations per layer with their evidence) from the same inputs as audit.
    ThreatModel(threat_model::ThreatModelArgs),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a TOML configuration file and report every problem in it.
    Check { file: PathBuf },
}

/// `warden 0.1.0`, and with `verbose` the build's provenance, one `key: value` a line.
fn version(verbose: bool) -> String {
    let mut out = format!("warden {}\n", env!("CARGO_PKG_VERSION"));
    if verbose {
        let features: Vec<&str> = [("onnxruntime", cfg!(feature = "onnxruntime")), ("otlp", cfg!(feature = "otlp"))]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
        out.push_str(&format!("git revision: {}\n", env!("WARDEN_GIT_REVISION")));
        out.push_str(&format!(
            "Cargo.lock sha256: {} ({} crates)\n",
            env!("WARDEN_LOCK_SHA256"),
            env!("WARDEN_LOCK_CRATES")
        ));
        out.push_str(&format!("features: {}\n", if features.is_empty() { "none".into() } else { features.join(", ") }));
        out.push_str(&format!("target: {} ({})\n", env!("WARDEN_TARGET"), env!("WARDEN_PROFILE")));
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        print!("{}", version(cli.verbose));
        return ExitCode::SUCCESS;
    };
    let result = match command {
        Command::Serve(args) => serve::run(args),
        Command::Keys(cmd) => keys::run(cmd),
        Command::AuditLog(cmd) => audit_log::run(cmd),
        Command::Clients(cmd) => clients::run(cmd),
        Command::Config(ConfigCommand::Check { file }) => config_cmd::check(&file),
        Command::Scan(args) => scan::run(args),
        Command::SigningKey(cmd) => sign::run_key(cmd),
        Command::Sign(args) => sign::run_sign(args),
        Command::Verify(args) => sign::run_verify(args),
        Command::Audit(args) => audit::run(args),
        Command::ThreatModel(args) => threat_model::run(args),
        Command::Advisories(cmd) => advisories::run(cmd),
        Command::Healthcheck(args) => healthcheck::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
