//! A caller dropped while its transaction begins (an HTTP client that
//! disconnects, a subscription closed mid-read) must not leave the pool's
//! connection inside a transaction: the next request on it would fail with
//! INTERNAL ("there is already a transaction in progress"), so one user's
//! disconnect would hurt others. `store::transaction` begins every request
//! path's transaction in a task of its own; here a one-connection pool's
//! begin is cancelled at many points, and after each the connection must
//! run its next statement outside any transaction.

use casetrail_tests::harness::TestDatabase;
use sqlx::postgres::PgPoolOptions;
use sqlx::Row;

/// `now()` is the transaction's start, `statement_timestamp()` this
/// statement's: equal only when the statement is its own transaction (sent
/// as one simple-protocol message, so both are the time of its receipt).
const OUTSIDE_A_TRANSACTION: &str = "SELECT now() = statement_timestamp()";

#[tokio::test]
async fn a_begin_cancelled_at_any_point_leaves_no_transaction_open() {
    let db = TestDatabase::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .expect("pool");
    let mut cancelled = 0;
    for round in 0..300usize {
        // Polled `round % 30` more times (letting the runtime run between
        // polls), then dropped: from before the BEGIN is sent to after it
        // was answered, and while the caller holds the transaction.
        let mut begin = Box::pin(async {
            let tx = store::transaction::begin_snapshot(&pool).await;
            tokio::task::yield_now().await;
            tx
        });
        let mut finished = futures::poll!(begin.as_mut()).is_ready();
        for _ in 0..round % 30 {
            if finished {
                break;
            }
            tokio::task::yield_now().await;
            finished = futures::poll!(begin.as_mut()).is_ready();
        }
        cancelled += usize::from(!finished);
        drop(begin);
        let outside: bool = sqlx::raw_sql(OUTSIDE_A_TRANSACTION)
            .fetch_one(&pool)
            .await
            .expect("the connection answers")
            .get(0);
        assert!(
            outside,
            "round {round}: the connection was left inside a transaction"
        );
    }
    assert!(
        cancelled > 0,
        "no begin was cancelled: the test did not test"
    );
}
