//! Subscriptions over graphql-transport-ws, with a real WebSocket client:
//! delivery after commit in log order, resuming after a reconnect, the
//! protocol's messages and close codes, and the role table.

use casetrail_tests::fixtures::{a_call, a_case, a_referral, ago, update_referral_doc};
use casetrail_tests::harness::{agency_token, jwt, metric_value, spawn_app, token};
use casetrail_tests::live::{live_position, LiveClient, Said};
use domain::values::{Agency, Role};
use serde_json::{json, Value};

const CALLS: &str =
    "subscription($after: String) { callReceived(after: $after) { position id channel } }";
const REFERRALS: &str = "subscription($after: String) { \
    referralUpdated(after: $after) { position event referralId caseId agency status } }";
const CASES: &str = "subscription($id: UUID!, $after: String) { \
    caseUpdated(caseId: $id, after: $after) { position caseId event version } }";

#[tokio::test]
async fn calls_arrive_in_log_order_and_a_reconnect_resumes_without_a_gap() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let now = live_position(&app, &counsellor).await;
    let mut board = LiveClient::open(&app.address, &counsellor).await;
    board.subscribe("calls", CALLS, json!({"after": now})).await;
    // Whatever a subscriber receives came from the log: record, then read.
    let mut recorded = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..3 {
        recorded.push(a_call(&app, &counsellor).await.to_string());
        seen.push(board.next_data("calls").await["callReceived"].clone());
    }
    let ids: Vec<&str> = seen
        .iter()
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, recorded);
    let last = seen[2]["position"]
        .as_str()
        .expect("a position")
        .to_string();
    board.close().await;

    // Recorded while nobody listens, then asked for after the last position seen.
    let missed = [
        a_call(&app, &counsellor).await.to_string(),
        a_call(&app, &counsellor).await.to_string(),
    ];
    let mut board = LiveClient::open(&app.address, &counsellor).await;
    board
        .subscribe("calls", CALLS, json!({"after": last}))
        .await;
    for id in &missed {
        assert_eq!(
            board.next_data("calls").await["callReceived"]["id"],
            *id.as_str()
        );
    }
    let live = a_call(&app, &counsellor).await.to_string();
    assert_eq!(
        board.next_data("calls").await["callReceived"]["id"],
        live.as_str()
    );

    // From the start of the log: every call, in the order recorded.
    let mut replay = LiveClient::open(&app.address, &counsellor).await;
    replay
        .subscribe("all", CALLS, json!({"after": "0.0"}))
        .await;
    let everything: Vec<String> = recorded
        .iter()
        .chain(&missed)
        .chain([&live])
        .cloned()
        .collect();
    let mut positions = Vec::new();
    for id in &everything {
        let update = replay.next_data("all").await["callReceived"].clone();
        assert_eq!(update["id"], id.as_str());
        positions.push(update["position"].as_str().unwrap_or_default().to_string());
    }
    assert!(positions.iter().all(|p| !p.is_empty()));
}

#[tokio::test]
async fn the_protocol_acknowledges_answers_pings_and_completes() {
    let app = spawn_app().await;
    let mut client = LiveClient::open(&app.address, &token(Role::Supervisor)).await;
    client.send(json!({"type": "ping"})).await;
    assert_eq!(client.said().await, Said::Message(json!({"type": "pong"})));
    // A single-result operation: one next, then complete.
    client
        .subscribe("q", "{ referenceData { regions { code } } }", json!({}))
        .await;
    let data = client.next_data("q").await;
    assert!(data["referenceData"]["regions"].is_array(), "{data}");
    assert_eq!(
        client.said().await,
        Said::Message(json!({"id": "q", "type": "complete"}))
    );
    // A document that does not validate: error, and nothing else for that id.
    client
        .subscribe("bad", "subscription { noSuchField }", json!({}))
        .await;
    match client.said().await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["id"], "bad");
            assert_eq!(
                m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A bad resume position is the client's error, not the server's.
    client
        .subscribe("pos", CALLS, json!({"after": "not-a-position"}))
        .await;
    match client.said().await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(
                m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A subscription the client completes sends nothing more; the socket lives on.
    client.subscribe("c", CALLS, json!({})).await;
    client.send(json!({"id": "c", "type": "complete"})).await;
    client.send(json!({"type": "ping"})).await;
    assert_eq!(client.said().await, Said::Message(json!({"type": "pong"})));
}

#[tokio::test]
async fn close_codes_follow_the_protocol() {
    let app = spawn_app().await;
    // Subscribing before connection_init: 4401.
    let mut early = LiveClient::connect(&app.address).await;
    early.subscribe("1", CALLS, json!({})).await;
    assert_eq!(early.close_code().await, 4401);
    // A token that does not verify: 4403.
    let mut forged = LiveClient::connect(&app.address).await;
    forged.init("not.a.token").await;
    assert_eq!(forged.close_code().await, 4403);
    // No token at all: 4403.
    let mut anonymous = LiveClient::connect(&app.address).await;
    anonymous
        .send(json!({"type": "connection_init", "payload": {}}))
        .await;
    assert_eq!(anonymous.close_code().await, 4403);
    // Two connection_init: 4429.
    let mut twice = LiveClient::open(&app.address, &token(Role::Counsellor)).await;
    twice.init(&token(Role::Counsellor)).await;
    assert_eq!(twice.close_code().await, 4429);
    // The same id twice while the first runs: 4409.
    let mut duplicate = LiveClient::open(&app.address, &token(Role::Counsellor)).await;
    duplicate.subscribe("same", CALLS, json!({})).await;
    duplicate.subscribe("same", CALLS, json!({})).await;
    assert_eq!(duplicate.close_code().await, 4409);
    // Not JSON, or not a message of the protocol: 4400.
    let mut garbled = LiveClient::open(&app.address, &token(Role::Counsellor)).await;
    garbled.send(json!({"type": "shout"})).await;
    assert_eq!(garbled.close_code().await, 4400);
    // Without the subprotocol: 4406.
    let mut other = LiveClient::connect_with(&app.address, None).await;
    assert_eq!(other.close_code().await, 4406);
    // No connection_init at all: 4408 once the initialisation timeout passes.
    let mut silent = LiveClient::connect(&app.address).await;
    assert_eq!(silent.close_code().await, 4408);
    let closed = metric_value(
        &app.client,
        &app.address,
        "casetrail_subscription_sockets_closed_total{reason=\"unauthorised\"} ",
    )
    .await;
    assert!(closed >= 2, "{closed}");
}

#[tokio::test]
async fn an_expired_token_closes_the_socket() {
    let app = spawn_app().await;
    let short = api::auth::mint(&jwt(), "lan", Role::Counsellor, None, 1).expect("token");
    let mut client = LiveClient::open(&app.address, &short).await;
    client.subscribe("calls", CALLS, json!({})).await;
    assert_eq!(client.close_code().await, 4401);
}

#[tokio::test]
async fn an_agency_sees_only_its_own_referrals_and_hotline_roles_see_all() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let now = live_position(&app, &supervisor).await;
    let mut police = LiveClient::open(&app.address, &agency_token(Agency::CriminalPolice)).await;
    police
        .subscribe("r", REFERRALS, json!({"after": now}))
        .await;
    let mut hotline = LiveClient::open(&app.address, &token(Role::Counsellor)).await;
    hotline
        .subscribe("r", REFERRALS, json!({"after": now}))
        .await;

    let case = a_case(&app, &supervisor).await;
    let border = a_referral(&app, &supervisor, case, "BORDER_GUARD").await;
    let ours = a_referral(&app, &supervisor, case, "CRIMINAL_POLICE").await;
    let moved = app
        .gql(
            &supervisor,
            &update_referral_doc(),
            json!({"input": {"referralId": ours, "caseId": case, "status": "ACKNOWLEDGED", "at": ago(400)}}),
        )
        .await;
    assert!(moved.body.get("errors").is_none(), "{}", moved.body);

    let first = police.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        first["referralId"],
        ours.to_string().as_str(),
        "the border guard's referral is not shown"
    );
    assert_eq!(first["agency"], "CRIMINAL_POLICE");
    assert_eq!(first["status"], "SENT");
    let second = police.next_data("r").await["referralUpdated"].clone();
    assert_eq!(second["event"], "ReferralStatusChanged");
    assert_eq!(second["status"], "ACKNOWLEDGED");
    assert_eq!(
        second["agency"], "CRIMINAL_POLICE",
        "the agency is known for a status change too"
    );

    let seen: Vec<Value> = [
        hotline.next_data("r").await,
        hotline.next_data("r").await,
        hotline.next_data("r").await,
    ]
    .into_iter()
    .map(|d| d["referralUpdated"]["referralId"].clone())
    .collect();
    assert_eq!(
        seen,
        [
            json!(border.to_string()),
            json!(ours.to_string()),
            json!(ours.to_string())
        ]
    );
}

#[tokio::test]
async fn a_case_subscription_follows_that_case_only() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let watched = a_case(&app, &counsellor).await;
    let now = live_position(&app, &counsellor).await;
    let mut client = LiveClient::open(&app.address, &counsellor).await;
    client
        .subscribe("c", CASES, json!({"id": watched, "after": now}))
        .await;
    let other = a_case(&app, &counsellor).await;
    a_referral(&app, &counsellor, other, "WOMENS_UNION").await;
    a_referral(&app, &counsellor, watched, "WOMENS_UNION").await;
    let update = client.next_data("c").await["caseUpdated"].clone();
    assert_eq!(update["caseId"], watched.to_string().as_str());
    assert_eq!(update["event"], "ReferralSent");
    assert!(update["version"].as_i64().unwrap_or(0) >= 2, "{update}");
    // A case that does not exist: NOT_FOUND, as an error message.
    client
        .subscribe("none", CASES, json!({"id": uuid::Uuid::new_v4()}))
        .await;
    match client.said().await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["payload"][0]["extensions"]["code"], "NOT_FOUND", "{m}");
        }
        other => panic!("{other:?}"),
    }
}

/// Each subscription for every role: refused (FORBIDDEN, as an `error`
/// message) exactly where the policy refuses, delivered where it allows.
#[tokio::test]
async fn every_role_gets_exactly_the_subscriptions_the_policy_gives_it() {
    use api::policy::{allows, Capability};
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let case = a_case(&app, &supervisor).await;
    let fields: [(&str, &str, Capability); 3] = [
        ("callReceived", CALLS, Capability::FollowCalls),
        ("referralUpdated", REFERRALS, Capability::ReadReferrals),
        ("caseUpdated", CASES, Capability::FollowCases),
    ];
    for role in Role::ALL.iter().copied() {
        let now = live_position(&app, &supervisor).await;
        let mut client = LiveClient::open(&app.address, &token(role)).await;
        for (field, query, capability) in fields {
            client
                .subscribe(field, query, json!({"id": case, "after": now}))
                .await;
            if !allows(role, capability) {
                match client.said().await {
                    Said::Message(m) => {
                        assert_eq!(m["type"], "error", "{role:?} {field}: {m}");
                        assert_eq!(m["payload"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
                    }
                    other => panic!("{role:?} {field}: {other:?}"),
                }
            }
        }
        // One event of each kind; a subscriber allowed a field gets it (the
        // AGENCY token's agency is CRIMINAL_POLICE).
        a_call(&app, &supervisor).await;
        a_referral(&app, &supervisor, case, "CRIMINAL_POLICE").await;
        let mut expected: Vec<&str> = fields
            .iter()
            .filter(|(_, _, c)| allows(role, *c))
            .map(|(f, _, _)| *f)
            .collect();
        let mut got = Vec::new();
        for _ in 0..expected.len() {
            match client.said().await {
                Said::Message(m) if m["type"] == "next" => {
                    got.push(m["id"].as_str().unwrap_or_default().to_string())
                }
                other => panic!("{role:?}: {other:?}"),
            }
        }
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{role:?}");
        client.close().await;
    }
}

/// `livePosition` for every role: a position for those that may follow
/// anything live, FORBIDDEN for the others.
#[tokio::test]
async fn the_live_position_is_for_the_roles_that_follow_something() {
    use api::policy::{allows, Capability};
    let app = spawn_app().await;
    let follow = [
        Capability::ReadReferrals,
        Capability::FollowCases,
        Capability::FollowCalls,
    ];
    for role in Role::ALL.iter().copied() {
        let answer = app.gql(&token(role), "{ livePosition }", json!({})).await;
        if follow.iter().any(|c| allows(role, *c)) {
            assert_eq!(answer.data("livePosition"), "0.0", "{role:?}: an empty log");
        } else {
            assert_eq!(
                answer.code(),
                Some("FORBIDDEN"),
                "{role:?}: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn sockets_and_updates_are_counted_in_metrics() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let now = live_position(&app, &counsellor).await;
    let mut client = LiveClient::open(&app.address, &counsellor).await;
    client
        .subscribe("calls", CALLS, json!({"after": now}))
        .await;
    a_call(&app, &counsellor).await;
    client.next_data("calls").await;
    let metric = |line: &'static str| metric_value(&app.client, &app.address, line);
    assert!(metric("casetrail_subscription_sockets ").await >= 1);
    assert!(metric("casetrail_subscriptions ").await >= 1);
    assert!(metric("casetrail_subscription_updates_total ").await >= 1);
}

/// After a hand-on, the agency now holding the referral hears of it (as
/// SENT, then its own updates) and the agency it came from hears nothing
/// more: its next update is a later referral of its own.
#[tokio::test]
async fn a_referral_handed_on_is_followed_by_its_new_holder_only() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let police_token = agency_token(Agency::CriminalPolice);
    let border_token = agency_token(Agency::BorderGuard);
    let now = live_position(&app, &supervisor).await;
    let mut police = LiveClient::open(&app.address, &police_token).await;
    police
        .subscribe("r", REFERRALS, json!({"after": now}))
        .await;
    let mut border = LiveClient::open(&app.address, &border_token).await;
    border
        .subscribe("r", REFERRALS, json!({"after": now}))
        .await;

    let case = a_case(&app, &supervisor).await;
    let handed = a_referral(&app, &supervisor, case, "CRIMINAL_POLICE").await;
    let on = app
        .gql(
            &police_token,
            "mutation($input: HandOnReferralInput!) { handOnReferral(input: $input) { id } }",
            json!({"input": {"caseId": case, "referralId": handed, "toAgency": "BORDER_GUARD",
                             "at": ago(420), "reason": "Border zone"}}),
        )
        .await;
    assert!(on.body.get("errors").is_none(), "{}", on.body);
    let acknowledged = app
        .gql(
            &border_token,
            &update_referral_doc(),
            json!({"input": {"referralId": handed, "caseId": case, "status": "ACKNOWLEDGED", "at": ago(410)}}),
        )
        .await;
    assert!(
        acknowledged.body.get("errors").is_none(),
        "{}",
        acknowledged.body
    );
    let later = a_referral(&app, &supervisor, case, "CRIMINAL_POLICE").await;

    let first = police.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        (first["referralId"].clone(), first["event"].clone()),
        (json!(handed.to_string()), json!("ReferralSent"))
    );
    let next = police.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        (next["referralId"].clone(), next["event"].clone()),
        (json!(later.to_string()), json!("ReferralSent")),
        "the police hear nothing of a referral they handed on"
    );

    let received = border.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        (
            received["event"].clone(),
            received["agency"].clone(),
            received["status"].clone()
        ),
        (
            json!("ReferralHandedOn"),
            json!("BORDER_GUARD"),
            json!("SENT")
        )
    );
    let own = border.next_data("r").await["referralUpdated"].clone();
    assert_eq!(
        (
            own["event"].clone(),
            own["agency"].clone(),
            own["status"].clone()
        ),
        (
            json!("ReferralStatusChanged"),
            json!("BORDER_GUARD"),
            json!("ACKNOWLEDGED")
        )
    );
}
