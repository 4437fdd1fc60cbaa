//! `warden keys create|list|revoke`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use std::collections::HashMap;

use warden_guard::{KeyRecord, KeyStore, read_usage, usage_path};

#[derive(Args)]
pub struct StateDir {
    /// The server's state directory.
    #[arg(long, env = "WARDEN_STATE_DIR", default_value = ".warden")]
    pub state_dir: PathBuf,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it, alone, on stdout (the only time it is shown).
    Create {
        /// A name for the key's holder.
        name: String,
        /// admin, infer:*, or infer:<model>; repeat for several [default: infer:*].
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Lifetime, e.g. 90d or 12h [default: until revoked].
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<std::time::Duration>,
        #[command(flatten)]
        dir: StateDir,
    },
    /// Replace a key: print a new one with the same name and scopes, and let the old
    /// one work for a grace period so clients can switch without an outage.
    Rotate {
        id: String,
        /// How long the old key keeps working, e.g. 24h or 0s.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "24h")]
        grace: std::time::Duration,
        #[command(flatten)]
        dir: StateDir,
    },
    /// List keys (never the keys themselves).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dir: StateDir,
    },
    /// Revoke a key by its id; a running server stops accepting it within a second.
    Revoke {
        id: String,
        #[command(flatten)]
        dir: StateDir,
    },
}

pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Create { name, scopes, expires, dir } => {
            let scopes = if scopes.is_empty() { vec!["infer:*".to_string()] } else { scopes };
            let expires = expires.map(|d| unix_now().saturating_add(d.as_secs()));
            let mut store = open(&dir, true)?;
            let (record, key) = store.create(&name, &scopes, expires)?;
            eprintln!("created key {} ({}) with scopes {}", record.id, record.name, record.scopes.join(" "));
            println!("{key}");
        }
        KeysCommand::Rotate { id, grace, dir } => {
            let mut store = open(&dir, true)?;
            let (record, key) = store.rotate(&id, grace.as_secs())?;
            eprintln!(
                "key {id} now expires in {}; its replacement is {}",
                humantime::format_duration(grace),
                record.id
            );
            println!("{key}");
        }
        KeysCommand::List { json, dir } => {
            let store = open(&dir, false)?;
            let used = read_usage(&usage_path(store.path()));
            if json {
                let mut records = serde_json::to_value(store.records())?;
                for record in records.as_array_mut().into_iter().flatten() {
                    let last = record["id"].as_str().and_then(|id| used.get(id)).copied();
                    record["last_used"] = last.into();
                }
                println!("{}", serde_json::to_string_pretty(&records)?);
            } else {
                print!("{}", table(store.records(), &used));
            }
        }
        KeysCommand::Revoke { id, dir } => {
            open(&dir, true)?.revoke(&id)?;
            println!("revoked key {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(dir: &StateDir, update: bool) -> anyhow::Result<KeyStore> {
    let path = warden_serve::keys_path(&dir.state_dir);
    if update {
        std::fs::create_dir_all(&dir.state_dir)
            .with_context(|| format!("cannot create {}", dir.state_dir.display()))?;
        Ok(KeyStore::open_for_update(&path)?)
    } else {
        Ok(KeyStore::open(&path)?)
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn table(records: &[KeyRecord], used: &HashMap<String, u64>) -> String {
    let now = unix_now();
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.name.clone(),
                r.scopes.join(","),
                timestamp(r.created),
                r.expires.map(timestamp).unwrap_or_else(|| "never".into()),
                used.get(&r.id).map(|t| timestamp(*t)).unwrap_or_else(|| "never".into()),
                r.status(now).to_string(),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATUS"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn timestamp(unix: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix)).to_string()
}
