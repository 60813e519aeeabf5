//! A retried request never records anything twice: the same key with the
//! same input returns the first result; with different input, CONFLICT.
//! Keys are per caller, and receipts keep nothing of personal data.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{jwt, spawn_app, token, TestApp};
use domain::values::{Agency, Role};
use serde_json::json;
use uuid::Uuid;

async fn count(app: &TestApp, event_type: &str) -> i64 {
    let owner = app.db.owner().await;
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(&owner)
        .await
        .expect("count")
}

#[tokio::test]
async fn retrying_receive_call_with_the_same_id_records_one_event_and_returns_the_first_result() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let input = json!({"input": {"id": Uuid::new_v4(), "receivedAt": ago(30), "channel": "APP", "region": "NORTHWEST",
                                  "callerType": "ANONYMOUS", "category": "COUNSELLING"}});
    let first = app
        .gql(&counsellor, &receive_call_doc(), input.clone())
        .await;
    let again = app
        .gql(&counsellor, &receive_call_doc(), input.clone())
        .await;
    assert_eq!(first.data("receiveCall"), again.data("receiveCall"));
    assert_eq!(count(&app, "CallReceived").await, 1);

    let mut different = input.clone();
    different["input"]["category"] = json!("INFORMATION");
    let conflict = app.gql(&counsellor, &receive_call_doc(), different).await;
    assert_eq!(conflict.code(), Some("CONFLICT"), "{}", conflict.body);
    assert_eq!(count(&app, "CallReceived").await, 1);
}

#[tokio::test]
async fn a_retried_referral_with_personal_text_is_recognised_and_its_first_result_returned_after_later_changes(
) {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let case = a_case(&app, &counsellor).await;
    let referral_id = Uuid::new_v4();
    let input = json!({"input": {"id": referral_id, "caseId": case, "agency": "WOMENS_UNION", "referredAt": ago(100),
                                  "personsAtRisk": 1, "consent": {"given": true}, "reason": "needs shelter"}});
    let first = app
        .gql(&counsellor, &send_referral_doc(), input.clone())
        .await;
    assert_eq!(first.data("sendReferral")["status"], "SENT");
    // The referral moves on; a late retry of the send still gets the send's own result.
    app.gql(&supervisor, &update_referral_doc(), json!({"input": {"caseId": case, "referralId": referral_id, "status": "ACKNOWLEDGED", "at": ago(90)}}))
        .await
        .data("updateReferral");
    let retry = app.gql(&counsellor, &send_referral_doc(), input).await;
    assert_eq!(retry.data("sendReferral"), first.data("sendReferral"));
    assert_eq!(count(&app, "ReferralSent").await, 1);
}

#[tokio::test]
async fn idempotency_keys_of_update_close_and_reopen_deduplicate_and_refuse_other_input() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let case = a_case(&app, &counsellor).await;
    let referral = a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    let ack = json!({"input": {"caseId": case, "referralId": referral, "status": "ACKNOWLEDGED", "at": ago(90), "idempotencyKey": "ack-1"}});
    let first = app
        .gql(&supervisor, &update_referral_doc(), ack.clone())
        .await;
    let again = app
        .gql(&supervisor, &update_referral_doc(), ack.clone())
        .await;
    assert_eq!(first.data("updateReferral"), again.data("updateReferral"));
    assert_eq!(count(&app, "ReferralStatusChanged").await, 1);
    let mut other = ack;
    other["input"]["status"] = json!("DECLINED");
    assert_eq!(
        app.gql(&supervisor, &update_referral_doc(), other)
            .await
            .code(),
        Some("CONFLICT")
    );

    let close = "mutation($input: CloseCaseInput!) { closeCase(input: $input) { status version } }";
    let input = json!({"input": {"caseId": case, "closedAt": ago(1), "reason": "resolved", "idempotencyKey": "close-1"}});
    let first = app.gql(&supervisor, close, input.clone()).await;
    let again = app.gql(&supervisor, close, input).await;
    assert_eq!(first.data("closeCase"), again.data("closeCase"));
    assert_eq!(count(&app, "CaseClosed").await, 1);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_record_once() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let input = json!({"input": {"id": Uuid::new_v4(), "caseId": case, "agency": "NGO", "referredAt": ago(100),
                                  "personsAtRisk": 4, "consent": {"given": true}}});
    let doc = send_referral_doc();
    let answers =
        futures::future::join_all((0..8).map(|_| app.gql(&counsellor, &doc, input.clone()))).await;
    for a in &answers {
        assert_eq!(a.data("sendReferral"), answers[0].data("sendReferral"));
    }
    assert_eq!(count(&app, "ReferralSent").await, 1);
}

/// Issue 18: a retried recordRescue recorded two rescues. With its client
/// `id`, as docs/GRAPHQL.md shows, retries (sequential or concurrent, by the
/// agency it was sent to) record one rescue and all get the first answer.
#[tokio::test]
async fn retrying_record_rescue_with_its_id_records_one_rescue_and_refuses_other_input() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let police = casetrail_tests::harness::agency_token(domain::values::Agency::CriminalPolice);
    let case = a_case(&app, &counsellor).await;
    let referral = a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    app.gql(&supervisor, &update_referral_doc(), json!({"input": {"caseId": case, "referralId": referral, "status": "ACKNOWLEDGED", "at": ago(90)}}))
        .await
        .data("updateReferral");
    let rescue = "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id caseId referralId rescuedAt personsRescued region country } }";
    let input = json!({"input": {"id": Uuid::new_v4(), "caseId": case, "referralId": referral, "rescuedAt": ago(60),
                                  "personsRescued": 2, "region": "OVERSEAS", "country": "CN"}});
    let first = app.gql(&police, rescue, input.clone()).await;
    let again = app.gql(&police, rescue, input.clone()).await;
    assert_eq!(first.data("recordRescue"), again.data("recordRescue"));
    let concurrent =
        futures::future::join_all((0..4).map(|_| app.gql(&police, rescue, input.clone()))).await;
    for answer in &concurrent {
        assert_eq!(answer.data("recordRescue"), first.data("recordRescue"));
    }
    assert_eq!(count(&app, "RescueRecorded").await, 1);

    let mut other = input;
    other["input"]["personsRescued"] = json!(3);
    let conflict = app.gql(&police, rescue, other).await;
    assert_eq!(conflict.code(), Some("CONFLICT"), "{}", conflict.body);
    assert_eq!(count(&app, "RescueRecorded").await, 1);

    let read = app.gql(&supervisor, &case_doc(), json!({"id": case})).await;
    let case = read.data("case");
    assert_eq!(case["rescues"].as_array().map(Vec::len), Some(1), "{case}");
    assert_eq!(case["referrals"][0]["personsRescued"], 2, "{case}");
}

fn token_of(sub: &str, role: Role, agency: Option<Agency>) -> String {
    api::auth::mint(&jwt(), sub, role, agency, 600).expect("token")
}

/// Receipts belong to their caller: the same key from another caller (another
/// subject, or the same subject for another agency) is another key. Neither
/// gets a CONFLICT, nor learns that the other used it.
#[tokio::test]
async fn two_callers_with_the_same_key_both_succeed_independently_and_each_retry_gets_its_own_result(
) {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let police = a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    let border = a_referral(&app, &counsellor, case, "BORDER_GUARD").await;
    // The same officer's subject under two agencies, and the same client key.
    let as_police = token_of("officer", Role::Agency, Some(Agency::CriminalPolice));
    let as_border = token_of("officer", Role::Agency, Some(Agency::BorderGuard));
    let at = ago(90);
    let ack = |referral: Uuid, status: &str| json!({"input": {"caseId": case, "referralId": referral, "status": status, "at": at, "idempotencyKey": "shared-key"}});
    let first = app
        .gql(
            &as_police,
            &update_referral_doc(),
            ack(police, "ACKNOWLEDGED"),
        )
        .await;
    assert_eq!(first.data("updateReferral")["status"], "ACKNOWLEDGED");
    let other = app
        .gql(&as_border, &update_referral_doc(), ack(border, "DECLINED"))
        .await;
    assert_eq!(other.data("updateReferral")["id"], json!(border));
    assert_eq!(other.data("updateReferral")["status"], "DECLINED");
    assert_eq!(count(&app, "ReferralStatusChanged").await, 2);
    let retry = app
        .gql(
            &as_police,
            &update_referral_doc(),
            ack(police, "ACKNOWLEDGED"),
        )
        .await;
    assert_eq!(retry.data("updateReferral"), first.data("updateReferral"));
    assert_eq!(count(&app, "ReferralStatusChanged").await, 2);

    // Two supervisors, one key, two cases.
    let other_case = a_case(&app, &counsellor).await;
    let close = "mutation($input: CloseCaseInput!) { closeCase(input: $input) { id status } }";
    for (sub, id) in [("supervisor-1", case), ("supervisor-2", other_case)] {
        let closed = app
            .gql(&token_of(sub, Role::Supervisor, None), close,
                json!({"input": {"caseId": id, "closedAt": ago(1), "reason": "resolved", "idempotencyKey": "close"}}))
            .await;
        assert_eq!(closed.data("closeCase")["id"], json!(id));
    }
    assert_eq!(count(&app, "CaseClosed").await, 2);
}

/// The fingerprint holds nothing of the personal data an erasure destroys:
/// the same request with another name stores the very same bytes (in
/// another database), and after the erasure a retry still gets the first
/// result.
#[tokio::test]
async fn a_receipt_does_not_depend_on_personal_data_so_nothing_of_an_erased_name_remains_in_it() {
    let (case, person) = (Uuid::new_v4(), Uuid::new_v4());
    let opened_at = ago(50);
    let input = |name: &str| {
        json!({"input": {"id": case, "openedAt": opened_at, "region": "NORTHWEST",
                          "persons": [{"id": person, "role": "VICTIM", "gender": "FEMALE", "fullName": name, "phone": "0901 234 567"}]}})
    };
    let mut stored = Vec::new();
    let mut apps = Vec::new();
    for name in ["Erasable Name", "Quite Another Name"] {
        let app = spawn_app().await;
        app.gql(&token(Role::Counsellor), &open_case_doc(), input(name))
            .await
            .data("openCase");
        stored.push(receipt_hash(&app).await);
        apps.push(app);
    }
    assert_eq!(
        stored[0], stored[1],
        "the stored bytes do not depend on the name"
    );

    let app = &apps[0];
    app.gql(
        &token(Role::Admin),
        "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id } }",
        json!({"input": {"caseId": case, "personId": person, "reason": "asked"}}),
    )
    .await
    .data("erasePerson");
    assert_eq!(receipt_hash(app).await, stored[1]);
    let retry = app
        .gql(
            &token(Role::Counsellor),
            &open_case_doc(),
            input("Erasable Name"),
        )
        .await;
    assert_eq!(retry.data("openCase")["persons"][0]["fullName"], "[erased]");
    assert_eq!(count(app, "CaseOpened").await, 1);
}

async fn receipt_hash(app: &TestApp) -> Vec<u8> {
    let owner = app.db.owner().await;
    sqlx::query_scalar(
        "SELECT request_hash FROM command_receipts WHERE idempotency_key LIKE 'openCase:%'",
    )
    .fetch_one(&owner)
    .await
    .expect("one receipt")
}
