//! GraphQL: the only module that knows GraphQL. Resolvers authorise through
//! `policy`, run commands through `commands`, read through `store` and
//! `projections`, and shape answers into the contract's types.

mod amendment_inputs;
mod amendments;
mod casework_mutations;
mod casework_queries;
mod casework_reads;
pub mod casework_types;
mod context;
pub mod cost;
pub mod enums;
mod evidence;
mod history;
pub mod inputs;
mod lookups;
mod mutations;
mod packet;
mod privacy;
mod queries;
mod read_models;
mod reference;
mod reference_changes;

pub mod scalars;
mod statistics;
mod statistics_report;
pub mod subscriptions;

pub mod types;

use std::sync::Arc;

use async_graphql::Schema;

pub use context::{AppState, RequestContext, MAX_DEPTH};
pub use lookups::LOOKUPS_PER_MINUTE;
pub use mutations::ContractMutation;
pub use queries::Query;
pub use subscriptions::{LiveConnection, Subscription};

/// Every mutation: the contract's, then casework's (issue 12): queues, notes
/// and follow-ups; corrections, trafficking facts and the agencies' work.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    ContractMutation,
    casework_mutations::CaseworkMutation,
    amendments::AmendmentMutation,
);

pub type CasetrailSchema = Schema<Query, Mutation, Subscription>;

/// The served schema. Production turns introspection off.
pub fn build_schema(state: Option<Arc<AppState>>, introspection: bool) -> CasetrailSchema {
    // Depth and cost are admitted by `cost::CostModel` in `http::graphql`
    // before execution, not by async-graphql's limits, which count the
    // introspection query like any other and lists as single fields.
    let mut builder =
        Schema::build(Query::default(), Mutation::default(), Subscription).disable_suggestions();
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
