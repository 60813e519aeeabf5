//! What a request costs, decided before it runs: a walk over the parsed
//! document (aliases, named and inline fragments, variables) with the
//! served schema's types, so that a request is priced by the work it asks
//! for, not by the number of fields written.
//!
//! Weights (a unit is about one small row or one field resolved):
//! - every field: 1; `__typename`: 0;
//! - a list with `first` (the connections, `accessLog`): `first` items
//!   (20 when absent, at most 100), each costing 1 plus its selection; a
//!   connection's `edges`/`nodes` are those items, not a list again;
//! - a list without `first` inside a node (persons, referrals, breakdowns):
//!   [`NESTED_LIST`] items; a history's `events`: [`HISTORY_EVENTS`];
//!   `statistics.monthly`, `monthlyReport` and a breakdown's `monthly`: the
//!   months of the period;
//! - a node loaded from its stream (`node` of an edge, root `case`/`call`):
//!   [`STREAM_LOAD`]; personal data in clear (`fullName`, `phone`, `notes`, `ethnicity`, `reason`):
//!   [`PERSONAL_DATA`] each (a vault open and an access-log row);
//! - `caseHistory`/`callHistory`: [`HISTORY`]; `statistics`: [`STATISTICS`]
//!   plus one per month of the period, plus [`STATISTICS_AS_OF`] with `asOfPosition`; `verifyIntegrity`: [`INTEGRITY_ALL`]
//!   for the whole log, [`HISTORY`] for one stream; `transparencyLog`,
//!   `inclusionProof`, `consistencyProof`: [`INTEGRITY_ALL`] (each builds the
//!   Merkle tree from every leaf); a mutation: [`COMMAND`];
//! - lists multiply through nesting: a list inside a list costs
//!   (outer items) x (inner items) x (inner selection).
//!
//! Introspection (`__schema`, `__type`) costs [`INTROSPECTION`] flat and is
//! exempt from the depth limit: it reads the static schema, and the
//! standard introspection query (GraphiQL, codegen) is deeper than any
//! query of the hotline's own. It has bounds of its own instead:
//! [`MAX_INTROSPECTION_DEPTH`], and at most [`MAX_INTROSPECTION_LISTS`]
//! lists nested in one another (`fields { type { fields { ... } } }` would
//! multiply its answer at every level). Every other field counts toward
//! [`super::context::MAX_DEPTH`].
//!
//! The budget is per request (`CASETRAIL_QUERY_COST_BUDGET`); a request over
//! it, or too deep, is refused before execution with BAD_USER_INPUT and the
//! figures in `extensions`. The walk memoises each fragment, so a document
//! that spreads fragments exponentially is priced in linear time.
//!
//! Kept hand-written rather than async-graphql's `limit_complexity`: the weights
//! follow the work (stream loads, vault opens, months), and the same walk gives the
//! rate limit its count of root fields.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{Name, Variables};

use prices::Fields;
pub use prices::{
    COMMAND, HISTORY, HISTORY_EVENTS, INTEGRITY_ALL, INTROSPECTION, MAX_INTROSPECTION_DEPTH,
    MAX_INTROSPECTION_LISTS, MAX_MONTHS, NESTED_LIST, PERSONAL_DATA, STATISTICS, STATISTICS_AS_OF,
    STREAM_LOAD,
};

pub mod arguments;
mod prices;
#[cfg(test)]
mod tests;
pub mod walk;

/// The served schema's object fields, read once from its SDL.
pub struct CostModel {
    fields: Fields,
    budget: u64,
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Analysis {
    pub cost: u64,
    /// Deepest field nesting, introspection excluded.
    pub depth: usize,
    /// Root fields of the operation (aliases and fragments expanded): each
    /// counts against the rate limit.
    pub root_fields: u32,
    /// Deepest introspection selection, and its nesting of lists.
    pub introspection: walk::Shape,
}

/// Why a request is refused before it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    OverBudget { cost: u64, budget: u64 },
    TooDeep { depth: usize, max: usize },
    NestedIntrospectionLists { lists: usize, max: usize },
}

impl Refusal {
    /// The GraphQL error: BAD_USER_INPUT with the figures in `extensions`.
    pub fn to_json(&self) -> serde_json::Value {
        let (message, extensions) = match self {
            Refusal::OverBudget { cost, budget } => (
                format!(
                    "this request costs {cost}, over the budget of {budget} per request: \
                     ask for fewer items (first), fewer aliases or less nesting, or split it"
                ),
                serde_json::json!({ "code": "BAD_USER_INPUT", "cost": cost, "budget": budget }),
            ),
            Refusal::TooDeep { depth, max } => (
                format!("this query is nested {depth} deep; at most {max} is accepted"),
                serde_json::json!({ "code": "BAD_USER_INPUT", "depth": depth, "maxDepth": max }),
            ),
            Refusal::NestedIntrospectionLists { lists, max } => (
                format!("this introspection nests {lists} lists in one another; at most {max} is accepted"),
                serde_json::json!({ "code": "BAD_USER_INPUT", "lists": lists, "maxLists": max }),
            ),
        };
        serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] })
    }
}

impl CostModel {
    /// Reads the object types of `sdl` (the served schema).
    pub fn new(sdl: &str, budget: u64) -> Self {
        Self {
            fields: Fields::read(sdl),
            budget,
        }
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Prices the operation a request would run; `None` when the document
    /// does not parse or names no runnable operation (execution then
    /// answers with the parse or validation error).
    pub fn analyse(
        &self,
        query: &str,
        operation: Option<&str>,
        variables: &Variables,
    ) -> Option<Analysis> {
        let doc = async_graphql::parser::parse_query(query).ok()?;
        self.analyse_document(&doc, operation, variables)
    }

    /// The same, for a document already parsed (the server parses a request
    /// once: the parse priced here is the one that runs).
    pub fn analyse_document(
        &self,
        doc: &ExecutableDocument,
        operation: Option<&str>,
        variables: &Variables,
    ) -> Option<Analysis> {
        let op = pick(doc, operation)?;
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        let mut walker = walk::Walker::new(&self.fields, doc, op, variables);
        let priced = walker.selection_set(&op.selection_set.node, root);
        Some(Analysis {
            cost: priced.cost,
            depth: priced.depth,
            root_fields: walker.root_fields(&op.selection_set.node),
            introspection: walker.introspection,
        })
    }

    /// Refuses what is over the budget or too deep.
    pub fn admit(&self, analysis: &Analysis) -> Result<(), Refusal> {
        if analysis.depth > super::context::MAX_DEPTH {
            return Err(Refusal::TooDeep {
                depth: analysis.depth,
                max: super::context::MAX_DEPTH,
            });
        }
        let shape = analysis.introspection;
        if shape.depth > MAX_INTROSPECTION_DEPTH {
            return Err(Refusal::TooDeep {
                depth: shape.depth,
                max: MAX_INTROSPECTION_DEPTH,
            });
        }
        if shape.lists > MAX_INTROSPECTION_LISTS {
            return Err(Refusal::NestedIntrospectionLists {
                lists: shape.lists,
                max: MAX_INTROSPECTION_LISTS,
            });
        }
        if analysis.cost > self.budget {
            return Err(Refusal::OverBudget {
                cost: analysis.cost,
                budget: self.budget,
            });
        }
        Ok(())
    }
}

fn pick<'d>(
    doc: &'d ExecutableDocument,
    operation: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(&Name::new(name)).map(|op| &op.node)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}
