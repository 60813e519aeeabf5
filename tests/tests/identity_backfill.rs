//! Migration 0005 on a database written before it: the ids already in the
//! log are backfilled (the first introduction wins where history holds a
//! duplicate), the projections read such a history without stopping, a
//! rescue counts under its own case's referral, and the old ids are taken.

use std::borrow::Cow;

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{server_url, spawn_on, token, TestDatabase};
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::DomainEvent;
use domain::call::CallEvent;
use domain::case::CaseEvent;
use domain::occurred::OccurredAt;
use domain::values::{Agency, CallCategory, CallerType, Channel, ExploitationType, Region, Role};
use serde_json::json;
use sqlx::migrate::Migrator;
use store::log::NewEvent;
use store::{Actor, CommandContext};
use uuid::Uuid;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 15, hour, 0, 0)
        .single()
        .expect("an instant")
}

fn context() -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "before-0005".into(),
            role: Role::Supervisor,
        },
        "backfill-test".into(),
    )
}

fn new_event<E>(stream_type: &str, id: Uuid, sequence: i64, event: &E) -> NewEvent
where
    E: DomainEvent + OccurredAt,
{
    NewEvent {
        aggregate_type: stream_type.into(),
        aggregate_id: id.to_string(),
        sequence,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_value(event).expect("payload"),
        metadata: context().metadata(event.occurred_at()),
    }
}

fn case_events(case: Uuid, referral: Uuid, agency: Agency, rescued: Option<u16>) -> Vec<NewEvent> {
    let mut events = vec![
        CaseEvent::CaseOpened {
            case_id: case,
            opened_at: at(1),
            from_call_id: None,
            region: Region::Southeast,
            province: None,
            exploitation_types: vec![ExploitationType::ForcedLabour],
        },
        CaseEvent::ReferralSent {
            referral_id: referral,
            agency,
            reports_as: None,
            referred_at: at(2),
            persons_at_risk: 4,
            consent_given: true,
            override_reason: None,
            reason: None,
        },
    ];
    if let Some(persons_rescued) = rescued {
        events.push(CaseEvent::RescueRecorded {
            rescue_id: Uuid::now_v7(),
            referral_id: referral,
            rescued_at: at(3),
            persons_rescued,
            region: Region::Southeast,
            province: None,
            country: None,
        });
    }
    events
        .iter()
        .enumerate()
        .map(|(i, e)| new_event("Case", case, i as i64 + 1, e))
        .collect()
}

/// A call with a counselling session in the 1.0 shape (minutes).
fn call_events(call: Uuid, session: Uuid) -> Vec<NewEvent> {
    let received = CallEvent::CallReceived {
        call_id: call,
        received_at: at(0),
        channel: Channel::Voice,
        region: Region::Southeast,
        province: None,
        country: None,
        caller_type: CallerType::Victim,
        category: CallCategory::Counselling,
        topics: vec![],
        duration_seconds: None,
        category_code: None,
        topic_codes: vec![],
    };
    let session_1_0 = json!({"CounsellingSessionRecorded": {
        "session_id": session, "started_at": at(0), "duration_minutes": 25,
        "topics": ["VICTIM_SUPPORT"], "notes": null}});
    vec![
        new_event("Call", call, 1, &received),
        NewEvent {
            aggregate_type: "Call".into(),
            aggregate_id: call.to_string(),
            sequence: 2,
            event_type: "CounsellingSessionRecorded".into(),
            event_version: "1.0".into(),
            payload: session_1_0,
            metadata: context().metadata(Some(at(0))),
        },
    ]
}

async fn rows(pool: &sqlx::PgPool, sql: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(sql).fetch_all(pool).await.expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_written_before_0005_is_backfilled_first_wins_and_projected_without_stopping() {
    let name = format!("ct_test_{}", Uuid::new_v4().simple());
    let db = TestDatabase {
        url: format!("{}/{name}", server_url()),
        name,
    };
    store::db::ensure_database(&db.url).await.expect("database");
    let owner = db.owner().await;
    // The database as it stood before 0005: migrations 0001 to 0004.
    let before = Migrator {
        migrations: Cow::Owned(
            store::db::MIGRATOR
                .iter()
                // And 0025: today's append (used below to write the old log)
                // records each event's chain version in its column.
                .filter(|m| m.version < 5 || m.version == 25)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    before.run(&owner).await.expect("0001-0004 apply");

    // History with the bug: one referral id sent on two cases; the rescue is on the second.
    let (case_a, case_b, referral) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (call, session) = (Uuid::now_v7(), Uuid::now_v7());
    for events in [
        case_events(case_a, referral, Agency::CriminalPolice, None),
        case_events(case_b, referral, Agency::Ngo, Some(3)),
        call_events(call, session),
    ] {
        let mut tx = owner.begin().await.expect("tx");
        store::log::append(&mut tx, &events).await.expect("append");
        tx.commit().await.expect("commit");
    }

    store::db::migrate(&db.url).await.expect("0005 applies");
    let ids = rows(
        &owner,
        "SELECT kind, id::text, stream_id FROM entity_ids ORDER BY kind, stream_id",
    )
    .await;
    let expected: Vec<(String, String, String)> = vec![
        ("call".into(), call.to_string(), call.to_string()),
        ("case".into(), case_a.to_string(), case_a.to_string()),
        ("case".into(), case_b.to_string(), case_b.to_string()),
        (
            "counselling_session".into(),
            session.to_string(),
            call.to_string(),
        ),
        // The first introduction only: case A's.
        ("referral".into(), referral.to_string(), case_a.to_string()),
    ];
    let (rescues, others): (Vec<_>, Vec<_>) = ids.into_iter().partition(|r| r.0 == "rescue");
    assert_eq!(others, expected);
    assert_eq!(rescues.len(), 1);
    assert_eq!(rescues[0].2, case_b.to_string());

    // The server's role may add ids, never change or remove them.
    let app_role = db.as_app_role().await;
    for change in [
        "UPDATE entity_ids SET stream_id = 'x'",
        "DELETE FROM entity_ids",
        "TRUNCATE entity_ids",
    ] {
        let refused = sqlx::query(change).execute(&app_role).await;
        let code = refused
            .as_ref()
            .err()
            .and_then(|e| e.as_database_error())
            .and_then(|d| d.code().map(|c| c.to_string()));
        assert_eq!(code.as_deref(), Some("42501"), "{change}: {refused:?}");
    }

    let app = spawn_on(db).await;
    let app_pool = app.db.as_app_role().await;
    caught_up(&app_pool).await;
    let status = projections::status(&app_pool).await.expect("status");
    assert!(status.iter().all(|s| !s.is_stopped()), "{status:?}");

    // Both referrals are listed, each under its own case.
    let listed = rows(
        &owner,
        "SELECT case_id::text, referral_id::text, agency FROM referrals ORDER BY agency",
    )
    .await;
    assert_eq!(
        listed,
        vec![
            (
                case_a.to_string(),
                referral.to_string(),
                "CRIMINAL_POLICE".into()
            ),
            (case_b.to_string(), referral.to_string(), "NGO".into()),
        ]
    );
    // The rescue counts under case B's referral (NGO), not case A's.
    let rescued: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT agency, referrals, persons_rescued FROM statistics_referrals \
         WHERE grain = 'day' ORDER BY agency",
    )
    .fetch_all(&owner)
    .await
    .expect("statistics");
    assert_eq!(
        rescued,
        vec![("CRIMINAL_POLICE".into(), 1, 0), ("NGO".into(), 1, 3)]
    );

    // And a rebuild of that history (which used to fail on the same event) gives the same rows.
    let listed_before = rows(
        &owner,
        "SELECT case_id::text, referral_id::text, agency FROM referrals ORDER BY agency",
    )
    .await;
    let store = store::EventStore::new(app_pool.clone(), domain::upcasters::upcasters());
    let settings = projections::ProjectionSettings::default();
    projections::rebuild(&app.db.url, &store, &settings, None)
        .await
        .expect("a rebuild of the old history");
    assert_eq!(
        rows(
            &owner,
            "SELECT case_id::text, referral_id::text, agency FROM referrals ORDER BY agency"
        )
        .await,
        listed_before
    );

    // The old id is taken for new commands too.
    let counsellor = token(Role::Counsellor);
    let case_c = a_case(&app, &counsellor).await;
    let reused = app
        .gql(
            &counsellor,
            &send_referral_doc(),
            json!({"input": {"id": referral, "caseId": case_c, "agency": "NGO", "referredAt": ago(500),
                             "personsAtRisk": 1, "consent": {"given": true}}}),
        )
        .await;
    assert_eq!(reused.code(), Some("CONFLICT"), "{}", reused.body);
}
