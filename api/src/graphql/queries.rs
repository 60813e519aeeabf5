//! The contract's queries answered from the event log itself: one call or
//! case (strongly consistent), histories, integrity.

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use domain::call::Call;
use domain::case::Case;
use store::integrity::{verify, Scope};
use store::log::StreamRange;
use uuid::Uuid;

use super::enums::StreamKind;
use super::history::{
    AccessLogEntry, CallHistory, CaseHistory, IntegrityReportNode, RecordedEvent,
};
use super::privacy;
use super::read_models::ReadModelQuery;
use super::scalars::{check_int, check_time};

use super::context::request;
use super::types::{CallNode, CaseNode};
use crate::error::ApiError;
use crate::policy::{require, Capability};

#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    EventLogQuery,
    ReadModelQuery,
    super::reference::ReferenceQuery,
    super::evidence::EvidenceQuery,
    super::packet::PacketQuery,
    super::casework_queries::CaseworkQuery,
    super::lookups::LookupQuery,
    super::subscriptions::LiveQuery,
);

#[derive(Default)]
pub struct EventLogQuery;

/// The highest `upToVersion` accepted: far above any stream's length.
pub const MAX_VERSION: i32 = 1_000_000;

fn range(as_of: Option<DateTime<Utc>>, up_to_version: Option<i32>) -> Result<StreamRange> {
    let as_of = as_of.map(|t| check_time("asOf", t)).transpose()?;
    let up_to_version = up_to_version
        .map(|v| check_int("upToVersion", v, 0, MAX_VERSION))
        .transpose()?;
    Ok(StreamRange {
        after_sequence: 0,
        up_to_sequence: up_to_version.map(i64::from),
        recorded_until: as_of,
    })
}

#[Object]
impl EventLogQuery {
    /// One call, as of its latest event.
    async fn call(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<CallNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadCasework)?;
        let loaded = app
            .commands
            .store()
            .load::<Call>(id)
            .await
            .map_err(ApiError::from)?;
        Ok(CallNode::from_state(&loaded.state, loaded.version))
    }

    /// One case, as of its latest event.
    async fn case(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<CaseNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadCasework)?;
        let store = app.commands.store();
        let loaded = store.load::<Case>(id).await.map_err(ApiError::from)?;
        Ok(privacy::case_node(
            app.commands.vault(),
            store.pool(),
            &loaded.state,
            loaded.version,
            req,
            "case",
            privacy::Selected::in_case(&ctx.look_ahead()),
        )
        .await?)
    }

    /// The case as the system knew it: only events recorded at or before asOf, or up to and including upToVersion.
    async fn case_history(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
        as_of: Option<DateTime<Utc>>,
        up_to_version: Option<i32>,
    ) -> Result<CaseHistory> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadHistories)?;
        let (loaded, stored) = app
            .reading(ctx)
            .load_range::<Case>(case_id, range(as_of, up_to_version)?)
            .await
            .map_err(ApiError::from)?;
        let state = privacy::case_node(
            app.commands.vault(),
            app.commands.store().pool(),
            &loaded.state,
            loaded.version,
            req,
            "caseHistory",
            privacy::Selected::in_case(&ctx.look_ahead().field("state")),
        )
        .await?;
        Ok(CaseHistory {
            case_id,
            events: stored
                .iter()
                .filter_map(RecordedEvent::from_stored)
                .collect(),
            state,
        })
    }

    async fn call_history(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        as_of: Option<DateTime<Utc>>,
        up_to_version: Option<i32>,
    ) -> Result<CallHistory> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadHistories)?;
        let (loaded, stored) = app
            .reading(ctx)
            .load_range::<Call>(call_id, range(as_of, up_to_version)?)
            .await
            .map_err(ApiError::from)?;
        Ok(CallHistory {
            call_id,
            events: stored
                .iter()
                .filter_map(RecordedEvent::from_stored)
                .collect(),
            state: CallNode::from_state(&loaded.state, loaded.version),
        })
    }

    /// Recomputes hash chains: one stream, or every stream when streamId is omitted.
    async fn verify_integrity(
        &self,
        ctx: &Context<'_>,
        stream_kind: Option<StreamKind>,
        stream_id: Option<Uuid>,
    ) -> Result<IntegrityReportNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::VerifyIntegrity)?;
        if stream_id.is_some() && stream_kind.is_none() {
            return Err(ApiError::BadUserInput("give streamKind with streamId".into()).into());
        }
        let scope = Scope {
            stream_type: stream_kind.map(|k| k.aggregate_type().to_string()),
            stream_id: stream_id.map(|id| id.to_string()),
        };
        let report = verify(app.commands.store().pool(), &scope)
            .await
            .map_err(ApiError::from)?;
        Ok(report.into())
    }

    /// Reads of personal data in clear and erasures, newest first (AUDITOR).
    /// `before` is the id of the last entry of the previous page.
    async fn access_log(
        &self,
        ctx: &Context<'_>,
        case_id: Option<Uuid>,
        before: Option<String>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<AccessLogEntry>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadAccessLog)?;
        check_int("first", first, 1, 100)?;
        let before = before
            .map(|b| b.parse::<i64>())
            .transpose()
            .map_err(|_| ApiError::BadUserInput("before is an entry id".into()))?;
        let entries = store::access_log::entries(
            app.commands.store().pool(),
            case_id,
            before,
            i64::from(first),
        )
        .await
        .map_err(ApiError::from)?;
        Ok(entries.into_iter().map(Into::into).collect())
    }
}
