//! What every resolver reaches: the application's state, who is asking,
//! and the depth every query is held to. The other GraphQL files import
//! this one; it imports none of them.

use std::sync::Arc;

use async_graphql::Context;
use store::{CommandContext, EventStore};

use crate::auth::Principal;
use crate::commands::reads::{ReadFrom, Reads};
use crate::commands::CommandService;
use crate::error::ApiError;

/// Deepest query accepted: the contract's deepest useful query is about 6.
/// Enforced by `cost` before execution, with introspection (`__schema`,
/// `__type` and below) exempt, so that GraphiQL's and codegen's standard
/// introspection query works in dev.
pub const MAX_DEPTH: usize = 12;

/// What every resolver can reach.
pub struct AppState {
    pub commands: CommandService,
    /// How long an agency has to acknowledge a referral (`CASETRAIL_REFERRAL_ACK_HOURS`).
    pub referral_ack: chrono::Duration,
    /// Where lists, statistics and histories read (`commands::reads`).
    pub reads: Arc<Reads>,
    /// The process's one tail of the log, which every subscription reads.
    pub live: projections::LiveLog,
    /// Lookups' own rate limit (`lookups.rs`), per token subject.
    pub lookup_limit: crate::rate_limit::RateLimiter,
}

impl AppState {
    /// The store a list, statistics or history reads: the standby's when the
    /// request was given one (`ReadFrom` in its data), else the primary's.
    /// Writes (the access log of personal data read) always go to
    /// `commands.store()`, the primary.
    pub fn reading<'a>(&'a self, ctx: &Context<'_>) -> &'a EventStore {
        let from = ctx
            .data_opt::<ReadFrom>()
            .copied()
            .unwrap_or(ReadFrom::Primary);
        self.reads.store(self.commands.store(), from)
    }
}

/// Who is asking, in this request.
pub struct RequestContext {
    pub principal: Principal,
    pub correlation_id: String,
    /// The client's operation name, if it gave one.
    pub operation: Option<String>,
}

impl RequestContext {
    /// Why personal data is read: the operation and the field asking.
    pub fn purpose(&self, field: &str) -> store::access_log::Purpose {
        store::access_log::Purpose {
            actor: self.principal.actor(),
            operation: format!(
                "{}/{field}",
                self.operation.as_deref().unwrap_or("anonymous")
            ),
            correlation_id: self.correlation_id.clone(),
        }
    }

    /// A fresh command context: one per mutation, so each has its own causation id.
    pub fn command_context(&self) -> CommandContext {
        let mut ctx = CommandContext::new(self.principal.actor(), self.correlation_id.clone());
        ctx.caller_agency = self.principal.agency.map(|a| a.as_str().to_string());
        ctx
    }
}

pub(crate) fn request<'a>(
    ctx: &Context<'a>,
) -> Result<(&'a AppState, &'a RequestContext), ApiError> {
    let app = ctx
        .data::<Arc<AppState>>()
        .map_err(|_| ApiError::Internal)?;
    let req = ctx.data::<RequestContext>().map_err(|_| {
        ApiError::Unauthenticated("an Authorization: Bearer token is required".into())
    })?;
    Ok((app.as_ref(), req))
}
