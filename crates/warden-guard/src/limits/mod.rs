//! Rate limits, concurrency caps and query budgets: the values that decide, and
//! the store they keep their counts in.

mod budget;
mod policy;
mod rate;
mod state;

pub use budget::{Budget, BudgetDecision, Period, Usage, period_of};
pub use policy::{DEFAULT_DAILY_ROWS, DEFAULT_RATE, LimitPolicy, Limits};
pub use rate::{Limit, Rate, RateDecision, gcra};
pub use state::{LimitState, MemoryState};
