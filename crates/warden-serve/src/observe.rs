//! Logging set-up: the redactor every line passes, with its pseudonym key from
//! the state dir, then the subscriber. Done before anything else logs.

use std::path::Path;

use warden_observe::logging::{self, Format};
use warden_observe::redact::{self, AddressMode, Redactor, Settings};

use crate::config::ServeConfig;
use crate::error::SetupError;
use crate::state;

const PSEUDONYM_KEY: &str = "log-pseudonym.key";

/// Returns what keeps trace export running: hold it until the server stops.
pub fn init_logging(config: &ServeConfig) -> Result<logging::Guard, SetupError> {
    state::create_private_dir(&config.state_dir)?;
    let key = pseudonym_key(&config.state_dir)?;
    let log = &config.log;
    let addresses = match log.addresses.as_str() {
        "keep" => AddressMode::Keep,
        "mask" => AddressMode::Mask,
        _ => AddressMode::Pseudonymise,
    };
    let settings = Settings { pseudonymise: log.pseudonymise, addresses, custom: log.patterns.clone(), key: Some(key) };
    redact::install(Redactor::new(settings).map_err(|e| SetupError::Unsafe(e.to_string()))?);
    let format = match log.format.as_str() {
        "json" => Format::Json,
        "text" => Format::Text,
        _ => Format::Auto,
    };
    let guard =
        logging::init(&config.log_level, format, config.otlp_endpoint.as_deref()).map_err(SetupError::Unsafe)?;
    logging::install_panic_hook(log.payloads);
    Ok(guard)
}

/// The key behind log pseudonyms, kept across restarts so one client's lines
/// correlate over days; private like every other key in the state dir.
fn pseudonym_key(dir: &Path) -> Result<[u8; 32], SetupError> {
    let path = dir.join(PSEUDONYM_KEY);
    state::check_private(&path)?;
    let io = |source| SetupError::Io { path: path.clone(), source };
    let mut key = [0; 32];
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            hex::decode_to_slice(text.trim(), &mut key)
                .map_err(|_| SetupError::Unsafe(format!("{}: expected 64 hex digits", path.display())))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            getrandom::fill(&mut key).map_err(|e| SetupError::Unsafe(format!("no randomness: {e}")))?;
            warden_guard::write_private(&path, hex::encode(key).as_bytes()).map_err(io)?;
        }
        Err(e) => return Err(io(e)),
    }
    Ok(key)
}
