//! Issue 14 over HTTP: the report's new figures, `asOfPosition`, and the
//! disclosure control an ANALYST gets (cell key method with a floor),
//! including differencing attacks that fail.

use casetrail_tests::fixtures::{
    ago, caught_up, open_case_doc, receive_call_doc, send_referral_doc,
};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use projections::disclosure::{Disclosure, RecordKeys};
use serde_json::{json, Value};
use uuid::Uuid;

const REPORT: &str = "query($from: Date!, $to: Date!, $region: Region, $at: String, $map: Date) { \
    statistics(from: $from, to: $to, region: $region, asOfPosition: $at, map: $map) { \
    asOfPosition minCellSize disclosureControlled map totalCalls counsellingCalls referrals referralCases \
    personsRescued personsRescuedByCohort casesOpened \
    callsByRegion { region count suppressed } \
    counsellingCallsByTopic { code count suppressed monthly { month count suppressed } } \
    callsByCallerType { code count suppressed } callsByProvince { code count suppressed } \
    callsByRegionOnMap { code count suppressed } \
    personsByGender { code count suppressed } personsByAgeBand { code count suppressed } \
    monthly { month calls counsellingCalls referrals personsRescued } \
    monthlyReport { month referralCases personsRescuedByCohort casesOpened counsellingSessions } } }";

/// Today and yesterday, as hotline days (UTC+7).
fn days() -> (String, String) {
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    (
        (today - chrono::Duration::days(1)).to_string(),
        today.to_string(),
    )
}

async fn call(app: &TestApp, id: Uuid, province: Option<&str>, region: &str, category: &str) {
    call_at(app, id, province, region, category, &ago(30)).await
}

async fn call_at(
    app: &TestApp,
    id: Uuid,
    province: Option<&str>,
    region: &str,
    category: &str,
    at: &str,
) {
    let mut input = json!({"id": id, "receivedAt": at, "channel": "VOICE",
        "callerType": "VICTIM", "category": category});
    match province {
        Some(p) => input["province"] = json!(p),
        None => input["region"] = json!(region),
    }
    if category == "COUNSELLING" {
        input["topics"] = json!(["PSYCHOLOGICAL", "LEGAL"]);
    }
    let answer = app
        .gql(
            &token(Role::Counsellor),
            &receive_call_doc(),
            json!({ "input": input }),
        )
        .await;
    answer.data("receiveCall");
}

async fn statistics(app: &TestApp, role: Role, variables: Value) -> Value {
    let (from, to) = days();
    let mut vars = json!({"from": from, "to": to});
    if let (Some(vars), Some(more)) = (vars.as_object_mut(), variables.as_object()) {
        vars.extend(more.clone());
    }
    app.gql(&token(role), REPORT, vars)
        .await
        .data("statistics")
        .clone()
}

/// Every count an answer publishes, wherever it is.
fn counts(value: &Value, out: &mut Vec<i64>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "minCellSize" || key == "asOfPosition" {
                    continue;
                }
                match v {
                    Value::Number(n) => out.extend(n.as_i64()),
                    other => counts(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| counts(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_analyst_gets_cell_key_figures_that_differencing_cannot_undo() {
    let app = spawn_app().await;
    let owner = app.db.owner().await;
    // 23 calls in the Red River Delta (Hà Nội), one lone call in the Central Highlands.
    let big: Vec<Uuid> = (0..23).map(|i| Uuid::from_u128(0xca11_0000 + i)).collect();
    for id in &big {
        call(&app, *id, Some("HA_NOI"), "RED_RIVER_DELTA", "INFORMATION").await;
    }
    let lone = Uuid::from_u128(0xca11_ffff);
    call(&app, lone, None, "CENTRAL_HIGHLANDS", "INFORMATION").await;
    caught_up(&owner).await;

    let exact = statistics(&app, Role::Auditor, json!({})).await;
    assert_eq!(exact["totalCalls"], 24);
    assert_eq!(exact["disclosureControlled"], false);
    let analyst = statistics(&app, Role::Analyst, json!({})).await;
    assert_eq!(analyst["disclosureControlled"], true);
    assert_eq!(analyst["minCellSize"], 5);

    // The published total is the total's own cell: exact count plus the
    // noise its cell key picks, the key being the sum of the calls' keys.
    let controlled = Disclosure::Controlled { floor: 5 };
    // Record keys are keyed by the database's secret (migration 0040).
    let keys = RecordKeys::read(&owner).await.expect("the record secret");
    let key = |ids: &[Uuid]| ids.iter().map(|id| keys.of("call", *id)).sum::<i64>();
    let mut all = big.clone();
    all.push(lone);
    assert_eq!(
        analyst["totalCalls"],
        controlled.figure(24, key(&all)),
        "the total"
    );
    let region = |answer: &Value, code: &str| {
        answer["callsByRegion"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["region"] == code))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        region(&analyst, "RED_RIVER_DELTA")["count"],
        controlled.figure(23, key(&big))
    );

    // No count from 1 to 4 anywhere: totals, breakdowns, monthly series.
    let mut published = Vec::new();
    counts(&analyst, &mut published);
    assert!(
        published.iter().all(|&n| n == 0 || n >= 5),
        "a count below the floor: {published:?}\n{analyst}"
    );
    let lone_cell = region(&analyst, "CENTRAL_HIGHLANDS");
    assert!(lone_cell["count"] == json!(0) || lone_cell["suppressed"] == true);

    // One region: its own totals are below the floor, so they read 0.
    let one_region = statistics(&app, Role::Analyst, json!({"region": "CENTRAL_HIGHLANDS"})).await;
    assert_eq!(one_region["totalCalls"], 0);

    // Totals minus parts: the total is perturbed as a cell of its own, so
    // subtracting the other published regions gives the lone call only if
    // the noises happen to cancel, and this answer is the one they always get.
    let total = analyst["totalCalls"].as_i64().unwrap_or_default();
    let parts: i64 = analyst["callsByRegion"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["region"] != "CENTRAL_HIGHLANDS")
                .filter_map(|r| r["count"].as_i64())
                .sum()
        })
        .unwrap_or_default();
    let guess = total - parts;
    let truth_by_difference = controlled.figure(24, key(&all)) - controlled.figure(23, key(&big));
    assert_eq!(
        guess, truth_by_difference,
        "the difference is of two noisy cells"
    );

    // Narrow periods: the same records asked over a wider period (days
    // without records) get the same answer, not fresh noise to average.
    let (_, today) = days();
    let wide_from = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap_or_default()
        - chrono::Duration::days(40))
    .to_string();
    let wide = statistics(&app, Role::Analyst, json!({"from": wide_from})).await;
    assert_eq!(wide["totalCalls"], analyst["totalCalls"]);
    assert_eq!(
        region(&wide, "RED_RIVER_DELTA"),
        region(&analyst, "RED_RIVER_DELTA")
    );
    // And asking again gives the same figures.
    assert_eq!(statistics(&app, Role::Analyst, json!({})).await, analyst);

    // Exact roles keep exact figures.
    for role in [Role::Counsellor, Role::Supervisor, Role::Auditor] {
        let answer = statistics(&app, role, json!({})).await;
        assert_eq!(
            (
                answer["totalCalls"].clone(),
                region(&answer, "CENTRAL_HIGHLANDS")["count"].clone()
            ),
            (json!(24), json!(1)),
            "{role}"
        );
    }
}

#[tokio::test]
async fn figures_as_of_a_position_stay_what_they_were_whatever_is_recorded_since() {
    let app = spawn_app().await;
    let owner = app.db.owner().await;
    // Hà Giang, before it was merged into Tuyên Quang on 1 July 2025.
    let june = "2025-06-15T10:00:00+07:00";
    call_at(
        &app,
        Uuid::new_v4(),
        Some("HA_GIANG"),
        "NORTHEAST",
        "COUNSELLING",
        june,
    )
    .await;
    call(&app, Uuid::new_v4(), None, "SOUTHEAST", "INFORMATION").await;
    caught_up(&owner).await;
    let since = json!({"from": "2025-06-01"});
    let before = statistics(&app, Role::Auditor, since.clone()).await;
    let position = before["asOfPosition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        (
            before["totalCalls"].clone(),
            before["counsellingCalls"].clone()
        ),
        (json!(2), json!(1))
    );
    let topics = &before["counsellingCallsByTopic"];
    let topic = |code: &str| {
        topics
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["code"] == code))
            .map(|r| r["count"].clone())
    };
    assert_eq!(
        (topic("PSYCHOLOGICAL"), topic("LEGAL"), topic("POLICY")),
        (Some(json!(1)), Some(json!(1)), Some(Value::Null)),
        "an empty cell is below minCellSize 1"
    );

    // More is recorded: a case with two referrals and a person.
    let counsellor = token(Role::Counsellor);
    let case = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"openedAt": ago(20), "region": "SOUTHEAST",
            "persons": [{"role": "VICTIM", "gender": "FEMALE", "birthYear": 2015}]}}),
        )
        .await
        .data("openCase")["id"]
        .clone();
    for agency in ["CRIMINAL_POLICE", "WOMENS_UNION"] {
        app.gql(
            &counsellor,
            &send_referral_doc(),
            json!({"input": {"caseId": case, "agency": agency,
            "referredAt": ago(10), "personsAtRisk": 1, "consent": {"given": true}}}),
        )
        .await
        .data("sendReferral");
    }
    call(&app, Uuid::new_v4(), None, "SOUTHEAST", "INFORMATION").await;
    caught_up(&owner).await;
    let now = statistics(&app, Role::Auditor, since.clone()).await;
    assert_eq!(
        (
            now["totalCalls"].clone(),
            now["referrals"].clone(),
            now["referralCases"].clone()
        ),
        (json!(3), json!(2), json!(1)),
        "two referrals, one referral case"
    );
    let gender = now["personsByGender"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == "FEMALE"))
        .map(|r| r["count"].clone());
    assert_eq!(gender, Some(json!(1)));
    let band = now["personsByAgeBand"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == "UNDER_16"))
        .map(|r| r["count"].clone());
    assert_eq!(band, Some(json!(1)));

    // As of the earlier position: exactly the earlier figures.
    let again = statistics(
        &app,
        Role::Auditor,
        json!({"from": "2025-06-01", "at": position}),
    )
    .await;
    assert_eq!(again, before, "asOfPosition reproduces the earlier answer");

    // Beyond what the statistics have applied, or not a position: refused.
    for bad in ["99999999", "-1", "first"] {
        let (from, to) = days();
        let answer = app
            .gql(
                &token(Role::Auditor),
                REPORT,
                json!({"from": from, "to": to, "at": bad}),
            )
            .await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{bad}: {}",
            answer.body
        );
    }

    // Restated on the 34-province map: Hà Giang's call counts under Tuyên Quang.
    let province = |answer: &Value, code: &str| {
        answer["callsByProvince"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["code"] == code))
            .map(|r| r["count"].clone())
    };
    assert_eq!(province(&now, "HA_GIANG"), Some(json!(1)));
    let restated = statistics(
        &app,
        Role::Auditor,
        json!({"from": "2025-06-01", "map": "2025-07-01"}),
    )
    .await;
    assert_eq!(restated["map"], "2025-07-01");
    assert_eq!(province(&restated, "HA_GIANG"), None, "not on the new map");
    assert_eq!(province(&restated, "TUYEN_QUANG"), Some(json!(1)));
}
