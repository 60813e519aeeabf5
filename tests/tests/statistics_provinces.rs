//! Issue 14 over HTTP: cases and referrals by province, on the map as
//! recorded and restated on a later map, each with its monthly series;
//! the ANALYST's province cells perturbed with keyed record keys
//! (migration 0040), and differencing attacks on them that fail.

use casetrail_tests::fixtures::caught_up;
use casetrail_tests::harness::spawn_app;
use casetrail_tests::statistics::{at, by_province, case_in, row, with_months};
use domain::values::Role;
use projections::disclosure::{Disclosure, RecordKeys};
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn cases_and_referrals_count_by_province_as_recorded_and_on_the_new_map() {
    let app = spawn_app().await;
    let owner = app.db.owner().await;
    let ids = |n: u128| Uuid::from_u128(0xc45e_0000 + n);
    // Before the 34-province map: Vĩnh Phúc (Red River Delta, merged into
    // Phú Thọ in the Northeast on 1 July 2025) in May, Phú Thọ and Hà Nội
    // in June, and a case recorded with a region alone.
    let may = at("2025-05-10T03:00:00Z");
    let june = at("2025-06-15T03:00:00Z");
    case_in(&app, ids(1), ("province", "VINH_PHUC"), may, &[ids(11)]).await;
    case_in(&app, ids(2), ("province", "PHU_THO"), june, &[ids(12)]).await;
    case_in(
        &app,
        ids(3),
        ("province", "HA_NOI"),
        june,
        &[ids(13), ids(14)],
    )
    .await;
    case_in(&app, ids(4), ("region", "NORTHWEST"), june, &[ids(15)]).await;
    caught_up(&owner).await;

    let period = json!({"from": "2025-05-01", "to": "2025-06-30"});
    let recorded = by_province(&app, Role::Auditor, period.clone()).await;
    assert_eq!(recorded["map"], "recorded");
    assert_eq!(
        (&recorded["casesOpened"], &recorded["referrals"]),
        (&json!(4), &json!(5))
    );
    let month = |m: &str, n: Value| (m.to_string(), n);
    assert_eq!(
        with_months(&recorded, "casesOpenedByProvince", "VINH_PHUC"),
        (
            json!(1),
            vec![month("2025-05", json!(1)), month("2025-06", Value::Null)]
        )
    );
    assert_eq!(
        with_months(&recorded, "casesOpenedByProvince", "PHU_THO"),
        (
            json!(1),
            vec![month("2025-05", Value::Null), month("2025-06", json!(1))]
        )
    );
    assert_eq!(
        with_months(&recorded, "referralsByProvince", "HA_NOI"),
        (
            json!(2),
            vec![month("2025-05", Value::Null), month("2025-06", json!(2))]
        )
    );
    // The case recorded with a region alone is in no province: the
    // provinces add up to the referrals that have one.
    let sum = |answer: &Value, field: &str| -> i64 {
        answer[field]
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["count"].as_i64()).sum())
            .unwrap_or_default()
    };
    assert_eq!(
        (
            sum(&recorded, "casesOpenedByProvince"),
            sum(&recorded, "referralsByProvince")
        ),
        (3, 4)
    );
    // As recorded, every province of the old map has a row.
    assert_eq!(
        recorded["casesOpenedByProvince"].as_array().map(Vec::len),
        Some(63)
    );

    // Restated on the map of 1 July 2025: Vĩnh Phúc counts wholly under Phú
    // Thọ, which absorbed it, month by month; Vĩnh Phúc has no row.
    let mut restated_on = period.clone();
    restated_on["map"] = json!("2025-07-01");
    let restated = by_province(&app, Role::Auditor, restated_on).await;
    assert_eq!(restated["map"], "2025-07-01");
    assert_eq!(
        restated["casesOpenedByProvince"].as_array().map(Vec::len),
        Some(34)
    );
    assert_eq!(
        row(&restated, "casesOpenedByProvince", "VINH_PHUC"),
        Value::Null
    );
    assert_eq!(
        with_months(&restated, "casesOpenedByProvince", "PHU_THO"),
        (
            json!(2),
            vec![month("2025-05", json!(1)), month("2025-06", json!(1))]
        )
    );
    assert_eq!(
        with_months(&restated, "referralsByProvince", "PHU_THO"),
        (
            json!(2),
            vec![month("2025-05", json!(1)), month("2025-06", json!(1))]
        )
    );
    assert_eq!(row(&restated, "referralsByProvince", "HA_NOI")["count"], 2);
    assert_eq!(
        (
            sum(&restated, "casesOpenedByProvince"),
            sum(&restated, "referralsByProvince")
        ),
        (3, 4),
        "restating moves records, never adds or loses one"
    );
    // A region's filter selects the cases recorded in it: Vĩnh Phúc's case
    // was recorded in the Red River Delta, and stays there under the filter.
    let mut red_river = period.clone();
    red_river["region"] = json!("RED_RIVER_DELTA");
    red_river["map"] = json!("2025-07-01");
    let filtered = by_province(&app, Role::Auditor, red_river).await;
    assert_eq!(filtered["casesOpened"], 2);
    assert_eq!(
        row(&filtered, "casesOpenedByProvince", "PHU_THO")["count"],
        1
    );
}

#[tokio::test]
async fn the_analysts_province_cells_are_perturbed_and_differencing_them_fails() {
    let app = spawn_app().await;
    let owner = app.db.owner().await;
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2024, 3, d).unwrap_or_default();
    let (yesterday, today) = (day(9), day(10));
    // Twelve cases in Hà Nội on 10 March, one more there on the 9th (the
    // record a narrow period would single out), one lone case in Cao Bằng.
    let early_today = at("2024-03-10T08:30:00+07:00");
    let ha_noi: Vec<Uuid> = (0..13).map(|i| Uuid::from_u128(0xa0_0000 + i)).collect();
    let ha_noi_referrals: Vec<Uuid> = (0..13).map(|i| Uuid::from_u128(0xb0_0000 + i)).collect();
    for (i, (case, referral)) in ha_noi.iter().zip(&ha_noi_referrals).enumerate() {
        let opened = if i == 12 {
            at("2024-03-09T12:00:00+07:00")
        } else {
            early_today
        };
        case_in(&app, *case, ("province", "HA_NOI"), opened, &[*referral]).await;
    }
    let lone = Uuid::from_u128(0xa0_ffff);
    case_in(
        &app,
        lone,
        ("province", "CAO_BANG"),
        early_today,
        &[Uuid::from_u128(0xb0_ffff)],
    )
    .await;
    caught_up(&owner).await;

    let keys = RecordKeys::read(&owner).await.expect("the record secret");
    let key = |kind: &str, ids: &[Uuid]| ids.iter().map(|id| keys.of(kind, *id)).sum::<i64>();
    let controlled = Disclosure::Controlled { floor: 5 };
    let period =
        |from: chrono::NaiveDate| json!({"from": from.to_string(), "to": today.to_string()});
    let analyst = by_province(&app, Role::Analyst, period(yesterday)).await;
    assert_eq!(analyst["minCellSize"], 5);

    // Each province cell is its own cell: its exact count plus the noise of
    // the sum of its records' keyed keys.
    assert_eq!(
        row(&analyst, "casesOpenedByProvince", "HA_NOI")["count"],
        json!(controlled.cell(13, key("case", &ha_noi)))
    );
    assert_eq!(
        row(&analyst, "referralsByProvince", "HA_NOI")["count"],
        json!(controlled.cell(13, key("referral", &ha_noi_referrals)))
    );
    // One province: the lone case in Cao Bằng is never shown as 1 to 4.
    let cao_bang = row(&analyst, "casesOpenedByProvince", "CAO_BANG");
    assert!(
        cao_bang["count"] == json!(0) || cao_bang["suppressed"] == true,
        "{cao_bang}"
    );
    let mut northeast = period(yesterday);
    northeast["region"] = json!("NORTHEAST");
    let one_region = by_province(&app, Role::Analyst, northeast).await;
    assert_eq!(
        (&one_region["casesOpened"], &one_region["referrals"]),
        (&json!(0), &json!(0))
    );
    // No count from 1 to 4 anywhere: cells and their months alike.
    let mut published = Vec::new();
    for field in ["casesOpenedByProvince", "referralsByProvince"] {
        for r in analyst[field].as_array().into_iter().flatten() {
            published.extend(r["count"].as_i64());
            for m in r["monthly"].as_array().into_iter().flatten() {
                published.extend(m["count"].as_i64());
            }
        }
    }
    published.extend(analyst["casesOpened"].as_i64());
    assert!(published.iter().all(|&n| n == 0 || n >= 5), "{published:?}");

    // Totals minus parts: the national total is a cell of its own, so
    // subtracting the published provinces leaves a difference of noisy
    // cells, not the lone case.
    let mut all = ha_noi.clone();
    all.push(lone);
    let total = analyst["casesOpened"].as_i64().unwrap_or_default();
    assert_eq!(total, controlled.figure(14, key("case", &all)));
    let parts: i64 = analyst["casesOpenedByProvince"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["code"] != "CAO_BANG")
                .filter_map(|r| r["count"].as_i64())
                .sum()
        })
        .unwrap_or_default();
    assert_eq!(
        total - parts,
        controlled.figure(14, key("case", &all))
            - controlled.cell(13, key("case", &ha_noi)).unwrap_or(0),
        "the difference is of two noisy cells"
    );

    // Narrow periods: today alone holds one Hà Nội case less; its cell is
    // perturbed with its own key, so the difference is not pinned at 1.
    let narrow = by_province(&app, Role::Analyst, period(today)).await;
    let today_only = &ha_noi[..12];
    assert_eq!(
        row(&narrow, "casesOpenedByProvince", "HA_NOI")["count"],
        json!(controlled.cell(12, key("case", today_only)))
    );
    // The same records over a wider period get the same answer: no fresh
    // noise to average away by rephrasing.
    let wide = by_province(
        &app,
        Role::Analyst,
        period(today - chrono::Duration::days(40)),
    )
    .await;
    assert_eq!(
        row(&wide, "casesOpenedByProvince", "HA_NOI")["count"],
        row(&analyst, "casesOpenedByProvince", "HA_NOI")["count"]
    );
    assert_eq!(
        by_province(&app, Role::Analyst, period(yesterday)).await,
        analyst
    );

    // Exact roles keep exact figures.
    for role in [Role::Counsellor, Role::Supervisor, Role::Auditor] {
        let exact = by_province(&app, role, period(yesterday)).await;
        assert_eq!(
            (
                row(&exact, "casesOpenedByProvince", "HA_NOI")["count"].clone(),
                row(&exact, "referralsByProvince", "CAO_BANG")["count"].clone()
            ),
            (json!(13), json!(1)),
            "{role}"
        );
    }
}
