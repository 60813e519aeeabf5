//! New codes without a release (issue 14): over real HTTP, ADMIN adds an
//! agency (with its ministry and the contract value it reports as) and a
//! province of a new map (with its region); the rules check both against the
//! reference data of the day the thing happened; a counsellor refers a case
//! to the new agency, whose AGENCY token sees it; and a later
//! re-attribution changes nothing already recorded.

use casetrail_tests::fixtures::{
    a_case, a_referral, ago, caught_up, receive_call_doc, send_referral_doc,
};
use casetrail_tests::harness::{agency_token, spawn_app, token, TestApp};
use chrono::{FixedOffset, Utc};
use domain::values::{Agency, Role};
use serde_json::{json, Value};

const CHANGE: &str = "mutation($i: ChangeReferenceDataInput!) { changeReferenceData(input: $i) { \
    kind code validFrom name ministry region reportsAs version } }";
const REFERENCE: &str = "query($on: Date) { referenceData(on: $on) { \
    provinces { code region validFrom } agencies { code ministry reportsAs validFrom } } }";
const REFERRALS: &str =
    "{ referrals(first: 20) { totalCount edges { node { id agency agencyCode status } } } }";

/// The hotline's calendar day `days` from today (Asia/Ho_Chi_Minh, UTC+7).
fn hotline_day(days: i64) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    (Utc::now().with_timezone(&offset) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn shelter(valid_from: &str, reports_as: &str) -> Value {
    agency("HA_NOI_SHELTER", valid_from, reports_as)
}

fn agency(code: &str, valid_from: &str, reports_as: &str) -> Value {
    json!({"i": {"kind": "AGENCY", "code": code, "validFrom": valid_from,
        "name": "Nhà tạm lánh Hà Nội", "ministry": "MINISTRY_OF_HEALTH", "reportsAs": reports_as,
        "source": "decision opening the shelter"}})
}

fn refer(case: &str, agency: &str, code: Option<&str>, at: String) -> Value {
    json!({"input": {"caseId": case, "agency": agency, "agencyCode": code, "referredAt": at,
        "personsAtRisk": 1, "consent": {"given": true}}})
}

async fn referral_answer(app: &TestApp, input: Value) -> Value {
    let doc = send_referral_doc().replace("agency status", "agency agencyCode status");
    app.gql(&token(Role::Counsellor), &doc, input).await.body
}

fn code_of(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

fn message_of(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn admin_adds_an_agency_and_a_province_and_the_hotline_uses_them_the_same_day() {
    let app = spawn_app().await;
    let admin = token(Role::Admin);
    let case = a_case(&app, &token(Role::Counsellor)).await.to_string();
    let opens = hotline_day(-2);

    // Before ADMIN's change the shelter is unknown: refused, naming it.
    let unknown = referral_answer(&app, refer(&case, "NGO", Some("HA_NOI_SHELTER"), ago(60))).await;
    assert_eq!(code_of(&unknown), Some("BAD_USER_INPUT"), "{unknown}");
    assert!(message_of(&unknown).contains("HA_NOI_SHELTER"), "{unknown}");

    // A new agency needs the contract value it reports as.
    let mut classless = shelter(&opens, "NGO");
    classless["i"]["reportsAs"] = Value::Null;
    let refused = app.gql(&admin, CHANGE, classless).await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{}", refused.body);
    assert!(message_of(&refused.body).contains("reportsAs"));

    let added = app.gql(&admin, CHANGE, shelter(&opens, "NGO")).await;
    assert_eq!(
        added.data("changeReferenceData"),
        &json!({"kind": "AGENCY", "code": "HA_NOI_SHELTER", "validFrom": opens, "name": "Nhà tạm lánh Hà Nội",
                "ministry": "MINISTRY_OF_HEALTH", "region": null, "reportsAs": "NGO", "version": 1})
    );
    let island = json!({"i": {"kind": "PROVINCE", "code": "DAO_MOI", "validFrom": opens, "name": "Đảo Mới",
        "region": "SOUTHEAST", "source": "resolution creating the province"}});
    let added = app.gql(&admin, CHANGE, island).await;
    assert_eq!(added.data("changeReferenceData")["version"], 2);

    // referenceData(on:) lists both from their first day, not before.
    let today = app
        .gql(&admin, REFERENCE, json!({"on": hotline_day(0)}))
        .await;
    let today = today.data("referenceData");
    let listed = |data: &Value, list: &str, code: &str| {
        data[list]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["code"] == code).cloned())
    };
    assert_eq!(
        listed(today, "agencies", "HA_NOI_SHELTER"),
        Some(
            json!({"code": "HA_NOI_SHELTER", "ministry": "MINISTRY_OF_HEALTH", "reportsAs": "NGO", "validFrom": opens})
        )
    );
    assert_eq!(
        listed(today, "provinces", "DAO_MOI"),
        Some(json!({"code": "DAO_MOI", "region": "SOUTHEAST", "validFrom": opens}))
    );
    let before = app
        .gql(&admin, REFERENCE, json!({"on": hotline_day(-3)}))
        .await;
    assert_eq!(
        listed(before.data("referenceData"), "agencies", "HA_NOI_SHELTER"),
        None
    );

    // A call in the new province takes its region; before the province's first day it is refused.
    let call = |at: String| {
        json!({"input": {"receivedAt": at, "channel": "VOICE", "province": "DAO_MOI",
        "callerType": "VICTIM", "category": "INFORMATION"}})
    };
    let received = app
        .gql(&token(Role::Counsellor), &receive_call_doc(), call(ago(30)))
        .await;
    let received = received.data("receiveCall");
    assert_eq!(
        (&received["province"], &received["region"]),
        (&json!("DAO_MOI"), &json!("SOUTHEAST"))
    );
    let too_early = app
        .gql(
            &token(Role::Counsellor),
            &receive_call_doc(),
            call(ago(4 * 24 * 60)),
        )
        .await;
    assert_eq!(
        too_early.code(),
        Some("BAD_USER_INPUT"),
        "{}",
        too_early.body
    );
    assert!(message_of(&too_early.body).contains("DAO_MOI"));

    // The referral: its class must be the one given, and the shelter must be in force that day.
    let mismatch = referral_answer(
        &app,
        refer(&case, "CRIMINAL_POLICE", Some("HA_NOI_SHELTER"), ago(60)),
    )
    .await;
    assert_eq!(code_of(&mismatch), Some("BAD_USER_INPUT"), "{mismatch}");
    assert!(
        message_of(&mismatch).contains("reports as NGO"),
        "{mismatch}"
    );
    // An agency that opens tomorrow takes no referral today.
    let tomorrow = app
        .gql(
            &admin,
            CHANGE,
            agency("HUE_SHELTER", &hotline_day(1), "NGO"),
        )
        .await;
    assert_eq!(tomorrow.data("changeReferenceData")["version"], 3);
    let early = referral_answer(&app, refer(&case, "NGO", Some("HUE_SHELTER"), ago(60))).await;
    assert_eq!(code_of(&early), Some("BAD_USER_INPUT"), "{early}");
    assert!(
        message_of(&early).contains("agency 'HUE_SHELTER' is not in force"),
        "{early}"
    );
    let sent = referral_answer(&app, refer(&case, "NGO", Some("HA_NOI_SHELTER"), ago(60))).await;
    let sent = &sent["data"]["sendReferral"];
    assert_eq!(
        (&sent["agency"], &sent["agencyCode"]),
        (&json!("NGO"), &json!("HA_NOI_SHELTER")),
        "{sent}"
    );

    // The shelter's AGENCY token sees its referral, and acts on it; the police's does not see it.
    let shelter_officer = agency_token("HA_NOI_SHELTER".parse().expect("a code"));
    caught_up(&app.db.owner().await).await;
    let listed_for = |token: String| {
        let app = &app;
        async move {
            let answer = app.gql(&token, REFERRALS, json!({})).await;
            answer.data("referrals").clone()
        }
    };
    let list = listed_for(shelter_officer.clone()).await;
    assert_eq!(list["totalCount"], 1, "{list}");
    assert_eq!(
        list["edges"][0]["node"],
        json!({"id": sent["id"], "agency": "NGO", "agencyCode": "HA_NOI_SHELTER", "status": "SENT"})
    );
    let filtered = app
        .gql(
            &token(Role::Supervisor),
            "{ referrals(first: 20, filter: {agencyCode: \"HA_NOI_SHELTER\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered.data("referrals")["totalCount"], 1);
    let unknown_filter = app
        .gql(
            &token(Role::Supervisor),
            "{ referrals(first: 20, filter: {agencyCode: \"NOBODY\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        unknown_filter.code(),
        Some("BAD_USER_INPUT"),
        "{}",
        unknown_filter.body
    );
    let police = listed_for(agency_token(Agency::CriminalPolice)).await;
    assert_eq!(police["totalCount"], 0, "{police}");
    let acknowledged = app
        .gql(
            &shelter_officer,
            "mutation($i: UpdateReferralInput!) { updateReferral(input: $i) { status agencyCode } }",
            json!({"i": {"caseId": case, "referralId": sent["id"], "status": "ACKNOWLEDGED", "at": ago(50)}}),
        )
        .await;
    assert_eq!(
        acknowledged.data("updateReferral"),
        &json!({"status": "ACKNOWLEDGED", "agencyCode": "HA_NOI_SHELTER"})
    );

    // A token for an agency the reference data does not have is refused at its use.
    let stranger = agency_token("NO_SUCH_AGENCY".parse().expect("a code"));
    let refused = app.gql(&stranger, REFERRALS, json!({})).await;
    assert_eq!(refused.code(), Some("UNAUTHENTICATED"), "{}", refused.body);
    assert!(message_of(&refused.body).contains("NO_SUCH_AGENCY"));

    // ADMIN re-attributes the shelter over the same days: what was recorded keeps its class.
    let moved = app
        .gql(&admin, CHANGE, shelter(&opens, "SOCIAL_WORK_CENTRE"))
        .await;
    assert_eq!(
        moved.data("changeReferenceData")["reportsAs"],
        "SOCIAL_WORK_CENTRE"
    );
    let case_now = app
        .gql(
            &token(Role::Counsellor),
            "query($id: UUID!) { case(id: $id) { referrals { agency agencyCode } } }",
            json!({"id": case}),
        )
        .await;
    assert_eq!(
        case_now.data("case")["referrals"],
        json!([{"agency": "NGO", "agencyCode": "HA_NOI_SHELTER"}])
    );
    let statistics = "query($from: Date!, $to: Date!) { statistics(from: $from, to: $to) { \
        referralsByAgency { agency referrals } } }";
    caught_up(&app.db.owner().await).await;
    let answer = app
        .gql(
            &token(Role::Supervisor),
            statistics,
            json!({"from": hotline_day(-1), "to": hotline_day(0)}),
        )
        .await;
    let by_agency = &answer.data("statistics")["referralsByAgency"];
    assert!(
        by_agency
            .as_array()
            .is_some_and(|a| a.contains(&json!({"agency": "NGO", "referrals": 1}))),
        "the referral is counted under the class it was sent with: {by_agency}"
    );
}

#[tokio::test]
async fn the_police_hand_a_referral_on_to_an_added_agency_by_its_code() {
    let app = spawn_app().await;
    let added = app
        .gql(
            &token(Role::Admin),
            CHANGE,
            agency("HA_NOI_SHELTER", &hotline_day(-2), "SOCIAL_WORK_CENTRE"),
        )
        .await;
    assert_eq!(added.data("changeReferenceData")["version"], 1);
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let referral = a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    let hand_on = "mutation($i: HandOnReferralInput!) { handOnReferral(input: $i) { \
        agency agencyCode status handedOn { from to fromCode toCode } } }";
    let input = |to: &str, code: &str| {
        json!({"i": {"caseId": case, "referralId": referral, "toAgency": to, "toAgencyCode": code,
            "at": ago(10)}})
    };
    let police = agency_token(Agency::CriminalPolice);
    let mismatch = app
        .gql(&police, hand_on, input("NGO", "HA_NOI_SHELTER"))
        .await;
    assert_eq!(mismatch.code(), Some("BAD_USER_INPUT"), "{}", mismatch.body);
    assert!(message_of(&mismatch.body)
        .contains("toAgencyCode HA_NOI_SHELTER reports as SOCIAL_WORK_CENTRE"));
    let handed = app
        .gql(
            &police,
            hand_on,
            input("SOCIAL_WORK_CENTRE", "HA_NOI_SHELTER"),
        )
        .await;
    assert_eq!(
        handed.data("handOnReferral"),
        &json!({"agency": "SOCIAL_WORK_CENTRE", "agencyCode": "HA_NOI_SHELTER", "status": "SENT",
                "handedOn": [{"from": "CRIMINAL_POLICE", "to": "SOCIAL_WORK_CENTRE",
                              "fromCode": "CRIMINAL_POLICE", "toCode": "HA_NOI_SHELTER"}]})
    );
    // The shelter holds it now: it acknowledges it; the police no longer can.
    let acknowledge = |at: String| json!({"i": {"caseId": case, "referralId": referral, "status": "ACKNOWLEDGED", "at": at}});
    let update = "mutation($i: UpdateReferralInput!) { updateReferral(input: $i) { status } }";
    let refused = app.gql(&police, update, acknowledge(ago(5))).await;
    assert_eq!(refused.code(), Some("FORBIDDEN"), "{}", refused.body);
    let shelter = agency_token("HA_NOI_SHELTER".parse().expect("a code"));
    let acknowledged = app.gql(&shelter, update, acknowledge(ago(5))).await;
    assert_eq!(
        acknowledged.data("updateReferral"),
        &json!({"status": "ACKNOWLEDGED"})
    );
}

#[tokio::test]
async fn a_call_log_names_a_province_admin_added_from_its_first_day() {
    use api::commands::reference::ChangeReferenceDataInput;
    use api::commands::CommandService;
    use api::operations::import::import_calls;
    use domain::reference::dated::ReferenceKind;

    let db = casetrail_tests::harness::TestDatabase::create().await;
    let commands = CommandService::new(
        store::EventStore::new(db.as_app_role().await, vec![]),
        store::vault::Vault::new([7; 32]),
        domain::clock::Clock::system(),
    );
    let actor = store::Actor {
        subject: "records-clerk".into(),
        role: Role::Admin,
    };
    let ctx = store::CommandContext::new(actor, "new-map".into());
    let opens = hotline_day(-2).parse().expect("a date");
    let island = ChangeReferenceDataInput {
        kind: ReferenceKind::Province,
        code: "DAO_MOI".into(),
        valid_from: opens,
        valid_to: None,
        name: Some("Đảo Mới".into()),
        english_name: None,
        attributes: [("region".to_string(), "SOUTHEAST".to_string())].into(),
        source: "resolution creating the province".into(),
        idempotency_key: None,
    };
    commands
        .change_reference_data(&ctx, island)
        .await
        .map_err(|e| e.to_string())
        .expect("ADMIN adds the province");
    let log = format!(
        "channel,received_at,province,caller_type,category\n\
         VOICE,{} 09:00,DAO_MOI,VICTIM,INFORMATION\n\
         VOICE,{} 09:00,DAO_MOI,VICTIM,INFORMATION\n",
        hotline_day(-1),
        hotline_day(-5)
    );
    let report = import_calls(
        &commands,
        &ctx,
        chrono_tz::Asia::Ho_Chi_Minh,
        std::io::Cursor::new(log.into_bytes()),
        |_, _| {},
    )
    .await
    .map_err(|e| e.to_string())
    .expect("the log reads");
    assert_eq!(report.imported, 1, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].line, 3);
    assert!(report.rejected[0].reason.contains("DAO_MOI"), "{report:?}");
}
