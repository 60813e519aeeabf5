//! GraphQL: the only module that knows GraphQL. Resolvers authorise through
//! `policy`, run commands through `commands`, read through `store` and
//! `projections`, and shape answers into the contract's types.

pub mod enums;
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
pub const MAX_DEPTH: usize = 12;
/// Largest query complexity accepted (fields counted, lists unweighted).
pub const MAX_COMPLEXITY: usize = 1_000;

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
        CommandContext::new(self.principal.actor(), self.correlation_id.clone())
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
    let mut builder = Schema::build(Query::default(), Mutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .disable_suggestions();
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
