//! An agency's handling of a referral, end to end over HTTP: it receives the
//! referral, reads the packet (persons' details only with consent, each
//! opening access-logged naming the agency), acknowledges, adds feedback,
//! hands it on; the new agency takes over and records a rescue; the old one
//! no longer acts on it; the case is counted once.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{agency_token, spawn_app, token, TestApp};
use domain::values::{Agency, Role};
use serde_json::{json, Value};
use uuid::Uuid;

const PACKET: &str = "query($case: UUID!, $referral: UUID!) { referralPacket(caseId: $case, referralId: $referral) { \
    referral { id agency status handedOn { from to } } region province exploitationTypes destinationCountry \
    personsAtRisk consentGiven reason persons { id role fullName phone nationality victimStatus { status authority } } \
    feedback { agency notes } } }";

async fn a_case_with_a_named_person(app: &TestApp) -> (Uuid, Uuid) {
    let counsellor = token(Role::Counsellor);
    let person = Uuid::new_v4();
    let opened = app
        .gql(&counsellor, &open_case_doc(), json!({"input": {"openedAt": ago(590), "province": "LAO_CAI",
            "exploitationTypes": ["FORCED_LABOUR"],
            "persons": [{"id": person, "role": "VICTIM", "gender": "MALE", "fullName": "Giàng A Páo", "phone": "+84 988 000 111"}]}}))
        .await;
    (id_of(opened.data("openCase")), person)
}

async fn refer(app: &TestApp, case: Uuid, consent: Value, by: Role) -> Uuid {
    let send = "mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }";
    let answer = app
        .gql(
            &token(by),
            send,
            json!({"input": {"caseId": case, "agency": "CRIMINAL_POLICE", "referredAt": ago(500),
            "personsAtRisk": 4, "consent": consent, "reason": "Workers held at a brick kiln"}}),
        )
        .await;
    id_of(answer.data("sendReferral"))
}

#[tokio::test]
async fn an_agency_handles_its_referral_from_packet_to_hand_on_and_the_next_agency_rescues() {
    let app = spawn_app().await;
    let (case, person) = a_case_with_a_named_person(&app).await;
    let counsellor = token(Role::Counsellor);
    let facts = "mutation($d: RecordDestinationInput!, $v: DecideVictimStatusInput!, $p: RecordPersonDetailsInput!) { \
        recordDestination(input: $d) { destinationCountry } decideVictimStatus(input: $v) { version } \
        recordPersonDetails(input: $p) { version } }";
    app.gql(&counsellor, facts, json!({
        "d": {"caseId": case, "country": "cn"},
        "v": {"caseId": case, "personId": person, "status": "SUSPECTED", "authority": "CRIMINAL_POLICE", "decidedAt": ago(580)},
        "p": {"caseId": case, "personId": person, "nationality": "VN", "ethnicity": "Hmông"}}))
        .await
        .data("recordDestination");
    let referral = refer(&app, case, json!({"given": true}), Role::Counsellor).await;
    let (police, border) = (
        agency_token(Agency::CriminalPolice),
        agency_token(Agency::BorderGuard),
    );
    let vars = json!({"case": case, "referral": referral});

    // The police read their packet.
    let packet = app.gql(&police, PACKET, vars.clone()).await;
    let p = packet.data("referralPacket");
    assert_eq!(p["region"], "NORTHWEST");
    assert_eq!(p["province"], "LAO_CAI");
    assert_eq!(p["exploitationTypes"], json!(["FORCED_LABOUR"]));
    assert_eq!(p["destinationCountry"], "CN");
    assert_eq!(p["personsAtRisk"], 4);
    assert_eq!(p["reason"], "Workers held at a brick kiln");
    assert_eq!(
        p["persons"][0]["fullName"], "Giàng A Páo",
        "consent covers the persons"
    );
    assert_eq!(p["persons"][0]["nationality"], "VN");
    assert_eq!(
        p["persons"][0]["victimStatus"],
        json!({"status": "SUSPECTED", "authority": "CRIMINAL_POLICE"})
    );
    // Another agency does not.
    assert_eq!(
        app.gql(&border, PACKET, vars.clone()).await.code(),
        Some("FORBIDDEN")
    );
    // The opening is in the access log, naming the agency.
    let log = app
        .gql(
            &token(Role::Auditor),
            "query($c: UUID) { accessLog(caseId: $c) { actorRole personId fields operation } }",
            json!({"c": case}),
        )
        .await;
    let entries = log
        .data("accessLog")
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        entries.iter().any(
            |e| e["operation"] == "anonymous/referralPacket/CRIMINAL_POLICE"
                && e["actorRole"] == "AGENCY"
                && e["personId"] == json!(person)
                && e["fields"] == json!(["fullName", "phone"])
        ),
        "{entries:?}"
    );

    // Acknowledge, write back, hand on.
    let update = update_referral_doc();
    let ack = |at: i64| json!({"input": {"caseId": case, "referralId": referral, "status": "ACKNOWLEDGED", "at": ago(at)}});
    app.gql(&police, &update, ack(400))
        .await
        .data("updateReferral");
    let feedback = "mutation($input: AddReferralFeedbackInput!) { addReferralFeedback(input: $input) { id agency } }";
    let note = json!({"input": {"id": Uuid::new_v4(), "caseId": case, "referralId": referral, "addedAt": ago(390),
        "notes": "Site located; border zone."}});
    let added = app.gql(&police, feedback, note.clone()).await;
    assert_eq!(
        added.data("addReferralFeedback")["agency"],
        "CRIMINAL_POLICE"
    );
    assert_eq!(
        app.gql(&police, feedback, note)
            .await
            .data("addReferralFeedback"),
        added.data("addReferralFeedback"),
        "a retry is the first answer"
    );
    let hand_on = "mutation($input: HandOnReferralInput!) { handOnReferral(input: $input) { id agency status handedOn { from to } } }";
    let handed = app
        .gql(
            &police,
            hand_on,
            json!({"input": {"caseId": case, "referralId": referral, "toAgency": "BORDER_GUARD",
            "at": ago(380), "reason": "Border zone", "idempotencyKey": "hand-1"}}),
        )
        .await;
    let h = handed.data("handOnReferral");
    assert_eq!(
        (h["agency"].clone(), h["status"].clone()),
        (json!("BORDER_GUARD"), json!("SENT"))
    );
    assert_eq!(
        h["handedOn"],
        json!([{"from": "CRIMINAL_POLICE", "to": "BORDER_GUARD"}])
    );

    // The police no longer act on it or read it.
    assert_eq!(
        app.gql(&police, &update, ack(370)).await.code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql(&police, PACKET, vars.clone()).await.code(),
        Some("FORBIDDEN")
    );
    let again = json!({"input": {"caseId": case, "referralId": referral, "toAgency": "COAST_GUARD", "at": ago(370)}});
    assert_eq!(
        app.gql(&police, hand_on, again).await.code(),
        Some("FORBIDDEN")
    );

    // The border guard takes over: packet with the chain and the feedback, then a rescue.
    let packet = app.gql(&border, PACKET, vars.clone()).await;
    let p = packet.data("referralPacket");
    assert_eq!(p["referral"]["agency"], "BORDER_GUARD");
    assert_eq!(
        p["feedback"],
        json!([{"agency": "CRIMINAL_POLICE", "notes": "Site located; border zone."}])
    );
    app.gql(&border, &update, ack(360))
        .await
        .data("updateReferral");
    let rescue =
        "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { personsRescued } }";
    app.gql(
        &border,
        rescue,
        json!({"input": {"caseId": case, "referralId": referral, "rescuedAt": ago(300),
        "personsRescued": 4, "region": "NORTHWEST"}}),
    )
    .await
    .data("recordRescue");

    // Lists follow the holder; the case counts once.
    caught_up(&app.db.as_app_role().await).await;
    let list = "{ referrals(first: 10) { totalCount edges { node { id agency status } } } }";
    let borders = app.gql(&border, list, json!({})).await;
    assert_eq!(borders.data("referrals")["totalCount"], 1);
    assert_eq!(
        borders.data("referrals")["edges"][0]["node"]["status"],
        "ACKNOWLEDGED"
    );
    assert_eq!(
        app.gql(&police, list, json!({})).await.data("referrals")["totalCount"],
        0
    );
    let stats = app
        .gql(&token(Role::Supervisor), "{ statistics(from: \"2020-01-01\", to: \"2030-12-31\") { referrals personsRescued casesOpened } }", json!({}))
        .await;
    assert_eq!(
        stats.data("statistics"),
        &json!({"referrals": 1, "personsRescued": 4, "casesOpened": 1})
    );
}

#[tokio::test]
async fn without_consent_the_agency_reads_no_personal_details_and_nothing_is_logged() {
    let app = spawn_app().await;
    let (case, _) = a_case_with_a_named_person(&app).await;
    let overridden = json!({"given": false, "overrideReason": "Imminent danger"});
    let referral = refer(&app, case, overridden, Role::Supervisor).await;
    let packet = app
        .gql(
            &agency_token(Agency::CriminalPolice),
            PACKET,
            json!({"case": case, "referral": referral}),
        )
        .await;
    let p = packet.data("referralPacket");
    assert_eq!(p["consentGiven"], false);
    assert_eq!(p["persons"][0]["fullName"], Value::Null);
    assert_eq!(p["persons"][0]["phone"], Value::Null);
    assert_eq!(
        p["persons"][0]["role"], "VICTIM",
        "the non-personal facts are shared"
    );
    assert!(!packet.body.to_string().contains("Giàng"));
    let log = app
        .gql(
            &token(Role::Auditor),
            "query($c: UUID) { accessLog(caseId: $c) { operation } }",
            json!({"c": case}),
        )
        .await;
    assert!(log.data("accessLog").as_array().is_some_and(|e| e
        .iter()
        .all(|x| x["operation"] != "anonymous/referralPacket/CRIMINAL_POLICE")));
}
