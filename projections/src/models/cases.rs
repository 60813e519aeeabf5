//! `cases`: one row per case with its current status, for the `cases` list.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::case::CaseEvent;
use domain::values::CaseStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use super::missing;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

struct CaseRow {
    id: Uuid,
    opened_at: DateTime<Utc>,
    opened_day: NaiveDate,
    region: &'static str,
    province: Option<String>,
    status: CaseStatus,
    closed_at: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut opened: Vec<CaseRow> = Vec::new();
    let mut opened_index: HashMap<Uuid, usize> = HashMap::new();
    // Status changes to cases opened in earlier batches: the last one wins.
    let mut changed: HashMap<Uuid, (CaseStatus, Option<DateTime<Utc>>)> = HashMap::new();
    for event in events {
        let Fact::Case(fact) = &event.fact else {
            continue;
        };
        let status = match fact {
            CaseEvent::CaseOpened {
                case_id,
                opened_at,
                region,
                province,
                ..
            } => {
                opened_index.insert(*case_id, opened.len());
                opened.push(CaseRow {
                    id: *case_id,
                    opened_at: *opened_at,
                    opened_day: target.day(*opened_at),
                    region: region.as_str(),
                    province: province.clone(),
                    status: CaseStatus::Open,
                    closed_at: None,
                });
                continue;
            }
            CaseEvent::CaseClosed { closed_at, .. } => (CaseStatus::Closed, Some(*closed_at)),
            CaseEvent::CaseReopened { .. } => (CaseStatus::Open, None),
            _ => continue,
        };
        match opened_index
            .get(&event.stream)
            .and_then(|&i| opened.get_mut(i))
        {
            Some(row) => (row.status, row.closed_at) = status,
            None => {
                changed.insert(event.stream, status);
            }
        }
    }
    if !opened.is_empty() {
        let sql = format!(
            "INSERT INTO {} (id, opened_at, opened_day, status, region, province, closed_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::date[], $4::text[], $5::text[], \
                                  $6::text[], $7::timestamptz[])",
            target.table("cases")
        );
        sqlx::query(&sql)
            .bind(opened.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(opened.iter().map(|r| r.opened_at).collect::<Vec<_>>())
            .bind(opened.iter().map(|r| r.opened_day).collect::<Vec<_>>())
            .bind(opened.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
            .bind(opened.iter().map(|r| r.region).collect::<Vec<_>>())
            .bind(
                opened
                    .iter()
                    .map(|r| r.province.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(opened.iter().map(|r| r.closed_at).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
    }
    if !changed.is_empty() {
        let sql = format!(
            "UPDATE {} AS c SET status = u.status, closed_at = u.closed_at \
             FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) AS u(id, status, closed_at) \
             WHERE c.id = u.id",
            target.table("cases")
        );
        let ids: Vec<Uuid> = changed.keys().copied().collect();
        let updated = sqlx::query(&sql)
            .bind(&ids)
            .bind(
                ids.iter()
                    .map(|id| changed[id].0.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(ids.iter().map(|id| changed[id].1).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if updated != ids.len() as u64 {
            return Err(missing("cases", ids.len(), updated));
        }
    }
    Ok(())
}
