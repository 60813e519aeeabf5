//! Running a request where `Reads::choose` sent it, and once more on the
//! primary when the standby failed it (docs/SCALING.md, "When the standby
//! fails"): the client gets an answer, not the standby's outage. Only
//! queries are retried; a mutation never runs twice.

use async_graphql::parser::types::{DocumentOperations, OperationType};

use super::state::HttpState;
use crate::commands::committed;
use crate::commands::reads::ReadFrom;
use crate::graphql::RequestContext;

/// Executes `request` reading from `read_from`; says where it finally read
/// and the position its mutations committed.
pub async fn execute(
    state: &HttpState,
    mut request: async_graphql::Request,
    context: RequestContext,
    read_from: ReadFrom,
) -> (async_graphql::Response, Option<i64>, ReadFrom) {
    let again = (read_from == ReadFrom::Replica && is_query(&mut request)).then(|| {
        let mut copy = async_graphql::Request::new(request.query.clone())
            .variables(request.variables.clone())
            .data(RequestContext {
                principal: context.principal.clone(),
                correlation_id: context.correlation_id.clone(),
                operation: context.operation.clone(),
            })
            .data(ReadFrom::Primary);
        copy.operation_name = request.operation_name.clone();
        copy.extensions = request.extensions.clone();
        copy
    });
    state.reads.count(read_from);
    let request = request.data(context).data(read_from);
    let (response, committed) = committed::tracking(state.schema.execute(request)).await;
    let Some(again) = again else {
        return (response, committed, read_from);
    };
    if !failed_inside(&response) {
        state.reads.replica_answered();
        return (response, committed, read_from);
    }
    state.reads.count(ReadFrom::Primary);
    let (retried, committed) = committed::tracking(state.schema.execute(again)).await;
    // The primary answered what the standby could not: the standby is at
    // fault, and rests. (Both failing is not the standby's doing.)
    if !failed_inside(&retried) {
        tracing::warn!("a read of the standby failed; answered from the primary");
        state.reads.replica_failed();
    }
    (retried, committed, ReadFrom::Primary)
}

/// Whether the request runs a query (not a mutation or subscription).
fn is_query(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Query)
}

/// Whether an error says the server failed (`INTERNAL`: the database
/// unreachable or failing), rather than the request being refused.
fn failed_inside(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == "INTERNAL"))
    })
}
