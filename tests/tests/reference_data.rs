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

const AGENCIES: &str = "query($on: Date) { referenceData(on: $on) { \
    agencies { code name validFrom validTo ministry } ministries { code } counsellingTopics { code } } }";

fn ministry_of(data: &Value, code: &str) -> Option<Value> {
    data["agencies"]
        .as_array()?
        .iter()
        .find(|a| a["code"] == code)
        .map(|a| a["ministry"].clone())
}

#[tokio::test]
async fn admin_dates_a_change_of_ministry_and_reference_data_reflects_it_from_that_day() {
    let app = spawn_app().await;
    let reader = token(Role::Analyst);
    let on = |day: &'static str| json!({ "on": day });
    // The data files: MOLISA until March 2025, then Home Affairs; the switchboard under Health from September 2025.
    let before = app.gql(&reader, AGENCIES, on("2025-02-28")).await;
    assert_eq!(
        ministry_of(before.data("referenceData"), "DEPARTMENT_OF_CHILDREN"),
        Some(json!("MOLISA"))
    );
    let after = app.gql(&reader, AGENCIES, on("2025-09-01")).await;
    let after = after.data("referenceData");
    assert_eq!(
        ministry_of(after, "DEPARTMENT_OF_CHILDREN"),
        Some(json!("MINISTRY_OF_HOME_AFFAIRS"))
    );
    assert_eq!(
        ministry_of(after, "HOTLINE_111"),
        Some(json!("MINISTRY_OF_HEALTH"))
    );
    assert!(after["ministries"]
        .as_array()
        .is_some_and(|m| m.iter().all(|m| m["code"] != "MOLISA")));

    // ADMIN moves the Department of Children to Health from 2026, without a release.
    let change = "mutation($i: ChangeReferenceDataInput!) { changeReferenceData(input: $i) { \
        kind code validFrom validTo name ministry source version } }";
    let input = json!({"i": {"kind": "AGENCY", "code": "DEPARTMENT_OF_CHILDREN", "validFrom": "2026-01-01",
        "name": "Cục Trẻ em", "englishName": "Department of Children", "ministry": "MINISTRY_OF_HEALTH",
        "source": "government decision moving child protection", "idempotencyKey": "move-children-2026"}});
    let recorded = app.gql(&token(Role::Admin), change, input.clone()).await;
    assert_eq!(
        recorded.data("changeReferenceData"),
        &json!({"kind": "AGENCY", "code": "DEPARTMENT_OF_CHILDREN", "validFrom": "2026-01-01", "validTo": null,
                "name": "Cục Trẻ em", "ministry": "MINISTRY_OF_HEALTH",
                "source": "government decision moving child protection", "version": 1})
    );
    // The same request again is the same change, not a second one.
    let again = app.gql(&token(Role::Admin), change, input).await;
    assert_eq!(again.data("changeReferenceData")["version"], 1);
    let dec = app.gql(&reader, AGENCIES, on("2025-12-31")).await;
    assert_eq!(
        ministry_of(dec.data("referenceData"), "DEPARTMENT_OF_CHILDREN"),
        Some(json!("MINISTRY_OF_HOME_AFFAIRS"))
    );
    let jan = app.gql(&reader, AGENCIES, on("2026-01-01")).await;
    assert_eq!(
        ministry_of(jan.data("referenceData"), "DEPARTMENT_OF_CHILDREN"),
        Some(json!("MINISTRY_OF_HEALTH"))
    );

    // Refusals: a new code without the value it reports as, a ministry nobody knows, days backwards; other roles are forbidden.
    for bad in [
        json!({"kind": "AGENCY", "code": "TASK_FORCE", "validFrom": "2026-01-01", "name": "x", "ministry": "MINISTRY_OF_HEALTH", "source": "s"}),
        json!({"kind": "AGENCY", "code": "NGO", "validFrom": "2026-01-01", "name": "x", "ministry": "MINISTRY_OF_MAGIC", "source": "s"}),
        json!({"kind": "AGENCY", "code": "NGO", "validFrom": "2026-01-01", "validTo": "2025-01-01", "name": "x", "ministry": "NON_GOVERNMENTAL", "source": "s"}),
    ] {
        let answer = app
            .gql(&token(Role::Admin), change, json!({ "i": bad }))
            .await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    }
    let answer = app
        .gql(&token(Role::Supervisor), change, json!({"i": {"kind": "AGENCY", "code": "NGO", "validFrom": "2026-01-01", "name": "x", "ministry": "NON_GOVERNMENTAL", "source": "s"}}))
        .await;
    assert_eq!(answer.code(), Some("FORBIDDEN"));
}
