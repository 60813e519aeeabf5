//! The contract's subscriptions: live updates from the log, after commit.
//!
//! Every field reads the process's one tail of the log (`projections::LiveLog`),
//! filtered for the subscriber by the role table: `referralUpdated` needs
//! "list referrals" and shows an AGENCY only its own agency's referrals,
//! `caseUpdated` "follow cases live", `callReceived` "follow calls live".
//! Updates name what happened and where; none carries personal data (a
//! client that may read the content asks `case(id)` or `call(id)`).
//! `after` resumes from the `position` of the last update a client saw.

use std::sync::Arc;

use async_graphql::{Context, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use domain::case::{Case, CaseEvent};
use futures::{future::ready, Stream, StreamExt};
use projections::{Cursor, LiveError, LiveEvent, LiveFact};
use uuid::Uuid;

use super::context::{request, AppState};
use super::enums::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, ReferralOutcome, ReferralStatus,
    Region,
};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::{require, Capability};

/// What a subscription's socket shares with its resolvers: how a resolver
/// whose subscriber fell too far behind has the socket closed.
#[derive(Clone, Default)]
pub struct LiveConnection {
    too_slow: Arc<tokio::sync::Notify>,
}

impl LiveConnection {
    /// Resolves once a subscription of this connection was dropped for being too slow.
    pub async fn fell_behind(&self) {
        self.too_slow.notified().await;
    }
}

#[derive(Default)]
pub struct Subscription;

/// The log's position, for clients that list first and then subscribe.
#[derive(Default)]
pub struct LiveQuery;

#[async_graphql::Object]
impl LiveQuery {
    /// The position of the last committed event readable now: subscribe with
    /// it as `after` (taken before reading lists) and no update falls between
    /// what was read and what comes. For any role that may follow something live.
    async fn live_position(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let (app, req) = request(ctx)?;
        let role = req.principal.role;
        let follows = [
            Capability::ReadReferrals,
            Capability::FollowCases,
            Capability::FollowCalls,
        ];
        if !follows.iter().any(|c| crate::policy::allows(role, *c)) {
            return Err(ApiError::forbidden("follow anything live").into());
        }
        let head = app.live.head().await.map_err(|e| {
            tracing::warn!(error = %e, "the log's position could not be read");
            ApiError::Unavailable
        })?;
        Ok(head.to_string())
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ReferralUpdate {
    /// This update's place in the log: give it as `after` to resume after it.
    pub position: String,
    /// The event: ReferralSent, ReferralStatusChanged, RescueRecorded,
    /// ReferralHandedOn or ReferralFeedbackAdded.
    pub event: String,
    pub referral_id: Uuid,
    pub case_id: Uuid,
    /// The class the holding agency reports as: the contract's agencies are
    /// their own; an agency ADMIN added answers the class recorded when it
    /// received the referral (on every later update too).
    pub agency: Agency,
    /// The holding agency's reference-data code.
    pub agency_code: String,
    /// The status the referral moved to (SENT when sent); null for a rescue.
    pub status: Option<ReferralStatus>,
    pub outcome: Option<ReferralOutcome>,
    /// Persons rescued, for a rescue.
    pub persons_rescued: Option<i32>,
    /// When it happened (business time).
    pub at: DateTime<Utc>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CaseUpdate {
    /// This update's place in the log: give it as `after` to resume after it.
    pub position: String,
    pub case_id: Uuid,
    /// The event the case took (its wire name, as in `caseHistory`).
    pub event: String,
    /// The case's version once this event applied.
    pub version: i32,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ReceivedCall {
    /// This update's place in the log: give it as `after` to resume after it.
    pub position: String,
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub region: Region,
    pub province: Option<String>,
    pub caller_type: CallerType,
    pub category: CallCategory,
    pub topics: Vec<CounsellingTopic>,
    pub duration_seconds: Option<i32>,
}

#[Subscription]
impl Subscription {
    /// Referrals as they are sent, move along their lifecycle and record
    /// rescues, are handed on and get feedback. An AGENCY sees only the
    /// referrals its agency holds at the time of each update.
    async fn referral_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `position` of the last update seen: resume right after it.")]
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = ReferralUpdate>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadReferrals)?;
        let principal = req.principal.clone();
        let events = follow(ctx, app, after)?;
        Ok(events.filter_map(move |e| ready(referral_update(&e, &principal))))
    }

    /// Every event a case takes, in order: what changed, not its content.
    async fn case_updated(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
        #[graphql(desc = "The `position` of the last update seen: resume right after it.")]
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = CaseUpdate>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::FollowCases)?;
        let case = app
            .commands
            .store()
            .load::<Case>(case_id)
            .await
            .map_err(ApiError::from)?;
        if !case.exists() {
            return Err(ApiError::NotFound(format!("no case {case_id}")).into());
        }
        let events = follow(ctx, app, after)?;
        Ok(events.filter_map(move |e| ready(case_update(&e, case_id))))
    }

    /// Calls as they are received: the live board.
    async fn call_received(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `position` of the last update seen: resume right after it.")]
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = ReceivedCall>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::FollowCalls)?;
        let events = follow(ctx, app, after)?;
        Ok(events.filter_map(|e| ready(received_call(&e))))
    }
}

/// The log from `after` (or from now), ending when the subscriber falls too
/// far behind (its socket is then closed) or the log cannot be read.
fn follow(
    ctx: &Context<'_>,
    app: &AppState,
    after: Option<String>,
) -> ApiResult<impl Stream<Item = Arc<LiveEvent>>> {
    let after = after
        .map(|a| {
            a.parse::<Cursor>().map_err(|()| {
                ApiError::BadUserInput(
                    "after: not a position this server gave (an update's `position`)".into(),
                )
            })
        })
        .transpose()?;
    let connection = ctx.data_opt::<LiveConnection>().cloned();
    let events = app.live.subscribe(after);
    Ok(events.scan((), move |_, item| {
        ready(match item {
            Ok(event) => Some(event),
            Err(why) => {
                if why == LiveError::TooSlow {
                    if let Some(c) = &connection {
                        c.too_slow.notify_one();
                    }
                }
                None
            }
        })
    }))
}

fn referral_update(event: &LiveEvent, principal: &Principal) -> Option<ReferralUpdate> {
    let LiveFact::Case {
        event: fact,
        referral_agency,
        referral_class,
    } = &event.fact
    else {
        return None;
    };
    let agency = (*referral_agency)?;
    if principal.agency.is_some_and(|own| own != agency) {
        return None;
    }
    let (referral_id, status, outcome, persons_rescued, at) = match fact {
        CaseEvent::ReferralSent {
            referral_id,
            referred_at,
            ..
        } => (
            *referral_id,
            Some(domain::values::ReferralStatus::Sent),
            None,
            None,
            *referred_at,
        ),
        CaseEvent::ReferralStatusChanged {
            referral_id,
            to,
            at,
            outcome,
            ..
        } => (*referral_id, Some(*to), *outcome, None, *at),
        CaseEvent::RescueRecorded {
            referral_id,
            rescued_at,
            persons_rescued,
            ..
        } => (
            *referral_id,
            None,
            None,
            Some(i32::from(*persons_rescued)),
            *rescued_at,
        ),
        // The new holder receives the referral as SENT; the agency it came
        // from hears nothing more of it.
        CaseEvent::ReferralHandedOn {
            referral_id, at, ..
        } => (
            *referral_id,
            Some(domain::values::ReferralStatus::Sent),
            None,
            None,
            *at,
        ),
        CaseEvent::ReferralFeedbackAdded {
            referral_id,
            added_at,
            ..
        } => (*referral_id, None, None, None, *added_at),
        _ => return None,
    };
    Some(ReferralUpdate {
        position: event.cursor.to_string(),
        event: fact.event_type(),
        referral_id,
        case_id: event.stream,
        agency: agency.class(*referral_class).into(),
        agency_code: agency.to_string(),
        status: status.map(Into::into),
        outcome: outcome.map(Into::into),
        persons_rescued,
        at,
    })
}

fn case_update(event: &LiveEvent, case_id: Uuid) -> Option<CaseUpdate> {
    match &event.fact {
        LiveFact::Case { event: fact, .. } if event.stream == case_id => Some(CaseUpdate {
            position: event.cursor.to_string(),
            case_id,
            event: fact.event_type(),
            version: i32::try_from(event.sequence).unwrap_or(i32::MAX),
        }),
        _ => None,
    }
}

fn received_call(event: &LiveEvent) -> Option<ReceivedCall> {
    let LiveFact::Call(domain::call::CallEvent::CallReceived {
        call_id,
        received_at,
        channel,
        region,
        province,
        caller_type,
        category,
        topics,
        duration_seconds,
        ..
    }) = &event.fact
    else {
        return None;
    };
    Some(ReceivedCall {
        position: event.cursor.to_string(),
        id: *call_id,
        received_at: *received_at,
        channel: (*channel).into(),
        region: (*region).into(),
        province: province.clone(),
        caller_type: (*caller_type).into(),
        category: (*category).into(),
        topics: topics.iter().map(|&t| t.into()).collect(),
        duration_seconds: duration_seconds.map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
    })
}
