//! Identities flagged for extraction, per model, and what was done about it.
//! Kept in `flags.json` in the state dir: the server adds flags, `warden clients
//! clear` removes them, both under a file lock so neither loses the other's
//! change, and the server re-reads the file when it changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::GuardError;
use crate::keys::{lock_beside, write_private};

/// What a model does when its detector flags a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Response {
    /// A log line.
    Log,
    /// A log line, a metric and an audit record.
    Alert,
    /// As alert, and the client gets labels only from then on.
    Degrade,
    /// As alert, and the client is held to the tight throttle rate.
    Throttle,
    /// As alert, and the client gets 403 until an administrator clears it.
    Block,
}

impl Response {
    pub fn parse(text: &str) -> Result<Response, String> {
        match text {
            "log" => Ok(Response::Log),
            "alert" => Ok(Response::Alert),
            "degrade" => Ok(Response::Degrade),
            "throttle" => Ok(Response::Throttle),
            "block" => Ok(Response::Block),
            _ => Err(format!("'{text}' is not one of log, alert, degrade, throttle, block")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Response::Log => "log",
            Response::Alert => "alert",
            Response::Degrade => "degrade",
            Response::Throttle => "throttle",
            Response::Block => "block",
        }
    }

    /// Whether the response changes how later requests are answered (and so must
    /// outlive a restart).
    pub fn lasts(self) -> bool {
        matches!(self, Response::Degrade | Response::Throttle | Response::Block)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub response: Response,
    /// What flagged it: prada, sweep, out_of_range or volume.
    #[serde(default = "prada")]
    pub signal: String,
    /// The value that flagged it: PRADA's Shapiro–Wilk W, the share of sweep steps
    /// or out-of-range inputs, or the volume against the client's baseline.
    pub w: f64,
    /// Queries the detector had seen.
    pub queries: u64,
    /// Unix seconds.
    pub since: u64,
}

/// identity -> model -> flag
pub type Flags = BTreeMap<String, BTreeMap<String, Flag>>;

fn prada() -> String {
    "prada".into()
}

pub fn flags_path(state_dir: &Path) -> PathBuf {
    state_dir.join("flags.json")
}

/// Reads the flags; a missing file is no flags, a broken one an error.
pub fn read_flags(path: &Path) -> Result<Flags, GuardError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| GuardError::KeyFile { path: path.to_path_buf(), message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Flags::new()),
        Err(source) => Err(GuardError::Io { path: path.to_path_buf(), source }),
    }
}

/// Changes the flags file under its lock: read, `change`, write.
pub fn update_flags<T>(path: &Path, change: impl FnOnce(&mut Flags) -> T) -> Result<T, GuardError> {
    let _lock = lock_beside(path)?;
    let mut flags = read_flags(path)?;
    let result = change(&mut flags);
    let json = serde_json::to_vec_pretty(&flags)
        .map_err(|e| GuardError::KeyFile { path: path.to_path_buf(), message: e.to_string() })?;
    write_private(path, &json).map_err(|source| GuardError::Io { path: path.to_path_buf(), source })?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_added_and_cleared_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = flags_path(dir.path());
        let flag = Flag { response: Response::Block, signal: "prada".into(), w: 0.71, queries: 230, since: 1 };
        update_flags(&path, |f| f.entry("key:a".into()).or_default().insert("digits".into(), flag.clone())).unwrap();
        assert_eq!(read_flags(&path).unwrap()["key:a"]["digits"], flag);
        let removed = update_flags(&path, |f| f.remove("key:a")).unwrap();
        assert!(removed.is_some());
        assert!(read_flags(&path).unwrap().is_empty());
        assert!(Response::parse("ban").is_err());
    }
}
