//! Corrections over HTTP: a call's facts and a person's details, each a new
//! event; the call, its list row and the statistics follow the corrected
//! values (and a rebuild gives the same figures); a closed case takes
//! corrections from a SUPERVISOR only; a retry records nothing twice.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

const STATISTICS: &str = "{ statistics(from: \"2020-01-01\", to: \"2030-12-31\") { \
    totalCalls counsellingCalls counsellingSessions \
    callsByRegion { region count } callsByCategory { category count } callsByChannel { channel count } } }";

const CORRECT_CALL: &str = "mutation($input: CorrectCallInput!) { correctCall(input: $input) { \
    id category channel region province topics receivedAt version } }";

const CORRECT_PERSON: &str =
    "mutation($input: CorrectPersonInput!) { correctPerson(input: $input) { \
    status version persons { id role birthYear fullName phone } } }";

fn count_of(list: &Value, key: &str, code: &str) -> i64 {
    list.as_array()
        .and_then(|cells| cells.iter().find(|c| c[key] == code))
        .and_then(|c| c["count"].as_i64())
        .unwrap_or(0)
}

async fn statistics(app: &TestApp) -> Value {
    caught_up(&app.db.as_app_role().await).await;
    app.gql(&token(Role::Supervisor), STATISTICS, json!({}))
        .await
        .data("statistics")
        .clone()
}

#[tokio::test]
async fn a_corrected_call_moves_its_figures_and_a_rebuild_gives_the_same_figures() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let call = a_call(&app, &counsellor).await; // HA_NOI, VOICE, REFERRAL_REQUEST
    let session = "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { version } }";
    app.gql(
        &counsellor,
        session,
        json!({"input": {"callId": call, "startedAt": ago(599), "durationMinutes": 10, "topics": ["LEGAL"]}}),
    )
    .await
    .data("recordCounsellingSession");
    let before = statistics(&app).await;
    assert_eq!(
        count_of(&before["callsByRegion"], "region", "RED_RIVER_DELTA"),
        1
    );
    assert_eq!(
        count_of(&before["callsByCategory"], "category", "REFERRAL_REQUEST"),
        1
    );

    let input = json!({"callId": call, "category": "COUNSELLING", "channel": "ZALO",
        "province": "LAO_CAI", "reason": "Misclassified on the night shift", "idempotencyKey": "fix-1"});
    let corrected = app
        .gql(&counsellor, CORRECT_CALL, json!({"input": input}))
        .await;
    let node = corrected.data("correctCall");
    assert_eq!(
        (
            node["category"].clone(),
            node["channel"].clone(),
            node["region"].clone(),
            node["province"].clone()
        ),
        (
            json!("COUNSELLING"),
            json!("ZALO"),
            json!("NORTHWEST"),
            json!("LAO_CAI")
        )
    );
    assert_eq!(node["version"], 3);
    // A retry with the same key is the first answer; nothing is recorded twice.
    let retried = app
        .gql(&counsellor, CORRECT_CALL, json!({"input": input}))
        .await;
    assert_eq!(retried.data("correctCall"), node);

    let after = statistics(&app).await;
    assert_eq!(
        after["totalCalls"], before["totalCalls"],
        "a correction is no new call"
    );
    assert_eq!(
        count_of(&after["callsByRegion"], "region", "RED_RIVER_DELTA"),
        0
    );
    assert_eq!(count_of(&after["callsByRegion"], "region", "NORTHWEST"), 1);
    assert_eq!(
        count_of(&after["callsByCategory"], "category", "REFERRAL_REQUEST"),
        0
    );
    assert_eq!(
        count_of(&after["callsByCategory"], "category", "COUNSELLING"),
        1
    );
    assert_eq!(count_of(&after["callsByChannel"], "channel", "VOICE"), 0);
    assert_eq!(count_of(&after["callsByChannel"], "channel", "ZALO"), 1);
    assert_eq!(after["counsellingCalls"], 1);
    assert_eq!(after["counsellingSessions"], 1);
    // The session moved with its call: the Northwest's sessions count it.
    let northwest = "{ statistics(from: \"2020-01-01\", to: \"2030-12-31\", region: NORTHWEST) { counsellingSessions totalCalls } }";
    let by_region = app
        .gql(&token(Role::Supervisor), northwest, json!({}))
        .await;
    assert_eq!(by_region.data("statistics")["counsellingSessions"], 1);
    assert_eq!(by_region.data("statistics")["totalCalls"], 1);
    // The list filters by the corrected region.
    let listed = app
        .gql(
            &counsellor,
            "{ calls(first: 5, filter: {region: NORTHWEST}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed.data("calls")["totalCount"], 1);

    // The history shows both: the original and the correction naming what it corrects.
    let history = app
        .gql(
            &token(Role::Supervisor),
            "query($id: UUID!) { callHistory(callId: $id) { events { eventType actor payload } } }",
            json!({"id": call}),
        )
        .await;
    let events = history.data("callHistory")["events"].clone();
    assert_eq!(
        events[0]["payload"]["CallReceived"]["category"],
        "REFERRAL_REQUEST"
    );
    let correction = &events[2]["payload"]["CallCorrected"];
    assert_eq!(
        correction["corrects"],
        json!(["CATEGORY", "CHANNEL", "LOCATION"])
    );
    assert_eq!(correction["before"]["region"], "RED_RIVER_DELTA");
    assert_eq!(correction["after"]["region"], "NORTHWEST");
    assert!(
        correction["reason"]["ciphertext"].is_string(),
        "the reason is sealed"
    );
    assert!(!history.body.to_string().contains("night shift"));
    assert_eq!(events[2]["actor"], "test-counsellor");

    // A rebuild from zero gives the same read models, figures included.
    let owner = app.db.owner().await;
    let incremental = read_model_digest(&owner).await;
    let app_pool = app.db.as_app_role().await;
    let store = store::EventStore::new(app_pool, domain::upcasters::upcasters());
    projections::rebuild(
        &app.db.url,
        &store,
        &projections::ProjectionSettings::default(),
        None,
    )
    .await
    .expect("rebuild");
    assert_eq!(read_model_digest(&owner).await, incremental);
    assert_eq!(statistics(&app).await, after);
}

#[tokio::test]
async fn a_correction_is_refused_clearly_when_it_changes_nothing_or_the_call_is_unknown() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let call = a_call(&app, &counsellor).await;
    let same =
        json!({"input": {"callId": call, "category": "REFERRAL_REQUEST", "reason": "check"}});
    let refused = app.gql(&counsellor, CORRECT_CALL, same).await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{}", refused.body);
    let unknown = json!({"input": {"callId": Uuid::new_v4(), "category": "OTHER", "reason": "x"}});
    assert_eq!(
        app.gql(&counsellor, CORRECT_CALL, unknown).await.code(),
        Some("NOT_FOUND")
    );
    let no_reason = json!({"input": {"callId": call, "category": "OTHER", "reason": "  "}});
    assert_eq!(
        app.gql(&counsellor, CORRECT_CALL, no_reason).await.code(),
        Some("BAD_USER_INPUT")
    );
    let future = json!({"input": {"callId": call, "receivedAt": ago(-60), "reason": "x"}});
    assert_eq!(
        app.gql(&counsellor, CORRECT_CALL, future).await.code(),
        Some("BAD_USER_INPUT")
    );
    let bad_province = json!({"input": {"callId": call, "province": "Atlantis", "reason": "x"}});
    assert_eq!(
        app.gql(&counsellor, CORRECT_CALL, bad_province)
            .await
            .code(),
        Some("BAD_USER_INPUT")
    );
}

#[tokio::test]
async fn a_person_is_corrected_on_an_open_case_and_on_a_closed_one_by_a_supervisor_only() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let person = Uuid::new_v4();
    let opened = app
        .gql(&counsellor, &open_case_doc(), json!({"input": {"openedAt": ago(590), "region": "NORTHEAST",
            "persons": [{"id": person, "role": "POSSIBLE_VICTIM", "gender": "FEMALE", "fullName": "Lò Thị Mai"}]}}))
        .await;
    let case = id_of(opened.data("openCase"));
    let fix = |name: &str, key: &str| {
        json!({"input": {"caseId": case, "personId": person, "role": "VICTIM", "fullName": name,
                         "phone": "+84 900 111 222", "reason": "Misheard", "idempotencyKey": key}})
    };
    let corrected = app
        .gql(&counsellor, CORRECT_PERSON, fix("Lò Thị Mây", "p-1"))
        .await;
    let node = &corrected.data("correctPerson")["persons"][0];
    assert_eq!(
        node["fullName"], "Lò Thị Mây",
        "the corrected name opens under its own binding"
    );
    assert_eq!(node["phone"], "+84 900 111 222");
    assert_eq!(node["role"], "VICTIM");

    let close = "mutation($input: CloseCaseInput!) { closeCase(input: $input) { status } }";
    app.gql(
        &supervisor,
        close,
        json!({"input": {"caseId": case, "closedAt": ago(1), "reason": "done"}}),
    )
    .await
    .data("closeCase");
    let refused = app
        .gql(&counsellor, CORRECT_PERSON, fix("Lò Thị Mẫy", "p-2"))
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"), "{}", refused.body);
    let by_supervisor = app
        .gql(&supervisor, CORRECT_PERSON, fix("Lò Thị Mẫy", "p-3"))
        .await;
    let case_node = by_supervisor.data("correctPerson");
    assert_eq!(case_node["status"], "CLOSED");
    assert_eq!(case_node["persons"][0]["fullName"], "Lò Thị Mẫy");

    // Both versions in the history, names sealed in both.
    let history = app
        .gql(
            &supervisor,
            "query($id: UUID!) { caseHistory(caseId: $id) { events { eventType } } }",
            json!({"id": case}),
        )
        .await;
    let types: Vec<String> = history.data("caseHistory")["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| x["eventType"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        types.iter().filter(|t| *t == "PersonCorrected").count(),
        2,
        "{types:?}"
    );
    assert!(types.contains(&"PersonAttached".to_string()));
    let owner = app.db.owner().await;
    let plain: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%Mây%' OR payload::text LIKE '%Mẫy%'")
        .fetch_one(&owner)
        .await
        .expect("events readable");
    assert_eq!(plain, 0, "no name in clear in the log");
}
