//! `warden audit-log verify`: checks the audit log's hash chain, its signed
//! checkpoints and its signed head, and names the first broken record.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use warden_observe::audit::{HEAD, Options, PUBLIC_KEY_FILE, Report, chain_files, load_public_key, verify};

#[derive(Subcommand)]
pub enum AuditLogCommand {
    /// Verify an audit log: a directory (all its files in order) or files in chain order.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The audit directory (e.g. .warden/audit), or audit files in chain order.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The checkpoint public key [default: checkpoint.pub beside the log].
    #[arg(long)]
    key: Option<PathBuf>,
    /// The signed head the log must reach [default: head.json beside the log].
    #[arg(long)]
    head: Option<PathBuf>,
    /// Accept a log whose first records were removed (older files deleted).
    #[arg(long)]
    partial: bool,
    /// Check the hash chain only, without a key: weaker, since anyone can rehash.
    #[arg(long, conflicts_with = "key")]
    unsigned: bool,
}

pub fn run(cmd: AuditLogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditLogCommand::Verify(args) => verify_cmd(args),
    }
}

fn verify_cmd(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (files, dir) = expand(&args.paths)?;
    if files.is_empty() {
        eprintln!("error: no audit files found in {}", args.paths[0].display());
        return Ok(ExitCode::from(2));
    }
    let key = if args.unsigned {
        None
    } else {
        let path = args.key.clone().unwrap_or_else(|| dir.join(PUBLIC_KEY_FILE));
        if !path.exists() {
            eprintln!(
                "error: no checkpoint public key at {}: pass --key FILE (or --unsigned to check the chain alone)",
                path.display()
            );
            return Ok(ExitCode::from(2));
        }
        Some(load_public_key(&path)?)
    };
    let head_path = args.head.clone().unwrap_or_else(|| dir.join(HEAD));
    let head = match std::fs::read_to_string(&head_path) {
        Ok(text) => Some(text),
        Err(_) if args.head.is_none() => None,
        Err(e) => anyhow::bail!("cannot read {}: {e}", head_path.display()),
    };
    let options = Options { key: key.as_ref(), head: head.as_deref(), partial: args.partial };
    match verify(&files, &options) {
        Ok(report) => {
            print_report(&report, head.is_some());
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("BROKEN {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A directory stands for its files in chain order; files are taken as given.
fn expand(paths: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, PathBuf)> {
    let first = &paths[0];
    if paths.len() == 1 && first.is_dir() {
        return Ok((chain_files(first)?, first.clone()));
    }
    for p in paths {
        if !p.is_file() {
            anyhow::bail!("{} is not a file", p.display());
        }
    }
    let dir = first.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((paths.to_vec(), if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir }))
}

fn print_report(r: &Report, had_head: bool) {
    let range = match r.first_seq {
        Some(first) => format!("records {first}..{}", r.last_seq),
        None => "no records".into(),
    };
    println!("ok: {} records in {} file{} ({range})", r.records, r.files, if r.files == 1 { "" } else { "s" });
    match (r.signatures_checked, r.last_checkpoint) {
        (false, _) => println!("signatures: not checked (--unsigned)"),
        (true, Some(seq)) => {
            println!("signatures: valid; last signed checkpoint is record {seq}");
            if r.unsigned_tail > 0 {
                println!("{} records after it are chained but not yet signed", r.unsigned_tail);
            }
        }
        (true, None) => {
            println!("signatures: no checkpoint yet; {} records chained but not yet signed", r.unsigned_tail)
        }
    }
    if !had_head {
        println!("head: no signed head found, so a cut from the end cannot be ruled out");
    }
}
