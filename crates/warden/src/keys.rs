//! `warden keys create|list|revoke`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use warden_guard::{KeyRecord, KeyStore};

#[derive(Args)]
pub struct StateDir {
    /// The server's state directory.
    #[arg(long, env = "WARDEN_STATE_DIR", default_value = ".warden")]
    state_dir: PathBuf,
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
        KeysCommand::Create { name, scopes, dir } => {
            let scopes = if scopes.is_empty() { vec!["infer:*".to_string()] } else { scopes };
            let mut store = open(&dir, true)?;
            let (record, key) = store.create(&name, &scopes)?;
            eprintln!("created key {} ({}) with scopes {}", record.id, record.name, record.scopes.join(" "));
            println!("{key}");
        }
        KeysCommand::List { json, dir } => {
            let store = open(&dir, false)?;
            if json {
                println!("{}", serde_json::to_string_pretty(store.records())?);
            } else {
                print!("{}", table(store.records()));
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

fn table(records: &[KeyRecord]) -> String {
    let rows: Vec<[String; 5]> = records
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.name.clone(),
                r.scopes.join(","),
                timestamp(r.created),
                r.revoked.map(|t| format!("revoked {}", timestamp(t))).unwrap_or_else(|| "active".into()),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "SCOPES", "CREATED", "STATUS"].map(String::from);
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
