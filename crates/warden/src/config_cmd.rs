//! `warden config check FILE`.

use std::path::Path;
use std::process::ExitCode;

use warden_serve::ServeConfig;

pub fn check(file: &Path) -> anyhow::Result<ExitCode> {
    let mut problems = match ServeConfig::load(Some(file), &[]) {
        Ok(config) => missing_paths(&config),
        Err(e) => e.0,
    };
    if file.is_dir() {
        problems = vec![format!("{} is a directory, not a configuration file", file.display())];
    }
    if problems.is_empty() {
        println!("{}: ok", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    eprint!("{}", warden_serve::ConfigError(problems));
    Ok(ExitCode::FAILURE)
}

/// Files and directories the configuration names that do not exist.
fn missing_paths(config: &ServeConfig) -> Vec<String> {
    let named = [
        ("model_repository", config.model_repository.as_deref()),
        ("tls.cert", config.tls_cert.as_deref()),
        ("tls.key", config.tls_key.as_deref()),
    ];
    named
        .into_iter()
        .filter_map(|(key, path)| {
            let path = path?;
            (!path.exists()).then(|| format!("{key}: {} does not exist", path.display()))
        })
        .collect()
}
