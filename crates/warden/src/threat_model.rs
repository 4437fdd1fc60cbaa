//! `warden threat-model PATH...`: the same inputs as `warden audit`, turned into a
//! STRIDE threat model (warden_audit::threat) as Markdown, JSON or one
//! self-contained HTML file; to stdout, or to `-o FILE` with the format taken from
//! its extension.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use warden_audit::threat::{self, html::html, markdown::markdown};

#[derive(Args)]
pub struct ThreatModelArgs {
    /// Files or directories (as for `warden audit`); `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format [default: md, or the extension of --output].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Advisory data as for `warden audit`: vulnerable dependencies raise the
    /// likelihood of dependency exploits.
    #[command(flatten)]
    sources: crate::advisories::AdvisoryArgs,
    /// Write to this file instead of standard output (.md, .json or .html).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Md,
    Json,
    Html,
}

/// Usage and input errors exit 2, as the findings' exit codes leave 1 for findings.
pub fn run(args: ThreatModelArgs) -> Result<ExitCode> {
    match checked(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn checked(args: ThreatModelArgs) -> Result<ExitCode> {
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(path)) => match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "md" | "markdown" => Format::Md,
            "json" => Format::Json,
            "html" | "htm" => Format::Html,
            other => bail!("cannot tell the format from '.{other}': use --format md|json|html"),
        },
        (None, None) => Format::Md,
    };
    let mut inputs = crate::audit::read_inputs(&args.paths)?;
    let (advisories, advisory_errors) = args.sources.load()?;
    inputs.errors.extend(advisory_errors);
    crate::audit::note_unjudged(&inputs, &advisories);
    for e in &inputs.errors {
        eprintln!("error: {}: {}", e.path, e.error);
    }
    if inputs.files.is_empty() {
        bail!("no audit input found in the paths given: nothing to model");
    }
    let audit = warden_audit::audit_with(&inputs.files, None, &advisories);
    let model = threat::build(&inputs.files, &audit);
    let text = match format {
        Format::Md => markdown(&model),
        Format::Json => serde_json::to_string_pretty(&model)? + "\n",
        Format::Html => html(&model),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(if inputs.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
