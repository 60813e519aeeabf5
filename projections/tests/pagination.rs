//! Keyset pagination walks every page without duplicates or gaps, under
//! filters, with a stable totalCount; foreign or forged cursors are refused.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::hotline::{
    close_case, local, move_referral, open_case, receive_call, send_referral, NewCall,
};
use common::{settings, TestDb};
use domain::values::{Agency, CallCategory, CaseStatus, Channel, ReferralStatus, Region};
use projections::queries::{calls, cases, referrals, CallFilter, CaseFilter, Page, ReferralFilter};
use projections::ProjectionError;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

/// Walks a list page by page; checks every page's totalCount and hasNextPage.
async fn walk<T, F, Fut>(first: usize, mut page: F) -> Vec<T>
where
    T: Clone,
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, ProjectionError>>,
{
    let mut items = Vec::new();
    let mut after = None;
    let mut total = None;
    loop {
        let p = page(after.clone()).await.expect("a page");
        assert!(p.items.len() <= first);
        assert_eq!(
            *total.get_or_insert(p.total_count),
            p.total_count,
            "totalCount is the same on every page"
        );
        items.extend(p.items.iter().map(|(_, item)| item.clone()));
        if !p.has_next_page {
            assert_eq!(
                items.len() as i64,
                p.total_count,
                "the walk saw exactly totalCount items"
            );
            return items;
        }
        assert_eq!(p.items.len(), first, "only the last page is short");
        after = p.items.last().map(|(cursor, _)| cursor.clone());
    }
}

/// Newest first, ties broken by id descending.
fn newest_first(mut rows: Vec<(DateTime<Utc>, Uuid)>) -> Vec<Uuid> {
    rows.sort_by(|a, b| b.cmp(a));
    rows.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_pages_cover_the_list_exactly_under_filters() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    let mut received = Vec::new();
    for i in 0..37_u32 {
        // Three calls share each instant, so ties are broken by id across page edges.
        let call = NewCall {
            at: local(2021, 9, 1 + (i / 3) % 10, 9, i / 3),
            region: if i % 4 == 0 {
                Region::Northeast
            } else {
                Region::RedRiverDelta
            },
            category: if i % 2 == 0 {
                CallCategory::Counselling
            } else {
                CallCategory::Information
            },
            channel: Channel::Voice,
        };
        received.push((call, receive_call(&db.store, call).await));
    }
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let all = walk(5, |after| {
        let pool = db.pool.clone();
        async move { calls(&pool, &CallFilter::default(), 5, after.as_deref()).await }
    })
    .await;
    assert_eq!(
        all,
        newest_first(received.iter().map(|(c, id)| (c.at, *id)).collect())
    );

    let filter = CallFilter {
        from: Some(chrono::NaiveDate::from_ymd_opt(2021, 9, 3).expect("day")),
        to: Some(chrono::NaiveDate::from_ymd_opt(2021, 9, 8).expect("day")),
        region: Some(Region::RedRiverDelta),
        category: Some(CallCategory::Counselling),
        channel: Some(Channel::Voice),
    };
    let filtered = walk(2, |after| {
        let filter = filter.clone();
        let pool = db.pool.clone();
        async move { calls(&pool, &filter, 2, after.as_deref()).await }
    })
    .await;
    let expected = newest_first(
        received
            .iter()
            .filter(|(c, _)| {
                let day =
                    c.at.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                        .date_naive();
                filter.from.is_some_and(|f| day >= f)
                    && filter.to.is_some_and(|t| day <= t)
                    && c.region == Region::RedRiverDelta
                    && c.category == CallCategory::Counselling
            })
            .map(|(c, id)| (c.at, *id))
            .collect(),
    );
    assert!(expected.len() > 2, "the filter leaves several pages");
    assert_eq!(filtered, expected);

    let first_page = calls(&db.pool, &CallFilter::default(), 3, None)
        .await
        .expect("page");
    let cursor = first_page.items[2].0.clone();
    for forged in ["nonsense", "", &cursor[..cursor.len() - 2]] {
        let refused = calls(&db.pool, &CallFilter::default(), 3, Some(forged)).await;
        assert!(
            matches!(refused, Err(ProjectionError::BadCursor)),
            "{forged:?}"
        );
    }
    let foreign = cases(&db.pool, &CaseFilter::default(), 3, Some(&cursor)).await;
    assert!(
        matches!(foreign, Err(ProjectionError::BadCursor)),
        "a calls cursor is no cases cursor"
    );
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_and_referrals_pages_follow_status_agency_and_case() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    let agencies = [
        Agency::CriminalPolice,
        Agency::BorderGuard,
        Agency::WomensUnion,
    ];
    let (mut opened, mut sent) = (Vec::new(), Vec::new());
    for i in 0..12_u32 {
        let at = local(2021, 10, 1 + i % 4, 9, i);
        let region = if i % 3 == 0 {
            Region::Southeast
        } else {
            Region::NorthCentral
        };
        let case = open_case(&db.store, at, region).await;
        for j in 0..2_u32 {
            let agency = agencies[((i + j) % 3) as usize];
            let referred_at = at + chrono::Duration::minutes(10);
            let referral = send_referral(&db.store, case, agency, referred_at).await;
            let acknowledged = (i + j) % 2 == 0;
            if acknowledged {
                let ack_at = referred_at + chrono::Duration::minutes(5);
                move_referral(
                    &db.store,
                    case,
                    referral,
                    ReferralStatus::Acknowledged,
                    ack_at,
                )
                .await;
            }
            sent.push((referred_at, referral, case, agency, acknowledged));
        }
        let closed = i % 4 == 1;
        if closed {
            close_case(&db.store, case, at + chrono::Duration::hours(2)).await;
        }
        opened.push((at, case, region, closed));
    }
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let filter = CaseFilter {
        status: Some(CaseStatus::Open),
        region: Some(Region::NorthCentral),
        ..CaseFilter::default()
    };
    let open_cases = walk(2, |after| {
        let (pool, filter) = (db.pool.clone(), filter.clone());
        async move { cases(&pool, &filter, 2, after.as_deref()).await }
    })
    .await;
    let expected = newest_first(
        opened
            .iter()
            .filter(|c| !c.3 && c.2 == Region::NorthCentral)
            .map(|c| (c.0, c.1))
            .collect(),
    );
    assert!(expected.len() > 2);
    assert_eq!(open_cases, expected);
    let closed = cases(
        &db.pool,
        &CaseFilter {
            status: Some(CaseStatus::Closed),
            ..CaseFilter::default()
        },
        100,
        None,
    )
    .await
    .expect("closed cases");
    assert_eq!(
        closed.total_count,
        opened.iter().filter(|c| c.3).count() as i64
    );

    // An agency sees its own referrals, whatever it filters by.
    let police = walk(3, |after| {
        let pool = db.pool.clone();
        async move {
            referrals(
                &pool,
                &ReferralFilter::default(),
                3,
                after.as_deref(),
                Some(Agency::CriminalPolice),
            )
            .await
        }
    })
    .await;
    let expected: Vec<Uuid> = newest_first(
        sent.iter()
            .filter(|r| r.3 == Agency::CriminalPolice)
            .map(|r| (r.0, r.1))
            .collect(),
    );
    assert_eq!(
        police
            .iter()
            .map(|(_, referral)| *referral)
            .collect::<Vec<_>>(),
        expected
    );
    let other = ReferralFilter {
        agency: Some(Agency::BorderGuard),
        ..ReferralFilter::default()
    };
    let none = referrals(&db.pool, &other, 10, None, Some(Agency::CriminalPolice))
        .await
        .expect("page");
    assert_eq!(
        (none.items.len(), none.total_count, none.has_next_page),
        (0, 0, false)
    );

    let acknowledged = ReferralFilter {
        status: Some(ReferralStatus::Acknowledged),
        ..ReferralFilter::default()
    };
    let page = referrals(&db.pool, &acknowledged, 100, None, None)
        .await
        .expect("page");
    assert_eq!(page.total_count, sent.iter().filter(|r| r.4).count() as i64);
    let one_case = opened[5].1;
    let of_case = ReferralFilter {
        case_id: Some(one_case),
        ..ReferralFilter::default()
    };
    let page = referrals(&db.pool, &of_case, 100, None, None)
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
    assert!(page.items.iter().all(|(_, (case, _))| *case == one_case));
    runtime.shutdown().await;
}
