//! `warden audit PATH... [-]`: the posture audit (warden-audit) as a table, JSON or
//! SARIF. Exit 0 clean, 1 a finding at or above `--fail-on`, 2 a usage or input
//! error (a file that could not be audited cannot be vouched for). `--fail-on` only
//! sets the exit code: every finding is reported whatever its severity.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};

use crate::advisories::AdvisoryArgs;
use crate::fail_on::FailOn;
use warden_audit::{AdvisoryDb, Baseline, Inputs, report, rules};

#[derive(Args)]
pub struct AuditArgs {
    /// Files or directories to audit (directories recursively); `-` reads standard
    /// input (e.g. `helm template . | warden audit -`).
    #[arg(required_unless_present_any = ["list_rules", "explain", "host", "rootfs"])]
    paths: Vec<PathBuf>,
    /// Audit the running host too: live sysctl values, `sshd -T`, firewall rules,
    /// systemd units, Warden configs in /etc/warden, and the permissions of key,
    /// state and model files.
    #[arg(long)]
    host: bool,
    /// The packages installed in an unpacked image or root file system (dpkg, apk,
    /// Python dist-info), for --advisories; repeat for several.
    #[arg(long, value_name = "DIR")]
    rootfs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    #[command(flatten)]
    sources: AdvisoryArgs,
    /// Leave out findings accepted in this baseline file.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write every current finding to this baseline file (then exit 0).
    #[arg(long)]
    write_baseline: Option<PathBuf>,
    /// List every rule and exit.
    #[arg(long)]
    list_rules: bool,
    /// Explain one rule: why, how to fix, equivalent checks in other tools.
    #[arg(long, value_name = "RULE")]
    explain: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Sarif,
}

/// Usage and input errors exit 2, as the findings' exit codes leave 1 for findings.
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    match checked(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn checked(args: AuditArgs) -> Result<ExitCode> {
    if args.list_rules {
        print!("{}", list_rules());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = &args.explain {
        let Some(rule) = rules::find(id) else { bail!("no rule '{id}' (warden audit --list-rules lists them)") };
        print!("{}", explain(rule));
        return Ok(ExitCode::SUCCESS);
    }
    let baseline = args.baseline.as_deref().map(Baseline::read).transpose().map_err(anyhow::Error::msg)?;
    let mut inputs = read_inputs(&args.paths)?;
    let mut roots: Vec<&std::path::Path> = args.rootfs.iter().map(PathBuf::as_path).collect();
    if args.host {
        let live = warden_audit::live::live_inputs(std::path::Path::new("/"));
        inputs.files.extend(live.files);
        inputs.errors.extend(live.errors);
        roots.push(std::path::Path::new("/"));
    }
    for root in roots {
        if !root.is_dir() {
            bail!("--rootfs {}: not a directory", root.display());
        }
        let found = warden_audit::deps::rootfs::inventories(root);
        inputs.files.extend(found.files);
        inputs.errors.extend(found.errors);
    }
    let (advisories, advisory_errors) = args.sources.load()?;
    inputs.errors.extend(advisory_errors);
    note_unjudged(&inputs, &advisories);
    let mut audit = warden_audit::audit_with(&inputs.files, baseline.as_ref(), &advisories);
    audit.errors = inputs.errors;
    if let Some(path) = &args.write_baseline {
        let text = serde_json::to_string_pretty(&Baseline::of(&audit.findings))?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {} findings to {}", audit.findings.len(), path.display());
        return Ok(ExitCode::SUCCESS);
    }
    match args.format {
        Format::Table => print!("{}", report::table(&audit, std::io::stdout().is_terminal())),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report::json(&audit))?),
        Format::Sarif => {
            println!("{}", serde_json::to_string_pretty(&report::sarif(&audit, env!("CARGO_PKG_VERSION")))?)
        }
    }
    if !matches!(args.format, Format::Table) {
        for e in &audit.errors {
            eprintln!("error: {}: {}", e.path, e.error);
        }
    }
    Ok(if !audit.errors.is_empty() {
        ExitCode::from(2)
    } else if audit.worst().is_some_and(|w| w >= args.fail_on.audit()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Inventories with no advisory data are listed, not judged: say so once.
pub fn note_unjudged(inputs: &Inputs, advisories: &AdvisoryDb) {
    let inventories = inputs.files.iter().filter(|f| matches!(f.input, warden_audit::Input::Inventory(_))).count();
    if inventories > 0 && advisories.is_empty() {
        eprintln!(
            "note: {inventories} dependency inventories not judged: no advisory data (warden advisories update, or --advisories)"
        );
    }
}

/// The paths given, with `-` read from standard input once.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Inputs> {
    let (stdin, files): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| p.as_os_str() == "-");
    let mut inputs = Inputs::read(&files.into_iter().cloned().collect::<Vec<_>>());
    for note in &inputs.notes {
        eprintln!("note: {note}");
    }
    if !stdin.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .take(warden_audit::input::MAX_FILE_SIZE)
            .read_to_string(&mut text)
            .context("reading standard input (UTF-8 text)")?;
        inputs.add_text("-", text, true);
    }
    Ok(inputs)
}

fn list_rules() -> String {
    let mut out = String::new();
    for c in rules::all() {
        let r = c.rule;
        out.push_str(&format!(
            "{:<40} {:<9} {:<11} {:<24} {}\n",
            r.id,
            r.severity.as_str(),
            r.layer.as_str(),
            r.stride.as_str(),
            r.title
        ));
    }
    out
}

fn explain(r: &warden_audit::Rule) -> String {
    format!(
        "{id}: {title}\n\nseverity: {sev}\nlayer: {layer}\nSTRIDE: {stride}\nthreat: {threat}\n\nWhy: {why}\n\nFix:\n{fix}\n\nEquivalent checks: {eq}\n",
        id = r.id,
        title = r.title,
        sev = r.severity.as_str(),
        layer = r.layer.as_str(),
        stride = r.stride.as_str(),
        threat = r.threat.as_str(),
        why = r.why,
        fix = indent(r.fix),
        eq = if r.equivalents.is_empty() { "none".to_string() } else { r.equivalents.join(", ") },
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
