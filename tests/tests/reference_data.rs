//! Reference data a person can read: `referenceData` over GraphQL for every
//! role, and `casetrail reference provinces` from the real binary, both from
//! the same table the rules check against.

use casetrail_tests::fixtures::{ago, receive_call_doc};
use casetrail_tests::harness::{agency_token, post_graphql, spawn_app, token};
use domain::values::{Agency, Role};
use serde_json::{json, Value};

const QUERY: &str = "query($on: Date) { referenceData(on: $on) { \
    provinces { code name region validFrom validTo successor } regions { code name englishName } } }";

fn province<'a>(data: &'a Value, code: &str) -> Option<&'a Value> {
    data["provinces"]
        .as_array()?
        .iter()
        .find(|p| p["code"] == code)
}

#[tokio::test]
async fn every_role_reads_the_provinces_of_a_day_with_names_validity_and_successors() {
    let app = spawn_app().await;
    let mut tokens: Vec<String> = [
        Role::Counsellor,
        Role::Supervisor,
        Role::Auditor,
        Role::Analyst,
        Role::Admin,
    ]
    .into_iter()
    .map(token)
    .collect();
    tokens.push(agency_token(Agency::CriminalPolice));
    for t in &tokens {
        let answer = app.gql(t, QUERY, json!({ "on": "2025-07-01" })).await;
        let data = answer.data("referenceData");
        assert_eq!(
            data["provinces"].as_array().map(Vec::len),
            Some(34),
            "{data}"
        );
        assert_eq!(data["regions"].as_array().map(Vec::len), Some(10), "{data}");
    }

    let before = app
        .gql(&tokens[0], QUERY, json!({ "on": "2025-06-30" }))
        .await;
    let before = before.data("referenceData");
    assert_eq!(before["provinces"].as_array().map(Vec::len), Some(63));
    assert_eq!(
        province(before, "HA_GIANG"),
        Some(
            &json!({"code": "HA_GIANG", "name": "Hà Giang", "region": "NORTHEAST",
                     "validFrom": null, "validTo": "2025-06-30", "successor": "TUYEN_QUANG"})
        )
    );
    let all = app.gql(&tokens[0], QUERY, json!({})).await;
    let all = all.data("referenceData");
    assert_eq!(all["provinces"].as_array().map(Vec::len), Some(63));
    assert_eq!(
        province(all, "HO_CHI_MINH"),
        Some(
            &json!({"code": "HO_CHI_MINH", "name": "Hồ Chí Minh", "region": "SOUTHEAST",
                     "validFrom": null, "validTo": null, "successor": null})
        )
    );
    assert!(all["regions"]
        .as_array()
        .is_some_and(|r| r.contains(&json!({"code": "RED_RIVER_DELTA",
            "name": "Đồng bằng sông Hồng", "englishName": "Red River Delta"}))));

    let bad = app
        .gql(&tokens[0], QUERY, json!({ "on": "1 July 2025" }))
        .await;
    assert_eq!(bad.code(), Some("BAD_USER_INPUT"), "{}", bad.body);
    let anonymous = post_graphql(&app.client, &app.address, None, QUERY, json!({})).await;
    assert_eq!(
        anonymous.code(),
        Some("UNAUTHENTICATED"),
        "{}",
        anonymous.body
    );
}

#[tokio::test]
async fn a_province_name_sent_to_the_api_is_refused_with_the_code_it_meant() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    for (written, hint) in [
        ("Hà Nội", Some("did you mean HA_NOI (Hà Nội)?")),
        ("HA_NOl", Some("did you mean HA_NOI (Hà Nội)?")),
        ("Atlantis", None),
    ] {
        let answer = app
            .gql(
                &counsellor,
                &receive_call_doc(),
                json!({"input": {"receivedAt": ago(10), "channel": "VOICE", "province": written,
                                  "callerType": "VICTIM", "category": "INFORMATION"}}),
            )
            .await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
        let message = answer.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("province '{written}' is not a province code")),
            "{message}"
        );
        assert_eq!(
            hint.is_some_and(|h| message.contains(h)),
            hint.is_some(),
            "{message}"
        );
    }
    let owner = app.db.owner().await;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(events, 0, "nothing recorded");
}

#[test]
fn the_command_line_lists_the_same_provinces() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
            .args(args)
            .output()
            .expect("casetrail runs");
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let after = run(&[
        "reference",
        "provinces",
        "--on",
        "2025-07-01",
        "--format",
        "csv",
    ]);
    assert_eq!(after.lines().count(), 1 + 34);
    assert_eq!(
        after.lines().next(),
        Some("code,name,region,valid_from,valid_to,successor")
    );
    assert!(after
        .lines()
        .any(|l| l == "TUYEN_QUANG,Tuyên Quang,NORTHEAST,,,"));
    let all = run(&["reference", "provinces"]);
    let ha_giang = all.lines().find(|l| l.starts_with("HA_GIANG"));
    let cells: Vec<&str> = ha_giang.unwrap_or_default().split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "HA_GIANG",
            "Hà",
            "Giang",
            "NORTHEAST",
            "2025-06-30",
            "TUYEN_QUANG"
        ]
    );
    let regions = run(&["reference", "regions"]);
    assert!(regions.contains("Đồng bằng sông Cửu Long"), "{regions}");
}
