//! `warden clients list|clear`: what the server knows about each client of each
//! model (rows spent, the extraction detector's view, flags), and lifting a flag.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::{Deserialize, Serialize};
use warden_guard::extraction::{Flag, flags_path, read_flags, update_flags};
use warden_guard::limits::{LimitState, MemoryState, period_of};

use crate::keys::StateDir;

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Each identity and model: queries seen, rows spent today and this month,
    /// the extraction detector's state, and any flag.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dir: StateDir,
    },
    /// Lift an identity's extraction flags (all models, or one): a blocked,
    /// throttled or degraded client is served normally again within a second.
    Clear {
        /// The identity as `clients list` and the audit log name it, e.g. key:0123abcd4567.
        identity: String,
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        dir: StateDir,
    },
}

/// What the server writes to clients.json.
#[derive(Deserialize)]
struct DetectorState {
    identity: String,
    model: String,
    queries: u64,
    state: String,
    w: Option<f64>,
}

#[derive(Default, Serialize)]
struct Row {
    identity: String,
    model: String,
    queries: Option<u64>,
    rows_today: u64,
    rows_this_month: u64,
    detector: Option<String>,
    w: Option<f64>,
    flag: Option<Flag>,
}

pub fn run(cmd: ClientsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ClientsCommand::List { json, dir } => list(&dir, json),
        ClientsCommand::Clear { identity, model, dir } => clear(&dir, &identity, model.as_deref()),
    }
}

fn list(dir: &StateDir, json: bool) -> anyhow::Result<ExitCode> {
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    let budgets = MemoryState::load(&dir.state_dir.join("budgets.json")).context("reading budgets.json")?;
    let (today, month) = period_of(std::time::SystemTime::now());
    for (identity, model, usage) in budgets.usage() {
        let r = row(&mut rows, &identity, &model);
        r.rows_today = if usage.day == today { usage.day_rows } else { 0 };
        r.rows_this_month = if usage.month == month { usage.month_rows } else { 0 };
    }
    let snapshot = dir.state_dir.join("clients.json");
    if let Ok(text) = std::fs::read(&snapshot) {
        let states: Vec<DetectorState> =
            serde_json::from_slice(&text).with_context(|| format!("reading {}", snapshot.display()))?;
        for s in states {
            let r = row(&mut rows, &s.identity, &s.model);
            r.queries = Some(s.queries);
            r.detector = Some(s.state);
            r.w = s.w;
        }
    }
    for (identity, models) in read_flags(&flags_path(&dir.state_dir))? {
        for (model, flag) in models {
            row(&mut rows, &identity, &model).flag = Some(flag);
        }
    }
    let rows: Vec<Row> = rows.into_values().collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<22} {:<16} {:>8} {:>11} {:>11} {:<16} FLAG",
        "IDENTITY", "MODEL", "QUERIES", "ROWS TODAY", "ROWS MONTH", "DETECTOR"
    );
    for r in rows {
        let detector = match (&r.detector, r.w) {
            (Some(state), Some(w)) => format!("{state} W={w:.3}"),
            (Some(state), None) => state.clone(),
            (None, _) => "-".into(),
        };
        let flag = r
            .flag
            .map(|f| format!("{} (W={:.3} after {} queries)", f.response.name(), f.w, f.queries))
            .unwrap_or_else(|| "-".into());
        let queries = r.queries.map(|q| q.to_string()).unwrap_or_else(|| "-".into());
        println!(
            "{:<22} {:<16} {:>8} {:>11} {:>11} {:<16} {}",
            r.identity, r.model, queries, r.rows_today, r.rows_this_month, detector, flag
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn row<'a>(rows: &'a mut BTreeMap<(String, String), Row>, identity: &str, model: &str) -> &'a mut Row {
    rows.entry((identity.to_string(), model.to_string())).or_insert_with(|| Row {
        identity: identity.to_string(),
        model: model.to_string(),
        ..Row::default()
    })
}

fn clear(dir: &StateDir, identity: &str, model: Option<&str>) -> anyhow::Result<ExitCode> {
    let removed = update_flags(&flags_path(&dir.state_dir), |flags| {
        let Some(models) = flags.get_mut(identity) else { return 0 };
        let n = match model {
            Some(m) => usize::from(models.remove(m).is_some()),
            None => std::mem::take(models).len(),
        };
        if models.is_empty() {
            flags.remove(identity);
        }
        n
    })?;
    if removed == 0 {
        eprintln!(
            "error: {identity} has no extraction flag{}",
            model.map(|m| format!(" for model {m}")).unwrap_or_default()
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "cleared {removed} flag{} for {identity}; a running server applies it within a second",
        if removed == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}
