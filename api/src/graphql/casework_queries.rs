//! The casework queries: case queues, notes read back, follow-up lists and
//! the supervisors' view of referrals not acknowledged in time. Queues and
//! lists take ids from the `cases`, `follow_ups` and `referrals` read models
//! and load each node from its stream, like the contract's lists.

use async_graphql::{Context, Object, Result};
use chrono::Utc;
use domain::call::Call;
use domain::case::Case;
use projections::queries::{self, FollowUpFilter, Queue};
use store::log::StreamRange;
use uuid::Uuid;

use super::casework_reads;
use super::casework_types::{CaseNoteNode, CounsellingNoteNode, FollowUpNode};
use super::context::request;
use super::enums::CaseStatus;
use super::read_models::{case_page, first, page, projection_error, referral_page, Page};
use super::types::{CallNode, CaseNode, ReferralNode};
use crate::error::ApiError;
use crate::policy::{follow_ups_of, require, require_queue, Capability};

#[derive(Default)]
pub struct CaseworkQuery;

#[async_graphql::ComplexObject]
impl CallNode {
    /// Who took the call: the token subject its `CallReceived` event records
    /// as actor (for an imported or seeded call, the operator who recorded it).
    async fn taken_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (app, _) = request(ctx)?;
        let first_event = StreamRange {
            up_to_sequence: Some(1),
            ..StreamRange::default()
        };
        let (_, stored) = app
            .commands
            .store()
            .load_range::<Call>(self.id, first_event)
            .await
            .map_err(ApiError::from)?;
        let actor = stored.first().and_then(|e| e.metadata.get("actor"));
        Ok(actor.and_then(|a| a.as_str()).map(str::to_string))
    }
}

/// Items of a timeline after the one with id `after` (all when `None`), at most `first`.
fn after_id<T>(items: Vec<T>, id: impl Fn(&T) -> Uuid, after: Option<Uuid>, n: usize) -> Vec<T> {
    let start = match after {
        Some(after) => items
            .iter()
            .position(|i| id(i) == after)
            .map_or(items.len(), |p| p + 1),
        None => 0,
    };
    items.into_iter().skip(start).take(n).collect()
}

/// Loads each listed follow-up from its case's stream, for the caller.
async fn follow_up_page(
    ctx: &Context<'_>,
    found: queries::Page<(Uuid, Uuid)>,
    field: &str,
) -> Result<Page<FollowUpNode>> {
    let (app, req) = request(ctx)?;
    let store = app.commands.store();
    let mut listed = Vec::with_capacity(found.items.len());
    for (cursor, (follow_up_id, case_id)) in found.items {
        let loaded = store.load::<Case>(case_id).await.map_err(ApiError::from)?;
        listed.push((cursor, follow_up_id, case_id, loaded.state));
    }
    let present: Vec<_> = listed
        .iter()
        .filter_map(|(cursor, id, case_id, case)| Some((cursor, *case_id, case.follow_up(*id)?)))
        .collect();
    let items: Vec<_> = present
        .iter()
        .map(|(_, case_id, f)| (*case_id, *f))
        .collect();
    let ahead = ctx.look_ahead();
    let selected = ahead
        .field("edges")
        .field("node")
        .field("description")
        .exists()
        || ahead.field("nodes").field("description").exists();
    let nodes = casework_reads::follow_ups(app, req, field, &items, selected, Utc::now()).await?;
    let edges = present
        .iter()
        .zip(nodes)
        .map(|((cursor, _, _), node)| ((*cursor).clone(), node))
        .collect();
    Ok(page(found.has_next_page, found.total_count, edges))
}

/// One page of a case queue for the caller (who was authorised for it).
async fn queue_page(
    ctx: &Context<'_>,
    queue: Queue,
    status: Option<domain::values::CaseStatus>,
    (first, after): (Option<i32>, Option<String>),
    field: &str,
) -> Result<Page<CaseNode>> {
    let (app, _) = request(ctx)?;
    let pool = app.commands.store().pool();
    let n = self::first(first)?;
    let found = queries::case_queue(pool, &queue, status, n, after.as_deref())
        .await
        .map_err(projection_error)?;
    case_page(ctx, found, field).await
}

#[Object]
impl CaseworkQuery {
    /// The caller's own cases, newest opened first (OPEN ones unless `status` says otherwise).
    async fn my_cases(
        &self,
        ctx: &Context<'_>,
        status: Option<CaseStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<CaseNode>> {
        let (_, req) = request(ctx)?;
        require_queue(&req.principal, &req.principal.subject)?;
        let queue = Queue::OwnedBy(req.principal.subject.clone());
        let status = status.map_or(domain::values::CaseStatus::Open, Into::into);
        queue_page(ctx, queue, Some(status), (first, after), "myCases").await
    }

    /// Open cases nobody owns yet, newest opened first: the queue counsellors take from.
    async fn unassigned_cases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<CaseNode>> {
        let (_, req) = request(ctx)?;
        require(&req.principal, Capability::ReadQueues)?;
        let open = Some(domain::values::CaseStatus::Open);
        queue_page(
            ctx,
            Queue::Unassigned,
            open,
            (first, after),
            "unassignedCases",
        )
        .await
    }

    /// One owner's cases (every status unless `status` is given): a SUPERVISOR
    /// reads anyone's, a COUNSELLOR only their own.
    async fn cases_by_owner(
        &self,
        ctx: &Context<'_>,
        owner: String,
        status: Option<CaseStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<CaseNode>> {
        let (_, req) = request(ctx)?;
        require_queue(&req.principal, &owner)?;
        let status = status.map(Into::into);
        queue_page(
            ctx,
            Queue::OwnedBy(owner),
            status,
            (first, after),
            "casesByOwner",
        )
        .await
    }

    /// A case's notes, oldest first, after the note `after`.
    async fn case_notes(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
        first: Option<i32>,
        after: Option<Uuid>,
    ) -> Result<Vec<CaseNoteNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadNotes)?;
        let n = self::first(first)?;
        let loaded = app
            .commands
            .store()
            .load::<Case>(case_id)
            .await
            .map_err(ApiError::from)?;
        if loaded.state.id.is_none() {
            return Err(ApiError::NotFound(format!("case {case_id} does not exist")).into());
        }
        let notes = after_id(loaded.state.notes.iter().collect(), |n| n.note_id, after, n);
        let selected = ctx.look_ahead().field("text").exists();
        Ok(casework_reads::case_notes(app, req, "caseNotes", case_id, &notes, selected).await?)
    }

    /// A call's counselling sessions with their notes, in the order recorded.
    async fn counselling_notes(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        first: Option<i32>,
        after: Option<Uuid>,
    ) -> Result<Vec<CounsellingNoteNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadNotes)?;
        let n = self::first(first)?;
        let loaded = app
            .commands
            .store()
            .load::<Call>(call_id)
            .await
            .map_err(ApiError::from)?;
        if loaded.state.received.is_none() {
            return Err(ApiError::NotFound(format!("call {call_id} does not exist")).into());
        }
        let sessions = after_id(
            loaded.state.sessions.iter().collect(),
            |s| s.session_id,
            after,
            n,
        );
        let selected = ctx.look_ahead().field("text").exists();
        let field = "counsellingNotes";
        Ok(
            casework_reads::counselling_notes(app, req, field, call_id, &sessions, selected)
                .await?,
        )
    }

    /// A case's follow-ups, in the order created.
    async fn follow_ups(&self, ctx: &Context<'_>, case_id: Uuid) -> Result<Vec<FollowUpNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ManageFollowUps)?;
        let loaded = app
            .commands
            .store()
            .load::<Case>(case_id)
            .await
            .map_err(ApiError::from)?;
        let items: Vec<_> = loaded
            .state
            .follow_ups
            .iter()
            .map(|f| (case_id, f))
            .collect();
        let selected = ctx.look_ahead().field("description").exists();
        let now = Utc::now();
        Ok(casework_reads::follow_ups(app, req, "followUps", &items, selected, now).await?)
    }

    /// The caller's own follow-ups, soonest due first: open ones on open
    /// cases, or every one with `includeCompleted`.
    async fn my_follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_completed: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<FollowUpNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ManageFollowUps)?;
        let filter = FollowUpFilter {
            assignee: Some(req.principal.subject.clone()),
            due_before: None,
            include_completed,
        };
        let n = self::first(first)?;
        let pool = app.commands.store().pool();
        let found = queries::follow_ups(pool, &filter, n, after.as_deref())
            .await
            .map_err(projection_error)?;
        follow_up_page(ctx, found, "myFollowUps").await
    }

    /// Open follow-ups on open cases due before now, soonest due first: a
    /// COUNSELLOR's own, everyone's for a SUPERVISOR.
    async fn overdue_follow_ups(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<FollowUpNode>> {
        let (app, req) = request(ctx)?;
        let filter = FollowUpFilter {
            assignee: follow_ups_of(&req.principal)?,
            due_before: Some(Utc::now()),
            include_completed: false,
        };
        let n = self::first(first)?;
        let pool = app.commands.store().pool();
        let found = queries::follow_ups(pool, &filter, n, after.as_deref())
            .await
            .map_err(projection_error)?;
        follow_up_page(ctx, found, "overdueFollowUps").await
    }

    /// Referrals still SENT longer than `CASETRAIL_REFERRAL_ACK_HOURS` after
    /// they were sent, oldest first (SUPERVISOR).
    async fn overdue_referrals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ReferralNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadOverdueReferrals)?;
        let cutoff = Utc::now() - app.referral_ack;
        let n = self::first(first)?;
        let pool = app.commands.store().pool();
        let found = queries::unacknowledged_referrals(pool, cutoff, n, after.as_deref())
            .await
            .map_err(projection_error)?;
        referral_page(ctx, found).await
    }
}
