//! OSV advisory data for `warden audit` and `warden threat-model`: which data an
//! audit reads (`--advisories`, else `[audit] advisories` of `--config`, else
//! what `warden advisories update` downloaded into the state dir), and that
//! download. An audit itself never touches the network.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use warden_audit::deps::osv::{self, Advisory};
use warden_audit::{AdvisoryDb, FileError};

/// Where OSV publishes one zip per ecosystem (`<source>/<ecosystem>/all.zip`).
const OSV_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The ecosystems warden audit reads inventories of, as OSV names them.
const ECOSYSTEMS: &[&str] = &["PyPI", "npm", "crates.io", "Go", "Debian", "Alpine"];
/// The largest dump accepted (the biggest, Debian's, is a few hundred MB).
const MAX_DOWNLOAD: u64 = 4 << 30;

/// Where an audit's advisory data comes from.
#[derive(Args)]
pub struct AdvisoryArgs {
    /// OSV advisory data (a directory of OSV JSON files, or an ecosystem's OSV dump
    /// zip); repeat for several. Default: `[audit] advisories` of --config, else what
    /// `warden advisories update` keeps in the state dir. Read offline.
    #[arg(long, value_name = "PATH")]
    advisories: Vec<PathBuf>,
    /// A Warden config whose `[audit] advisories` (and `state_dir`) say where the
    /// advisory data is.
    #[arg(long, env = "WARDEN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The state dir that `warden advisories update` downloads into [default: the
    /// config's state_dir, else .warden].
    #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

impl AdvisoryArgs {
    /// The advisories to judge dependencies against, and a per-file error for what
    /// does not load. Says on stderr what was read and how old it is, so stale data
    /// shows; says nothing when there is none and nothing asked for it.
    pub fn load(&self) -> Result<(AdvisoryDb, Vec<FileError>)> {
        let config = match &self.config {
            Some(path) => Some(
                warden_serve::ServeConfig::load(Some(path), &[])
                    .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?,
            ),
            None => None,
        };
        let state_dir = self
            .state_dir
            .clone()
            .or_else(|| config.as_ref().map(|c| c.state_dir.clone()))
            .unwrap_or_else(|| PathBuf::from(".warden"));
        let (paths, origin) = if !self.advisories.is_empty() {
            (self.advisories.clone(), "--advisories")
        } else if let Some(c) = config.as_ref().filter(|c| !c.audit.advisories.is_empty()) {
            (c.audit.advisories.clone(), "[audit] advisories")
        } else {
            (downloaded(&state_dir), "warden advisories update")
        };
        let (advisories, errors) = load_paths(&paths);
        if !paths.is_empty() {
            let db = AdvisoryDb::new(advisories);
            eprintln!("advisories: {} records from {origin}, the newest modified {}", db.len(), newest(&db));
            if origin == "warden advisories update" {
                for path in &paths {
                    eprintln!("advisories: {} downloaded {}", path.display(), age(path));
                }
            }
            return Ok((db, errors));
        }
        Ok((AdvisoryDb::new(advisories), errors))
    }
}

fn newest(db: &AdvisoryDb) -> &str {
    db.newest_modified().unwrap_or("unknown")
}

/// How long ago a file was written, e.g. `3 days ago`.
fn age(path: &Path) -> String {
    let Ok(elapsed) = std::fs::metadata(path).and_then(|m| m.modified()).map(|t| t.elapsed().unwrap_or_default())
    else {
        return "at an unknown time".into();
    };
    let secs = elapsed.as_secs();
    let (n, unit) = match secs {
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// The dumps `warden advisories update` keeps: `<state_dir>/advisories/*.zip`.
fn downloaded(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(state_dir.join("advisories")) else { return Vec::new() };
    let mut zips: Vec<PathBuf> =
        read.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "zip")).collect();
    zips.sort();
    zips
}

/// Every advisory under `paths` (directories of OSV JSON, or OSV dump zips).
pub fn load_paths(paths: &[PathBuf]) -> (Vec<Advisory>, Vec<FileError>) {
    let mut advisories = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let (found, bad) = if path.is_dir() {
            osv::load_dir(path)
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            osv::load_zip(path)
        } else {
            (Vec::new(), vec![(path.display().to_string(), "not a directory of OSV files or an OSV zip".to_string())])
        };
        advisories.extend(found);
        errors.extend(bad.into_iter().map(|(path, error)| FileError { path, error }));
    }
    (advisories, errors)
}

#[derive(Subcommand)]
pub enum AdvisoriesCommand {
    /// Download OSV's advisory dumps (one zip per ecosystem) into <state_dir>/advisories,
    /// where `warden audit` finds them. Each download is checked before it replaces
    /// the previous one. Exit 0 all updated, 2 any failed (the old data is kept).
    Update {
        /// Only these ecosystems (PyPI, npm, crates.io, Go, Debian, Alpine); repeat
        /// for several [default: all six].
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        /// Base URL of an OSV mirror serving <source>/<ecosystem>/all.zip; https, or
        /// http to a loopback address.
        #[arg(long, default_value = OSV_SOURCE, value_name = "URL")]
        source: String,
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", default_value = ".warden")]
        state_dir: PathBuf,
    },
}

pub fn run(cmd: AdvisoriesCommand) -> Result<ExitCode> {
    let AdvisoriesCommand::Update { ecosystems, source, state_dir } = cmd;
    match update(&ecosystems, &source, &state_dir) {
        Ok(0) => Ok(ExitCode::SUCCESS),
        Ok(_) => Ok(ExitCode::from(2)),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Downloads each ecosystem's dump; returns how many failed.
fn update(ecosystems: &[String], source: &str, state_dir: &Path) -> Result<usize> {
    let wanted: Vec<&str> = if ecosystems.is_empty() {
        ECOSYSTEMS.to_vec()
    } else {
        ecosystems
            .iter()
            .map(|e| {
                ECOSYSTEMS
                    .iter()
                    .copied()
                    .find(|k| k.eq_ignore_ascii_case(e))
                    .ok_or_else(|| anyhow::anyhow!("unknown ecosystem '{e}' (one of: {})", ECOSYSTEMS.join(", ")))
            })
            .collect::<Result<_>>()?
    };
    check_source(source)?;
    let dir = state_dir.join("advisories");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let client = reqwest::blocking::Client::builder()
        // An https source never follows a redirect down to plain http.
        .https_only(source.starts_with("https://"))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(1800))
        .user_agent(concat!("warden/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    let mut failed = 0;
    for eco in wanted {
        let url = format!("{}/{eco}/all.zip", source.trim_end_matches('/'));
        let target = dir.join(format!("{eco}.zip"));
        match fetch(&client, &url, &target) {
            Ok((records, bad, bytes)) => {
                let note =
                    if bad == 0 { String::new() } else { format!(" ({bad} entries that do not parse are skipped)") };
                println!("{eco}: {records} advisories, {bytes} bytes, in {}{note}", target.display());
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {eco}: {e:#}");
            }
        }
    }
    Ok(failed)
}

/// HTTPS, or plain HTTP to a loopback mirror (a test, or a local cache).
fn check_source(source: &str) -> Result<()> {
    let url = reqwest::Url::parse(source).with_context(|| format!("--source {source}: not a URL"))?;
    let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        other => bail!("--source {source}: {other}:// is not allowed (https, or http to a loopback address)"),
    }
}

/// Downloads `url` beside `target`, checks it is an OSV dump, then renames it into
/// place: a failed or corrupt download never replaces good data. Returns the
/// records, the entries that did not parse, and the size.
fn fetch(client: &reqwest::blocking::Client, url: &str, target: &Path) -> Result<(usize, usize, u64)> {
    let response = client.get(url).send().with_context(|| format!("cannot fetch {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url}: HTTP {status}");
    }
    let partial = target.with_extension(format!("zip.partial-{}", std::process::id()));
    let result = (|| {
        let mut file =
            std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
        let bytes =
            std::io::copy(&mut response.take(MAX_DOWNLOAD + 1), &mut file).with_context(|| format!("reading {url}"))?;
        if bytes > MAX_DOWNLOAD {
            bail!("{url}: larger than {MAX_DOWNLOAD} bytes");
        }
        file.sync_all()?;
        let (advisories, errors) = osv::load_zip(&partial);
        if let Some((_, e)) = errors.iter().find(|(name, _)| !name.contains('!')) {
            bail!("{url}: not an OSV dump: {e}");
        }
        if advisories.is_empty() {
            bail!("{url}: no OSV advisory in the download");
        }
        // Its mtime, now, says when it was downloaded (warden audit reports the age).
        std::fs::rename(&partial, target).with_context(|| format!("cannot write {}", target.display()))?;
        Ok((advisories.len(), errors.len(), bytes))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_https_or_loopback() {
        assert!(check_source("https://osv-vulnerabilities.storage.googleapis.com").is_ok());
        assert!(check_source("http://127.0.0.1:8080/osv").is_ok());
        assert!(check_source("http://[::1]:8080").is_ok());
        assert!(check_source("http://localhost:1").is_ok());
        assert!(check_source("http://mirror.example.com").is_err());
        assert!(check_source("file:///tmp").is_err());
        assert!(check_source("not a url").is_err());
    }
}
