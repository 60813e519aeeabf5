//! Statistics count the hotline's calendar days, attribute referrals and
//! rescues as documented, and suppress small cells.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::hotline::{
    local, open_case, receive_call, record_rescue, record_session, send_referral, NewCall,
};
use common::{settings, TestDb};
use domain::values::{Agency, CallCategory, Channel, Region};
use projections::queries::{statistics, CallFilter, Statistics};

const WAIT: Duration = Duration::from_secs(30);

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid day")
}

fn region_count(stats: &Statistics, region: Region) -> Option<i64> {
    stats
        .calls_by_region
        .iter()
        .find(|r| r.region == region)
        .and_then(|r| r.count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_are_the_hotlines_calendar_days_not_utc_days() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    // 23:30 local on the last day is 16:30 UTC the same day; 00:30 local the
    // next day is 17:30 UTC, still the last day in UTC: it must not count.
    let last_evening = receive_call(&db.store, NewCall::at(local(2022, 2, 14, 23, 30))).await;
    let next_morning = receive_call(&db.store, NewCall::at(local(2022, 2, 15, 0, 30))).await;
    // Likewise at the start: 00:10 local on the first day is the day before in UTC.
    let first_morning = receive_call(&db.store, NewCall::at(local(2022, 2, 1, 0, 10))).await;
    let eve = receive_call(&db.store, NewCall::at(local(2022, 1, 31, 23, 50))).await;
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let february = statistics(&db.pool, day(2022, 2, 1), day(2022, 2, 14), None, 1)
        .await
        .expect("stats");
    assert_eq!(february.total_calls, 2);
    assert_eq!(february.monthly.len(), 1);
    assert_eq!(
        (
            february.monthly[0].month.as_str(),
            february.monthly[0].calls
        ),
        ("2022-02", 2)
    );
    // A whole month (January, from month rows) plus the partial February (from day rows).
    let longer = statistics(&db.pool, day(2022, 1, 1), day(2022, 2, 14), None, 1)
        .await
        .expect("stats");
    assert_eq!(longer.total_calls, 3);
    let months: Vec<(&str, i64)> = longer
        .monthly
        .iter()
        .map(|m| (m.month.as_str(), m.calls))
        .collect();
    assert_eq!(months, [("2022-01", 1), ("2022-02", 2)]);
    let next_day = statistics(&db.pool, day(2022, 2, 15), day(2022, 2, 15), None, 1)
        .await
        .expect("stats");
    assert_eq!(next_day.total_calls, 1);

    // The calls list filters by the same days.
    let filter = CallFilter {
        from: Some(day(2022, 2, 1)),
        to: Some(day(2022, 2, 14)),
        ..CallFilter::default()
    };
    let page = projections::queries::calls(&db.pool, &filter, 10, None)
        .await
        .expect("calls");
    let ids: Vec<uuid::Uuid> = page.items.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, [last_evening, first_morning]);
    assert!(!ids.contains(&next_morning) && !ids.contains(&eve));
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_are_attributed_as_documented_and_pinned_to_a_position() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    let counselling = NewCall {
        at: local(2021, 4, 10, 9, 0),
        region: Region::Northwest,
        category: CallCategory::Counselling,
        channel: Channel::Zalo,
    };
    let call = receive_call(&db.store, counselling).await;
    record_session(&db.store, call, local(2021, 4, 10, 9, 5)).await;
    record_session(&db.store, call, local(2021, 4, 11, 9, 5)).await;
    receive_call(&db.store, NewCall::at(local(2021, 4, 12, 9, 0))).await;
    // A case in the Northwest, referred in April, with a rescue in May somewhere else.
    let case = open_case(&db.store, local(2021, 4, 20, 9, 0), Region::Northwest).await;
    let referral = send_referral(
        &db.store,
        case,
        Agency::BorderGuard,
        local(2021, 4, 20, 10, 0),
    )
    .await;
    record_rescue(&db.store, case, referral, local(2021, 5, 3, 10, 0), 3).await;
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let april = statistics(&db.pool, day(2021, 4, 1), day(2021, 4, 30), None, 1)
        .await
        .expect("stats");
    assert_eq!(
        (
            april.total_calls,
            april.counselling_calls,
            april.counselling_sessions
        ),
        (2, 1, 2)
    );
    assert_eq!(
        (april.cases_opened, april.referrals, april.persons_rescued),
        (1, 1, 0)
    );
    let may = statistics(&db.pool, day(2021, 5, 1), day(2021, 5, 31), None, 1)
        .await
        .expect("stats");
    assert_eq!(
        (may.referrals, may.persons_rescued),
        (0, 3),
        "rescues count on the rescue's day"
    );

    let spring = statistics(
        &db.pool,
        day(2021, 4, 1),
        day(2021, 5, 31),
        Some(Region::Northwest),
        1,
    )
    .await
    .expect("stats");
    assert_eq!(
        (
            spring.total_calls,
            spring.counselling_sessions,
            spring.referrals,
            spring.persons_rescued
        ),
        (1, 2, 1, 3)
    );
    let border_guard = spring
        .referrals_by_agency
        .iter()
        .find(|a| a.agency == Agency::BorderGuard)
        .expect("agency");
    assert_eq!(
        (border_guard.referrals, border_guard.persons_rescued),
        (Some(1), Some(3))
    );
    let zalo = spring
        .calls_by_channel
        .iter()
        .find(|c| c.channel == Channel::Zalo)
        .expect("channel");
    assert_eq!(zalo.count, Some(1));
    let counselling = spring
        .calls_by_category
        .iter()
        .find(|c| c.category == CallCategory::Counselling);
    assert_eq!(counselling.and_then(|c| c.count), Some(1));
    assert_eq!(region_count(&spring, Region::Northwest), Some(1));
    assert_eq!(spring.calls_by_region.len(), Region::ALL.len());
    assert_eq!(spring.calls_by_category.len(), CallCategory::ALL.len());
    assert_eq!(spring.calls_by_channel.len(), Channel::ALL.len());
    assert_eq!(spring.referrals_by_agency.len(), Agency::ALL.len());
    let months: Vec<(&str, i64, i64, i64, i64)> = spring
        .monthly
        .iter()
        .map(|m| {
            (
                m.month.as_str(),
                m.calls,
                m.counselling_calls,
                m.referrals,
                m.persons_rescued,
            )
        })
        .collect();
    assert_eq!(months, [("2021-04", 1, 1, 1, 0), ("2021-05", 0, 0, 0, 3)]);
    let elsewhere = statistics(
        &db.pool,
        day(2021, 4, 1),
        day(2021, 5, 31),
        Some(Region::Northeast),
        1,
    )
    .await
    .expect("stats");
    assert_eq!(
        (
            elsewhere.total_calls,
            elsewhere.referrals,
            elsewhere.persons_rescued
        ),
        (0, 0, 0)
    );

    let head = projections::status(&db.pool).await.expect("status")[3].head_position;
    assert_eq!(spring.as_of_position, head);
    assert!(matches!(
        statistics(&db.pool, day(2021, 5, 1), day(2021, 4, 1), None, 1).await,
        Err(projections::ProjectionError::InvalidPeriod)
    ));
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_below_the_minimum_cell_size_are_suppressed() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    for (region, calls) in [
        (Region::RedRiverDelta, 5),
        (Region::Northeast, 3),
        (Region::MekongDelta, 1),
    ] {
        for i in 0..calls {
            receive_call(
                &db.store,
                NewCall {
                    region,
                    ..NewCall::at(local(2021, 8, 2, 9, i))
                },
            )
            .await;
        }
    }
    let case = open_case(&db.store, local(2021, 8, 3, 9, 0), Region::Northeast).await;
    for _ in 0..3 {
        send_referral(
            &db.store,
            case,
            Agency::CriminalPolice,
            local(2021, 8, 3, 10, 0),
        )
        .await;
    }
    let referral = send_referral(
        &db.store,
        case,
        Agency::WomensUnion,
        local(2021, 8, 3, 11, 0),
    )
    .await;
    record_rescue(&db.store, case, referral, local(2021, 8, 4, 9, 0), 4).await;
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let stats = statistics(&db.pool, day(2021, 8, 1), day(2021, 8, 31), None, 3)
        .await
        .expect("stats");
    assert_eq!(stats.min_cell_size, 3);
    assert_eq!(stats.total_calls, 9, "totals are never suppressed");
    let cell = |region| {
        stats
            .calls_by_region
            .iter()
            .find(|r| r.region == region)
            .expect("region")
            .clone()
    };
    let rrd = cell(Region::RedRiverDelta);
    assert_eq!((rrd.count, rrd.suppressed), (Some(5), false));
    assert!((rrd.share.expect("share") - 5.0 / 9.0).abs() < 1e-9);
    let northeast = cell(Region::Northeast);
    assert_eq!(
        (northeast.count, northeast.suppressed),
        (Some(3), false),
        "at the minimum is shown"
    );
    let mekong = cell(Region::MekongDelta);
    assert_eq!(
        (mekong.count, mekong.share, mekong.suppressed),
        (None, None, true)
    );
    let empty = cell(Region::Overseas);
    assert_eq!(
        (empty.count, empty.share, empty.suppressed),
        (None, None, true),
        "zero is below the minimum too"
    );
    let information = stats
        .calls_by_category
        .iter()
        .find(|c| c.category == CallCategory::Information)
        .expect("category");
    assert_eq!(
        (information.count, information.suppressed),
        (Some(9), false)
    );
    let counselling = stats
        .calls_by_category
        .iter()
        .find(|c| c.category == CallCategory::Counselling)
        .expect("category");
    assert_eq!((counselling.count, counselling.suppressed), (None, true));
    let police = stats
        .referrals_by_agency
        .iter()
        .find(|a| a.agency == Agency::CriminalPolice)
        .expect("agency");
    assert_eq!(
        (police.referrals, police.persons_rescued, police.suppressed),
        (Some(3), Some(0), false)
    );
    let union = stats
        .referrals_by_agency
        .iter()
        .find(|a| a.agency == Agency::WomensUnion)
        .expect("agency");
    assert_eq!(
        (union.referrals, union.persons_rescued, union.suppressed),
        (None, None, true),
        "suppressed together"
    );

    let open = statistics(&db.pool, day(2021, 8, 1), day(2021, 8, 31), None, 0)
        .await
        .expect("stats");
    assert_eq!(region_count(&open, Region::MekongDelta), Some(1));
    assert_eq!(region_count(&open, Region::Overseas), Some(0));
    runtime.shutdown().await;
}
