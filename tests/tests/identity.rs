//! An id names one thing: every id a command introduces is unique within its
//! kind across the whole store (issue 10), and input limits are checked
//! before anything is sealed or recorded.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, Answer, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

const SESSION_DOC: &str = "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { id counsellingSessions { id } } }";
const ATTACH_PERSON_DOC: &str =
    "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { id persons { id } } }";
const RESCUE_DOC: &str =
    "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id } }";
const SUPPORT_DOC: &str = "mutation($input: ProvideSupportInput!) { provideSupport(input: $input) { id supportProvided { id } } }";

fn referral_input(case: Uuid, id: Option<Uuid>, agency: &str) -> Value {
    json!({"input": {"id": id, "caseId": case, "agency": agency, "referredAt": ago(500),
                     "personsAtRisk": 2, "consent": {"given": true}}})
}

fn rescue_input(case: Uuid, referral: Uuid, id: Option<Uuid>) -> Value {
    json!({"input": {"id": id, "caseId": case, "referralId": referral, "rescuedAt": ago(400),
                     "personsRescued": 3}})
}

fn session_input(call: Uuid, id: Option<Uuid>) -> Value {
    json!({"input": {"id": id, "callId": call, "startedAt": ago(590), "durationMinutes": 10,
                     "topics": ["VICTIM_SUPPORT"]}})
}

fn person_input(case: Uuid, id: Option<Uuid>) -> Value {
    json!({"input": {"caseId": case, "person": {"id": id, "role": "VICTIM", "gender": "MALE"}}})
}

fn support_input(case: Uuid, id: Option<Uuid>) -> Value {
    json!({"input": {"id": id, "caseId": case, "service": "MEDICAL", "providedAt": ago(450)}})
}

/// The refusal of a reused id: CONFLICT, naming the kind and the id, no database text.
fn assert_id_taken(answer: &Answer, kind: &str, id: Uuid) {
    assert_eq!(answer.code(), Some("CONFLICT"), "{}", answer.body);
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(kind) && message.contains(&id.to_string()),
        "{message}"
    );
    for leak in ["entity_ids", "pkey", "duplicate key", "23505"] {
        assert!(!message.contains(leak), "{message}");
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let owner = app.db.owner().await;
    sqlx::query_scalar(sql)
        .fetch_one(&owner)
        .await
        .expect("count")
}

async fn projections_healthy_at_head(app: &TestApp) {
    caught_up(&app.db.as_app_role().await).await;
    let status = projections::status(&app.db.as_app_role().await)
        .await
        .expect("status");
    assert!(
        status
            .iter()
            .all(|s| !s.is_stopped() && s.position == s.head_position),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_server_generated_referral_id_reused_on_another_case_is_a_conflict_and_nothing_stops() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let (case_a, case_b) = (
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
    );
    // The reported sequence: a referral with a server-generated id on A, then its id on B.
    let referral = a_referral(&app, &counsellor, case_a, "CRIMINAL_POLICE").await;
    let before = sequences(&app.db.owner().await, "Case", case_b).await;
    let reused = app
        .gql(
            &counsellor,
            &send_referral_doc(),
            referral_input(case_b, Some(referral), "NGO"),
        )
        .await;
    assert_id_taken(&reused, "referral", referral);
    assert_eq!(
        sequences(&app.db.owner().await, "Case", case_b).await,
        before,
        "nothing recorded on case B"
    );

    // A rescue on A's referral, recorded on B with A's referral id: B has no such referral.
    let rescue = app
        .gql(
            &token(Role::Supervisor),
            RESCUE_DOC,
            rescue_input(case_b, referral, None),
        )
        .await;
    assert_eq!(rescue.code(), Some("NOT_FOUND"), "{}", rescue.body);

    let rows = count(
        &app,
        &format!("SELECT count(*) FROM entity_ids WHERE kind = 'referral' AND id = '{referral}'"),
    )
    .await;
    assert_eq!(rows, 1);
    projections_healthy_at_head(&app).await;
}

#[tokio::test]
async fn every_kind_of_id_is_unique_across_streams_whoever_chose_it() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let (case_a, case_b) = (
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
    );
    let (call_a, call_b) = (
        a_call(&app, &counsellor).await,
        a_call(&app, &counsellor).await,
    );

    // Counselling session: server-generated on call A, reused on call B.
    let first = app
        .gql(&counsellor, SESSION_DOC, session_input(call_a, None))
        .await;
    let session = id_of(&first.data("recordCounsellingSession")["counsellingSessions"][0]);
    let again = app
        .gql(
            &counsellor,
            SESSION_DOC,
            session_input(call_b, Some(session)),
        )
        .await;
    assert_id_taken(&again, "counselling session", session);

    // Person: server-generated on case A, attached to case B by id.
    let first = app
        .gql(&counsellor, ATTACH_PERSON_DOC, person_input(case_a, None))
        .await;
    let persons = first.data("attachPerson")["persons"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let person = id_of(persons.last().expect("a person"));
    let again = app
        .gql(
            &counsellor,
            ATTACH_PERSON_DOC,
            person_input(case_b, Some(person)),
        )
        .await;
    assert_id_taken(&again, "person", person);
    // The same person id among a new case's persons.
    let opened = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"openedAt": ago(300), "region": "RED_RIVER_DELTA",
                             "persons": [{"id": person, "role": "VICTIM", "gender": "MALE"}]}}),
        )
        .await;
    assert_id_taken(&opened, "person", person);

    // Support: server-generated on A, reused on B.
    let first = app
        .gql(&counsellor, SUPPORT_DOC, support_input(case_a, None))
        .await;
    let support = id_of(&first.data("provideSupport")["supportProvided"][0]);
    let again = app
        .gql(
            &counsellor,
            SUPPORT_DOC,
            support_input(case_b, Some(support)),
        )
        .await;
    assert_id_taken(&again, "support", support);

    // Rescue: server-generated on A's referral, reused on B's.
    let referral_a = a_referral(&app, &counsellor, case_a, "CRIMINAL_POLICE").await;
    let referral_b = a_referral(&app, &counsellor, case_b, "CRIMINAL_POLICE").await;
    let supervisor = token(Role::Supervisor);
    let first = app
        .gql(
            &supervisor,
            RESCUE_DOC,
            rescue_input(case_a, referral_a, None),
        )
        .await;
    let rescue = id_of(first.data("recordRescue"));
    let again = app
        .gql(
            &supervisor,
            RESCUE_DOC,
            rescue_input(case_b, referral_b, Some(rescue)),
        )
        .await;
    assert_id_taken(&again, "rescue", rescue);

    // Case: a server-generated case id given to openCase again.
    let reopened = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"id": case_a, "openedAt": ago(300), "region": "RED_RIVER_DELTA"}}),
        )
        .await;
    assert_id_taken(&reopened, "case", case_a);

    // Nothing refused was recorded: one row per id, and the log holds each id once.
    let duplicates = count(
        &app,
        "SELECT count(*) FROM (SELECT kind, id FROM entity_ids GROUP BY kind, id HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(duplicates, 0);
    let sessions_in_log = count(
        &app,
        "SELECT count(*) FROM events WHERE event_type = 'CounsellingSessionRecorded'",
    )
    .await;
    assert_eq!(sessions_in_log, 1);
    projections_healthy_at_head(&app).await;
}

#[tokio::test]
async fn an_identical_retry_is_still_its_first_result_and_a_changed_one_a_conflict() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let id = Uuid::now_v7();
    let input = referral_input(case, Some(id), "CRIMINAL_POLICE");
    let first = app
        .gql(&counsellor, &send_referral_doc(), input.clone())
        .await;
    let retry = app.gql(&counsellor, &send_referral_doc(), input).await;
    assert_eq!(
        retry.data("sendReferral"),
        first.data("sendReferral"),
        "the retry answers the first result"
    );
    let changed = app
        .gql(
            &counsellor,
            &send_referral_doc(),
            referral_input(case, Some(id), "NGO"),
        )
        .await;
    assert_id_taken(&changed, "referral", id);
    let sent = count(
        &app,
        "SELECT count(*) FROM events WHERE event_type = 'ReferralSent'",
    )
    .await;
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn a_reused_case_id_seals_nothing_for_the_refused_persons() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let keys_before = count(&app, "SELECT count(*) FROM data_keys").await;
    let newcomer = Uuid::now_v7();
    let again = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"id": case, "openedAt": ago(300), "region": "RED_RIVER_DELTA",
                             "persons": [{"id": newcomer, "role": "VICTIM", "gender": "MALE",
                                          "fullName": "Never sealed"}]}}),
        )
        .await;
    assert_id_taken(&again, "case", case);
    assert_eq!(
        count(&app, "SELECT count(*) FROM data_keys").await,
        keys_before
    );
}
