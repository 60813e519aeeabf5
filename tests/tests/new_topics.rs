//! New counselling topics and call categories without a release (issue 14),
//! over real HTTP: ADMIN adds a topic and a category (each with the contract
//! value it reports as); a counsellor records a call and a session naming
//! them; the call and the session show the codes and their classes, the
//! statistics count them under their classes, and the rules check them on
//! the day the call or session happened. Also: an added agency's referrals
//! are found by the agency filter of its class.

use casetrail_tests::fixtures::{a_case, ago, caught_up, update_referral_doc};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use casetrail_tests::live::{live_position, LiveClient};
use chrono::{FixedOffset, Utc};
use domain::values::Role;
use serde_json::{json, Value};

const CHANGE: &str = "mutation($i: ChangeReferenceDataInput!) { changeReferenceData(input: $i) { \
    kind code reportsAs version } }";
const RECEIVE: &str = "mutation($input: ReceiveCallInput!) { receiveCall(input: $input) { \
    id category categoryCode topics topicCodes } }";
const SESSION: &str = "mutation($input: RecordCounsellingSessionInput!) { \
    recordCounsellingSession(input: $input) { counsellingSessions { topics topicCodes } } }";
const STATISTICS: &str = "query($from: Date!, $to: Date!) { statistics(from: $from, to: $to) { \
    counsellingCalls callsByCategory { category count } counsellingCallsByTopic { code count } } }";

/// The hotline's calendar day `days` from today (Asia/Ho_Chi_Minh, UTC+7).
fn hotline_day(days: i64) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    (Utc::now().with_timezone(&offset) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn added(kind: &str, code: &str, valid_from: &str, reports_as: &str) -> Value {
    json!({"i": {"kind": kind, "code": code, "validFrom": valid_from, "name": "mới",
        "reportsAs": reports_as, "source": "the ministry's new reporting form"}})
}

fn message_of(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

fn count_of(list: &Value, key: &str, code: &str) -> Option<i64> {
    list.as_array()?.iter().find(|c| c[key] == code)?["count"].as_i64()
}

async fn receive(app: &TestApp, input: Value) -> Value {
    app.gql(&token(Role::Counsellor), RECEIVE, json!({ "input": input }))
        .await
        .body
}

#[tokio::test]
async fn admin_adds_a_topic_and_a_category_and_counsellors_record_them() {
    let app = spawn_app().await;
    let admin = token(Role::Admin);
    let opens = hotline_day(-2);
    let call = |category: &str, code: Option<&str>, topics: Value, at: String| {
        json!({"receivedAt": at, "channel": "VOICE", "region": "RED_RIVER_DELTA",
            "callerType": "VICTIM", "category": category, "categoryCode": code, "topicCodes": topics})
    };

    // Before ADMIN adds it, the topic is unknown: refused, naming it.
    let unknown = receive(
        &app,
        call("COUNSELLING", None, json!(["ONLINE_RECRUITMENT"]), ago(60)),
    )
    .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{unknown}"
    );
    assert!(
        message_of(&unknown).contains("ONLINE_RECRUITMENT"),
        "{unknown}"
    );

    let topic = app
        .gql(
            &admin,
            CHANGE,
            added("COUNSELLING_TOPIC", "ONLINE_RECRUITMENT", &opens, "LEGAL"),
        )
        .await;
    assert_eq!(
        topic.data("changeReferenceData"),
        &json!({"kind": "COUNSELLING_TOPIC", "code": "ONLINE_RECRUITMENT", "reportsAs": "LEGAL", "version": 1})
    );
    let category = app
        .gql(
            &admin,
            CHANGE,
            added("CALL_CATEGORY", "PARTNER_APP_REPORT", &opens, "COUNSELLING"),
        )
        .await;
    assert_eq!(category.data("changeReferenceData")["version"], 2);

    // A call before the topic's first day is refused; on it, accepted with code and class.
    let early = receive(
        &app,
        call(
            "COUNSELLING",
            None,
            json!(["ONLINE_RECRUITMENT"]),
            ago(4 * 24 * 60),
        ),
    )
    .await;
    assert!(
        message_of(&early).contains("'ONLINE_RECRUITMENT' is not in force"),
        "{early}"
    );
    let received = receive(
        &app,
        call(
            "COUNSELLING",
            Some("PARTNER_APP_REPORT"),
            json!(["ONLINE_RECRUITMENT", "POLICY"]),
            ago(60),
        ),
    )
    .await;
    let received = &received["data"]["receiveCall"];
    assert_eq!(
        (&received["category"], &received["categoryCode"]),
        (&json!("COUNSELLING"), &json!("PARTNER_APP_REPORT")),
        "{received}"
    );
    assert_eq!(received["topics"], json!(["POLICY", "LEGAL"]), "{received}");
    assert_eq!(
        received["topicCodes"],
        json!(["ONLINE_RECRUITMENT", "POLICY"])
    );

    // The enum given with a code must be its class.
    let mismatch = receive(
        &app,
        call(
            "INFORMATION",
            Some("PARTNER_APP_REPORT"),
            json!(null),
            ago(50),
        ),
    )
    .await;
    assert!(
        message_of(&mismatch)
            .contains("'PARTNER_APP_REPORT' reports as COUNSELLING, not INFORMATION"),
        "{mismatch}"
    );

    // The counsellor's session names the added topic by its code alone.
    let session = app
        .gql(
            &token(Role::Counsellor),
            SESSION,
            json!({"input": {"callId": received["id"], "startedAt": ago(55), "durationMinutes": 15,
                "topics": [], "topicCodes": ["ONLINE_RECRUITMENT"]}}),
        )
        .await;
    assert_eq!(
        session.data("recordCounsellingSession")["counsellingSessions"],
        json!([{"topics": ["LEGAL"], "topicCodes": ["ONLINE_RECRUITMENT"]}])
    );
    // A call naming contract values answers them as its codes.
    let plain = receive(&app, call("INFORMATION", None, json!(null), ago(40))).await;
    assert_eq!(
        plain["data"]["receiveCall"]["categoryCode"], "INFORMATION",
        "{plain}"
    );

    // The statistics count the call under its classes.
    caught_up(&app.db.owner().await).await;
    let answer = app
        .gql(
            &token(Role::Supervisor),
            STATISTICS,
            json!({"from": hotline_day(-1), "to": hotline_day(0)}),
        )
        .await;
    let statistics = answer.data("statistics");
    assert_eq!(statistics["counsellingCalls"], 1, "{statistics}");
    assert_eq!(
        count_of(&statistics["callsByCategory"], "category", "COUNSELLING"),
        Some(1)
    );
    let topics = &statistics["counsellingCallsByTopic"];
    assert_eq!(count_of(topics, "code", "LEGAL"), Some(1), "{topics}");
    assert_eq!(count_of(topics, "code", "POLICY"), Some(1), "{topics}");

    // A correction names an added category by its code alone; its class follows.
    let corrected = app
        .gql(
            &token(Role::Supervisor),
            "mutation($input: CorrectCallInput!) { correctCall(input: $input) { \
                category categoryCode topics topicCodes } }",
            json!({"input": {"callId": plain["data"]["receiveCall"]["id"],
                "categoryCode": "PARTNER_APP_REPORT", "topicCodes": ["ONLINE_RECRUITMENT"],
                "reason": "the caller came through the partner's app"}}),
        )
        .await;
    assert_eq!(
        corrected.data("correctCall"),
        &json!({"category": "COUNSELLING", "categoryCode": "PARTNER_APP_REPORT",
            "topics": ["LEGAL"], "topicCodes": ["ONLINE_RECRUITMENT"]})
    );
}

#[tokio::test]
async fn an_added_agencys_referrals_are_found_and_updated_under_its_class() {
    let app = spawn_app().await;
    let admin = token(Role::Admin);
    let shelter = json!({"i": {"kind": "AGENCY", "code": "HA_NOI_SHELTER", "validFrom": hotline_day(-2),
        "name": "Nhà tạm lánh Hà Nội", "ministry": "MINISTRY_OF_HEALTH", "reportsAs": "NGO",
        "source": "decision opening the shelter"}});
    assert_eq!(
        app.gql(&admin, CHANGE, shelter)
            .await
            .data("changeReferenceData")["version"],
        1
    );
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let now = live_position(&app, &supervisor).await;
    let mut live = LiveClient::open(&app.address, &supervisor).await;
    live.subscribe(
        "r",
        "subscription($after: String) { referralUpdated(after: $after) { event agency agencyCode status } }",
        json!({"after": now}),
    )
    .await;
    let case = a_case(&app, &counsellor).await;
    let send = "mutation($input: SendReferralInput!) { sendReferral(input: $input) { id agency agencyCode } }";
    let sent = app
        .gql(
            &counsellor,
            send,
            json!({"input": {"caseId": case, "agency": "NGO", "agencyCode": "HA_NOI_SHELTER",
                "referredAt": ago(60), "personsAtRisk": 1, "consent": {"given": true}}}),
        )
        .await;
    let sent = sent.data("sendReferral").clone();
    caught_up(&app.db.owner().await).await;
    let by_class = |agency: &str| {
        format!("{{ referrals(first: 20, filter: {{agency: {agency}}}) {{ totalCount edges {{ node {{ id agencyCode }} }} }} }}")
    };
    let ngo = app.gql(&supervisor, &by_class("NGO"), json!({})).await;
    assert_eq!(
        ngo.data("referrals")["edges"],
        json!([{"node": {"id": sent["id"], "agencyCode": "HA_NOI_SHELTER"}}])
    );
    let police = app
        .gql(&supervisor, &by_class("CRIMINAL_POLICE"), json!({}))
        .await;
    assert_eq!(police.data("referrals")["totalCount"], 0);

    // Every live update of the shelter's referral answers the class it was sent with.
    let moved = app
        .gql(
            &supervisor,
            &update_referral_doc(),
            json!({"input": {"referralId": sent["id"], "caseId": case, "status": "ACKNOWLEDGED", "at": ago(50)}}),
        )
        .await;
    assert!(moved.body.get("errors").is_none(), "{}", moved.body);
    let first = live.next_data("r").await["referralUpdated"].clone();
    let second = live.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        [first, second],
        [
            json!({"event": "ReferralSent", "agency": "NGO", "agencyCode": "HA_NOI_SHELTER", "status": "SENT"}),
            json!({"event": "ReferralStatusChanged", "agency": "NGO", "agencyCode": "HA_NOI_SHELTER",
                "status": "ACKNOWLEDGED"}),
        ]
    );
}
