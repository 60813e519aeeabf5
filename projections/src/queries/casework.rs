//! The casework lists: case queues (by owner, unassigned), follow-ups (one
//! assignee's, overdue) and referrals awaiting acknowledgement too long.
//! Keyset-paginated like the contract's lists (`lists.rs`); queues newest
//! opened first, follow-ups soonest due first, late referrals oldest first.

use chrono::{DateTime, Utc};
use domain::values::CaseStatus;
use sqlx::PgPool;
use uuid::Uuid;

use super::lists::{fetch, map_page, List, Page, Value};
use crate::error::ProjectionError;

/// Whose queue: one owner's, or the unassigned cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Queue {
    OwnedBy(String),
    Unassigned,
}

/// Cases in a queue, optionally of one status, newest opened first.
#[tracing::instrument(skip(pool))]
pub async fn case_queue(
    pool: &PgPool,
    queue: &Queue,
    status: Option<CaseStatus>,
    first: usize,
    after: Option<&str>,
) -> Result<Page<Uuid>, ProjectionError> {
    let mut conditions = vec![match queue {
        Queue::OwnedBy(owner) => ("owner = ", Value::Text(owner.clone())),
        Queue::Unassigned => ("owner IS NULL", Value::Nothing),
    }];
    if let Some(status) = status {
        conditions.push(("status = ", Value::Code(status.as_str())));
    }
    let list = List {
        name: "queue",
        table: "cases",
        time: "opened_at",
        id: "id",
        extra: None,
        ascending: false,
    };
    let page = fetch(pool, &list, &conditions, first, after).await?;
    Ok(map_page(page, |(id, _)| id))
}

/// Which follow-ups: whose, and whether only the open ones due before a time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    /// `None`: everyone's (a supervisor's view).
    pub assignee: Option<String>,
    /// Only open follow-ups on open cases due before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// With completed ones (and those on closed cases) too.
    pub include_completed: bool,
}

/// Follow-ups as (follow-up id, case id), soonest due first.
#[tracing::instrument(skip(pool))]
pub async fn follow_ups(
    pool: &PgPool,
    filter: &FollowUpFilter,
    first: usize,
    after: Option<&str>,
) -> Result<Page<(Uuid, Uuid)>, ProjectionError> {
    let mut conditions = Vec::new();
    if let Some(assignee) = &filter.assignee {
        conditions.push(("assignee = ", Value::Text(assignee.clone())));
    }
    if !filter.include_completed || filter.due_before.is_some() {
        conditions.push(("completed_at IS NULL AND case_open", Value::Nothing));
    }
    if let Some(before) = filter.due_before {
        conditions.push(("due_at < ", Value::Time(before)));
    }
    let list = List {
        name: "follow_ups",
        table: "follow_ups",
        time: "due_at",
        id: "follow_up_id",
        extra: Some("case_id"),
        ascending: true,
    };
    fetch(pool, &list, &conditions, first, after).await
}

/// Referrals still SENT (not acknowledged) that were sent before `sent_before`,
/// as (case id, referral id), oldest first.
#[tracing::instrument(skip(pool))]
pub async fn unacknowledged_referrals(
    pool: &PgPool,
    sent_before: DateTime<Utc>,
    first: usize,
    after: Option<&str>,
) -> Result<Page<(Uuid, Uuid)>, ProjectionError> {
    let conditions = [
        ("status = 'SENT'", Value::Nothing),
        ("referred_at < ", Value::Time(sent_before)),
    ];
    let list = List {
        name: "late_referrals",
        table: "referrals",
        time: "referred_at",
        id: "referral_id",
        extra: Some("case_id"),
        ascending: true,
    };
    let page = fetch(pool, &list, &conditions, first, after).await?;
    Ok(map_page(page, |(referral, case)| (case, referral)))
}
