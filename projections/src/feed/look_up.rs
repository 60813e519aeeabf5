//! Looking events up by stream: what a projection reads to attribute a
//! later event (the call a counselling session belongs to, the case a
//! referral was sent from), beside the feed's reads in commit order.

use sqlx::PgConnection;
use store::EventStore;

use super::{decode_rows, Logged, COLUMNS};

/// The events of the given types in some streams, in stream order: what a
/// projection looks up in the log to attribute a later event (the call a
/// session belongs to, say). The log never changes, and anything an
/// applied event refers to was committed before it, so this is as safe as
/// the feed itself.
#[tracing::instrument(skip(conn, store, streams))]
pub(crate) async fn look_up(
    conn: &mut PgConnection,
    store: &EventStore,
    aggregate_type: &'static str,
    mut streams: Vec<String>,
    event_types: &[&str],
) -> Result<Vec<Logged>, sqlx::Error> {
    // Looked up one by one: each stream once.
    streams.sort_unstable();
    streams.dedup();
    let query = sqlx::query(sql())
        .bind(aggregate_type)
        .bind(streams)
        .bind(event_types)
        .bind([aggregate_type]);
    let mut found = decode_rows(query, &mut *conn, store, &[aggregate_type], 0).await?;
    found.sort_unstable_by(|a, b| {
        (a.stream_id.as_str(), a.sequence).cmp(&(b.stream_id.as_str(), b.sequence))
    });
    Ok(found)
}

/// [`look_up`]'s statement: each stream's events are found by its key (a
/// LATERAL sub-select the planner cannot flatten). The plain form,
/// `aggregate_id = ANY($2)` with `ORDER BY aggregate_id, sequence`, ran on
/// a projector's session, whose `enable_sort` is off: the plan that avoids
/// the sort walked the index over every event of the type and filtered
/// (26 ms at 60,000 events, growing with the log; `store::plans`). The
/// rows are put in stream order here, not by an ORDER BY: on that session
/// a sort costs the planner's "disabled" price, which also pushes the plan
/// over `jit_above_cost`, and PostgreSQL compiled it on every execution.
pub(crate) fn sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {COLUMNS} FROM unnest($2::text[]) AS s(id) \
             CROSS JOIN LATERAL ( \
               SELECT * FROM events \
               WHERE aggregate_type = $1 AND aggregate_id = s.id AND event_type = ANY($3) \
               OFFSET 0) e"
        )
    })
}
