//! `referrals` after a `ReferralHandedOn`: the row names the agency holding
//! the referral now (so that agency lists it, and the old one no longer
//! does) and, unless a status change followed in the same batch, the SENT
//! status the new holder receives it in. Run after `referrals::apply` has
//! written the batch's new rows and status changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::case::CaseEvent;
use domain::values::Agency;
use sqlx::PgConnection;
use uuid::Uuid;

use super::missing;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

/// A referral's latest hand-on in the batch, and whether its status moved after it.
struct HandedOn {
    to: Agency,
    at: DateTime<Utc>,
    moved_since: bool,
}

pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut handed: HashMap<(Uuid, Uuid), HandedOn> = HashMap::new();
    for event in events {
        match &event.fact {
            Fact::Case(CaseEvent::ReferralHandedOn {
                referral_id,
                to,
                at,
                ..
            }) => {
                let handed_on = HandedOn {
                    to: *to,
                    at: *at,
                    moved_since: false,
                };
                handed.insert((event.stream, *referral_id), handed_on);
            }
            Fact::Case(CaseEvent::ReferralStatusChanged { referral_id, .. }) => {
                if let Some(h) = handed.get_mut(&(event.stream, *referral_id)) {
                    h.moved_since = true;
                }
            }
            _ => {}
        }
    }
    if handed.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE {} AS r SET agency = u.agency, \
             status = CASE WHEN u.moved THEN r.status ELSE 'SENT' END, \
             outcome = CASE WHEN u.moved THEN r.outcome END, \
             status_at = CASE WHEN u.moved THEN r.status_at ELSE u.at END \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::bool[]) \
              AS u(case_id, id, agency, at, moved) \
         WHERE r.case_id = u.case_id AND r.referral_id = u.id",
        target.table("referrals")
    );
    let rows: Vec<_> = handed.into_iter().collect();
    let updated = sqlx::query(&sql)
        .bind(rows.iter().map(|((case, _), _)| *case).collect::<Vec<_>>())
        .bind(rows.iter().map(|((_, id), _)| *id).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, h)| h.to.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, h)| h.at).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, h)| h.moved_since).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated != rows.len() as u64 {
        return Err(missing("referrals", rows.len(), updated));
    }
    Ok(())
}
