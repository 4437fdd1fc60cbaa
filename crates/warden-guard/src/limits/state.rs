//! Where limit state lives. The request path talks to [`LimitState`], so the
//! shared Redis store (a later issue) replaces [`MemoryState`] without touching
//! a decision. The in-memory store keeps budgets in the state dir across restarts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::budget::{self, Budget, BudgetDecision, Usage};
use super::rate::{Limit, RateDecision, gcra};
use crate::error::GuardError;
use crate::keys::write_private;

pub trait LimitState: Send + Sync {
    /// One GCRA step for `key` at `now` (a monotonic time since any fixed start).
    fn take(&self, key: &str, now: Duration, limit: Limit) -> RateDecision;
    /// Spends `rows` of what `identity` may send `model`, at wall-clock `at`.
    fn spend(&self, identity: &str, model: &str, rows: u64, at: SystemTime, budget: Budget) -> BudgetDecision;
    /// Every (identity, model) with rows spent, for reports.
    fn usage(&self) -> Vec<(String, String, Usage)>;
}

/// Keys whose rate state is kept before expired ones are swept out.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct MemoryState {
    rates: Mutex<HashMap<String, Duration>>,
    budgets: Mutex<HashMap<(String, String), Usage>>,
    dirty: AtomicBool,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    identity: String,
    model: String,
    #[serde(flatten)]
    usage: Usage,
}

impl MemoryState {
    /// A store with the budgets saved at `path` (none when the file is missing).
    pub fn load(path: &Path) -> Result<MemoryState, GuardError> {
        let saved: Vec<Saved> = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| GuardError::KeyFile { path: path.to_path_buf(), message: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(GuardError::Io { path: path.to_path_buf(), source }),
        };
        let budgets = saved.into_iter().map(|s| ((s.identity, s.model), s.usage)).collect();
        Ok(MemoryState { budgets: Mutex::new(budgets), ..MemoryState::default() })
    }

    /// Writes the budgets to `path` when they changed since the last save.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let saved: Vec<Saved> =
            self.usage().into_iter().map(|(identity, model, usage)| Saved { identity, model, usage }).collect();
        let json = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
        write_private(path, &json).inspect_err(|_| self.dirty.store(true, Ordering::Relaxed))
    }
}

impl LimitState for MemoryState {
    fn take(&self, key: &str, now: Duration, limit: Limit) -> RateDecision {
        let mut rates = self.rates.lock().unwrap_or_else(|e| e.into_inner());
        if rates.len() >= SWEEP_AT {
            // A TAT in the past is the same as no state at all.
            rates.retain(|_, tat| *tat > now);
        }
        let (decision, tat) = gcra(rates.get(key).copied(), now, limit);
        if let Some(tat) = tat {
            match rates.get_mut(key) {
                Some(slot) => *slot = tat,
                None => {
                    rates.insert(key.to_string(), tat);
                }
            }
        }
        decision
    }

    fn spend(&self, identity: &str, model: &str, rows: u64, at: SystemTime, budget: Budget) -> BudgetDecision {
        let mut budgets = self.budgets.lock().unwrap_or_else(|e| e.into_inner());
        let usage = budgets.entry((identity.to_string(), model.to_string())).or_default();
        let decision = budget::spend(usage, rows, at, budget);
        if decision == BudgetDecision::Allow {
            self.dirty.store(true, Ordering::Relaxed);
        }
        decision
    }

    fn usage(&self) -> Vec<(String, String, Usage)> {
        let budgets = self.budgets.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = budgets.iter().map(|((i, m), u)| (i.clone(), m.clone(), *u)).collect();
        all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Rate;

    #[test]
    fn budgets_survive_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budgets.json");
        let at = SystemTime::now();
        let budget = Budget { daily_rows: Some(100), monthly_rows: None };
        let state = MemoryState::load(&path).unwrap();
        assert_eq!(state.spend("key:a", "m", 60, at, budget), BudgetDecision::Allow);
        state.save(&path).unwrap();
        let again = MemoryState::load(&path).unwrap();
        assert!(matches!(again.spend("key:a", "m", 60, at, budget), BudgetDecision::Deny { .. }));
        assert_eq!(again.spend("key:a", "m", 40, at, budget), BudgetDecision::Allow);
        assert_eq!(again.spend("key:b", "m", 100, at, budget), BudgetDecision::Allow, "budgets are per identity");
    }

    #[test]
    fn a_broken_budget_file_is_an_error_not_a_refill() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budgets.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(MemoryState::load(&path).is_err());
    }

    #[test]
    fn rate_keys_are_independent() {
        let state = MemoryState::default();
        let limit = Limit { rate: Rate::parse("1/s").unwrap(), burst: 1 };
        assert!(matches!(state.take("a", Duration::ZERO, limit), RateDecision::Allow { .. }));
        assert!(matches!(state.take("a", Duration::ZERO, limit), RateDecision::Deny { .. }));
        assert!(matches!(state.take("b", Duration::ZERO, limit), RateDecision::Allow { .. }));
    }
}
