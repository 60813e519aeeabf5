//! Record keys of the cell key method are keyed (HMAC-SHA256 under the
//! database's secret, migration 0040): knowing a record's id does not give
//! its key, the secret cannot be changed, and a rebuild and a restart give
//! the same keys, hence the same perturbed figures.

use casetrail_tests::fixtures::{ago, caught_up};
use casetrail_tests::harness::{spawn_app, token};
use casetrail_tests::statistics::{at, by_province, case_in, BY_PROVINCE};
use domain::values::Role;
use projections::disclosure::RecordKeys;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn record_keys_need_the_databases_secret_and_survive_a_rebuild_and_a_restart() {
    let app = spawn_app().await;
    let owner = app.db.owner().await;
    let cases: Vec<Uuid> = (0..9).map(|i| Uuid::from_u128(0xd0_0000 + i)).collect();
    for case in &cases {
        case_in(
            &app,
            *case,
            ("province", "HA_NOI"),
            at(&ago(30)),
            &[Uuid::new_v4()],
        )
        .await;
    }
    caught_up(&owner).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let period =
        json!({"from": (today - chrono::Duration::days(1)).to_string(), "to": today.to_string()});
    let before = by_province(&app, Role::Analyst, period.clone()).await;

    // The key stored for a case is the keyed one, not what its id alone gives.
    let keys = RecordKeys::read(&owner).await.expect("the record secret");
    let stored: i64 = sqlx::query_scalar(
        "SELECT record_key FROM statistics_facts WHERE figure = 'cases_opened' AND case_id = $1",
    )
    .bind(cases[0])
    .fetch_one(&owner)
    .await
    .expect("the case's fact");
    assert_eq!(stored, keys.of("case", cases[0]));
    let unkeyed = {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(b"casetrail record key\0case\0");
        hash.update(cases[0].as_bytes());
        let d = hash.finalize();
        i64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
    };
    assert_ne!(stored, unkeyed, "the unkeyed hash of the id is not the key");
    assert_ne!(stored, RecordKeys::new(&[0; 32]).of("case", cases[0]));

    // The secret never changes, not even by the owner, and the server role
    // may read it but not write it.
    let app_role = app.db.as_app_role().await;
    for (pool, sql) in [
        (
            &owner,
            "UPDATE statistics_record_secret SET secret = sha256(secret)",
        ),
        (&owner, "DELETE FROM statistics_record_secret"),
        (&owner, "TRUNCATE statistics_record_secret"),
        (
            &app_role,
            "INSERT INTO statistics_record_secret (only_row, secret) VALUES (false, '')",
        ),
    ] {
        assert!(sqlx::query(sql).execute(pool).await.is_err(), "{sql}");
    }

    // A rebuild from zero keys every record the same way: the same figures.
    let facts = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT n, record_key FROM statistics_facts ORDER BY position, figure, code, record_key",
        )
        .fetch_all(&pool)
        .await
        .expect("facts")
    };
    let facts_before = facts(owner.clone()).await;
    let store = store::EventStore::new(app_role.clone(), domain::upcasters::upcasters());
    projections::rebuild(
        &app.db.url,
        &store,
        &projections::ProjectionSettings::default(),
        None,
    )
    .await
    .expect("rebuild");
    assert_eq!(facts(owner.clone()).await, facts_before);
    assert_eq!(
        by_province(&app, Role::Analyst, period.clone()).await,
        before
    );

    // Another server process on the same database (a restart) answers the same.
    let (address, server) = casetrail_tests::harness::start_server(&app.db.url).await;
    let restarted = casetrail_tests::harness::post_graphql(
        &app.client,
        &address,
        Some(&token(Role::Analyst)),
        BY_PROVINCE,
        period,
    )
    .await;
    server.abort();
    assert_eq!(restarted.data("statistics"), &before);
}
