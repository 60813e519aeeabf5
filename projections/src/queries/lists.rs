//! The contract's `calls`, `cases` and `referrals` connections: newest
//! first, ties broken by id (descending), keyset-paginated so that a page
//! deep in a long list costs what the first page costs.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use domain::values::{Agency, CallCategory, CaseStatus, Channel, ReferralStatus, Region};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::cursor::Cursor;
use crate::error::ProjectionError;

/// One page of a list: each item with the cursor that resumes after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
    /// Rows matching the filter, on every page alike.
    pub total_count: i64,
}

/// The contract's `CallFilter`; days are local days, inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub region: Option<Region>,
    pub category: Option<CallCategory>,
    pub channel: Option<Channel>,
}

/// The contract's `CaseFilter`; days are local days, inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub region: Option<Region>,
    pub opened_from: Option<NaiveDate>,
    pub opened_to: Option<NaiveDate>,
}

/// The contract's `ReferralFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferralFilter {
    pub agency: Option<Agency>,
    /// The agencies ADMIN added that report as `agency` (a contract value,
    /// their class): filtering by the class finds their referrals too.
    pub reporting_as_agency: Vec<Agency>,
    pub status: Option<ReferralStatus>,
    pub case_id: Option<Uuid>,
}

/// A bound value of a filter condition.
#[derive(Clone, Debug)]
pub(super) enum Value {
    Code(&'static str),
    /// Any of these codes: the condition's SQL ends in `= ANY(`.
    Codes(Vec<&'static str>),
    Day(NaiveDate),
    Time(DateTime<Utc>),
    Id(Uuid),
    /// A token subject (an owner, an assignee).
    Text(String),
    /// Nothing to bind: the condition is complete in its SQL (`owner IS NULL`).
    Nothing,
}

/// One list's table and sort key.
pub(super) struct List {
    /// Also the cursor's tag.
    pub name: &'static str,
    pub table: &'static str,
    pub time: &'static str,
    pub id: &'static str,
    /// Selected after (id, time): the referral's or follow-up's case.
    pub extra: Option<&'static str>,
    /// Oldest (soonest due) first instead of newest first.
    pub ascending: bool,
}

/// Calls received in the hotline's local days `filter.from..=filter.to`, etc.
#[tracing::instrument(skip(pool))]
pub async fn calls(
    pool: &PgPool,
    filter: &CallFilter,
    first: usize,
    after: Option<&str>,
) -> Result<Page<Uuid>, ProjectionError> {
    let mut conditions = day_range(&RECEIVED, filter.from, filter.to);
    conditions.extend(equals("region = ", filter.region.map(Region::as_str)));
    conditions.extend(equals(
        "category = ",
        filter.category.map(CallCategory::as_str),
    ));
    conditions.extend(equals("channel = ", filter.channel.map(Channel::as_str)));
    let list = List {
        name: "calls",
        table: "calls",
        time: "received_at",
        id: "id",
        extra: None,
        ascending: false,
    };
    let page = fetch(pool, &list, &conditions, first, after).await?;
    Ok(map_page(page, |(id, _)| id))
}

/// Cases, newest opened first.
#[tracing::instrument(skip(pool))]
pub async fn cases(
    pool: &PgPool,
    filter: &CaseFilter,
    first: usize,
    after: Option<&str>,
) -> Result<Page<Uuid>, ProjectionError> {
    let mut conditions = day_range(&OPENED, filter.opened_from, filter.opened_to);
    conditions.extend(equals("status = ", filter.status.map(CaseStatus::as_str)));
    conditions.extend(equals("region = ", filter.region.map(Region::as_str)));
    let list = List {
        name: "cases",
        table: "cases",
        time: "opened_at",
        id: "id",
        extra: None,
        ascending: false,
    };
    let page = fetch(pool, &list, &conditions, first, after).await?;
    Ok(map_page(page, |(id, _)| id))
}

/// Referrals, newest sent first, as (case id, referral id). With
/// `restrict_agency` (an AGENCY caller), only that agency's referrals exist.
#[tracing::instrument(skip(pool))]
pub async fn referrals(
    pool: &PgPool,
    filter: &ReferralFilter,
    first: usize,
    after: Option<&str>,
    restrict_agency: Option<Agency>,
) -> Result<Page<(Uuid, Uuid)>, ProjectionError> {
    let asked: Vec<Agency> = filter
        .agency
        .into_iter()
        .chain(filter.reporting_as_agency.iter().copied())
        .collect();
    if let (Some(_), Some(own)) = (filter.agency, restrict_agency) {
        if !asked.contains(&own) {
            if let Some(after) = after {
                Cursor::decode("referrals", after)?;
            }
            return Ok(Page {
                items: vec![],
                has_next_page: false,
                total_count: 0,
            });
        }
    }
    let mut conditions = Vec::new();
    match restrict_agency {
        Some(own) => conditions.extend(equals("agency = ", Some(own.as_str()))),
        None if asked.len() > 1 => conditions.push((
            "agency = ANY(",
            Value::Codes(asked.iter().map(|a| a.as_str()).collect()),
        )),
        None => conditions.extend(equals("agency = ", filter.agency.map(Agency::as_str))),
    }
    conditions.extend(equals(
        "status = ",
        filter.status.map(ReferralStatus::as_str),
    ));
    conditions.extend(filter.case_id.map(|id| ("case_id = ", Value::Id(id))));
    let list = List {
        name: "referrals",
        table: "referrals",
        time: "referred_at",
        id: "referral_id",
        extra: Some("case_id"),
        ascending: false,
    };
    let page = fetch(pool, &list, &conditions, first, after).await?;
    Ok(map_page(page, |(referral, case)| (case, referral)))
}

fn equals(sql: &'static str, value: Option<&'static str>) -> Option<(&'static str, Value)> {
    value.map(|v| (sql, Value::Code(v)))
}

/// The SQL of a local-day range on a list's day and time columns.
struct DayColumns {
    day_from: &'static str,
    day_to: &'static str,
    time_from: &'static str,
    time_before: &'static str,
}

const RECEIVED: DayColumns = DayColumns {
    day_from: "received_day >= ",
    day_to: "received_day <= ",
    time_from: "received_at >= ",
    time_before: "received_at < ",
};

const OPENED: DayColumns = DayColumns {
    day_from: "opened_day >= ",
    day_to: "opened_day <= ",
    time_from: "opened_at >= ",
    time_before: "opened_at < ",
};

/// A local-day range, plus a looser range on the instant (local days lie
/// within 14 hours of UTC days) so that the newest-first index scans only
/// the days asked for.
fn day_range(
    columns: &DayColumns,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<(&'static str, Value)> {
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    let slack = Duration::hours(14);
    let mut conditions = Vec::new();
    // Checked arithmetic: at the calendar's edge the time bound is dropped
    // (the day bound alone is exact), never a panic on overflow.
    if let Some(from) = from {
        conditions.push((columns.day_from, Value::Day(from)));
        if let Some(earliest) = midnight(from).checked_sub_signed(slack) {
            conditions.push((columns.time_from, Value::Time(earliest)));
        }
    }
    if let Some(to) = to {
        conditions.push((columns.day_to, Value::Day(to)));
        if let Some(before) = to
            .succ_opt()
            .and_then(|n| midnight(n).checked_add_signed(slack))
        {
            conditions.push((columns.time_before, Value::Time(before)));
        }
    }
    conditions
}

fn push_conditions<'a>(
    query: &mut QueryBuilder<'a, Postgres>,
    conditions: &[(&'static str, Value)],
) {
    query.push(" WHERE true");
    for (sql, value) in conditions {
        query.push(" AND ").push(*sql);
        match value {
            Value::Code(v) => query.push_bind(*v),
            Value::Codes(v) => query.push_bind(v.clone()).push(")"),
            Value::Day(v) => query.push_bind(*v),
            Value::Time(v) => query.push_bind(*v),
            Value::Id(v) => query.push_bind(*v),
            Value::Text(v) => query.push_bind(v.clone()),
            Value::Nothing => continue,
        };
    }
}

/// Rows as (id, extra id or nil), with cursors; page and count read one snapshot.
pub(super) async fn fetch(
    pool: &PgPool,
    list: &List,
    conditions: &[(&'static str, Value)],
    first: usize,
    after: Option<&str>,
) -> Result<Page<(Uuid, Uuid)>, ProjectionError> {
    let after = after
        .map(|text| Cursor::decode(list.name, text))
        .transpose()?;
    let limit = i64::try_from(first).unwrap_or(i64::MAX).saturating_add(1);
    let mut page = QueryBuilder::<Postgres>::new(format!(
        "SELECT {id}, {time}, {extra} FROM {table}",
        id = list.id,
        time = list.time,
        extra = list.extra.unwrap_or("NULL::uuid"),
        table = list.table
    ));
    push_conditions(&mut page, conditions);
    let (beyond, order) = match list.ascending {
        true => (">", "ASC"),
        false => ("<", "DESC"),
    };
    if let Some(after) = after {
        page.push(format!(" AND ({}, {}) {beyond} (", list.time, list.id));
        page.push_bind(after.at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    page.push(format!(
        " ORDER BY {time} {order}, {id} {order} LIMIT ",
        time = list.time,
        id = list.id
    ));
    page.push_bind(limit);
    let mut count = QueryBuilder::<Postgres>::new(format!("SELECT count(*) FROM {}", list.table));
    push_conditions(&mut count, conditions);

    let mut tx = store::transaction::begin_snapshot(pool).await?;
    let rows = page.build().fetch_all(&mut *tx).await?;
    let total_count: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
    tx.commit().await?;

    let has_next_page = rows.len() > first;
    let mut items = Vec::with_capacity(rows.len().min(first));
    for row in rows.iter().take(first) {
        let id: Uuid = row.try_get(0)?;
        let at: DateTime<Utc> = row.try_get(1)?;
        let extra: Option<Uuid> = row.try_get(2)?;
        items.push((
            Cursor { at, id }.encode(list.name),
            (id, extra.unwrap_or(Uuid::nil())),
        ));
    }
    Ok(Page {
        items,
        has_next_page,
        total_count,
    })
}

pub(super) fn map_page<T, U>(page: Page<T>, f: impl Fn(T) -> U) -> Page<U> {
    Page {
        items: page
            .items
            .into_iter()
            .map(|(cursor, item)| (cursor, f(item)))
            .collect(),
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    }
}
