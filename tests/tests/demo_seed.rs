//! `casetrail seed --demo` reproduces the ministry report through the
//! command path, and running it again records nothing.

use std::time::Instant;

use api::commands::CommandService;
use api::operations::seed::{
    seed_demo, CALLS, COUNSELLING_CALLS, PERSONS_RESCUED, REFERRAL_CASES, SECOND_REFERRALS,
};
use casetrail_tests::harness::token;
use casetrail_tests::harness::TestDatabase;
use domain::clock::Clock;
use domain::values::Role;
use store::vault::Vault;
use store::EventStore;

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

#[tokio::test]
async fn the_demo_history_holds_the_reports_figures_and_a_second_run_records_nothing() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let commands = CommandService::new(
        EventStore::new(pool.clone(), vec![]),
        Vault::new([3; 32]),
        Clock::system(),
    );
    let started = Instant::now();
    let report = seed_demo(&commands, |_, _, _| {})
        .await
        .expect("the seed runs");
    eprintln!("seeded in {:?}", started.elapsed());
    assert_eq!(
        (report.calls, report.cases, report.persons_rescued),
        (CALLS, REFERRAL_CASES, PERSONS_RESCUED)
    );

    let owner = db.owner().await;
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM events WHERE event_type = 'CallReceived'"
        )
        .await,
        CALLS as i64
    );
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events WHERE event_type = 'CallReceived' AND payload->'CallReceived'->>'category' = 'COUNSELLING'").await,
        COUNSELLING_CALLS as i64
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM events WHERE event_type = 'ReferralSent'"
        )
        .await,
        (REFERRAL_CASES + SECOND_REFERRALS) as i64
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(DISTINCT aggregate_id) FROM events WHERE event_type = 'ReferralSent'"
        )
        .await,
        REFERRAL_CASES as i64
    );
    assert!(
        report.persons_rescued_after_period > 0,
        "one rescue falls after the period"
    );
    assert_eq!(
        count(&owner, "SELECT sum((payload->'RescueRecorded'->>'persons_rescued')::int)::bigint FROM events WHERE event_type = 'RescueRecorded'").await,
        i64::from(PERSONS_RESCUED)
    );
    let shares: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload->'CallReceived'->>'region', count(*) FROM events WHERE event_type = 'CallReceived' GROUP BY 1",
    )
    .fetch_all(&owner)
    .await
    .expect("regions");
    let share = |region: &str| {
        let n = shares
            .iter()
            .find(|(r, _)| r == region)
            .map_or(0, |(_, n)| *n);
        (n as f64 * 1000.0 / CALLS as f64).round() / 10.0
    };
    for (region, expected) in [
        ("RED_RIVER_DELTA", 29.3),
        ("NORTHEAST", 16.0),
        ("NORTHWEST", 13.1),
        ("SOUTHEAST", 11.6),
        ("NORTH_CENTRAL", 10.4),
        ("MEKONG_DELTA", 8.0),
        ("SOUTH_CENTRAL_COAST", 6.0),
        ("CENTRAL_HIGHLANDS", 5.5),
        ("OVERSEAS", 0.1),
    ] {
        assert_eq!(share(region), expected, "{region}");
    }

    let before = count(&owner, "SELECT count(*) FROM events").await;
    assert_eq!(
        report.events_recorded, before,
        "the first run reports the events it recorded"
    );
    let again = seed_demo(&commands, |_, _, _| {})
        .await
        .expect("the seed runs again");
    assert_eq!(
        again.events_recorded, 0,
        "a second run reports nothing recorded"
    );
    assert!(again.summary(1.0).contains("recorded nothing"));
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events").await,
        before,
        "a second run recorded something"
    );
    let verify = store::integrity::verify(&pool, &Default::default())
        .await
        .expect("verify");
    assert!(verify.ok());

    // Through the server: GraphQL statistics show the report's table.
    let app = casetrail_tests::harness::spawn_on(db).await;
    let owner = app.db.owner().await;
    casetrail_tests::fixtures::caught_up(&owner).await;
    let query = "{ statistics(from: \"2018-11-01\", to: \"2022-02-14\") { totalCalls counsellingCalls referrals \
                 referralCases personsRescued personsRescuedByCohort casesOpened asOfPosition \
                 callsByRegion { region count share } referralsByAgency { agency referrals } \
                 counsellingCallsByTopic { code count } } }";
    let answer = app
        .gql(&token(Role::Auditor), query, serde_json::json!({}))
        .await;
    let stats = answer.data("statistics").clone();
    // The report's table, exactly, for an exact role: 129 referral cases
    // (some referred twice), 165 persons rescued through their referrals
    // (the last rescue came after the period, so fewer are dated in it).
    let rescued_in_period = PERSONS_RESCUED - report.persons_rescued_after_period;
    assert_eq!(
        (
            &stats["totalCalls"],
            &stats["counsellingCalls"],
            &stats["referralCases"],
            &stats["referrals"],
            &stats["personsRescuedByCohort"],
            &stats["personsRescued"]
        ),
        (
            &serde_json::json!(9154),
            &serde_json::json!(1069),
            &serde_json::json!(129),
            &serde_json::json!(129 + SECOND_REFERRALS),
            &serde_json::json!(165),
            &serde_json::json!(rescued_in_period)
        )
    );
    // Counselling calls by the report's topics: each counselling call has one or two of them.
    let topics: i64 = stats["counsellingCallsByTopic"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["count"].as_i64()).sum())
        .unwrap_or_default();
    assert!((1069..=2 * 1069).contains(&topics), "{topics}");
    for topic in ["PSYCHOLOGICAL", "POLICY", "SERVICES", "VICTIM_SUPPORT"] {
        let row = stats["counsellingCallsByTopic"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["code"] == topic))
            .expect("topic row");
        assert!(
            row["count"].as_i64().is_some_and(|n| n > 200),
            "{topic}: {row}"
        );
    }
    // An ANALYST gets the same table disclosure-controlled: within the
    // perturbation table's reach of the truth (docs/STATISTICS.md).
    let analyst = app
        .gql(&token(Role::Analyst), query, serde_json::json!({}))
        .await;
    let analyst = analyst.data("statistics").clone();
    eprintln!("ANALYST's report table: {analyst}");
    for field in [
        "totalCalls",
        "counsellingCalls",
        "referralCases",
        "referrals",
        "personsRescuedByCohort",
    ] {
        let (exact, shown) = (
            stats[field].as_i64().unwrap_or(0),
            analyst[field].as_i64().unwrap_or(0),
        );
        assert!(
            (exact - shown).abs() <= projections::disclosure::MAX_NOISE,
            "{field}: {shown} for {exact}"
        );
    }
    for (region, expected) in [
        ("RED_RIVER_DELTA", 29.3),
        ("NORTHEAST", 16.0),
        ("NORTHWEST", 13.1),
        ("SOUTHEAST", 11.6),
        ("NORTH_CENTRAL", 10.4),
        ("MEKONG_DELTA", 8.0),
        ("SOUTH_CENTRAL_COAST", 6.0),
        ("CENTRAL_HIGHLANDS", 5.5),
        ("OVERSEAS", 0.1),
    ] {
        let row = stats["callsByRegion"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["region"] == region))
            .expect("region row");
        let share = row["share"].as_f64().expect("share");
        assert_eq!((share * 1000.0).round() / 10.0, expected, "{region}");
    }
    for agency in [
        "DEPARTMENT_OF_CHILDREN",
        "CRIMINAL_POLICE",
        "BORDER_GUARD",
        "WOMENS_UNION",
    ] {
        let row = stats["referralsByAgency"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["agency"] == agency))
            .expect("agency");
        assert!(row["referrals"].as_i64().is_some_and(|n| n > 0), "{agency}");
    }

    // The day boundary is the hotline's: 23:30 on the last day counts, 00:30 the next day does not.
    for at in ["2022-02-14T23:30:00+07:00", "2022-02-15T00:30:00+07:00"] {
        app.gql(&token(Role::Counsellor), &casetrail_tests::fixtures::receive_call_doc(),
            serde_json::json!({"input": {"receivedAt": at, "channel": "VOICE", "region": "SOUTHEAST", "callerType": "CITIZEN", "category": "INFORMATION"}}))
            .await
            .data("receiveCall");
    }
    casetrail_tests::fixtures::caught_up(&owner).await;
    let after = app
        .gql(&token(Role::Auditor), query, serde_json::json!({}))
        .await;
    assert_eq!(after.data("statistics")["totalCalls"], 9155);
    assert_ne!(
        after.data("statistics")["asOfPosition"],
        stats["asOfPosition"]
    );
}
