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
//!   `statistics.monthly`: the months of the period;
//! - a node loaded from its stream (`node` of an edge, root `case`/`call`):
//!   [`STREAM_LOAD`]; personal data in clear (`fullName`, `phone`, `notes`):
//!   [`PERSONAL_DATA`] each (a vault open and an access-log row);
//! - `caseHistory`/`callHistory`: [`HISTORY`]; `statistics`: [`STATISTICS`]
//!   plus one per month of the period; `verifyIntegrity`: [`INTEGRITY_ALL`]
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
//! [`super::MAX_DEPTH`].
//!
//! The budget is per request (`CASETRAIL_QUERY_COST_BUDGET`); a request over
//! it, or too deep, is refused before execution with BAD_USER_INPUT and the
//! figures in `extensions`. The walk memoises each fragment, so a document
//! that spreads fragments exponentially is priced in linear time.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
    Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};
use chrono::{Datelike, NaiveDate};

use super::read_models::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

pub mod arguments;
#[cfg(test)]
mod tests;
pub mod walk;

/// Items assumed in a list that has no `first`.
pub const NESTED_LIST: u64 = 10;
/// Events assumed in a history.
pub const HISTORY_EVENTS: u64 = 50;
/// Loading one aggregate from its stream (snapshot and later events: two
/// queries and a fold), the unit the budget is mostly spent in.
pub const STREAM_LOAD: u64 = 20;
/// One personal field in clear: a vault open and an access-log row.
pub const PERSONAL_DATA: u64 = 10;
/// Reading a whole stream as recorded.
pub const HISTORY: u64 = 20;
/// A statistics query, before its months.
pub const STATISTICS: u64 = 20;
/// Months of the longest statistics period (20 years), when unknown.
pub const MAX_MONTHS: u64 = 241;
/// Recomputing the hash chain of every stream.
pub const INTEGRITY_ALL: u64 = 2_000;
/// One command: load, decide, append.
pub const COMMAND: u64 = 10;
/// `__schema` or `__type`, whatever they select.
pub const INTROSPECTION: u64 = 10;
/// Deepest introspection accepted: the standard query reaches 15.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;
/// Introspection lists nested in one another: the standard query nests 3
/// (`types { fields { args } }`); more multiplies the answer by each.
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// A field of the served schema: its named type and whether it is a list.
#[derive(Clone, Debug)]
struct FieldType {
    named: String,
    list: bool,
    paged: bool,
}

/// The served schema's object fields, read once from its SDL.
pub struct CostModel {
    types: HashMap<String, HashMap<String, FieldType>>,
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

fn field_type(ty: &Type) -> (String, bool) {
    match &ty.base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (field_type(inner).0, true),
    }
}

impl CostModel {
    /// Reads the object types of `sdl` (the served schema).
    pub fn new(sdl: &str, budget: u64) -> Self {
        let mut types = HashMap::new();
        if let Ok(doc) = async_graphql::parser::parse_schema(sdl) {
            for def in doc.definitions {
                let TypeSystemDefinition::Type(t) = def else {
                    continue;
                };
                let fields = match &t.node.kind {
                    TypeKind::Object(o) => &o.fields,
                    TypeKind::Interface(i) => &i.fields,
                    _ => continue,
                };
                let fields = fields
                    .iter()
                    .map(|f| {
                        let (named, list) = field_type(&f.node.ty.node);
                        let paged = f.node.arguments.iter().any(|a| a.node.name.node == "first");
                        (
                            f.node.name.node.to_string(),
                            FieldType { named, list, paged },
                        )
                    })
                    .collect();
                types.insert(t.node.name.node.to_string(), fields);
            }
        }
        Self { types, budget }
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
        let op = pick(&doc, operation)?;
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        let mut walker = walk::Walker::new(self, &doc, op, variables);
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
        if analysis.depth > super::MAX_DEPTH {
            return Err(Refusal::TooDeep {
                depth: analysis.depth,
                max: super::MAX_DEPTH,
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

    fn field(&self, parent: &str, name: &str) -> Option<&FieldType> {
        self.types.get(parent)?.get(name)
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

/// Items of a paged list: `first`, or the default page size; clamped to the
/// largest page (a larger `first` is refused by the resolver with its own message).
fn page_size(first: Option<&Value>) -> u64 {
    let n = match first {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::from(MAX_PAGE_SIZE)),
        _ => i64::from(DEFAULT_PAGE_SIZE),
    };
    u64::try_from(n.clamp(1, i64::from(MAX_PAGE_SIZE))).unwrap_or(1)
}

/// Months a statistics period touches; the longest period when unknown.
fn months(from: Option<&Value>, to: Option<&Value>) -> u64 {
    let day = |v: Option<&Value>| match v {
        Some(Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    };
    match (day(from), day(to)) {
        (Some(from), Some(to)) => {
            let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            let n = index(to).saturating_sub(index(from)).saturating_add(1);
            u64::try_from(n).unwrap_or(1).clamp(1, MAX_MONTHS)
        }
        _ => MAX_MONTHS,
    }
}

/// Fields that read personal data in clear.
fn is_personal(name: &str) -> bool {
    matches!(name, "fullName" | "phone" | "notes")
}

fn selection_items(set: &SelectionSet) -> impl Iterator<Item = &Selection> {
    set.items.iter().map(|s| &s.node)
}
