//! Threagile's risk scheme: likelihood × impact, each on four steps, bucketed into
//! five severities.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Likelihood {
    Unlikely = 1,
    Likely = 2,
    VeryLikely = 3,
    Frequent = 4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    Low = 1,
    Medium = 2,
    High = 3,
    VeryHigh = 4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskSeverity {
    Low,
    Medium,
    Elevated,
    High,
    Critical,
}

impl Likelihood {
    pub fn from_step(step: i32) -> Likelihood {
        match step.clamp(1, 4) {
            1 => Likelihood::Unlikely,
            2 => Likelihood::Likely,
            3 => Likelihood::VeryLikely,
            _ => Likelihood::Frequent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Likelihood::Unlikely => "unlikely",
            Likelihood::Likely => "likely",
            Likelihood::VeryLikely => "very-likely",
            Likelihood::Frequent => "frequent",
        }
    }
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Low => "low",
            Impact::Medium => "medium",
            Impact::High => "high",
            Impact::VeryHigh => "very-high",
        }
    }
}

impl RiskSeverity {
    /// The product's bucket: <= 1 low, <= 3 medium, <= 8 elevated, <= 12 high, else critical.
    pub fn of(likelihood: Likelihood, impact: Impact) -> RiskSeverity {
        match likelihood as u8 * impact as u8 {
            0..=1 => RiskSeverity::Low,
            2..=3 => RiskSeverity::Medium,
            4..=8 => RiskSeverity::Elevated,
            9..=12 => RiskSeverity::High,
            _ => RiskSeverity::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskSeverity::Low => "low",
            RiskSeverity::Medium => "medium",
            RiskSeverity::Elevated => "elevated",
            RiskSeverity::High => "high",
            RiskSeverity::Critical => "critical",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_reference_scheme() {
        use Impact as I;
        use Likelihood as L;
        assert_eq!(RiskSeverity::of(L::Unlikely, I::Low), RiskSeverity::Low);
        assert_eq!(RiskSeverity::of(L::Unlikely, I::High), RiskSeverity::Medium);
        assert_eq!(RiskSeverity::of(L::Likely, I::Medium), RiskSeverity::Elevated);
        assert_eq!(RiskSeverity::of(L::Likely, I::VeryHigh), RiskSeverity::Elevated);
        assert_eq!(RiskSeverity::of(L::VeryLikely, I::High), RiskSeverity::High);
        assert_eq!(RiskSeverity::of(L::VeryLikely, I::VeryHigh), RiskSeverity::High);
        assert_eq!(RiskSeverity::of(L::Frequent, I::VeryHigh), RiskSeverity::Critical);
        assert_eq!(Likelihood::from_step(7), Likelihood::Frequent);
        assert_eq!(Likelihood::from_step(-2), Likelihood::Unlikely);
    }
}
