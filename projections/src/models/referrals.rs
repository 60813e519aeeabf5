//! `referrals`: one row per referral with its current status, for the
//! `referrals` list (and an AGENCY user's view of its own referrals).
//!
//! A row is keyed by (case, referral id), what makes a referral unique in the
//! log: the Case aggregate refuses a second referral id within one case, and
//! since migration 0005 the store refuses one across cases, but a log written
//! before that may hold the same id in two cases. Keyed by the id alone, such
//! a valid log stopped this projection for good; keyed by both, it is two
//! rows, and a status change finds its referral within its own case.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::case::CaseEvent;
use domain::values::{ReferralOutcome, ReferralStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use super::missing;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

struct ReferralRow {
    referral_id: Uuid,
    case_id: Uuid,
    agency: &'static str,
    referred_at: DateTime<Utc>,
    state: State,
}

/// What a status change sets.
#[derive(Clone, Copy)]
struct State {
    status: ReferralStatus,
    outcome: Option<ReferralOutcome>,
    at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut sent: Vec<ReferralRow> = Vec::new();
    let mut sent_index: HashMap<(Uuid, Uuid), usize> = HashMap::new();
    let mut changed: HashMap<(Uuid, Uuid), State> = HashMap::new();
    for event in events {
        match &event.fact {
            Fact::Case(CaseEvent::ReferralSent {
                referral_id,
                agency,
                referred_at,
                ..
            }) => {
                sent_index.insert((event.stream, *referral_id), sent.len());
                sent.push(ReferralRow {
                    referral_id: *referral_id,
                    case_id: event.stream,
                    agency: agency.as_str(),
                    referred_at: *referred_at,
                    state: State {
                        status: ReferralStatus::Sent,
                        outcome: None,
                        at: *referred_at,
                    },
                });
            }
            Fact::Case(CaseEvent::ReferralStatusChanged {
                referral_id,
                to,
                at,
                outcome,
                ..
            }) => {
                let state = State {
                    status: *to,
                    outcome: *outcome,
                    at: *at,
                };
                let key = (event.stream, *referral_id);
                match sent_index.get(&key).and_then(|&i| sent.get_mut(i)) {
                    Some(row) => row.state = state,
                    None => {
                        changed.insert(key, state);
                    }
                }
            }
            _ => {}
        }
    }
    if !sent.is_empty() {
        let sql = format!(
            "INSERT INTO {} (referral_id, case_id, agency, status, outcome, referred_at, status_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
                                  $6::timestamptz[], $7::timestamptz[])",
            target.table("referrals")
        );
        sqlx::query(&sql)
            .bind(sent.iter().map(|r| r.referral_id).collect::<Vec<_>>())
            .bind(sent.iter().map(|r| r.case_id).collect::<Vec<_>>())
            .bind(sent.iter().map(|r| r.agency).collect::<Vec<_>>())
            .bind(
                sent.iter()
                    .map(|r| r.state.status.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|r| r.state.outcome.map(|o| o.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(sent.iter().map(|r| r.referred_at).collect::<Vec<_>>())
            .bind(sent.iter().map(|r| r.state.at).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
    }
    if !changed.is_empty() {
        let sql = format!(
            "UPDATE {} AS r SET status = u.status, outcome = u.outcome, status_at = u.at \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) \
                  AS u(case_id, id, status, outcome, at) \
             WHERE r.case_id = u.case_id AND r.referral_id = u.id",
            target.table("referrals")
        );
        let ids: Vec<(Uuid, Uuid)> = changed.keys().copied().collect();
        let updated = sqlx::query(&sql)
            .bind(ids.iter().map(|(case, _)| *case).collect::<Vec<_>>())
            .bind(
                ids.iter()
                    .map(|(_, referral)| *referral)
                    .collect::<Vec<_>>(),
            )
            .bind(
                ids.iter()
                    .map(|id| changed[id].status.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                ids.iter()
                    .map(|id| changed[id].outcome.map(|o| o.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(ids.iter().map(|id| changed[id].at).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if updated != ids.len() as u64 {
            return Err(missing("referrals", ids.len(), updated));
        }
    }
    super::referral_hand_ons::apply(conn, events, target).await
}
