//! The statistics rollups: counters per local day and per local month, by
//! region, category, channel and agency (see migration 0003).
//!
//! Attribution, decided once here:
//! - a call counts on the local day it was received, in its own region;
//! - a counselling session on the local day it started, in its call's region;
//! - a case on the local day it was opened, in its region;
//! - a referral on the local day it was sent, in its case's region, under its agency;
//! - persons rescued on the local day of the rescue, in the case's region (not
//!   the rescue's location, so a region filter selects the same cases for
//!   referrals and rescues), under the agency of the referral they belong to:
//!   the referral of that id *in the rescue's own case*. A referral is known
//!   by (case, referral id), what is unique in the log even where a log
//!   written before migration 0005 holds one id in two cases, so a rescue is
//!   never attributed to another case's referral.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use domain::call::CallEvent;
use domain::case::CaseEvent;
use domain::values::{Agency, Region};
use sqlx::PgConnection;
use store::EventStore;
use uuid::Uuid;

use crate::disclosure::RecordKeys;
use crate::error::ProjectionError;
use crate::feed::look_up::look_up;
use crate::feed::{Fact, Logged, CALL_STREAM, CASE_STREAM};
use crate::target::Target;

mod call_regions;
mod contributions;
mod corrections;
mod counters;
pub(crate) mod facts;
mod memory;

use facts::periods;
use memory::Memory;

type Period = (&'static str, NaiveDate);

/// Counter increments folded from events, not yet written. A live batch
/// folds and flushes at once; a rebuild folds the whole log and flushes
/// once, since its cells are bounded by the calendar, not by the events.
#[derive(Default)]
pub(crate) struct Tally {
    calls_by_category: Cells,
    calls_by_channel: Cells,
    sessions: Cells,
    cases: Cells,
    /// [referrals, persons rescued]
    referrals: Cells,
    /// The signed contributions' day and month cells (migration 0015).
    cells: facts::Cells,
    /// The database's record keys (migration 0040), read at the first batch
    /// with contributions: once per live batch, once for a whole rebuild.
    keys: Option<RecordKeys>,
}

/// Increments by cell: period, region, and the code of the table's third
/// key (category, channel, agency; "" for tables keyed by region alone).
type Cells = HashMap<(Period, Region, &'static str), [i64; 2]>;

fn count(
    cells: &mut Cells,
    period: Period,
    region: Region,
    code: &'static str,
    counter: usize,
    n: i64,
) {
    if let Some(value) = cells
        .entry((period, region, code))
        .or_default()
        .get_mut(counter)
    {
        *value += n;
    }
}

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    store: &EventStore,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut tally = Tally::default();
    tally.add(conn, store, events, target).await?;
    tally.flush(conn, target, false).await
}

impl Tally {
    /// Folds events in, looking up in the log what they refer to from earlier batches.
    pub(crate) async fn add(
        &mut self,
        conn: &mut PgConnection,
        store: &EventStore,
        events: &[Logged],
        target: &Target,
    ) -> Result<(), ProjectionError> {
        let mut memory = Memory::default();
        recall(conn, store, events, &mut memory, target).await?;
        let mut contributed = Vec::new();
        for event in events {
            let unknown = |what: &str| {
                ProjectionError::Event(format!(
                    "event at position {} refers to a {what} that is not in the log",
                    event.at.position
                ))
            };
            match &event.fact {
                Fact::Call(CallEvent::CallReceived {
                    call_id,
                    received_at,
                    channel,
                    region,
                    category,
                    ..
                }) => {
                    for period in periods(target.day(*received_at)) {
                        count(
                            &mut self.calls_by_category,
                            period,
                            *region,
                            category.as_str(),
                            0,
                            1,
                        );
                        count(
                            &mut self.calls_by_channel,
                            period,
                            *region,
                            channel.as_str(),
                            0,
                            1,
                        );
                    }
                    memory
                        .call_regions
                        .set(*call_id, event.at.position, *region);
                }
                Fact::Call(CallEvent::CallCorrected { before, after, .. }) => {
                    self.correct_call(
                        conn,
                        store,
                        event,
                        (before, after),
                        target,
                        &mut contributed,
                    )
                    .await?;
                    let (call, at) = (event.stream, event.at.position);
                    memory.call_regions.set(call, at, after.region);
                }
                Fact::Call(CallEvent::CounsellingSessionRecorded { started_at, .. }) => {
                    let region = memory
                        .call_regions
                        .at(event.stream, event.at.position)
                        .ok_or_else(|| unknown("call"))?;
                    for period in periods(target.day(*started_at)) {
                        count(&mut self.sessions, period, region, "", 0, 1);
                    }
                }
                Fact::Case(CaseEvent::CaseOpened {
                    case_id,
                    opened_at,
                    region,
                    ..
                }) => {
                    for period in periods(target.day(*opened_at)) {
                        count(&mut self.cases, period, *region, "", 0, 1);
                    }
                    memory.case_regions.insert(*case_id, *region);
                }
                Fact::Case(CaseEvent::ReferralSent {
                    referral_id,
                    agency,
                    reports_as,
                    referred_at,
                    ..
                }) => {
                    // Counted under the class its agency reported as when sent.
                    let agency = Agency::from(agency.class(*reports_as));
                    let region = *memory
                        .case_regions
                        .get(&event.stream)
                        .ok_or_else(|| unknown("case"))?;
                    for period in periods(target.day(*referred_at)) {
                        count(&mut self.referrals, period, region, agency.as_str(), 0, 1);
                    }
                    memory
                        .referral_agencies
                        .insert((event.stream, *referral_id), agency);
                }
                Fact::Case(CaseEvent::RescueRecorded {
                    referral_id,
                    rescued_at,
                    persons_rescued,
                    ..
                }) => {
                    let region = *memory
                        .case_regions
                        .get(&event.stream)
                        .ok_or_else(|| unknown("case"))?;
                    let agency = *memory
                        .referral_agencies
                        .get(&(event.stream, *referral_id))
                        .ok_or_else(|| unknown("referral"))?;
                    let persons = i64::from(*persons_rescued);
                    for period in periods(target.day(*rescued_at)) {
                        count(
                            &mut self.referrals,
                            period,
                            region,
                            agency.as_str(),
                            1,
                            persons,
                        );
                    }
                }
                _ => {}
            }
            contributions::of(event, &mut memory, target, &mut contributed)?;
        }
        if contributed.is_empty() {
            return Ok(());
        }
        let keys = match &self.keys {
            Some(keys) => keys,
            None => self.keys.insert(RecordKeys::read(&mut *conn).await?),
        };
        let keyed = facts::keyed(contributed, keys);
        for c in &keyed {
            self.cells.add(c);
        }
        facts::write_facts(conn, target, &keyed).await
    }
}

/// Reads from the log what this batch's events refer to but do not carry:
/// the region of a session's call, the region of a referral's or rescue's
/// case, the agency of a rescue's referral.
async fn recall(
    conn: &mut PgConnection,
    store: &EventStore,
    events: &[Logged],
    memory: &mut Memory,
    target: &Target,
) -> Result<(), ProjectionError> {
    let (mut calls, mut cases) = (HashSet::new(), HashSet::new());
    let (mut new_calls, mut new_cases, mut new_referrals) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    for event in events {
        match &event.fact {
            Fact::Call(CallEvent::CallReceived { call_id, .. }) => {
                new_calls.insert(*call_id);
            }
            Fact::Call(CallEvent::CounsellingSessionRecorded { .. })
                if !new_calls.contains(&event.stream) =>
            {
                calls.insert(event.stream);
            }
            Fact::Case(CaseEvent::CaseOpened { case_id, .. }) => {
                new_cases.insert(*case_id);
            }
            Fact::Case(CaseEvent::ReferralSent { referral_id, .. }) => {
                new_referrals.insert((event.stream, *referral_id));
                if !new_cases.contains(&event.stream) {
                    cases.insert(event.stream);
                }
            }
            Fact::Case(CaseEvent::PersonAttached { .. }) if !new_cases.contains(&event.stream) => {
                cases.insert(event.stream);
            }
            Fact::Case(CaseEvent::RescueRecorded { referral_id, .. })
                if !new_cases.contains(&event.stream)
                    || !new_referrals.contains(&(event.stream, *referral_id)) =>
            {
                cases.insert(event.stream);
            }
            _ => {}
        }
    }
    let streams = |ids: HashSet<Uuid>| ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>();
    let mut found = Vec::new();
    if !calls.is_empty() {
        let types = ["CallReceived", "CallCorrected"];
        found.extend(look_up(conn, store, CALL_STREAM, streams(calls), &types).await?);
    }
    if !cases.is_empty() {
        found.extend(
            look_up(
                conn,
                store,
                CASE_STREAM,
                streams(cases),
                &["CaseOpened", "ReferralSent"],
            )
            .await?,
        );
    }
    for event in found {
        let (stream, at) = (event.stream, event.at.position);
        match event.fact {
            Fact::Call(CallEvent::CallReceived {
                call_id, region, ..
            }) => {
                memory.call_regions.set(call_id, at, region);
            }
            Fact::Call(CallEvent::CallCorrected { after, .. }) => {
                memory.call_regions.set(stream, at, after.region);
            }
            Fact::Case(CaseEvent::CaseOpened {
                case_id,
                region,
                province,
                opened_at,
                ..
            }) => {
                memory.case_regions.insert(case_id, region);
                memory
                    .case_places
                    .insert(case_id, (province, target.day(opened_at)));
            }
            Fact::Case(CaseEvent::ReferralSent {
                referral_id,
                agency,
                reports_as,
                referred_at,
                ..
            }) => {
                memory
                    .referral_agencies
                    .insert((stream, referral_id), agency.class(reports_as).into());
                memory
                    .referral_days
                    .insert((stream, referral_id), target.day(referred_at));
            }
            Fact::Unreadable(text) => return Err(ProjectionError::Event(text)),
            _ => {}
        }
    }
    Ok(())
}
