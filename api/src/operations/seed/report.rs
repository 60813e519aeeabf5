//! What one run of the demo seed did, and how the command line says it.

use crate::commands::CommandService;
use crate::error::ApiResult;

/// What the seed did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub calls: usize,
    pub cases: usize,
    pub persons_rescued: u32,
    /// Persons of the rescue dated after the period (in the period's referral cohort).
    pub persons_rescued_after_period: u32,
    /// Events this run appended: 0 when the demo history was already there.
    pub events_recorded: i64,
}

impl SeedReport {
    /// What the run did, in one sentence: a second run must not claim to have recorded anything.
    pub fn summary(&self, seconds: f64) -> String {
        let figures = format!(
            "{} calls, {} referral cases, {} persons rescued",
            self.calls, self.cases, self.persons_rescued
        );
        if self.events_recorded == 0 {
            format!(
                "the demo history was already recorded ({figures}); this run recorded nothing \
                 (checked in {seconds:.1}s)."
            )
        } else {
            format!(
                "demo history recorded in {seconds:.1}s: {} events for {figures} (a second run \
                 records nothing).",
                self.events_recorded
            )
        }
    }
}

/// Events the demo seed has appended so far: compared before and after a
/// run, so the report says whether this run recorded anything.
pub(super) async fn demo_events(commands: &CommandService) -> ApiResult<i64> {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE metadata->>'actor' = $1")
        .bind(DEMO_ACTOR)
        .fetch_one(commands.store().pool())
        .await
        .map_err(|e| store::StoreError::from(e).into())
}

/// Who the demo history is recorded as.
pub(super) const DEMO_ACTOR: &str = "demo-seed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_recorded_nothing_says_so() {
        let mut report = SeedReport {
            calls: 9154,
            cases: 129,
            persons_rescued: 165,
            persons_rescued_after_period: 2,
            events_recorded: 0,
        };
        let again = report.summary(3.0);
        assert!(again.contains("recorded nothing"), "{again}");
        assert!(!again.starts_with("demo history recorded"), "{again}");
        report.events_recorded = 12_000;
        let first = report.summary(25.0);
        assert!(
            first.starts_with("demo history recorded in 25.0s: 12000 events"),
            "{first}"
        );
    }
}
