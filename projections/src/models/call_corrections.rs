//! `calls` after a `CallCorrected`: the row takes the corrected facts, so
//! the list filters and orders by what the call is now known to be (the
//! original stays in the call's history).

use std::collections::HashMap;

use domain::call::{CallEvent, CallFacts};
use sqlx::PgConnection;
use uuid::Uuid;

use super::missing;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

/// Applies the batch's corrections, after its new calls were inserted:
/// for each call its latest correction in the batch, in one statement.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut latest: HashMap<Uuid, &CallFacts> = HashMap::new();
    for event in events {
        if let Fact::Call(CallEvent::CallCorrected { after, .. }) = &event.fact {
            latest.insert(event.stream, after);
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    let (ids, facts): (Vec<Uuid>, Vec<&CallFacts>) = latest.into_iter().unzip();
    let sql = format!(
        "UPDATE {} AS c SET received_at = u.received_at, received_day = u.received_day, \
             region = u.region, province = u.province, channel = u.channel, \
             caller_type = u.caller_type, category = u.category \
         FROM UNNEST($1::uuid[], $2::timestamptz[], $3::date[], $4::text[], $5::text[], \
                     $6::text[], $7::text[], $8::text[]) \
              AS u(id, received_at, received_day, region, province, channel, caller_type, category) \
         WHERE c.id = u.id",
        target.table("calls")
    );
    let updated = sqlx::query(&sql)
        .bind(&ids)
        .bind(facts.iter().map(|f| f.received_at).collect::<Vec<_>>())
        .bind(
            facts
                .iter()
                .map(|f| target.day(f.received_at))
                .collect::<Vec<_>>(),
        )
        .bind(facts.iter().map(|f| f.region.as_str()).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.province.clone()).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.channel.as_str()).collect::<Vec<_>>())
        .bind(
            facts
                .iter()
                .map(|f| f.caller_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            facts
                .iter()
                .map(|f| f.category.as_str())
                .collect::<Vec<_>>(),
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated != ids.len() as u64 {
        return Err(missing("calls", ids.len(), updated));
    }
    Ok(())
}
