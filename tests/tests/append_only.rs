//! The events table is append-only for the server's role, and a trigger
//! refuses changes even from the owner.

use casetrail_tests::fixtures::a_case;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;

#[tokio::test]
async fn the_server_role_cannot_update_delete_or_truncate_events_and_the_owner_is_refused_by_the_trigger(
) {
    let app = spawn_app().await;
    let case = a_case(&app, &token(Role::Counsellor)).await;
    let app_role = app.db.as_app_role().await;
    let statements = [
        "UPDATE events SET payload = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
    ];
    for sql in statements {
        let err = sqlx::query(sql).execute(&app_role).await.expect_err(sql);
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
    }
    // The server role can still append and read.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app_role)
        .await
        .expect("select");
    assert!(n >= 3);

    let owner = app.db.owner().await;
    for sql in statements {
        let err = sqlx::query(sql).execute(&owner).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = $1")
        .bind(case.to_string())
        .fetch_one(&owner)
        .await
        .expect("select");
    assert!(after >= 2, "the case's events are all still there");
}
