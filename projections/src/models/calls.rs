//! `calls`: one row per received call, for the contract's `calls` list.

use chrono::{DateTime, NaiveDate, Utc};
use domain::call::CallEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

#[derive(Default)]
struct NewCalls {
    id: Vec<Uuid>,
    received_at: Vec<DateTime<Utc>>,
    received_day: Vec<NaiveDate>,
    region: Vec<&'static str>,
    province: Vec<Option<String>>,
    channel: Vec<&'static str>,
    caller_type: Vec<&'static str>,
    category: Vec<&'static str>,
}

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut new = NewCalls::default();
    for event in events {
        // Sessions and case links change nothing this list filters or orders by.
        if let Fact::Call(CallEvent::CallReceived {
            call_id,
            received_at,
            channel,
            region,
            province,
            caller_type,
            category,
            ..
        }) = &event.fact
        {
            new.id.push(*call_id);
            new.received_at.push(*received_at);
            new.received_day.push(target.day(*received_at));
            new.region.push(region.as_str());
            new.province.push(province.clone());
            new.channel.push(channel.as_str());
            new.caller_type.push(caller_type.as_str());
            new.category.push(category.as_str());
        }
    }
    if new.id.is_empty() {
        return super::call_corrections::apply(conn, events, target).await;
    }
    // A plain INSERT: a call applied twice is a bug that must surface, not be absorbed.
    let sql = format!(
        "INSERT INTO {} (id, received_at, received_day, region, province, channel, caller_type, category) \
         SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::date[], $4::text[], $5::text[], \
                              $6::text[], $7::text[], $8::text[])",
        target.table("calls")
    );
    sqlx::query(&sql)
        .bind(&new.id)
        .bind(&new.received_at)
        .bind(&new.received_day)
        .bind(&new.region)
        .bind(&new.province)
        .bind(&new.channel)
        .bind(&new.caller_type)
        .bind(&new.category)
        .execute(&mut *conn)
        .await?;
    super::call_corrections::apply(conn, events, target).await
}
