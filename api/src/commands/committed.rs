//! The log position a request's mutations committed, so that the response
//! can carry it (`extensions.casetrail.position`) and a later query can ask
//! to read at least that far (`commands::reads`). Kept per request in a
//! task-local: async-graphql runs a request's resolvers in the request's task.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static COMMITTED: Cell<Option<i64>>;
}

/// Runs `request`, and returns with its output the highest position any
/// command it ran committed (`None`: it committed nothing).
pub async fn tracking<F: Future>(request: F) -> (F::Output, Option<i64>) {
    COMMITTED
        .scope(Cell::new(None), async move {
            let output = request.await;
            (output, COMMITTED.with(Cell::get))
        })
        .await
}

/// Notes the positions a commit wrote (outside `tracking`, nothing happens).
pub(crate) fn record(positions: &[i64]) {
    if let Some(&highest) = positions.iter().max() {
        let _ = COMMITTED.try_with(|c| c.set(Some(c.get().map_or(highest, |p| p.max(highest)))));
    }
}
