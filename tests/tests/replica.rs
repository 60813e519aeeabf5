//! Read replicas on PostgreSQL's own streaming replication (issue 17): a
//! server given `--read-database-url` reads lists, statistics and
//! histories from a real hot standby, while commands and projections stay
//! on the primary and nothing is written to the standby. Every mutation's
//! response carries the log position it committed; a query that passes it
//! back (`extensions.casetrail.minPosition`) sees that write: from the
//! standby once it has replayed it, or else from the primary.

use casetrail_tests::harness::token;
use casetrail_tests::replica_server::{case_ids, open_case, post_as, serve_on_pair, CASES};
use casetrail_tests::replication::Pair;
use domain::values::Role;
use serde_json::{json, Value};

async fn post(address: &str, token: &str, body: Value) -> Value {
    post_as(address, token, body).await.1
}

async fn cases_at_least(address: &str, token: &str, position: i64) -> Value {
    post(
        address,
        token,
        json!({"query": CASES, "extensions": {"casetrail": {"minPosition": position}}}),
    )
    .await
}

#[tokio::test]
async fn lists_read_the_standby_and_a_client_reads_its_own_writes_by_position() {
    let pair = Pair::start(false);
    let served = serve_on_pair(&pair, "ct_replica", false, |_| {}).await;
    let (address, server) = (served.address, served.server);
    let (primary_url, standby_url) = (served.primary_url, served.standby_url);
    let (counsellor, supervisor) = (token(Role::Counsellor), token(Role::Supervisor));
    let primary = sqlx::PgPool::connect(&primary_url).await.expect("primary");
    let standby = sqlx::PgPool::connect(&standby_url).await.expect("standby");
    let reads_of_personal_data = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM access_log")
            .fetch_one(&primary)
            .await
            .expect("access log")
    };

    // Reads your writes: the position a mutation answered, passed back.
    let (first, position) = open_case(&address, &counsellor).await;
    assert!(position > 0);
    let logged_before = reads_of_personal_data().await;
    let answer = cases_at_least(&address, &supervisor, position).await;
    assert!(case_ids(&answer).contains(&first), "{answer}");
    assert_eq!(
        answer["extensions"]["casetrail"]["readFrom"], "replica",
        "{answer}"
    );
    assert_eq!(
        answer["data"]["cases"]["nodes"][0]["persons"][0]["fullName"], "Trần Thị Mai",
        "{answer}"
    );
    // The read of a name was logged, on the primary: nothing is written to the standby.
    assert!(reads_of_personal_data().await > logged_before);
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&standby)
        .await
        .expect("standby");
    assert!(in_recovery, "the standby is still a standby");

    // A query without a position reads the standby as it is.
    let plain = post(&address, &supervisor, json!({"query": CASES})).await;
    assert_eq!(
        plain["extensions"]["casetrail"]["readFrom"], "replica",
        "{plain}"
    );

    // The standby stops replaying: a write it has not seen is read from the primary.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby)
        .await
        .expect("pause replay");
    let (second, position) = open_case(&address, &counsellor).await;
    let answer = cases_at_least(&address, &supervisor, position).await;
    assert_eq!(
        answer["extensions"]["casetrail"]["readFrom"], "primary",
        "{answer}"
    );
    assert!(case_ids(&answer).contains(&second), "{answer}");
    let stale = post(&address, &supervisor, json!({"query": CASES})).await;
    assert!(
        !case_ids(&stale).contains(&second),
        "the paused standby lags: {stale}"
    );

    // Replay resumes: the standby serves the position again.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby)
        .await
        .expect("resume replay");
    let answer = cases_at_least(&address, &supervisor, position).await;
    assert_eq!(
        answer["extensions"]["casetrail"]["readFrom"], "replica",
        "{answer}"
    );
    assert!(case_ids(&answer).contains(&second), "{answer}");

    // A position that is not one is refused before anything runs.
    let refused = post(
        &address,
        &supervisor,
        json!({"query": CASES, "extensions": {"casetrail": {"minPosition": "soon"}}}),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );

    server.abort();
    primary.close().await;
    standby.close().await;
}
