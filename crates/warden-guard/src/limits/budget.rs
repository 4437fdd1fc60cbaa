//! Query budgets: rows (not requests: a batch of 1,000 rows spends 1,000) per
//! identity and model, per UTC day and per UTC month. A day's count starts over at
//! midnight UTC; a clock that goes back to an earlier day keeps counting into the
//! later one, so a clock change never refills a budget.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// How many rows an identity may send a model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub daily_rows: Option<u64>,
    pub monthly_rows: Option<u64>,
}

impl Budget {
    pub fn is_unlimited(&self) -> bool {
        self.daily_rows.is_none() && self.monthly_rows.is_none()
    }
}

/// Rows spent in the current day and month, with which day and month they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub day_rows: u64,
    /// Months since 1970-01 (UTC).
    pub month: i64,
    pub month_rows: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetDecision {
    Allow,
    /// Spent for `period`; it starts over at `resets_at` (unix seconds).
    Deny {
        period: Period,
        limit: u64,
        resets_at: i64,
    },
}

/// Where `at` falls: (day, month) as counted in [`Usage`].
pub fn period_of(at: SystemTime) -> (i64, i64) {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() as i64;
    let day = secs.div_euclid(86_400);
    let date = OffsetDateTime::from_unix_timestamp(secs).map(|t| t.date()).unwrap_or(Date::MIN);
    let month = (i64::from(date.year()) - 1970) * 12 + i64::from(u8::from(date.month())) - 1;
    (day, month)
}

/// Spends `rows` from `usage` when both periods allow it; changes nothing when not.
pub fn spend(usage: &mut Usage, rows: u64, at: SystemTime, budget: Budget) -> BudgetDecision {
    let (day, month) = period_of(at);
    if day > usage.day {
        usage.day = day;
        usage.day_rows = 0;
    }
    if month > usage.month {
        usage.month = month;
        usage.month_rows = 0;
    }
    if let Some(limit) = budget.daily_rows
        && usage.day_rows.saturating_add(rows) > limit
    {
        return BudgetDecision::Deny { period: Period::Day, limit, resets_at: (usage.day + 1) * 86_400 };
    }
    if let Some(limit) = budget.monthly_rows
        && usage.month_rows.saturating_add(rows) > limit
    {
        return BudgetDecision::Deny { period: Period::Month, limit, resets_at: month_start(usage.month + 1) };
    }
    usage.day_rows += rows;
    usage.month_rows += rows;
    BudgetDecision::Allow
}

/// Unix seconds of the first instant of month number `m` (months since 1970-01).
fn month_start(m: i64) -> i64 {
    let year = 1970 + m.div_euclid(12);
    let month = Month::try_from((m.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    Date::from_calendar_date(year as i32, month, 1)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> SystemTime {
        humantime::parse_rfc3339(rfc3339).unwrap()
    }

    fn budget(daily: u64, monthly: u64) -> Budget {
        Budget { daily_rows: Some(daily), monthly_rows: Some(monthly) }
    }

    #[test]
    fn rows_not_requests_are_counted() {
        let mut u = Usage::default();
        let t = at("2026-11-26T10:00:00Z");
        assert_eq!(spend(&mut u, 600, t, budget(1000, 5000)), BudgetDecision::Allow);
        let denied = spend(&mut u, 600, t, budget(1000, 5000));
        assert_eq!(
            denied,
            BudgetDecision::Deny {
                period: Period::Day,
                limit: 1000,
                resets_at: at("2026-11-27T00:00:00Z").duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
            }
        );
        assert_eq!(u.day_rows, 600, "a refused request spends nothing");
        assert_eq!(spend(&mut u, 400, t, budget(1000, 5000)), BudgetDecision::Allow);
    }

    #[test]
    fn a_day_starts_over_at_midnight_utc_and_the_month_does_not() {
        let mut u = Usage::default();
        let b = budget(1000, 1500);
        assert_eq!(spend(&mut u, 1000, at("2026-11-26T23:59:59Z"), b), BudgetDecision::Allow);
        assert!(matches!(
            spend(&mut u, 1, at("2026-11-26T23:59:59Z"), b),
            BudgetDecision::Deny { period: Period::Day, .. }
        ));
        assert_eq!(spend(&mut u, 500, at("2026-11-27T00:00:00Z"), b), BudgetDecision::Allow);
        let month_end = at("2026-12-01T00:00:00Z").duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert_eq!(
            spend(&mut u, 1, at("2026-11-27T00:00:01Z"), b),
            BudgetDecision::Deny { period: Period::Month, limit: 1500, resets_at: month_end }
        );
        assert_eq!(spend(&mut u, 1000, at("2026-12-01T00:00:00Z"), b), BudgetDecision::Allow);
    }

    #[test]
    fn the_year_turns_over() {
        let mut u = Usage::default();
        let b = budget(10, 10);
        assert_eq!(spend(&mut u, 10, at("2026-12-31T12:00:00Z"), b), BudgetDecision::Allow);
        let january = at("2027-01-01T00:00:00Z").duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(
            matches!(spend(&mut u, 1, at("2026-12-31T13:00:00Z"), b), BudgetDecision::Deny { resets_at, .. } if resets_at == january)
        );
        assert_eq!(spend(&mut u, 10, at("2027-01-01T00:00:00Z"), b), BudgetDecision::Allow);
    }

    #[test]
    fn a_clock_going_backwards_does_not_refill() {
        let mut u = Usage::default();
        let b = budget(100, 1000);
        assert_eq!(spend(&mut u, 100, at("2026-11-27T08:00:00Z"), b), BudgetDecision::Allow);
        // The clock steps back a day: the spent day stays spent.
        assert!(matches!(
            spend(&mut u, 1, at("2026-11-26T08:00:00Z"), b),
            BudgetDecision::Deny { period: Period::Day, .. }
        ));
    }

    #[test]
    fn a_batch_larger_than_the_budget_never_fits() {
        let mut u = Usage::default();
        assert!(matches!(
            spend(&mut u, 2000, at("2026-11-26T10:00:00Z"), budget(1000, 5000)),
            BudgetDecision::Deny { .. }
        ));
    }
}
