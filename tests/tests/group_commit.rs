//! Group commit: concurrent commands' units share one statement and one
//! transaction, but each keeps its own checks and fails alone; and its
//! statement (with the store's other key lookups) keeps an index plan
//! however empty the log was when it was planned (`plans`).

#[path = "group_commit/plans.rs"]
mod plans;

use casetrail_tests::harness::TestDatabase;
use chrono::{Duration, Utc};
use domain::call::{Call, CallCommand, ReceiveCall};
use domain::case::{Case, CaseCommand, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::values::{CallCategory, CallerType, Channel, Region, Role, SupportService};
use store::integrity::{verify, Scope};
use store::{decide, Actor, CommandContext, EventStore, Loaded, StoreError, UnitOfWork};
use uuid::Uuid;

fn ctx() -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "test".into(),
            role: Role::Supervisor,
        },
        format!("corr-{}", Uuid::new_v4()),
    )
}

/// The unit of a new call, decided but not committed.
async fn new_call(store: &EventStore) -> (Uuid, UnitOfWork) {
    let id = store.mint::<Call>();
    let mut call = store.load::<Call>(id).await.expect("load");
    let command = CallCommand::Receive(ReceiveCall {
        call_id: id,
        received_at: Utc::now() - Duration::minutes(3),
        channel: Channel::Voice,
        region: Some(Region::Southeast),
        province: None,
        country: None,
        caller_type: CallerType::Citizen,
        category: CallCategory::Information,
        topics: vec![],
        duration: None,
        category_code: None,
        topic_codes: vec![],
    });
    let events = decide(&mut call, command, &Clock::system())
        .await
        .expect("receives");
    let mut unit = UnitOfWork::new();
    unit.record(&mut call, &events, &ctx()).expect("record");
    (id, unit)
}

/// The unit of a support provision decided on `case` as loaded.
async fn support(case: &mut Loaded<Case>) -> UnitOfWork {
    let command = CaseCommand::ProvideSupport(ProvideSupport {
        case_id: case.id,
        provision_id: Uuid::now_v7(),
        person_id: None,
        service: SupportService::Medical,
        provided_at: Utc::now() - Duration::minutes(1),
    });
    let events = decide(case, command, &Clock::system())
        .await
        .expect("supports");
    let mut unit = UnitOfWork::new();
    unit.record(case, &events, &ctx()).expect("record");
    unit
}

async fn a_case(store: &EventStore) -> Uuid {
    let id = Uuid::now_v7();
    let mut case = store.load::<Case>(id).await.expect("load");
    let command = CaseCommand::Open(OpenCase {
        case_id: id,
        opened_at: Utc::now() - Duration::days(3),
        from_call: None,
        region: Some(Region::MekongDelta),
        province: None,
        exploitation_types: vec![],
        persons: vec![],
    });
    let events = decide(&mut case, command, &Clock::system())
        .await
        .expect("opens");
    let mut unit = UnitOfWork::new();
    unit.record(&mut case, &events, &ctx()).expect("record");
    store.commit(unit).await.expect("commit");
    id
}

async fn events_of(pool: &sqlx::PgPool, kind: &str, id: Uuid) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
    )
    .bind(kind)
    .bind(id.to_string())
    .fetch_all(pool)
    .await
    .expect("sequences")
}

#[tokio::test]
async fn in_one_group_the_command_that_lost_its_race_fails_alone_and_the_others_commit() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let store = EventStore::new(pool.clone(), vec![]);
    let case = a_case(&store).await;
    // Two commands decide on version 1; the first commits, the second is stale.
    let mut first = store.load::<Case>(case).await.expect("load");
    let mut stale = store.load::<Case>(case).await.expect("load");
    store
        .commit(support(&mut first).await)
        .await
        .expect("the first commits");

    let mut units = Vec::new();
    let mut calls = Vec::new();
    for at in 0..5 {
        if at == 2 {
            units.push(support(&mut stale).await);
        }
        let (id, unit) = new_call(&store).await;
        calls.push(id);
        units.push(unit);
    }
    let results = store.commit_all(units).await;

    assert_eq!(results.len(), 6);
    for (at, result) in results.iter().enumerate() {
        if at == 2 {
            assert!(
                matches!(result, Err(StoreError::Conflict)),
                "the stale command fails as a conflict: {result:?}"
            );
        } else {
            assert_eq!(
                result.as_ref().map(Vec::len).ok(),
                Some(1),
                "unit {at}: {result:?}"
            );
        }
    }
    for id in &calls {
        assert_eq!(events_of(&pool, "Call", *id).await, vec![1]);
    }
    assert_eq!(events_of(&pool, "Case", case).await, vec![1, 2]);
    // The loser retries against fresh state, as the API does, and lands.
    let mut fresh = store.load::<Case>(case).await.expect("load");
    assert_eq!(fresh.version, 2);
    store
        .commit(support(&mut fresh).await)
        .await
        .expect("the retry commits");
    assert_eq!(events_of(&pool, "Case", case).await, vec![1, 2, 3]);
    let report = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(report.ok(), "{report:?}");
}

#[tokio::test]
async fn a_group_is_one_transaction() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let store = EventStore::new(pool.clone(), vec![]);
    let mut units = Vec::new();
    for _ in 0..3 {
        units.push(new_call(&store).await.1);
    }
    for result in store.commit_all(units).await {
        result.expect("commits");
    }
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT transaction_id::text) FROM events")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(transactions, 1);
}

#[tokio::test]
async fn concurrent_commits_through_the_committers_each_get_their_own_answer() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let store = EventStore::new(pool.clone(), vec![]);
    let case = a_case(&store).await;
    let mut first = store.load::<Case>(case).await.expect("load");
    let mut stale = store.load::<Case>(case).await.expect("load");
    store
        .commit(support(&mut first).await)
        .await
        .expect("the first commits");
    let stale = support(&mut stale).await;
    let mut calls = Vec::new();
    let mut units = Vec::new();
    for _ in 0..24 {
        let (id, unit) = new_call(&store).await;
        calls.push(id);
        units.push(unit);
    }
    // All are queued before any committer runs (one thread), so they group.
    let stale_answer = store.commit(stale);
    let answers = futures::future::join_all(units.into_iter().map(|u| store.commit(u)));
    let (stale_answer, answers) = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        futures::future::join(stale_answer, answers),
    )
    .await
    .expect("no commit hangs");
    assert!(
        matches!(stale_answer, Err(StoreError::Conflict)),
        "{stale_answer:?}"
    );
    for answer in &answers {
        assert!(answer.is_ok(), "{answer:?}");
    }
    for id in &calls {
        assert_eq!(events_of(&pool, "Call", *id).await, vec![1]);
    }
    assert_eq!(events_of(&pool, "Case", case).await, vec![1, 2]);
    let report = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(report.ok(), "{report:?}");
}

/// Every checkout from the server's pool used to be a round trip first
/// (sqlx's ping, which no statement log shows): issue 11 turned it off,
/// and a later merge lost the setting on the primary's pool.
#[tokio::test]
async fn the_servers_pool_does_not_ping_a_connection_before_handing_it_out() {
    let db = TestDatabase::create().await;
    let pool = store::db::app_pool(&db.url, 2).await.expect("pool");
    assert!(!pool.options().get_test_before_acquire());
    pool.close().await;
}
