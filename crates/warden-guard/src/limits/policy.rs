//! Which limits apply to a request: the server's `[limits]`, overridden by the
//! model's own `[limits]`, overridden by the identity's entry — each key on its
//! own, so a model can tighten the rate and keep the server's budgets.

use std::time::Duration;

use super::budget::Budget;
use super::rate::{Limit, Rate};

/// Limits as configured at one level. Each key is `None` when unset (it falls
/// through to the level below), `Some(None)` when set to `"off"` (no limit, whatever
/// the levels below say), or `Some(Some(value))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitPolicy {
    pub rate: Option<Option<Rate>>,
    pub burst: Option<Option<u32>>,
    pub per_address_rate: Option<Option<Rate>>,
    pub per_address_burst: Option<Option<u32>>,
    pub daily_rows: Option<Option<u64>>,
    pub monthly_rows: Option<Option<u64>>,
    pub concurrency: Option<Option<u32>>,
}

/// The limits one request is held to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub identity: Option<Limit>,
    pub address: Option<Limit>,
    pub budget: Budget,
    pub concurrency: Option<u32>,
}

/// The server's limits when none are configured: per identity and model, 100
/// requests a second (bursts of one second's worth) and a million rows a day. An interactive
/// client never comes near them; a stolen or over-shared key is held to what it
/// can take in a day. docs/limits.md gives the reasoning.
pub const DEFAULT_RATE: Rate = Rate { count: 100, per: Duration::from_secs(1) };
pub const DEFAULT_DAILY_ROWS: u64 = 1_000_000;

impl LimitPolicy {
    /// The server level when nothing is configured: see `DEFAULT_RATE`.
    pub fn server_default() -> LimitPolicy {
        LimitPolicy {
            rate: Some(Some(DEFAULT_RATE)),
            daily_rows: Some(Some(DEFAULT_DAILY_ROWS)),
            ..LimitPolicy::default()
        }
    }

    /// `self` with every key `over` sets replaced.
    pub fn with(&self, over: &LimitPolicy) -> LimitPolicy {
        LimitPolicy {
            rate: over.rate.or(self.rate),
            burst: over.burst.or(self.burst),
            per_address_rate: over.per_address_rate.or(self.per_address_rate),
            per_address_burst: over.per_address_burst.or(self.per_address_burst),
            daily_rows: over.daily_rows.or(self.daily_rows),
            monthly_rows: over.monthly_rows.or(self.monthly_rows),
            concurrency: over.concurrency.or(self.concurrency),
        }
    }

    /// True when, resolved, this level limits nothing.
    pub fn limits_nothing(&self) -> bool {
        self.resolve() == Limits::default()
    }

    /// The limits, with a burst of one second's worth of the rate where none is set.
    pub fn resolve(&self) -> Limits {
        let limit = |rate: Option<Rate>, burst: Option<u32>| {
            rate.map(|rate| Limit { rate, burst: burst.unwrap_or_else(|| one_second(rate)) })
        };
        Limits {
            identity: limit(self.rate.flatten(), self.burst.flatten()),
            address: limit(self.per_address_rate.flatten(), self.per_address_burst.flatten()),
            budget: Budget { daily_rows: self.daily_rows.flatten(), monthly_rows: self.monthly_rows.flatten() },
            concurrency: self.concurrency.flatten(),
        }
    }
}

fn one_second(rate: Rate) -> u32 {
    let per_second = (u128::from(rate.count) * Duration::from_secs(1).as_nanos()).div_ceil(rate.per.as_nanos());
    u32::try_from(per_second).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Option<Option<Rate>> {
        Some(Some(Rate::parse(s).unwrap()))
    }

    #[test]
    fn each_key_falls_through_on_its_own() {
        let server = LimitPolicy { rate: rate("100/s"), daily_rows: Some(Some(1000)), ..LimitPolicy::default() };
        let model = LimitPolicy { rate: rate("10/s"), ..LimitPolicy::default() };
        let identity = LimitPolicy { daily_rows: Some(Some(50)), ..LimitPolicy::default() };
        let limits = server.with(&model).with(&identity).resolve();
        assert_eq!(limits.identity, Some(Limit { rate: Rate::parse("10/s").unwrap(), burst: 10 }));
        assert_eq!(limits.budget.daily_rows, Some(50));
        assert_eq!(limits.address, None);
    }

    #[test]
    fn off_overrides_the_level_below() {
        let server = LimitPolicy::server_default();
        let model = LimitPolicy { rate: Some(None), ..LimitPolicy::default() };
        let limits = server.with(&model).resolve();
        assert_eq!(limits.identity, None);
        assert_eq!(limits.budget.daily_rows, Some(DEFAULT_DAILY_ROWS));
        let all_off = LimitPolicy { rate: Some(None), daily_rows: Some(None), ..LimitPolicy::default() };
        assert!(server.with(&all_off).limits_nothing());
        assert!(!server.limits_nothing());
    }

    #[test]
    fn the_default_burst_is_one_seconds_worth() {
        assert_eq!(one_second(Rate::parse("6000/min").unwrap()), 100);
        assert_eq!(one_second(Rate::parse("10/h").unwrap()), 1);
        assert_eq!(one_second(Rate::parse("7/s").unwrap()), 7);
    }
}
