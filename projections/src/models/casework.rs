//! Casework, kept by the `cases` projection after `cases.rs` (so that a case
//! opened in the same batch already has its row): each case's owner, and the
//! `follow_ups` table for "my follow-ups" and "overdue". Nothing here is
//! personal: owners and assignees are staff token subjects, and a
//! follow-up's description stays sealed in its event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::case::CaseEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use super::missing;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

struct FollowUpRow {
    follow_up_id: Uuid,
    case_id: Uuid,
    assignee: String,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

/// What a batch changes, folded in log order: the last word wins.
#[derive(Default)]
struct Changes {
    owners: HashMap<Uuid, String>,
    created: Vec<FollowUpRow>,
    created_index: HashMap<Uuid, usize>,
    /// Completions of follow-ups created in earlier batches.
    completed: HashMap<Uuid, DateTime<Utc>>,
    /// Cases closed (false) or reopened (true) in this batch.
    case_open: HashMap<Uuid, bool>,
}

impl Changes {
    fn fold(&mut self, case_id: Uuid, fact: &CaseEvent) {
        match fact {
            CaseEvent::CaseTaken { owner, .. } | CaseEvent::CaseAssigned { owner, .. } => {
                self.owners.insert(case_id, owner.clone());
            }
            CaseEvent::FollowUpCreated {
                follow_up_id,
                assignee,
                created_at,
                due_at,
                ..
            } => {
                self.created_index.insert(*follow_up_id, self.created.len());
                self.created.push(FollowUpRow {
                    follow_up_id: *follow_up_id,
                    case_id,
                    assignee: assignee.clone(),
                    created_at: *created_at,
                    due_at: *due_at,
                    completed_at: None,
                });
            }
            CaseEvent::FollowUpCompleted {
                follow_up_id,
                completed_at,
                ..
            } => match self
                .created_index
                .get(follow_up_id)
                .and_then(|&i| self.created.get_mut(i))
            {
                Some(row) => row.completed_at = Some(*completed_at),
                None => {
                    self.completed.insert(*follow_up_id, *completed_at);
                }
            },
            CaseEvent::CaseClosed { .. } => {
                self.case_open.insert(case_id, false);
            }
            CaseEvent::CaseReopened { .. } => {
                self.case_open.insert(case_id, true);
            }
            _ => {}
        }
    }
}

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    let mut changes = Changes::default();
    for event in events {
        if let Fact::Case(fact) = &event.fact {
            changes.fold(event.stream, fact);
        }
    }
    if !changes.owners.is_empty() {
        let sql = format!(
            "UPDATE {} AS c SET owner = u.owner \
             FROM UNNEST($1::uuid[], $2::text[]) AS u(id, owner) WHERE c.id = u.id",
            target.table("cases")
        );
        let (ids, owners): (Vec<Uuid>, Vec<String>) = changes.owners.into_iter().unzip();
        let updated = sqlx::query(&sql)
            .bind(&ids)
            .bind(&owners)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if updated != ids.len() as u64 {
            return Err(missing("cases", ids.len(), updated));
        }
    }
    let rows = &changes.created;
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO {} (follow_up_id, case_id, assignee, created_at, due_at, completed_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], \
                                  $5::timestamptz[], $6::timestamptz[])",
            target.table("follow_ups")
        );
        sqlx::query(&sql)
            .bind(rows.iter().map(|r| r.follow_up_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.case_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.assignee.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.due_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.completed_at).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
    }
    if !changes.completed.is_empty() {
        let sql = format!(
            "UPDATE {} AS f SET completed_at = u.at \
             FROM UNNEST($1::uuid[], $2::timestamptz[]) AS u(id, at) WHERE f.follow_up_id = u.id",
            target.table("follow_ups")
        );
        let (ids, ats): (Vec<Uuid>, Vec<DateTime<Utc>>) = changes.completed.into_iter().unzip();
        let updated = sqlx::query(&sql)
            .bind(&ids)
            .bind(&ats)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if updated != ids.len() as u64 {
            return Err(missing("follow_ups", ids.len(), updated));
        }
    }
    if !changes.case_open.is_empty() {
        // A case without follow-ups has no rows here: nothing to check.
        let sql = format!(
            "UPDATE {} AS f SET case_open = u.open \
             FROM UNNEST($1::uuid[], $2::bool[]) AS u(id, open) WHERE f.case_id = u.id",
            target.table("follow_ups")
        );
        let (ids, open): (Vec<Uuid>, Vec<bool>) = changes.case_open.into_iter().unzip();
        sqlx::query(&sql)
            .bind(&ids)
            .bind(&open)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
