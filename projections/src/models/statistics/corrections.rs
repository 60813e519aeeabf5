//! Corrections in the statistics: a `CallCorrected` withdraws the call's
//! old contribution and adds the new one (its event carries both), and when
//! it moves the call to another region, the call's counselling sessions
//! recorded before it move too. Both in the rollups and in the signed
//! contributions (`facts`): the call's own contributions are taken back and
//! added in `contributions.rs`, its sessions' here.
//!
//! A session counts in its call's region *as of the session*: the region of
//! the latest `CallReceived`/`CallCorrected` before it in the call's stream
//! (`call_regions.rs`). A later correction then finds it exactly there, so the
//! counters never drift, whatever the batches, and a rebuild (which folds
//! the same log in the same order) gives the same figures.

use domain::call::{CallEvent, CallFacts};
use sqlx::PgConnection;
use store::EventStore;

use super::facts::{figure, Contribution};
use super::{count, periods, Tally};
use crate::error::ProjectionError;
use crate::feed::look_up::look_up;
use crate::feed::{Fact, Logged, CALL_STREAM};
use crate::target::Target;

impl Tally {
    pub(super) async fn correct_call(
        &mut self,
        conn: &mut PgConnection,
        store: &EventStore,
        correction: &Logged,
        (before, after): (&CallFacts, &CallFacts),
        target: &Target,
        contributed: &mut Vec<Contribution>,
    ) -> Result<(), ProjectionError> {
        for (facts, n) in [(before, -1), (after, 1)] {
            for period in periods(target.day(facts.received_at)) {
                let (category, channel) = (facts.category.as_str(), facts.channel.as_str());
                count(
                    &mut self.calls_by_category,
                    period,
                    facts.region,
                    category,
                    0,
                    n,
                );
                count(
                    &mut self.calls_by_channel,
                    period,
                    facts.region,
                    channel,
                    0,
                    n,
                );
            }
        }
        if before.region == after.region {
            return Ok(());
        }
        let stream = vec![correction.stream.to_string()];
        let sessions = look_up(
            conn,
            store,
            CALL_STREAM,
            stream,
            &["CounsellingSessionRecorded"],
        )
        .await?;
        for session in sessions
            .iter()
            .filter(|s| s.at.position < correction.at.position)
        {
            match &session.fact {
                Fact::Call(CallEvent::CounsellingSessionRecorded {
                    session_id,
                    started_at,
                    ..
                }) => {
                    for period in periods(target.day(*started_at)) {
                        count(&mut self.sessions, period, before.region, "", 0, -1);
                        count(&mut self.sessions, period, after.region, "", 0, 1);
                    }
                    let moved = |region| {
                        Contribution::new(
                            correction.at.position,
                            figure::COUNSELLING_SESSIONS,
                            target.day(*started_at),
                            region,
                            None,
                            "",
                            ("session", *session_id),
                            1,
                        )
                    };
                    contributed.push(moved(before.region).withdrawn(correction.at.position));
                    contributed.push(moved(after.region));
                }
                Fact::Unreadable(text) => return Err(ProjectionError::Event(text.clone())),
                _ => {}
            }
        }
        Ok(())
    }
}
