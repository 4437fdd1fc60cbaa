//! Rates as users write them (`"100/s"`, `"6000/min"`) and the generic cell rate
//! algorithm (GCRA) that enforces them. GCRA keeps one instant per key, the
//! theoretical arrival time (TAT) of the next request, so its state is a single
//! number, cheap to share (the Redis issue stores exactly this).

use std::fmt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    pub fn parse(text: &str) -> Result<Rate, String> {
        let bad = || format!("'{text}' is not a rate like 100/s, 6000/min or 10000/h");
        let (count, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!("'{text}': a rate must allow at least one request"));
        }
        Ok(Rate { count, per })
    }

    /// Time between two requests at this rate.
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            3600 => "h",
            _ => "d",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A rate and how many requests may come at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub rate: Rate,
    pub burst: u32,
}

/// What GCRA decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    /// Allowed; `remaining` more could come at once right now.
    Allow { remaining: u32, reset: Duration },
    /// Refused; the next request fits after `retry_after`.
    Deny { retry_after: Duration },
}

/// One GCRA step at `now` (time since any fixed start) for a key whose stored
/// TAT is `tat`. Returns the decision and the TAT to store. A clock that goes
/// backwards never grants more than the burst: the stored TAT only grows.
pub fn gcra(tat: Option<Duration>, now: Duration, limit: Limit) -> (RateDecision, Option<Duration>) {
    let t = limit.rate.interval();
    let tolerance = t * limit.burst.max(1);
    let tat = tat.unwrap_or(now).max(now);
    let next = tat + t;
    let ahead = next - now;
    if ahead > tolerance {
        let retry_after = ahead - tolerance;
        return (RateDecision::Deny { retry_after }, Some(tat));
    }
    let remaining = ((tolerance - ahead).as_nanos() / t.as_nanos().max(1)) as u32;
    (RateDecision::Allow { remaining, reset: ahead }, Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(rate: &str, burst: u32) -> Limit {
        Limit { rate: Rate::parse(rate).unwrap(), burst }
    }

    fn run(limit: Limit, times_ms: &[u64]) -> Vec<bool> {
        let mut tat = None;
        times_ms
            .iter()
            .map(|&ms| {
                let (d, next) = gcra(tat, Duration::from_millis(ms), limit);
                tat = next;
                matches!(d, RateDecision::Allow { .. })
            })
            .collect()
    }

    #[test]
    fn parses_rates() {
        assert_eq!(Rate::parse("100/s").unwrap().interval(), Duration::from_millis(10));
        assert_eq!(Rate::parse("6000/min").unwrap().interval(), Duration::from_millis(10));
        assert!(Rate::parse("0/s").is_err());
        assert!(Rate::parse("100").is_err());
        assert!(Rate::parse("100/fortnight").is_err());
        assert_eq!(Rate::parse("6000/min").unwrap().to_string(), "6000/min");
    }

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        // 10/s with a burst of 3: three at once, the fourth waits 100 ms.
        let l = limit("10/s", 3);
        assert_eq!(run(l, &[0, 0, 0, 0]), [true, true, true, false]);
        assert_eq!(run(l, &[0, 0, 0, 100]), [true, true, true, true]);
        assert_eq!(run(l, &[0, 0, 0, 99]), [true, true, true, false]);
    }

    #[test]
    fn the_bucket_refills_at_the_rate() {
        let l = limit("10/s", 5);
        let mut times = vec![0; 5];
        times.extend([1000, 1000, 1000, 1000, 1000, 1000]);
        // After a full second idle, the whole burst is back, and no more.
        assert_eq!(run(l, &times), [true, true, true, true, true, true, true, true, true, true, false]);
    }

    #[test]
    fn retry_after_names_when_the_next_one_fits() {
        let l = limit("2/s", 1);
        let (_, tat) = gcra(None, Duration::ZERO, l);
        let (d, _) = gcra(tat, Duration::from_millis(100), l);
        assert_eq!(d, RateDecision::Deny { retry_after: Duration::from_millis(400) });
    }

    #[test]
    fn remaining_counts_down() {
        let l = limit("10/s", 3);
        let (d, tat) = gcra(None, Duration::ZERO, l);
        assert_eq!(d, RateDecision::Allow { remaining: 2, reset: Duration::from_millis(100) });
        let (d, _) = gcra(tat, Duration::ZERO, l);
        assert!(matches!(d, RateDecision::Allow { remaining: 1, .. }));
    }

    #[test]
    fn a_clock_going_backwards_grants_nothing_extra() {
        let l = limit("10/s", 2);
        // Two at t=5 s use the burst; the clock then jumps back to t=1 s.
        let allowed = run(l, &[5000, 5000, 1000, 1000, 1000]);
        assert_eq!(allowed, [true, true, false, false, false]);
        // Once time passes the stored TAT again, requests flow at the rate.
        assert_eq!(run(l, &[5000, 5000, 5100]), [true, true, true]);
    }
}
