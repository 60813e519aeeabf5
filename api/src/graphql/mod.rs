//! GraphQL: the only module that knows GraphQL. Resolvers authorise through
//! `policy`, run commands through `commands`, read through `store` and
//! `projections`, and shape answers into the contract's types.

pub mod cost;
pub mod enums;
mod evidence;
mod history;
pub mod inputs;
mod mutations;
mod privacy;
mod queries;
mod read_models;
mod reference;

pub mod scalars;
mod statistics;

pub mod types;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Schema};
use store::CommandContext;

use crate::auth::Principal;
use crate::commands::CommandService;
use crate::error::ApiError;

pub use mutations::Mutation;
pub use queries::Query;

pub type CasetrailSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query accepted: the contract's deepest useful query is about 6.
/// Enforced by `cost` before execution, with introspection (`__schema`,
/// `__type` and below) exempt, so that GraphiQL's and codegen's standard
/// introspection query works in dev.
pub const MAX_DEPTH: usize = 12;

/// What every resolver can reach.
pub struct AppState {
    pub commands: CommandService,
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

/// The served schema. Production turns introspection off.
pub fn build_schema(state: Option<Arc<AppState>>, introspection: bool) -> CasetrailSchema {
    // Depth and cost are admitted by `cost::CostModel` in `http::graphql`
    // before execution, not by async-graphql's limits, which count the
    // introspection query like any other and lists as single fields.
    let mut builder =
        Schema::build(Query::default(), Mutation, EmptySubscription).disable_suggestions();
    if let Some(state) = state {
        builder = builder.data(state);
    }
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The served SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, true).sdl()
}
